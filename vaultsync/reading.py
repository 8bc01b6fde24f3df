"""Read or not: the one rule for a paper's reading state, wherever it is asked (import, queue, `status`).

A paper is read in two places: the `read` property of its note, and its lines in the index notes (a tick
`[x]`, or Logseq's `DONE`). Cancelled (`[-]`, Logseq's `CANCELED`) means "not going to read": done with it,
so it counts as read — out of the queue, `read: true` — in both flavors. An index note says a paper is read
when any of its lines there is done. vaultsync remembers the value it last synced: whichever side changed
since wins; if both did and they disagree, read wins; with nothing remembered (a new paper, a store from
before `read` existed), read wins too.
"""

from __future__ import annotations

DONE = frozenset({"x", "X", "-", "DONE", "CANCELED", "CANCELLED"})  # any other status: still to read


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
