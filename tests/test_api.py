"""The public API, `vaultsync.__all__`, keeps the command line's promises: `import_digests` (the vault's
settings file, the one-writer lock, templates tried before anything is written, the same notes as
`vaultsync import`), `load_options`, `status`, `doctor`, `watch` and `fetch` as their commands do."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import REPO, run_cli, vault_files
from test_fetch import DIGEST, FeedServer, Reply
from test_watch import Daemon

import vaultsync

EXAMPLE = REPO / "examples" / "digests"


def test_the_library_writes_what_the_command_writes(tmp_path):
    summary = vaultsync.import_digests(EXAMPLE, tmp_path / "library")
    run_cli("import", EXAMPLE, tmp_path / "command", check=True)
    assert summary.ok and summary.papers["created"] == 42
    library, command = vault_files(tmp_path / "library"), vault_files(tmp_path / "command")
    assert library == command and sum(path.startswith("arXiv/Papers/") for path in library) == 42


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


# --- the whole public API ------------------------------------------------------------------------

API = ["import_digests", "load_options", "status", "doctor", "watch", "fetch", "parse_digest"]
TYPES = ["Summary", "Digest", "Entry", "Section"]
ERRORS = ["ArgumentError", "TemplateProblem", "VaultBusy", "VaultMoved", "StateError", "FetchError", "NotADigestError"]


def test_the_public_api_is_exactly_the_documented_names_and_each_is_there():
    assert sorted(vaultsync.__all__) == sorted(API + TYPES + ERRORS)
    for name in vaultsync.__all__:
        assert re.search(rf"\b{name}\b", vaultsync.__doc__), name
        assert getattr(vaultsync, name).__module__.startswith("vaultsync."), name
    assert all(callable(getattr(vaultsync, name)) for name in API)
    assert all(issubclass(getattr(vaultsync, name), Exception) for name in ERRORS)
    with pytest.raises(AttributeError):
        vaultsync.Options  # noqa: B018 - private: not re-exported


def test_load_options_gives_the_settings_file_s_values_under_the_arguments(tmp_path):
    vault = tmp_path / "vault"
    (vault / ".vaultsync").mkdir(parents=True)
    (vault / ".vaultsync" / "config.toml").write_text(
        'source = "../digests"\npapers_folder = "Lit/Papers"\nsettle = 5\n'
    )
    options = vaultsync.load_options(vault)
    assert options["papers_folder"] == "Lit/Papers" and options["settle"] == 5 and options["wait"] == 10.0
    assert options["source"] == vault / "../digests"  # relative to the vault
    assert vaultsync.load_options(str(vault), settle=0.5, quiet=None)["settle"] == 0.5
    other = tmp_path / "other.toml"
    other.write_text("settle = 2\n")
    assert vaultsync.load_options(vault, config=other)["settle"] == 2
    with pytest.raises(vaultsync.ArgumentError, match="settle must be a number"):
        (vault / ".vaultsync" / "config.toml").write_text('settle = "soon"\n')
        vaultsync.load_options(vault)


def test_status_from_python_is_what_status_json_prints(tmp_path):
    vault = tmp_path / "vault"
    with pytest.raises(vaultsync.ArgumentError, match="does not exist — give the vault's folder"):
        vaultsync.status(vault)
    vault.mkdir()
    with pytest.raises(vaultsync.ArgumentError, match="nothing imported here yet"):
        vaultsync.status(vault)
    vaultsync.import_digests(EXAMPLE, vault)
    printed = json.loads(run_cli("status", vault, "--json", check=True).stdout)
    assert vaultsync.status(vault).to_json() == printed and printed["papers"] == 42
    (vault / ".vaultsync" / "state.sqlite").write_bytes(b"not a database")
    with pytest.raises(vaultsync.StateError):
        vaultsync.status(vault)


def test_doctor_from_python_checks_and_repairs_only_holding_the_lock(tmp_path):
    src, vault = tmp_path / "src", tmp_path / "vault"
    src.mkdir()
    vaultsync.import_digests(EXAMPLE, vault)
    note = next((vault / "arXiv" / "Papers").glob("*.md"))
    note.rename(vault / note.name)  # moved behind vaultsync's back: fixed by recording where it is
    daemon = Daemon(src, vault, "--settle", "0.5", log=tmp_path / "watch.log")
    try:
        daemon.wait_for(lambda: "watching" in daemon.log(), timeout=30)
        checked = vaultsync.doctor(vault)  # reading needs no lock
        assert not checked.healthy and not checked.fixed
        assert run_cli("doctor", vault).stdout.splitlines()[:-1] == [f"problem: {p}" for p in checked.problems]
        with pytest.raises(vaultsync.VaultBusy, match=rf"`vaultsync watch` \(pid {daemon.process.pid}"):
            vaultsync.doctor(vault, fix=True, wait=0.3)
    finally:
        daemon.process.kill()
        daemon.process.wait()
    fixed = vaultsync.doctor(vault, fix=True)
    assert fixed.fixed and fixed.healthy and vaultsync.doctor(vault).healthy


def test_watch_from_python_honours_the_settings_file_and_the_lock(tmp_path):
    vault = tmp_path / "vault"
    (vault / ".vaultsync").mkdir(parents=True)
    (vault / ".vaultsync" / "config.toml").write_text(f'source = "{EXAMPLE}"\npapers_folder = "Lit/Papers"\n')
    assert vaultsync.watch(None, vault, once=True, settle=0.1) == 0
    assert len(list((vault / "Lit" / "Papers").glob("*.md"))) == 42
    src = tmp_path / "src"
    src.mkdir()
    daemon = Daemon(src, vault, "--settle", "0.5", log=tmp_path / "watch.log")
    try:
        daemon.wait_for(lambda: "watching" in daemon.log(), timeout=30)
        with pytest.raises(vaultsync.VaultBusy, match=rf"`vaultsync watch` \(pid {daemon.process.pid}"):
            vaultsync.watch(None, vault, once=True, wait=0.3)
    finally:
        daemon.process.kill()
        daemon.process.wait()
    with pytest.raises(vaultsync.ArgumentError, match="unknown setting settle_time"):
        vaultsync.watch(None, vault, once=True, settle_time=1)


def test_fetch_from_python_writes_into_the_vault_s_source_with_its_fetch_table(tmp_path):
    server = FeedServer()
    server.thread.start()
    try:
        server.serve("cs.CV+cs.LG", Reply())
        vault, digests = tmp_path / "vault", tmp_path / "digests"
        (vault / ".vaultsync").mkdir(parents=True)
        table = f'[fetch]\ncategories = ["cs.CV"]\nfeed_url = "{server.url}"\n'
        (vault / ".vaultsync" / "config.toml").write_text(f'source = "../digests"\n{table}')
        outcome = vaultsync.fetch(vault, categories=["cs.CV", "cs.LG"], keywords=["diffusion"])
        assert outcome.status == "written" and outcome.path == vault / "../digests" / DIGEST
        assert (digests / DIGEST).is_file() and outcome.describe().startswith("Fetched 2 papers")
        with pytest.raises(vaultsync.ArgumentError, match="no category"):
            vaultsync.fetch(tmp_path / "elsewhere")
        with pytest.raises(vaultsync.FetchError, match="HTTP 404"):
            vaultsync.fetch(tmp_path / "elsewhere", categories=["math.AG"], feed_url=server.url)
        assert not (tmp_path / "elsewhere").exists()
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
