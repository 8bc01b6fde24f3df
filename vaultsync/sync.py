"""The import pipeline: find digests → read → merge with what the vault has → render → write.

Each digest is one unit: its notes are written, then the state store is committed. A file that cannot
be read is reported and the others go on. Notes are found by identity (arXiv id, digest day) wherever
the user moved them; a note the user deleted stays deleted; what the user wrote always wins (see
`reconcile`). A digest imported before, unchanged, whose notes nobody touched, is not even parsed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from . import catalog, logseq_page, names
from .flavor import Flavor, resolve
from .index_merge import Task, merge_region, tasks_in, unread
from .layout import Layout, NoteNames
from .model import Digest, Entry, NotADigestError, Section
from .reader import date_from_name, decode, parse_digest
from .reconcile import Rendered, reconcile
from .records import merge, retag
from .render import QUEUE_LIST, QUEUE_TAG, IndexLine, Renderer
from .sources import DIGEST_PATTERNS, find_digests
from .state import DIGEST, JOURNAL, PAPER, QUEUE, DigestState, NoteState, StateStore
from .summary import DigestReport, Summary
from .vault import Vault, VaultError

_LINKED = re.compile(r"\[\[([^\]|#^\n]*)[^\]|\n]*(?:\|([^\]\n]*))?\]\]|\]\((https?://[^)\s]+)\)")


@dataclass(frozen=True)
class Options:
    """How to import: layout, template folders (searched before the defaults), fallback date, dry run,
    `force` (regenerate managed regions the user edited), `restore_deleted` (re-create deleted notes),
    `flavor` ("obsidian", "logseq", or "auto": Logseq if the vault is a Logseq graph), how keyword tags
    are renamed and prefixed, which files are digests."""

    layout: Layout = field(default_factory=Layout)
    template_dirs: tuple[Path, ...] = ()
    day: date | None = None
    dry_run: bool = False
    force: bool = False
    restore_deleted: bool = False
    flavor: str = "auto"
    tag_prefix: str = ""  # before every keyword tag: "arxiv/" gives nested tags
    tag_map: tuple[tuple[str, str], ...] = ()  # keyword tags renamed or merged
    patterns: tuple[str, ...] = DIGEST_PATTERNS  # which files in SRC are digests
    reading_queue: bool = True  # keep a note listing the papers not ticked yet (Obsidian)


def import_digests(
    src: Path | Iterable[Path],
    vault_root: Path,
    options: Options = Options(),
    progress: Callable[[DigestReport], None] | None = None,
) -> Summary:
    """Import into the vault at `vault_root` (created if missing) the digests at `src`: a digest file, a
    folder of them, or digest files to import in the order given (read lazily, so the caller may stop).

    Raises TemplateProblem or StateError before anything is written; `progress` gets each file's report.
    """
    paths = find_digests(src, patterns=options.patterns) if isinstance(src, Path) else src
    flavor, reason = resolve(options.flavor, vault_root, options.layout)
    summary = Summary(flavor=flavor.name, flavor_reason=reason)
    renderer = Renderer(flavor.layout, options.template_dirs, flavor)
    if not options.dry_run:
        vault_root.mkdir(parents=True, exist_ok=True)
    vault = Vault(vault_root, dry_run=options.dry_run)
    store, problem = StateStore.open(vault.state_file, dry_run=options.dry_run)
    with store as state:
        try:
            state.claim_flavor(flavor.name)
            run = _Run(vault, state, renderer, flavor, options, summary)
            folders = [flavor.layout.papers_folder, flavor.layout.digests_folder]
            vault.remove_leftovers(folders + ([flavor.journal.folder] if flavor.journal else []))
            if state.fresh:
                run.rebuild_state(problem)
            for path in paths:
                run.digest_file(path)
                state.commit()
                if progress:
                    progress(summary.digests[-1])
            if run.processed and options.reading_queue and flavor.name == "obsidian":
                run.papers_by_link, run.names = {}, None  # needed while importing digests only: free for the queue
                run.reading_queue()
            state.put_meta("last_import", datetime.now().astimezone().isoformat(timespec="seconds"))
            state.commit()
        except sqlite3.Error as error:  # a full disk, or damage found only now: the notes written are whole
            raise state.failure(error) from None
    return summary


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, ensure_ascii=False).encode()).hexdigest()[:16]


class _Run:
    """One import: the vault, the state and the renderer it works with, and the summary it fills."""

    def __init__(
        self, vault: Vault, state: StateStore, renderer: Renderer, flavor: Flavor, options: Options, summary: Summary
    ) -> None:
        self.vault, self.state, self.renderer, self.options, self.summary = vault, state, renderer, options, summary
        self.flavor, self.layout = flavor, flavor.layout
        self.fingerprint = _hash(renderer.fingerprint, options.tag_prefix, options.tag_map)
        self.outcomes: dict[PurePosixPath, str] = {}
        self.found: dict[tuple[str, str], list[catalog.FoundNote]] | None = None  # the vault scanned, once
        self.names: NoteNames | None = None  # the vault's note names, for links: walked once
        self.papers_by_link: dict[str, str] = {}  # note names, link labels and URLs → arXiv id
        self.report = DigestReport("")  # the digest file being imported
        self.processed = False  # whether any digest was read (not skipped as unchanged)

    def rebuild_state(self, problem: str | None) -> None:
        """Refill a new or reset state store from the notes in the vault, if there are any."""
        self.found = self.scan()
        if self.found:
            count = catalog.rebuild(self.state, self.found)
            self.summary.rebuilt = (
                f"{problem or 'no state store was found'}; rebuilt it from {count} notes"
                " (notes you deleted before are no longer remembered)"
            )

    # --- one digest file -------------------------------------------------------------------------

    def digest_file(self, path: Path) -> None:
        report = self.report = DigestReport(str(path))
        self.summary.digests.append(report)
        try:
            data = path.read_bytes()
            report.day, report.date_source = self.digest_date(path)
            inputs = _hash(self.fingerprint, path.name, hashlib.sha256(data).hexdigest())
            if self.unchanged_digest(report, inputs):
                return
            digest = retag(
                parse_digest(decode(data, str(path)), str(path)), self.options.tag_prefix, self.options.tag_map
            )
        except NotADigestError as error:
            report.errors.append(f"{error} — skipped")
            return
        except OSError as error:
            report.errors.append(f"{path}: cannot read ({error.strerror or error}) — skipped")
            return
        report.warnings.extend(str(problem) for problem in digest.problems)
        try:
            self.digest(digest, report, inputs)
        except VaultError as error:
            report.errors.append(f"{error} — rest of {path.name} skipped")

    def digest_date(self, path: Path) -> tuple[date, str]:
        from_name = date_from_name(path.name)
        if from_name:
            return from_name, "file name"
        if self.options.day:
            return self.options.day, "--date"
        return date.fromtimestamp(path.stat().st_mtime), "modification time"

    def unchanged_digest(self, report: DigestReport, inputs: str) -> bool:
        """True (and counted) if this very digest was imported before and none of its notes changed since."""
        assert report.day
        known = self.state.digest(report.day)
        if self.options.force or self.options.restore_deleted or not known or known.inputs != inputs:
            return False
        notes = [(DIGEST, report.day.isoformat(), self.summary.index_notes)]
        notes += [(PAPER, arxiv_id, self.summary.papers) for arxiv_id in known.papers]
        states = [self.state.note(kind, identity) for kind, identity, _ in notes]
        if not all(note and (note.deleted or self.untouched(note)) for note in states):
            return False
        for note, (_, _, counter) in zip(states, notes, strict=True):
            assert note
            self.count(note.path, "deleted" if note.deleted else "unchanged", counter)
        report.papers = len(known.papers)
        index = states[0]
        report.index_note = None if index is None or index.deleted else str(index.path)
        return True

    def untouched(self, note: NoteState, inputs: str | None = None) -> bool:
        """The note file is as vaultsync last left it (and, given `inputs`, was rendered from them)."""
        if note.signature is None:
            return False
        last_inputs, _, stamp = note.signature.partition("/")
        return (inputs is None or inputs == last_inputs) and stamp == self.vault.stamp(note.path)

    def digest(self, digest: Digest, report: DigestReport, inputs: str) -> None:
        assert report.day is not None
        day = report.day
        self.processed = True
        note = self.state.note(DIGEST, day.isoformat())
        if note and not note.deleted and self.vault.stamp(note.path) is None:
            # Follow a moved index note first: its papers link to it by name.
            moved = self.moved_to(DIGEST, day.isoformat(), note)
            if moved:
                self.state.put_note(DIGEST, day.isoformat(), NoteState(moved, note.written))
        index: list[tuple[Section, list[IndexLine]]] = []
        for section in digest.sections:
            index.append((section, [self.paper(entry, day, section) for entry in section.entries]))
        papers = tuple(dict.fromkeys(line.arxiv_id for _, lines in index for line in lines))
        report.papers = len(papers)
        if not papers:
            return
        known = self.state.digest(day)
        if known and Path(known.source).name != Path(report.source).name:
            report.warnings.append(
                f"{report.source}: {known.source} is also dated {day}; its index note now lists this one"
            )
        region = self.renderer.digest_body(day, index, self.shared_names())
        path = self.index_note(day, index, region, known.region if known else None)
        report.index_note = str(path) if path else None
        if path and self.flavor.journal:
            self.journal_entry(day, self.layout.page_name(path), len(papers))
        self.state.put_digest(day, DigestState(report.source, inputs, region, papers))

    def journal_entry(self, day: date, page: str, paper_count: int) -> None:
        """Reference the digest page from the day's journal page, once: a block the user removed
        stays removed."""
        assert self.flavor.journal
        if self.state.note(JOURNAL, day.isoformat()):
            return
        path = self.flavor.journal.path(day)
        existing = self.vault.read(path)
        text = logseq_page.with_digest_block(existing, page, paper_count)
        if text is not None:
            self.vault.write(path, text)
            self.summary.changes.append(("created" if existing is None else "updated", str(path)))
        self.state.put_note(JOURNAL, day.isoformat(), NoteState(path))

    def reading_queue(self) -> None:
        """Write the note listing every paper ticked in no index note, newest listing first."""
        index_notes = {day: note.path for day, note in self.state.notes(DIGEST) if not note.deleted}
        if not index_notes and self.state.note(QUEUE, "queue") is None:
            return  # nothing to read yet: no note either
        count, newest = unread(index_notes, lambda day: self.tasks(day, index_notes[day]), QUEUE_LIST)
        region = self.renderer.queue_body(count, newest)
        inputs = _hash(self.fingerprint, region)

        def render(path: PurePosixPath) -> Rendered:
            return Rendered({"tags": [QUEUE_TAG]}, region)

        self.save(QUEUE, "queue", inputs, render, lambda: self.layout.queue_path)

    # --- paper notes -----------------------------------------------------------------------------

    def paper(self, entry: Entry, day: date, section: Section) -> IndexLine:
        record = merge(self.state.record(entry.arxiv_id), entry, day, section)
        self.state.put_record(record)
        index_links = {day: link for day in record.days if (link := self.index_link(day))}
        inputs = _hash(self.fingerprint, record.to_json(), sorted(index_links.items()))

        def render(path: PurePosixPath) -> Rendered:
            managed = self.renderer.paper_body(record, index_links) if record.complete else None
            return Rendered(self.renderer.paper_metadata(record, index_links, path), managed, self.flavor.paper_tail)

        before = self.state.note(PAPER, entry.arxiv_id)
        path = self.save(PAPER, entry.arxiv_id, inputs, render, lambda: self.claim_paper_path(entry))
        for note in (before.path if before else None, path):  # an index line may link to either, by name or path
            if note:
                self.papers_by_link[self.layout.page_name(note)] = entry.arxiv_id
        for key in (entry.paper_url, record.paper_url, names.link_label(entry.title)):
            self.papers_by_link[key] = entry.arxiv_id
        return IndexLine(
            entry.arxiv_id, entry.title, entry.version, entry.updated, entry.paper_url, entry.code_url, path
        )

    def index_link(self, day: date) -> str | None:
        """The link target of the day's index note where it is not the layout's name: renamed by the user,
        or linked by path because another note has its name."""
        note = self.state.note(DIGEST, day.isoformat())
        path = note.path if note else self.layout.digest_path(day)
        shared = self.shared_names()
        if note is None and self.names and path not in self.names.expected and self.vault.stamp(path) is None:
            self.names.expect(path)  # about to be written: its name counts already
        link = self.layout.link_target(path, shared)
        return link if link != self.layout.digest_name_for(day) else None

    def shared_names(self) -> Container[str]:
        """The note names the vault has more than once, which links spell with a folder: from a walk of the
        vault done at most once per run, then kept up to date."""
        if not self.layout.folder_links:
            return frozenset()
        if self.names is None:
            folders = catalog.markdown_folders(self.vault, self.flavor.skip_folders)
            self.names = NoteNames(name for _, names in folders for name in names)
        return self.names.shared

    def claim_paper_path(self, entry: Entry) -> PurePosixPath:
        """A path for a paper new to the state: its name, or with its id when another note has that name."""
        return next(
            path
            for path in self.paper_path_candidates(entry)
            if self.state.path_owner(path) is None and self.is_free_or_own(path, PAPER, entry.arxiv_id)
        )

    def paper_path_candidates(self, entry: Entry) -> Iterator[PurePosixPath]:
        """The plain name, then with the arXiv id, then numbered: the list never runs out."""
        yield self.layout.paper_path(entry.title, entry.arxiv_id, entry.category)
        with_id = self.layout.paper_path(entry.title, entry.arxiv_id, entry.category, with_id=True)
        yield with_id
        for number in itertools.count(2):
            yield with_id.with_name(f"{with_id.stem} {number}.md")

    def is_free_or_own(self, path: PurePosixPath, kind: str, identity: str) -> bool:
        """No file there, or a note of ours for this very paper or day (left by a run that stopped early)."""
        text = self.existing(path)
        return text is None or self.is_note_of(text, kind, identity)

    def is_note_of(self, text: str, kind: str, identity: str) -> bool:
        if kind == QUEUE:  # one of a kind: a note of ours at its place is it
            return self.flavor.notes.split(text) is not None
        found = self.flavor.notes.identify(text)
        return found is not None and found[:2] == (kind, identity)

    # --- index notes ---------------------------------------------------------------------------------

    def index_note(
        self, day: date, index: list[tuple[Section, list[IndexLine]]], region: str, base: str | None
    ) -> PurePosixPath | None:
        """Write the day's index note: `region` just rendered, merged with the note as the user left it
        (`base`: the region written last time, if known)."""
        count = len({line.arxiv_id for _, lines in index for line in lines})
        inputs = _hash(self.fingerprint, region, count)

        def identify(line: str) -> str | None:
            """The paper a line links to: by link target, note name, link label or arXiv URL."""
            for target, label, url in _LINKED.findall(line):
                for key in (target, target.rsplit("/", 1)[-1], label, url):
                    if key and key in self.papers_by_link:
                        return self.papers_by_link[key]
            return None

        def merged(theirs: str) -> str:
            return merge_region(theirs, base, region, identify, force=self.options.force, tasks=self.flavor.tasks)

        def render(path: PurePosixPath) -> Rendered:
            return Rendered(self.renderer.digest_metadata(day, count), region, merge_region=merged)

        def claim() -> PurePosixPath:
            return self.layout.digest_path(day)

        return self.save(DIGEST, day.isoformat(), inputs, render, claim)

    # --- any note ----------------------------------------------------------------------------------

    def save(
        self,
        kind: str,
        identity: str,
        inputs: str,
        render: Callable[[PurePosixPath], Rendered],
        claim: Callable[[], PurePosixPath],
    ) -> PurePosixPath | None:
        """Create or update one note; its path, or None if the user deleted it."""
        counter = self.summary.papers if kind == PAPER else self.summary.index_notes if kind == DIGEST else Counter()
        note = self.state.note(kind, identity)
        if note and not note.deleted and not self.options.force and self.untouched(note, inputs):
            self.count(note.path, "unchanged", counter)
            return note.path
        path, existing = self.locate(kind, identity, note, claim)
        if path is None:
            assert note
            self.state.put_note(kind, identity, NoteState(note.path, note.written, None, deleted=True))
            self.count(note.path, "deleted", counter)
            return None
        result = reconcile(
            existing, render(path), note.written if note else {}, force=self.options.force, notes=self.flavor.notes
        )
        if result.text is None:
            self.report.warnings.append(
                f"{self.vault.root / path}: not a vaultsync note, or its markers or frontmatter are damaged"
                " — left as is"
            )
            self.count(path, "kept", counter)
            return path
        if result.text != existing:
            if self.names is not None and existing is None and self.vault.stamp(path) is None:
                self.names.add(path)
            self.vault.write(path, result.text)
        stamp = self.vault.stamp(path)
        signature = f"{inputs}/{stamp}" if stamp and not self.options.dry_run else None
        self.state.put_note(kind, identity, NoteState(path, result.written, signature, edited=result.outcome == "kept"))
        self.count(path, result.outcome, counter)
        return path

    def locate(
        self, kind: str, identity: str, note: NoteState | None, claim: Callable[[], PurePosixPath]
    ) -> tuple[PurePosixPath | None, str | None]:
        """Where the note is and its text (None: to be created); (None, None) if the user deleted it."""
        restore = self.options.restore_deleted
        if note is None:
            path = claim()
            return path, self.existing(path)
        if not note.deleted:
            text = self.vault.read(note.path)
            if text == "":  # emptied, by a power cut most likely: written again
                return note.path, None
            if text is not None and self.is_note_of(text, kind, identity):
                return note.path, text
            moved = self.moved_to(kind, identity, note)
            if moved:
                return moved, self.existing(moved)
        if not restore:
            return None, None
        if self.state.path_owner(note.path) in (None, (kind, identity)) and self.existing(note.path) is None:
            return note.path, None
        path = claim()
        return path, self.existing(path)

    def tasks(self, day: str, path: PurePosixPath) -> list[Task]:
        """The paper lines of an index note: read again only if the file changed since last time."""
        stamp = self.vault.stamp(path)
        known = self.state.tasks(day, stamp) if stamp else None
        if known is None:
            known = tasks_in((self.vault.read(path) or "").splitlines(), self.flavor.tasks)
            if stamp:
                self.state.put_tasks(day, stamp, known)
        return known

    def existing(self, path: PurePosixPath) -> str | None:
        """The note's text; None if there is no file or an empty one (a note a power cut left empty)."""
        return self.vault.read(path) or None

    def scan(self) -> dict[tuple[str, str], list[catalog.FoundNote]]:
        return catalog.scan(self.vault, self.flavor.notes.identify, self.flavor.skip_folders)

    def moved_to(self, kind: str, identity: str, note: NoteState) -> PurePosixPath | None:
        """Where the user moved or renamed a note, found by a scan of the vault done at most once per run."""
        if self.found is None:
            self.found = self.scan()
        for found in self.found.get((kind, identity), []):
            if found.path != note.path and self.state.path_owner(found.path) in (None, (kind, identity)):
                self.summary.moved += 1
                self.summary.changes.append(("moved", f"{note.path} → {found.path}"))
                return found.path
        return None

    def count(self, path: PurePosixPath, outcome: str, counter: Counter[str]) -> None:
        """A note touched twice in one run (or digest) counts once: as it first was, unless it was unchanged
        then."""
        in_digest = self.report.outcomes.get(str(path))
        if in_digest is None or (in_digest == "unchanged" and outcome != "unchanged"):
            self.report.outcomes[str(path)] = outcome
        before = self.outcomes.get(path)
        if before is None or (before == "unchanged" and outcome != "unchanged"):
            if before:
                counter[before] -= 1
            counter[outcome] += 1
            self.outcomes[path] = outcome
            if outcome in ("created", "updated"):
                self.summary.changes.append((outcome, str(path)))
