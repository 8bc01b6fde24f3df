"""The vault on disk: reading notes, and writing them atomically, only inside the vault."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

STATE_DIR = ".vaultsync"
TEMP_PREFIX = ".vaultsync-"


class VaultError(OSError):
    """A note could not be read or written; the message names it."""


def _new_file_mode() -> int:
    """What a plain `open(..., "w")` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class Vault:
    """A vault folder. Paths given to it are relative, `/`-separated; nothing is written outside it."""

    def __init__(self, root: Path, *, dry_run: bool = False) -> None:
        self.root = root.resolve()
        self.dry_run = dry_run
        self._mode = _new_file_mode()
        self._inside: set[PurePosixPath] = set()  # folders known to resolve inside the vault

    @property
    def state_file(self) -> Path:
        return self.root / STATE_DIR / "state.sqlite"

    def _file(self, rel: PurePosixPath) -> Path:
        """The file at `rel`, which must be inside the vault once symlinks are followed (its folder is
        resolved once per run, the file itself each time)."""
        path = self.root.joinpath(*rel.parts)
        if rel.is_absolute() or ".." in rel.parts:
            raise VaultError(f"{rel}: refusing to write outside the vault {self.root}")
        if rel.parent not in self._inside:
            if not path.parent.resolve().is_relative_to(self.root):
                raise VaultError(f"{rel}: refusing to write outside the vault {self.root}")
            self._inside.add(rel.parent)
        if path.is_symlink() and not path.resolve().is_relative_to(self.root):
            raise VaultError(f"{rel}: refusing to write outside the vault {self.root}")
        return path

    def read(self, rel: PurePosixPath) -> str | None:
        """The note's text, or None if there is no such file."""
        path = self._file(rel)
        try:
            return path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise VaultError(f"{path}: cannot read note ({error})") from None

    def stamp(self, rel: PurePosixPath) -> str | None:
        """The file's modification time, size and inode as one string (None if missing): it changes
        when anyone writes the file, so a note nobody touched need not be read again."""
        try:
            info = self._file(rel).stat()
        except OSError:
            return None
        return f"{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"

    def remove_leftovers(self, folders: list[str]) -> None:
        """Delete the temporary files a killed run left in these folders (none is in use: one writer
        holds the vault)."""
        if self.dry_run:
            return
        for folder in dict.fromkeys(folders):
            try:
                entries = list(os.scandir(self.root / folder))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(".tmp"):
                    Path(entry.path).unlink(missing_ok=True)

    def write(self, rel: PurePosixPath, text: str) -> None:
        """Replace the note in one step: a reader sees the old or the new text, never a part. A note
        replaced is synced to disk first; a new one is not (after a power cut it may be empty, and
        the next import writes it again)."""
        if self.dry_run:
            return
        path = self._file(rel)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                mode, replacing = path.stat().st_mode & 0o7777, True
            except FileNotFoundError:
                mode, replacing = self._mode, False
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(text.encode("utf-8"))
                    if replacing:  # on disk before it replaces a note the user may have written in
                        file.flush()
                        os.fsync(file.fileno())
                os.chmod(temp, mode)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise VaultError(f"{path}: cannot write note ({error.strerror or error})") from None
