"""`vaultsync watch` as users run it: a real daemon process, real watchdog observers (native events and
polling), real files landing in a temporary SRC the ways producers write them."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import frontmatter
import pytest
from conftest import run_cli

from vaultsync import parse_digest
from vaultsync.pipeline.reader import decode

CANONICAL = "2024-01-18.md"


class Daemon:
    """A `vaultsync watch` process; its log (stderr) goes to a file."""

    def __init__(self, src: Path, vault: Path, *args: object, log: Path) -> None:
        script = Path(sys.executable).with_name("vaultsync")
        self.log_file = log
        with log.open("a") as stderr:
            self.process = subprocess.Popen(
                [str(script), "watch", str(src), str(vault), *map(str, args)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        self.wait_for(lambda: "watching" in self.log() or self.process.poll() is not None)

    def log(self) -> str:
        return self.log_file.read_text()

    def imported(self, name: str) -> int:
        """How many times the daemon logged importing the digest file `name`."""
        return len(re.findall(rf" imported {re.escape(name)} \(", self.log()))

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; daemon log:\n{self.log()}")
            if self.process.poll() is not None and not condition():
                raise AssertionError(f"daemon exited {self.process.returncode}; log:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the daemon took to exit."""
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=10)
        return code, time.monotonic() - start


@pytest.fixture(params=["native", "poll"])
def mode(request: pytest.FixtureRequest) -> list[str]:
    """Watch options for native file-system events, or for polling."""
    return ["--poll", "--poll-interval", "0.25"] if request.param == "poll" else []


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    src, vault = tmp_path / "src", tmp_path / "vault"
    src.mkdir()
    return src, vault


@pytest.fixture
def start(folders: tuple[Path, Path], tmp_path: Path, mode: list[str]) -> Iterator[Callable[..., Daemon]]:
    """Start daemons on (src, vault) in the mode under test; they are stopped at the end of the test."""
    daemons: list[Daemon] = []

    def start(*args: object) -> Daemon:
        daemon = Daemon(*folders, *mode, "--settle", "0.5", *args, log=tmp_path / f"watch{len(daemons)}.log")
        daemons.append(daemon)
        return daemon

    yield start
    for daemon in daemons:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()


def index_note(vault: Path, day: str) -> Path:
    return vault / "arXiv" / "Digests" / f"arXiv {day}.md"


def paper_count(corpus: Path, name: str) -> int:
    digest = parse_digest(decode((corpus / name).read_bytes(), name), name)
    return len({entry.arxiv_id for section in digest.sections for entry in section.entries})


def drop(corpus: Path, name: str, src: Path, as_name: str | None = None) -> Path:
    """Land a digest the way atomic producers do: written under a temporary name, then renamed."""
    temp = src / f".{name}.part"
    shutil.copy(corpus / name, temp)
    target = src / (as_name or name)
    os.replace(temp, target)
    return target


def test_atomic_rename_in_is_imported_once(corpus, folders, start):
    src, vault = folders
    daemon = start()
    drop(corpus, CANONICAL, src)
    daemon.wait_for(lambda: index_note(vault, "2024-01-18").exists())
    assert frontmatter.load(index_note(vault, "2024-01-18"))["paper_count"] == paper_count(corpus, CANONICAL) == 42
    time.sleep(1)
    assert daemon.imported(CANONICAL) == 1


