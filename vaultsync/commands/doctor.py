"""`vaultsync doctor`: checks a vault against the vault contract and repairs what can be repaired
without touching a byte the user wrote.

Checked: the state store (damaged, from an older vaultsync, or missing while the vault has vaultsync's
notes: every row is read and SQLite's integrity check run), papers with two notes (one arXiv id), links
vaultsync wrote in index notes (paper lines of the managed region, read with the flavor's link grammar; a
link the user added is theirs) to notes that do not exist or by a name several notes have, notes of
vaultsync's (known to the state store, or carrying an `arxiv_id:` or `digest_date:` line) whose frontmatter
does not parse (with the line of the YAML error) or whose markers are damaged, notes that cannot be read
(not UTF-8, no permission, behind a link out of the vault), and a state store that no longer matches the
notes (moved or deleted behind its back). Each finding is one line naming the file; the check goes on.
Repaired with `fix`: a damaged, outdated or missing state store (set aside and rebuilt from the notes, as
an import does), the state store's paths (notes followed to where they are, notes gone recorded as
deleted), and index links that are broken or ambiguous where the paper's note is found by its name or title
(rewritten in the managed region only).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from vaultsync.api import existing_vault, writer
from vaultsync.flavors import Flavor, resolve
from vaultsync.flavors.base import NoteParts
from vaultsync.flavors.layout import Layout, NoteNames
from vaultsync.pipeline import catalog
from vaultsync.storage.snapshot import NoteChanged, Snapshot, VaultError
from vaultsync.storage.state import NoteKind, NoteState, StateStore
from vaultsync.storage.vault import Vault
from vaultsync.text import words
from vaultsync.text.names import link_label
from vaultsync.text.tasks import tasks_in

LOCK_WAIT = 10.0  # seconds `doctor --fix` waits for another vaultsync writing to the vault
OUTSIDE = "a link takes it outside the vault, where vaultsync neither reads nor writes"


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)  # what remains wrong
    fixed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # files of the user's not checked, such as links out of the vault

    @property
    def healthy(self) -> bool:
        return not self.problems


def doctor(
    vault: str | os.PathLike[str],
    fix: bool = False,
    *,
    wait: float = LOCK_WAIT,
    on_wait: Callable[[str], None] | None = None,
    on_take_over: Callable[[str], None] | None = None,
) -> Report:
    """Check `vault` against the vault contract, as `vaultsync doctor` does; with `fix`, repair what can be
    repaired, holding the vault's lock as an import does (`wait`, `on_wait`, `on_take_over`: see
    `api.writer`). Raises ArgumentError (no vault folder), VaultBusy, or StateError (a state store that
    cannot be read)."""
    root = Path(vault).expanduser()
    existing_vault(root)
    with writer(root, "doctor", wait, on_wait, on_take_over) if fix else nullcontext():
        return check(root, fix=fix)


def check(vault_root: Path, fix: bool = False, flavor: str = "auto") -> Report:
    """Check the vault at `vault_root`; with `fix`, repair what can be repaired. Raises StateError if the
    state store cannot be read at all (a newer vaultsync's, locked, a failing disk)."""
    vault = Vault(vault_root, dry_run=not fix)
    report = Report()
    store, problem = StateStore.open(vault.state_file, dry_run=not fix, thorough=True)
    with store as state:
        try:
            chosen, _ = resolve(state.meta("flavor") or flavor, vault_root, Layout())
            found = catalog.scan(vault, chosen.notes.identify, chosen.skip_folders)
            if state.fresh and (problem or found):
                _rebuild(state, chosen, found, problem, fix, report)
            files = list(catalog.markdown_files(vault, chosen.skip_folders))
            known = {note.path for kind in (NoteKind.PAPER, NoteKind.DIGEST) for _, note in state.notes(kind)}
            _duplicates(found, report)
            _folders_outside(vault, chosen.skip_folders, report)
            _damaged(vault, chosen, files, known, report)
            _state(state, found, vault, fix, report)
            _links(vault, state, chosen, found, files, fix, report)
            if fix:
                state.commit()
        except sqlite3.Error as error:  # damage the checks on opening did not see: set aside with `fix`
            raise state.failure(error) from None
        finally:
            for rel in vault.release():
                report.problems.append(f"{rel}: saved by another program while doctor re-linked it — run it again")
    return report


def unreadable(rel: PurePosixPath, error: VaultError) -> str:
    """Why the note at `rel` cannot be read, and what to do, in one line, from the error `Vault.read` raised."""
    cause = error.__context__  # what reading met (raised `from None`); none for a link out of the vault
    if isinstance(cause, UnicodeDecodeError):
        line = cause.object[: cause.start].count(b"\n") + 1
        return f"{rel}: line {line} is not UTF-8 text — save the note as UTF-8"
    if isinstance(cause, OSError):
        return f"{rel}: cannot read it ({cause.strerror or cause}) — check the file and its permissions"
    return f"{rel}: {OUTSIDE} — move it into the vault to have it checked"


def _rebuild(
    state: StateStore,
    flavor: Flavor,
    found: dict[tuple[str, str], list[catalog.FoundNote]],
    problem: str | None,
    fix: bool,
    report: Report,
) -> None:
    """A state store damaged, outdated, or missing while the vault has notes of vaultsync's: reported, or
    with `fix` (set aside by `StateStore.open` already) rebuilt from the notes, as an import does."""
    if not fix:
        why = problem or f"the state store {state.file} is missing"
        report.problems.append(f"{why} — the next `vaultsync import` (or `vaultsync doctor --fix`) rebuilds it")
        return
    state.claim_flavor(flavor.name)
    notes = words.count(catalog.rebuild(state, found), "note")
    report.fixed.append(
        f"state store: {problem or 'it was missing'}; rebuilt it from {notes}"
        " (notes you deleted before are no longer remembered)"
    )


def _duplicates(found: dict[tuple[str, str], list[catalog.FoundNote]], report: Report) -> None:
    for (kind, identity), notes in sorted(found.items()):
        if len(notes) > 1:
            paths = ", ".join(str(note.path) for note in notes)
            report.problems.append(f"{kind} {identity} has {len(notes)} notes: {paths} — keep one, delete the others")


def _folders_outside(vault: Vault, skip: frozenset[str], report: Report) -> None:
    """Folders of the vault that are links out of it: their notes are not checked (nor written to)."""
    for prefix, _ in catalog.markdown_folders(vault, skip):
        try:
            entries = sorted(os.scandir(vault.root / prefix), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink() and entry.is_dir() and catalog.entered(prefix, entry.name, skip):
                if not Path(entry.path).resolve().is_relative_to(vault.root):
                    report.warnings.append(f"{prefix}{entry.name}/: {OUTSIDE} — its notes are not checked")


def _damaged(
    vault: Vault, flavor: Flavor, files: list[PurePosixPath], known: set[PurePosixPath], report: Report
) -> None:
    """Notes that cannot be read, and notes of vaultsync's (`known` to the state store, or saying so with an
    `arxiv_id:` or `digest_date:` line) that cannot be read as such."""
    for rel in files:
        try:
            text = vault.read(rel) or ""
        except VaultError as error:  # a link of the user's out of the vault is not theirs to fix
            mine = rel in known or not (vault.root / rel).is_symlink()
            (report.problems if mine else report.warnings).append(unreadable(rel, error))
            continue
        if (rel in known or flavor.notes.identify(text)) and flavor.notes.split(text) is None:
            report.problems.append(f"{rel}: {flavor.damage(text)}")


def _state(
    state: StateStore, found: dict[tuple[str, str], list[catalog.FoundNote]], vault: Vault, fix: bool, report: Report
) -> None:
    """Notes the state store has at a path where they no longer are."""
    for kind in (NoteKind.PAPER, NoteKind.DIGEST):
        for identity, note in state.notes(kind):
            if note.deleted or vault.stamp(note.path) is not None:
                continue
            path = vault.root / note.path
            if path.exists():  # there, but through a link out of the vault
                if not path.is_symlink():  # a folder on its way is the link (the note itself: see `_damaged`)
                    report.problems.append(f"{kind} {identity}: {note.path}: {OUTSIDE} — move it back into the vault")
                continue
            elsewhere = [item.path for item in found.get((kind, identity), [])]
            if elsewhere:
                message = f"{kind} {identity} moved: {note.path} → {elsewhere[0]}"
                new = NoteState(elsewhere[0], note.written)
            else:
                message = f"{kind} {identity}: {note.path} is gone (deleted by you)"
                new = NoteState(note.path, note.written, deleted=True)
            if fix:
                state.put_note(kind, identity, new)
                report.fixed.append(f"state store: {message}")
            else:
                report.problems.append(f"state store out of date: {message} — `vaultsync doctor --fix` records it")


def _links(
    vault: Vault,
    state: StateStore,
    flavor: Flavor,
    found: dict[tuple[str, str], list[catalog.FoundNote]],
    files: list[PurePosixPath],
    fix: bool,
    report: Report,
) -> None:
    """Links vaultsync wrote in index notes (paper lines of the managed region, read with the flavor's link
    grammar) to notes that do not exist, or by a name several notes have (Obsidian then picks one as it
    likes); re-linked, in the managed region only, where the paper's note is found by its name or its title.
    A link the user added is theirs, even if it leads nowhere yet."""
    layout = flavor.layout
    names = NoteNames(path.name for path in files)
    shared = names.shared if layout.folder_links else set()
    paths = {str(path.with_suffix("")).casefold() for path in files}
    pages = {layout.page_name(path).casefold() for path in files}
    papers = _papers(layout, found)
    for (kind, identity), notes in sorted(found.items()):
        if kind != NoteKind.DIGEST:
            continue
        written = _written(state, identity, flavor)
        for note in notes:
            snap = vault.snapshot(note.path)
            parts = flavor.notes.split(snap.text) if snap else None
            if snap is None or parts is None:  # damaged: `_damaged` says so
                continue
            relinks: dict[str, str] = {}
            links = {target: label for target, label, _ in tasks_in(parts.managed.splitlines(), flavor.tasks)}
            for target, label in links.items():
                key = target.casefold()
                if key in paths or (key in pages and key not in shared):
                    continue
                candidates = papers.get(key.rsplit("/", 1)[-1]) or papers.get(label.casefold(), [])
                if written is not None and target not in written and not candidates:
                    continue  # the user's own link
                why = f"a name {names.times(key)} notes have" if key in pages else "which does not exist"
                if len(candidates) != 1:
                    advice = (
                        "rename one of them"
                        if key in pages
                        else ("if you deleted that note, the next import links the paper's arXiv page instead")
                    )
                    report.problems.append(f"{note.path}: links to [[{target}]], {why} — {advice}")
                elif fix:
                    relinks[target] = layout.link_target(candidates[0], shared)
                    report.fixed.append(f"{note.path}: re-linked [[{target}]] to {candidates[0]}")
                else:
                    report.problems.append(
                        f"{note.path}: links to [[{target}]], {why} — `vaultsync doctor --fix` links it to"
                        f" {candidates[0]}"
                    )
            if relinks:
                _relink(vault, note.path, snap, parts, relinks, flavor, report)


def _papers(layout: Layout, found: dict[tuple[str, str], list[catalog.FoundNote]]) -> dict[str, list[PurePosixPath]]:
    """The paper notes by the keys an index link may name them by: their name and their title (casefolded)."""
    papers: dict[str, list[PurePosixPath]] = {}
    for (kind, _), notes in found.items():
        for note in notes if kind == NoteKind.PAPER else ():
            keys = {layout.page_name(note.path), link_label(str(note.metadata.get("title", "")))}
            for key in keys - {""}:
                papers.setdefault(key.casefold(), []).append(note.path)
    return papers


def _written(state: StateStore, day: str, flavor: Flavor) -> set[str] | None:
    """The link targets vaultsync wrote last in the index note of `day`, or None if that is not known."""
    try:
        digest = state.digest(date.fromisoformat(day))
    except ValueError:
        return None
    if digest is None or digest.region is None:
        return None
    return {target for target, _, _ in tasks_in(digest.region.splitlines(), flavor.tasks)}


def _relink(
    vault: Vault,
    path: PurePosixPath,
    snap: Snapshot,
    parts: NoteParts,
    relinks: dict[str, str],
    flavor: Flavor,
    report: Report,
) -> None:
    """The index note at `path` (as `snap` read it, cut into `parts`) saved with the links of the paper lines
    of its managed region to a key of `relinks` pointed at its value, as the flavor's link grammar retargets
    them; nothing else changes. A note saved meanwhile is left alone, and said so."""
    start = len(snap.text) - len(parts.after) - len(parts.region)
    region = "".join(
        flavor.links.retarget(line, relinks) if flavor.tasks.line.match(line) else line
        for line in parts.region.splitlines(keepends=True)
    )
    try:
        vault.write(path, snap.text[:start] + region + parts.after, snap)
    except NoteChanged:
        report.problems.append(f"{path}: changed while doctor was re-linking it — run it again")
