"""A digest imported before, unchanged, whose notes nobody touched since: it is not even parsed, and its notes
count as unchanged. This is most of a daily import's work in a large vault: every digest in SRC is asked."""

from __future__ import annotations

from datetime import date

from vaultsync.pipeline.notes import NoteWriter
from vaultsync.pipeline.sweep import Sweep
from vaultsync.storage.state import NoteKind
from vaultsync.summary import DigestReport, Outcome


class UnchangedDigests:
    """Tells the unchanged digests of one import, by the run's `Sweep` of the notes."""

    def __init__(self, writer: NoteWriter, sweep: Sweep, *, force: bool) -> None:
        """`force`: `--force` or `--restore-deleted`, under which no digest is unchanged."""
        self.writer, self.state, self.sweep, self.force = writer, writer.state, sweep, force

    def __call__(self, report: DigestReport, day: date, inputs: str) -> bool:
        """True (and its notes counted in `report`) if the digest of `day`, rendered from `inputs`, was
        imported before as it is and none of its notes changed since."""
        known = self.state.digest(day)
        if self.force or not known or known.inputs != inputs:
            return False
        indexes, papers = self.sweep.notes(NoteKind.DIGEST), self.sweep.notes(NoteKind.PAPER)
        notes = [(NoteKind.DIGEST, day.isoformat(), indexes)] + [(NoteKind.PAPER, i, papers) for i in known.papers]
        if any(identity not in kept or identity in self.sweep.touched(kind) for kind, identity, kept in notes):
            return False
        for kind, identity, kept in notes:
            note = kept[identity]
            outcome = Outcome.DELETED if note.deleted else Outcome.UNCHANGED
            self.writer.tally.count(report, note.path, outcome, kind)
        index = indexes[day.isoformat()]
        report.papers = len(known.papers)
        report.index_note = None if index.deleted else index.path
        return True
