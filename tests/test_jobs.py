"""`--jobs`: digests parsed ahead in a worker process give the very vault, reports and errors one process
gives; the workers stop with the import, whether it ends, is interrupted or is killed."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import new_graph, run_cli, vault_files

SCRIPT = Path(sys.executable).with_name("vaultsync")


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def imported(src: Path, vault: Path, *args: object) -> tuple[int, dict, str]:
    result = run_cli("import", src, vault, "--json", *args)
    summary = json.loads(result.stdout)
    return result.returncode, summary, result.stderr


@pytest.mark.parametrize("flavor", ["obsidian", "logseq"])
def test_two_jobs_write_the_vault_one_job_writes_byte_for_byte(corpus, corpus_counts, tmp_path, flavor):
    vaults = {}
    for jobs in (2, 1):
        vault = tmp_path / f"jobs-{jobs}"
        if flavor == "logseq":
            new_graph(vault)
        code, summary, stderr = imported(corpus, vault, "--jobs", jobs)
        assert code == 0, stderr
        vaults[jobs] = (vault_files(vault), summary, stderr)
    assert vaults[2][0] == vaults[1][0]
    assert vaults[2][1] == vaults[1][1]  # every digest's report, in the same order
    assert vaults[2][2] == vaults[1][2]
    assert summary["papers"]["created"] == corpus_counts.papers


def test_files_that_are_no_digests_are_reported_as_with_one_job(corpus, tmp_path):
    """Binary, non-UTF-8, FIFO, not-a-digest and damaged files among digests; a re-import where one digest
    changed and one unchanged digest's note was edited (its digest is parsed after all)."""
    src = tmp_path / "src"
    src.mkdir()
    digests = sorted(corpus.glob("*.md"))[:6]
    for digest in digests:
        shutil.copy(digest, src)
    (src / "2030-01-01.md").write_bytes(b"\x00\x01 binary")
    (src / "2030-01-02.md").write_bytes("## kw\n### Title: é".encode("latin-1"))
    os.mkfifo(src / "2030-01-03.md")
    (src / "README.md").write_text("# Notes\nnot a digest\n")
    (src / "2030-01-04.md").write_text("## kw\n### Title: no id here\n* Paper URL: x\n")
    results = {}
    for jobs in (1, 2):
        vault = tmp_path / f"jobs-{jobs}"
        first = imported(src, vault, "--jobs", jobs)
        paper = sorted((vault / "arXiv" / "Papers").glob("*.md"))[0]
        paper.write_text(paper.read_text() + "\nmy note\n")
        results[jobs] = [first, imported(src, vault, "--jobs", jobs, "--force")]
        changed = src / digests[-1].name
        text = changed.read_text()
        changed.write_text(text.replace("### Title:", "### Title: Renamed,", 1))
        results[jobs].append(imported(src, vault, "--jobs", jobs))
        changed.write_text(text)
        results[jobs].append(vault_files(vault))
    assert results[2] == results[1]
    code, summary, stderr = results[2][0]
    assert code == 1
    for name in ("2030-01-01.md", "2030-01-02.md"):  # the FIFO is no file: not even listed
        assert sum(name in error for error in summary["errors"]) == 1, summary["errors"]
    assert "not UTF-8" in stderr and "binary file" in stderr and "2030-01-03.md" not in stderr
    assert summary["papers"]["created"] > 100 and any("skipped" in str(report) for report in summary["digests"])


def test_ctrl_c_at_the_terminal_stops_the_import_and_its_worker_cleanly(many, tmp_path):
    vault = tmp_path / "vault"
    process = subprocess.Popen(
        [SCRIPT, "import", many, vault, "--jobs", "2"],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    while not children(process.pid):
        time.sleep(0.02)
    workers = children(process.pid)
    while not (vault / "arXiv" / "Digests").exists():
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C at a terminal: the whole foreground group
    _, stderr = process.communicate(timeout=60)
    assert (
        process.returncode == 130
        and stderr == "Error: interrupted — every note written is complete; import again to finish\n"
    )
    assert not any(alive(pid) for pid in workers)


def test_a_killed_import_leaves_no_worker_behind(many, tmp_path):
    vault = tmp_path / "vault"
    process = subprocess.Popen(
        [SCRIPT, "import", many, vault, "--jobs", "2"], stderr=subprocess.DEVNULL, start_new_session=True
    )
    while not children(process.pid):
        time.sleep(0.02)
    workers = children(process.pid)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers and not any(alive(pid) for pid in workers)


def test_jobs_must_be_one_or_more(corpus, tmp_path):
    result = run_cli("import", corpus, tmp_path / "vault", "--jobs", "0")
    assert result.returncode == 2
    assert result.stderr == "Error: jobs must be 1 or more, not 0 — 1 uses one core\n"


def test_a_re_import_that_changes_nothing_starts_no_worker(corpus, tmp_path, monkeypatch):
    """Digests imported before are not parsed ahead: the re-import costs reading and hashing them, no more.
    (A file that lists no paper leaves nothing to compare with: it is parsed again, as with one job.)"""
    from vaultsync import import_digests

    src, vault = tmp_path / "src", tmp_path / "vault"
    src.mkdir()
    first = import_digests(corpus, vault, jobs=2)
    for report in first.digests:
        if report.index_note:
            shutil.copy(report.source, src)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker was started")

    monkeypatch.setattr(os, "fork", refused)
    monkeypatch.setattr(subprocess, "Popen", refused)
    again = import_digests(src, vault, jobs=2)
    assert first.ok and again.ok and len(again.digests) > 5
    assert again.papers["unchanged"] == first.papers["created"] > 100


def test_a_program_with_threads_gets_its_workers_started_afresh_and_the_same_vault(corpus, tmp_path):
    """Forking a process whose other threads may hold locks (a progress bar's) is unsafe: workers are then
    spawned, not forked, and the vault is still the one a single process writes."""
    import threading

    from vaultsync import import_digests

    src = tmp_path / "src"
    src.mkdir()
    for digest in sorted(corpus.glob("*.md"))[:8]:
        shutil.copy(digest, src)
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait)
    busy.start()
    try:
        spawned = import_digests(src, tmp_path / "spawned", jobs=2)
    finally:
        stop.set()
        busy.join()
    single = import_digests(src, tmp_path / "single", jobs=1)
    assert spawned.ok and spawned.papers == single.papers and spawned.papers["created"] > 50
    assert vault_files(tmp_path / "spawned") == vault_files(tmp_path / "single")


