"""Hostile digests and hostile file systems, through the installed CLI. Every case ends with a correct
import or one clear error line: never a traceback, never a file outside the vault, never a changed byte
in a note of the user's (see tests/fixtures/hostile/README.md)."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import frontmatter
import pytest
from conftest import REPO, run_cli, vault_files

from vaultsync import parse_digest
from vaultsync.flavors.obsidian import notefile
from vaultsync.flavors.obsidian.notefile import ObsidianNotes
from vaultsync.pipeline.reader import decode

NOTES = ObsidianNotes()

HOSTILE = REPO / "tests" / "fixtures" / "hostile"
EXPECTED = json.loads((HOSTILE / "expected.json").read_text())
USER_NOTE = "---\ntags: [mine]\n---\nMy own note. %% vaultsync:end %% [[arXiv/Papers/x]]\n"


class Place:
    """A folder holding SRC, VAULT (with a note of the user's) and nothing else: what a run may touch."""

    def __init__(self, root: Path) -> None:
        self.root, self.src, self.vault = root, root / "src", root / "vault"
        self.src.mkdir(parents=True)
        (self.vault / "Notes").mkdir(parents=True)
        (self.vault / "Notes" / "mine.md").write_text(USER_NOTE)

    def run(self, *args: object) -> subprocess.CompletedProcess[str]:
        result = run_cli("import", *args)
        assert "Traceback" not in result.stderr, result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == len(result.stderr.splitlines()) - sum(
            line.startswith("Warning:") or line.startswith("Note:") for line in result.stderr.splitlines()
        ), result.stderr
        assert (self.vault / "Notes" / "mine.md").read_text() == USER_NOTE
        assert {path.name for path in self.root.iterdir()} <= {"src", "vault", "outside"}
        assert not Path("/etc/x").exists() and not Path("C:\\x").exists() and not Path("/tmp/escaped").exists()
        for note in (self.vault / "arXiv").rglob("*.md") if (self.vault / "arXiv").exists() else ():
            assert NOTES.split(note.read_text()) is not None, note
        return result


@pytest.fixture
def place(tmp_path: Path) -> Place:
    return Place(tmp_path)


def created(result: subprocess.CompletedProcess[str]) -> int:
    return json.loads(result.stdout)["papers"]["created"] if result.stdout else 0


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_hostile_digest(case, place):
    expected = EXPECTED[case]
    shutil.copy(HOSTILE / case, place.src)
    result = place.run(place.src, place.vault, "--json")
    assert result.returncode == expected["exit"], result.stderr
    assert created(result) == expected["papers"]
    if "error" in expected:
        assert result.stderr == f"Error: {place.src / case}: {expected['error']}\n"
        return
    data = (HOSTILE / case).read_bytes()
    digest = parse_digest(decode(data, case), case)
    titles = {entry.arxiv_id: entry.title for section in digest.sections for entry in section.entries}
    notes = list((place.vault / "arXiv" / "Papers").iterdir())
    assert len(notes) == len(titles) and all(note.parent.name == "Papers" for note in notes)
    for note in notes:
        text = note.read_text()
        meta = frontmatter.loads(text).metadata
        assert meta["title"] == titles[meta["arxiv_id"]]  # the exact title, whatever it holds
        body = text.split("\n---\n", 1)[1]
        assert not re.search(r"(?<!\\)<(script|img|iframe)|\]\(javascript:", body, re.IGNORECASE), note
        assert body.count(notefile.BEGIN) == 1 and body.count(notefile.END) == 1, note
    if case.endswith("jinja.md"):  # shown as written, never run
        texts = "".join(note.read_text() for note in notes)
        assert "{{ config }}" in texts and "{% for x in y %}" in texts and "{{ paper.title }}" in texts
    if "same_as" in expected:
        other = Place(place.root / "outside")
        shutil.copy(HOSTILE / expected["same_as"], other.src / case)
        other.run(other.src, other.vault, "--json")
        assert vault_files(place.vault) == vault_files(other.vault)


def test_a_20_mb_single_line_is_read_without_harm(place):
    (place.src / "2024-02-10.md").write_text("## " + "word " * (4 * 1024 * 1024))
    result = place.run(place.src, place.vault, "--json")
    assert result.returncode == 0 and created(result) == 0 and json.loads(result.stdout)["digests_read"] == 1


def test_100000_entries_are_refused_in_one_line(place):
    entry = (HOSTILE / "2024-02-09 lf.md").read_text().split("\n", 1)[1]
    (place.src / "2024-02-11.md").write_text("## k\n" + entry * 100_000)
    result = place.run(place.src, place.vault)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {place.src / '2024-02-11.md'}: 100000 entries, more than a daily digest holds (10000)"
        " — split it to import it — skipped\n"
    )


