"""`vaultsync doctor`: checks a vault against the vault contract and repairs what can be repaired
without touching a byte the user wrote.

Checked: papers with two notes (one arXiv id), links in index notes to notes that do not exist or by a
name several notes have, notes of vaultsync's whose frontmatter does not parse or whose markers are
damaged, and a state store that no longer matches the notes (moved or deleted behind its back).
Repaired with `fix`: the state store (notes followed to where they are, notes gone recorded as deleted),
and index links that are broken or ambiguous where the paper's note is found by its name or title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import catalog
from .flavor import Flavor, resolve
from .index_merge import tasks_in
from .layout import Layout, NoteNames
from .names import link_label
from .state import DIGEST, PAPER, NoteState, StateStore
from .vault import NoteChanged, Vault


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)  # what remains wrong
    fixed: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def doctor(vault_root: Path, fix: bool = False, flavor: str = "auto") -> Report:
    """Check the vault at `vault_root`; with `fix`, repair what can be repaired."""
    vault = Vault(vault_root, dry_run=not fix)
    report = Report()
    store, problem = StateStore.open(vault.state_file, dry_run=not fix)
    if problem:
        report.problems.append(f"{problem}; `vaultsync import` rebuilds it from the notes")
    with store as state:
        chosen, _ = resolve(state.meta("flavor") or flavor, vault_root, Layout())
        found = catalog.scan(vault, chosen.notes.identify, chosen.skip_folders)
        files = list(catalog.markdown_files(vault, chosen.skip_folders))
        _duplicates(found, report)
        _damaged(vault, chosen, files, report)
        _state(state, found, vault, fix, report)
        _links(vault, chosen, found, files, fix, report)
        if fix:
            state.commit()
    return report


def _duplicates(found: dict[tuple[str, str], list[catalog.FoundNote]], report: Report) -> None:
    for (kind, identity), notes in sorted(found.items()):
        if len(notes) > 1:
            paths = ", ".join(str(note.path) for note in notes)
            report.problems.append(f"{kind} {identity} has {len(notes)} notes: {paths} — keep one, delete the others")


def _damaged(vault: Vault, flavor: Flavor, files: list[PurePosixPath], report: Report) -> None:
    """Notes that say they are vaultsync's but cannot be read as such."""
    for rel in files:
        text = vault.read(rel) or ""
        if flavor.notes.identify(text) and flavor.notes.split(text) is None:
            report.problems.append(f"{rel}: {flavor.damage(text)}")


def _state(
    state: StateStore, found: dict[tuple[str, str], list[catalog.FoundNote]], vault: Vault, fix: bool, report: Report
) -> None:
    """Notes the state store has at a path where they no longer are."""
    for kind in (PAPER, DIGEST):
        for identity, note in state.notes(kind):
            if note.deleted or vault.stamp(note.path) is not None:
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
    flavor: Flavor,
    found: dict[tuple[str, str], list[catalog.FoundNote]],
    files: list[PurePosixPath],
    fix: bool,
    report: Report,
) -> None:
    """Links in index notes to notes that do not exist, or by a name several notes have (Obsidian then
    picks one as it likes); re-linked where the paper's note is found by its name or its title."""
    layout = flavor.layout
    names = NoteNames(path.name for path in files)
    shared = names.shared if layout.folder_links else set()
    paths = {str(path.with_suffix("")).casefold() for path in files}
    pages = {layout.page_name(path).casefold() for path in files}
    papers: dict[str, list[PurePosixPath]] = {}  # by name and by title
    for (kind, _), notes in found.items():
        for note in notes if kind == PAPER else ():
            keys = {layout.page_name(note.path), link_label(str(note.metadata.get("title", "")))}
            for key in keys - {""}:
                papers.setdefault(key.casefold(), []).append(note.path)
    for (kind, _), notes in sorted(found.items()):
        if kind != DIGEST:
            continue
        for note in notes:
            snap = vault.snapshot(note.path)
            text = snap.text if snap else ""
            new = text
            links = {target: label for target, label, _ in tasks_in(text.splitlines(), flavor.tasks)}
            for target, label in links.items():
                key = target.casefold()
                if key in paths or (key in pages and key not in shared):
                    continue
                candidates = papers.get(key.rsplit("/", 1)[-1]) or papers.get(label.casefold(), [])
                why = f"a name {names.count[key]} notes have" if key in pages else "which does not exist"
                if len(candidates) != 1:
                    advice = (
                        "rename one of them"
                        if key in pages
                        else ("if you deleted that note, the next import links the paper's arXiv page instead")
                    )
                    report.problems.append(f"{note.path}: links to [[{target}]], {why} — {advice}")
                elif fix:
                    new = _relink(new, target, layout.link_target(candidates[0], shared), flavor)
                    report.fixed.append(f"{note.path}: re-linked [[{target}]] to {candidates[0]}")
                else:
                    report.problems.append(
                        f"{note.path}: links to [[{target}]], {why} — `vaultsync doctor --fix` links it to"
                        f" {candidates[0]}"
                    )
            if new != text:
                try:
                    vault.write(note.path, new, snap)
                except NoteChanged:
                    report.problems.append(f"{note.path}: changed while doctor was re-linking it — run it again")


def _relink(text: str, target: str, to: str, flavor: Flavor) -> str:
    """`[[target…` links pointed at `to`; an Obsidian link without a label keeps showing `target`."""
    shown = f"|{target}]]" if flavor.name == "obsidian" and to != target else "]]"
    return re.sub(
        rf"\[\[{re.escape(target)}(\]\]|(?=[|#^]))", lambda match: f"[[{to}" + (shown if match[1] else ""), text
    )
