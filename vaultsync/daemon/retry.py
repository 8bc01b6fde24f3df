"""When to try a failed import again: the first retry after `first` seconds, each next one after twice
as long, up to `most`. A file that changes is tried again at once anyway (that is the settler's job);
these pauses are for causes that go away by themselves (a full disk, a permission, a template being
fixed). Pure: the caller passes the clock reading, and logs what `failed` says is new.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Failure:
    message: str
    attempts: int
    retry_at: float


class Retries:
    """The files whose import failed, and when each is due again."""

    def __init__(self, first: float = 10.0, most: float = 900.0) -> None:
        self.first, self.most = first, most
        self._failures: dict[Path, Failure] = {}

    def failed(self, path: Path, message: str, now: float) -> tuple[Failure, bool]:
        """Record a failure of `path`; the failure (attempts so far, when it is due) and whether it is news:
        False when it repeats the last failure's message word for word (worth a debug line only)."""
        before = self._failures.get(path)
        attempts = before.attempts + 1 if before else 1
        failure = Failure(message, attempts, now + self.delay(attempts))
        self._failures[path] = failure
        return failure, not (before and before.message == message)

    def delay(self, attempts: int) -> float:
        """Seconds before the retry that follows the `attempts`-th failure."""
        return min(self.first * 2 ** (attempts - 1), self.most)

    def succeeded(self, path: Path) -> int:
        """Forget `path`'s failures; how many there were (0: it had none)."""
        failure = self._failures.pop(path, None)
        return failure.attempts if failure else 0

    def due(self, now: float, exists: Callable[[Path], bool]) -> set[Path]:
        """The files due for a retry; those no longer there (`exists`) are forgotten: nothing to retry."""
        for path in [path for path in self._failures if not exists(path)]:
            del self._failures[path]
        return {path for path, failure in self._failures.items() if failure.retry_at <= now}

    def next_at(self) -> float | None:
        """When the next retry is due, if any is planned."""
        return min((failure.retry_at for failure in self._failures.values()), default=None)
