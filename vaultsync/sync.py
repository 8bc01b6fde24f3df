"""The import pipeline: find digests → read → merge with what the vault has → render → write.

Each digest is one unit: its notes are written, then the state store is committed. A file that cannot
be read is reported and the others go on.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from . import notefile
from .layout import Layout
from .model import Digest, Entry, NotADigestError, Section
from .reader import date_from_name, decode, parse_digest
from .records import merge
from .render import IndexLine, Renderer
from .state import StateStore
from .vault import Vault, VaultError

DIGEST_PATTERNS = ("*.md", "*.txt")
PAPER_TAIL = "\n## Notes\n\n"


@dataclass(frozen=True)
class Options:
    """How to import: layout, template folders (searched before the defaults), fallback date, dry run."""

    layout: Layout = field(default_factory=Layout)
    template_dirs: tuple[Path, ...] = ()
    day: date | None = None
    dry_run: bool = False


@dataclass
class DigestReport:
    source: str
    day: date | None = None
    date_source: str = ""  # "file name", "--date" or "modification time"
    papers: int = 0
    index_note: str | None = None


@dataclass
class Summary:
    """What an import did; `changes` lists (action, note path) for every note created or updated."""

    digests: list[DigestReport] = field(default_factory=list)
    papers: Counter[str] = field(default_factory=Counter)
    index_notes: Counter[str] = field(default_factory=Counter)
    changes: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "digests_read": sum(1 for report in self.digests if report.day is not None),
            "papers": {outcome: self.papers[outcome] for outcome in ("created", "updated", "unchanged", "kept")},
            "index_notes": {
                outcome: self.index_notes[outcome] for outcome in ("created", "updated", "unchanged", "kept")
            },
            "digests": [
                {**vars(report), "day": report.day.isoformat() if report.day else None} for report in self.digests
            ],
            "changes": [{"action": action, "note": note} for action, note in self.changes],
            "warnings": self.warnings,
            "errors": self.errors,
        }


def find_digests(src: Path) -> list[Path]:
    """The digest files at `src` (a file, or the `*.md`/`*.txt` files of a folder), oldest date first."""
    if src.is_file():
        return [src]
    files = {path for pattern in DIGEST_PATTERNS for path in src.glob(pattern) if path.is_file()}
    files = {path for path in files if not path.name.startswith(".")}
    return sorted(files, key=lambda path: (date_from_name(path.name) or date.max, path.name))


def import_digests(
    src: Path, vault_root: Path, options: Options = Options(), progress: Callable[[Path], None] | None = None
) -> Summary:
    """Import the digests at `src` into the vault at `vault_root` (created if missing).

    Raises TemplateProblem or StateError before anything is written; `progress` is called after each file.
    """
    summary = Summary()
    renderer = Renderer(options.layout, options.template_dirs)
    if not options.dry_run:
        vault_root.mkdir(parents=True, exist_ok=True)
    vault = Vault(vault_root, dry_run=options.dry_run)
    with StateStore.open(vault.state_file, dry_run=options.dry_run) as state:
        run = _Run(vault, state, renderer, options, summary)
        for path in find_digests(src):
            run.digest_file(path)
            state.commit()
            if progress:
                progress(path)
    return summary


class _Run:
    """One import: the vault, the state and the renderer it works with, and the summary it fills."""

    def __init__(self, vault: Vault, state: StateStore, renderer: Renderer, options: Options, summary: Summary) -> None:
        self.vault, self.state, self.renderer, self.options, self.summary = vault, state, renderer, options, summary
        self.layout = options.layout
        self.outcomes: dict[PurePosixPath, str] = {}

    def digest_file(self, path: Path) -> None:
        report = DigestReport(str(path))
        self.summary.digests.append(report)
        try:
            digest = parse_digest(decode(path.read_bytes(), str(path)), str(path))
            report.day, report.date_source = self.digest_date(path)
        except NotADigestError as error:
            self.summary.errors.append(f"{error} — skipped")
            return
        except OSError as error:
            self.summary.errors.append(f"{path}: cannot read ({error.strerror or error}) — skipped")
            return
        self.summary.warnings.extend(str(problem) for problem in digest.problems)
        try:
            self.digest(digest, report)
        except VaultError as error:
            self.summary.errors.append(f"{error} — rest of {path.name} skipped")

    def digest_date(self, path: Path) -> tuple[date, str]:
        from_name = date_from_name(path.name)
        if from_name:
            return from_name, "file name"
        if self.options.day:
            return self.options.day, "--date"
        return date.fromtimestamp(path.stat().st_mtime), "modification time"

    def digest(self, digest: Digest, report: DigestReport) -> None:
        assert report.day is not None
        day = report.day
        index: list[tuple[Section, list[IndexLine]]] = []
        for section in digest.sections:
            lines = [self.paper(entry, day, section) for entry in section.entries]
            index.append((section, lines))
        report.papers = len({line.arxiv_id for _, lines in index for line in lines})
        if report.papers:
            report.index_note = str(self.index_note(day, index, report))

    def paper(self, entry: Entry, day: date, section: Section) -> IndexLine:
        known = self.state.paper(entry.arxiv_id)
        path, record = known if known else (self.claim_paper_path(entry), None)
        record = merge(record, entry, day, section)
        metadata = self.renderer.paper_metadata(record)
        body = self.renderer.paper_body(record)
        if self.save(path, metadata, body, PAPER_TAIL, self.summary.papers):
            self.state.put_paper(path, record)
        return IndexLine(entry.arxiv_id, entry.title, entry.version, entry.updated, entry.code_url, path)

    def claim_paper_path(self, entry: Entry) -> PurePosixPath:
        """A path for a paper new to the state: its name, or with its id when another note has that name."""
        return next(
            path
            for path in self.paper_path_candidates(entry)
            if self.state.path_owner(path) is None and self.is_free_or_own(path, entry.arxiv_id)
        )

    def paper_path_candidates(self, entry: Entry) -> Iterator[PurePosixPath]:
        """The plain name, then with the arXiv id, then numbered: the list never runs out."""
        yield self.layout.paper_path(entry.title, entry.arxiv_id, entry.category)
        with_id = self.layout.paper_path(entry.title, entry.arxiv_id, entry.category, with_id=True)
        yield with_id
        for number in itertools.count(2):
            yield with_id.with_name(f"{with_id.stem} {number}.md")

    def is_free_or_own(self, path: PurePosixPath, arxiv_id: str) -> bool:
        """No file there, or a note of ours for this very paper (left by a run that stopped early)."""
        text = self.vault.read(path)
        if text is None:
            return True
        parts = notefile.split(text)
        return parts is not None and str(parts.metadata.get("arxiv_id")) == arxiv_id

    def index_note(
        self, day: date, index: list[tuple[Section, list[IndexLine]]], report: DigestReport
    ) -> PurePosixPath:
        known = self.state.digest(day)
        path = known[0] if known else self.layout.digest_path(day)
        if known and Path(known[1]).name != Path(report.source).name:
            self.summary.warnings.append(
                f"{report.source}: {known[1]} is also dated {day}; index note {path} now lists this one"
            )
        metadata = self.renderer.digest_metadata(day, report.papers)
        body = self.renderer.digest_body(day, index)
        if self.save(path, metadata, body, "", self.summary.index_notes):
            self.state.put_digest(day, path, report.source)
        return path

    def save(self, path: PurePosixPath, metadata: dict[str, Any], body: str, tail: str, counter: Counter[str]) -> bool:
        """Write the note if its text changes; count it once per run. False if the note was left alone."""
        existing = self.vault.read(path)
        if existing is None:
            text, outcome = notefile.compose(metadata, body, tail), "created"
        else:
            parts = notefile.split(existing)
            if parts is None:
                self.summary.warnings.append(
                    f"{self.vault.root / path}: not a vaultsync note, or its markers or frontmatter are damaged"
                    " — left as is"
                )
                self.count(path, "kept", counter)
                return False
            text = notefile.update(parts, metadata, body)
            outcome = "unchanged" if text == existing else "updated"
        if outcome != "unchanged":
            self.vault.write(path, text)
        self.count(path, outcome, counter)
        return True

    def count(self, path: PurePosixPath, outcome: str, counter: Counter[str]) -> None:
        """A note touched twice in one run counts once: as it first was, or as updated if it then changed."""
        before = self.outcomes.get(path)
        if before is None or (before == "unchanged" and outcome == "updated"):
            if before:
                counter[before] -= 1
            counter[outcome] += 1
            self.outcomes[path] = outcome
            if outcome in ("created", "updated"):
                self.summary.changes.append((outcome, str(path)))
