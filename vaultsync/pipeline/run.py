"""The import pipeline: find digests → read → merge with what the vault has → render → write.

Each digest is one unit: its notes are written, then the state store is committed. A file that cannot
be read is reported and the others go on. Notes are found by identity (arXiv id, digest day) wherever
the user moved them; a note the user deleted stays deleted; what the user wrote always wins (see
`reconcile`). A digest imported before, unchanged, whose notes nobody touched, is not even parsed.

This module is the loop over the digests; the notes are written by the note writer (`notes`, finding
them with `places`), linked by the link index (`links`); after the digests come the sync of reading
states (`reading_sync`), the reading queue and the flavor's hooks (`hooks`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path, PurePosixPath

from vaultsync.flavors import Flavor, resolve
from vaultsync.flavors.layout import Layout
from vaultsync.model import Digest, Entry, NotADigestError, Section
from vaultsync.pipeline import catalog
from vaultsync.pipeline.drafts import Draft, Drafter
from vaultsync.pipeline.hooks import Hooks
from vaultsync.pipeline.index_merge import merge_region
from vaultsync.pipeline.links import LinkIndex
from vaultsync.pipeline.notes import NoteWriter, fingerprint
from vaultsync.pipeline.readahead import Prepared, Tagging, ahead
from vaultsync.pipeline.reader import date_from_name
from vaultsync.pipeline.reading_sync import ReadingSync
from vaultsync.pipeline.reconcile import Rendered
from vaultsync.pipeline.render import QUEUE_LIST, QUEUE_TAG, IndexLine, Renderer
from vaultsync.pipeline.sources import DIGEST_PATTERNS, find_digests
from vaultsync.pipeline.sweep import Sweep
from vaultsync.pipeline.unchanged import UnchangedDigests
from vaultsync.records import merge
from vaultsync.storage.snapshot import VaultError
from vaultsync.storage.state import DigestState, NoteKind, NoteState, StateStore
from vaultsync.storage.vault import Vault
from vaultsync.summary import DigestReport, Summary
from vaultsync.text import words


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
                run.writer.kept_save(kept)
            if state.fresh:
                run.rebuild_state(problem)
            tagging = Tagging(options.tag_prefix, options.tag_map)
            drafter = Drafter.of(renderer, run.fingerprint, run.topics)
            with closing(ahead(paths, tagging, options.jobs, run.may_change, drafter)) as files:
                for file in files:
                    vault.check_in_place()
                    run.digest_file(file)
                    run.writer.forget_released()
                    state.commit()
                    if progress:
                        progress(summary.digests[-1])
            run.finish(summary.notes)  # the reading states and the queue are no digest's notes
            state.commit()
            state.put_meta("last_import", datetime.now().astimezone().isoformat(timespec="seconds"))
            state.commit()
        except sqlite3.Error as error:  # a full disk, or damage found only now: the notes written are whole
            vault.check_in_place()  # or the vault moved away, its store with it
            raise state.failure(error) from None
        finally:
            if run is not None:
                run.writer.release(summary.notes)
    return summary


class _Dates:
    """The day of each digest file of one import: from its name, `--date`, or its modification time; one
    day's index note lists one digest file. A digest imported before under another day is undone there."""

    def __init__(self, day: date | None, writer: NoteWriter, renderer: Renderer) -> None:
        """`day`: `--date`, the day of the files without one in their name."""
        self.day, self.writer, self.state, self.vault = day, writer, writer.state, writer.vault
        self.renderer = renderer
        self.files: dict[date, Path] = {}  # the digest file each day's index note is for in this import
        self.retracted: frozenset[date] = frozenset()  # days whose digest was re-dated this run (see `redate`)

    def of(self, path: Path) -> tuple[date, str]:
        """The digest's day and where it came from: its file name, `--date`, or its modification time."""
        from_name = date_from_name(path.name)
        if from_name:
            return from_name, "file name"
        if self.day:
            return self.day, "--date"
        return date.fromtimestamp(path.stat().st_mtime), "modification time"

    def take(self, path: Path, report: DigestReport, day: date, date_source: str) -> bool:
        """Date the digest at `path` (known to be one), warning of a date from its modification time; False,
        with an error naming both, if another file of this import has that day (two undated files and
        `--date`, say): one day's index note lists one digest file."""
        first = self.files.setdefault(day, path)
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

    def redate(self, digest: Digest, day: date, report: DigestReport) -> None:
        """Undo the import of this very digest under another day: the same file listing the same papers,
        dated from its modification time before and given `--date` now, say. That day comes off its papers,
        and its index note goes if it holds nothing but what vaultsync renders for it (else it stays, with a
        warning): not even a line or a tick vaultsync merged in or found there, which a file stamp cannot tell."""
        papers = tuple(dict.fromkeys(entry.arxiv_id for entry in digest.entries))
        source = Path(report.source).name
        for other, known in list(self.state.digests()):
            if other == day or Path(known.source).name != source or known.papers != papers:
                continue
            self.retracted |= {other}
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
            snap = self.writer.places.snapshot(note.path, note)
            if snap and snap.text == self.as_rendered(other, known) and self.vault.remove(note.path, snap):
                self.writer.summary.changes.append(("removed", str(note.path)))
            elif self.vault.exists(note.path):
                report.warnings.append(
                    f"{self.vault.root / note.path}: lists {source} as of {other}, now dated {day}; you changed"
                    " it, so it stays — delete it once you no longer need it"
                )

    def as_rendered(self, day: date, known: DigestState) -> str:
        """The day's index note as vaultsync renders it anew for the digest `known`: nothing of the user's in it."""
        metadata = self.renderer.digest_metadata(day, len(known.papers))
        return self.writer.flavor.notes.compose(metadata, known.region)


