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
import time
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from vaultsync.flavors import Flavor, resolve
from vaultsync.flavors.layout import Layout, NoteNames
from vaultsync.flavors.logseq import page as logseq_page
from vaultsync.model import Digest, Entry, NotADigestError, Section
from vaultsync.pipeline import catalog
from vaultsync.pipeline.index_merge import merge_region
from vaultsync.pipeline.readahead import Prepared, Tagging, ahead
from vaultsync.pipeline.reader import date_from_name
from vaultsync.pipeline.reconcile import Rendered, reconcile
from vaultsync.pipeline.render import QUEUE_LIST, QUEUE_TAG, TOPIC_TAG, IndexLine, Renderer
from vaultsync.pipeline.sources import DIGEST_PATTERNS, find_digests
from vaultsync.records import merge
from vaultsync.storage.snapshot import QUIET, NoteBusy, NoteChanged, Snapshot, VaultError
from vaultsync.storage.state import DigestState, NoteKind, NoteState, StateStore
from vaultsync.storage.vault import STATE_DIR, Vault
from vaultsync.summary import DigestReport, Summary
from vaultsync.text import names, words
from vaultsync.text.reading import decide, in_index
from vaultsync.text.tasks import Task

ATTEMPTS = 5  # reads and merges of one note before it is left for the next import, if it keeps changing
CHANGING = "changed each time vaultsync was about to update it — left for the next import"
_URL_LINK = re.compile(r"\]\((https?://[^)\s]+)\)")  # `[label](url)`: a paper whose note the user deleted


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
    reading_queue: bool = True  # keep a note (and an Obsidian base) listing the papers not read yet
    topic_notes: bool = True  # a note per keyword tag, which paper notes link to (Obsidian)
    author_links: bool = False  # authors as links: `[[Ada Lovelace]]`
    cssclasses: tuple[str, ...] = ()  # Obsidian: the `cssclasses` of paper notes (none: no such key)
    jobs: int = 1  # processes: more than one parses digests ahead in workers (see `readahead`)


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
    if isinstance(paths, Sequence) and not paths:
        return summary  # nothing to import: nothing created either
    renderer = Renderer(
        flavor.layout, options.template_dirs, flavor, author_links=options.author_links, cssclasses=options.cssclasses
    )
    if not options.dry_run:
        vault_root.mkdir(parents=True, exist_ok=True)
    vault = Vault(vault_root, dry_run=options.dry_run)
    store, problem = StateStore.open(vault.state_file, dry_run=options.dry_run)
    with store as state:
        run: _Run | None = None
        try:
            state.claim_flavor(flavor.name)
            run = _Run(vault, state, renderer, flavor, options, summary)
            folders = [flavor.layout.papers_folder, flavor.layout.digests_folder]
            for kept in vault.remove_leftovers(folders + ([flavor.journal.folder] if flavor.journal else [])):
                run.kept_save(kept)
            if state.fresh:
                run.rebuild_state(problem)
            tagging = Tagging(options.tag_prefix, options.tag_map)
            with closing(ahead(paths, tagging, options.jobs, run.may_change)) as files:
                for file in files:
                    run.digest_file(file)
                    run.forget_released()
                    state.commit()
                    if progress:
                        progress(summary.digests[-1])
            run.papers_by_link = {}  # needed while importing digests only: free for the rest
            run.report = summary.notes  # the reading states and the queue are no digest's notes
            reading = run.sync_reading()
            if options.reading_queue and (reading or state.note(NoteKind.QUEUE, "queue")):
                run.reading_queue(reading)
            if run.topics:
                run.topic_notes(state.tags())
            state.commit()
            state.put_meta("last_import", datetime.now().astimezone().isoformat(timespec="seconds"))
            state.commit()
        except sqlite3.Error as error:  # a full disk, or damage found only now: the notes written are whole
            raise state.failure(error) from None
        finally:
            if run is not None:
                run.release()
    return summary


def _written_stamp(note: NoteState) -> str | None:
    """The file stamp (`Vault.stamp`) the note had when vaultsync last wrote it; None if vaultsync only
    checked it since (it holds bytes of someone else's, maybe an editor's save in progress)."""
    parts = note.signature.split("/") if note.signature else []
    return parts[1] if len(parts) == 2 else None


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, ensure_ascii=False).encode()).hexdigest()[:16]


