"""The vault on disk: notes read as snapshots, and written only over the bytes that were read.

Editors save notes while vaultsync imports: atomically (a temporary file renamed over the note) or by
truncating the note and writing it again (Node's `fs.writeFile`, many plugins). Nothing a user saved may
be lost to that race, so a note is never simply replaced:

- A note is read as a `Snapshot`: its bytes and its inode. A note someone else changed in the last
  `QUIET` seconds is read again once it has been still that long (an editor mid-save leaves it empty or
  partly written); one that keeps changing for `BUSY_LIMIT` seconds is reported busy.
- `write` replaces the note only if it still holds exactly the snapshot's bytes, checked just before the
  replacement, and again just after it: on Linux the new text is swapped in with `renameat2`'s
  RENAME_EXCHANGE, so the replaced file is still at hand; if it changed in between (a truncating save, or
  an atomic save that landed first), it is swapped back. Elsewhere the file is replaced with
  `os.replace`, and a truncating save that went to the replaced file meanwhile is written back. A note is
  created only where no file is (a hard link, which fails if one appeared). Either way the caller is
  told (`NoteChanged`) to read the note again and merge once more.
- The file a note replaced is kept, hidden, until the end of the run, and `HOLD` seconds at least where
  someone else had written it since vaultsync did: an editor that was still writing into it (it paused
  mid-save, or writes through a file it keeps open) has its save put back at the note's place, and the
  next import merges it.
- A note is read whatever its line ends or byte-order mark, as text with `\\n` line ends, and written
  back with the note's own. A read-only note is left as it is; a note keeps its owner.
- Nothing outside the vault is read or written: a symlink is followed only where it stays inside.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import stat
import tempfile
import time
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO

STATE_DIR = ".vaultsync"
TEMP_PREFIX = ".vaultsync-"
RECOVERED = "recovered"  # in STATE_DIR: saves that landed in a replaced file vaultsync could not put back
_HELD_NAME = re.compile(r"\.(?P<theirs>[0-9a-f]{16})\.(?P<ours>[0-9a-f]{16})\.tmp$")
BOM = b"\xef\xbb\xbf"
QUIET = 0.1  # seconds: a note changed by someone else more recently than this may be mid-save
BUSY_LIMIT = 1.0  # seconds: how long to wait for a note to stop changing before leaving it for the next run
HOLD = 1.0  # seconds: how long the file a note replaced is kept, for an editor still writing into it


class VaultError(OSError):
    """A note could not be read or written; the message names it."""


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


def name_key(name: str) -> str:
    """File names that macOS, Windows or a sync service would take for one file share a key."""
    return unicodedata.normalize("NFC", name).casefold()


def _new_file_mode() -> int:
    """What a plain `open(..., "w")` would give a new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class _Exchange:
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


