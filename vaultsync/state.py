"""The state store: what vaultsync remembers between runs, in `VAULT/.vaultsync/state.sqlite`.

Per note (a paper's by arXiv id, an index note's by day): where it is, the list values vaultsync last
wrote (to tell a tag the user removed from one never written), the note's file signature when it was
last written or checked (to skip notes nothing happened to), and whether the user deleted it. Per
paper, the facts merged from every listing; per day, the digest it came from and the index region
last written (the base for merging the user's ticks), and its paper lines as last read with the file's
signature then (so the reading queue reads only the index notes that changed). The notes stay the
source of truth: a missing, damaged or outdated store is set aside and rebuilt from them. Commits
happen once per digest.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from .records import PaperRecord

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
"""
PAPER, DIGEST = "paper", "digest"
JOURNAL = "journal"  # a Logseq journal page vaultsync added a block to
QUEUE = "queue"  # the reading-queue note


class StateError(RuntimeError):
    """The state store is from a newer vaultsync, or cannot be created."""


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
    """Notes by identity (arXiv id, digest day), not by path. `fresh`: nothing was remembered."""

    def __init__(self, connection: sqlite3.Connection, *, fresh: bool = False) -> None:
        self.db, self.fresh = connection, fresh
        self.db.executescript(_SCHEMA)
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    @classmethod
    def open(cls, file: Path, *, dry_run: bool = False) -> tuple[StateStore, str | None]:
        """The store at `file`, and why it starts afresh if it does (None when it is new or fine).

        A store that is damaged or from an older schema is moved aside; with `dry_run`, an in-memory copy.
        """
        problem = _check(file) if file.exists() else None
        fresh = problem is not None or not file.exists()
        if dry_run:
            memory = sqlite3.connect(":memory:")
            if not fresh:
                with sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True) as source:
                    source.backup(memory)
            return cls(memory, fresh=fresh), problem
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            if problem:
                file.replace(file.with_name(f"{file.name}.{time.strftime('%Y%m%d-%H%M%S')}.old"))
            return cls(sqlite3.connect(file), fresh=fresh), problem
        except (OSError, sqlite3.Error) as error:
            raise StateError(f"{file}: cannot open the state store ({error})") from None

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
        for identity, path, written, signature, deleted, edited in rows:
            yield identity, NoteState(PurePosixPath(path), json.loads(written), signature, bool(deleted), bool(edited))

    def records(self) -> Iterator[PaperRecord]:
        for (data,) in self.db.execute("SELECT record FROM papers"):
            yield PaperRecord.from_json(json.loads(data))

    def note(self, kind: str, identity: str) -> NoteState | None:
        row = self.db.execute(
            "SELECT path, written, signature, deleted, edited FROM notes WHERE kind = ? AND identity = ?",
            (kind, identity),
        ).fetchone()
        if row is None:
            return None
        return NoteState(PurePosixPath(row[0]), json.loads(row[1]), row[2], bool(row[3]), bool(row[4]))

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
        return PaperRecord.from_json(json.loads(row[0])) if row else None

    def put_record(self, record: PaperRecord) -> None:
        data = json.dumps(record.to_json(), ensure_ascii=False)
        self.db.execute("INSERT OR REPLACE INTO papers VALUES (?, ?)", (record.arxiv_id, data))

    def digest(self, day: date) -> DigestState | None:
        row = self.db.execute(
            "SELECT source, inputs, region, papers FROM digests WHERE day = ?", (day.isoformat(),)
        ).fetchone()
        return DigestState(row[0], row[1], row[2], tuple(json.loads(row[3]))) if row else None

    def put_digest(self, day: date, digest: DigestState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?)",
            (day.isoformat(), digest.source, digest.inputs, digest.region, json.dumps(digest.papers)),
        )

    def tasks(self, day: str, stamp: str) -> list[tuple[str, str, bool]] | None:
        """The paper lines of the day's index note as read when its file had this signature, if it had."""
        row = self.db.execute("SELECT tasks FROM tasks WHERE day = ? AND stamp = ?", (day, stamp)).fetchone()
        return [tuple(task) for task in json.loads(row[0])] if row else None

    def put_tasks(self, day: str, stamp: str, tasks: list[tuple[str, str, bool]]) -> None:
        self.db.execute("INSERT OR REPLACE INTO tasks VALUES (?, ?, ?)", (day, stamp, json.dumps(tasks)))


def _check(file: Path) -> str | None:
    """Why the store at `file` cannot be used as it is, or None. A newer schema is an error, not a reset."""
    try:
        with sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    except sqlite3.Error as error:
        return f"the state store {file} is damaged ({error})"
    version = int(row[0]) if row and str(row[0]).isdigit() else 0
    if version > SCHEMA_VERSION:
        raise StateError(f"{file}: state store is from a newer vaultsync (schema {version}); upgrade vaultsync")
    return None if version == SCHEMA_VERSION else f"the state store {file} is from an older vaultsync"
