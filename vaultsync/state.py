"""The state store: which note holds which paper or day, and what vaultsync last knew about each paper.

It lives in `VAULT/.vaultsync/state.sqlite` (a dot folder, so Obsidian does not index it). Changes
are committed once per digest, after its notes are written. A dry run works on an in-memory copy.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path, PurePosixPath
from types import TracebackType

from .records import PaperRecord

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS papers (
    arxiv_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    path_key TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS digests (
    day TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    source TEXT NOT NULL
);
"""


class StateError(RuntimeError):
    """The state store cannot be opened or is from an unknown version."""


def _key(path: PurePosixPath) -> str:
    """Paths that would be one file on a case-insensitive file system (Windows, macOS) share a key."""
    return str(path).casefold()


class StateStore:
    """Notes by identity (arXiv id, digest day), not by path."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection
        self.db.executescript(_SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise StateError(f"state store is from a newer vaultsync (schema {row[0]}); upgrade vaultsync")

    @classmethod
    def open(cls, file: Path, *, dry_run: bool = False) -> StateStore:
        """The store at `file`; with `dry_run`, an in-memory copy that is never saved."""
        try:
            if not dry_run:
                file.parent.mkdir(parents=True, exist_ok=True)
                return cls(sqlite3.connect(file))
            memory = sqlite3.connect(":memory:")
            if file.exists():
                with sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True) as source:
                    source.backup(memory)
            return cls(memory)
        except sqlite3.DatabaseError as error:
            raise StateError(f"{file}: {error}; move it away to rebuild the state") from None

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.db.close()

    def commit(self) -> None:
        self.db.commit()

    def paper(self, arxiv_id: str) -> tuple[PurePosixPath, PaperRecord] | None:
        row = self.db.execute("SELECT path, record FROM papers WHERE arxiv_id = ?", (arxiv_id,)).fetchone()
        if row is None:
            return None
        return PurePosixPath(row[0]), PaperRecord.from_json(json.loads(row[1]))

    def path_owner(self, path: PurePosixPath) -> str | None:
        """The arXiv id of the paper whose note is at `path` (compared case-insensitively)."""
        row = self.db.execute("SELECT arxiv_id FROM papers WHERE path_key = ?", (_key(path),)).fetchone()
        return row[0] if row else None

    def put_paper(self, path: PurePosixPath, record: PaperRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO papers VALUES (?, ?, ?, ?)",
            (record.arxiv_id, str(path), _key(path), json.dumps(record.to_json(), ensure_ascii=False)),
        )

    def digest(self, day: date) -> tuple[PurePosixPath, str] | None:
        """The index note of `day` and the digest file it was made from."""
        row = self.db.execute("SELECT path, source FROM digests WHERE day = ?", (day.isoformat(),)).fetchone()
        return (PurePosixPath(row[0]), row[1]) if row else None

    def put_digest(self, day: date, path: PurePosixPath, source: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO digests VALUES (?, ?, ?)", (day.isoformat(), str(path), source))