def wchan(pid: int) -> str:
    """Where in the kernel the process `pid` waits ("" if it runs or is gone): `…pipe_read`, `…pipe_write`."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return ""


def state(pid: int) -> str:
    """The process's state letter (R running, S sleeping, T stopped), "" once gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def written(pid: int) -> int:
    """The bytes the process `pid` wrote so far (its results), 0 once gone."""
    try:
        return int(Path(f"/proc/{pid}/io").read_text().split("wchar:")[1].split()[0])
    except (OSError, IndexError):
        return 0


def sending(import_pid: int, worker: int) -> bool:
    """Whether the worker was caught blocked mid-way through writing a result, and killed there: the import
    is stopped meanwhile, so that nothing drains the pipe (64 KB) and a larger result stays half-written."""
    if state(worker) != "R":
        return False
    os.kill(import_pid, signal.SIGSTOP)
    try:
        while alive(worker) and (state(worker) == "R" or not wchan(worker).endswith(("pipe_read", "pipe_write"))):
            time.sleep(0.0005)
        caught = wchan(worker).endswith("pipe_write")
        if caught:
            os.kill(worker, signal.SIGKILL)
            while alive(worker):
                time.sleep(0.001)
        return caught
    finally:
        os.kill(import_pid, signal.SIGCONT)


MOMENTS = {  # when to kill the worker, given the import's pid and the worker's: (import, worker) -> now?
    "started": lambda _, worker: True,  # before it read any work
    "working": lambda _, worker: written(worker) > 0 and state(worker) == "R",  # on a file after its first
    "sending": sending,
    "idle": lambda _, worker: written(worker) > 0 and wchan(worker).endswith("pipe_read"),  # waiting for work
}


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_worker_killed_at_any_moment_costs_time_not_notes(many, tmp_path, moment):
    """The out-of-memory killer may pick the worker at any moment: its digests are parsed by the import
    itself. Killed while sending a result, it left half a message the import waited for forever."""
    vault, single = tmp_path / "vault", tmp_path / "single"
    process = subprocess.Popen(
        [SCRIPT, "import", many, vault, "--jobs", "2", "--json"], stdout=subprocess.PIPE, text=True
    )
    try:
        while not children(process.pid):
            time.sleep(0.001)
        (worker,) = children(process.pid)
        while not MOMENTS[moment](process.pid, worker):
            assert process.poll() is None, f"the import ended before its worker was caught {moment}"
            time.sleep(0.0002)
        with contextlib.suppress(ProcessLookupError):  # killed already ("sending"), and reaped by the import
            os.kill(worker, signal.SIGKILL)
        stdout, _ = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    code, summary, _ = imported(many, single, "--jobs", "1")
    assert process.returncode == code == 0
    assert json.loads(stdout) == summary and vault_files(vault) == vault_files(single)


@pytest.mark.parametrize("flavor", ["obsidian", "logseq"])
def test_two_jobs_render_themselves_the_notes_a_worker_drafted_for_another_vault(corpus, tmp_path, flavor):
    """The worker drafts each paper's note as for a vault without it; where this vault says otherwise (the
    paper's name taken by a note of the user's, a topic's or an index note's name shared with another note,
    so linked by path), the import renders the note itself: the same vault as with one job."""
    src = tmp_path / "src"
    src.mkdir()
    for digest in sorted(corpus.glob("*.md"))[:4]:
        shutil.copy(digest, src)
    probe = tmp_path / "probe"  # where the notes go in an empty vault
    if flavor == "logseq":
        new_graph(probe)
    assert imported(src, probe, "--jobs", "1")[0] == 0
    papers = {path.relative_to(probe) for path in probe.rglob("*.md")}
    start = tmp_path / "start"
    if flavor == "logseq":
        new_graph(start)
    taken = sorted(path for path in papers if "Papers" in path.parts or path.parts[0] == "pages")[:3]
    for path in taken:  # notes of the user's where papers' notes would go
        (start / path).parent.mkdir(parents=True, exist_ok=True)
        (start / path).write_text("A note of mine.\n")
    shared = [sorted(path for path in papers if folder in path.parts)[:2] for folder in ("Topics", "Digests")]
    for path in shared[0] + shared[1]:
        (start / "Elsewhere").mkdir(exist_ok=True)
        (start / "Elsewhere" / path.name).write_text("Another note of that name.\n")
    vaults = {}
    for jobs in (2, 1):
        vault = tmp_path / f"jobs-{jobs}"
        shutil.copytree(start, vault)
        code, summary, stderr = imported(src, vault, "--jobs", jobs)
        assert code == 0, stderr
        vaults[jobs] = (vault_files(vault), summary)
    assert vaults[2] == vaults[1]
    assert all((tmp_path / "jobs-2" / path).read_text() == "A note of mine.\n" for path in taken)
