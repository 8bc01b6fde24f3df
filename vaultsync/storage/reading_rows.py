"""The reading side of the state store: each paper's reading state as last synced between its note and its index
lines, and the paper lines of each index note as last read (with the note's file signature then), so that an
import reads again only the index notes that changed, and finds a paper's lines without reading any."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterator
from datetime import date

from vaultsync.storage.kinds import NoteKind
from vaultsync.text.tasks import Task


def chunks(items: Collection[str], size: int = 500) -> Iterator[list[str]]:
    """`items` in lists of `size`: one query's parameters each."""
    listed = list(items)
    for start in range(0, len(listed), size):
        yield listed[start : start + size]


class ReadingRows:
    """The state store's tables `reading`, `tasks` and `lines`, over its connection `db`."""

    db: sqlite3.Connection

    def task_stamps(self) -> dict[str, str]:
        """The signature each day's index note had when its paper lines were last read, by day."""
        return dict(self.db.execute("SELECT day, stamp FROM tasks"))

    def forget_tasks(self, day: str) -> None:
        """Forget when the day's index note was read: the next import reads it again."""
        self.db.execute("DELETE FROM tasks WHERE day = ?", (day,))

    def put_lines(self, day: str, stamp: str | None, tasks: list[Task], papers: list[tuple[str, bool]]) -> None:
        """Remember the paper lines of the day's index note, read when its file had the signature `stamp`: the
        lines (link target, label, done) and the paper of each that links to one (arXiv id, done)."""
        self.db.execute("DELETE FROM lines WHERE day = ?", (day,))
        self.db.executemany("INSERT INTO lines VALUES (?, ?, ?)", [(day, paper, int(done)) for paper, done in papers])
        if stamp:
            self.db.execute("INSERT OR REPLACE INTO tasks VALUES (?, ?, ?)", (day, stamp, json.dumps(tasks)))

    def papers_on(self, day: str) -> set[str]:
        """The papers the day's index note had lines for when last read."""
        return {paper for (paper,) in self.db.execute("SELECT arxiv_id FROM lines WHERE day = ?", (day,))}

    def lines(self, papers: Collection[str]) -> dict[str, list[tuple[str, bool]]]:
        """Each paper's lines in the index notes (not deleted) as last read: (day, done)."""
        found: dict[str, list[tuple[str, bool]]] = {}
        for chunk in chunks(papers):
            rows = self.db.execute(
                "SELECT arxiv_id, day, done FROM lines JOIN notes ON kind = ? AND identity = day AND NOT deleted"
                f" WHERE arxiv_id IN ({','.join('?' * len(chunk))})",
                (NoteKind.DIGEST, *chunk),
            )
            for paper, day, done in rows:
                found.setdefault(paper, []).append((day, bool(done)))
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
        """The papers whose note was synced but not all their lines: what their note says is not what was last
        synced, so it is read next time, and their lines fixed then."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'reading_pending'").fetchone()
        return set(json.loads(row[0])) if row else set()

    def put_pending(self, papers: set[str]) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('reading_pending', ?)", (json.dumps(sorted(papers)),))

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
            "SELECT seen.arxiv_id, day, papers.rowid, json_extract(record, '$.title') FROM seen"
            " CROSS JOIN notes ON kind = ? AND identity = seen.arxiv_id AND NOT deleted"  # CROSS: by day, newest first
            " CROSS JOIN papers ON papers.arxiv_id = seen.arxiv_id ORDER BY day DESC",
            (NoteKind.PAPER,),
        )
        for arxiv_id, day, rowid, title in rows:
            if len(picked) >= limit and day != picked[-1][1]:
                break
            if wanted(arxiv_id):
                picked.append((arxiv_id, day, rowid, str(title)))
        picked.sort(key=lambda paper: (-date.fromisoformat(paper[1]).toordinal(), paper[3].casefold(), paper[2]))
        return [(arxiv_id, date.fromisoformat(day), title) for arxiv_id, day, _, title in picked[:limit]]
