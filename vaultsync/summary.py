"""What an import did: per digest file, and counts of what happened to each note."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from vaultsync.flavors import KINDS
from vaultsync.text.words import count


class Outcome(StrEnum):
    """What an import did to one note. A StrEnum: equal to its string, which is what JSON output shows."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT = "kept"  # the user edited its managed region: an update was held back
    DELETED = "deleted"  # the user deleted it: skipped
    DAMAGED = "damaged"  # its frontmatter or markers cannot be read: left as it is, counted as kept


OUTCOMES = (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.KEPT, Outcome.DELETED)  # counted, in order
NOTHING = "Nothing to import: no digests found."  # said instead of the counts when SRC holds no digest
_RARE_OUTCOMES = {Outcome.KEPT: "kept (edited by you)", Outcome.DELETED: "skipped (deleted by you)"}


class Changes:
    """The (action, note) pairs of an import, in order: a list of pairs to its readers, kept as two lists (a
    tuple per note created would be 64 bytes more for each of them)."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self.actions: list[str] = []
        self.notes: list[str] = []
        for pair in pairs:
            self.append(pair)

    def append(self, pair: tuple[str, str]) -> None:
        action, note = pair
        self.actions.append(action)
        self.notes.append(note)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return zip(self.actions, self.notes, strict=True)

    def __len__(self) -> int:
        return len(self.notes)

    def __getitem__(self, index: int) -> tuple[str, str]:
        return self.actions[index], self.notes[index]

    def __contains__(self, pair: object) -> bool:
        return any(item == pair for item in self)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Changes | list) else NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))


@dataclass
class DigestReport:
    """What happened to one digest file: its date, its notes' outcomes, its warnings and errors."""

    source: str
    day: date | None = None
    date_source: str = ""  # "file name", "--date" or "modification time"; set once the file is known a digest
    papers: int = 0
    index_note: str | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # note path → its outcome
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the file is not a digest: skipped with a notice, not an error

    def paper_outcomes(self) -> Counter[Outcome]:
        """How many of this digest's paper notes were created, updated, … (its index note left out)."""
        return Counter(outcome for note, outcome in self.outcomes.items() if note != self.index_note)

    @property
    def index_outcome(self) -> Outcome | None:
        return self.outcomes.get(self.index_note) if self.index_note else None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "day": self.day.isoformat() if self.day else None,
            "date_source": self.date_source,
            "papers": self.papers,
            "index_note": self.index_note,
            "paper_notes": {outcome: self.paper_outcomes()[outcome] for outcome in OUTCOMES},
            "index_outcome": self.index_outcome,
            "skipped": self.skipped,
        }


@dataclass
class Summary:
    """What an import did. Outcomes per note: created, updated, unchanged, kept (the user edited its
    managed region, so an update was held back), deleted (the user deleted it: skipped). `changes`
    lists (action, note) for every note created, updated or followed to where the user moved it."""

    digests: list[DigestReport] = field(default_factory=list)
    papers: Counter[Outcome] = field(default_factory=Counter)
    index_notes: Counter[Outcome] = field(default_factory=Counter)
    flavor: str = "obsidian"
    flavor_reason: str = ""  # why this flavor: "--flavor", "found logseq/config.edn", …
    moved: int = 0
    rebuilt: str | None = None  # why and from how many notes the state store was rebuilt
    kept_saves: list[str] = field(default_factory=list)  # saves vaultsync could not put back, and where they are
    changes: Changes = field(default_factory=Changes)
    notes: DigestReport = field(default_factory=lambda: DigestReport(""))  # the run's own notes (reading queue)
    notices: list[str] = field(default_factory=list)  # said once, not a problem: files skipped, sub-folders

    @property
    def warnings(self) -> list[str]:
        return self.kept_saves + [message for report in [*self.digests, self.notes] for message in report.warnings]

    @property
    def errors(self) -> list[str]:
        return [message for report in [*self.digests, self.notes] for message in report.errors]

    def read(self) -> list[DigestReport]:
        """The digests read: dated, and neither skipped as not digests nor unreadable."""
        return [report for report in self.digests if report.day is not None]

    def all_notices(self) -> list[str]:
        """The notices: the run's, then one per file skipped as not a digest."""
        return self.notices + [f"{report.skipped} — skipped" for report in self.digests if report.skipped]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "flavor": self.flavor,
            "digests_read": len(self.read()),
            "papers": {outcome: self.papers[outcome] for outcome in OUTCOMES},
            "index_notes": {outcome: self.index_notes[outcome] for outcome in OUTCOMES},
            "moved_notes_followed": self.moved,
            "state_rebuilt": self.rebuilt,
            "digests": [report.to_json() for report in self.digests],
            "changes": [{"action": action, "note": note} for action, note in self.changes],
            "notices": self.all_notices(),
            "warnings": self.warnings,
            "errors": self.errors,
        }

    def describe(self, *, dry_run: bool = False) -> str:
        """The summary printed after an import: what was read and what happened to the notes."""
        read = self.read()
        if not read and not self.errors:
            return "\n".join([*self.all_notices(), NOTHING])
        failed = sum(1 for report in read if report.errors and not report.papers)
        with_papers = sum(1 for report in read if report.papers)
        dates = [
            f"  {report.source}: dated {report.day} from its {report.date_source}"
            for report in read
            if report.date_source != "file name"
        ]

        def counts(counter: dict[Outcome, int]) -> str:
            shown = [f"{counter.get(outcome, 0)} {outcome}" for outcome in OUTCOMES[:3]]
            shown += [
                f"{counter[outcome]} {label}" for outcome, label in _RARE_OUTCOMES.items() if counter.get(outcome)
            ]
            return ", ".join(shown)

        lines = [
            *self.all_notices(),
            f"{KINDS[self.flavor]} ({self.flavor_reason})",
            ("Dry run, nothing written. " if dry_run else "")
            + f"{count(len(read), 'digest')} read ({with_papers} with papers, {len(read) - with_papers - failed} empty"
            + (f", {failed} failed)" if failed else ")")
            + (", dates from file names" if read and not dates else ""),
            *dates,
            f"papers: {counts(self.papers)}",
            f"index notes: {counts(self.index_notes)}",
            *([f"{self.moved} moved notes followed"] if self.moved else []),
            *([f"state store: {self.rebuilt}"] if self.rebuilt else []),
            f"{count(len(self.warnings), 'warning')}, {count(len(self.errors), 'error')}",
        ]
        return "\n".join(lines)
