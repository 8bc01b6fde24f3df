"""A digest imported before, unchanged, whose notes nobody touched since: it is not even parsed, and its notes
count as unchanged. This is most of a daily import's work in a large vault: every digest in SRC is asked."""

from __future__ import annotations

from datetime import date

from vaultsync.pipeline.notes import NoteWriter
from vaultsync.storage.state import NoteKind, NoteState
from vaultsync.summary import DigestReport, Outcome


class UnchangedDigests:
    """Tells the unchanged digests of one import. Their papers' notes are read from the state store once per
    run (path and signature only): a note written since in this run has a new stamp, so a stale entry only
    makes a digest be imported again, never skipped wrongly."""

    def __init__(self, writer: NoteWriter, *, force: bool) -> None:
        """`force`: `--force` or `--restore-deleted`, under which no digest is unchanged."""
        self.writer, self.state, self.vault, self.force = writer, writer.state, writer.vault, force
        self.papers: dict[str, NoteState] | None = None  # every paper's note, by arXiv id: read at the first ask

    def __call__(self, report: DigestReport, day: date, inputs: str) -> bool:
        """True (and its notes counted in `report`) if the digest of `day`, rendered from `inputs`, was
        imported before as it is and none of its notes changed since."""
        known = self.state.digest(day)
        if self.force or not known or known.inputs != inputs:
            return False
        if self.papers is None:
            self.papers = self.state.light(NoteKind.PAPER)
        index = self.state.note(NoteKind.DIGEST, day.isoformat())
        notes = [(NoteKind.DIGEST, index)] + [(NoteKind.PAPER, self.papers.get(arxiv_id)) for arxiv_id in known.papers]
        if not all(note and self.as_left(note) for _, note in notes):
            return False
        for kind, note in notes:
            assert note
            self.writer.tally.count(report, note.path, Outcome.DELETED if note.deleted else Outcome.UNCHANGED, kind)
        report.papers = len(known.papers)
        report.index_note = None if index is None or index.deleted else str(index.path)
        return True

    def as_left(self, note: NoteState) -> bool:
        """A note is as vaultsync left it: untouched, or (deleted by the user) still not back."""
        return not self.vault.exists(note.path) if note.deleted else self.writer.untouched(note)
