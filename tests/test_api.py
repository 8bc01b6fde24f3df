"""`vaultsync.import_digests` from Python keeps the command line's promises: the vault's settings file,
the one-writer lock, templates tried before anything is written, and the same notes as `vaultsync import`."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO, run_cli, vault_files
from test_watch import Daemon

import vaultsync

EXAMPLE = REPO / "examples" / "digests"


def test_the_library_writes_what_the_command_writes(tmp_path):
    summary = vaultsync.import_digests(EXAMPLE, tmp_path / "library")
    run_cli("import", EXAMPLE, tmp_path / "command", check=True)
    assert summary.ok and summary.papers["created"] == 42
    library, command = vault_files(tmp_path / "library"), vault_files(tmp_path / "command")
    assert library == command and len(library) == 44


def test_the_vault_s_settings_file_applies_and_arguments_override_it(tmp_path):
    vault = tmp_path / "vault"
    (vault / ".vaultsync").mkdir(parents=True)
    (vault / ".vaultsync" / "config.toml").write_text(f'source = "{EXAMPLE}"\npapers_folder = "Lit/Papers"\n')
    vaultsync.import_digests(None, vault)  # SRC from the settings
    assert len(list((vault / "Lit" / "Papers").glob("*.md"))) == 42
    vaultsync.import_digests(EXAMPLE, tmp_path / "other", tag_prefix="arxiv/")
    note = next((tmp_path / "other" / "arXiv" / "Papers").glob("*.md")).read_text()
    assert "\ntags:\n  - arxiv/" in note
    with pytest.raises(vaultsync.ArgumentError, match="unknown setting papers_dir"):
        vaultsync.import_digests(EXAMPLE, vault, papers_dir="x")


def test_the_library_waits_for_and_refuses_to_write_beside_a_running_watch(tmp_path):
    src, vault = tmp_path / "src", tmp_path / "vault"
    src.mkdir()
    daemon = Daemon(src, vault, "--settle", "0.5", log=tmp_path / "watch.log")
    try:
        daemon.wait_for(lambda: "watching" in daemon.log(), timeout=30)
        with pytest.raises(vaultsync.VaultBusy, match=rf"`vaultsync watch` \(pid {daemon.process.pid}"):
            vaultsync.import_digests(EXAMPLE, vault, wait=0.3)
        assert not (vault / "arXiv").exists()
        assert vaultsync.import_digests(EXAMPLE, vault, dry_run=True).papers["created"] == 42  # writes nothing
    finally:
        daemon.process.kill()
        daemon.process.wait()


def test_a_template_failing_on_a_paper_stops_the_library_before_any_write(tmp_path):
    vault = tmp_path / "vault"
    (vault / ".vaultsync" / "templates").mkdir(parents=True)
    (vault / ".vaultsync" / "templates" / "paper.md.j2").write_text("{{ paper.code_url.upper() }}\n")
    with pytest.raises(
        vaultsync.TemplateProblem, match=r"paper\.md\.j2:1: .* \(on paper 2401\.\d+\) in .*2024-01-18\.md"
    ):
        vaultsync.import_digests(EXAMPLE, vault)
    assert sorted(path.name for path in vault.iterdir()) == [".vaultsync"]
    assert sorted(path.name for path in (vault / ".vaultsync").iterdir()) == ["templates"]


def test_an_src_that_is_not_there_is_an_argument_error(tmp_path):
    with pytest.raises(vaultsync.ArgumentError, match="does not exist — give a digest file or a folder"):
        vaultsync.import_digests(tmp_path / "nope", tmp_path / "vault")
    shutil.rmtree(tmp_path / "vault", ignore_errors=True)