class _Run:
    """One import: the loop over its digest files, then the notes of the whole run. Each digest's report
    is passed to what writes its notes; the run's own notes go in the summary's."""

    def __init__(
        self, vault: Vault, state: StateStore, renderer: Renderer, flavor: Flavor, options: Options, summary: Summary
    ) -> None:
        self.vault, self.state, self.renderer, self.options, self.summary = vault, state, renderer, options, summary
        self.flavor, self.layout = flavor, flavor.layout
        self.topics = options.topic_notes and flavor.topic_notes  # whether papers link to topic notes
        self.fingerprint = fingerprint(renderer.fingerprint, options.tag_prefix, options.tag_map, self.topics)
        self.writer = NoteWriter(
            vault, state, flavor, summary, force=options.force, restore_deleted=options.restore_deleted
        )
        self.links = LinkIndex(vault, state, flavor, self.writer.places.claim)
        self.writer.created = self.links.created
        self.dates = _Dates(options.day, self.writer, renderer)
        self.sweep = Sweep(vault, state)
        self.unchanged = UnchangedDigests(self.writer, self.sweep, force=options.force or options.restore_deleted)
        self.synced = state.reading()  # each paper's reading state as last synced
        self.imported: set[str] | None = None  # the inputs of the digests imported before, when asked for
        self.drafts: dict[str, Draft] = {}  # the papers of the digest being imported, as its worker drafted them

    def rebuild_state(self, problem: str | None) -> None:
        """Refill a new or reset state store from the notes in the vault, if there are any."""
        found = self.writer.places.found = self.writer.places.scan()
        if found or problem:
            rebuilt = catalog.rebuild(self.state, found)
            self.synced = self.state.reading()  # as the notes say: a rebuilt store flips nothing
            self.summary.rebuilt = (
                f"{problem or 'no state store was found'}; rebuilt it from {words.count(rebuilt, 'note')}"
                " (notes you deleted before are no longer remembered)"
            )

    def finish(self, report: DigestReport) -> None:
        """After the digests: the reading states synced, the reading queue, the flavor's notes of the whole
        vault; their outcomes and problems go in `report`."""
        self.links.papers_by_link = {}  # needed while importing digests only: free for the rest
        unsynced = ReadingSync(self.writer, self.synced, self.sweep, report).sync()
        known = self.state.note(NoteKind.QUEUE, "queue")
        queue = self.options.reading_queue and bool(known or self.synced)
        if queue and (unsynced is not None or known is None):  # else no paper's reading state or note changed
            self.reading_queue(unsynced or {}, report)
        hooks = Hooks(
            self.writer, self.renderer, self.fingerprint, report, reading_queue=queue, topic_notes=self.topics
        )
        self.flavor.after_import(hooks)

    # --- one digest file -------------------------------------------------------------------------

    def may_change(self, file: Prepared) -> bool:
        """Whether the digest file was not imported before as it is (if it was, its digest is rarely needed)."""
        if self.imported is None:
            self.imported = self.state.digest_inputs()
        return fingerprint(self.fingerprint, file.path.name, file.checksum) not in self.imported

    def digest_file(self, file: Prepared) -> None:
        """Import one digest file, its report added to the summary."""
        path = file.path
        report = DigestReport(str(path))
        self.summary.digests.append(report)
        try:
            inputs = fingerprint(self.fingerprint, path.name, file.checksum)
            day, date_source = self.dates.of(path)
            if self.unchanged(report, day, inputs):
                self.dates.take(path, report, day, date_source)
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
        if not self.dates.take(path, report, day, date_source):
            return
        report.warnings.extend(str(problem) for problem in digest.problems)
        try:
            self.drafts = file.drafted or {}
            self.digest(digest, report, inputs)
        except VaultError as error:
            report.errors.append(f"{error} — rest of {path.name} skipped")
        finally:
            self.drafts = {}

    def digest(self, digest: Digest, report: DigestReport, inputs: str) -> None:
        """Write the notes of a digest read and dated: its papers', then its index note's."""
        assert report.day is not None
        day = report.day
        note = self.state.note(NoteKind.DIGEST, day.isoformat())
        if note and not note.deleted and self.vault.stamp(note.path) is None:
            # Follow a moved index note first: its papers link to it by name.
            moved = self.writer.places.moved_to(NoteKind.DIGEST, day.isoformat(), note)
            if moved:
                self.state.put_note(NoteKind.DIGEST, day.isoformat(), NoteState(moved, note.written))
        if report.date_source != "file name":  # a file dated by its name is never re-dated
            self.dates.redate(digest, day, report)
        index: list[tuple[Section, list[IndexLine]]] = []
        self.links.new_digest()
        for section in digest.sections:
            index.append((section, [self.paper(report, entry, day, section) for entry in section.entries]))
        papers = tuple(dict.fromkeys(line.arxiv_id for _, lines in index for line in lines))
        report.papers = len(papers)
        if not papers:
            return
        known = self.state.digest(day)
        if known and Path(known.source).name != Path(report.source).name:
            report.warnings.append(
                f"{report.source}: {known.source} is also dated {day}; its index note now lists this one"
            )
        region = self.renderer.digest_body(day, index, self.links.shared_names())
        path = self.index_note(report, day, index, region, known.region if known else None)
        report.index_note = str(path) if path else None
        if path:
            self.flavor.after_digest(
                Hooks(self.writer, self.renderer, self.fingerprint, report), day, path, len(papers)
            )
        self.state.put_digest(day, DigestState(report.source, inputs, region, papers))

    def index_note(
        self,
        report: DigestReport,
        day: date,
        index: list[tuple[Section, list[IndexLine]]],
        region: str,
        base: str | None,
    ) -> PurePosixPath | None:
        """Write the day's index note: `region` just rendered, merged with the note as the user left it
        (`base`: the region written last time, if known)."""
        count = len({line.arxiv_id for _, lines in index for line in lines})
        inputs = fingerprint(self.fingerprint, region, count)

        def merged(theirs: str) -> str:
            return merge_region(
                theirs, base, region, self.links.paper_of, force=self.options.force, tasks=self.flavor.tasks
            )

        def render(path: PurePosixPath) -> Rendered:
            return Rendered(self.renderer.digest_metadata(day, count), region, merge_region=merged)

        return self.writer.save(
            report, NoteKind.DIGEST, day.isoformat(), inputs, render, lambda: self.links.new_index_path(day)
        )

    def paper(self, report: DigestReport, entry: Entry, day: date, section: Section) -> IndexLine:
        """Write the note of a paper as a digest lists it (merged with what the earlier listings said)."""
        known, draft = self.state.record(entry.arxiv_id), self.drafts.pop(entry.arxiv_id, None)
        record = merge(known, entry, day, section)
        index_links = {day: link for day in record.days if (link := self.links.index_link(day))}
        fresh = draft and known is None and draft.day == day and not index_links  # drafted from these very inputs
        self.state.put_record(record, new=known is None, data=draft.record if fresh else None)
        inputs = draft.inputs if fresh else fingerprint(self.fingerprint, record.to_json(), sorted(index_links.items()))
        read = self.synced.get(entry.arxiv_id, False)  # a note's own `read` is kept: synced after the digests

        def render(path: PurePosixPath) -> Rendered:
            topics = [self.links.topic_link(tag) for tag in record.tags] if self.topics else None
            if draft and draft.fits(inputs, path, read, topics):
                return draft.rendered(self.flavor.paper_tail, self.dates.retracted)
            managed = self.renderer.paper_body(record, index_links) if record.complete else None
            metadata = self.renderer.paper_metadata(record, index_links, path, read, topics)
            return Rendered(metadata, managed, self.flavor.paper_tail, retracted=self.dates.retracted)

        before = self.state.note(NoteKind.PAPER, entry.arxiv_id)

        def claim() -> PurePosixPath:  # the worker found the path the paper's name gives, if it drafted its note
            return self.links.new_paper_path(entry, draft.path if draft else None)

        path = self.writer.save(report, NoteKind.PAPER, entry.arxiv_id, inputs, render, claim, before)
        if before and path and path in self.writer.merged:  # its `read` may be the user's: synced at the end,
            self.state.put_pending([entry.arxiv_id])  # or, if this import stops before that, by the next
        self.links.add_paper(entry, record, (before.path if before else None, path))
        return IndexLine(
            entry.arxiv_id, entry.title, entry.version, entry.updated, entry.paper_url, entry.code_url, path, read
        )

    # --- the run's own notes -------------------------------------------------------------------------

    def reading_queue(self, unsynced: dict[str, bool], report: DigestReport) -> None:
        """Write the note (Logseq: the page) of the papers to read, newest first; `unsynced`: the papers whose
        reading state is not the one remembered (see `ReadingSync.sync`)."""
        count = self.state.unread_count()
        for paper, read in unsynced.items():
            count += (not read) - (self.synced.get(paper) is False)  # as it is, not as the store says
        unread = self.state.newest(lambda paper: unsynced.get(paper, self.synced.get(paper)) is False, QUEUE_LIST)
        newest, shared = [], self.links.shared_names() if unread else frozenset()
        for arxiv_id, first_seen, title in unread:
            note = self.state.note(NoteKind.PAPER, arxiv_id)
            if note:
                newest.append((self.layout.link_target(note.path, shared), title, first_seen))
        region = self.renderer.queue_body(count, newest)
        queue = Rendered({"tags": [QUEUE_TAG]}, region)
        self.writer.save_page(
            report, NoteKind.QUEUE, "queue", fingerprint(self.fingerprint, region), queue, self.layout.queue_path
        )