def test_chunked_slow_write_is_imported_once_complete(corpus, folders, start):
    """A digest written in 17 chunks over 5 s, with the default 1 s settle window."""
    src, vault = folders
    daemon = start("--settle", "1")
    data = (corpus / CANONICAL).read_bytes()
    chunks = [data[i : i + len(data) // 16] for i in range(0, len(data), len(data) // 16)]
    with (src / CANONICAL).open("wb") as file:
        for chunk in chunks:
            file.write(chunk)
            file.flush()
            time.sleep(5 / len(chunks))
    daemon.wait_for(lambda: daemon.imported(CANONICAL) == 1)
    assert frontmatter.load(index_note(vault, "2024-01-18"))["paper_count"] == 42
    time.sleep(1.5)
    assert daemon.imported(CANONICAL) == 1


def test_burst_of_50_digests_each_imported_once(corpus, folders, start):
    src, vault = folders
    daemon = start()
    names = [path.name for path in sorted(corpus.glob("*.md")) if paper_count(corpus, path.name)][:50]
    for name in names:
        shutil.copy(corpus / name, src / name)
    daemon.wait_for(lambda: all(index_note(vault, name[:10]).exists() for name in names), timeout=60)
    daemon.wait_for(lambda: all(daemon.imported(name) for name in names))
    time.sleep(1)
    assert {name: daemon.imported(name) for name in names} == dict.fromkeys(names, 1)


@pytest.mark.parametrize("mode", ["native"], indirect=True)
def test_a_single_file_src_is_watched_and_dated_by_its_modification_time(corpus, folders, tmp_path, mode):
    """Generators that rewrite one README.md every day."""
    src, vault = folders
    readme = src / "README.md"
    readme.write_text("")
    daemon = Daemon(readme, vault, "--settle", "0.5", log=tmp_path / "watch.log")
    try:
        shutil.copy(corpus / "2023-01-09.md", src / "other.md")  # not SRC
        shutil.copy(corpus / CANONICAL, readme)
        daemon.wait_for(lambda: daemon.imported("README.md") == 1)
        assert [p.name for p in (vault / "arXiv" / "Digests").iterdir()] == [f"arXiv {date.today()}.md"]
    finally:
        daemon.stop()


def test_temporary_hidden_and_editor_files_are_ignored(corpus, folders, start):
    src, vault = folders
    daemon = start("--verbose")
    ignored = [".2024-01-01.md", "2024-01-02.md~", "2024-01-03.tmp", "2024-01-04.md.part", ".2024-01-05.md.swp"]
    ignored += [".#2024-01-06.md", "2024-01-07.md.tmp", "notes.pdf"]
    for name in ignored:
        shutil.copy(corpus / CANONICAL, src / name)
    (src / "sub").mkdir()
    shutil.copy(corpus / CANONICAL, src / "sub" / "2024-01-08.md")  # sub-folders only with --recursive
    drop(corpus, "2023-01-09.md", src)
    daemon.wait_for(lambda: daemon.imported("2023-01-09.md") == 1)
    time.sleep(1)
    assert sorted(path.name for path in (vault / "arXiv" / "Digests").iterdir()) == ["arXiv 2023-01-09.md"]
    assert not any(name in daemon.log() for name in [*ignored, "2024-01-08.md"])


def test_recursive_watches_sub_folders_but_not_hidden_ones(corpus, folders, start):
    src, vault = folders
    (src / "2024").mkdir()
    (src / ".git").mkdir()
    daemon = start("--recursive")
    shutil.copy(corpus / CANONICAL, src / ".git" / "2023-01-09.md")
    drop(corpus, CANONICAL, src / "2024")
    daemon.wait_for(lambda: daemon.imported(CANONICAL) == 1)
    time.sleep(1)
    assert not index_note(vault, "2023-01-09").exists()


def test_a_corrupt_file_is_logged_the_next_good_one_imports_and_a_fix_is_retried(corpus, folders, start):
    src, vault = folders
    daemon = start()
    bad = src / "2024-01-15.md"
    bad.write_bytes(b"\x00\x01 not a digest")
    daemon.wait_for(lambda: "ERROR" in daemon.log())
    error = next(line for line in daemon.log().splitlines() if "ERROR" in line)
    assert str(bad) in error and "binary file" in error
    drop(corpus, CANONICAL, src)
    daemon.wait_for(lambda: daemon.imported(CANONICAL) == 1)
    drop(corpus, "2024-01-15.md", src)  # the producer re-runs: the fixed file is imported
    daemon.wait_for(lambda: daemon.imported("2024-01-15.md") == 1)
    assert index_note(vault, "2024-01-15").exists() and daemon.process.poll() is None
    assert "Traceback" not in daemon.log()


@pytest.mark.parametrize("mode", ["native"], indirect=True)
def test_a_failed_write_is_retried_after_a_pause_without_the_file_changing(corpus, folders, start):
    """The cause of a failure (here a file where the index notes' folder should be) goes away."""
    src, vault = folders
    (vault / "arXiv").mkdir(parents=True)
    (vault / "arXiv" / "Digests").write_text("in the way")
    daemon = start()
    drop(corpus, CANONICAL, src)
    daemon.wait_for(lambda: "ERROR" in daemon.log())
    assert "arXiv/Digests" in daemon.log() and daemon.imported(CANONICAL) == 0
    (vault / "arXiv" / "Digests").unlink()
    daemon.wait_for(lambda: daemon.imported(CANONICAL) == 1, timeout=25)  # first retry after 10 s
    assert "imported after 1 failed attempt\n" in daemon.log() and index_note(vault, "2024-01-18").exists()


def test_a_rewritten_digest_is_merged_and_keeps_ticks(corpus, folders, start):
    src, vault = folders
    daemon = start()
    drop(corpus, "2022-07-12.md", src, as_name="2022-07-14.md")
    note = index_note(vault, "2022-07-14")
    daemon.wait_for(note.exists)
    ticked = note.read_text().replace("- [ ] ", "- [x] ", 1)
    note.write_text(ticked)
    drop(corpus, "2022-07-14.md", src)  # the generator re-ran: the real, longer digest of that day
    daemon.wait_for(lambda: daemon.imported("2022-07-14.md") == 2)
    text = note.read_text()
    assert text.count("- [x] ") == 1 and frontmatter.loads(text)["paper_count"] == paper_count(corpus, "2022-07-14.md")


def test_sigterm_finishes_the_file_in_hand_and_releases_the_lock(corpus, folders, start):
    src, vault = folders
    daemon = start()
    names = sorted(path.name for path in corpus.glob("*.md"))[:40]
    for name in names:
        shutil.copy(corpus / name, src / name)
    daemon.wait_for(lambda: " imported " in daemon.log(), timeout=30)
    code, seconds = daemon.stop()
    assert code == 0 and seconds < 2, daemon.log()
    assert not (vault / ".vaultsync" / "lock.owner").exists()
    for note in vault.rglob("*.md"):  # no partial note, whatever was in hand
        assert frontmatter.load(note).metadata and "%% vaultsync:end %%" in note.read_text()
    assert run_cli("import", src, vault, "--wait", "0").returncode == 0


def test_a_second_writer_is_refused_with_the_pid(corpus, folders, start):
    src, vault = folders
    daemon = start()
    daemon.wait_for(lambda: "watching" in daemon.log(), timeout=30)
    shutil.copy(corpus / "2024-01-18.md", src)  # something to import: an empty SRC needs no lock
    for command in ("import", "watch"):
        result = run_cli(command, src, vault, "--wait", "0.5")
        assert result.returncode == 3, result.stderr
        assert f"`vaultsync watch` (pid {daemon.process.pid}" in result.stderr
        assert "Traceback" not in result.stderr
    assert daemon.process.poll() is None


def test_a_killed_daemons_lock_is_taken_over(corpus, folders, start):
    src, vault = folders
    first = start()
    first.process.kill()
    first.process.wait()
    drop(corpus, CANONICAL, src)
    second = start("--wait", "0")
    second.wait_for(lambda: second.imported(CANONICAL) == 1)
    assert f"(pid {first.process.pid}" in second.log() and "taking over" in second.log()


def test_catch_up_imports_what_arrived_or_changed_while_it_was_down(corpus, folders, start):
    src, vault = folders
    drop(corpus, "2023-01-09.md", src)
    first = start()
    first.wait_for(lambda: first.imported("2023-01-09.md") == 1)
    assert first.stop()[0] == 0
    drop(corpus, CANONICAL, src)  # arrived while down
    drop(corpus, "2022-07-12.md", src, as_name="2022-07-14.md")
    second = start()
    second.wait_for(lambda: second.imported(CANONICAL) == 1 and second.imported("2022-07-14.md") == 1)
    assert second.stop()[0] == 0
    drop(corpus, "2022-07-14.md", src)  # rewritten while down
    third = start()
    third.wait_for(lambda: third.imported("2022-07-14.md") == 1)
    time.sleep(1)
    assert third.imported("2023-01-09.md") == third.imported(CANONICAL) == 0  # unchanged: not imported again


def test_src_removed_and_restored_is_watched_again(corpus, folders, start):
    src, vault = folders
    daemon = start()
    shutil.rmtree(src)
    daemon.wait_for(lambda: "is gone" in daemon.log())
    src.mkdir()
    daemon.wait_for(lambda: "is back" in daemon.log())
    drop(corpus, CANONICAL, src)
    daemon.wait_for(lambda: daemon.imported(CANONICAL) == 1)


def test_src_replaced_by_a_new_folder_is_watched_again(corpus, folders, start, tmp_path):
    """A checkout or sync client swaps the folder: the old one is moved away, a new one takes its name."""
    src, vault = folders
    daemon = start()
    new = tmp_path / "new"
    new.mkdir()
    drop(corpus, "2023-01-09.md", new)
    src.rename(tmp_path / "old")
    new.rename(src)
    daemon.wait_for(lambda: daemon.imported("2023-01-09.md") == 1)  # found by the scan after the restart
    drop(corpus, CANONICAL, src)
    daemon.wait_for(lambda: daemon.imported(CANONICAL) == 1)
    assert "starting again" in daemon.log()


def test_once_catches_up_and_exits(corpus, folders, tmp_path):
    src, vault = folders
    drop(corpus, CANONICAL, src)
    result = run_cli("watch", src, vault, "--once", "--log-file", tmp_path / "log")
    assert result.returncode == 0 and "imported 2024-01-18.md" in result.stderr
    assert "imported 2024-01-18.md" in (tmp_path / "log").read_text()
    assert index_note(vault, "2024-01-18").exists()
    (src / "2024-01-19.md").write_bytes(b"\x00")
    result = run_cli("watch", src, vault, "--once", "-q")
    assert result.returncode == 1 and "2024-01-19.md" in result.stderr and "2024-01-18" not in result.stderr


WITH_CODE = """## robots
### Title: A Small Robot Paper. (arXiv:{id}v1 [cs.RO])
* Paper URL: [http://arxiv.org/abs/{id}](http://arxiv.org/abs/{id})
* Code URL: [https://github.com/example/robot](https://github.com/example/robot)
* Summary: <p>A robot.</p>
"""


def test_a_template_failing_on_a_paper_is_one_error_naming_template_paper_and_digest(corpus, folders, tmp_path):
    src, vault = folders
    templates = vault / ".vaultsync" / "templates"
    templates.mkdir(parents=True)
    (templates / "paper.md.j2").write_text("# {{ paper.title }}\n\n{{ paper.code_url.upper() }}\n")
    (src / "2024-01-17.md").write_text(WITH_CODE.format(id="2401.99917"))
    drop(corpus, CANONICAL, src)  # its papers without code make the template fail
    result = run_cli("watch", src, vault, "--once")
    assert result.returncode == 1
    assert "imported 2024-01-17.md" in result.stderr
    errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, result.stderr
    assert f"{src / CANONICAL}: template " in errors[0] and "paper.md.j2:3: " in errors[0]
    assert "(on paper 2401." in errors[0]
    assert errors[0].endswith("— fix the template — will retry in 10 s, or when the file changes")
    assert "Traceback" not in result.stderr


def test_once_exits_while_files_in_src_keep_growing(corpus, folders, tmp_path):
    """A generator's log file (one of them matching `*.txt`) that never stops growing: `--once` waits for it
    the settle window and its grace, skips it with one warning, imports the rest and exits."""
    src, vault = folders
    drop(corpus, CANONICAL, src)
    writer = subprocess.Popen(
        [sys.executable, "-c", GROWING, str(src / "generator.txt"), str(src / "generator.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)  # both files exist and are growing
        result = run_cli_within(40, "watch", src, vault, "--once", "--settle", "0.5")
    finally:
        writer.kill()
        writer.wait()
    assert result.returncode == 0, result.stderr
    assert "imported 2024-01-18.md" in result.stderr and index_note(vault, "2024-01-18").exists()
    warnings = [line for line in result.stderr.splitlines() if " WARNING " in line]
    assert len(warnings) == 1 and f"{src / 'generator.txt'}: still being written — skipped; run again" in warnings[0]
    assert "generator.log" not in result.stderr and "Traceback" not in result.stderr


GROWING = """
import sys, time
while True:
    for name in sys.argv[1:]:
        with open(name, "a") as file:
            file.write("generated another line\\n")
    time.sleep(0.05)
"""


def run_cli_within(seconds: float, *args: object) -> subprocess.CompletedProcess[str]:
    """`run_cli`, failing the test (not hanging it) if the command has not exited after `seconds`."""
    script = Path(sys.executable).with_name("vaultsync")
    try:
        return subprocess.run([str(script), *map(str, args)], capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(
            f"vaultsync {args[0]} still running after {seconds} s; stderr:\n{expired.stderr}"
        ) from None


def test_a_fifo_in_src_is_never_opened_and_sigterm_still_stops_watch(corpus, folders, start):
    """A FIFO named like a digest (first in import order) would block a reader forever: it is skipped."""
    src, vault = folders
    daemon = start()
    os.mkfifo(src / "2024-01-01.md")
    drop(corpus, CANONICAL, src)
    daemon.wait_for(lambda: daemon.imported(CANONICAL) == 1)
    code, seconds = daemon.stop()
    assert code == 0 and seconds < 2, daemon.log()
    assert "2024-01-01" not in daemon.log() and "Traceback" not in daemon.log()


@pytest.mark.parametrize(
    "args, message",
    [
        (["/no/such/dir", "{vault}"], "/no/such/dir does not exist"),
        (["{src}", "{file}"], "is a file, not a vault folder"),
        (["/dev/null", "{vault}"], "/dev/null is a character device, not a digest file or a folder"),
        (["{fifo}", "{vault}"], "fifo.md is a FIFO, not a digest file or a folder"),
    ],
)
def test_watch_usage_errors_exit_2(folders, tmp_path, args, message):
    src, vault = folders
    (tmp_path / "file").write_text("x")
    os.mkfifo(tmp_path / "fifo.md")
    places = {"{vault}": str(vault), "{file}": str(tmp_path / "file"), "{src}": str(src)}
    places["{fifo}"] = str(tmp_path / "fifo.md")
    result = run_cli_within(20, "watch", *[places.get(a, a) for a in args])
    assert result.returncode == 2 and result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not vault.exists()
