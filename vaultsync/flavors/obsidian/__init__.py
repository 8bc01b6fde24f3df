"""Obsidian: notes with YAML frontmatter and comment markers around what vaultsync manages, checkbox tasks,
`[[target|label]]` links, topic notes and a reading-queue base."""

from __future__ import annotations

from pathlib import Path

from vaultsync.flavors.base import Flavor
from vaultsync.flavors.layout import Layout
from vaultsync.flavors.obsidian.notefile import ObsidianNotes
from vaultsync.text import names
from vaultsync.text.tasks import CHECKBOX
from vaultsync.text.wikilinks import OBSIDIAN


class Obsidian(Flavor):
    links = OBSIDIAN
    name = "obsidian"
    kind = "Obsidian vault"
    templates = ""
    paper_tail = "\n## Notes\n\n"
    tasks = CHECKBOX
    topic_notes = True
    cssclasses = True

    @classmethod
    def detect(cls, vault: Path) -> str | None:
        return "found .obsidian/" if (vault / ".obsidian").is_dir() else None

    def __init__(self, layout: Layout | None = None) -> None:
        super().__init__(layout or Layout(), ObsidianNotes())

    @classmethod
    def open(cls, vault: Path, layout: Layout) -> Obsidian:
        return cls(layout)

    def escape(self, markdown: str) -> str:
        return markdown

    def author_link(self, name: str) -> str:
        target = names.note_name(name)
        if not target:
            return name
        return self.links.build(target, None if target == name else name)

    def damage(self, text: str) -> str:
        return ObsidianNotes().diagnose(text)