class _Run:
    """One import: the vault, the state and the renderer it works with, and the summary it fills."""

    def __init__(
        self, vault: Vault, state: StateStore, renderer: Renderer, flavor: Flavor, options: Options, summary: Summary
    ) -> None:
        self.vault, self.state, self.renderer, self.options, self.summary = vault, state, renderer, options, summary
        self.flavor, self.layout = flavor, flavor.layout
        self.topics = options.topic_notes and flavor.topic_notes  # whether papers link to topic notes
        self.fingerprint = _hash(renderer.fingerprint, options.tag_prefix, options.tag_map, self.topics)
        self.outcomes: dict[PurePosixPath, str] = {}
        self.merged: set[PurePosixPath] = set()  # notes read and merged in this run (their `read` may be the user's)
        self.found: dict[tuple[str, str], list[catalog.FoundNote]] | None = None  # the vault scanned, once
        self.names: NoteNames | None = None  # the vault's note names, for links: walked once
        self.papers_by_link: dict[str, str] = {}  # note names, link labels and URLs → arXiv id
        self.report = DigestReport("")  # the digest file being imported
        self.processed = False  # whether any digest was read (not skipped as unchanged)
        self.index_paths: dict[date, PurePosixPath] = {}  # new index notes' paths, claimed before they are written
        self.retracted: set[date] = set()  # days whose digest was re-dated this run (see `redate`)
        self.replaced: dict[PurePosixPath, tuple[str, str, NoteState | None]] = {}  # notes replaced, as they were
        self.failed: set[str] = set()  # notes' errors reported in this run: each once, not once per digest
        self.days: dict[date, Path] = {}  # the digest file each day's index note is for in this import
        self.synced = state.reading()  # each paper's reading state as last synced
        self.imported: set[str] | None = None  # the inputs of the digests imported before, when asked for

    def note_error(self, error: VaultError) -> None:
        """Report a note that cannot be read or written (once per run); the rest of the import goes on."""
        if str(error) not in self.failed:
            self.failed.add(str(error))
            self.report.errors.append(str(error))

    def release(self) -> None:
        """Let go of the files notes replaced (see `Vault.release`), saying which an editor saved into late;
        vaultsync's memory of those notes goes back to what it was, as their update did not happen."""
        returned = self.vault.release()
        for rel, kept in self.vault.recovered:
            self.summary.kept_saves.append(
                f"{self.vault.root / rel}: saved twice by another program while vaultsync replaced it — the newer"
                f" save is in the note, the earlier one kept in {kept}; merge it by hand if it holds more"
            )
        self.vault.recovered.clear()
        for rel in returned:
            self.report.warnings.append(
                f"{self.vault.root / rel}: saved by another program while vaultsync replaced it — that save is"
                " back in place, and the next import merges it"
            )
            kind, identity, before = self.replaced[rel]
            if before is not None:
                with suppress(sqlite3.Error):  # a store found damaged is rebuilt at the next import anyway
                    self.state.put_note(kind, identity, replace(before, signature=None))
                    self.state.commit()
        self.replaced.clear()

    def kept_save(self, kept: Path) -> None:
        """Say where a save is that an editor made while vaultsync, killed since, held the file a note
        replaced. Put back in its note, that note's update did not happen: vaultsync's memory of what it
        wrote there is dropped, so nothing of its own counts as removed by the user."""
        rel = PurePosixPath(kept.relative_to(self.vault.root).as_posix())
        if STATE_DIR in rel.parts:
            self.summary.kept_saves.append(
                f"{kept}: a save made while vaultsync was stopped in the middle of updating a note that changed"
                " since — compare it with that note (its title is inside) and merge it by hand"
            )
            return
        self.summary.kept_saves.append(
            f"{kept}: a save made while vaultsync was stopped in the middle of updating this note — put back in"
            " its place"
        )
        owner = self.state.path_owner(rel)
        note = self.state.note(*owner) if owner else None
        if owner and note:
            self.state.put_note(*owner, replace(note, written={}, signature=None))

    def forget_released(self) -> None:
        """Keep the notes' earlier state only while their replaced file is held."""
        holding = self.vault.holding()
        self.replaced = {path: was for path, was in self.replaced.items() if path in holding}

    def rebuild_state(self, problem: str | None) -> None:
        """Refill a new or reset state store from the notes in the vault, if there are any."""
        self.found = self.scan()
        if self.found or problem:
            rebuilt = catalog.rebuild(self.state, self.found)
            self.synced = self.state.reading()  # as the notes say: a rebuilt store flips nothing
            self.summary.rebuilt = (
                f"{problem or 'no state store was found'}; rebuilt it from {words.count(rebuilt, 'note')}"
                " (notes you deleted before are no longer remembered)"
            )

    # --- one digest file -------------------------------------------------------------------------

    def may_change(self, file: Prepared) -> bool:
        """Whether the digest file was not imported before as it is (if it was, its digest is rarely needed)."""
        if self.imported is None:
            self.imported = {known.inputs for _, known in self.state.digests()}
        return _hash(self.fingerprint, file.path.name, file.checksum) not in self.imported

    def digest_file(self, file: Prepared) -> None:
        path = file.path
        report = self.report = DigestReport(str(path))
        self.summary.digests.append(report)
        try:
            inputs = _hash(self.fingerprint, path.name, file.checksum)
            day, date_source = self.digest_date(path)
            if self.unchanged_digest(report, day, inputs):
                self.take_date(path, report, day, date_source)
                return
            digest = file.digest()
        except NotADigestError as error:
            if date_from_name(path.name):  # named like a digest: it should have been one
                report.errors.append(f"{error} — skipped")
            else:
                report.skipped = str(error)
            return
        except OSError as error:
            report.errors.append(f"{path}: cannot read ({error.strerror or error}) — skipped")
            return
        if not self.take_date(path, report, day, date_source):
            return
        report.warnings.extend(str(problem) for problem in digest.problems)
        try:
            self.digest(digest, report, inputs)
        except VaultError as error:
            report.errors.append(f"{error} — rest of {path.name} skipped")

    def take_date(self, path: Path, report: DigestReport, day: date, date_source: str) -> bool:
        """Date the digest at `path` (known to be one), warning of a date from its modification time; False,
        with an error naming both, if another file of this import has that day (two undated files and
        `--date`, say): one day's index note lists one digest file."""
        first = self.days.setdefault(day, path)
        if first != path:
            report.errors.append(
                f"{path}: dated {day} from its {date_source}, like {first} — one day's index note lists one"
                " digest file: skipped; give it a date of its own (in its name, or alone with --date)"
            )
            return False
        report.day, report.date_source = day, date_source
        if date_source == "modification time":
            report.warnings.append(
                f"{path}: no date in its name — dated {day} from its modification time;"
                " put the date in its name (2024-01-18.md) or give --date"
            )
        return True

    def digest_date(self, path: Path) -> tuple[date, str]:
        """The digest's day and where it came from: its file name, `--date`, or its modification time."""
        from_name = date_from_name(path.name)
        if from_name:
            return from_name, "file name"
        if self.options.day:
            return self.options.day, "--date"
        return date.fromtimestamp(path.stat().st_mtime), "modification time"

    def unchanged_digest(self, report: DigestReport, day: date, inputs: str) -> bool:
        """True (and counted) if this very digest was imported before and none of its notes changed since."""
        known = self.state.digest(day)
        if self.options.force or self.options.restore_deleted or not known or known.inputs != inputs:
            return False
        notes = [(NoteKind.DIGEST, day.isoformat(), self.summary.index_notes)]
        notes += [(NoteKind.PAPER, arxiv_id, self.summary.papers) for arxiv_id in known.papers]
        states = [self.state.note(kind, identity) for kind, identity, _ in notes]
        if not all(note and (self.still_deleted(note) if note.deleted else self.untouched(note)) for note in states):
            return False
        for note, (_, _, counter) in zip(states, notes, strict=True):
            assert note
            self.count(note.path, "deleted" if note.deleted else "unchanged", counter)
        report.papers = len(known.papers)
        index = states[0]
        report.index_note = None if index is None or index.deleted else str(index.path)
        return True

    def still_deleted(self, note: NoteState) -> bool:
        """A note the user deleted is not back at its place (restored from the trash, say)."""
        return not self.vault.exists(note.path)

    def untouched(self, note: NoteState, inputs: str | None = None) -> bool:
        """The note file is as vaultsync last left it (and, given `inputs`, was rendered from them)."""
        if note.signature is None:
            return False
        last_inputs, stamp, *_ = note.signature.split("/")
        return (inputs is None or inputs == last_inputs) and stamp == self.vault.stamp(note.path)

    def digest(self, digest: Digest, report: DigestReport, inputs: str) -> None:
        assert report.day is not None
        day = report.day
        self.processed = True
        note = self.state.note(NoteKind.DIGEST, day.isoformat())
        if note and not note.deleted and self.vault.stamp(note.path) is None:
            # Follow a moved index note first: its papers link to it by name.
            moved = self.moved_to(NoteKind.DIGEST, day.isoformat(), note)
            if moved:
                self.state.put_note(NoteKind.DIGEST, day.isoformat(), NoteState(moved, note.written))
        if report.date_source != "file name":  # a file dated by its name is never re-dated
            self.redate(digest, day, report)
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

    def redate(self, digest: Digest, day: date, report: DigestReport) -> None:
        """Undo the import of this very digest under another day: the same file listing the same papers,
        dated from its modification time before and given `--date` now, say. That day comes off its papers,
        and its index note goes if the user never changed it (else it stays, with a warning)."""
        papers = tuple(dict.fromkeys(entry.arxiv_id for entry in digest.entries))
        source = Path(report.source).name
        for other, known in list(self.state.digests()):
            if other == day or Path(known.source).name != source or known.papers != papers:
                continue
            self.retracted.add(other)
            for arxiv_id in papers:
                record = self.state.record(arxiv_id)
                listings = tuple(item for item in record.listings if item.day != other) if record else ()
                if listings:
                    self.state.put_record(replace(record, listings=listings))
                elif record:  # listed on that day only: the paper starts again from this digest's entry
                    self.state.forget_record(arxiv_id)
            note = self.state.note(NoteKind.DIGEST, other.isoformat())
            self.state.forget_digest(other)
            if note is None or note.deleted:
                continue
            snap = self.vault.snapshot(note.path) if self.untouched(note) else None
            if snap and self.vault.remove(note.path, snap):
                self.summary.changes.append(("removed", str(note.path)))
            elif self.vault.exists(note.path):
                report.warnings.append(
                    f"{self.vault.root / note.path}: lists {source} as of {other}, now dated {day}; you changed"
                    " it, so it stays — delete it once you no longer need it"
                )

    def journal_entry(self, day: date, page: str, paper_count: int) -> None:
        """Reference the digest page from the day's journal page, once: a block the user removed
        stays removed."""
        assert self.flavor.journal
        if self.state.note(NoteKind.JOURNAL, day.isoformat()):
            return
        path = self.flavor.journal.path(day)
        for _ in range(ATTEMPTS):
            try:
                snap = self.vault.snapshot(path)
                text = logseq_page.with_digest_block(snap.text if snap else None, page, paper_count)
                if text is not None:
                    self.vault.write(path, text, snap)
                    self.summary.changes.append(("created" if snap is None else "updated", str(path)))
            except NoteChanged:
                continue
            except VaultError as error:
                self.note_error(error)
                return
            self.state.put_note(NoteKind.JOURNAL, day.isoformat(), NoteState(path))
            return
        self.report.warnings.append(f"{self.vault.root / path}: {CHANGING}")

    # --- reading states and the queue ----------------------------------------------------------------

    def sync_reading(self) -> dict[str, bool]:
        """Sync each paper's reading state between its note's `read` and its lines in the index notes (see
        `reading.decide`): the note and the index lines that disagree with the outcome are updated, and
        the outcome remembered. The reading state of every paper that has a note, by arXiv id.

        Only what changed since is read: index notes' lines are cached by file signature, and a paper
        note untouched since vaultsync wrote or synced it still says what was synced."""
        papers = dict(self.state.signatures(NoteKind.PAPER))  # light: a note is read only where it changed
        by_name = {self.layout.page_name(note.path).casefold(): identity for identity, note in papers.items()}

        def paper_of(target: str) -> str | None:
            return by_name.get(target.rsplit("/", 1)[-1].casefold())

        lines: dict[str, list[tuple[str, bool]]] = {}  # arXiv id → (day, done) of each of its index lines
        index_notes = {day: note for day, note in self.state.notes(NoteKind.DIGEST) if not note.deleted}
        for day, note in index_notes.items():
            try:
                tasks = self.tasks(day, note.path)
            except VaultError as error:
                self.note_error(error)
                continue
            for target, _, done in tasks:
                paper = paper_of(target)
                if paper:
                    lines.setdefault(paper, []).append((day, done))
        states: dict[str, bool] = {}
        fix_days: dict[str, dict[str, bool]] = {}
        for identity, note in papers.items():
            synced = self.synced.get(identity)
            checked = self.outcomes.get(note.path) == "unchanged"  # found untouched in this run already
            fresh = synced is None or note.path in self.merged or not (checked or self.untouched(note))
            if self.outcomes.get(note.path) == "created":  # written in this run: `read` as rendered
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

        return self.edit_note(NoteKind.PAPER, identity, note, edit, self.summary.papers)

    def restatus_index(self, day: str, note: NoteState, wanted: Callable[[str], bool | None]) -> None:
        """Tick (Logseq: DONE) or untick (TODO) the lines of an index note as `wanted(link target)` says."""

        for _ in range(ATTEMPTS):
            try:
                snap = self.snapshot(note.path, note)
                if not snap or not snap.text:
                    return
                text = self.flavor.index_restatus(snap.text, wanted)
                if text == snap.text:
                    return
                self.write_synced(NoteKind.DIGEST, day, note, snap, text, self.summary.index_notes)
                stamp = self.vault.stamp(note.path)
                if stamp:
                    self.state.put_tasks(day, stamp, self.flavor.index_tasks(text))
                return
            except NoteChanged:
                continue
            except VaultError as error:
                self.note_error(error)
                return
        self.report.warnings.append(f"{self.vault.root / note.path}: {CHANGING}")

    def edit_note(
        self, kind: str, identity: str, note: NoteState, edit: Callable[[Any], str | None], counter: Counter[str]
    ) -> bool:
        """Apply `edit` (the note's parts → its new text, None: not possible) to a note of vaultsync's, by
        compare-and-swap; whether it now says what `edit` makes of it."""
        for _ in range(ATTEMPTS):
            try:
                snap = self.snapshot(note.path, note)
                parts = self.flavor.notes.split(snap.text) if snap and snap.text else None
                text = edit(parts) if parts is not None else None
                if text is None or snap is None:
                    return False
                if text != snap.text:
                    if snap.read_only:
                        self.report.warnings.append(f"{self.vault.root / note.path}: read-only — left as is")
                        return False
                    self.write_synced(kind, identity, note, snap, text, counter)
                return True
            except NoteChanged:
                continue
            except VaultError as error:
                self.note_error(error)
                return False
        self.report.warnings.append(f"{self.vault.root / note.path}: {CHANGING}")
        return False

    def write_synced(
        self, kind: str, identity: str, note: NoteState, snap: Snapshot, text: str, counter: Counter[str]
    ) -> None:
        """Write a note whose reading states were synced; a note vaultsync's memory said untouched stays so."""
        untouched = self.untouched(note)
        self.vault.write(note.path, text, snap)
        self.replaced.setdefault(note.path, (kind, identity, note))
        current = self.state.note(kind, identity) or note
        stamp = self.vault.stamp(note.path)
        if untouched and note.signature and stamp and not self.options.dry_run:
            signature = f"{note.signature.split('/')[0]}/{stamp}"
            self.state.put_note(kind, identity, replace(current, signature=signature))
        self.count(note.path, "updated", counter)

    def reading_queue(self, reading: dict[str, bool]) -> None:
        """Write the note (Logseq: the page) of the papers to read, newest first, and the Obsidian base;
        `reading`: each paper's reading state."""
        unread = [paper for paper in self.state.first_seen() if reading.get(paper[0]) is False]
        unread.sort(key=lambda paper: (-paper[1].toordinal(), paper[2].casefold()))
        newest, shared = [], self.shared_names() if unread else frozenset()
        for arxiv_id, first_seen, title in unread[:QUEUE_LIST]:
            note = self.state.note(NoteKind.PAPER, arxiv_id)
            if note:
                newest.append((self.layout.link_target(note.path, shared), title, first_seen))
        region = self.renderer.queue_body(len(unread), newest)
        inputs = _hash(self.fingerprint, region)

        def render(path: PurePosixPath) -> Rendered:
            return Rendered({"tags": [QUEUE_TAG]}, region)

        def claim() -> PurePosixPath:
            return self.claim(self.numbered(self.layout.queue_path), NoteKind.QUEUE, "queue")

        self.save(NoteKind.QUEUE, "queue", inputs, render, claim)
        if self.flavor.name == "obsidian":
            self.queue_base()

    def topic_notes(self, tags: set[str]) -> None:
        """Write a note per keyword tag (`tags`: the papers') in `arXiv/Topics/<tag>.md`: queries of its
        papers, so the graph clusters papers by topic; one the user deleted stays deleted."""
        for tag in sorted(tags):
            region = self.renderer.topic_body(tag)

            def render(path: PurePosixPath, tag: str = tag, region: str = region) -> Rendered:
                return Rendered({"topic": tag, "tags": [TOPIC_TAG]}, region)

            def claim(tag: str = tag) -> PurePosixPath:
                return self.claim(self.numbered(self.layout.topic_path(tag)), NoteKind.TOPIC, tag)

            self.save(NoteKind.TOPIC, tag, _hash(self.fingerprint, region), render, claim)

    def queue_base(self) -> None:
        """Write `Reading queue.base` if it is not there yet, or still as vaultsync last wrote it: a base
        the user edited is theirs, one they deleted stays deleted."""
        path, text = self.layout.queue_base_path, self.renderer.queue_base()
        known = self.state.note(NoteKind.QUEUE, "base")
        try:
            snap = self.vault.snapshot(known.path if known else path)
            if known and snap is None:
                return  # deleted by the user
            if snap is not None and snap.text != text and (not known or known.written.get("sha") != [_hash(snap.text)]):
                return  # the user's
            if snap is None or snap.text != text:
                self.vault.write(path if snap is None else known.path if known else path, text, snap)
                self.summary.changes.append(("created" if snap is None else "updated", str(path)))
        except (NoteChanged, VaultError) as error:
            if isinstance(error, VaultError):
                self.note_error(error)
            return
        self.state.put_note(NoteKind.QUEUE, "base", NoteState(known.path if known else path, {"sha": [_hash(text)]}))

    # --- paper notes -----------------------------------------------------------------------------

    def paper(self, entry: Entry, day: date, section: Section) -> IndexLine:
        record = merge(self.state.record(entry.arxiv_id), entry, day, section)
        self.state.put_record(record)
        index_links = {day: link for day in record.days if (link := self.index_link(day))}
        inputs = _hash(self.fingerprint, record.to_json(), sorted(index_links.items()))
        read = self.synced.get(entry.arxiv_id, False)  # a note's own `read` is kept: synced after the digests

        def render(path: PurePosixPath) -> Rendered:
            managed = self.renderer.paper_body(record, index_links) if record.complete else None
            topics = [self.topic_link(tag) for tag in record.tags] if self.topics else None
            metadata = self.renderer.paper_metadata(record, index_links, path, read, topics)
            return Rendered(metadata, managed, self.flavor.paper_tail, retracted=frozenset(self.retracted))

        before = self.state.note(NoteKind.PAPER, entry.arxiv_id)
        path = self.save(NoteKind.PAPER, entry.arxiv_id, inputs, render, lambda: self.claim_paper_path(entry))
        for note in (before.path if before else None, path):  # an index line may link to either, by name or path
            if note:
                self.papers_by_link[self.layout.page_name(note)] = entry.arxiv_id
        for key in (entry.paper_url, record.paper_url, names.link_label(entry.title)):
            self.papers_by_link[key] = entry.arxiv_id
        return IndexLine(
            entry.arxiv_id, entry.title, entry.version, entry.updated, entry.paper_url, entry.code_url, path, read
        )

    def topic_link(self, tag: str) -> str:
        """The link target of a topic's note: its name, or its path where another note has the name."""
        note = self.state.note(NoteKind.TOPIC, tag)
        path = note.path if note and not note.deleted else self.layout.topic_path(tag)
        shared = self.shared_names()
        if note is None and self.names and self.vault.stamp(path) is None:
            self.names.expect(path)  # about to be written: its name counts already
        return self.layout.link_target(path, shared)

    def index_link(self, day: date) -> str | None:
        """The link target of the day's index note where it is not the layout's name: renamed by the user,
        or linked by path because another note has its name."""
        note = self.state.note(NoteKind.DIGEST, day.isoformat())
        path = note.path if note else self.new_index_path(day)
        shared = self.shared_names()
        if note is None and self.names and path not in self.names.expected and self.vault.stamp(path) is None:
            self.names.expect(path)  # about to be written: its name counts already
        link = self.layout.link_target(path, shared)
        return link if link != self.layout.digest_name_for(day) else None

    def new_index_path(self, day: date) -> PurePosixPath:
        """Where the day's index note goes if it has none: its name, numbered if a note of the user's has
        it (claimed once per run, so its papers link to where it will be)."""
        if day not in self.index_paths:
            self.index_paths[day] = self.claim(
                self.numbered(self.layout.digest_path(day)), NoteKind.DIGEST, day.isoformat()
            )
        return self.index_paths[day]

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
        return self.claim(self.paper_path_candidates(entry), NoteKind.PAPER, entry.arxiv_id)

    def paper_path_candidates(self, entry: Entry) -> Iterator[PurePosixPath]:
        """The plain name, then with the arXiv id, then numbered: the list never runs out."""
        yield self.layout.paper_path(entry.title, entry.arxiv_id, entry.category)
        yield from self.numbered(self.layout.paper_path(entry.title, entry.arxiv_id, entry.category, with_id=True))

    def claim(self, candidates: Iterable[PurePosixPath], kind: str, identity: str) -> PurePosixPath:
        """The first candidate path no other note has: no file there, or a note of ours for this very paper
        or day (left by a run that stopped early, or whose state was lost). Names are compared as macOS,
        Windows and sync services compare them, ignoring case and Unicode normalisation; the folder's own
        spelling of a name is kept."""
        for path in candidates:
            if self.state.path_owner(path) in (None, (kind, identity)):
                actual = self.vault.twin(path)
                if actual is None or self.is_free_or_own(actual, kind, identity):
                    return actual or path
        raise AssertionError("unreachable: the candidates never run out")

    def numbered(self, path: PurePosixPath) -> Iterator[PurePosixPath]:
        """`path`, then `path` with 2, 3, … after its name."""
        yield path
        for number in itertools.count(2):
            yield path.with_name(f"{path.stem} {number}.md")

    def is_free_or_own(self, path: PurePosixPath, kind: str, identity: str) -> bool:
        """An empty file there, or a note of ours for this very paper or day. A note that cannot be decoded
        is judged by what can be read of it: it is the user's to repair, not a name to take beside it."""
        try:
            text = self.vault.read(path, strict=False)
        except VaultError:
            return False
        return not text or self.is_note_of(text, kind, identity)

    def is_note_of(self, text: str, kind: str, identity: str) -> bool:
        if kind == NoteKind.QUEUE:  # one of a kind: a note of ours at its place is it
            return self.flavor.notes.split(text) is not None
        if kind == NoteKind.TOPIC:  # a topic's note says which topic
            parts = self.flavor.notes.split(text)
            return parts is not None and parts.metadata.get("topic") == identity
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
            for link in self.flavor.tasks.link.finditer(line):  # the flavor's link grammar
                target = link["target"]
                for key in (target, target.rsplit("/", 1)[-1], link.groupdict().get("label")):
                    if key and key in self.papers_by_link:
                        return self.papers_by_link[key]
            urls = [url for url in _URL_LINK.findall(line) if url in self.papers_by_link]
            return self.papers_by_link[urls[0]] if urls else None

        def merged(theirs: str) -> str:
            return merge_region(theirs, base, region, identify, force=self.options.force, tasks=self.flavor.tasks)

        def render(path: PurePosixPath) -> Rendered:
            return Rendered(self.renderer.digest_metadata(day, count), region, merge_region=merged)

        def claim() -> PurePosixPath:
            return self.new_index_path(day)

        return self.save(NoteKind.DIGEST, day.isoformat(), inputs, render, claim)

    # --- any note ----------------------------------------------------------------------------------

    def save(
        self,
        kind: str,
        identity: str,
        inputs: str,
        render: Callable[[PurePosixPath], Rendered],
        claim: Callable[[], PurePosixPath],
    ) -> PurePosixPath | None:
        """Create or update one note; its path (None if the user deleted it, or it could not be created).

        The note is read, merged and written only if it still is what was read; if it changed meanwhile
        (the user saved it), all over again. A note that cannot be read or written is an error of its own:
        the digest's other notes go on."""
        counter = (
            self.summary.papers
            if kind == NoteKind.PAPER
            else self.summary.index_notes
            if kind == NoteKind.DIGEST
            else Counter()
        )
        note = self.state.note(kind, identity)
        if note and not note.deleted and not self.options.force and self.untouched(note, inputs):
            self.count(note.path, "unchanged", counter)
            return note.path
        path = note.path if note and not note.deleted else None
        try:
            for _ in range(ATTEMPTS):
                try:
                    found = self.locate(kind, identity, note, claim)
                    if found is None:
                        assert note
                        self.state.put_note(kind, identity, NoteState(note.path, note.written, None, deleted=True))
                        self.count(note.path, "deleted", counter)
                        return None
                    path, snap = found
                    return self.merge_into(kind, identity, note, path, snap, inputs, render, counter)
                except NoteChanged:
                    continue
        except NoteBusy as busy:
            self.report.warnings.append(str(busy))
            self.count(busy.path, "kept", counter)
            return busy.path if self.vault.exists(busy.path) else None
        except VaultError as error:
            self.note_error(error)
            return path if path and self.vault.exists(path) else None
        self.report.warnings.append(f"{self.vault.root / path if path else identity}: {CHANGING}")
        return path

    def merge_into(
        self,
        kind: str,
        identity: str,
        note: NoteState | None,
        path: PurePosixPath,
        snap: Snapshot | None,
        inputs: str,
        render: Callable[[PurePosixPath], Rendered],
        counter: Counter[str],
    ) -> PurePosixPath:
        """Merge the rendered note into the note `snap` at `path` (None: there is none yet) and write it
        if it is still that; NoteChanged if it is not."""
        existing = snap.text if snap else None
        self.merged.add(path)
        if existing == "":
            if note is None or not self.emptied_by_crash(note, snap):
                self.report.warnings.append(
                    f"{self.vault.root / path}: empty (being saved, or emptied by you) — left as is;"
                    " delete it to have vaultsync forget it"
                )
                self.count(path, "kept", counter)
                return path
            existing = None  # vaultsync's own note, emptied by a power cut: written again
        result = reconcile(
            existing, render(path), note.written if note else {}, force=self.options.force, notes=self.flavor.notes
        )
        if result.text is None:
            assert existing is not None
            self.report.warnings.append(f"{self.vault.root / path}: {self.flavor.damage(existing)}")
            self.count(path, "kept", counter)
            return path
        if result.text != existing and snap and snap.read_only:
            self.report.warnings.append(f"{self.vault.root / path}: read-only — left as is; make it writable")
            self.count(path, "kept", counter)
            return path
        if result.text != existing:
            self.vault.write(path, result.text, snap)
            if self.names is not None and snap is None:
                self.names.add(path)
        self.report.warnings.extend(f"{self.vault.root / path}: {warning}" for warning in result.warnings)
        stamp = self.vault.stamp(path)
        written = result.text != existing or (snap is not None and snap.ours)
        seen = "" if written else "/seen"  # only checked: the bytes are someone else's (an editor's save?)
        signature = f"{inputs}/{stamp}{seen}" if stamp and not self.options.dry_run else None
        if snap is not None and result.text != existing and not self.options.dry_run:
            self.replaced.setdefault(path, (kind, identity, note))  # as it was, if the editor's file is put back
        self.state.put_note(kind, identity, NoteState(path, result.written, signature, edited=result.outcome == "kept"))
        self.count(path, result.outcome, counter)
        return path

    def emptied_by_crash(self, note: NoteState, snap: Snapshot | None) -> bool:
        """Whether an empty note is the very file vaultsync last wrote (same inode and time): a power cut
        emptied it. Any other empty note is being saved by an editor, or the user emptied it."""
        stamp = _written_stamp(note)
        if snap is None or stamp is None:
            return False
        mtime, _, inode = stamp.split(":")
        return (str(snap.mtime_ns), str(snap.inode)) == (mtime, inode)

    def snapshot(self, path: PurePosixPath, note: NoteState | None = None) -> Snapshot | None:
        """The note at `path`, once nobody is writing it; `note`: vaultsync's last word on it."""
        return self.vault.snapshot(path, _written_stamp(note) if note else None)

    def locate(
        self, kind: str, identity: str, note: NoteState | None, claim: Callable[[], PurePosixPath]
    ) -> tuple[PurePosixPath, Snapshot | None] | None:
        """Where the note is and what it holds (None: to be created); None if the user deleted it.

        A note is found at its known path whatever it holds, unless that is another note of vaultsync's:
        one whose frontmatter the user broke is still the note (kept as it is until it is repaired). A note
        deleted, then put back at its path (restored from the trash), is found again."""
        if note is None:
            path = claim()
            return path, self.snapshot(path)
        snap = self.snapshot(note.path, note)
        if snap is not None:
            seen = self.flavor.notes.identify(snap.text) if snap.text else None
            if seen is None and not note.deleted or seen is not None and seen[:2] == (kind, identity):
                return note.path, snap
        if not note.deleted:
            moved = self.moved_to(kind, identity, note)
            if moved:
                return moved, self.snapshot(moved)
            if snap is None and self.saved_by_recreating(note.path):
                raise NoteChanged
        if not self.options.restore_deleted:
            return None
        if self.state.path_owner(note.path) in (None, (kind, identity)) and snap is None:
            return note.path, None
        path = claim()
        return path, self.snapshot(path)

    def tasks(self, day: str, path: PurePosixPath) -> list[Task]:
        """The paper lines of an index note: read again only if the file changed since last time."""
        stamp = self.vault.stamp(path)
        known = self.state.tasks(day, stamp) if stamp else None
        if known is None:
            known = self.flavor.index_tasks(self.vault.read(path) or "")
            if stamp:
                self.state.put_tasks(day, stamp, known)
        return known

    def scan(self) -> dict[tuple[str, str], list[catalog.FoundNote]]:
        return catalog.scan(self.vault, self.flavor.notes.identify, self.flavor.skip_folders)

    def saved_by_recreating(self, path: PurePosixPath) -> bool:
        """Whether a note found missing is back a moment later: an editor that saves by deleting the file
        and creating it again, caught in between."""
        if not self.vault.changed_lately(path.parent):
            return False  # deleted a while ago: no need to wait
        time.sleep(QUIET)
        return self.vault.exists(path)

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
