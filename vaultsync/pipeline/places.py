"""Where notes are: found by identity wherever the user moved them, and paths claimed for new ones.

vaultsync's memory of a note's path (the state) comes first; a note not there any more is looked for by a
scan of the vault (done at most once per run); a new note takes the first candidate path no other note
has, compared as the file systems and sync services users have compare names.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from pathlib import PurePosixPath

from vaultsync.flavors import Flavor
from vaultsync.pipeline import catalog
from vaultsync.storage.snapshot import QUIET, NoteChanged, Snapshot, VaultError
from vaultsync.storage.state import NoteKind, NoteState, StateStore
from vaultsync.storage.vault import Vault
from vaultsync.summary import Summary


def numbered(path: PurePosixPath) -> Iterator[PurePosixPath]:
    """`path`, then `path` with 2, 3, … after its name."""
    yield path
    for number in itertools.count(2):
        yield path.with_name(f"{path.stem} {number}.md")


def written_stamp(note: NoteState) -> str | None:
    """The file stamp (`Vault.stamp`) the note had when vaultsync last wrote it; None if vaultsync only
    checked it since (it holds bytes of someone else's, maybe an editor's save in progress)."""
    parts = note.signature.split("/") if note.signature else []
    return parts[1] if len(parts) == 2 else None


class Places:
    """Finds the notes of one import in `vault` by what `state` remembers of them, and claims paths for new ones."""

    def __init__(
        self, vault: Vault, state: StateStore, flavor: Flavor, summary: Summary, restore_deleted: bool
    ) -> None:
        """`restore_deleted`: a note the user deleted is to be found (at its place, or a new one) all the same;
        `summary` counts the moved notes followed."""
        self.vault, self.state, self.flavor, self.summary = vault, state, flavor, summary
        self.restore_deleted = restore_deleted
        self.found: dict[tuple[str, str], list[catalog.FoundNote]] | None = None  # the vault scanned, once

    def snapshot(self, path: PurePosixPath, note: NoteState | None = None) -> Snapshot | None:
        """The note at `path`, once nobody is writing it; `note`: vaultsync's last word on it."""
        return self.vault.snapshot(path, written_stamp(note) if note else None)

    def locate(
        self, kind: str, identity: str, note: NoteState | None, claim: Callable[[], PurePosixPath]
    ) -> tuple[PurePosixPath, Snapshot | None] | None:
        """Where the note is and what it holds (None: to be created); None if the user deleted it.

        A note is found at its known path whatever it holds, unless that is another note of vaultsync's:
        one whose frontmatter the user broke is still the note (kept as it is until it is repaired). A note
        deleted, then put back at its path (restored from the trash), is found again."""
        if note is None:
            path = claim()
            return path, self.snapshot(path)
        snap = self.snapshot(note.path, note)
        if snap is not None:
            seen = self.flavor.notes.identify(snap.text) if snap.text else None
            if seen is None and not note.deleted or seen is not None and seen[:2] == (kind, identity):
                return note.path, snap
        if not note.deleted:
            moved = self.moved_to(kind, identity, note)
            if moved:
                return moved, self.snapshot(moved)
            if snap is None and self.saved_by_recreating(note.path):
                raise NoteChanged
        if not self.restore_deleted:
            return None
        if self.state.path_owner(note.path) in (None, (kind, identity)) and snap is None:
            return note.path, None
        path = claim()
        return path, self.snapshot(path)

    def follow(self, kind: str, identity: str) -> None:
        """Follow a note of vaultsync's gone from its path, or back at it, as an import writing it would (the
        reading sync asks, whatever digests are imported): moved or renamed by the user (`moved_to`), else
        deleted; a note deleted, then put back at its path (from the trash, or a share mounted again), is the
        note again, to be read anew. Until sure, it is left as it is."""
        note = self.state.note(kind, identity)
        if note is None or self.saved_by_recreating(note.path):
            return
        if self.vault.exists(note.path):  # back, or was never gone (the sweep ran a moment before)
            with suppress(VaultError):
                if note.deleted and self.is_note_of(self.vault.read(note.path, strict=False) or "", kind, identity):
                    self.state.put_note(kind, identity, NoteState(note.path, note.written))
            return
        if note.deleted:
            return
        moved = self.moved_to(kind, identity, note)
        if moved:
            self.state.put_note(kind, identity, NoteState(moved, note.written, edited=note.edited))
        elif not self.vault.exists(note.path):
            self.state.put_note(kind, identity, NoteState(note.path, note.written, deleted=True))

    def saved_by_recreating(self, path: PurePosixPath) -> bool:
        """Whether a note found missing is back a moment later: an editor that saves by deleting the file
        and creating it again, caught in between."""
        if not self.vault.changed_lately(path.parent):
            return False  # deleted a while ago: no need to wait
        time.sleep(QUIET)
        return self.vault.exists(path)

    def scan(self) -> dict[tuple[str, str], list[catalog.FoundNote]]:
        """The vault's notes of vaultsync's, by identity, wherever they are."""
        return catalog.scan(self.vault, self.flavor.notes.identify, self.flavor.skip_folders)

    def moved_to(self, kind: str, identity: str, note: NoteState) -> PurePosixPath | None:
        """Where the user moved or renamed a note, found by a scan of the vault done at most once per run."""
        if self.found is None:
            self.found = self.scan()
        for found in self.found.get((kind, identity), []):
            if found.path != note.path and self.state.path_owner(found.path) in (None, (kind, identity)):
                self.summary.moved += 1
                self.summary.changes.append(("moved", f"{note.path} → {found.path}"))
                return found.path
        return None

    def claim(self, candidates: Iterable[PurePosixPath], kind: str, identity: str) -> PurePosixPath:
        """The first candidate path no other note has: no file there, or a note of ours for this very paper
        or day (left by a run that stopped early, or whose state was lost). Names are compared as macOS,
        Windows and sync services compare them, ignoring case and Unicode normalisation; the folder's own
        spelling of a name is kept."""
        for path in candidates:
            if self.state.path_owner(path) in (None, (kind, identity)):
                actual = self.vault.twin(path)
                if actual is None or self.is_free_or_own(actual, kind, identity):
                    return actual or path
        raise AssertionError("unreachable: the candidates never run out")

    def is_free_or_own(self, path: PurePosixPath, kind: str, identity: str) -> bool:
        """An empty file there, or a note of ours for this very paper or day. A note that cannot be decoded
        is judged by what can be read of it: it is the user's to repair, not a name to take beside it."""
        try:
            text = self.vault.read(path, strict=False)
        except VaultError:
            return False
        return not text or self.is_note_of(text, kind, identity)

    def is_note_of(self, text: str, kind: str, identity: str) -> bool:
        """Whether `text` is vaultsync's note of that kind and identity."""
        if kind == NoteKind.QUEUE:  # one of a kind: a note of ours at its place is it
            return self.flavor.notes.split(text) is not None
        if kind == NoteKind.TOPIC:  # a topic's note says which topic
            parts = self.flavor.notes.split(text)
            return parts is not None and parts.metadata.get("topic") == identity
        found = self.flavor.notes.identify(text)
        return found is not None and found[:2] == (kind, identity)
