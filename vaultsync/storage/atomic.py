"""Files replaced in one step: `write_whole` (written and synced under a hidden temporary name, then renamed
over the file) and `Exchange` (two names swap their files, Linux's `renameat2`), with the prefix every such
temporary file of vaultsync's starts with (no import takes one for a note or a digest)."""

from __future__ import annotations

import ctypes
import errno
import os
import tempfile
from pathlib import Path

TEMP_PREFIX = ".vaultsync-"


def new_file_mode() -> int:
    """What a plain `open(..., "w")` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class Exchange:
    """`renameat2(RENAME_EXCHANGE)`: two names swap their files in one step (Linux ≥ 3.15, glibc ≥ 2.28)."""

    AT_FDCWD, RENAME_EXCHANGE = -100, 2

    def __init__(self) -> None:
        try:
            self.call = ctypes.CDLL(None, use_errno=True).renameat2
        except (AttributeError, OSError):
            self.call = None
        if os.environ.get("VAULTSYNC_NO_EXCHANGE"):  # to test (and measure) the fallback where there is none
            self.call = None

    def __call__(self, a: Path, b: Path) -> bool:
        """Swap the files at `a` and `b`; False where the system or file system cannot."""
        if self.call is None:
            return False
        if self.call(self.AT_FDCWD, os.fsencode(a), self.AT_FDCWD, os.fsencode(b), self.RENAME_EXCHANGE) == 0:
            return True
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            self.call = None  # not here: fall back for the rest of the run
            return False
        raise OSError(code, os.strerror(code), str(b))


def write_whole(path: Path, data: bytes, mode: int | None = None) -> None:
    """`data` as the file at `path`, whole or not at all: written and synced under a hidden temporary name
    beside it (one no import takes for a note or a digest), then renamed over it. `mode`: the file's
    permissions (None: a new file's, under the umask)."""
    mode = new_file_mode() if mode is None else mode
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(name, mode)
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)
