"""The sync of reading states after the digests of an import: each paper's note's `read` and its lines
in the index notes (ticked, or DONE in Logseq) agree again, by the rule of `text.reading.decide`.

Only what may have changed is looked at: papers never synced; papers pending (merged by an import that
stopped before its sync, or synced but not all their lines); papers whose note someone touched (the run's
`Sweep` tells) or this run merged; papers on the lines of index notes changed since they were last read.
A note someone touched is read once: found in sync, its file stamp is remembered as checked (`checked`).
Each index note's lines are kept in the state store by the name they link to, so a paper's lines are found
without reading any note, whichever paper has that name now. When nothing may have changed, nothing is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import PurePosixPath

from vaultsync.flavors.layout import Layout
from vaultsync.pipeline.notes import ATTEMPTS, CHANGING, NoteWriter
from vaultsync.pipeline.sweep import GONE, Sweep
from vaultsync.storage.reading_rows import line_name
from vaultsync.storage.snapshot import NoteChanged, VaultError
from vaultsync.storage.state import Left, NoteKind, NoteState, StateStore
from vaultsync.summary import DigestReport, Outcome
from vaultsync.text.reading import decide, in_index, read_value

CHUNK = 1000  # papers decided at a time
RACY = 2.0  # seconds: a stamp this recent may miss a change of the same size in the same second (1-s or 2-s file times)


def racy(stamp: str) -> bool:
    """Whether a file stamp (`Vault.stamp`) is too recent to vouch for the bytes read with it: a save of the
    same size in the same tick of a coarse file system clock (a tick turned to a cross) would keep it. A
    time far ahead (a device whose clock runs fast) is not: it would be read again at every import."""
    return abs(time.time() - int(stamp.split(":", 1)[0]) / 1e9) < RACY


class PaperNames:
    """Which paper an index line's link names (see `line_name`): the paper note at the path of that name (one
    look-up in the state store), else the paper note of that name wherever the user put it (a map of every
    paper note's name, made the first time it is needed)."""

    def __init__(self, state: StateStore, layout: Layout) -> None:
        self.state, self.layout = state, layout
        self.by_name: dict[str, str] | None = None

    def name(self, path: str) -> str:
        """The name index lines link to the note at `path` by (see `line_name`)."""
        return line_name(self.layout.page_name(PurePosixPath(path)))

    def __call__(self, name: str) -> str | None:
        owner = self.state.path_owner(self.layout.paper_at(name))
        if owner and owner[0] == NoteKind.PAPER:
            return owner[1]
        if self.by_name is None:
            self.by_name = {self.name(note.path): i for i, note in self.state.left(NoteKind.PAPER) if not note.deleted}
        return self.by_name.get(name)


class ReadingSync:
    """Syncs the reading states of the papers that have a note, writing through `writer`; problems go to
    `report` (the run's own: no digest's)."""

    def __init__(self, writer: NoteWriter, synced: dict[str, bool], sweep: Sweep, report: DigestReport) -> None:
        """`synced`: each paper's reading state as last synced (see `StateStore.reading`); `sweep`: the run's."""
        self.writer, self.synced, self.sweep, self.report = writer, synced, sweep, report
        self.vault, self.state, self.flavor = writer.vault, writer.state, writer.flavor
        self.names = PaperNames(self.state, self.flavor.layout)
        self.unsynced: dict[str, bool] = {}  # see `sync`
        self.pending: set[str] = set()  # see `StateStore.pending`
        self.fixes: dict[str, dict[str, tuple[bool | None, bool]]] = {}  # day → paper → (synced, read) to fix
        self.settled: set[str] = set()  # papers whose note and lines now say what is remembered
        self.reread: set[str] = set()  # days whose index note is read again next time
        self.touched: dict[str, str] = {}  # papers whose note someone touched, not checked since: stamp now
        self.checks: set[str] = set()  # touched papers whose note this sync read
        self.unread: set[str] = set()  # papers whose note could not be read now: left to the next import

    def sync(self) -> dict[str, bool] | None:
        """Sync each paper's reading state between its note's `read` and its lines in the index notes (see
        `reading.decide`): the note and the index lines that disagree with the outcome are updated, and the
        outcome remembered. Only papers that may have changed are looked at: those never synced, those whose
        note someone touched or this run wrote, those on lines of index notes changed since last read.

        None if none may have changed; else the papers whose state is not the one remembered (their note or
        a line of theirs could not be synced: their state is what the note says, as Dataview reads it)."""
        index_notes = {day: note for day, note in self.state.left(NoteKind.DIGEST) if not note.deleted}
        touched = self.sweep.touched(NoteKind.PAPER)
        checked = self.state.checked(touched)
        self.touched = {identity: stamp for identity, stamp in touched.items() if checked.get(identity) != stamp}
        for identity, note in list(self.state.left(NoteKind.PAPER, self.touched)):  # before a line's name is looked up
            if note.deleted or self.touched[identity] == GONE:
                self.writer.places.follow(NoteKind.PAPER, identity)
        candidates = self.candidates()
        read = self.state.task_stamps()
        for day, note in index_notes.items():
            if read.get(day) != self.vault.stamp(note.path):
                candidates |= self.read_lines(day, note.path, note.stamp)
        if not candidates:
            return None
        self.unsynced, self.pending, self.fixes = {}, self.state.pending(), {}
        self.settled, self.reread, self.unread = set(), set(), set()
        ordered = sorted(candidates)
        for start in range(0, len(ordered), CHUNK):  # a few at a time: a first import has every paper to sync
            chunk = list(self.state.left(NoteKind.PAPER, ordered[start : start + CHUNK]))
            names = {identity: self.names.name(note.path) for identity, note in chunk if not note.deleted}
            lines = self.state.lines(set(names.values()))
            for identity, note in chunk:
                if identity in names:
                    self.sync_paper(identity, note, lines.get(names[identity], []))
        failed: set[str] = set()
        for day, wanted in self.fixes.items():
            states = {identity: read for identity, (_, read) in wanted.items()}
            note = self.state.note(NoteKind.DIGEST, day)
            fixed = note is not None and self.restatus_index(day, note, states)
            left = unfixed(self.state, self.names, day, states) if fixed else set(wanted)
            if left:
                failed |= left
                self.reread.add(day)  # its lines are read again next time, and fixed then
        for wanted in self.fixes.values():
            for identity, (synced, read) in wanted.items():
                if identity in failed:  # a line still says otherwise: remembered once it is fixed, else it would flip
                    if read != synced:
                        self.unsynced[identity] = read
                else:
                    self.remember(identity, synced, read)
        for day in self.reread:  # after every write of this sync, which reads the lines it wrote
            self.state.forget_tasks(day)
        self.state.put_pending(self.pending & self.settled, pending=False)
        self.state.put_pending(failed | self.unread)
        checks = ((paper, self.touched[paper]) for paper in self.checks & self.settled)  # read, and in sync
        self.state.put_checked({paper: stamp for paper, stamp in checks if stamp != GONE and not racy(stamp)})
        return self.unsynced

    def sync_paper(self, identity: str, left: Left, listed: list[tuple[str, bool]]) -> None:
        """Decide the paper's reading state from its note (as vaultsync `left` it) and its index lines
        (`listed`: day, done), and sync its note; its lines that disagree go to `fixes`, else the state is
        remembered. A note that cannot be read now (being saved all along, unreadable) leaves the paper as it
        is, to the next import."""
        synced, path = self.synced.get(identity), PurePosixPath(left.path)
        if self.writer.tally.outcome(path) == Outcome.CREATED:  # written in this run: `read` as rendered
            in_note = bool(synced)
        elif synced is None or identity in self.pending or path in self.writer.merged or identity in self.touched:
            try:
                in_note = self.note_read(path, left.stamp)
            except VaultError:  # said by `note_read`, or by the run (a folder leading outside the vault)
                self.unread.add(identity)
                return
            if identity in self.touched:
                self.checks.add(identity)
        else:  # untouched since synced: it still says so
            in_note = synced
        read = decide(synced, in_note, in_index(synced, (done for _, done in listed)))
        note = self.state.note(NoteKind.PAPER, identity) if in_note != read else None
        if note and not self.set_read(identity, note, in_note, read):
            if bool(in_note) != synced:
                self.unsynced[identity] = bool(in_note)  # as its note says (and Dataview reads it)
            self.reread.update(day for day, _ in listed)  # read again next time, so the paper is tried again
            return  # not synced: its index lines stay as they are, and so does the memory
        wrong = [day for day, done in listed if done != read]
        for day in wrong:
            self.fixes.setdefault(day, {})[identity] = (synced, read)
        if not wrong:
            self.remember(identity, synced, read)

    def remember(self, identity: str, synced: bool | None, read: bool) -> None:
        """The paper's state is synced: note and lines say `read`."""
        self.settled.add(identity)
        if synced != read:
            self.state.put_read(identity, read)
            self.synced[identity] = read

    def candidates(self) -> set[str]:
        """The papers whose reading state may have changed on their note's side: never synced, pending, their
        note touched by someone, or merged in this run (a note created in this run says what was synced, or
        is a new paper's, never synced)."""
        found = self.state.unsynced() | self.state.pending() | self.touched.keys()
        outcome = self.writer.tally.outcome
        rewritten = [PurePosixPath(path) for path in self.writer.merged if outcome(path) != Outcome.CREATED]
        return found | self.state.owners(NoteKind.PAPER, rewritten)

    def read_lines(self, day: str, path: str, ours: str | None) -> set[str]:
        """Read the paper lines of the day's index note at `path` once nobody is saving it (`ours`: the stamp
        vaultsync left it with, which needs no wait) and remember them; the papers on them, and on them as
        last read."""
        before = self.state.names_on(day)
        try:
            snap = self.vault.snapshot(PurePosixPath(path), ours)
        except VaultError as error:
            self.writer.tally.error(self.report, error)
            return set()
        stamp, tasks = (snap.stamp, self.flavor.index_tasks(snap.text)) if snap else (None, [])
        self.state.put_lines(day, stamp, tasks)
        if stamp is None or racy(stamp):  # no file (yet), or too recent to vouch for: read again next time
            self.state.forget_tasks(day)
        names = before | {line_name(target) for target, _, _ in tasks}
        return {paper for name in names if (paper := self.names(name))}

    def note_read(self, path: PurePosixPath, ours: str | None) -> bool | None:
        """The `read` property of a paper note once nobody is saving it (`ours`: the stamp vaultsync left it
        with, which needs no wait); None: none, or no note. Raises VaultError if it cannot be read now, or
        not as a note (half saved by an editor that paused, or its frontmatter broken): nothing is decided."""
        snap = self.vault.snapshot(path, ours)
        if snap is None:
            return None
        parts = self.flavor.notes.split(snap.text)
        if parts is None:
            if snap.text and path not in self.writer.merged:  # else empty (being saved), or its digest said so
                self.report.warnings.append(f"{self.vault.root / path}: {self.flavor.damage(snap.text)}")
            raise VaultError(f"{path}: not a note vaultsync can read")
        return read_value(parts.metadata)

    def set_read(self, identity: str, note: NoteState, was: bool | None, read: bool) -> bool:
        """Set a paper note's `read`, on its own line (the rest of the note as it is, a region the user
        edited too), if it still says what it said when decided (`was`); False if it cannot be (a warning
        says why) or it says otherwise now (a save of the user's since: the next import decides again)."""

        def edit(text: str) -> str | None:
            parts = self.flavor.notes.split(text)
            if parts is None or read_value(parts.metadata) != was:
                return None
            keep = {key: parts.metadata[key] for key in ("first_seen",) if key in parts.metadata}  # where it goes
            mine = parts.metadata.get("read")  # `read: yes`, `read: "true"` (was None): the user's to change
            updated = (
                self.flavor.notes.update(parts, {**keep, "read": read}, None)
                if mine is None or was is not None
                else (text, {"read": f"{mine!r} — write true or false"})
            )
            text, left = (updated, {}) if isinstance(updated, str) else updated
            if left:
                self.report.warnings.append(
                    f"{self.vault.root / note.path}: property 'read' left as you wrote it: {left['read']}"
                )
                return None
            return text

        return swap(self.writer, self.report, NoteKind.PAPER, identity, note, edit, empty=False)

    def restatus_index(self, day: str, note: NoteState, wanted: dict[str, bool]) -> bool:
        """Tick (Logseq: DONE) or untick (TODO) the lines of the day's index note of the papers in `wanted` as
        it says; False if it could not be (a warning or error says why)."""

        def restatus(text: str) -> str:
            return self.flavor.index_restatus(text, lambda target: wanted.get(self.names(line_name(target)) or ""))

        def written() -> None:  # its lines as now written are its lines as last read
            self.read_lines(day, str(note.path), self.vault.stamp(note.path))

        return swap(self.writer, self.report, NoteKind.DIGEST, day, note, restatus, empty=True, written=written)


def swap(
    writer: NoteWriter,
    report: DigestReport,
    kind: str,
    identity: str,
    note: NoteState,
    change: Callable[[str], str | None],
    *,
    empty: bool,
    written: Callable[[], None] = lambda: None,
) -> bool:
    """Replace the text of a note of vaultsync's by `change(text)` (None: it cannot be changed), by
    compare-and-swap through `writer`, `written` told once it is; whether the note now says what `change`
    makes of it (`empty`: whether a missing or empty note does). Problems go to `report`."""
    for _ in range(ATTEMPTS):
        try:
            snap = writer.places.snapshot(note.path, note)
            if snap is None or not snap.text:
                return empty
            text = change(snap.text)
            if text is None:
                return False
            if text != snap.text:
                if snap.read_only:
                    report.warnings.append(f"{writer.vault.root / note.path}: read-only — left as is")
                    return False
                writer.write_synced(report, kind, identity, note, snap, text)
                written()
            return True
        except NoteChanged:
            continue
        except VaultError as error:
            writer.tally.error(report, error)
            return False
    report.warnings.append(f"{writer.vault.root / note.path}: {CHANGING}")
    return False


def unfixed(state: StateStore, names: PaperNames, day: str, wanted: dict[str, bool]) -> set[str]:
    """The papers of `wanted` whose lines in the day's index note, as last read, still say otherwise: a line
    whose link no longer leads to its paper was left as it is."""
    paths = {identity: note.path for identity, note in state.left(NoteKind.PAPER, wanted)}
    lines = state.lines({names.name(path) for path in paths.values()})
    return {
        identity
        for identity, path in paths.items()
        if any(done != wanted[identity] for listed, done in lines.get(names.name(path), []) if listed == day)
    }