def test_symlinked_digests_are_read_and_broken_links_skipped(place):
    (place.root / "outside").mkdir()
    real = place.root / "outside" / "2024-02-09.md"
    shutil.copy(HOSTILE / "2024-02-09 lf.md", real)
    (place.src / "2024-02-09.md").symlink_to(real)
    (place.src / "2024-02-12.md").symlink_to(place.root / "outside" / "gone.md")
    result = place.run(place.src, place.vault, "--json")
    assert result.returncode == 0 and created(result) == 1


def test_a_vault_that_is_a_file_is_one_error_line(place):
    shutil.copy(HOSTILE / "2024-02-09 lf.md", place.src)
    result = run_cli("import", place.src, place.root / "src" / "2024-02-09 lf.md")
    assert result.returncode == 2 and result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", ["import", "watch"])
@pytest.mark.parametrize("kind", ["/dev/null", "fifo"])
def test_src_that_is_a_device_or_a_fifo_is_one_error_line(place, command, kind):
    """Neither a digest file nor a folder: refused before anything is opened or created."""
    src = Path("/dev/null") if kind == "/dev/null" else place.src / "2024-02-09.md"
    if kind == "fifo":
        os.mkfifo(src)
    shutil.rmtree(place.vault)
    result = run_cli(command, src, place.vault, "--once" if command == "watch" else "--quiet")
    what = "a character device" if kind == "/dev/null" else "a FIFO"
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert (
        result.stderr == f"Error: {src} is {what}, not a digest file or a folder — give a digest file or a folder"
        " of digests\n"
    )
    assert not place.vault.exists()


def test_a_digest_swapped_for_a_fifo_while_importing_never_blocks(place):
    """A producer replaces a digest in SRC, again and again, by a FIFO (or socket) and back: each import
    reads the digest or reports the FIFO, and never waits for a writer that will not come."""
    digest = place.src / "2024-02-09.md"
    shutil.copy(HOSTILE / "2024-02-09 lf.md", digest)
    (place.root / "outside").mkdir()
    as_file, as_fifo = place.root / "outside" / "file", place.root / "outside" / "fifo"
    script = Path(sys.executable).with_name("vaultsync")
    swapping = threading.Event()

    def swap() -> None:
        while swapping.is_set():
            shutil.copy(HOSTILE / "2024-02-09 lf.md", as_file)
            os.replace(as_file, digest)
            time.sleep(0.002)
            os.mkfifo(as_fifo)
            os.replace(as_fifo, digest)
            time.sleep(0.002)

    swapping.set()
    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        for _ in range(12):
            try:
                result = subprocess.run(
                    [script, "import", place.src, place.vault, "-q"], capture_output=True, text=True, timeout=20
                )
            except subprocess.TimeoutExpired:
                pytest.fail("an import blocked on a FIFO")
            assert "Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
            if result.returncode:
                assert result.stderr == f"Error: {digest}: cannot read (a FIFO, not a regular file) — skipped\n"
    finally:
        swapping.clear()
        swapper.join()
    assert (place.vault / "Notes" / "mine.md").read_text() == USER_NOTE


def test_a_symlink_in_the_vault_pointing_outside_is_not_written_through(place):
    outside = place.root / "outside"
    outside.mkdir()
    (place.vault / "arXiv").mkdir()
    (place.vault / "arXiv" / "Papers").symlink_to(outside, target_is_directory=True)
    shutil.copy(HOSTILE / "2024-02-09 lf.md", place.src)
    result = place.run(place.src, place.vault)
    assert result.returncode == 1 and "leads outside the vault" in result.stderr
    assert list(outside.iterdir()) == []


needs_permissions = pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes whatever the permissions")


