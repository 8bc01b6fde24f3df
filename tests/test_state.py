"""The state store damaged the ways files get damaged, through the installed CLI: set aside as
`state.sqlite.damaged-<time>` and rebuilt from the notes, never reported as a full disk, never a traceback."""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path, PurePosixPath

import pytest
from conftest import imported_copy, run_cli, vault_files
from test_reimport import later_digest

from vaultsync.storage.state import NoteKind, NoteState, StateStore

SET = ["2022-07-11.md", "2023-01-09.md", "2024-01-18.md"]
ASIDE = re.compile(r"set aside as (state\.sqlite\.(damaged|older)-\d{8}-\d{6})\b")


def state_file(vault: Path) -> Path:
    return vault / ".vaultsync" / "state.sqlite"


def damage_in_the_middle(vault: Path, size: int = 8192, seed: int = 14) -> None:
    """Overwrite `size` bytes at the middle of the vault's state store with garbage (a bad disk block)."""
    file = state_file(vault)
    middle = file.stat().st_size // 2
    with file.open("r+b") as handle:
        handle.seek(middle)
        handle.write(random.Random(seed).randbytes(size))


def sql(vault: Path, *statements: str) -> None:
    with closing(sqlite3.connect(state_file(vault))) as db:
        for statement in statements:
            db.execute(statement)
        db.commit()


def imported(corpus: Path, root: Path, digests: list[str] = SET) -> tuple[Path, Path]:
    """(src, vault): the digests copied to src and imported."""
    return imported_copy(corpus, digests, root)


def import_json(*args: object) -> tuple[subprocess.CompletedProcess[str], dict]:
    result = run_cli("import", *args, "--json")
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout) if result.stdout else {}


def set_aside(vault: Path) -> list[str]:
    return sorted(path.name for path in (vault / ".vaultsync").glob("state.sqlite.*"))


def test_a_corpus_store_damaged_in_the_middle_is_set_aside_and_rebuilt(corpus, corpus_import, corpus_counts, tmp_path):
    vault = tmp_path / "vault"
    shutil.copytree(corpus_import[0], vault, symlinks=True)
    before = vault_files(vault)
    damage_in_the_middle(vault)
    index = vault / "arXiv" / "Digests" / "arXiv 2024-01-18.md"
    index.write_text(index.read_text().replace("- [ ] ", "- [x] ", 1))  # a tick: the queue reads the index notes
    before["arXiv/Digests/arXiv 2024-01-18.md"] = index.read_bytes()
    ticked = "arXiv/Papers/" + index.read_text().split("- [x] [[", 1)[1].split("|", 1)[0] + ".md"
    before[ticked] = before[ticked].replace(b"\nread: false\n", b"\nread: true\n")  # the tick makes it read

    result, summary = import_json(corpus, vault)
    assert result.returncode == 0, result.stderr
    assert "free some space" not in result.stderr
    rebuilt = summary["state_rebuilt"]
    notes = corpus_counts.papers + corpus_counts.with_papers
    assert rebuilt.startswith("the state store was damaged (") and f"rebuilt it from {notes} notes" in rebuilt
    assert ASIDE.search(rebuilt)[1] in set_aside(vault) and ASIDE.search(rebuilt)[2] == "damaged"
    after = vault_files(vault)
    queue = "arXiv/Reading queue.md"
    unticked = f"Papers to read: {corpus_counts.papers - 1},"
    assert unticked.encode() in after[queue]  # the tick was read
    assert {k: v for k, v in after.items() if k != queue} == {k: v for k, v in before.items() if k != queue}

    again, summary = import_json(corpus, vault)
    assert again.returncode == 0 and summary["state_rebuilt"] is None
    assert summary["papers"]["unchanged"] == corpus_counts.papers
    assert run_cli("doctor", vault).stdout == "healthy\n"


