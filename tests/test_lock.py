"""The one-writer lock as users meet it: real `vaultsync watch` and `import` processes on one vault, and a
vault folder deleted, moved or replaced under a running daemon."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli
from test_watch import CANONICAL, Daemon, drop, index_note


@pytest.fixture
def daemon(corpus: Path, tmp_path: Path):
    """A `vaultsync watch` on tmp_path/src and tmp_path/vault, which already holds one imported digest."""
    src, vault = tmp_path / "src", tmp_path / "vault"
    src.mkdir()
    drop(corpus, "2023-01-09.md", src)
    daemon = Daemon(src, vault, "--settle", "0.5", log=tmp_path / "watch.log")
    daemon.wait_for(lambda: daemon.imported("2023-01-09.md") == 1)
    yield daemon
    if daemon.process.poll() is None:
        daemon.process.kill()
        daemon.process.wait()


def test_deleting_the_state_folder_does_not_let_a_second_writer_in(corpus, daemon, tmp_path):
    src, vault = tmp_path / "src", tmp_path / "vault"
    shutil.rmtree(vault / ".vaultsync")  # the lock file and its owner file with it
    result = run_cli("import", src, vault, "--wait", "0")
    assert result.returncode == 3, result.stderr
    assert result.stderr == f"Error: {vault} is being written by another vaultsync process — stop it, or give --wait" \
        " SECONDS\n"  # fmt: skip
    drop(corpus, CANONICAL, src)  # the daemon goes on, state folder or not
    daemon.wait_for(lambda: daemon.imported(CANONICAL) == 1)
    assert daemon.stop()[0] == 0
    assert run_cli("import", src, vault, "--wait", "0").returncode == 0  # released


@pytest.mark.parametrize("how", ["moved", "removed", "replaced"])
def test_a_vault_moved_or_removed_stops_watch_and_is_never_created_again(corpus, daemon, tmp_path, how):
    src, vault = tmp_path / "src", tmp_path / "vault"
    if how == "removed":
        shutil.rmtree(vault)
    else:
        vault.rename(tmp_path / "moved")
        if how == "replaced":
            vault.mkdir()  # a new, empty folder under the old name: not the vault watch locked
    drop(corpus, CANONICAL, src)
    code = daemon.process.wait(timeout=10)
    errors = [line for line in daemon.log().splitlines() if line.startswith("Error:")]
    assert code == 4, daemon.log()
    assert errors == [f"Error: {vault} was moved, renamed or removed while vaultsync wrote to it — run it again with"
                      " the vault's new path"]  # fmt: skip
    assert "Traceback" not in daemon.log() and daemon.imported(CANONICAL) == 0
    if how == "replaced":
        assert list(vault.iterdir()) == []
    else:
        assert not vault.exists()
    if how == "moved":
        assert index_note(tmp_path / "moved", "2023-01-09").exists()
        assert not index_note(tmp_path / "moved", "2024-01-18").exists()


@pytest.mark.parametrize("how", ["moved", "replaced"])
def test_a_vault_moved_during_a_one_off_import_stops_it_and_is_not_created_again(many, tmp_path, how):
    """A vault moved (or replaced by a new folder) while `vaultsync import` writes: the import stops with
    exit 4 and the one error line; the old path does not come back as a new, part-written vault."""
    vault = tmp_path / "vault"
    script = Path(sys.executable).with_name("vaultsync")
    process = subprocess.Popen([script, "import", many, vault, "--jobs", "1"], stderr=subprocess.PIPE, text=True)
    while not (vault / "arXiv" / "Digests").exists():
        time.sleep(0.02)
    vault.rename(tmp_path / "moved")
    if how == "replaced":
        vault.mkdir()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 4, stderr
    assert stderr.endswith(
        f"Error: {vault} was moved, renamed or removed while vaultsync wrote to it — run it again with the vault's"
        " new path\n"
    )
    assert list(vault.iterdir()) == [] if how == "replaced" else not vault.exists()
    assert run_cli("import", many, tmp_path / "moved").returncode == 0  # where it is now, the import finishes
