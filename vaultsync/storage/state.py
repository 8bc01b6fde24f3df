"""The state store: what vaultsync remembers between runs, in `VAULT/.vaultsync/state.sqlite`.

Per note (a paper's by arXiv id, an index note's by day): where it is, the list values vaultsync last
wrote (to tell a tag the user removed from one never written), the note's file signature when it was
last written or checked (to skip notes nothing happened to), and whether the user deleted it. Per
paper, the facts merged from every listing, the day it was first listed and its tags (`seen`, `tagged`:
the reading queue's newest and the topics, found without reading every record); per day, the digest it
came from and the index region last written (the base for merging the user's ticks). The reading side
(`reading_rows`): per paper, the reading state last synced between its note and the index notes
(whichever side changes next wins); per index note, its paper lines as last read with the file's
signature then (so an import reads only the index notes that changed, and finds a paper's lines without
reading any). The notes stay the source of truth: a missing, damaged or outdated store is set aside and
rebuilt from them. Commits happen once per digest.

Damage is looked for when the store is opened (its schema, then SQLite's `PRAGMA quick_check`: 5 ms for
the shared corpus, 0.15 s for 100k papers) and wherever a read fails: SQLite's "malformed" or "not a
database", or a stored value that does not decode. A full disk, a lock or a failing disk is not damage:
the store is kept and the error says what to do. The tables, the version and the migrations are in
`schema`; the file's in-memory copy (a dry run) and its setting aside, in `store_file`.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, NamedTuple

from vaultsync.records import PaperRecord
from vaultsync.storage import schema
from vaultsync.storage.kinds import NoteKind
from vaultsync.storage.reading_rows import ReadingRows, chunks
from vaultsync.storage.schema import DAMAGED, NEWER
from vaultsync.storage.store_file import DamagedValue, advice, copy_of, is_damage, set_aside


class StateError(RuntimeError):
    """The state store is from a newer vaultsync, or cannot be created, read or saved; the message says
    what to do."""


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


class Left(NamedTuple):
    """A note as vaultsync left it: its path, its file's stamp (`Vault.stamp`) when vaultsync last wrote or
    checked it (None: never), whether the user deleted it."""

    path: str
    stamp: str | None
    deleted: bool


@dataclass(frozen=True)
class DigestState:
    """The last import of one day: from which file, with which inputs, listing which papers."""

    source: str
    inputs: str
    region: str | None
    papers: tuple[str, ...]


class StateStore(ReadingRows):
    """Notes by identity (arXiv id, digest day), not by path, over a connection `open` made. `fresh`: nothing
    was remembered. `file`: where the store is kept; `copy`: this is an in-memory copy of it (a dry run), never
    written back."""

    def __init__(
        self, connection: sqlite3.Connection, *, fresh: bool = False, file: Path | None = None, copy: bool = False
    ) -> None:
        self.db, self.fresh, self.file, self.copy = connection, fresh, file, copy

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
        db, fresh, problem = _connect(file, dry_run, thorough)
        return cls(db, fresh=fresh, file=file, copy=dry_run), problem

    def failure(self, error: sqlite3.Error) -> StateError:
        """What to tell the user when reading or saving the store failed after it was opened. A damaged
        store is closed and set aside at once (not a dry run's copy), so the next run rebuilds it."""
        if not is_damage(error):
            return StateError(f"{self.file}: cannot read or save the state store ({error}) — {advice(error)}")
        self.db.close()
        if self.copy or self.file is None:
            return StateError(
                f"the state store {self.file} is damaged ({error}) — `vaultsync doctor --fix` sets it aside and"
                " rebuilds it from the notes"
            )
        try:
            aside = set_aside(self.file, DAMAGED)
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

    def left(self, kind: str, identities: Collection[str] | None = None) -> Iterator[tuple[str, Left]]:
        """Every note of `kind` (or those of `identities`) by identity, deleted ones too, as plain strings: what
        telling whether it is as vaultsync left it needs (read the note itself with `note` before changing it)."""
        query = "SELECT identity, path, signature, deleted FROM notes WHERE kind = ?"
        if identities is None:
            rows: Iterable[tuple[Any, ...]] = self.db.execute(query, (kind,))
        else:
            rows = itertools.chain.from_iterable(
                self.db.execute(query + f" AND identity IN ({','.join('?' * len(chunk))})", (kind, *chunk))
                for chunk in chunks(identities)
            )
        for identity, path, signature, deleted in rows:
            if not isinstance(path, str):
                raise DamagedValue("a stored note path is not text")
            parts = signature.split("/") if isinstance(signature, str) else ()
            yield identity, Left(path, parts[1] if len(parts) > 1 else None, bool(deleted))

    def records(self) -> Iterator[PaperRecord]:
        for (data,) in self.db.execute("SELECT record FROM papers"):
            yield _record(data)

    def tags(self) -> set[str]:
        """Every keyword tag any paper was listed under."""
        return {tag for (tag,) in self.db.execute("SELECT DISTINCT tag FROM tagged")}

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

    def owners(self, kind: str, paths: Collection[PurePosixPath]) -> set[str]:
        """The identities of the notes of `kind` vaultsync keeps at `paths`."""
        keys = [_key(path) for path in paths]
        found: set[str] = set()
        for chunk in chunks(keys):
            query = f"SELECT identity FROM notes WHERE kind = ? AND path_key IN ({','.join('?' * len(chunk))})"
            found.update(identity for (identity,) in self.db.execute(query, (kind, *chunk)))
        return found

    def path_owner(self, path: PurePosixPath) -> tuple[str, str] | None:
        """(kind, identity) of the note vaultsync keeps at `path` (compared case-insensitively)."""
        row = self.db.execute("SELECT kind, identity FROM notes WHERE path_key = ?", (_key(path),)).fetchone()
        return (row[0], row[1]) if row else None

    def record(self, arxiv_id: str) -> PaperRecord | None:
        row = self.db.execute("SELECT record FROM papers WHERE arxiv_id = ?", (arxiv_id,)).fetchone()
        return _record(row[0]) if row else None

    def put_record(self, record: PaperRecord, *, new: bool = False, data: str | None = None) -> None:
        """Remember the paper's record; `new`: the store has none for it (`record` said None), nor its tags;
        `data`: the record as stored (`to_json` as JSON), if known."""
        data = data or json.dumps(record.to_json(), ensure_ascii=False)
        self.db.execute("INSERT OR REPLACE INTO papers VALUES (?, ?)", (record.arxiv_id, data))
        self.db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?)", (record.arxiv_id, record.first_seen.isoformat()))
        if not new:
            self.db.execute("DELETE FROM tagged WHERE arxiv_id = ?", (record.arxiv_id,))
        self.db.executemany("INSERT INTO tagged VALUES (?, ?)", [(record.arxiv_id, tag) for tag in record.tags])

    def forget_record(self, arxiv_id: str) -> None:
        self.db.execute("DELETE FROM papers WHERE arxiv_id = ?", (arxiv_id,))
        for table in ("seen", "tagged"):
            self.db.execute(f"DELETE FROM {table} WHERE arxiv_id = ?", (arxiv_id,))

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

    def digest_inputs(self) -> set[str]:
        """The inputs of every day's last import (see `DigestState`)."""
        return {inputs for (inputs,) in self.db.execute("SELECT inputs FROM digests")}

    def forget_digest(self, day: date) -> None:
        """Forget the day's import and its index note (the day was wrong: see `sync`'s re-dating)."""
        self.db.execute("DELETE FROM digests WHERE day = ?", (day.isoformat(),))
        for table in ("tasks", "lines"):
            self.db.execute(f"DELETE FROM {table} WHERE day = ?", (day.isoformat(),))
        self.db.execute("DELETE FROM notes WHERE kind = ? AND identity = ?", (NoteKind.DIGEST, day.isoformat()))

    def put_digest(self, day: date, digest: DigestState) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?)",
            (day.isoformat(), digest.source, digest.inputs, digest.region, json.dumps(digest.papers)),
        )


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


