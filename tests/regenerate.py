"""Regenerate golden cases and examples/vault after an intended change of output; review the diff.

    python tests/regenerate.py             # every golden case, then examples/vault
    python tests/regenerate.py CASE ...    # only these cases of tests/golden/

A golden case, `tests/golden/<case>/`, like obsidian-export's `testdata/input|expected` trees:
- `input/`: the digests (SRC);
- `vault/` (optional): the vault before the import, as the user left it (a Logseq graph has its
  `logseq/config.edn` here; pages the user edited after an earlier import); without it, a new folder. It
  never holds the state store, so an import over it rebuilds the store from the notes first;
- `expected/`: the vault after `vaultsync.import_digests(input, vault)`, the state folder left out;
- `summary.json`: that import's `Summary.to_json()`, paths relative to the case and the vault.
`tests/test_golden.py` checks all four; this script writes the last two from the first two.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from vaultsync import Summary, import_digests

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
STATE = ".vaultsync"


def import_case(case: Path, vault: Path) -> Summary:
    """The case's starting vault (if any) copied to `vault`, then its digests imported into it as a library
    caller does it."""
    if (case / "vault").is_dir():
        shutil.copytree(case / "vault", vault)
    return import_digests(case / "input", vault)


def summary_json(summary: Summary, case: Path, vault: Path) -> str:
    """The summary as JSON text, with the case's and the vault's folders left out of the paths in it."""
    text = json.dumps(summary.to_json(), indent=2, ensure_ascii=False) + "\n"
    return text.replace(f"{case}/", "").replace(f"{vault}/", "")


def regenerate_case(case: Path) -> None:
    expected = case / "expected"
    shutil.rmtree(expected, ignore_errors=True)
    summary = import_case(case, expected)
    shutil.rmtree(expected / STATE)
    (case / "summary.json").write_text(summary_json(summary, case, expected), encoding="utf-8")
    print(f"{case.relative_to(REPO)}: papers {dict(summary.papers)}, index notes {dict(summary.index_notes)}")


def regenerate_example() -> None:
    out = REPO / "examples" / "vault"
    shutil.rmtree(out, ignore_errors=True)
    summary = import_digests(REPO / "examples" / "digests", out)
    shutil.rmtree(out / STATE)
    print(f"{out.relative_to(REPO)}: {summary.papers['created']} papers, {summary.index_notes['created']} index notes")


if __name__ == "__main__":
    if sys.argv[1:]:
        for name in sys.argv[1:]:
            regenerate_case(GOLDEN / name)
    else:
        for folder in sorted(path for path in GOLDEN.iterdir() if path.is_dir()):
            regenerate_case(folder)
        regenerate_example()