@needs_permissions
def test_an_unreadable_digest_is_one_error_line_and_the_rest_imports(place):
    shutil.copy(HOSTILE / "2024-02-09 lf.md", place.src)
    locked = place.src / "2024-02-13.md"
    shutil.copy(HOSTILE / "2024-02-09 lf.md", locked)
    locked.chmod(0)
    result = place.run(place.src, place.vault, "--json")
    assert result.returncode == 1 and "cannot read (Permission denied)" in result.stderr and created(result) == 1


@needs_permissions
def test_a_read_only_vault_is_reported_and_nothing_changes(place):
    shutil.copy(HOSTILE / "2024-02-09 lf.md", place.src)
    place.vault.chmod(0o555)
    try:
        result = place.run(place.src, place.vault)
    finally:
        place.vault.chmod(0o755)
    assert result.returncode in (1, 2) and result.stderr.startswith("Error: ")


def test_an_unreadable_digest_simulated_is_one_error_line(place, monkeypatch):
    """The same as above where the tests run as root: the read fails in the file layer."""
    from typer.testing import CliRunner

    from vaultsync.cli import app

    shutil.copy(HOSTILE / "2024-02-09 lf.md", place.src)
    locked = place.src / "2024-02-13.md"
    shutil.copy(HOSTILE / "2024-02-09 lf.md", locked)
    open_file = os.open

    def denied(path: os.PathLike[str] | str, flags: int, *args: int, **kwargs: int) -> int:
        if Path(path) == locked:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return open_file(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    result = CliRunner().invoke(app, ["import", str(place.src), str(place.vault)])
    assert result.exit_code == 1 and f"Error: {locked}: cannot read (Permission denied) — skipped" in result.output
    assert len(list((place.vault / "arXiv" / "Papers").iterdir())) == 1


# --- write errors: simulated in the write layer, and for real on a full file system --------------------


def test_a_failing_write_keeps_the_notes_previous_text_and_exits_1(place, monkeypatch):
    from typer.testing import CliRunner

    from vaultsync.cli import app

    shutil.copy(HOSTILE / "2024-02-09 lf.md", place.src)
    assert CliRunner().invoke(app, ["import", str(place.src), str(place.vault)]).exit_code == 0
    before = vault_files(place.vault)
    (place.src / "2024-02-09 lf.md").write_text((place.src / "2024-02-09 lf.md").read_text().replace("One", "Two"))

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    result = CliRunner().invoke(app, ["import", str(place.src), str(place.vault)])
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert vault_files(place.vault) == before
    assert not list(place.vault.rglob(".vaultsync-*.tmp"))


def test_a_full_file_system_keeps_every_note_whole(corpus, tmp_path):
    vault = tmp_path / "small"
    vault.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(vault)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        (vault / "Notes").mkdir()
        (vault / "Notes" / "mine.md").write_text(USER_NOTE)
        result = run_cli("import", corpus, vault)
        assert result.returncode == 1 and ("No space left" in result.stderr or "disk is full" in result.stderr)
        assert "Traceback" not in result.stderr
        assert (vault / "Notes" / "mine.md").read_text() == USER_NOTE
        notes = list((vault / "arXiv").rglob("*.md"))
        assert notes and all(NOTES.split(note.read_text()) is not None for note in notes)
        assert not list(vault.rglob(".vaultsync-*.tmp"))
    finally:
        subprocess.run(["umount", str(vault)], check=True)


@pytest.mark.parametrize("flavor", ["obsidian", "logseq"])
def test_an_import_opens_no_socket_and_runs_no_program(corpus, corpus_counts, tmp_path, monkeypatch, flavor):
    import socket

    from vaultsync import import_digests

    calls: list[str] = []

    def refuse(name: str):
        def refused(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"vaultsync called {name}")

        return refused

    for module, names in [
        (socket, ["socket", "create_connection", "getaddrinfo", "socketpair"]),
        (subprocess, ["Popen", "run", "call"]),
        # os.fork is the import's own parsing worker (--jobs, forked on Linux): it runs no other program,
        # and it inherits these refusals, so one it broke would fail its digest, and this test.
        (os, ["system", "popen", "posix_spawn", "posix_spawnp", "execv", "execve"]),
    ]:
        for name in names:
            monkeypatch.setattr(module, name, refuse(f"{module.__name__}.{name}"))
    summary = import_digests(corpus, tmp_path / "vault", flavor=flavor)
    assert summary.ok and summary.papers["created"] == corpus_counts.papers and calls == []
