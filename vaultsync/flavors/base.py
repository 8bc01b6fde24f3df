"""What every flavor is: the interface of one app's vault (`Flavor`) and of its note files (`NoteFormat`).

A flavor is what differs between an Obsidian vault and a Logseq graph: where notes go and how they are
named (`layout`), how a note file is read and written (`note_format`), the default templates, how text
from digests is escaped and links and tasks are written, and the hooks the import calls after each
digest and after the whole run. The pipeline asks the flavor; it never asks which app it is.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import date
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from vaultsync.flavors.layout import Layout
from vaultsync.text import properties
from vaultsync.text.tasks import Task, TaskSyntax, restatus, tasks_in
from vaultsync.text.wikilinks import Wikilinks

if TYPE_CHECKING:
    from vaultsync.flavors.logseq.graph import Journal
    from vaultsync.storage.state import StateStore


class NoteParts(Protocol):
    """An existing note of vaultsync's cut into its parts (each format has more); joined they give its text."""

    @property
    def metadata(self) -> dict[str, Any]: ...  # the frontmatter (Obsidian) or first block's properties (Logseq)
    @property
    def region(self) -> str: ...  # what vaultsync manages, as it stands in the text (Obsidian: with its markers)
    @property
    def managed(self) -> str: ...  # the region's text
    @property
    def after(self) -> str: ...  # the text after the region: the user's
    @property
    def checksum(self) -> str | None: ...  # of the region as vaultsync last wrote it, as the note records it
    @property
    def edited(self) -> bool: ...  # the region is not what vaultsync last wrote there


Parts = TypeVar("Parts", bound=NoteParts)


class NoteFormat(Protocol[Parts]):
    """How a note file is read and written, like python-frontmatter's handlers: `ObsidianNotes` (Obsidian),
    `LogseqPages` (Logseq). `update` takes back the parts its own `split` gave."""

    def compose(self, metadata: dict[str, Any], managed: str, tail: str = "") -> str: ...
    def split(self, text: str) -> Parts | None: ...
    def update(
        self, parts: Parts, values: dict[str, Any], managed: str | None, generated: str | None = None
    ) -> str | properties.Edit: ...  # an Edit when it may leave keys of `values` as the user wrote them
    def identify(self, text: str) -> tuple[str, str, dict[str, Any]] | None: ...
    def checksum(self, managed: str) -> str: ...  # of a managed region, as its note records it


class Flavor(ABC):
    """One app's vault: its layout and note format (per vault), and what the app fixes (class attributes)."""

    links: ClassVar[Wikilinks]  # how its links are written: read, built and retargeted by the one grammar
    name: ClassVar[str]  # "obsidian", "logseq": in the state store, summaries and the fingerprint of notes
    kind: ClassVar[str]  # "Obsidian vault": what the user is told
    templates: ClassVar[str]  # the folder of its default templates, inside the shipped ones
    paper_tail: ClassVar[str]  # what follows the managed part of a new paper note: the user's
    tasks: ClassVar[TaskSyntax]
    topic_notes: ClassVar[bool] = False  # whether it gets a note per keyword tag
    cssclasses: ClassVar[bool] = False  # whether paper notes may carry a `cssclasses` property
    hides_stamp: ClassVar[bool] = False  # whether `init --hide-stamp` can hide the stamp property in the app
    skip_folders: ClassVar[frozenset[str]] = frozenset()  # top-level folders holding no notes (Logseq's backups)

    def __init__(self, layout: Layout, notes: NoteFormat, journal: Journal | None = None) -> None:
        self.layout, self.notes, self.journal = layout, notes, journal

    @classmethod
    @abstractmethod
    def detect(cls, vault: Path) -> str | None:
        """Why the folder at `vault` is this app's (None: nothing says so)."""

    @classmethod
    @abstractmethod
    def open(cls, vault: Path, layout: Layout) -> Flavor:
        """The flavor for the vault at `vault`, with the user's `layout` where the app leaves it open."""

    @abstractmethod
    def escape(self, markdown: str) -> str:
        """Markdown escaped for Obsidian → escaped for this app."""

    def wikilink(self, target: str, label: str | None = None) -> str:
        """A link to the note `target`, showing `label`."""
        return self.links.build(target, label)

    @abstractmethod
    def author_link(self, name: str) -> str:
        """An author as a link to the note (or page) of that name."""

    @abstractmethod
    def damage(self, text: str) -> str:
        """Why a note of vaultsync's (`notes.identify` knows it) cannot be updated, and what to do."""

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

    def after_digest(self, run: ImportRun, day: date, index_note: PurePosixPath, paper_count: int) -> None:  # noqa: B027
        """Called once the index note of the digest of `day` (listing `paper_count` papers) is written at
        `index_note`: what else the app has of that day. Nothing by default."""

    def after_import(self, run: ImportRun) -> None:  # noqa: B027
        """Called after the digests, the sync of reading states and the reading queue: the notes the app
        has of the whole vault. Nothing by default."""


class ImportRun(Protocol):
    """What a flavor's hooks may do in the import in progress: the pipeline passes it, so flavors never
    import the pipeline. Kinds and identities are the state's (`storage.state`), paths the vault's."""

    state: StateStore
    reading_queue: bool  # whether this import wrote the reading queue
    topic_notes: bool  # whether paper notes link to topic notes (the flavor has them and the settings want them)

    def render(self, name: str, about: str = "", **context: Any) -> str:
        """Template `name` (the user's, else the flavor's default) rendered with `context`; `about`
        names what it was rendered for in a TemplateProblem."""
        ...

    def save_note(
        self, kind: str, identity: str, metadata: dict[str, Any], region: str, path: PurePosixPath
    ) -> PurePosixPath | None:
        """Create or update a note of vaultsync's with `metadata` and the managed `region` (merged with what
        the user wrote, as every note is): at `path`, or numbered if another note has that name. Its path;
        None if the user deleted it."""
        ...

    def keep_file(self, kind: str, identity: str, path: PurePosixPath, text: str) -> None:
        """Write the whole file `text` at `path` while it is still as vaultsync last wrote it: one the user
        edited is theirs, one they deleted stays deleted."""
        ...

    def amend(self, kind: str, identity: str, path: PurePosixPath, edit: Callable[[str | None], str | None]) -> None:
        """Apply `edit` (the file's text, None if there is none → its new text, None: as it is) to the file at
        `path` once ever: what the user removes of it afterwards stays removed."""
        ...
