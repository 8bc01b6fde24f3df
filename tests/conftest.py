"""Shared fixtures: the real digest corpus, the installed `vaultsync` command, one full corpus import."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from real_clients import ROOT as REAL_CLIENTS
from real_clients import RealClients, install

from vaultsync.pipeline.reader import date_from_name

# Property tests (marked `slow`) run 200 examples each in the default run and 2,000 in `pytest -m slow`.
settings.register_profile("default", max_examples=200, deadline=None)
settings.register_profile("slow", max_examples=2000, deadline=None)


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile("slow" if config.getoption("markexpr", "") == "slow" else "default")
    # Started in the background by a shell without job control, pytest (and every vaultsync it starts)
    # would ignore Ctrl-C; the Ctrl-C tests need vaultsync as a terminal starts it.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus" / "digests"
SAMPLE_CORPUS = REPO / "tests" / "data" / "digests"  # 12 of the shared digests, one of each era (tests/data/README.md)
# The whole shared corpus when it is beside the repository, else the sample shipped with it.
CORPUS = SHARED_CORPUS if SHARED_CORPUS.is_dir() else SAMPLE_CORPUS
MLDOC = REPO / "tests" / "logseq"
LOGSEQ_CONFIG = '{:meta/version 1\n ;; :pages-directory "nope"\n :file/name-format :triple-lowbar}\n'


def run_cli(*args: object, check: bool = False) -> subprocess.CompletedProcess[str]:
    """The installed `vaultsync` script, as a user runs it."""
    script = Path(sys.executable).with_name("vaultsync")
    result = subprocess.run(
        [str(script), *map(str, args)], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def imported_copy(corpus: Path, names: list[str], root: Path) -> tuple[Path, Path]:
    """(src, vault) under `root`: the digests `names` of `corpus` copied to src, and imported into vault."""
    src, vault = root / "src", root / "vault"
    src.mkdir(parents=True)
    for name in names:
        shutil.copy(corpus / name, src)
    run_cli("import", src, vault, check=True)
    return src, vault


def vault_files(root: Path) -> dict[str, bytes]:
    """Every file of a vault by relative path, vaultsync's own state folder left out."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".vaultsync" not in path.relative_to(root).parts and path.name != ".gitkeep"
    }


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real digests: the shared corpus when present, else the in-repository sample (tests/data/digests)."""
    return CORPUS


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """The whole shared corpus, for the checks of its documented numbers (required under `CI=true`)."""
    if not SHARED_CORPUS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared digest corpus is missing at {SHARED_CORPUS}")
        pytest.skip(f"the shared digest corpus is not at {SHARED_CORPUS} (tests use the in-repository sample)")
    return SHARED_CORPUS


@dataclass(frozen=True)
class Counts:
    """What a set of digest files holds, counted from their title lines, independently of vaultsync's reader."""

    digests: int  # files
    entries: int  # listings
    papers: int  # distinct arXiv ids
    with_papers: int  # files listing at least one paper (each gets an index note)


_LISTING = re.compile(r"^### Title: .*\(arXiv:(\S+?)v\d+ \[", re.MULTILINE)


def count(folder: Path) -> Counts:
    """The counts of the digests in `folder`."""
    listed = [_LISTING.findall(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.md"))]
    return Counts(len(listed), sum(map(len, listed)), len({i for ids in listed for i in ids}), sum(map(bool, listed)))


@pytest.fixture(scope="session")
def corpus_counts(corpus: Path) -> Counts:
    """The counts of the corpus the tests run on: what a full import of it must create."""
    return count(corpus)


@pytest.fixture(scope="session")
def corpus_import(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The whole corpus (shared or sample) imported once through the CLI: (vault, JSON summary)."""
    vault = tmp_path_factory.mktemp("corpus") / "vault"
    result = run_cli("import", corpus, vault, "--json", check=True)
    return vault, json.loads(result.stdout)


@pytest.fixture(scope="session")
def logseq_corpus_import(
    corpus: Path, corpus_counts: Counts, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Counts]:
    """The whole corpus (shared or sample) imported once into a new Logseq graph: (graph, the corpus's counts)."""
    graph = new_graph(tmp_path_factory.mktemp("logseq-corpus") / "graph")
    run_cli("import", corpus, graph, check=True)
    return graph, corpus_counts


def new_graph(root: Path, config: str = LOGSEQ_CONFIG) -> Path:
    """An empty Logseq graph: a folder with `logseq/config.edn`."""
    (root / "logseq").mkdir(parents=True)
    (root / "logseq" / "config.edn").write_text(config)
    return root


@pytest.fixture(scope="session")
def mldoc() -> Path:
    """The script that runs Logseq's parser (installed by `npm ci --prefix tests/logseq`, as CI does)."""
    script = MLDOC / "parse.js"
    if not (MLDOC / "node_modules" / "mldoc").is_dir() or not shutil.which("node"):
        if os.environ.get("CI"):
            pytest.fail("mldoc is not installed: npm ci --prefix tests/logseq")
        pytest.skip("mldoc is not installed (npm ci --prefix tests/logseq)")
    return script


def parse(mldoc: Path, files: list[Path]) -> dict[str, dict]:
    """Logseq pages as Logseq's parser, mldoc, reads them (see tests/logseq/parse.js)."""
    result = subprocess.run(
        ["node", str(mldoc)], input=json.dumps(list(map(str, files))), capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def deny_reading(monkeypatch: pytest.MonkeyPatch, note: Path) -> None:
    """Make vaultsync's reads of `note` fail with "Permission denied", in this process (tests run as root,
    for whom permissions are not enforced)."""
    from vaultsync.storage import vault

    open_note = vault.open_file

    def denied(path: Path) -> object:
        if Path(path) == note.resolve():
            raise PermissionError(13, "Permission denied", str(path))
        return open_note(path)

    monkeypatch.setattr(vault, "open_file", denied)


@pytest.fixture(scope="session")
def real_clients() -> RealClients:
    """The apps' own parsers (`../shared/real-clients/`), with their npm packages installed once."""
    if not REAL_CLIENTS.is_dir() or not shutil.which("node") or not shutil.which("npm"):
        if os.environ.get("CI"):
            pytest.fail(f"the apps' parsers are missing at {REAL_CLIENTS} (or node/npm is not installed)")
        pytest.skip(f"the apps' parsers are not at {REAL_CLIENTS}")
    return RealClients(install())


@pytest.fixture
def many(corpus: Path, tmp_path: Path) -> Path:
    """At least 100 real digests: the shared corpus, or the in-repository sample ten times over (each copy
    dated 700 days further on), so an import lasts long enough to be interrupted."""
    if len(list(corpus.glob("*.md"))) >= 100:
        return corpus
    folder = tmp_path / "many"
    folder.mkdir()
    for copy in range(10):
        for digest in corpus.glob("*.md"):
            day = date_from_name(digest.name)
            assert day is not None
            shutil.copy(digest, folder / f"{day + timedelta(days=700 * copy)}.md")
    return folder