class Vault:
    """A vault folder. Paths given to it are relative, `/`-separated; nothing is read or written outside it."""

    def __init__(self, root: Path, *, dry_run: bool = False) -> None:
        self.root = root.resolve()
        self.dry_run = dry_run
        self._mode = _new_file_mode()
        self._inside: set[PurePosixPath] = set()  # folders known to resolve inside the vault
        self._names: dict[PurePosixPath, dict[str, str]] = {}  # folder → name key → file name, as listed
        self._exchange = _Exchange()
        self._held: list[_Held] = []  # files notes replaced, kept for an editor still writing into them
        self.returned: list[PurePosixPath] = []  # notes whose file was put back: an editor saved into it late
        self._root = str(self.root)  # for `stamp`, called once per note per import
        self.recovered: list[tuple[PurePosixPath, Path]] = []  # late saves kept aside: the note had changed too
        self._ours: dict[Path, int] = {}  # the inode of the file vaultsync last put at a path it replaced

    @property
    def state_file(self) -> Path:
        return self.root / STATE_DIR / "state.sqlite"

    def _file(self, rel: PurePosixPath) -> Path:
        """The file at `rel`: its folder must resolve inside the vault (checked once per run), and a symlink
        is followed to its target, which must be inside too."""
        path = self.root.joinpath(*rel.parts)
        if rel.is_absolute() or ".." in rel.parts:
            raise VaultError(f"{rel}: refusing to read or write outside the vault {self.root}")
        try:
            if rel.parent not in self._inside:
                if not path.parent.resolve().is_relative_to(self.root):
                    raise VaultError(f"{path.parent}: leads outside the vault {self.root} — left as is")
                self._inside.add(rel.parent)
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
            with _open(path) as file:
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
                with _open(self._file(rel)) as file:
                    return file.read().decode("utf-8", "replace").lstrip("\ufeff").replace("\r\n", "\n")
            except OSError:
                raise VaultError(f"{rel}: cannot read note") from None
        return snap.text if snap else None

    def stamp(self, rel: PurePosixPath) -> str | None:
        """The file's modification time, size and inode as one string (None if missing): it changes
        when anyone writes the file, so a note nobody touched need not be read again."""
        try:
            info = os.lstat(os.path.join(self._root, rel))
            if stat.S_ISLNK(info.st_mode) or rel.parent not in self._inside or rel.is_absolute() or ".." in rel.parts:
                info = self._file(rel).stat()  # the checks of `_file`; a plain file in a checked folder needs none
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
        """The file of the vault that `rel` would be on macOS, Windows or a sync service, which compare
        names ignoring case and Unicode normalisation: `rel` itself, another spelling, or None. Each
        folder is listed once per run."""
        names = self._names.get(rel.parent)
        if names is None:
            try:
                listed = os.listdir(self.root.joinpath(*rel.parent.parts))
            except OSError:
                listed = []
            names = self._names[rel.parent] = {name_key(name): name for name in sorted(listed, reverse=True)}
        name = names.get(name_key(rel.name))
        return rel.with_name(name) if name else None

    # --- writing ----------------------------------------------------------------------------------

    def remove_leftovers(self, folders: list[str]) -> list[Path]:
        """Delete the temporary files a killed run left in these folders (none is in use: one writer
        holds the vault). A file a note replaced, held when the run was killed, that an editor saved into
        meanwhile is put back in the note's place if the note is still as vaultsync wrote it, else kept in
        `.vaultsync/recovered/`: where each such save now is."""
        kept: list[Path] = []
        if self.dry_run:
            return kept
        for folder in dict.fromkeys(folders):
            try:
                entries = list(os.scandir(self.root / folder))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(".tmp"):
                    held = _HELD_NAME.search(entry.name)
                    path = Path(entry.path)
                    try:
                        digest = _digest(path.read_bytes()) if held else None
                    except OSError:
                        continue
                    if held and digest not in (held["theirs"], held["ours"]):  # saved into after it was held
                        note = self._written_note(Path(entry.path).parent, held["ours"])
                        if note:  # still as vaultsync wrote it: the editor's save goes back in its place
                            os.replace(path, note)
                            kept.append(note)
                        else:
                            kept.append(self._recover(path, folder))
                    else:
                        path.unlink(missing_ok=True)
        return kept

    @staticmethod
    def _written_note(folder: Path, digest: str) -> Path | None:
        """The note in `folder` whose bytes have this digest (what vaultsync wrote there), if any."""
        for entry in os.scandir(folder):
            if entry.name.endswith(".md") and entry.is_file(follow_symlinks=False):
                try:
                    if _digest(Path(entry.path).read_bytes()) == digest:
                        return Path(entry.path)
                except OSError:
                    continue
        return None

    def _recover(self, path: Path, folder: str) -> Path:
        """Move a file holding a save vaultsync could not put back into `.vaultsync/recovered/`."""
        target = self.root / STATE_DIR / RECOVERED
        target.mkdir(parents=True, exist_ok=True)
        name = f"{folder.replace('/', ' ')} {time.strftime('%Y%m%d-%H%M%S')} {path.stat().st_ino}.md"
        os.replace(path, target / name)
        return target / name

    def write(self, rel: PurePosixPath, text: str, expected: Snapshot | None) -> None:
        """Write the note, if it still is `expected` (None: if there is no file yet); raises NoteChanged
        if it is not, and VaultError if it cannot be written. A reader sees the old or the new text,
        never a part. A note replaced is synced to disk first; a new one is not (after a power cut it
        may be empty, and the next import writes it again)."""
        if self.dry_run:
            return
        path = self._file(rel)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            info = os.stat(path if expected else path.parent)
        except FileNotFoundError:
            raise NoteChanged from None
        except OSError as error:
            raise VaultError(f"{path}: cannot write note ({error.strerror or error})") from None
        mode = info.st_mode & 0o7777 if expected else self._mode
        data = expected.encode(text) if expected else text.encode("utf-8")
        # Replacing, the temporary file's name says what the note held and what replaces it: after the swap
        # it names the replaced file, and a run killed while holding it knows whether an editor saved into it.
        theirs, ours = (_digest(expected.raw), _digest(data)) if expected else ("", "")
        suffix = f".{theirs}.{ours}.tmp" if expected else ".tmp"
        try:
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=suffix)
        except OSError as error:
            raise VaultError(f"{path}: cannot write note ({error.strerror or error})") from None
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                if expected:  # on disk before it replaces a note the user may have written in
                    file.flush()
                    os.fsync(file.fileno())
            os.chmod(temp, mode)
            if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                _give(temp, info.st_uid, info.st_gid)  # run as root (a service): the note stays the user's
            if expected:
                self._release(wait=False)
                held = self._replace(temp, path, expected, rel, theirs, ours)
                self._held.append(held)
                self._ours[path] = held.ours
            else:
                self._create(temp, path)
            self._names.get(rel.parent, {}).setdefault(name_key(rel.name), rel.name)
        except OSError as error:
            raise VaultError(f"{path}: cannot write note ({error.strerror or error})") from None
        finally:
            if not (self._held and self._held[-1].name == temp):  # else `temp` names the replaced file, held
                temp.unlink(missing_ok=True)

    def remove(self, rel: PurePosixPath, expected: Snapshot) -> bool:
        """Delete the note if it still is `expected`; False, the note left in place, if it is not. It is
        first moved aside under a name saying what it held, so a save that reaches it meanwhile is put
        back (or, if a file appeared at its place, kept in `.vaultsync/recovered/`), also after a kill."""
        if self.dry_run:
            return True
        path = self._file(rel)
        digest = _digest(expected.raw)
        aside = path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{time.monotonic_ns()}.{digest}.{digest}.tmp")
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return False  # deleted meanwhile: the user's choice
        except OSError as error:
            raise VaultError(f"{path}: cannot remove note ({error.strerror or error})") from None
        with _open(aside) as moved:
            if _holds(moved, expected):
                aside.unlink()
                return True
        try:
            self._create(aside, path)
            aside.unlink()
        except NoteChanged:  # a new file took its place meanwhile: both stay
            self.recovered.append((rel, self._recover(aside, rel.parent.as_posix())))
        return False

    def release(self) -> list[PurePosixPath]:
        """Let go of the files notes replaced, once each has been kept `HOLD` seconds (waiting if need be);
        the notes whose replaced file an editor saved into meanwhile are put back as the editor left them,
        and returned (the next import merges them)."""
        self._release(wait=True)
        returned, self.returned = self.returned, []
        return returned

    def _release(self, wait: bool) -> None:
        edited = [held.since for held in self._held if not held.ours_before]  # an editor may be writing those
        if wait and edited:
            time.sleep(max(0.0, edited[-1] + HOLD - time.monotonic()))
        open_files = sum(1 for held in self._held if held.file)
        while self._held and (wait or self._held[0].since + HOLD <= time.monotonic() or open_files > _MOST_OPEN):
            held = self._held[0]
            if not wait and not held.ours_before and held.file and held.since + HOLD > time.monotonic():
                time.sleep(held.since + HOLD - time.monotonic())  # too many files open: wait for the oldest
            self._held.pop(0)
            open_files -= 1 if held.file else 0
            self._settle(held, self._ours[held.path])
            if not any(other.path == held.path for other in self._held):
                del self._ours[held.path]

    def _settle(self, held: _Held, ours: int) -> None:
        outcome = held.settle(self._exchange, ours)
        if outcome == "returned":
            self.returned.append(held.rel)
        elif outcome:
            self.recovered.append((held.rel, self._recover(Path(outcome), str(held.rel.parent))))

    def holding(self) -> set[PurePosixPath]:
        """The notes whose replaced file is still held, or was put back and not yet told (`release`)."""
        return {held.rel for held in self._held} | set(self.returned)

    def _create(self, temp: Path, path: Path) -> None:
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

    def _replace(
        self, temp: Path, path: Path, expected: Snapshot, rel: PurePosixPath, theirs: str, written: str
    ) -> _Held:
        """Put `temp` (whose bytes have the digest `written`) at `path` if the file there still holds
        `expected`'s bytes (digest `theirs`); the replaced file, held."""
        try:
            old = _open(path)  # the file as it is: held, so what happens to it after the swap is seen
        except FileNotFoundError:
            raise NoteChanged from None  # deleted meanwhile: the user's choice
        try:
            if not _holds(old, expected):
                raise NoteChanged
            swapped = self._exchange(temp, path)
            # Swapped, `temp` names the file that was at `path`: it must be the one checked, unchanged.
            if swapped and (os.lstat(temp).st_ino != expected.inode or not _holds(old, expected)):
                self._exchange(temp, path)  # theirs back, untouched, before anything else reads it
                raise NoteChanged
            if not swapped:
                os.replace(temp, path)
            held = _Held(
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
            elif not _holds(old, expected):  # saved into the replaced file meanwhile: put their bytes back
                self._settle(held, held.ours)
                raise NoteChanged
            return held
        except BaseException:
            old.close()
            raise


_MOST_OPEN = 256  # replaced files held open at once (where they keep no name): past that, the oldest go


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass
class _Held:
    """A file a note replaced: by its hidden name (`name`), or open (`file`) where it has none left."""

    rel: PurePosixPath
    path: Path
    name: Path | None
    file: BinaryIO | None
    theirs: str  # the digest of what it held when it was replaced
    written: str  # the digest of what vaultsync put at `path`
    ours: int  # the inode of the note vaultsync put at `path`
    since: float
    ours_before: bool  # what it replaced was as vaultsync had left it: no editor was saving it

    def settle(self, exchange: _Exchange, ours: int) -> str | None:
        """Let go of the file. If someone wrote into it since it was replaced, put it back at `path` when
        the note there is still exactly what vaultsync last put there (`ours`, an inode): "returned".
        When the note changed too, neither save may be lost: the file's name, left for `Vault._recover`.
        None: nothing to do."""
        keep = None
        try:
            data = self._read()
            if _digest(data) == self.theirs:
                return None
            data = self._quiet(data)
            if os.lstat(self.path).st_ino == ours and _digest(self.path.read_bytes()) == self.written:
                if self.name and exchange(self.name, self.path):
                    return "returned"
                write_whole(self.path, data, os.stat(self.path).st_mode & 0o7777)
                return "returned"
            if self.name is None:  # open, nameless: give it one to be kept by
                self.name = self.path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{self.ours}.late")
                self.name.write_bytes(data)
            keep = self.name
            return str(keep)
        except OSError:
            return None
        finally:
            if self.file:
                self.file.close()
            if self.name and self.name != keep:
                self.name.unlink(missing_ok=True)

    def _read(self) -> bytes:
        if self.file:
            return _pread(self.file.fileno())
        assert self.name
        return self.name.read_bytes()

    def _quiet(self, data: bytes) -> bytes:
        """What the file holds once nobody has written it for a moment (`BUSY_LIMIT` at most)."""
        deadline = time.monotonic() + BUSY_LIMIT
        while time.monotonic() < deadline:
            time.sleep(QUIET / 5)
            again = self._read()
            if again == data:
                break
            data = again
        return data


def _open(path: Path) -> BinaryIO:
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


def _give(path: Path, uid: int, gid: int) -> None:
    """Give the file `path` to that owner where this process may (root may; others keep their own)."""
    try:
        os.chown(path, uid, gid)
    except OSError:
        pass


def _holds(file: BinaryIO, expected: Snapshot) -> bool:
    """Whether the open file is `expected`'s file with `expected`'s bytes."""
    fd = file.fileno()
    info = os.fstat(fd)
    return info.st_ino == expected.inode and info.st_size == len(expected.raw) and _pread(fd) == expected.raw


def _pread(fd: int) -> bytes:
    chunks, offset = [], 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def write_whole(path: Path, data: bytes, mode: int | None = None) -> None:
    """`data` as the file at `path`, whole or not at all: written and synced under a hidden temporary name
    beside it (one no import takes for a note or a digest), then renamed over it. `mode`: the file's
    permissions (None: a new file's, under the umask)."""
    mode = _new_file_mode() if mode is None else mode
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
