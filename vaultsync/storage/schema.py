"""The state store's schema: its tables, the version a store carries, the changes made since stores of that
version were in use (one `Migration` each), and the check that tells a store fit for use from one to set aside.

A store whose version is older than `MIGRATED_FROM` is set aside and rebuilt from the notes; a change that
need not cost that rebuild is a `Migration`: a store that lacks it is brought up to date where it is opened,
and marked `SCHEMA_VERSION`, so that a vaultsync from before the change, which would not keep the new tables
up to date, refuses it as newer instead of using it.
"""

from __future__ import annotations

import functools
import sqlite3
from contextlib import closing
from typing import NamedTuple

# 3: the tables `pending`, `lines`, `seen`, `tagged`; 4: `checked` (earlier versions would not keep them)
SCHEMA_VERSION = 4
MIGRATED_FROM = 2  # the oldest version brought up to date in place
SCHEMA = """
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
CREATE TABLE IF NOT EXISTS pending (arxiv_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS lines (day TEXT NOT NULL, name TEXT NOT NULL, done INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS lines_by_name ON lines (name);
CREATE INDEX IF NOT EXISTS lines_by_day ON lines (day);
CREATE TABLE IF NOT EXISTS seen (arxiv_id TEXT PRIMARY KEY, day TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS seen_by_day ON seen (day);
CREATE TABLE IF NOT EXISTS tagged (arxiv_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (arxiv_id, tag));
CREATE TABLE IF NOT EXISTS checked (arxiv_id TEXT PRIMARY KEY, stamp TEXT NOT NULL);
"""
DAMAGED, OLDER, NEWER = "damaged", "older", "newer"  # what `fault` finds; a store set aside is named by the first two


class Migration(NamedTuple):
    """A table added to the schema after stores of `MIGRATED_FROM` were in use: created (empty) in a store
    that lacks it, which then runs `then`. The next change of the schema is one more entry of `MIGRATIONS`
    (a column added would name its table's new column, and `fault` would accept the table without it)."""

    table: str
    then: str = ""  # SQL for a store that lacked the table


MIGRATIONS = (
    Migration("tasks"),
    # A store from before `reading`: its cached index lines took a cancelled paper for unread.
    Migration("reading", "DELETE FROM tasks"),
    # A store from before `pending`, `lines`: every index note's lines are read again, to fill it.
    Migration("pending"),
    Migration("lines", "DELETE FROM tasks"),
    # A store from before `seen`: each paper's first day, from its record (one SQLite can read).
    Migration(
        "seen",
        "INSERT INTO seen SELECT arxiv_id, json_extract(record, '$.listings[0][0]') FROM papers"
        " WHERE json_valid(record) AND json_type(record, '$.listings[0][0]') = 'text'",
    ),
    # A store from before `tagged`: each paper's keyword tags, from its record.
    Migration(
        "tagged",
        "INSERT OR IGNORE INTO tagged SELECT arxiv_id, json_extract(item.value, '$[2]') FROM papers,"
        " json_each(CASE WHEN json_valid(record) THEN record ELSE '{}' END, '$.listings') AS item"
        " WHERE json_type(item.value, '$[2]') = 'text' AND json_extract(item.value, '$[2]') <> ''",
    ),
    # A store from before `checked`: the notes someone touched are read once more, then known as checked.
    Migration("checked"),
)


def migrate(db: sqlite3.Connection) -> None:
    """Bring the store up to date: the tables of the schema created where missing, each migration the store
    lacks applied, its version recorded as `SCHEMA_VERSION`."""
    missing = [migration for migration in MIGRATIONS if not columns(db, migration.table)]
    db.executescript(SCHEMA)
    for migration in missing:
        if migration.then:
            db.execute(migration.then)
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))


def fault(db: sqlite3.Connection, thorough: bool = False) -> tuple[str, str] | None:
    """What keeps the store from being used as it is: (DAMAGED, OLDER or NEWER, what is wrong), or None.
    Raises sqlite3.Error as reading the store does. `thorough`: SQLite's full integrity check (indexes
    against tables) instead of the quick one."""
    found = {table: columns(db, table) for table in tables()}
    wrong = {table: names for table, names in found.items() if names != tables()[table]}
    if "meta" not in wrong:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        version = int(row[0]) if row and str(row[0]).isdigit() else 0
        if version > SCHEMA_VERSION:
            return NEWER, f"schema {version}"
        if version < MIGRATED_FROM:
            return OLDER, f"schema {version}"
    for table, names in wrong.items():
        if names:
            return DAMAGED, f"its table {table} has the columns {', '.join(names)}, not {', '.join(tables()[table])}"
        if table not in {migration.table for migration in MIGRATIONS}:
            return DAMAGED, f"it has no table {table}"
    check = db.execute(f"PRAGMA {'integrity_check' if thorough else 'quick_check'}(1)").fetchone()[0]
    if check != "ok":
        return DAMAGED, _one_line(check)
    return None


def _one_line(check: str) -> str:
    """What SQLite's quick or integrity check found, without its `*** in database main ***` header lines."""
    return "; ".join(line for line in check.splitlines() if not line.startswith("***"))


@functools.cache
def tables() -> dict[str, list[str]]:
    """The tables of the schema and their columns, in order."""
    with closing(sqlite3.connect(":memory:")) as db:
        db.executescript(SCHEMA)
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: columns(db, name) for name in names}


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    """The columns of `table` (one of the schema's), in order; none if there is no such table."""
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
