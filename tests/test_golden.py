"""Digests in, vault out, compared byte for byte: golden cases through the library, and the bundled example.

Each case of `tests/golden/` (its layout: `tests/regenerate.py`) is imported with `vaultsync.import_digests`,
as obsidian-export runs its `testdata/input|expected` trees: the vault must then hold exactly the files of
`expected/`, byte for byte, the import's JSON summary must be `summary.json`, and importing again must change
nothing. The Logseq cases' pages are also read with Logseq's own parser, mldoc.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, parse, run_cli, vault_files
from regenerate import GOLDEN, import_case, summary_json

from vaultsync import import_digests
from vaultsync.text.names import logseq_title_from_file

CASES = sorted(path.name for path in GOLDEN.iterdir() if path.is_dir())
LOGSEQ_CASES = [case for case in CASES if (GOLDEN / case / "expected" / "logseq" / "config.edn").is_file()]


def assert_same_vault(actual: Path, expected: Path) -> None:
    got, want = vault_files(actual), vault_files(expected)
    assert sorted(got) == sorted(want), "different notes"
    for name in want:
        assert got[name].decode() == want[name].decode(), name


@pytest.mark.parametrize("case", CASES)
def test_golden(case, tmp_path):
    folder, vault = GOLDEN / case, tmp_path / "vault"
    summary = import_case(folder, vault)
    assert_same_vault(vault, folder / "expected")
    assert summary_json(summary, folder, vault) == (folder / "summary.json").read_text(encoding="utf-8")
    assert summary.ok
    before = vault_files(vault)
    again = import_digests(folder / "input", vault)
    assert vault_files(vault) == before
    assert again.ok and not again.changes and again.rebuilt is None
    assert {outcome for outcome, n in (again.papers + again.index_notes).items() if n} == {"unchanged"}


def test_there_are_logseq_cases_with_a_graphs_config():
    """A new graph, and a graph the user edited after an earlier import (its pages, markers, journal)."""
    assert {"logseq-new", "logseq-reimport"} <= set(LOGSEQ_CASES)
    for case in LOGSEQ_CASES:
        assert (GOLDEN / case / "vault" / "logseq" / "config.edn").is_file()


def test_logseq_cases_pages_are_read_by_logseqs_parser(mldoc):
    """Paper pages, digest pages, journals and the reading queue of every Logseq case: mldoc reads each
    without an error, finds the properties of its first block where vaultsync wrote them, and a page's title
    is the one Logseq gives its file's name."""
    pages = [page for case in LOGSEQ_CASES for page in sorted((GOLDEN / case / "expected").rglob("*.md"))]
    parsed = parse(mldoc, pages)
    assert [file for file, page in parsed.items() if "error" in page] == []
    for page in pages:
        if page.parent.name == "pages":
            properties = dict(parsed[str(page)]["properties"] or [])
            assert "vaultsync" in properties, page
            assert properties.get("title", "arXiv reading queue") == logseq_title_from_file(page.stem), page
        else:  # a journal: its blocks, one of them the day's digest
            assert any(block["refs"] for block in parsed[str(page)]["blocks"]), page


def test_example_vault_is_what_the_readme_command_writes(tmp_path):
    run_cli("import", REPO / "examples" / "digests", tmp_path / "vault", check=True)
    assert_same_vault(tmp_path / "vault", REPO / "examples" / "vault")
    # 42 papers, the index note, the queue note and base, a topic note per tag (8)
    assert len(vault_files(REPO / "examples" / "vault")) == 53
