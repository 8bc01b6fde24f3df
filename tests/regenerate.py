"""Regenerate the golden vaults and examples/vault after an intended change of output; review the diff.

python tests/regenerate.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

from vaultsync import import_digests

REPO = Path(__file__).resolve().parents[1]


def regenerate(src: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    summary = import_digests(src, out)
    shutil.rmtree(out / ".vaultsync")
    print(f"{out.relative_to(REPO)}: {summary.papers['created']} papers, {summary.index_notes['created']} index notes")


if __name__ == "__main__":
    for case in sorted((REPO / "tests" / "golden").iterdir()):
        regenerate(case / "input", case / "expected")
    regenerate(REPO / "examples" / "digests", REPO / "examples" / "vault")
