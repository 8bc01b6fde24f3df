"""What is in a vault: papers, digests, the reading queue, tags, and the notes vaultsync keeps its hands
off. Read from the state store and the index notes; nothing is written. A state store that is damaged,
outdated or missing (while the vault has vaultsync's notes) is not counted as an empty one: that is an
error saying the next import rebuilds it."""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vaultsync.api import ArgumentError, existing_vault
from vaultsync.commands.doctor import unreadable
from vaultsync.flavors import KINDS, Flavor, resolve
from vaultsync.flavors.layout import Layout
from vaultsync.pipeline import catalog
from vaultsync.storage.reading_rows import line_name
from vaultsync.storage.snapshot import VaultError
from vaultsync.storage.state import NoteKind, NoteState, StateError, StateStore
from vaultsync.storage.vault import Vault
from vaultsync.text.reading import decide, in_index, read_value

REBUILDS = "the next `vaultsync import` rebuilds it from the notes"
UNREAD_TICKS = "its ticks are not counted: its papers are as of the last import"


@dataclass
class Status:
    flavor: str
    papers: int = 0
    digests: int = 0
    first_digest: str | None = None
    last_digest: str | None = None
    to_read: int = 0  # papers with a note, read neither in it nor in an index note (`reading.decide`)
    read: int = 0
    tags: dict[str, int] = field(default_factory=dict)  # papers by tag, most first
    last_import: str | None = None
    kept_edited: int = 0  # notes whose managed part the user edited: updates are held back
    deleted_by_you: int = 0
    warnings: list[str] = field(default_factory=list)  # index notes that could not be read, and why

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self, vault: Path) -> str:
        """The status as `vaultsync status` prints it."""
        tags = ", ".join(f"{tag} {count}" for tag, count in list(self.tags.items())[:10])
        more = f" (and {len(self.tags) - 10} more)" if len(self.tags) > 10 else ""
        return "\n".join(
            [
                f"{KINDS[self.flavor]} {vault}",
                f"papers: {self.papers} ({self.kept_edited} kept because you edited them,"
                f" {self.deleted_by_you} deleted by you)",
                f"digests: {self.digests}, {self.first_digest or '-'} to {self.last_digest or '-'}",
                f"reading queue: {self.to_read} to read, {self.read} read",
                f"tags: {tags or '-'}{more}",
                f"last import: {self.last_import or 'unknown'}",
            ]
        )


def status(vault: str | os.PathLike[str], flavor: str = "auto") -> Status:
    """The vault's status, as `vaultsync status` prints it (`to_json()`: with `--json`). Raises
    ArgumentError if `vault` is not a folder or vaultsync never imported into it; StateError, saying so,
    if the state store is damaged or from an older vaultsync, or missing while the vault has vaultsync's
    notes (then saying how many: counted as empty, they would look lost)."""
    root = Path(vault).expanduser()
    existing_vault(root)
    notes = Vault(root, dry_run=True)
    if not notes.state_file.is_file():
        chosen, _ = resolve(flavor, root, Layout())
        found = catalog.scan(notes, chosen.notes.identify, chosen.skip_folders)
        if found:
            count = sum(len(listed) for listed in found.values())
            raise StateError(
                f"no state store ({notes.state_file} is missing): {count} note{'s' if count != 1 else ''} of"
                " vaultsync's found — run `vaultsync import` to rebuild it from them"
            )
        raise ArgumentError(f"{root}: nothing imported here yet — run `vaultsync import SRC {root}` first")
    store, problem = StateStore.open(notes.state_file, dry_run=True)
    with store as state:
        if problem:
            raise StateError(f"{problem} — {REBUILDS}")
        try:
            return _counts(state, notes, flavor)
        except sqlite3.Error as error:
            raise state.failure(error) from None


def _counts(state: StateStore, vault: Vault, flavor: str) -> Status:
    """The counts from a state store that opened as sound; an index note that cannot be read is a warning."""
    chosen, _ = resolve(state.meta("flavor") or flavor, vault.root, Layout())
    result = Status(flavor=chosen.name, last_import=state.meta("last_import"))
    papers = list(state.notes(NoteKind.PAPER))
    digests = list(state.notes(NoteKind.DIGEST))
    result.papers = sum(1 for _, note in papers if not note.deleted)
    result.deleted_by_you = sum(1 for _, note in papers + digests if note.deleted)
    result.kept_edited = sum(1 for _, note in papers + digests if note.edited and not note.deleted)
    days = sorted(identity for identity, note in digests if not note.deleted)
    result.digests = len(days)
    result.first_digest, result.last_digest = (days[0], days[-1]) if days else (None, None)
    tags = Counter(tag for record in state.records() for tag in record.tags)
    result.tags = dict(tags.most_common())
    listed: dict[str, list[bool]] = {}  # the name index lines link to (`line_name`) → their done states
    for _, note in digests:
        try:
            text = "" if note.deleted else vault.read(note.path) or ""
        except VaultError as error:
            result.warnings.append(f"{unreadable(note.path, error)}; {UNREAD_TICKS}")
            continue
        for target, _, ticked in chosen.index_tasks(text):
            listed.setdefault(line_name(target), []).append(ticked)
    synced = state.reading()
    for identity, note in papers:
        if note.deleted:
            continue
        ticks = listed.get(line_name(chosen.layout.page_name(note.path)))
        was = synced.get(identity)
        read = decide(was, _note_read(vault, chosen, note, was), in_index(was, ticks or ()))
        result.read += read
        result.to_read += not read
    return result


def _note_read(vault: Vault, flavor: Flavor, note: NoteState, synced: bool | None) -> bool | None:
    """A paper note's `read` now: what was synced if the note is as vaultsync left it, else as it says."""
    parts = (note.signature or "").split("/")
    if synced is not None and len(parts) == 2 and parts[1] == vault.stamp(note.path):
        return synced
    try:
        text = vault.read(note.path)
    except VaultError:
        return None
    found = flavor.notes.split(text) if text else None
    return read_value(found.metadata) if found else None
