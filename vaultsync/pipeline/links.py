"""The link index of one import: how notes link to each other, and which paper a line of an index note is.

Paper notes link to their index notes and topic notes, index notes to their papers; a link is the note's
name, or its path where the vault has that name more than once (`NoteNames`: from one walk of the vault,
kept up to date as notes are written). Lines of an index note the user edited are matched to their papers
by link target, note name, link label or arXiv URL, as this run's digests listed them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Iterator
from datetime import date
from pathlib import PurePosixPath

from vaultsync.flavors import Flavor
from vaultsync.flavors.layout import NoteNames
from vaultsync.model import Entry
from vaultsync.pipeline import catalog
from vaultsync.pipeline.places import numbered
from vaultsync.records import PaperRecord
from vaultsync.storage.state import NoteKind, NoteState, StateStore
from vaultsync.storage.vault import Vault
from vaultsync.text import names

_URL_LINK = re.compile(r"\]\((https?://[^)\s]+)\)")  # `[label](url)`: a paper whose note the user deleted

Claim = Callable[[Iterable[PurePosixPath], str, str], PurePosixPath]  # candidates, kind, identity → the path taken


class LinkIndex:
    """The link targets of index and topic notes, the vault's shared note names, and the papers by link."""

    def __init__(self, vault: Vault, state: StateStore, flavor: Flavor, claim: Claim) -> None:
        """`claim`: takes the first free path of the candidates for a new note (see `Places.claim`)."""
        self.vault, self.state, self.flavor, self.layout, self.claim = vault, state, flavor, flavor.layout, claim
        self.names: NoteNames | None = None  # the vault's note names, for links: walked once
        self.papers_by_link: dict[int, str] = {}  # note names, link labels and URLs (by `hash`) → arXiv id
        self.index_paths: dict[date, PurePosixPath] = {}  # new index notes' paths, claimed before they are written
        self.known: dict[tuple[str, str], NoteState | None] = {}  # index and topic notes looked up for one digest
        self.topic_paths: dict[str, PurePosixPath] = {}  # the layout's paths of topics' notes, for one digest

    def new_digest(self) -> None:
        """Forget the index and topic notes looked up for the digest before: the state may have changed since.
        While one digest's papers are written, it changes only the papers' notes, so each index or topic note
        is looked up once per digest, not once per paper listing it."""
        self.known.clear()
        self.topic_paths.clear()

    def _topic_path(self, tag: str) -> PurePosixPath:
        """Where the topic's note goes by the layout, worked out once per digest."""
        if tag not in self.topic_paths:
            self.topic_paths[tag] = self.layout.topic_path(tag)
        return self.topic_paths[tag]

    def _note(self, kind: str, identity: str) -> NoteState | None:
        """The state's note of `kind` and `identity`, looked up once per digest (see `new_digest`)."""
        key = (kind, identity)
        if key not in self.known:
            self.known[key] = self.state.note(kind, identity)
        return self.known[key]

    def created(self, path: PurePosixPath) -> None:
        """Count the name of a note just written where there was none."""
        if self.names is not None:
            self.names.add(path)

    def shared_names(self) -> Container[str]:
        """The note names the vault has more than once, which links spell with a folder: from a walk of the
        vault done at most once per run, then kept up to date."""
        if not self.layout.folder_links:
            return frozenset()
        if self.names is None:
            folders = catalog.markdown_folders(self.vault, self.flavor.skip_folders)
            self.names = NoteNames(name for _, names in folders for name in names)
        return self.names.shared

    def topic_link(self, tag: str) -> str:
        """The link target of a topic's note: its name, or its path where another note has the name."""
        note = self._note(NoteKind.TOPIC, tag)
        path = note.path if note and not note.deleted else self._topic_path(tag)
        shared = self.shared_names()
        if note is None and self.names and path not in self.names.expected and self.vault.stamp(path) is None:
            self.names.expect(path)  # about to be written: its name counts already
        return self.layout.link_target(path, shared)

    def index_link(self, day: date) -> str | None:
        """The link target of the day's index note where it is not the layout's name: renamed by the user,
        or linked by path because another note has its name."""
        note = self._note(NoteKind.DIGEST, day.isoformat())
        path = note.path if note else self.new_index_path(day)
        shared = self.shared_names()
        if note is None and self.names and path not in self.names.expected and self.vault.stamp(path) is None:
            self.names.expect(path)  # about to be written: its name counts already
        link = self.layout.link_target(path, shared)
        return link if link != self.layout.digest_name_for(day) else None

    def new_index_path(self, day: date) -> PurePosixPath:
        """Where the day's index note goes if it has none: its name, numbered if a note of the user's has
        it (claimed once per run, so its papers link to where it will be)."""
        if day not in self.index_paths:
            self.index_paths[day] = self.claim(numbered(self.layout.digest_path(day)), NoteKind.DIGEST, day.isoformat())
        return self.index_paths[day]

    def new_paper_path(self, entry: Entry, named: str | None = None) -> PurePosixPath:
        """A path for a paper new to the state: its name, or with its id when another note has that name.
        `named`: the path its name gives, if known (`layout.paper_path`)."""
        return self.claim(self._paper_paths(entry, named), NoteKind.PAPER, entry.arxiv_id)

    def _paper_paths(self, entry: Entry, named: str | None) -> Iterator[PurePosixPath]:
        """The plain name, then with the arXiv id, then numbered: the list never runs out."""
        yield PurePosixPath(named) if named else self.layout.paper_path(entry.title, entry.arxiv_id, entry.category)
        yield from numbered(self.layout.paper_path(entry.title, entry.arxiv_id, entry.category, with_id=True))

    def add_paper(self, entry: Entry, record: PaperRecord, notes: Iterable[PurePosixPath | None]) -> None:
        """Know the paper by the names of its `notes` (as it was and is: an index line may link to either,
        by name or path), its URLs and its title as a link label. Each is kept by its `hash` only: strings
        for every paper of a large import would take a lot of memory, and two keys of one run with the same
        64-bit hash are as unlikely as a bit flipped in memory."""
        for note in notes:
            if note:
                self.papers_by_link[hash(self.layout.page_name(note))] = entry.arxiv_id
        for key in (entry.paper_url, record.paper_url, names.link_label(entry.title)):
            self.papers_by_link[hash(key)] = entry.arxiv_id

    def paper_of(self, line: str) -> str | None:
        """The paper a line links to: by link target, note name, link label or arXiv URL."""
        for link in self.flavor.links.finditer(line):
            target = link["target"]
            for key in (target, target.rsplit("/", 1)[-1], link["label"]):
                if key and hash(key) in self.papers_by_link:
                    return self.papers_by_link[hash(key)]
        urls = [url for url in _URL_LINK.findall(line) if hash(url) in self.papers_by_link]
        return self.papers_by_link[hash(urls[0])] if urls else None
