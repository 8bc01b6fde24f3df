"""Obsidian: notes with YAML frontmatter and comment markers around what vaultsync manages, checkbox tasks,
`[[target|label]]` links, topic notes and a reading-queue base."""

from __future__ import annotations

from pathlib import Path

from vaultsync.flavors.base import Flavor, ImportRun
from vaultsync.flavors.layout import Layout
from vaultsync.flavors.obsidian.notefile import ObsidianNotes
from vaultsync.storage.state import NoteKind
from vaultsync.text import names
from vaultsync.text.tasks import CHECKBOX
from vaultsync.text.wikilinks import OBSIDIAN

QUEUE_BASE_TEMPLATE = "queue.base.j2"
TOPIC_TEMPLATE = "topic.md.j2"
TOPIC_TAG = "arxiv-topic"


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

    def after_import(self, run: ImportRun) -> None:
        """The reading queue as a base, beside the reading-queue note; a note per keyword tag of the papers
        (in `arXiv/Topics/<tag>.md`): queries of its papers, so the graph clusters papers by topic."""
        papers_folder = self.layout.papers_folder
        if run.reading_queue:
            base = run.render(QUEUE_BASE_TEMPLATE, "on the reading queue", queue={"papers_folder": papers_folder})
            run.keep_file(NoteKind.QUEUE, "base", self.layout.queue_base_path, base)
        if run.topic_notes:
            for tag in sorted(run.state.tags()):
                region = run.render(
                    TOPIC_TEMPLATE, f"on the topic {tag}", topic={"tag": tag, "papers_folder": papers_folder}
                )
                run.save_note(
                    NoteKind.TOPIC, tag, {"topic": tag, "tags": [TOPIC_TAG]}, region, self.layout.topic_path(tag)
                )
