"""The files notes replaced, held a while for an editor still writing into them.

An editor may still be writing into the file a note replaced (it paused mid-save, or writes through a file it
keeps open). So that file is kept, hidden, until the end of the run, and `HOLD` seconds at least where someone
else had written the note since vaultsync did; letting go of it, a save that landed in it is put back at the
note's place if the note is still exactly what vaultsync wrote there ("returned": the next import merges it),
else kept in `.vaultsync/recovered/`. A held file's name says what the note held and what replaced it, so a
run killed while holding it still knows, the next time, whether an editor saved into it (`leftovers`).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from vaultsync.storage.atomic import TEMP_PREFIX, Exchange, write_whole
from vaultsync.storage.snapshot import BUSY_LIMIT, QUIET, digest, read_all

HOLD = 1.0  # seconds: how long the file a note replaced is kept, for an editor still writing into it
MOST_OPEN = 256  # replaced files held open at once (where they keep no name): past that, the oldest go
NAME = re.compile(r"\.(?P<theirs>[0-9a-f]{16})\.(?P<ours>[0-9a-f]{16})\.tmp$")  # a held file's name's end


@dataclass
class Held:
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

    def settle(self, exchange: Exchange, ours: int) -> str | None:
        """Let go of the file. If someone wrote into it since it was replaced, put it back at `path` when
        the note there is still exactly what vaultsync last put there (`ours`, an inode): "returned".
        When the note changed too, neither save may be lost: the file's name, left for `HeldFiles.recover`.
        None: nothing to do."""
        keep = None
        try:
            data = self._read()
            if digest(data) == self.theirs:
                return None
            data = self._quiet(data)
            if os.lstat(self.path).st_ino == ours and digest(self.path.read_bytes()) == self.written:
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
            return read_all(self.file.fileno())
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


class HeldFiles:
    """The files a vault's notes replaced in this run, oldest first; `returned`: the notes whose replaced file
    was put back, not yet told; `recovered`: late saves kept aside in `recovered` (a folder), by note."""

    def __init__(self, recovered: Path, exchange: Exchange) -> None:
        self.folder = recovered
        self.exchange = exchange
        self.held: list[Held] = []
        self.returned: list[PurePosixPath] = []
        self.recovered: list[tuple[PurePosixPath, Path]] = []
        self.ours: dict[Path, int] = {}  # the inode of the file vaultsync last put at a path it replaced

    def add(self, held: Held) -> None:
        self.held.append(held)
        self.ours[held.path] = held.ours

    def keeps(self, name: Path) -> bool:
        """Whether `name` names the file held last (a replaced file, not a temporary one to delete)."""
        return bool(self.held) and self.held[-1].name == name

    def holding(self) -> set[PurePosixPath]:
        """The notes whose replaced file is still held, or was put back and not yet told (`release_all`)."""
        return {held.rel for held in self.held} | set(self.returned)

    def release_all(self) -> list[PurePosixPath]:
        """Let go of every file held, once each has been kept `HOLD` seconds (waiting if need be); the notes
        put back as an editor left them since the last call."""
        self.release(wait=True)
        returned, self.returned = self.returned, []
        return returned

    def release(self, wait: bool) -> None:
        """Let go of the files held `HOLD` seconds (all of them if `wait`, waiting for the youngest an editor
        may be writing into), and of the oldest while more than `MOST_OPEN` are open."""
        edited = [held.since for held in self.held if not held.ours_before]  # an editor may be writing those
        if wait and edited:
            time.sleep(max(0.0, edited[-1] + HOLD - time.monotonic()))
        open_files = sum(1 for held in self.held if held.file)
        while self.held and (wait or self.held[0].since + HOLD <= time.monotonic() or open_files > MOST_OPEN):
            held = self.held[0]
            if not wait and not held.ours_before and held.file and held.since + HOLD > time.monotonic():
                time.sleep(held.since + HOLD - time.monotonic())  # too many files open: wait for the oldest
            self.held.pop(0)
            open_files -= 1 if held.file else 0
            self.settle(held, self.ours[held.path])
            if not any(other.path == held.path for other in self.held):
                del self.ours[held.path]

    def settle(self, held: Held, ours: int) -> None:
        """Let go of one file (`Held.settle`), and note where a save in it went."""
        outcome = held.settle(self.exchange, ours)
        if outcome == "returned":
            self.returned.append(held.rel)
        elif outcome:
            self.keep(held.rel, Path(outcome))

    def keep(self, rel: PurePosixPath, path: Path) -> None:
        """Keep the file at `path`, a save to the note `rel` that could not be put back, in the recovered folder."""
        self.recovered.append((rel, self.recover(path, rel.parent.as_posix())))

    def recover(self, path: Path, folder: str) -> Path:
        """Move a file holding a save vaultsync could not put back into the recovered folder; its new path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{folder.replace('/', ' ')} {time.strftime('%Y%m%d-%H%M%S')} {path.stat().st_ino}.md"
        os.replace(path, self.folder / name)
        return self.folder / name

    def leftovers(self, root: Path, folders: list[str]) -> list[Path]:
        """Delete the temporary files a killed run left in these folders of `root` (none is in use: one
        writer holds the vault). A file a note replaced, held when the run was killed, that an editor saved
        into meanwhile is put back in the note's place if the note is still as vaultsync wrote it, else kept
        in the recovered folder: where each such save now is."""
        kept: list[Path] = []
        for folder in dict.fromkeys(folders):
            try:
                names = os.listdir(root / folder)  # names only: a folder may hold 100,000 notes
            except OSError:
                continue
            for name in names:
                if name.startswith(TEMP_PREFIX) and name.endswith(".tmp"):
                    held = NAME.search(name)
                    path = root / folder / name
                    try:
                        found = digest(path.read_bytes()) if held else None
                    except OSError:
                        continue
                    if held and found not in (held["theirs"], held["ours"]):  # saved into after it was held
                        note = _written_note(path.parent, held["ours"])
                        if note:  # still as vaultsync wrote it: the editor's save goes back in its place
                            os.replace(path, note)
                            kept.append(note)
                        else:
                            kept.append(self.recover(path, folder))
                    else:
                        path.unlink(missing_ok=True)
        return kept


def _written_note(folder: Path, written: str) -> Path | None:
    """The note in `folder` whose bytes have the digest `written` (what vaultsync wrote there), if any."""
    for entry in os.scandir(folder):
        if entry.name.endswith(".md") and entry.is_file(follow_symlinks=False):
            try:
                if digest(Path(entry.path).read_bytes()) == written:
                    return Path(entry.path)
            except OSError:
                continue
    return None
