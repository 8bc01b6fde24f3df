"""Logseq: pages whose first block holds `key:: value` properties, `TODO`/`DONE` markers, `[[page]]` links,
and a block in the journal page of each digest's day."""

from __future__ import annotations

from datetime import date
from pathlib import Path, PurePosixPath

from vaultsync.flavors.base import Flavor, ImportRun
from vaultsync.flavors.layout import Layout, LogseqLayout
from vaultsync.flavors.logseq.graph import Journal, is_graph, read_config
from vaultsync.flavors.logseq.page import LogseqPages, with_digest_block
from vaultsync.storage.state import NoteKind
from vaultsync.text import markup
from vaultsync.text.tasks import MARKER
from vaultsync.text.wikilinks import LOGSEQ


class Logseq(Flavor):
    links = LOGSEQ
    name = "logseq"
    kind = "Logseq graph"
    templates = "logseq"
    paper_tail = "- ## Notes\n"
    tasks = MARKER
    hides_stamp = True  # in logseq/config.edn's :block-hidden-properties
    skip_folders = frozenset({"logseq"})

    @classmethod
    def detect(cls, vault: Path) -> str | None:
        return "found logseq/config.edn" if is_graph(vault) else None

    @classmethod
    def open(cls, vault: Path, layout: Layout) -> Logseq:
        """The flavor for the Logseq graph at `vault`, by its `logseq/config.edn`."""
        config = read_config(vault)
        pages = LogseqLayout(config.pages_folder, config.pages_folder, layout.paper_name, layout.digest_name)
        journal = Journal(config.journals_folder, config.journal_file_format, config.journal_title_format)
        return cls(pages, LogseqPages(config.journal_title_format), journal)

    def escape(self, markdown: str) -> str:
        return markup.logseq(markdown)

    def author_link(self, name: str) -> str:
        return self.links.build(name.replace("[", "(").replace("]", ")"))

    def damage(self, text: str) -> str:
        return (
            "its first block of properties or its `- ## Notes` block cannot be read — repair them; imports leave"
            " the page as it is until then"
        )

    def after_digest(self, run: ImportRun, day: date, index_note: PurePosixPath, paper_count: int) -> None:
        """Reference the digest page from the day's journal page, once: a block the user removed stays
        removed."""
        if self.journal is None:
            return
        page = self.layout.page_name(index_note)
        run.amend(
            NoteKind.JOURNAL,
            day.isoformat(),
            self.journal.path(day),
            lambda text: with_digest_block(text, page, paper_count),
        )
