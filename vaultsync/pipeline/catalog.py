"""vaultsync's notes found by what they are, not where they are: a scan of the vault's frontmatter.

Used to follow notes the user moved or renamed, and to rebuild a lost state store from the notes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from vaultsync.records import PaperRecord, from_frontmatter
from vaultsync.storage.state import NoteKind, NoteState, StateStore
from vaultsync.storage.vault import Vault
from vaultsync.text.reading import read_value
from vaultsync.text.wikilinks import OBSIDIAN

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class FoundNote:
    kind: str  # NoteKind.PAPER or NoteKind.DIGEST
    identity: str  # arXiv id, or the day as YYYY-MM-DD
    path: PurePosixPath
    metadata: dict[str, Any]


def markdown_files(vault: Vault, skip: Collection[str] = ()) -> Iterator[PurePosixPath]:
    """Every Markdown file of the vault, by relative path; dot folders and the top-level folders in
    `skip` (an app's own) are not entered. Only regular files: reading a FIFO named `x.md` would block."""
    for prefix, names in markdown_folders(vault, skip):
        for name in sorted(names):
            if os.path.isfile(os.path.join(vault.root, prefix, name)):
                yield PurePosixPath(prefix + name)


def markdown_folders(vault: Vault, skip: Collection[str] = ()) -> Iterator[tuple[str, list[str]]]:
    """`markdown_files` folder by folder: (the folder's path with a trailing `/`, or "" for the vault
    itself; its Markdown files' names), folders in a stable order."""
    for folder, subfolders, files in os.walk(vault.root):
        relative = os.path.relpath(folder, vault.root).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        subfolders[:] = sorted(name for name in subfolders if entered(prefix, name, skip))
        yield prefix, [name for name in files if name.endswith(".md") and not name.startswith(".")]


def entered(prefix: str, name: str, skip: Collection[str] = ()) -> bool:
    """Whether the walk of the vault enters the folder `name` inside `prefix` (as `markdown_folders` gives
    it): not dot folders, nor the top-level folders in `skip`. A folder that is a link is not followed."""
    return not name.startswith(".") and bool(prefix or name not in skip)


def scan(
    vault: Vault,
    identify: Callable[[str], tuple[str, str, dict[str, Any]] | None],
    skip: Collection[str] = (),
) -> dict[tuple[str, str], list[FoundNote]]:
    """Every note of vaultsync's in the vault, by (kind, identity), as `identify` tells them."""
    found: dict[tuple[str, str], list[FoundNote]] = {}
    for rel in markdown_files(vault, skip):
        try:
            text = vault.read(rel)
        except OSError:
            continue
        seen = identify(text) if text else None
        if seen:
            kind, identity, metadata = seen
            found.setdefault((kind, identity), []).append(FoundNote(kind, identity, rel, metadata))
    for notes in found.values():  # the original before its copies: `X.md` before Obsidian's `X 1.md`
        notes.sort(key=lambda note: (len(note.path.name), str(note.path)))
    return found


def rebuild(state: StateStore, notes: dict[tuple[str, str], list[FoundNote]]) -> int:
    """Fill a fresh state store from the notes found; the number of notes it now knows."""
    day_by_name = {
        note.path.stem: date.fromisoformat(note.identity)
        for (kind, _), [note, *_] in notes.items()
        if kind == NoteKind.DIGEST
    }

    def day_of(link: Any) -> date | None:
        name = OBSIDIAN.target(str(link)).split("/")[-1]  # Logseq's `digests::` read as `[[page]]` links too
        if name in day_by_name:
            return day_by_name[name]
        match = _DATE.search(name)
        try:
            return date.fromisoformat(match[0]) if match else None
        except ValueError:
            return None

    known = 0
    for (kind, identity), [note, *_] in sorted(notes.items()):
        if state.path_owner(note.path):
            continue
        if kind == NoteKind.PAPER:
            try:
                days = [day for day in map(day_of, note.metadata.get("digests") or ()) if day]
                record: PaperRecord = from_frontmatter(note.metadata, days)
                state.put_record(record)
            except (KeyError, TypeError, ValueError):
                pass  # a note whose frontmatter the user broke: known by its place, its facts come from digests
            read = read_value(note.metadata)
            if read is not None:  # as last synced: a rebuilt store flips nothing
                state.put_read(identity, read)
        state.put_note(kind, identity, NoteState(note.path))
        known += 1
    return known
