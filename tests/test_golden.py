"""Digests in, vault out, compared byte for byte: golden cases and the bundled example."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, run_cli, vault_files

CASES = sorted(path.name for path in (REPO / "tests" / "golden").iterdir() if path.is_dir())


def assert_same_vault(actual: Path, expected: Path) -> None:
    got, want = vault_files(actual), vault_files(expected)
    assert sorted(got) == sorted(want), "different notes"
    for name in want:
        assert got[name].decode() == want[name].decode(), name


@pytest.mark.parametrize("case", CASES)
def test_golden(case, tmp_path):
    folder = REPO / "tests" / "golden" / case
    run_cli("import", folder / "input", tmp_path / "vault", "--quiet")
    assert_same_vault(tmp_path / "vault", folder / "expected")


def test_example_vault_is_what_the_readme_command_writes(tmp_path):
    run_cli("import", REPO / "examples" / "digests", tmp_path / "vault", check=True)
    assert_same_vault(tmp_path / "vault", REPO / "examples" / "vault")
    # 42 papers, the index note, the queue note and base, a topic note per tag (8)
    assert len(vault_files(REPO / "examples" / "vault")) == 53
