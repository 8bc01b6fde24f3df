"""Which of vaultsync's notes someone touched since vaultsync last wrote or checked them: one `lstat` per note,
once per run, against the file stamp the state store keeps; no note is read. What an import looks at further
(unchanged digests, reading states) follows from it, so that work grows with what changed, not with the vault.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from vaultsync.storage.state import Left, StateStore
from vaultsync.storage.vault import Vault

GONE = "gone"  # the stamp of a note whose file is not there


class Sweep:
    """The notes of each kind not as vaultsync left them, found at the first ask and kept for the run. A note
    this run writes gets a new stamp after the sweep: callers count the notes the run wrote as changed anyway;
    a note the user touches during the run is found by the next one."""

    def __init__(self, vault: Vault, state: StateStore) -> None:
        self.vault, self.state = vault, state
        self._notes: dict[str, dict[str, Left]] = {}
        self._touched: dict[str, dict[str, str]] = {}

    def notes(self, kind: str) -> dict[str, Left]:
        """Every note of `kind` by identity, deleted ones too, as the run began: kept for the run (unchanged
        digests count theirs). Sweeps the kind if not done yet."""
        if kind not in self._notes:
            notes = self._notes[kind] = dict(self.state.left(kind))
            if kind not in self._touched:
                self._touched[kind] = self._sweep(notes.items())
        return self._notes[kind]

    def touched(self, kind: str) -> dict[str, str]:
        """The notes of `kind` someone edited, moved or deleted since vaultsync last wrote or checked them, or
        brought back after deleting them: the file stamp each has now (`GONE`: none), by identity."""
        if kind not in self._touched:
            self._touched[kind] = self._sweep(self.state.left(kind))
        return self._touched[kind]

    def _sweep(self, notes: Iterable[tuple[str, Left]]) -> dict[str, str]:
        """The notes not as left (a deleted one: back again), with their file's stamp now."""
        touched = {}
        for identity, note in notes:
            if note.deleted and not self.vault.exists(PurePosixPath(note.path)):
                continue
            stamp = self.vault.stamp(note.path)
            if note.deleted or stamp is None or stamp != note.stamp:
                touched[identity] = stamp or GONE
        return touched
