"""One writer per vault: `import` and `watch` hold the vault's lock while they write.

The lock is the operating system's, so the system releases it when its holder dies, even by SIGKILL: a
stale lock cannot block anyone. On POSIX systems it is a `flock` on the vault folder itself (on a
descriptor of the directory), which nothing done inside the vault can remove: deleting `.vaultsync/`
does not let a second writer in. The lock file `VAULT/.vaultsync/lock` (filelock: flock on Unix,
LockFileEx on Windows) is held as well: it is the only lock on Windows, where a folder cannot be locked,
and on file systems that refuse to lock a folder (some network shares), and it keeps out vaultsyncs
older than the folder lock. Beside it, `lock.owner` names the holder (pid, command, since when) for the
message a second writer gets; a holder removes it on release, so one left behind tells that the
previous writer was killed.

The holder also knows which folder it locked (device and inode): `Held.check` says when VAULT no longer
names it (moved, renamed, removed or replaced), so a long-running writer stops instead of re-creating
an empty vault at the old path.
"""

from __future__ import annotations

import errno
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from filelock import FileLock, Timeout

from vaultsync.storage.snapshot import VaultMoved
from vaultsync.storage.vault import STATE_DIR

try:
    import fcntl
except ImportError:  # Windows: a folder cannot be opened to lock it; the lock file alone is the lock
    fcntl = None  # type: ignore[assignment]

POLL = 0.05  # seconds between two tries while waiting for the folder's lock
_CONTENTION = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES)  # what flock says when another holds the lock


class VaultBusy(RuntimeError):
    """Another vaultsync process holds the vault's lock; the message names it."""


@dataclass(frozen=True)
class Owner:
    pid: int
    command: str
    since: str

    def describe(self) -> str:
        return f"`vaultsync {self.command}` (pid {self.pid}, since {self.since})"


@dataclass(frozen=True)
class Held:
    """The vault's lock, held: the owner a killed writer left behind (its lock taken over), if any, and
    the identity (device, inode) of the folder locked."""

    vault: Path
    left_behind: Owner | None
    identity: tuple[int, int]

    def check(self) -> None:
        """Raise VaultMoved unless `vault` still names the folder locked: writing on would create a new,
        empty vault at the old path."""
        try:
            info = os.stat(self.vault)
        except OSError:
            info = None
        if info is None or (info.st_dev, info.st_ino) != self.identity:
            raise VaultMoved(self.vault)


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
def hold(vault: Path, command: str, wait: float, on_wait: Callable[[str], None] | None = None) -> Iterator[Held]:
    """Hold the vault's lock (creating the vault if needed) for `command`; if another writer holds it,
    tell `on_wait` who, and wait up to `wait` seconds before raising VaultBusy."""
    folder = vault / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        directory = None
        if fcntl is not None:
            directory = os.open(vault, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            stack.callback(os.close, directory)  # closing it releases the folder's lock
        lock_file = FileLock(folder / "lock")
        if not _acquire(directory, lock_file, 0):
            if wait <= 0:
                raise VaultBusy(f"{vault} is being written by {_holder(vault)} — stop it, or give --wait SECONDS")
            if on_wait:
                on_wait(_holder(vault))
            if not _acquire(directory, lock_file, wait):
                raise VaultBusy(
                    f"{vault} is still being written by {_holder(vault)} after {wait:g} s — stop it, or wait longer"
                )
        stack.callback(lock_file.release)
        info = os.fstat(directory) if directory is not None else os.stat(vault)
        owner_file = folder / "lock.owner"
        left_behind = read_owner(vault)
        mine = Owner(os.getpid(), command, datetime.now().astimezone().isoformat(timespec="seconds"))
        stack.callback(_remove_owner_file, owner_file, directory)
        temp = owner_file.with_name(f"lock.owner.{mine.pid}.tmp")
        temp.write_text(json.dumps(vars(mine)), encoding="utf-8")
        os.replace(temp, owner_file)
        left_behind = left_behind if left_behind and left_behind.pid != mine.pid else None
        yield Held(vault, left_behind, (info.st_dev, info.st_ino))


def _remove_owner_file(owner_file: Path, directory: int | None) -> None:
    """Remove the owner file from the folder locked, wherever it is now: never from another folder that
    took the vault's path meanwhile."""
    try:
        if directory is None:
            owner_file.unlink()
        else:
            os.unlink(Path(STATE_DIR, owner_file.name), dir_fd=directory)
    except FileNotFoundError:
        pass


def _acquire(directory: int | None, lock_file: FileLock, timeout: float) -> bool:
    """Take the folder's lock (given its descriptor), then the lock file, within `timeout` seconds; False
    if another writer holds either. The folder's lock is released when its descriptor is closed."""
    deadline = time.monotonic() + timeout
    while directory is not None and not _lock_folder(directory):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)
    try:
        lock_file.acquire(timeout=max(0.0, deadline - time.monotonic()))
    except Timeout:
        return False
    return True


def _lock_folder(directory: int) -> bool:
    """Try once to lock the folder: False while another process holds it. Where the file system cannot
    lock a folder at all, True: the lock file alone keeps the other writers out, as on Windows."""
    try:
        fcntl.flock(directory, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        return error.errno not in _CONTENTION
    return True
