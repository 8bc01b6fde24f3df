"""One smoke test per command: the installed `vaultsync` run once on a small vault (the `versions` golden case:
two digests, two papers), checked for its exit code and one thing it must print or write. The behaviour of
each command is tested in its own file; these show that every command still starts, runs and ends."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from regenerate import GOLDEN
from test_fetch import DIGEST, Reply, server  # noqa: F401 (server: arXiv's feed, served from 127.0.0.1)

from vaultsync import import_digests

CASE = GOLDEN / "versions"  # 2022-07-11 lists GaitTAKE; 2022-07-14 its new version, and OccamNets


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The case imported once, for the commands that only read a vault (status, doctor without --fix)."""
    root = tmp_path_factory.mktemp("commands") / "vault"
    assert import_digests(CASE / "input", root).ok
    return root


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """The case's digests, copied to a folder of their own."""
    return Path(shutil.copytree(CASE / "input", tmp_path / "src"))


def test_import_prints_the_json_summary_of_the_golden_case(tmp_path):
    """The JSON is the library's summary (tests/golden/versions/summary.json, written before outcomes were an
    enum) plus `dry_run`: its keys, their order and the outcomes' strings unchanged."""
    result = run_cli("import", CASE / "input", tmp_path / "vault", "--json")
    assert result.returncode == 0, result.stderr
    text = result.stdout.replace(f"{CASE}/", "").replace(f"{tmp_path / 'vault'}/", "")
    expected = json.loads((CASE / "summary.json").read_text(encoding="utf-8"))
    assert json.loads(text) == {**expected, "dry_run": False}
    assert list(json.loads(text)) == [*expected, "dry_run"]


def test_watch_once_imports_the_digests_and_exits(src, tmp_path):
    result = run_cli("watch", src, tmp_path / "vault", "--once")
    assert result.returncode == 0, result.stderr
    assert "imported 2022-07-14.md (2022-07-14): 2 papers (1 created, 1 updated)" in result.stderr
    assert (tmp_path / "vault" / "arXiv" / "Digests" / "arXiv 2022-07-14.md").is_file()


def test_init_writes_the_settings_file_naming_the_source(src, tmp_path):
    result = run_cli("init", tmp_path / "vault", "--source", src)
    assert result.returncode == 0, result.stderr
    assert f"written: {tmp_path / 'vault' / '.vaultsync' / 'config.toml'}" in result.stdout
    assert f'source = "{src}"' in (tmp_path / "vault" / ".vaultsync" / "config.toml").read_text()


def test_status_counts_the_papers_and_digests(vault):
    result = run_cli("status", vault, "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert (status["papers"], status["digests"], status["last_digest"]) == (2, 2, "2022-07-14")


def test_doctor_finds_a_fresh_import_healthy(vault):
    result = run_cli("doctor", vault)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "healthy"


def test_service_prints_a_systemd_unit_running_watch(src, vault):
    result = run_cli("service", "systemd", src, vault)
    assert result.returncode == 0, result.stderr
    assert f'"watch" "{src}" "{vault}"\n' in result.stdout and "[Service]\n" in result.stdout


def test_fetch_writes_the_days_digest_from_the_feed(server, tmp_path):  # noqa: F811 (the fixture)
    server.serve("cs.CV+cs.LG", Reply())
    out = tmp_path / "digests"
    result = run_cli("fetch", out, "--category", "cs.CV", "--category", "cs.LG", "--feed-url", server.url)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out / DIGEST}" in result.stdout
    assert "### Title: " in (out / DIGEST).read_text()
