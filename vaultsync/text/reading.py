"""Read or not: the one rule for a paper's reading state, wherever it is asked (import, queue, `status`).

A paper is read in two places: the `read` property of its note, and its lines in the index notes (a tick
`[x]`, or Logseq's `DONE`). Cancelled (`[-]`, Logseq's `CANCELED`) means "not going to read": done with it,
so it counts as read — out of the queue, `read: true` — in both flavors. vaultsync remembers the value it
last synced: whichever side changed since wins (the index notes changed when any line of the paper's no
longer says it), and its lines in every index note and its note are set to that; if both sides changed and
disagree, read wins; with nothing remembered (a new paper, a store from before `read` existed), read wins
too: any tick, or `read: true`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DONE = frozenset({"x", "X", "-", "DONE", "CANCELED", "CANCELLED"})  # any other status: still to read


def read_value(metadata: dict[str, Any]) -> bool | None:
    """A paper note's `read` property as vaultsync reads it: true or false (None: none, or anything else,
    which is the user's: `read: yes`, `read: "true"`)."""
    value = metadata.get("read")
    return value if isinstance(value, bool) else None


def is_done(status: str) -> bool:
    """Whether a task's status (`x`, ` `, `-`, `/`, …; `DONE`, `TODO`, `CANCELED`, …) marks its paper read."""
    return status in DONE


def decide(synced: bool | None, note: bool | None, index: bool | None) -> bool:
    """The paper's reading state from the value last synced, its note's `read` and its index lines (None:
    unknown, no such property, no such line)."""
    sides = [value for value in (note, index) if value is not None]
    changed = [value for value in sides if value != synced]
    if synced is None or len(set(changed)) > 1:
        return any(sides)
    return changed[0] if changed else synced


def in_index(synced: bool | None, lines: Iterable[bool]) -> bool | None:
    """What a paper's lines in the index notes say (each: done or not): the other state than `synced` if
    any line says it (the user ticked or unticked it since), else `synced`; None if it has no line."""
    states = set(lines)
    if not states:
        return None
    if synced is None:
        return True in states
    return (not synced) if (not synced) in states else synced