@pytest.mark.parametrize(
    "damage",
    [
        "not a database",
        "DROP TABLE papers",  # a table missing
        "ALTER TABLE notes DROP COLUMN edited",  # a column missing
        "DROP TABLE meta",
        "truncated",
    ],
)
def test_a_store_that_is_not_one_or_has_a_wrong_schema_is_set_aside_and_rebuilt(corpus, tmp_path, damage):
    src, vault = imported(corpus, tmp_path)
    before = vault_files(vault)
    papers = len(list((vault / "arXiv" / "Papers").glob("*.md")))
    if damage == "not a database":
        state_file(vault).write_bytes(b"these are not the bytes of a database" * 100)
    elif damage == "truncated":
        with state_file(vault).open("r+b") as handle:
            handle.truncate(state_file(vault).stat().st_size // 3)
    else:
        sql(vault, damage)
    damaged = state_file(vault).read_bytes()

    dry, summary = import_json(src, vault, "--dry-run")  # says so, and writes nothing
    assert dry.returncode == 0 and summary["state_rebuilt"].startswith(
        f"the state store {state_file(vault)} is damaged"
    )
    assert set_aside(vault) == [] and state_file(vault).read_bytes() == damaged

    result, summary = import_json(src, vault)
    assert result.returncode == 0, result.stderr
    assert summary["state_rebuilt"].startswith("the state store was damaged (")
    assert ASIDE.search(summary["state_rebuilt"])[1] in set_aside(vault)
    assert f"rebuilt it from {papers + len(SET)} notes" in summary["state_rebuilt"]
    assert vault_files(vault) == before
    assert import_json(src, vault)[1]["state_rebuilt"] is None
    assert json.loads(run_cli("status", vault, "--json", check=True).stdout)["papers"] == papers


def test_a_store_from_an_older_vaultsync_is_set_aside_by_that_name(corpus, tmp_path):
    src, vault = imported(corpus, tmp_path)
    sql(vault, "UPDATE meta SET value = '1' WHERE key = 'schema'")
    result, summary = import_json(src, vault)
    assert result.returncode == 0
    assert summary["state_rebuilt"].startswith("the state store was from an older vaultsync (schema 1); set aside as")
    assert [name.split("-")[0] for name in set_aside(vault)] == ["state.sqlite.older"]


def test_a_store_without_the_later_added_cache_table_is_used_as_it_is(corpus, tmp_path):
    """Stores written before the reading queue's cache (`tasks`) was added keep what they remember."""
    src, vault = imported(corpus, tmp_path)
    gone = next((vault / "arXiv" / "Papers").glob("*.md"))
    gone.unlink()
    run_cli("import", src, vault, check=True)  # remembered: deleted by the user
    sql(vault, "DROP TABLE tasks")
    result, summary = import_json(src, vault)
    assert result.returncode == 0 and summary["state_rebuilt"] is None and set_aside(vault) == []
    assert summary["papers"]["deleted"] == 1 and not gone.exists()


def test_the_later_added_first_days_and_tags_are_filled_from_the_records_as_sqlite_reads_them(corpus, tmp_path):
    """`seen` and `tagged` repeat what every paper's record says, for the reading queue and the topics: a
    store from before them gains them, filled by SQL from the records; one import keeps them as it writes."""
    _, vault = imported(corpus, tmp_path)
    with StateStore.open(state_file(vault))[0] as state:
        records = list(state.records())
        expected = {record.arxiv_id: record.first_seen.isoformat() for record in records}
        tags = {(record.arxiv_id, tag) for record in records for tag in record.tags}
        assert dict(state.db.execute("SELECT * FROM seen")) == expected and len(expected) > 100
        assert set(state.db.execute("SELECT * FROM tagged")) == tags and state.tags() == {tag for _, tag in tags}
    sql(vault, "DROP TABLE seen", "DROP TABLE tagged")
    with StateStore.open(state_file(vault))[0] as state:
        assert dict(state.db.execute("SELECT * FROM seen")) == expected
        assert set(state.db.execute("SELECT * FROM tagged")) == tags


@pytest.mark.parametrize(
    ("version", "added"), [("2", ("pending", "lines", "seen", "tagged", "checked")), ("3", ("checked",))]
)
def test_a_store_of_an_older_schema_is_brought_up_to_date_in_place_and_marked_4(corpus, tmp_path, version, added):
    """Schemas 3 and 4 added tables that vaultsync keeps in step with the others: a store of an older schema
    gains them where it is (nothing set aside, nothing rebuilt) and is marked 4, which a vaultsync of the older
    schema, that would not keep them, refuses as newer."""
    src, vault = imported(corpus, tmp_path)
    sql(vault, f"UPDATE meta SET value = '{version}' WHERE key = 'schema'", *(f"DROP TABLE {t}" for t in added))
    result, summary = import_json(src, vault)
    assert result.returncode == 0 and summary["state_rebuilt"] is None and set_aside(vault) == []
    with closing(sqlite3.connect(state_file(vault))) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("4",)
        assert db.execute("SELECT count(*) FROM seen").fetchone()[0] > 100
        assert db.execute("SELECT count(*) FROM checked").fetchone() == (0,)


def test_note_kinds_are_stored_as_the_text_they_always_were(corpus, tmp_path):
    """`NoteKind` is a StrEnum: its members are the stored names, so a store keeps the rows (and their JSON)
    byte for byte, and rows written as plain text are found by the members."""
    names = ["paper", "digest", "journal", "queue", "topic"]
    assert [kind.value for kind in NoteKind] == names and [str(kind) for kind in NoteKind] == names
    _, vault = imported(corpus, tmp_path)
    with closing(sqlite3.connect(state_file(vault))) as db:
        stored = set(db.execute("SELECT DISTINCT kind, typeof(kind) FROM notes"))
    assert {("paper", "text"), ("digest", "text")} <= stored <= {(name, "text") for name in names}
    file = tmp_path / "kinds.sqlite"
    with StateStore.open(file)[0] as state:
        for kind in NoteKind:
            state.put_note(kind, kind, NoteState(PurePosixPath(f"{kind}.md"), {"kinds": [kind]}))
        state.commit()
        assert [dict(state.notes(name)) for name in names] == [dict(state.notes(kind)) for kind in NoteKind]
    with closing(sqlite3.connect(file)) as db:
        rows = db.execute("SELECT kind, typeof(kind), identity, path, written FROM notes ORDER BY rowid").fetchall()
    assert rows == [(name, "text", name, f"{name}.md", f'{{"kinds": ["{name}"]}}') for name in names]


@pytest.mark.parametrize("mode", ["wal", "delete"])
def test_a_commit_left_unfinished_by_a_killed_writer_is_rolled_back_not_set_aside(corpus, tmp_path, mode):
    """A process killed in the middle of a transaction leaves its log (`-wal`; a store from before vaultsync
    kept one: a hot journal) with the pages it changed: SQLite leaves them out, on the next open for writing
    for good. It is not damage; read-only commands read the store as last committed."""
    src, vault = imported(corpus, tmp_path)
    expected = json.loads(run_cli("status", vault, "--json", check=True).stdout)
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal, sqlite3, sys\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            f"db.execute('PRAGMA journal_mode = {mode}')\n"
            "db.execute('PRAGMA cache_size = 1')\n"  # changed pages spill into the file before the commit
            "db.execute('BEGIN')\n"
            "db.execute(\"UPDATE papers SET record = record || ' '\")\n"
            'db.execute("UPDATE notes SET deleted = 1")\n'
            "os.kill(os.getpid(), signal.SIGKILL)\n",
            str(state_file(vault)),
        ]
    )
    log = state_file(vault).with_name(f"state.sqlite-{'wal' if mode == 'wal' else 'journal'}")
    assert killed.returncode == -9 and log.stat().st_size > 0
    journaled = state_file(vault).read_bytes()

    status = run_cli("status", vault, "--json")
    assert status.returncode == 0 and json.loads(status.stdout) == expected
    assert run_cli("doctor", vault).stdout == "healthy\n"
    assert state_file(vault).read_bytes() == journaled  # read-only: rolled back in a copy

    result, summary = import_json(src, vault)
    assert result.returncode == 0 and summary["state_rebuilt"] is None and set_aside(vault) == []
    assert summary["papers"]["deleted"] == 0 and summary["papers"]["unchanged"] == expected["papers"]
    assert not log.exists() and not state_file(vault).with_name("state.sqlite-journal").exists()


