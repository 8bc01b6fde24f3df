"""The import as the flavors' hooks see it (`flavors.base.ImportRun`): notes and files written through the
note writer, templates through the renderer, problems into the report of the digest (or of the run) the
hook is called for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from vaultsync.pipeline.notes import ATTEMPTS, CHANGING, NoteWriter, fingerprint
from vaultsync.pipeline.reconcile import Rendered
from vaultsync.pipeline.render import Renderer
from vaultsync.storage.snapshot import NoteChanged, Snapshot, VaultError
from vaultsync.storage.state import NoteState
from vaultsync.summary import DigestReport, Outcome


class Hooks:
    """What a flavor's hooks may do: `reading_queue`, whether this import wrote the reading queue;
    `topic_notes`, whether paper notes link to topic notes; `inputs`, the fingerprint of the import's
    rendering (templates, layout, settings), which every note's inputs include."""

    def __init__(
        self,
        writer: NoteWriter,
        renderer: Renderer,
        inputs: str,
        report: DigestReport,
        *,
        reading_queue: bool = False,
        topic_notes: bool = False,
    ) -> None:
        self.writer, self.renderer, self.inputs, self.report = writer, renderer, inputs, report
        self.state, self.vault = writer.state, writer.vault
        self.reading_queue, self.topic_notes = reading_queue, topic_notes

    def render(self, name: str, about: str = "", **context: Any) -> str:
        return self.renderer.render(name, about, **context)

    def save_note(
        self, kind: str, identity: str, metadata: dict[str, Any], region: str, path: PurePosixPath
    ) -> PurePosixPath | None:
        inputs = fingerprint(self.inputs, region)
        return self.writer.save_page(self.report, kind, identity, inputs, Rendered(metadata, region), path)

    def keep_file(self, kind: str, identity: str, path: PurePosixPath, text: str) -> None:
        """The file is the user's once its checksum is not the one vaultsync last wrote."""
        known = self.state.note(kind, identity)
        where = known.path if known else path
        try:
            snap = self.vault.snapshot(where)
            if known and snap is None:
                return  # deleted by the user
            if (
                snap is not None
                and snap.text != text
                and (not known or known.written.get("sha") != [fingerprint(snap.text)])
            ):
                return  # the user's
            if snap is None or snap.text != text:
                self.vault.write(where, text, snap)
                self.writer.summary.changes.append((_written(snap), str(where)))
        except (NoteChanged, VaultError) as error:
            if isinstance(error, VaultError):
                self.writer.tally.error(self.report, error)
            return
        self.state.put_note(kind, identity, NoteState(where, {"sha": [fingerprint(text)]}))

    def amend(self, kind: str, identity: str, path: PurePosixPath, edit: Callable[[str | None], str | None]) -> None:
        """Written by compare-and-swap; the file is remembered as the note (`kind`, `identity`) once amended,
        and never amended again."""
        if self.state.note(kind, identity):
            return
        for _ in range(ATTEMPTS):
            try:
                snap = self.vault.snapshot(path)
                text = edit(snap.text if snap else None)
                if text is not None:
                    self.vault.write(path, text, snap)
                    self.writer.summary.changes.append((_written(snap), str(path)))
            except NoteChanged:
                continue
            except VaultError as error:
                self.writer.tally.error(self.report, error)
                return
            self.state.put_note(kind, identity, NoteState(path))
            return
        self.report.warnings.append(f"{self.vault.root / path}: {CHANGING}")


def _written(snap: Snapshot | None) -> Outcome:
    """What writing a file did: created it (there was none) or updated it."""
    return Outcome.CREATED if snap is None else Outcome.UPDATED
