"""The reading side of the state store: each paper's reading state as last synced between its note and its index
lines, and the paper lines of each index note as last read (with the note's file signature then), so that an
import reads again only the index notes that changed, and finds a paper's lines without reading any."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterator
from datetime import date

from vaultsync.storage.kinds import NoteKind
from vaultsync.storage.store_file import DamagedValue
from vaultsync.text.tasks import Task


def chunks(items: Collection[str], size: int = 500) -> Iterator[list[str]]:
    """`items` in lists of `size`: one query's parameters each."""
    listed = list(items)
    for start in range(0, len(listed), size):
        yield listed[start : start + size]


def line_name(target: str) -> str:
    """The name an index line links to, as a note's name is compared: casefolded, without folders."""
    return target.rsplit("/", 1)[-1].casefold()


class ReadingRows:
    """The state store's tables `reading`, `pending`, `checked`, `tasks` and `lines`, over its connection `db`."""

    db: sqlite3.Connection

    def task_stamps(self) -> dict[str, str]:
        """The signature each day's index note had when its paper lines were last read, by day."""
        return dict(self.db.execute("SELECT day, stamp FROM tasks"))

    def forget_tasks(self, day: str) -> None:
        """Forget when the day's index note was read: the next import reads it again."""
        self.db.execute("DELETE FROM tasks WHERE day = ?", (day,))

    def put_lines(self, day: str, stamp: str | None, tasks: list[Task]) -> None:
        """Remember the paper lines of the day's index note (link target, label, done), read when its file had
        the signature `stamp`: each line by the name it links to (`line_name`), whichever paper has it now."""
        self.db.execute("DELETE FROM lines WHERE day = ?", (day,))
        rows = [(day, line_name(target), int(done)) for target, _, done in tasks]
        self.db.executemany("INSERT INTO lines VALUES (?, ?, ?)", rows)
        if stamp:
            self.db.execute("INSERT OR REPLACE INTO tasks VALUES (?, ?, ?)", (day, stamp, json.dumps(tasks)))

    def names_on(self, day: str) -> set[str]:
        """The names the day's index note's lines linked to when last read (see `line_name`)."""
        return {name for (name,) in self.db.execute("SELECT name FROM lines WHERE day = ?", (day,))}

    def lines(self, names: Collection[str]) -> dict[str, list[tuple[str, bool]]]:
        """The lines of the index notes (not deleted) linking to each name (see `line_name`), as last read:
        (day, done) by name."""
        found: dict[str, list[tuple[str, bool]]] = {}
        for chunk in chunks(names):
            rows = self.db.execute(
                "SELECT name, day, done FROM lines"  # CROSS: by the names' index, not through every index note
                " CROSS JOIN notes ON kind = ? AND identity = day AND NOT deleted"
                f" WHERE name IN ({','.join('?' * len(chunk))})",
                (NoteKind.DIGEST, *chunk),
            )
            for name, day, done in rows:
                found.setdefault(name, []).append((day, bool(done)))
        return found

    def reading(self) -> dict[str, bool]:
        """The reading state last synced, by arXiv id (a paper never synced is not there)."""
        return {arxiv_id: bool(read) for arxiv_id, read in self.db.execute("SELECT arxiv_id, read FROM reading")}

    def unsynced(self) -> set[str]:
        """The papers with a note (not deleted) whose reading state was never synced."""
        rows = self.db.execute(
            "SELECT identity FROM notes WHERE kind = ? AND NOT deleted"
            " AND identity NOT IN (SELECT arxiv_id FROM reading)",
            (NoteKind.PAPER,),
        )
        return {identity for (identity,) in rows}

    def pending(self) -> set[str]:
        """The papers whose note may say another reading state than the one last synced: merged since (an
        import stopped before its sync), or synced but not all their lines. Their note is read next time."""
        return {paper for (paper,) in self.db.execute("SELECT arxiv_id FROM pending")}

    def put_pending(self, papers: Collection[str], pending: bool = True) -> None:
        if pending:
            self.db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(paper,) for paper in papers])
        else:
            self.db.executemany("DELETE FROM pending WHERE arxiv_id = ?", [(paper,) for paper in papers])

    def checked(self, papers: Collection[str]) -> dict[str, str]:
        """The file stamp each paper's note had when the sync last read it and found it in sync, though
        vaultsync's last write of it left another: an edit of the user's, already taken in. By arXiv id."""
        found: dict[str, str] = {}
        for chunk in chunks(papers):
            query = f"SELECT arxiv_id, stamp FROM checked WHERE arxiv_id IN ({','.join('?' * len(chunk))})"
            found.update(self.db.execute(query, chunk))
        return found

    def put_checked(self, stamps: dict[str, str]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO checked VALUES (?, ?)", stamps.items())

    def put_read(self, arxiv_id: str, read: bool) -> None:
        self.db.execute("INSERT OR REPLACE INTO reading VALUES (?, ?)", (arxiv_id, int(read)))

    def unread_count(self) -> int:
        """The papers with a note (not deleted) whose reading state last synced is unread."""
        (total,) = self.db.execute("SELECT count(*) FROM reading WHERE NOT read").fetchone()
        (gone,) = self.db.execute(
            "SELECT count(*) FROM notes JOIN reading ON arxiv_id = identity WHERE kind = ? AND deleted AND NOT read",
            (NoteKind.PAPER,),
        ).fetchone()
        return int(total) - int(gone)

    def newest(self, wanted: Callable[[str], bool], limit: int) -> list[tuple[str, date, str]]:
        """The `limit` papers first listed last (arXiv id, first day listed, title) that have a note (not
        deleted) and are `wanted`, newest first, then by title: read from the newest day back, as far as needed."""
        picked: list[tuple[str, str, int, str]] = []
        rows = self.db.execute(
            "SELECT seen.arxiv_id, day, papers.rowid, record FROM seen"
            " CROSS JOIN notes ON kind = ? AND identity = seen.arxiv_id AND NOT deleted"  # CROSS: by day, newest first
            " CROSS JOIN papers ON papers.arxiv_id = seen.arxiv_id ORDER BY day DESC",
            (NoteKind.PAPER,),
        )
        for arxiv_id, day, rowid, record in rows:
            if len(picked) >= limit and day != picked[-1][1]:
                break
            if wanted(arxiv_id):
                picked.append((arxiv_id, day, rowid, _title(record)))
        picked.sort(key=lambda paper: (-date.fromisoformat(paper[1]).toordinal(), paper[3].casefold(), paper[2]))
        return [(arxiv_id, date.fromisoformat(day), title) for arxiv_id, day, _, title in picked[:limit]]


def _title(record: object) -> str:
    """The title of a stored paper record; DamagedValue if the record does not decode."""
    try:
        title = json.loads(record)["title"]  # type: ignore[arg-type]
    except (TypeError, ValueError, KeyError) as error:
        raise DamagedValue(f"a stored paper does not decode ({error!r})") from None
    if not isinstance(title, str):
        raise DamagedValue("a stored paper's title is not text")
    return title
