"""The vault on disk: notes read as snapshots, and written only over the bytes that were read.

Editors save notes while vaultsync imports: atomically (a temporary file renamed over the note) or by
truncating the note and writing it again (Node's `fs.writeFile`, many plugins). Nothing a user saved may
be lost to that race, so a note is never simply replaced:

- A note is read as a `Snapshot` (`snapshot`): its bytes and its inode. A note someone else changed in the
  last `QUIET` seconds is read again once it has been still that long (an editor mid-save leaves it empty or
  partly written); one that keeps changing for `BUSY_LIMIT` seconds is reported busy.
- `write` replaces the note only if it still holds exactly the snapshot's bytes, checked just before the
  replacement and again just after it (`swap`, compare-and-swap); a note is created only where no file is.
  Either way the caller is told (`NoteChanged`) to read the note again and merge once more.
- The file a note replaced is kept, hidden, for an editor that was still writing into it (`held`): its save
  is put back at the note's place, and the next import merges it.
- A note is read whatever its line ends or byte-order mark, as text with `\\n` line ends, and written
  back with the note's own. A read-only note is left as it is; a note keeps its owner.
- Nothing outside the vault is read or written: a symlink is followed only where it stays inside.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
import unicodedata
from dataclasses import replace
from pathlib import Path, PurePosixPath

from vaultsync.storage import swap
from vaultsync.storage.atomic import TEMP_PREFIX, Exchange, new_file_mode
from vaultsync.storage.held import HeldFiles
from vaultsync.storage.snapshot import (
    BUSY_LIMIT,
    QUIET,
    NoteBusy,
    NoteChanged,
    Snapshot,
    VaultError,
    VaultMoved,
    decode,
    digest,
    open_file,
)

STATE_DIR = ".vaultsync"
RECOVERED = "recovered"  # in STATE_DIR: saves that landed in a replaced file vaultsync could not put back


def name_key(name: str) -> str:
    """File names that macOS, Windows or a sync service would take for one file share a key."""
    return unicodedata.normalize("NFC", name).casefold()


class FolderNames:
    """The names in the vault's folders, for finding the file a path would be on macOS, Windows or a sync
    service, which compare names ignoring case and Unicode normalisation (`name_key`). Each folder is
    listed once per run, then told of the notes written in it. Only its names' keys are kept, by hash (a
    folder of 100,000 notes would take 25 MB as names): a folder's spellings are kept only once one of its
    names is asked for that it has (rare: a new note's name is free), as it is listed then."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.keys: dict[PurePosixPath, set[int]] = {}  # folder → the hashes of its names' keys
        self.spellings: dict[PurePosixPath, dict[str, str]] = {}  # folder → name key → file name

    def twin(self, rel: PurePosixPath) -> PurePosixPath | None:
        """`rel` itself, another spelling of it in its folder (the first in sort order), or None."""
        keys = self.keys.get(rel.parent)
        if keys is None:
            keys = self.keys[rel.parent] = {hash(name_key(name)) for name in self.listing(rel.parent)}
        key = name_key(rel.name)
        if hash(key) not in keys:
            return None
        spellings = self.spellings.get(rel.parent)
        if spellings is None:
            listed = sorted(self.listing(rel.parent), reverse=True)
            spellings = self.spellings[rel.parent] = {name_key(name): name for name in listed}
        name = spellings.get(key)  # None: another name with the same hash
        return rel.with_name(name) if name else None

    def add(self, rel: PurePosixPath) -> None:
        """A note just written at `rel`: its folder has its name, if that folder was listed."""
        keys = self.keys.get(rel.parent)
        if keys is not None:
            keys.add(hash(name_key(rel.name)))
        spellings = self.spellings.get(rel.parent)
        if spellings is not None:
            spellings.setdefault(name_key(rel.name), rel.name)

    def listing(self, folder: PurePosixPath) -> list[str]:
        """The names in `folder` now (none if it cannot be listed)."""
        try:
            return os.listdir(self.root.joinpath(*folder.parts))
        except OSError:
            return []


class Vault:
    """A vault folder. Paths given to it are relative, `/`-separated; nothing is read or written outside it."""

    def __init__(self, root: Path, *, dry_run: bool = False) -> None:
        self.root = root.resolve()
        self.dry_run = dry_run
        self._mode = new_file_mode()
        self._inside: set[str] = set()  # folders (as `str(rel.parent)`) known to resolve inside the vault
        self._names = FolderNames(self.root)  # the names in its folders, listed once per run
        self._held = HeldFiles(self.root / STATE_DIR / RECOVERED, Exchange())  # files notes replaced
        self._root = str(self.root)  # for `stamp`, called once per note per import
        self._identity = _identity(self.root)  # of the vault's folder, as it was when the run began

    @property
    def state_file(self) -> Path:
        return self.root / STATE_DIR / "state.sqlite"

    @property
    def recovered(self) -> list[tuple[PurePosixPath, Path]]:
        """Late saves kept aside in `.vaultsync/recovered/` (the note had changed too), by note; the caller
        clears it once told."""
        return self._held.recovered

    def _file(self, rel: PurePosixPath) -> Path:
        """The file at `rel`: its folder must resolve inside the vault (checked once per run), and a symlink
        is followed to its target, which must be inside too."""
        path = self.root.joinpath(*rel.parts)
        if rel.is_absolute() or ".." in rel.parts:
            raise VaultError(f"{rel}: refusing to read or write outside the vault {self.root}")
        try:
            if str(rel.parent) not in self._inside:
                if not path.parent.resolve().is_relative_to(self.root):
                    raise VaultError(f"{path.parent}: leads outside the vault {self.root} — left as is")
                self._inside.add(str(rel.parent))
            if path.is_symlink():
                target = path.resolve(strict=True)
                if not target.is_relative_to(self.root):
                    raise VaultError(f"{path}: a symlink to {target}, outside the vault — left as is")
                return target
        except VaultError:
            raise
        except (RuntimeError, OSError) as error:  # a symlink loop, a dangling symlink
            raise VaultError(f"{path}: a symlink that leads nowhere ({error}) — left as is") from None
        return path

    # --- reading ----------------------------------------------------------------------------------

    def snapshot(self, rel: PurePosixPath, ours: str | None = None) -> Snapshot | None:
        """The note as it is once nobody is writing it (None if there is no such file); `ours`: the stamp
        vaultsync left it with, for a note it need not wait for. Raises NoteBusy if it keeps changing."""
        path = self._file(rel)
        deadline = time.monotonic() + BUSY_LIMIT
        while True:
            snap = self._read(path)
            if snap is not None and snap.stamp == ours:
                return replace(snap, ours=True)
            if snap is None:
                return snap
            age = time.time() - snap.mtime_ns / 1e9
            if not -QUIET < age < QUIET:
                return snap
            if time.monotonic() >= deadline:
                raise NoteBusy(rel, f"{path}: being saved by another program all along — left for the next import")
            time.sleep(QUIET - age if age > 0 else QUIET)

    def _read(self, path: Path) -> Snapshot | None:
        try:
            with open_file(path) as file:
                info = os.fstat(file.fileno())
                raw = file.read()
        except FileNotFoundError:
            return None
        except VaultError:
            raise
        except OSError as error:
            raise VaultError(f"{path}: cannot read note ({error.strerror or error})") from None
        text, bom, newline = decode(raw, path)
        return Snapshot(text, raw, info.st_ino, info.st_mtime_ns, info.st_mode & 0o7777, bom, newline)

    def read(self, rel: PurePosixPath, *, strict: bool = True) -> str | None:
        """The note's text (`\\n` line ends, no BOM), or None if there is no such file. Not `strict`: bytes
        that are not UTF-8 are read as U+FFFD, for a look at a note that cannot be written back."""
        try:
            snap = self._read(self._file(rel))
        except VaultError:
            if strict:
                raise
            try:
                with open_file(self._file(rel)) as file:
                    return file.read().decode("utf-8", "replace").lstrip("\ufeff").replace("\r\n", "\n")
            except OSError:
                raise VaultError(f"{rel}: cannot read note") from None
        return snap.text if snap else None

    def stamp(self, rel: PurePosixPath | str) -> str | None:
        """The file's modification time, size and inode as one string (None if missing): it changes
        when anyone writes the file, so a note nobody touched need not be read again."""
        text = str(rel)  # plain strings: this runs once per note per import
        folder, _, name = text.rpartition("/")
        try:
            info = os.lstat(f"{self._root}/{text}")
            if stat.S_ISLNK(info.st_mode) or (folder or ".") not in self._inside or name == "..":  # `_file`'s checks
                info = self._file(PurePosixPath(text)).stat()
        except OSError:
            return None
        return f"{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"

    def exists(self, rel: PurePosixPath) -> bool:
        """Whether there is a file (or a symlink, wherever it leads) at `rel`."""
        return os.path.lexists(self.root.joinpath(*rel.parts))

    def changed_lately(self, rel: PurePosixPath) -> bool:
        """Whether the file or folder at `rel` changed less than `QUIET` seconds ago (a file in a folder
        was created, deleted or renamed)."""
        try:
            age = time.time() - os.stat(self.root.joinpath(*rel.parts)).st_mtime
        except OSError:
            return False
        return -QUIET < age < QUIET

    def twin(self, rel: PurePosixPath) -> PurePosixPath | None:
        """The file of the vault that `rel` would be on macOS, Windows or a sync service (see `FolderNames`)."""
        return self._names.twin(rel)

    # --- writing ----------------------------------------------------------------------------------

    def check_in_place(self) -> None:
        """Raise VaultMoved if the vault's folder is no longer the one the run began in (moved, renamed,
        removed, or replaced by another folder of that name)."""
        if not self.dry_run and _identity(self.root) != self._identity:
            raise VaultMoved(self.root)

    def write(self, rel: PurePosixPath, text: str, expected: Snapshot | None) -> None:
        """Write the note, if it still is `expected` (None: if there is no file yet); raises NoteChanged
        if it is not, and VaultError if it cannot be written. A reader sees the old or the new text,
        never a part. A note replaced is synced to disk first; a new one is not (after a power cut it
        may be empty, and the next import writes it again)."""
        if self.dry_run:
            return
        path = self._file(rel)
        try:
            if not path.parent.is_dir():
                self.check_in_place()
                _make_folders(self.root, path.parent)
            info = os.stat(path if expected else path.parent)
        except FileNotFoundError:
            raise NoteChanged from None
        except OSError as error:
            raise VaultError(f"{path}: cannot write note ({error.strerror or error})") from None
        mode = info.st_mode & 0o7777 if expected else self._mode
        data = expected.encode(text) if expected else text.encode("utf-8")
        # Replacing, the temporary file's name says what the note held and what replaces it: after the swap
        # it names the replaced file, and a run killed while holding it knows whether an editor saved into it.
        theirs, ours = (digest(expected.raw), digest(data)) if expected else ("", "")
        suffix = f".{theirs}.{ours}.tmp" if expected else ".tmp"
        try:
            temp = _temp_file(path.parent, suffix, data, mode, info, sync=expected is not None)
        except OSError as error:
            raise VaultError(f"{path}: cannot write note ({error.strerror or error})") from None
        try:
            if expected:
                self._held.release(wait=False)
                self._held.add(swap.replace(temp, path, expected, rel, theirs, ours, self._held))
            else:
                swap.create(temp, path)
            self._names.add(rel)
        except OSError as error:
            raise VaultError(f"{path}: cannot write note ({error.strerror or error})") from None
        finally:
            if not self._held.keeps(temp):  # else `temp` names the replaced file, held
                temp.unlink(missing_ok=True)

    def remove(self, rel: PurePosixPath, expected: Snapshot) -> bool:
        """Delete the note if it still is `expected`; False, the note left in place, if it is not (a save
        that reaches it meanwhile is kept: `swap.remove`)."""
        return True if self.dry_run else swap.remove(self._file(rel), rel, expected, self._held)

    def remove_leftovers(self, folders: list[str]) -> list[Path]:
        """Delete the temporary files a killed run left in these folders, a save an editor made into one put
        back or kept in `.vaultsync/recovered/` (`HeldFiles.leftovers`): where each such save now is."""
        return [] if self.dry_run else self._held.leftovers(self.root, folders)

    def release(self) -> list[PurePosixPath]:
        """Let go of the files notes replaced, once each has been kept `HOLD` seconds (waiting if need be):
        the notes an editor saved into meanwhile, put back as the editor left them (the next import merges them)."""
        return self._held.release_all()

    def holding(self) -> set[PurePosixPath]:
        """The notes whose replaced file is still held, or was put back and not yet told (`release`)."""
        return self._held.holding()


def _make_folders(root: Path, folder: Path) -> None:
    """Create `folder` one level at a time from the vault's folder `root`, which is never created: a vault
    moved away while vaultsync writes raises VaultMoved instead of coming back empty."""
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        try:
            os.mkdir(current)
        except FileExistsError:
            pass
        except FileNotFoundError:
            raise VaultMoved(root) from None


def _temp_file(folder: Path, suffix: str, data: bytes, mode: int, owner: os.stat_result, *, sync: bool) -> Path:
    """A new temporary file in `folder` holding `data` (on disk before it returns, with `sync`: it is to
    replace a note the user may have written in), with `mode` and the owner of `owner`'s file."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=suffix)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            if sync:
                file.flush()
                os.fsync(file.fileno())
        os.chmod(temp, mode)
        if (owner.st_uid, owner.st_gid) != (os.geteuid(), os.getegid()):
            _give(temp, owner.st_uid, owner.st_gid)  # run as root (a service): the note stays the user's
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _identity(folder: Path) -> tuple[int, int] | None:
    """(device, inode) of `folder`, None if it is not there."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _give(path: Path, uid: int, gid: int) -> None:
    """Give the file `path` to that owner where this process may (root may; others keep their own)."""
    try:
        os.chown(path, uid, gid)
    except OSError:
        pass