def _connect(file: Path, dry_run: bool, thorough: bool) -> tuple[sqlite3.Connection, bool, str | None]:
    """A connection to the store at `file`, brought up to date (see `StateStore.open`); whether it starts
    afresh, and why if it does though the file existed."""
    existed = file.exists()
    try:
        if not dry_run:
            file.parent.mkdir(parents=True, exist_ok=True)
        db, why = _existing(file, dry_run, thorough) if existed else (None, None)
        fresh, problem = not existed, None
        if why is not None:
            kind, detail = why
            what = "damaged" if kind == DAMAGED else "from an older vaultsync"
            fresh, problem = True, f"the state store {file} is {what} ({detail})"
            if not dry_run:
                aside = set_aside(file, kind)
                problem = f"the state store was {what} ({detail}); set aside as {aside.name}"
        db = db or sqlite3.connect(":memory:" if dry_run else file)
        if not dry_run:  # a commit is one fsync of the log, not three of journal and store, and as durable
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
        schema.migrate(db)
        return db, fresh, problem
    except (OSError, sqlite3.Error) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise StateError(f"{file}: cannot open the state store ({reason}) — {advice(error)}") from None


def _existing(file: Path, dry_run: bool, thorough: bool) -> tuple[sqlite3.Connection | None, tuple[str, str] | None]:
    """A connection to the store at `file` (an in-memory copy for a dry run) if it can be used as it is;
    else None and why not: (DAMAGED or OLDER, what is wrong). Raises sqlite3.Error if it cannot be read for
    another reason than damage (a lock, a failing disk), StateError if it is from a newer vaultsync.
    `thorough`: every row is read too."""
    db = None
    try:
        db = copy_of(file) if dry_run else sqlite3.connect(file)
        why = schema.fault(db, thorough)
        if why and why[0] == NEWER:
            raise StateError(f"{file}: state store is from a newer vaultsync ({why[1]}); upgrade vaultsync")
        if why is None and thorough:
            _read_every_row(db)
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


def _read_every_row(db: sqlite3.Connection) -> None:
    """Decode every stored value; DamagedValue at the first that does not decode."""
    for row in db.execute("SELECT path, written, signature, deleted, edited FROM notes"):
        _note(*row)
    for (data,) in db.execute("SELECT record FROM papers"):
        _record(data)
    for row in db.execute("SELECT source, inputs, region, papers FROM digests"):
        _digest(*row)
    for (tasks,) in db.execute("SELECT tasks FROM tasks"):
        _tasks(tasks)
