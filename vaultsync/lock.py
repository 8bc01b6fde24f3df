"""One writer per vault: `import` and `watch` hold `VAULT/.vaultsync/lock` while they write.

The lock is an OS file lock (filelock: flock on Unix, LockFileEx on Windows), so the system releases
it when its holder dies, even by SIGKILL: a stale lock cannot block anyone. Beside it, `lock.owner`
names the holder (pid, command, since when) for the message a second writer gets; a holder removes
it on release, so one left behind tells that the previous writer was killed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from .vault import STATE_DIR


class VaultBusy(RuntimeError):
    """Another vaultsync process holds the vault's lock; the message names it."""


@dataclass(frozen=True)
class Owner:
    pid: int
    command: str
    since: str

    def describe(self) -> str:
        return f"`vaultsync {self.command}` (pid {self.pid}, since {self.since})"


def read_owner(vault: Path) -> Owner | None:
    """Who holds (or, if it was killed, last held) the vault's lock, if anyone said so."""
    try:
        return Owner(**json.loads((vault / STATE_DIR / "lock.owner").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _holder(vault: Path) -> str:
    owner = read_owner(vault)
    return owner.describe() if owner else "another vaultsync process"


@contextmanager
def hold(
    vault: Path, command: str, wait: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[Owner | None]:
    """Hold the vault's lock (creating the vault if needed) for `command`; if another writer holds it,
    tell `on_wait` who, and wait up to `wait` seconds before raising VaultBusy.

    Yields the owner a killed writer left behind (its lock is taken over), or None.
    """
    folder = vault / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / "lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if wait <= 0:
            raise VaultBusy(f"{vault} is being written by {_holder(vault)} — stop it, or give --wait SECONDS") from None
        if on_wait:
            on_wait(_holder(vault))
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise VaultBusy(
                f"{vault} is still being written by {_holder(vault)} after {wait:g} s — stop it, or wait longer"
            ) from None
    owner_file = folder / "lock.owner"
    left_behind = read_owner(vault)
    try:
        mine = Owner(os.getpid(), command, datetime.now().astimezone().isoformat(timespec="seconds"))
        temp = owner_file.with_name(f"lock.owner.{mine.pid}.tmp")
        temp.write_text(json.dumps(vars(mine)), encoding="utf-8")
        os.replace(temp, owner_file)
        yield left_behind if left_behind and left_behind.pid != mine.pid else None
    finally:
        owner_file.unlink(missing_ok=True)
        lock.release()
