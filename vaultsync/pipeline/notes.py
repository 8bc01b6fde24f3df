"""The note writer: how every note of an import is found, merged, written and counted.

A note is found by identity (arXiv id, digest day, …) wherever the user moved it; a new one gets a path
no other note has. It is read, merged with what the user wrote (see `reconcile`) and written only if it
still is what was read (compare-and-swap), all over again if it changed meanwhile. Each note's outcome is
counted once per run (in the summary) and once per digest (in the report the caller passes: a digest's,
or the run's own for the notes of no digest).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Literal

from vaultsync.flavors import Flavor
from vaultsync.pipeline.places import Places, numbered, written_stamp
from vaultsync.pipeline.reconcile import Rendered, reconcile
from vaultsync.storage.snapshot import NoteBusy, NoteChanged, Snapshot, VaultError
from vaultsync.storage.state import NoteKind, NoteState, StateStore
from vaultsync.storage.vault import STATE_DIR, Vault
from vaultsync.summary import DigestReport, Outcome, Summary

ATTEMPTS = 5  # reads and merges of one note before it is left for the next import, if it keeps changing
CHANGING = "changed each time vaultsync was about to update it — left for the next import"


def fingerprint(*parts: object) -> str:
    """A short hash of `parts`: what a note was rendered from, as its signature in the state records it."""
    return hashlib.sha256(json.dumps(parts, default=str, ensure_ascii=False).encode()).hexdigest()[:16]


def emptied_by_crash(note: NoteState, snap: Snapshot | None) -> bool:
    """Whether an empty note is the very file vaultsync last wrote (same inode and time): a power cut
    emptied it. Any other empty note is being saved by an editor, or the user emptied it."""
    stamp = written_stamp(note)
    if snap is None or stamp is None:
        return False
    mtime, _, inode = stamp.split(":")
    return (str(snap.mtime_ns), str(snap.inode)) == (mtime, inode)


def spelled(path: PurePosixPath) -> str:
    """`str(path)` of a note's (relative) path, without the copy `str` keeps in the path object: asked of
    every note vaultsync knows, that would be one more string per note for as long as its path lives."""
    folder = str(path.parent)  # a path object of its own, gone on return
    return path.name if folder == "." else f"{folder}/{path.name}"


class PathSet:
    """A set of note paths kept as strings: no path object (~0.5 KB) per note for the whole run."""

    def __init__(self) -> None:
        self._paths: set[str] = set()

    def add(self, path: PurePosixPath) -> None:
        self._paths.add(str(path))

    def __contains__(self, path: object) -> bool:
        """`path`: a PurePosixPath or its string."""
        if isinstance(path, PurePosixPath):
            path = spelled(path)
        return isinstance(path, str) and path in self._paths

    def __iter__(self) -> Iterator[str]:
        """The paths, as strings."""
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


class Tally:
    """What happened to the notes: each note's outcome, counted once per run in the summary and once per
    digest in the report given; each note's error reported once per run, not once per digest."""

    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.notes: dict[str, Outcome] = {}  # by `str(path)`: no path object (~0.5 KB) kept per note of the run
        self.failed: set[str] = set()

    def outcome(self, path: PurePosixPath | str) -> Outcome | None:
        """What this run did to the note at `path` so far (None: nothing)."""
        return self.notes.get(path if isinstance(path, str) else spelled(path))

    def count(self, report: DigestReport, path: PurePosixPath | str, outcome: Outcome, kind: str) -> None:
        """A note touched twice in one run (or digest) counts once: as it first was, unless it was unchanged
        then. Paper and index notes are counted by outcome in the summary; every note created or updated
        is listed in its changes."""
        counter = (
            self.summary.papers
            if kind == NoteKind.PAPER
            else self.summary.index_notes
            if kind == NoteKind.DIGEST
            else None
        )
        key = str(path)  # one string shared by the run's and the digest's outcomes and the changes
        in_digest = report.outcomes.get(key)
        if in_digest is None or (in_digest == Outcome.UNCHANGED and outcome != Outcome.UNCHANGED):
            report.outcomes[key] = outcome
        before = self.notes.get(key)
        if before is None or (before == Outcome.UNCHANGED and outcome != Outcome.UNCHANGED):
            if counter is not None:
                if before:
                    counter[before] -= 1
                counter[outcome] += 1
            self.notes[key] = outcome
            if outcome in (Outcome.CREATED, Outcome.UPDATED):
                self.summary.changes.append((outcome, key))

    def error(self, report: DigestReport, error: VaultError) -> None:
        """Report a note that cannot be read or written (once per run); the rest of the import goes on."""
        if str(error) not in self.failed:
            self.failed.add(str(error))
            report.errors.append(str(error))


