"""Which files in SRC are digests: the rule shared by `import` and `watch`.

A digest is a `*.md` or `*.txt` file (or what the settings' `digest_patterns` say); hidden files and
the temporary files of editors, downloaders and atomic writers are not (a half-written `x.md.part`
becomes a digest when it is renamed to `x.md`). Files in sub-folders count only when asked for
(`recursive`), and never inside hidden folders (`.git`); digests left in sub-folders without it are
pointed out once (`subfolder_notice`).

A file found that way which the reader refuses (`NotADigestError`: binary, not UTF-8, or no `## keyword`
section nor `### Title:` entry) is not a digest if its name holds no date (`README.md`, `notes.txt`):
it is skipped with a notice. One whose name holds a date (`2024-01-18.md`) looks like a digest: refused,
it is an error. A file that cannot be read at all is an error either way.

Only regular files are digests (a symlink to one included). A FIFO, socket or device named like a digest is
never opened: opening a FIFO waits for a writer that may never come, and reading a device may never end.
`read_digest` checks before opening, and again on the descriptor it opened without blocking, so a file
replaced by a FIFO between the two is refused too.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path, PurePath

from vaultsync.pipeline.reader import date_from_name
from vaultsync.text.words import count

DIGEST_PATTERNS = ("*.md", "*.txt")
IGNORED_PATTERNS = (".*", "*~", "*.tmp", "*.part", "*.swp", ".#*")
# O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer (it is then refused by fstat).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_KINDS = [
    (stat.S_ISREG, "a file"),
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
]


class NotARegularFile(OSError):
    """A path named like a digest is a FIFO, socket or device: not read, as it may never end."""


def file_kind(mode: int) -> str:
    """What a file is by its `st_mode`, for messages: "a file", "a folder", "a FIFO", "a socket", …"""
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def read_digest(path: Path) -> bytes:
    """The bytes of the digest file at `path`, only if it is a regular file (symlinks followed); raises
    NotARegularFile for anything else without blocking, and OSError if it cannot be read."""
    _refuse_unless_regular(os.stat(path).st_mode, path)  # a FIFO or device found here is not even opened
    with open(os.open(path, _OPEN_FLAGS), "rb") as file:  # it may have been replaced since: check what was opened
        _refuse_unless_regular(os.fstat(file.fileno()).st_mode, path)
        return file.read()


def _refuse_unless_regular(mode: int, path: Path) -> None:
    if not stat.S_ISREG(mode):
        raise NotARegularFile(errno.EINVAL, f"{file_kind(mode)}, not a regular file", str(path))


def is_digest(relative: PurePath, recursive: bool = False, patterns: Sequence[str] = DIGEST_PATTERNS) -> bool:
    """Whether the file at `relative` (a path inside SRC) is a digest to import."""
    parts = relative.parts
    if not parts or (len(parts) > 1 and not recursive) or any(part.startswith(".") for part in parts[:-1]):
        return False
    name = parts[-1]
    return any(fnmatchcase(name, pattern) for pattern in patterns) and not any(
        fnmatchcase(name, pattern) for pattern in IGNORED_PATTERNS
    )


def digest_order(path: Path) -> tuple[date, str]:
    """Sort key: digests are imported oldest date first (undated last), then by name."""
    return date_from_name(path.name) or date.max, path.name


def find_digests(src: Path, recursive: bool = False, patterns: Sequence[str] = DIGEST_PATTERNS) -> list[Path]:
    """The digest files at `src` (a file, or the digests in a folder), in import order. A `src` that is not a
    folder is taken as a digest file (`read_digest` refuses it if it is not one)."""
    if not src.is_dir():
        return [src]
    candidates = _walk(src) if recursive else src.iterdir()
    found = [path for path in candidates if is_digest(path.relative_to(src), recursive, patterns) and path.is_file()]
    return sorted(found, key=digest_order)


def subfolder_notice(src: Path, patterns: Sequence[str] = DIGEST_PATTERNS) -> str | None:
    """A hint when sub-folders of the folder `src` hold digests that are skipped for want of `--recursive`."""
    if not src.is_dir():
        return None
    found = sum(1 for path in _walk(src) if is_digest(path.relative_to(src), True, patterns) and path.parent != src)
    if not found:
        return None
    return f"{src}: {count(found, 'digest')} in sub-folders not imported — give --recursive to import them too"


def _walk(folder: Path) -> Iterator[Path]:
    """Every file under `folder`, hidden folders not entered."""
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        yield from (Path(root, name) for name in files)
