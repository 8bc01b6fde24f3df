"""When a file is complete: nothing has happened to it for a settle window.

A producer may write a digest in chunks, copy it slowly, or rename it into place. A file is taken
once its size, modification time and inode have stayed the same, and no event came for it, for
`window` seconds. Pure: the caller passes the clock reading and a way to read a file's signature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

Signature = tuple[int, int, int]  # size, mtime in ns, inode
_UNSEEN: Signature = (-1, -1, -1)


@dataclass
class _Pending:
    signature: Signature  # as last read; _UNSEEN until the first check
    since: float  # when the signature last changed, or an event last came


class Settler:
    """The files waiting to settle."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._pending: dict[Path, _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def __iter__(self) -> Iterator[Path]:
        """The files still waiting to settle."""
        return iter(list(self._pending))

    def touch(self, path: Path, now: float, signature: Signature = _UNSEEN, still_for: float = 0.0) -> None:
        """Something happened to `path` at `now`: it must be still for a whole window from then on.

        A file found by a scan is given its `signature` and how long it has already been `still_for`
        (by its modification time), so one untouched for a window is taken at the next check.
        """
        since = now - min(max(still_for, 0.0), self.window)
        pending = self._pending.get(path)
        self._pending[path] = _Pending(pending.signature if pending and signature == _UNSEEN else signature, since)

    def settled(self, now: float, signature_of: Callable[[Path], Signature | None]) -> list[Path]:
        """The files that have been still for the window (no longer pending). A file that disappeared
        is forgotten; one that changed starts its window again."""
        done = []
        for path, pending in list(self._pending.items()):
            current = signature_of(path)
            if current is None:
                del self._pending[path]
            elif current != pending.signature:
                self._pending[path] = _Pending(current, now)
            elif now - pending.since >= self.window:
                del self._pending[path]
                done.append(path)
        return done

    def next_check(self, now: float) -> float | None:
        """Seconds until a check can take a file (0: check now), or None if nothing is pending."""
        if not self._pending:
            return None
        times = [0.0 if p.signature == _UNSEEN else p.since + self.window - now for p in self._pending.values()]
        return max(0.0, min(times))