class NoteWriter:
    """Creates and updates the notes of one import in `vault`, remembering them in `state`."""

    def __init__(
        self,
        vault: Vault,
        state: StateStore,
        flavor: Flavor,
        summary: Summary,
        *,
        force: bool = False,
        restore_deleted: bool = False,
    ) -> None:
        """`force`: regenerate managed regions the user edited; `restore_deleted`: re-create notes the
        user deleted."""
        self.vault, self.state, self.flavor, self.summary = vault, state, flavor, summary
        self.force, self.dry_run = force, vault.dry_run
        self.tally = Tally(summary)
        self.places = Places(vault, state, flavor, summary, restore_deleted)
        self.merged = PathSet()  # notes read and merged in this run (their `read` may be the user's)
        self.replaced: dict[PurePosixPath, tuple[str, str, NoteState | None]] = {}  # notes replaced, as they were
        self.created: Callable[[PurePosixPath], None] = lambda path: None  # told of each note created

    def release(self, report: DigestReport) -> None:
        """Let go of the files notes replaced (see `Vault.release`), saying which an editor saved into late;
        vaultsync's memory of those notes goes back to what it was, as their update did not happen."""
        returned = self.vault.release()
        for rel, kept in self.vault.recovered:
            self.summary.kept_saves.append(
                f"{self.vault.root / rel}: saved twice by another program while vaultsync replaced it — the newer"
                f" save is in the note, the earlier one kept in {kept}; merge it by hand if it holds more"
            )
        self.vault.recovered.clear()
        for rel in returned:
            report.warnings.append(
                f"{self.vault.root / rel}: saved by another program while vaultsync replaced it — that save is"
                " back in place, and the next import merges it"
            )
            kind, identity, before = self.replaced[rel]
            if before is not None:
                with suppress(sqlite3.Error):  # a store found damaged is rebuilt at the next import anyway
                    self.state.put_note(kind, identity, replace(before, signature=None))
                    self.state.commit()
        self.replaced.clear()

    def forget_released(self) -> None:
        """Keep the notes' earlier state only while their replaced file is held."""
        holding = self.vault.holding()
        self.replaced = {path: was for path, was in self.replaced.items() if path in holding}

    def kept_save(self, kept: Path) -> None:
        """Say where a save is that an editor made while vaultsync, killed since, held the file a note
        replaced. Put back in its note, that note's update did not happen: vaultsync's memory of what it
        wrote there is dropped, so nothing of its own counts as removed by the user."""
        rel = PurePosixPath(kept.relative_to(self.vault.root).as_posix())
        if STATE_DIR in rel.parts:
            self.summary.kept_saves.append(
                f"{kept}: a save made while vaultsync was stopped in the middle of updating a note that changed"
                " since — compare it with that note (its title is inside) and merge it by hand"
            )
            return
        self.summary.kept_saves.append(
            f"{kept}: a save made while vaultsync was stopped in the middle of updating this note — put back in"
            " its place"
        )
        owner = self.state.path_owner(rel)
        note = self.state.note(*owner) if owner else None
        if owner and note:
            self.state.put_note(*owner, replace(note, written={}, signature=None))

    def save(
        self,
        report: DigestReport,
        kind: str,
        identity: str,
        inputs: str,
        render: Callable[[PurePosixPath], Rendered],
        claim: Callable[[], PurePosixPath],
        note: NoteState | None | Literal[False] = False,
    ) -> PurePosixPath | None:
        """Create or update one note; its path (None if the user deleted it, or it could not be created).
        `note`: the state's note of `kind` and `identity`, if the caller has just read it (False: read here).

        The note is read, merged and written only if it still is what was read; if it changed meanwhile
        (the user saved it), all over again. A note that cannot be read or written is an error of its own:
        the digest's other notes go on."""
        if note is False:
            note = self.state.note(kind, identity)
        if note and not note.deleted and not self.force and self.untouched(note, inputs):
            self.tally.count(report, note.path, Outcome.UNCHANGED, kind)
            return note.path
        path = note.path if note and not note.deleted else None
        try:
            for _ in range(ATTEMPTS):
                try:
                    found = self.places.locate(kind, identity, note, claim)
                    if found is None:
                        assert note
                        self.state.put_note(kind, identity, NoteState(note.path, note.written, None, deleted=True))
                        self.tally.count(report, note.path, Outcome.DELETED, kind)
                        return None
                    path, snap = found
                    return self.merge_into(report, kind, identity, note, path, snap, inputs, render)
                except NoteChanged:
                    continue
        except NoteBusy as busy:
            report.warnings.append(str(busy))
            self.tally.count(report, busy.path, Outcome.KEPT, kind)
            return busy.path if self.vault.exists(busy.path) else None
        except VaultError as error:
            self.tally.error(report, error)
            return path if path and self.vault.exists(path) else None
        report.warnings.append(f"{self.vault.root / path if path else identity}: {CHANGING}")
        return path

    def save_page(
        self, report: DigestReport, kind: str, identity: str, inputs: str, page: Rendered, path: PurePosixPath
    ) -> PurePosixPath | None:
        """Save a note that is the same wherever it is (the reading queue, a topic's note): at `path`, or
        numbered if another note has that name."""
        return self.save(
            report, kind, identity, inputs, lambda _: page, lambda: self.places.claim(numbered(path), kind, identity)
        )

    def merge_into(
        self,
        report: DigestReport,
        kind: str,
        identity: str,
        note: NoteState | None,
        path: PurePosixPath,
        snap: Snapshot | None,
        inputs: str,
        render: Callable[[PurePosixPath], Rendered],
    ) -> PurePosixPath:
        """Merge the rendered note into the note `snap` at `path` (None: there is none yet) and write it
        if it is still that; NoteChanged if it is not."""
        existing = snap.text if snap else None
        self.merged.add(path)
        if existing == "":
            if note is None or not emptied_by_crash(note, snap):
                report.warnings.append(
                    f"{self.vault.root / path}: empty (being saved, or emptied by you) — left as is;"
                    " delete it to have vaultsync forget it"
                )
                self.tally.count(report, path, Outcome.KEPT, kind)
                return path
            existing = None  # vaultsync's own note, emptied by a power cut: written again
        result = reconcile(
            existing, render(path), note.written if note else {}, force=self.force, notes=self.flavor.notes
        )
        if result.text is None:
            assert existing is not None
            report.warnings.append(f"{self.vault.root / path}: {self.flavor.damage(existing)}")
            self.tally.count(report, path, Outcome.KEPT, kind)
            return path
        if result.text != existing and snap and snap.read_only:
            report.warnings.append(f"{self.vault.root / path}: read-only — left as is; make it writable")
            self.tally.count(report, path, Outcome.KEPT, kind)
            return path
        if result.text != existing:
            self.vault.write(path, result.text, snap)
            if snap is None:
                self.created(path)
        report.warnings.extend(f"{self.vault.root / path}: {warning}" for warning in result.warnings)
        stamp = self.vault.stamp(path)
        written = result.text != existing or (snap is not None and snap.ours)
        seen = "" if written else "/seen"  # only checked: the bytes are someone else's (an editor's save?)
        signature = f"{inputs}/{stamp}{seen}" if stamp and not self.dry_run else None
        if snap is not None and result.text != existing and not self.dry_run:
            self.replaced.setdefault(path, (kind, identity, note))  # as it was, if the editor's file is put back
        self.state.put_note(
            kind, identity, NoteState(path, result.written, signature, edited=result.outcome == Outcome.KEPT)
        )
        self.tally.count(report, path, result.outcome, kind)
        return path

    def write_synced(
        self, report: DigestReport, kind: str, identity: str, note: NoteState, snap: Snapshot, text: str
    ) -> None:
        """Write a note whose reading states were synced; a note vaultsync's memory said untouched stays so."""
        untouched = self.untouched(note)
        self.vault.write(note.path, text, snap)
        self.replaced.setdefault(note.path, (kind, identity, note))
        current = self.state.note(kind, identity) or note
        stamp = self.vault.stamp(note.path)
        if untouched and note.signature and stamp and not self.dry_run:
            signature = f"{note.signature.split('/')[0]}/{stamp}"
            self.state.put_note(kind, identity, replace(current, signature=signature))
        self.tally.count(report, note.path, Outcome.UPDATED, kind)

    def untouched(self, note: NoteState, inputs: str | None = None) -> bool:
        """The note file is as vaultsync last left it (and, given `inputs`, was rendered from them)."""
        if note.signature is None:
            return False
        last_inputs, stamp, *_ = note.signature.split("/")
        return (inputs is None or inputs == last_inputs) and stamp == self.vault.stamp(note.path)
