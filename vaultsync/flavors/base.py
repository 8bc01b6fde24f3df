"""The two kinds of vault vaultsync writes: an Obsidian vault and a Logseq graph.

A flavor is what differs between them: where notes go and how they are named (`layout`), how a note
file is read and written (YAML frontmatter and comment markers, or a block of `key:: value`
properties), the default templates, how text from digests is escaped, how links and tasks are written,
and, for Logseq, the journal page of each digest's day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from vaultsync.flavors.layout import Layout, LogseqLayout
from vaultsync.flavors.logseq.graph import format_date, is_graph, read_config
from vaultsync.flavors.logseq.page import LogseqPages
from vaultsync.flavors.obsidian import notefile
from vaultsync.pipeline.index_merge import CHECKBOX, MARKER, Task, TaskSyntax, restatus, tasks_in
from vaultsync.pipeline.reconcile import NoteFormat
from vaultsync.text import markup, names

FLAVORS = ("obsidian", "logseq")
KINDS = {"obsidian": "Obsidian vault", "logseq": "Logseq graph"}


@dataclass(frozen=True)
class Journal:
    """Where a Logseq graph keeps its journal pages, and how it names and titles them."""

    folder: str
    file_format: str
    title_format: str

    def path(self, day: date) -> PurePosixPath:
        return PurePosixPath(self.folder, format_date(day, self.file_format) + ".md")


@dataclass(frozen=True)
class Flavor:
    name: str
    layout: Layout
    notes: NoteFormat
    templates: str  # the folder of its default templates, inside the shipped ones
    paper_tail: str  # what follows the managed part of a new paper note: the user's
    tasks: TaskSyntax
    text: Callable[[str], str]  # Markdown escaped for Obsidian → escaped for this flavor
    wikilink: Callable[[str, str | None], str]
    skip_folders: frozenset[str] = frozenset()  # top-level folders holding no notes (Logseq's backups)
    journal: Journal | None = None

    def index_tasks(self, text: str) -> list[Task]:
        """The paper lines of an index note: the task lines with a link in its managed region (lines of the
        user's around it are theirs, whatever they link to); none if the note cannot be read as one."""
        parts = self.notes.split(text) if text else None
        return tasks_in(parts.region.splitlines(), self.tasks) if parts else []

    def index_restatus(self, text: str, wanted: Callable[[str], bool | None]) -> str:
        """The index note with its paper lines (see `index_tasks`) marked done or to read as `wanted(link
        target)` says (None: as they are); nothing else changes."""
        parts = self.notes.split(text) if text else None
        if parts is None:
            return text
        start = text.find(parts.region)
        end = start + len(parts.region)
        return text[:start] + restatus(parts.region, wanted, self.tasks) + text[end:]

    def damage(self, text: str) -> str:
        """Why a note of vaultsync's (`identify` knows it) cannot be updated, naming the line, and what to do."""
        if self.name == "obsidian":
            return notefile.diagnose(text)
        return (
            "its first block of properties or its `- ## Notes` block cannot be read — repair them; imports leave"
            " the page as it is until then"
        )


def _obsidian_wikilink(target: str, label: str | None = None) -> str:
    """`[[target|label]]`, with the label changed just enough that it cannot end the link early. The label
    is written even where it is the target: when the user renames the note, Obsidian rewrites the target
    only, and the link still shows the paper's title."""
    label = names.link_label(label) if label else ""
    return f"[[{target}|{label}]]" if label else f"[[{target}]]"


def _logseq_wikilink(target: str, label: str | None = None) -> str:
    """`[[page]]`, or `[label]([[page]])` when the label is not the page name (Logseq has no `|`)."""
    label = names.link_label(label) if label else ""
    return f"[{markup.logseq(markup.escape(label))}]([[{target}]])" if label and label != target else f"[[{target}]]"


class _Obsidian:
    compose = staticmethod(notefile.compose)
    split = staticmethod(notefile.split)
    update = staticmethod(notefile.update)
    identify = staticmethod(notefile.identify)
    checksum = staticmethod(notefile.checksum)


def obsidian(layout: Layout) -> Flavor:
    return Flavor(
        name="obsidian",
        layout=layout,
        notes=_Obsidian(),
        templates="",
        paper_tail="\n## Notes\n\n",
        tasks=CHECKBOX,
        text=lambda text: text,
        wikilink=_obsidian_wikilink,
    )


def logseq(graph: Path, layout: Layout) -> Flavor:
    """The flavor for the Logseq graph at `graph`, by its `logseq/config.edn`."""
    config = read_config(graph)
    pages = LogseqLayout(config.pages_folder, config.pages_folder, layout.paper_name, layout.digest_name)
    return Flavor(
        name="logseq",
        layout=pages,
        notes=LogseqPages(config.journal_title_format),
        templates="logseq",
        paper_tail="- ## Notes\n",
        tasks=MARKER,
        text=markup.logseq,
        wikilink=_logseq_wikilink,
        skip_folders=frozenset({"logseq"}),
        journal=Journal(config.journals_folder, config.journal_file_format, config.journal_title_format),
    )


def resolve(name: str, vault: Path, layout: Layout) -> tuple[Flavor, str]:
    """The flavor called `name` ("auto": the vault's own), and why it was chosen."""
    if name == "auto":
        if is_graph(vault):
            return logseq(vault, layout), "found logseq/config.edn"
        return obsidian(layout), "found .obsidian/" if (vault / ".obsidian").is_dir() else "the default"
    if name not in FLAVORS:
        raise ValueError(f"unknown flavor {name!r}: give obsidian, logseq or auto")
    return (logseq(vault, layout) if name == "logseq" else obsidian(layout)), "--flavor"
