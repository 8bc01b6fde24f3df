"""The state store: what vaultsync remembers between runs, in `VAULT/.vaultsync/state.sqlite`.

Per note (a paper's by arXiv id, an index note's by day): where it is, the list values vaultsync last
wrote (to tell a tag the user removed from one never written), the note's file signature when it was
last written or checked (to skip notes nothing happened to), and whether the user deleted it. Per
paper, the facts merged from every listing; per day, the digest it came from and the index region
last written (the base for merging the user's ticks), and its paper lines as last read with the file's
signature then (so the reading queue reads only the index notes that changed). Per paper, the reading
state last synced between its note and the index notes (`reading`: whichever side changes next wins). The notes stay the
source of truth: a missing, damaged or outdated store is set aside and rebuilt from them. Commits
happen once per digest.

Damage is looked for when the store is opened (its schema, then SQLite's `PRAGMA quick_check`: 5 ms for
the shared corpus, 0.15 s for 100k papers) and wherever a read fails: SQLite's "malformed" or "not a
database", or a stored value that does not decode. A full disk, a lock or a failing disk is not damage:
the store is kept and the error says what to do.
"""

from __future__ import annotations

import errno
import functools
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from vaultsync.records import PaperRecord

SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notes (
    kind TEXT NOT NULL,
    identity TEXT NOT NULL,
    path TEXT NOT NULL,
    path_key TEXT NOT NULL UNIQUE,
    written TEXT NOT NULL,
    signature TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    edited INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, identity)
);
CREATE TABLE IF NOT EXISTS papers (arxiv_id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS digests (
    day TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    inputs TEXT NOT NULL,
    region TEXT,
    papers TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (day TEXT PRIMARY KEY, stamp TEXT NOT NULL, tasks TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reading (arxiv_id TEXT PRIMARY KEY, read INTEGER NOT NULL);
"""
_CACHES = ("tasks", "reading")  # tables added after schema 2 was in use: a store may lack them (created empty)
DAMAGED, OLDER = "damaged", "older"  # why a store is set aside: `state.sqlite.damaged-<time>`
PAPER, DIGEST = "paper", "digest"
JOURNAL = "journal"  # a Logseq journal page vaultsync added a block to
QUEUE = "queue"  # the reading-queue note
TOPIC = "topic"  # a topic's note, by its tag


class StateError(RuntimeError):
    """The state store is from a newer vaultsync, or cannot be created, read or saved; the message says
    what to do."""


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


def _advice(error: BaseException) -> str:
    """What to do when the store cannot be opened, read or saved for another reason than damage."""
    if _code(error) == sqlite3.SQLITE_FULL or getattr(error, "errno", None) == errno.ENOSPC:
        return "free some space; every note written is whole"
    if _code(error) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return "another program is using it; try again when it is done"
    return "check the disk and the permissions of its folder"


def _key(path: PurePosixPath) -> str:
    """Paths that would be one file on a case-insensitive file system (Windows, macOS) share a key."""
    return str(path).casefold()


@dataclass
class NoteState:
    """What vaultsync knows about one note."""

    path: PurePosixPath
    written: dict[str, list[Any]] = field(default_factory=dict)
    signature: str | None = None
    deleted: bool = False
    edited: bool = False


@dataclass(frozen=True)
class DigestState:
    """The last import of one day: from which file, with which inputs, listing which papers."""

    source: str
    inputs: str
    region: str | None
    papers: tuple[str, ...]


class StateStore:
    """Notes by identity (arXiv id, digest day), not by path. `fresh`: nothing was remembered. `file`: where
    the store is kept; `copy`: this is an in-memory copy of it (a dry run), never written back."""

    def __init__(
        self, connection: sqlite3.Connection, *, fresh: bool = False, file: Path | None = None, copy: bool = False
    ) -> None:
        self.db, self.fresh, self.file, self.copy = connection, fresh, file, copy
        upgrade = not _columns(self.db, "reading")
        self.db.executescript(_SCHEMA)
        if upgrade:  # a store from before `read`: its cached index lines took a cancelled paper for unread
            self.db.execute("DELETE FROM tasks")
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    @classmethod
    def open(cls, file: Path, *, dry_run: bool = False, thorough: bool = False) -> tuple[StateStore, str | None]:
        """The store at `file`, and why it starts afresh if it does (None when it is new or fine).

        A store that is damaged (a wrong schema, a failed quick check, any SQLite error reading it) or from
        an older schema is set aside as `state.sqlite.damaged-<time>` or `state.sqlite.older-<time>`, and a
        new one begun. With `dry_run` nothing is written: the store is an in-memory copy, or a new one;
        `thorough` (doctor) reads every row and runs SQLite's full integrity check instead of the quick one.
        A newer schema, or a store that cannot be read for another reason (a lock, a failing disk), raises
        StateError.
        """
        existed = file.exists()
        try:
            if not dry_run:
                file.parent.mkdir(parents=True, exist_ok=True)
            db, why = _existing(file, dry_run, thorough) if existed else (None, None)
            if why is None:
                db = db or sqlite3.connect(":memory:" if dry_run else file)
                return cls(db, fresh=not existed, file=file, copy=dry_run), None
            kind, detail = why
            what = "damaged" if kind == DAMAGED else "from an older vaultsync"
            if dry_run:
                problem = f"the state store {file} is {what} ({detail})"
                return cls(sqlite3.connect(":memory:"), fresh=True, file=file, copy=True), problem
            aside = _set_aside(file, kind)
            problem = f"the state store was {what} ({detail}); set aside as {aside.name}"
            return cls(sqlite3.connect(file), fresh=True, file=file), problem
        except (OSError, sqlite3.Error) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            raise StateError(f"{file}: cannot open the state store ({reason}) — {_advice(error)}") from None

    def failure(self, error: sqlite3.Error) -> StateError:
        """What to tell the user when reading or saving the store failed after it was opened. A damaged
        store is closed and set aside at once (not a dry run's copy), so the next run rebuilds it."""
        if not is_damage(error):
            return StateError(f"{self.file}: cannot read or save the state store ({error}) — {_advice(error)}")
        self.db.close()
        if self.copy or self.file is None:
            return StateError(
                f"the state store {self.file} is damaged ({error}) — `vaultsync doctor --fix` sets it aside and"
                " rebuilds it from the notes"
            )
        try:
            aside = _set_aside(self.file, DAMAGED)
        except OSError as move:
            return StateError(f"the state store {self.file} is damaged ({error}) and cannot be set aside ({move})")
        return StateError(
            f"the state store was damaged ({error}); set aside as {aside.name} — import again to rebuild it from"
            " the notes (every note written is whole)"
        )

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.db.close()

    def commit(self) -> None:
        self.db.commit()

    def claim_flavor(self, name: str) -> None:
        """Remember that the vault is written as `name` (obsidian, logseq); raises StateError if it
        was written as another: the two kinds of notes must not mix in one folder."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'flavor'").fetchone()
        if row and row[0] != name:
            raise StateError(
                f"this folder holds {row[0]} notes written by vaultsync — import with --flavor {row[0]},"
                " or into another folder"
            )
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('flavor', ?)", (name,))

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def notes(self, kind: str) -> Iterator[tuple[str, NoteState]]:
        """Every note of `kind` vaultsync knows, by identity."""
        rows = self.db.execute(
            "SELECT identity, path, written, signature, deleted, edited FROM notes WHERE kind = ? ORDER BY identity",
            (kind,),
        )
        for identity, *row in rows:
            yield identity, _note(*row)

    def signatures(self, kind: str) -> Iterator[tuple[str, NoteState]]:
        """Every note of `kind` that is not deleted, by identity, without what vaultsync wrote in it
        (`written` left empty: read the note itself with `note` before changing it)."""
        rows = self.db.execute(
            "SELECT identity, path, signature, edited FROM notes WHERE kind = ? AND NOT deleted", (kind,)
        ).fetchall()
        for identity, path, signature, edited in rows:
            if not isinstance(path, str):
                raise DamagedValue("a stored note path is not text")
            yield identity, NoteState(PurePosixPath(path), {}, signature, False, bool(edited))

    def records(self) -> Iterator[PaperRecord]:
        for (data,) in self.db.execute("SELECT record FROM papers"):
            yield _record(data)

    def first_seen(self) -> list[tuple[str, date, str]]:
        """(arXiv id, first day listed, title) of every paper, read by SQLite from the stored records without
        decoding them whole: the reading queue of a large vault needs no more."""
        try:
            rows = self.db.execute(
                "SELECT arxiv_id, json_extract(record, '$.listings[0][0]'), json_extract(record, '$.title') FROM papers"
            ).fetchall()
            return [(arxiv_id, date.fromisoformat(day), title) for arxiv_id, day, title in rows]
        except (sqlite3.OperationalError, TypeError, ValueError):  # a damaged record: say which, as records() does
            return [(record.arxiv_id, record.first_seen, record.title) for record in self.records()]

    def tags(self) -> set[str]:
        """Every keyword tag any paper was listed under (see `first_seen` for why SQLite reads them)."""
        try:
            rows = self.db.execute(
                "SELECT DISTINCT json_extract(item.value, '$[2]') FROM papers, json_each(papers.record, '$.listings')"
                " AS item"
            ).fetchall()
            return {tag for (tag,) in rows if isinstance(tag, str) and tag}
        except sqlite3.OperationalError:
            return {tag for record in self.records() for tag in record.tags}

    def note(self, kind: str, identity: str) -> NoteState | None:
        row = self.db.execute(
            "SELECT path, written, signature, deleted, edited FROM notes WHERE kind = ? AND identity = ?",
            (kind, identity),
        ).fetchone()
        return None if row is None else _note(*row)

    def put_note(self, kind: str, identity: str, note: NoteState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                kind,
                identity,
                str(note.path),
                _key(note.path),
                json.dumps(note.written, ensure_ascii=False),
                note.signature,
                int(note.deleted),
                int(note.edited),
            ),
        )

    def path_owner(self, path: PurePosixPath) -> tuple[str, str] | None:
        """(kind, identity) of the note vaultsync keeps at `path` (compared case-insensitively)."""
        row = self.db.execute("SELECT kind, identity FROM notes WHERE path_key = ?", (_key(path),)).fetchone()
        return (row[0], row[1]) if row else None

    def record(self, arxiv_id: str) -> PaperRecord | None:
        row = self.db.execute("SELECT record FROM papers WHERE arxiv_id = ?", (arxiv_id,)).fetchone()
        return _record(row[0]) if row else None

    def put_record(self, record: PaperRecord) -> None:
        data = json.dumps(record.to_json(), ensure_ascii=False)
        self.db.execute("INSERT OR REPLACE INTO papers VALUES (?, ?)", (record.arxiv_id, data))

    def forget_record(self, arxiv_id: str) -> None:
        self.db.execute("DELETE FROM papers WHERE arxiv_id = ?", (arxiv_id,))

    def digest(self, day: date) -> DigestState | None:
        row = self.db.execute(
            "SELECT source, inputs, region, papers FROM digests WHERE day = ?", (day.isoformat(),)
        ).fetchone()
        return _digest(*row) if row else None

    def digests(self) -> Iterator[tuple[date, DigestState]]:
        """Every day imported, with its digest's last import."""
        rows = self.db.execute("SELECT day, source, inputs, region, papers FROM digests ORDER BY day").fetchall()
        for day, *row in rows:
            yield date.fromisoformat(day), _digest(*row)

    def forget_digest(self, day: date) -> None:
        """Forget the day's import and its index note (the day was wrong: see `sync`'s re-dating)."""
        self.db.execute("DELETE FROM digests WHERE day = ?", (day.isoformat(),))
        self.db.execute("DELETE FROM notes WHERE kind = ? AND identity = ?", (DIGEST, day.isoformat()))

    def put_digest(self, day: date, digest: DigestState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?)",
            (day.isoformat(), digest.source, digest.inputs, digest.region, json.dumps(digest.papers)),
        )

    def tasks(self, day: str, stamp: str) -> list[tuple[str, str, bool]] | None:
        """The paper lines of the day's index note as read when its file had this signature, if it had."""
        row = self.db.execute("SELECT tasks FROM tasks WHERE day = ? AND stamp = ?", (day, stamp)).fetchone()
        return _tasks(row[0]) if row else None

    def put_tasks(self, day: str, stamp: str, tasks: list[tuple[str, str, bool]]) -> None:
        self.db.execute("INSERT OR REPLACE INTO tasks VALUES (?, ?, ?)", (day, stamp, json.dumps(tasks)))

    def reading(self) -> dict[str, bool]:
        """The reading state last synced, by arXiv id (a paper never synced is not there)."""
        return {arxiv_id: bool(read) for arxiv_id, read in self.db.execute("SELECT arxiv_id, read FROM reading")}

    def put_read(self, arxiv_id: str, read: bool) -> None:
        self.db.execute("INSERT OR REPLACE INTO reading VALUES (?, ?)", (arxiv_id, int(read)))


def _decode(text: Any, kind: type = object) -> Any:
    """A JSON value read from the store, of `kind`; DamagedValue if it is not one."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as error:
        raise DamagedValue(f"a stored value does not decode ({error})") from None
    if not isinstance(value, kind):
        raise DamagedValue(f"a stored value is not a {kind.__name__}")
    return value


def _note(path: Any, written: Any, signature: Any, deleted: Any, edited: Any) -> NoteState:
    if not isinstance(path, str):
        raise DamagedValue("a stored note path is not text")
    return NoteState(PurePosixPath(path), _decode(written, dict), signature, bool(deleted), bool(edited))


def _record(data: Any) -> PaperRecord:
    try:
        return PaperRecord.from_json(_decode(data, dict))
    except (KeyError, TypeError, ValueError) as error:
        raise DamagedValue(f"a stored paper does not decode ({error!r})") from None


def _digest(source: Any, inputs: Any, region: Any, papers: Any) -> DigestState:
    return DigestState(source, inputs, region, tuple(_decode(papers, list)))


def _tasks(data: Any) -> list[tuple[str, str, bool]]:
    try:
        return [tuple(task) for task in _decode(data, list)]
    except TypeError:
        raise DamagedValue("a stored index line does not decode") from None


def _copy(file: Path) -> sqlite3.Connection:
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


def _existing(file: Path, dry_run: bool, thorough: bool) -> tuple[sqlite3.Connection | None, tuple[str, str] | None]:
    """A connection to the store at `file` (an in-memory copy for a dry run) if it can be used as it is;
    else None and why not: (DAMAGED or OLDER, what is wrong). Raises sqlite3.Error if it cannot be read for
    another reason than damage (a lock, a failing disk)."""
    db = None
    try:
        db = _copy(file) if dry_run else sqlite3.connect(file)
        why = _check(db, file, thorough)
    except BaseException as error:
        if db is not None:
            db.close()
        if not isinstance(error, sqlite3.Error) or not is_damage(error):
            raise
        return None, (DAMAGED, str(error))
    if why is not None:
        db.close()
        return None, why
    return db, None


def _check(db: sqlite3.Connection, file: Path, thorough: bool = False) -> tuple[str, str] | None:
    """Why the store cannot be used as it is: (DAMAGED or OLDER, what is wrong), or None. Raises
    sqlite3.Error as reading the store does; a newer schema is a StateError, not a reset. `thorough`: every
    row read, and the full integrity check (indexes against tables) instead of the quick one."""
    found = {table: _columns(db, table) for table in _tables()}
    wrong = {table: columns for table, columns in found.items() if columns != _tables()[table]}
    if "meta" not in wrong:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        version = int(row[0]) if row and str(row[0]).isdigit() else 0
        if version > SCHEMA_VERSION:
            raise StateError(f"{file}: state store is from a newer vaultsync (schema {version}); upgrade vaultsync")
        if version < SCHEMA_VERSION:
            return OLDER, f"schema {version}"
    for table, columns in wrong.items():
        if columns:
            return DAMAGED, f"its table {table} has the columns {', '.join(columns)}, not {', '.join(_tables()[table])}"
        if table not in _CACHES:
            return DAMAGED, f"it has no table {table}"
    check = db.execute(f"PRAGMA {'integrity_check' if thorough else 'quick_check'}(1)").fetchone()[0]
    if check != "ok":
        return DAMAGED, _one_line(check)
    if thorough:
        for row in db.execute("SELECT path, written, signature, deleted, edited FROM notes"):
            _note(*row)
        for (data,) in db.execute("SELECT record FROM papers"):
            _record(data)
        for row in db.execute("SELECT source, inputs, region, papers FROM digests"):
            _digest(*row)
        for (tasks,) in db.execute("SELECT tasks FROM tasks"):
            _tasks(tasks)
    return None


def _one_line(check: str) -> str:
    """What SQLite's quick or integrity check found, without its `*** in database main ***` header lines."""
    return "; ".join(line for line in check.splitlines() if not line.startswith("***"))


@functools.cache
def _tables() -> dict[str, list[str]]:
    """The tables of the schema and their columns, in order."""
    with closing(sqlite3.connect(":memory:")) as db:
        db.executescript(_SCHEMA)
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: _columns(db, name) for name in names}


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    """The columns of `table` (one of the schema's), in order; none if there is no such table."""
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def _set_aside(file: Path, why: str) -> Path:
    """Move the store, with its journal if a killed run left one, to `<file>.<why>-<YYYYmmdd-HHMMSS>` beside
    it (SQLite finds a journal by the store's name); the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = file.with_name(f"{file.name}.{why}-{stamp}")
    for number in range(2, 1000):
        if not aside.exists():
            break
        aside = file.with_name(f"{file.name}.{why}-{stamp}-{number}")
    file.replace(aside)
    journal = file.with_name(f"{file.name}-journal")
    if journal.exists():
        journal.replace(aside.with_name(f"{aside.name}-journal"))
    return aside
