"""A freshly rendered note meets the note already in the vault: the user's part always wins.

- Keys the user added, text around the managed region: kept byte for byte (see `ObsidianNotes.update`).
- Keys of ours: set on their own lines only, in the shape the user gave them; one the user wrote in a shape
  that cannot be edited that way (twice, with an anchor, …) is theirs: left as it is, with a warning.
- `tags`, `topics` and `aliases`: the user's items in their order (a string read as Obsidian reads it: `a, b` is
  two), then new ones of ours, except those the user removed since vaultsync last wrote them.
- `first_seen`: never changes once written, unless it is a day vaultsync takes back (`Rendered.retracted`:
  the digest of that day was re-dated).
- `read`: the note's own value is kept; the reading state is synced after the digests (see `reading`).
- The managed region: replaced, unless the user edited it since vaultsync wrote it; then it is kept
  and the note reported "kept", except with `force`. Index regions are merged line by line instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vaultsync.flavors.base import NoteFormat
from vaultsync.summary import Outcome
from vaultsync.text import yaml_style

LIST_KEYS = ("tags", "topics", "aliases")
WRITE_ONCE_KEYS = ("first_seen",)
SYNCED_KEYS = ("read",)  # set by the sync of reading states only: a digest never changes it in a note


@dataclass(frozen=True)
class Rendered:
    """A note as vaultsync would write it. `managed` None: leave the existing region as it is."""

    metadata: dict[str, Any]
    managed: str | None
    tail: str = ""
    merge_region: Callable[[str], str] | None = field(default=None, compare=False)  # index notes
    retracted: frozenset[Any] = frozenset()  # values of write-once keys that were vaultsync's mistake
    composed: str | None = field(default=None, compare=False)  # the new note's text, if known (see `drafts`)


@dataclass(frozen=True)
class Result:
    text: str | None  # None: not a note vaultsync can update (markers or frontmatter damaged)
    outcome: Outcome
    written: dict[str, list[Any]]  # the list values vaultsync now stands for, to remember
    warnings: tuple[str, ...] = ()  # keys of ours left as the user wrote them, and why


def merge_list(mine: list[Any], ours: list[Any], last_written: list[Any] | None) -> list[Any]:
    """The user's items, then ours they do not have, leaving out what they removed since we wrote it."""
    have = {str(item).casefold() for item in mine}
    removed = {str(item).casefold() for item in last_written or ()} - have
    return mine + [item for item in ours if str(item).casefold() not in have | removed]


def reconcile(
    existing: str | None,
    rendered: Rendered,
    last_written: dict[str, list[Any]],
    *,
    force: bool,
    notes: NoteFormat,
) -> Result:
    """The note's new text and what happened to it; `notes`: how its file is read and written."""
    written = {key: rendered.metadata[key] for key in LIST_KEYS if key in rendered.metadata}
    if existing is None:
        text = rendered.composed or notes.compose(rendered.metadata, rendered.managed or "", rendered.tail)
        return Result(text, Outcome.CREATED, written)
    parts = notes.split(existing)
    if parts is None:
        return Result(None, Outcome.DAMAGED, last_written)
    values = dict(rendered.metadata)
    for key in LIST_KEYS:
        if key in values:
            values[key] = merge_list(yaml_style.items(key, parts.metadata.get(key)), values[key], last_written.get(key))
    for key in WRITE_ONCE_KEYS:
        if parts.metadata.get(key) is not None and parts.metadata[key] not in rendered.retracted:
            values[key] = parts.metadata[key]
    for key in SYNCED_KEYS:  # the user's value, a boolean or not (`read: yes` is theirs to change)
        if key in values and parts.metadata.get(key) is not None:
            values[key] = parts.metadata[key]
    managed, outcome = rendered.managed, None
    if rendered.merge_region and managed is not None:
        managed = rendered.merge_region(parts.managed)
    elif managed is not None and parts.edited and not force and managed.strip("\n") != parts.managed.strip("\n"):
        if notes.checksum(managed) != parts.checksum:
            outcome = Outcome.KEPT  # an update is held back
        managed = None
    updated = notes.update(parts, values, managed, rendered.managed)
    text, left = (updated, {}) if isinstance(updated, str) else updated
    for key in left.keys() & written.keys():  # not written: what vaultsync stood for before still holds
        if key in last_written:
            written[key] = last_written[key]
        else:
            del written[key]
    warnings = tuple(f"property {key!r} left as you wrote it: {why}" for key, why in left.items())
    return Result(text, outcome or (Outcome.UNCHANGED if text == existing else Outcome.UPDATED), written, warnings)