def test_damage_found_only_mid_run_is_set_aside_not_called_a_full_disk(corpus, tmp_path):
    """A stored value that does not decode passes SQLite's checks; the import that reads it stops with one
    line, sets the store aside, and the next import rebuilds it and ends as a clean import does."""
    src, vault = imported(corpus, tmp_path)
    again = later_digest(src, corpus, "generative models", 2)  # reads these papers' records
    sql(vault, f"UPDATE papers SET record = '{{\"arxiv_id\": ' WHERE arxiv_id = '{again[1]}'")

    result, _ = import_json(src, vault)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "free some space" not in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: the state store was damaged (a stored ")
    assert "import again to rebuild it from the notes" in result.stderr
    assert ASIDE.search(result.stderr)[1] in set_aside(vault)

    result, summary = import_json(src, vault)
    assert result.returncode == 0 and "no state store was found; rebuilt it" in summary["state_rebuilt"]
    clean = tmp_path / "clean"
    run_cli("import", src, clean, check=True)
    assert vault_files(vault) == vault_files(clean)


def test_a_damaged_record_the_reading_queue_reads_is_damage_found_mid_run(corpus, tmp_path):
    """The queue reads only the records of the newest papers; one of them that does not decode is damage
    like any other: one line, the store set aside, the next import rebuilds it."""
    src, vault = imported(corpus, tmp_path)
    with closing(sqlite3.connect(state_file(vault))) as db:
        (newest,) = db.execute("SELECT arxiv_id FROM seen ORDER BY day DESC LIMIT 1").fetchone()
    sql(vault, f"UPDATE papers SET record = '{{\"arxiv_id\": ' WHERE arxiv_id = '{newest}'")
    note = next((vault / "arXiv" / "Papers").glob("*.md"))
    note.write_text(note.read_text().replace("\nread: false\n", "\nread: true\n"))  # the queue is written again

    result, _ = import_json(src, vault)
    assert result.returncode == 1 and result.stderr.startswith("Error: the state store was damaged (a stored ")
    assert ASIDE.search(result.stderr)[1] in set_aside(vault)
    result, summary = import_json(src, vault)
    assert result.returncode == 0 and "no state store was found; rebuilt it" in summary["state_rebuilt"]


def test_a_store_another_program_holds_locked_is_not_damage(corpus, tmp_path):
    """A lock (a database browser in the middle of a change, say) is waited for, then reported; the store
    is kept, and the import after the lock is gone uses it as it is. A reader (`status`) is not held up: it
    reads the store as last committed (the store keeps a write-ahead log)."""
    src, vault = imported(corpus, tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('BEGIN EXCLUSIVE')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
            str(state_file(vault)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        result = run_cli("import", src, vault)
        assert result.returncode == 1 and result.stdout == "", result.stderr
        assert result.stderr == (
            f"Error: {state_file(vault)}: cannot open the state store (database is locked)"
            " — another program is using it; try again when it is done\n"
        )
        assert run_cli("status", vault).returncode == 0
    finally:
        holder.stdin.close()
        holder.wait()
    assert set_aside(vault) == []
    result, summary = import_json(src, vault)
    assert result.returncode == 0 and summary["state_rebuilt"] is None
