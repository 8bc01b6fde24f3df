"""Compare-and-swap of one note's file: created only where no file is, replaced or removed only while it still
holds exactly the bytes that were read (`NoteChanged` if it does not: read it again and merge again).

A note is replaced by a temporary file already written beside it. The file at the note's place is opened and
checked against the snapshot just before the replacement, and again just after it: on Linux the two are
swapped with `renameat2`'s RENAME_EXCHANGE, so the replaced file is still at hand and is swapped back if it
changed in between (a truncating save, or an atomic save that landed first). Elsewhere the file is replaced
with `os.replace`, and a truncating save that went to the replaced file meanwhile is written back. Either way
the replaced file is held (`held`) for an editor still writing into it.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path, PurePosixPath

from vaultsync.storage.atomic import TEMP_PREFIX
from vaultsync.storage.held import Held, HeldFiles
from vaultsync.storage.snapshot import NoteChanged, Snapshot, VaultError, digest, holds, open_file


def create(temp: Path, path: Path) -> None:
    """Give `temp` the name `path`, unless a file appeared there meanwhile."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise NoteChanged from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(path):  # a file system without hard links: the check is as late as can be
            raise NoteChanged from None
        os.rename(temp, path)


def replace(
    temp: Path, path: Path, expected: Snapshot, rel: PurePosixPath, theirs: str, written: str, held_files: HeldFiles
) -> Held:
    """Put `temp` (whose bytes have the digest `written`) at `path` if the file there still holds
    `expected`'s bytes (digest `theirs`); the replaced file, held."""
    try:
        old = open_file(path)  # the file as it is: held, so what happens to it after the swap is seen
    except FileNotFoundError:
        raise NoteChanged from None  # deleted meanwhile: the user's choice
    exchange = held_files.exchange
    try:
        if not holds(old, expected):
            raise NoteChanged
        swapped = exchange(temp, path)
        # Swapped, `temp` names the file that was at `path`: it must be the one checked, unchanged.
        if swapped and (os.lstat(temp).st_ino != expected.inode or not holds(old, expected)):
            exchange(temp, path)  # theirs back, untouched, before anything else reads it
            raise NoteChanged
        if not swapped:
            os.replace(temp, path)
        held = Held(
            rel,
            path,
            temp if swapped else None,
            None if swapped else old,
            theirs,
            written,
            os.lstat(path).st_ino,
            time.monotonic(),
            expected.ours,
        )
        if swapped:
            old.close()
        elif not holds(old, expected):  # saved into the replaced file meanwhile: put their bytes back
            held_files.settle(held, held.ours)
            raise NoteChanged
        return held
    except BaseException:
        old.close()
        raise


def remove(path: Path, rel: PurePosixPath, expected: Snapshot, held_files: HeldFiles) -> bool:
    """Delete the note at `path` if it still is `expected`; False, the note left in place, if it is not. It
    is first moved aside under a name saying what it held, so a save that reaches it meanwhile is put back
    (or, if a file appeared at its place, kept in the recovered folder), also after a kill."""
    held = digest(expected.raw)
    aside = path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{time.monotonic_ns()}.{held}.{held}.tmp")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return False  # deleted meanwhile: the user's choice
    except OSError as error:
        raise VaultError(f"{path}: cannot remove note ({error.strerror or error})") from None
    with open_file(aside) as moved:
        if holds(moved, expected):
            aside.unlink()
            return True
    try:
        create(aside, path)
        aside.unlink()
    except NoteChanged:  # a new file took its place meanwhile: both stay
        held_files.keep(rel, aside)
    return False
