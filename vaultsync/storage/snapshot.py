"""A note as read: its text and the bytes and inode that identify it (`Snapshot`), the errors of reading and
writing notes, and what reads a note's file: opened without blocking on a FIFO or a device, decoded whatever
its line ends or byte-order mark, and checked, just before it is replaced, to hold the snapshot's bytes still.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

BOM = b"\xef\xbb\xbf"
QUIET = 0.1  # seconds: a note changed by someone else more recently than this may be mid-save
BUSY_LIMIT = 1.0  # seconds: how long to wait for a note to stop changing before leaving it for the next run


class VaultError(OSError):
    """A note could not be read or written; the message names it."""


class VaultMoved(RuntimeError):
    """The vault's folder is no longer at its path (moved, renamed, removed or replaced) while a writer works in
    it: writing on would create a new, empty vault at the old path."""

    def __init__(self, vault: Path) -> None:
        super().__init__(
            f"{vault} was moved, renamed or removed while vaultsync wrote to it — run it again with the vault's"
            " new path"
        )


class NoteChanged(Exception):
    """The note is no longer what was read: read it again and merge again."""


class NoteBusy(VaultError):
    """The note kept changing while vaultsync waited for it: another program is writing it."""

    def __init__(self, path: PurePosixPath, message: str) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Snapshot:
    """A note as read: its text (byte-order marks and CRs of CRLF or CR line ends removed), and what
    identifies those bytes."""

    text: str
    raw: bytes
    inode: int
    mtime_ns: int
    mode: int = 0o644
    bom: bytes = b""  # the byte-order mark(s) the file starts with
    newline: str = "\n"  # the line end the file uses: "\n", "\r\n" or "\r"
    ours: bool = False  # as vaultsync left it: nobody has written it since

    @property
    def stamp(self) -> str:
        """As `Vault.stamp` gives it."""
        return f"{self.mtime_ns}:{len(self.raw)}:{self.inode}"

    @property
    def read_only(self) -> bool:
        return not self.mode & 0o222

    def encode(self, text: str) -> bytes:
        """`text` as bytes in this note's own line ends and BOM."""
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return self.bom + text.encode("utf-8")


def decode(raw: bytes, where: object) -> tuple[str, bytes, str]:
    """(text, the byte-order marks it started with, its line end) of a note's bytes; VaultError if they are
    not UTF-8. A file whose lines end mostly in CRLF (or only in CR) is read with `\\n` line ends; written
    back, every line ends as most did."""
    count = 0
    while raw.startswith(BOM, 3 * count):
        count += 1
    bom = BOM * count
    try:
        text = raw[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as error:
        raise VaultError(
            f"{where}: not UTF-8 text (byte {error.start + len(bom)}) — save it as UTF-8 and import again"
        ) from None
    lf, crlf = text.count("\n"), text.count("\r\n")
    if crlf and crlf * 2 >= lf:
        return text.replace("\r\n", "\n"), bom, "\r\n"
    if not lf and "\r" in text:
        return text.replace("\r", "\n"), bom, "\r"
    return text, bom, "\n"


def digest(data: bytes) -> str:
    """A short digest of a file's bytes: what names a replaced file by what it held (see `held`)."""
    return hashlib.sha256(data).hexdigest()[:16]


def open_file(path: Path) -> BinaryIO:
    """The regular file at `path`, opened to read without blocking on a FIFO or a device."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise VaultError(f"{path}: not a regular file — left as is")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def holds(file: BinaryIO, expected: Snapshot) -> bool:
    """Whether the open file is `expected`'s file with `expected`'s bytes."""
    fd = file.fileno()
    info = os.fstat(fd)
    return info.st_ino == expected.inode and info.st_size == len(expected.raw) and read_all(fd) == expected.raw


def read_all(fd: int) -> bytes:
    """Every byte of the open file, from its start, wherever its offset is."""
    chunks, offset = [], 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)
