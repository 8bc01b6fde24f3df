"""The sync of reading states after the digests of an import: each paper's note's `read` and its lines
in the index notes (ticked, or DONE in Logseq) agree again, by the rule of `text.reading.decide`.

Only what changed since is read: index notes' lines are cached by file signature, and a paper note
untouched since vaultsync wrote or synced it still says what was synced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vaultsync.pipeline.notes import ATTEMPTS, CHANGING, NoteWriter
from vaultsync.storage.snapshot import NoteChanged, VaultError
from vaultsync.storage.state import NoteKind, NoteState
from vaultsync.summary import DigestReport, Outcome
from vaultsync.text.reading import decide, in_index
from vaultsync.text.tasks import Task


class ReadingSync:
    """Syncs the reading states of the papers that have a note, writing through `writer`; problems go to
    `report` (the run's own: no digest's)."""

    def __init__(self, writer: NoteWriter, synced: dict[str, bool], report: DigestReport) -> None:
        """`synced`: each paper's reading state as last synced (see `StateStore.reading`)."""
        self.writer, self.synced, self.report = writer, synced, report
        self.vault, self.state, self.flavor = writer.vault, writer.state, writer.flavor

    def sync(self) -> dict[str, bool]:
        """Sync each paper's reading state between its note's `read` and its lines in the index notes (see
        `reading.decide`): the note and the index lines that disagree with the outcome are updated, and
        the outcome remembered. The reading state of every paper that has a note, by arXiv id."""
        papers = {identity: note for identity, note in self.state.light(NoteKind.PAPER).items() if not note.deleted}
        by_name = {self.flavor.layout.page_name(note.path).casefold(): identity for identity, note in papers.items()}

        def paper_of(target: str) -> str | None:
            return by_name.get(target.rsplit("/", 1)[-1].casefold())

        lines: dict[str, list[tuple[str, bool]]] = {}  # arXiv id → (day, done) of each of its index lines
        index_notes = {day: note for day, note in self.state.notes(NoteKind.DIGEST) if not note.deleted}
        for day, note in index_notes.items():
            try:
                tasks = self.tasks(day, note)
            except VaultError as error:
                self.writer.tally.error(self.report, error)
                continue
            for target, _, done in tasks:
                paper = paper_of(target)
                if paper:
                    lines.setdefault(paper, []).append((day, done))
        states: dict[str, bool] = {}
        fix_days: dict[str, dict[str, bool]] = {}
        for identity, note in papers.items():
            synced = self.synced.get(identity)
            outcome = self.writer.tally.outcome(note.path)
            checked = outcome == Outcome.UNCHANGED  # found untouched in this run already
            fresh = synced is None or note.path in self.writer.merged or not (checked or self.writer.untouched(note))
            if outcome == Outcome.CREATED:  # written in this run: `read` as rendered
                in_note = bool(synced)
            else:
                in_note = self.note_read(note) if fresh else synced
            listed = lines.get(identity, [])
            read = states[identity] = decide(synced, in_note, in_index(synced, (done for _, done in listed)))
            full = self.state.note(NoteKind.PAPER, identity) if in_note != read else None
            if full and not self.set_read(identity, full, read):
                states[identity] = bool(in_note)  # as its note says (and Dataview reads it)
                continue  # not synced: its index lines stay as they are, and so does the memory
            for day, done in listed:
                if done != read:
                    fix_days.setdefault(day, {})[identity] = read
            if synced != read:
                self.state.put_read(identity, read)
        for day, wanted in fix_days.items():
            self.restatus_index(day, index_notes[day], lambda target, wanted=wanted: wanted.get(paper_of(target) or ""))
        return states

    def tasks(self, day: str, note: NoteState) -> list[Task]:
        """The paper lines of an index note: read again only if the file changed since last time."""
        stamp = self.vault.stamp(note.path)
        known = self.state.tasks(day, stamp) if stamp else None
        if known is None:
            known = self.flavor.index_tasks(self.vault.read(note.path) or "")
            if stamp:
                self.state.put_tasks(day, stamp, known)
        return known

    def note_read(self, note: NoteState) -> bool | None:
        """The `read` property of a paper note as it is now (None: none, or the note cannot be read)."""
        try:
            text = self.vault.read(note.path)
        except VaultError:
            return None
        parts = self.flavor.notes.split(text) if text else None
        value = parts.metadata.get("read") if parts else None
        return value if isinstance(value, bool) else None

    def set_read(self, identity: str, note: NoteState, read: bool) -> bool:
        """Set a paper note's `read`, on its own line (the rest of the note as it is, a region the user
        edited too); False if it cannot be (a warning says why)."""

        def edit(parts: Any) -> str | None:
            keep = {key: parts.metadata[key] for key in ("first_seen",) if key in parts.metadata}  # where it goes
            updated = self.flavor.notes.update(parts, {**keep, "read": read}, None)
            text, left = (updated, {}) if isinstance(updated, str) else updated
            if left:
                self.report.warnings.append(
                    f"{self.vault.root / note.path}: property 'read' left as you wrote it: {left['read']}"
                )
                return None
            return text

        return self.edit_note(NoteKind.PAPER, identity, note, edit)

    def edit_note(self, kind: str, identity: str, note: NoteState, edit: Callable[[Any], str | None]) -> bool:
        """Apply `edit` (the note's parts → its new text, None: not possible) to a note of vaultsync's, by
        compare-and-swap; whether it now says what `edit` makes of it."""
        for _ in range(ATTEMPTS):
            try:
                snap = self.writer.places.snapshot(note.path, note)
                parts = self.flavor.notes.split(snap.text) if snap and snap.text else None
                text = edit(parts) if parts is not None else None
                if text is None or snap is None:
                    return False
                if text != snap.text:
                    if snap.read_only:
                        self.report.warnings.append(f"{self.vault.root / note.path}: read-only — left as is")
                        return False
                    self.writer.write_synced(self.report, kind, identity, note, snap, text)
                return True
            except NoteChanged:
                continue
            except VaultError as error:
                self.writer.tally.error(self.report, error)
                return False
        self.report.warnings.append(f"{self.vault.root / note.path}: {CHANGING}")
        return False

    def restatus_index(self, day: str, note: NoteState, wanted: Callable[[str], bool | None]) -> None:
        """Tick (Logseq: DONE) or untick (TODO) the lines of an index note as `wanted(link target)` says."""

        for _ in range(ATTEMPTS):
            try:
                snap = self.writer.places.snapshot(note.path, note)
                if not snap or not snap.text:
                    return
                text = self.flavor.index_restatus(snap.text, wanted)
                if text == snap.text:
                    return
                self.writer.write_synced(self.report, NoteKind.DIGEST, day, note, snap, text)
                stamp = self.vault.stamp(note.path)
                if stamp:
                    self.state.put_tasks(day, stamp, self.flavor.index_tasks(text))
                return
            except NoteChanged:
                continue
            except VaultError as error:
                self.writer.tally.error(self.report, error)
                return
        self.report.warnings.append(f"{self.vault.root / note.path}: {CHANGING}")
