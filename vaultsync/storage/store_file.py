"""The state store's file: copied into memory for a dry run, set aside when it is damaged or older, and its
errors told apart (damage, which a rebuild from the notes repairs, or a full disk, a lock, a failing disk,
which the user must see to)."""

from __future__ import annotations

import errno
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path


class DamagedValue(sqlite3.DatabaseError):
    """A value in the state store does not decode: the file is damaged, as SQLite's "malformed" says."""

    sqlite_errorcode = sqlite3.SQLITE_CORRUPT
    sqlite_errorname = "SQLITE_CORRUPT"


def is_damage(error: BaseException) -> bool:
    """Whether the error means the store's file is damaged (not a full disk, a lock or a failing disk)."""
    return _code(error) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _code(error: BaseException) -> int:
    """SQLite's primary result code for the error (0 if it is not SQLite's)."""
    return (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF


def advice(error: BaseException) -> str:
    """What to do when the store cannot be opened, read or saved for another reason than damage."""
    if _code(error) == sqlite3.SQLITE_FULL or getattr(error, "errno", None) == errno.ENOSPC:
        return "free some space; every note written is whole"
    if _code(error) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return "another program is using it; try again when it is done"
    return "check the disk and the permissions of its folder"


def copy_of(file: Path) -> sqlite3.Connection:
    """An in-memory copy of the store at `file`, made without writing to it. A commit a killed run left
    unfinished (a hot journal) is rolled back, as opening the store for writing does, in a temporary copy."""
    memory = sqlite3.connect(":memory:")
    try:
        with closing(sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)) as source:
            source.execute("BEGIN")  # read in one transaction, taken here: a lock held elsewhere is an error
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # after 5 s, not a wait forever
            source.backup(memory)
    except sqlite3.Error as error:
        if error.sqlite_errorcode != sqlite3.SQLITE_READONLY_ROLLBACK:
            raise
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder, file.name)
            for suffix in ("", "-journal"):
                shutil.copyfile(f"{file}{suffix}", f"{copy}{suffix}")
            with closing(sqlite3.connect(copy)) as source:
                source.backup(memory)
    return memory


def set_aside(file: Path, why: str) -> Path:
    """Move the store, with its log (`-wal`, `-shm`) or journal if a killed run left one, to
    `<file>.<why>-<YYYYmmdd-HHMMSS>` beside it (SQLite finds them by the store's name); the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = file.with_name(f"{file.name}.{why}-{stamp}")
    for number in range(2, 1000):
        if not aside.exists():
            break
        aside = file.with_name(f"{file.name}.{why}-{stamp}-{number}")
    file.replace(aside)
    for suffix in ("-journal", "-wal", "-shm"):
        companion = file.with_name(file.name + suffix)
        if companion.exists():
            companion.replace(aside.with_name(aside.name + suffix))
    return aside
