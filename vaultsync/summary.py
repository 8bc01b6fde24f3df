"""What an import did: per digest read, and counts of what happened to each note."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

OUTCOMES = ("created", "updated", "unchanged", "kept", "deleted")


@dataclass
class DigestReport:
    source: str
    day: date | None = None
    date_source: str = ""  # "file name", "--date" or "modification time"
    papers: int = 0
    index_note: str | None = None


@dataclass
class Summary:
    """What an import did. Outcomes per note: created, updated, unchanged, kept (the user edited its
    managed region, so an update was held back), deleted (the user deleted it: skipped). `changes`
    lists (action, note) for every note created, updated or followed to where the user moved it."""

    digests: list[DigestReport] = field(default_factory=list)
    papers: Counter[str] = field(default_factory=Counter)
    index_notes: Counter[str] = field(default_factory=Counter)
    moved: int = 0
    rebuilt: str | None = None  # why and from how many notes the state store was rebuilt
    changes: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "digests_read": sum(1 for report in self.digests if report.day is not None),
            "papers": {outcome: self.papers[outcome] for outcome in OUTCOMES},
            "index_notes": {outcome: self.index_notes[outcome] for outcome in OUTCOMES},
            "moved_notes_followed": self.moved,
            "state_rebuilt": self.rebuilt,
            "digests": [
                {**vars(report), "day": report.day.isoformat() if report.day else None} for report in self.digests
            ],
            "changes": [{"action": action, "note": note} for action, note in self.changes],
            "warnings": self.warnings,
            "errors": self.errors,
        }
