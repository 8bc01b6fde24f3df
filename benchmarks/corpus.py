"""Synthetic digest corpora of any size, made by scaling the real digests: the shared corpus when it is beside
the repository, else the sample in tests/data/digests.

Every entry of the real digests is reused with a fresh arXiv id and a varied title; sections keep their
real keywords; about one paper in twenty is listed again in a later digest (as real digests do), so
notes are updated as well as created. Digests hold 40 papers each, one per day.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "digests"
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "digests"
DIGESTS = SHARED if SHARED.is_dir() else SAMPLE  # the real digests the benchmarks are made from
PER_DIGEST = 40
_ENTRY = re.compile(r"^### .*?(?=^### |^## |\Z)", re.MULTILINE | re.DOTALL)
_SECTION = re.compile(r"^## (.*)$", re.MULTILINE)
_ID = re.compile(r"\d{4}\.\d{4,5}")
_TITLE = re.compile(r"^### Title: (.*?)\. \(arXiv:", re.MULTILINE)


def real_entries() -> list[tuple[str, str]]:
    """(keyword, entry text) of every entry in the real digests."""
    found = []
    for digest in sorted(DIGESTS.glob("*.md")):
        text = digest.read_text(encoding="utf-8")
        sections = list(_SECTION.finditer(text))
        for number, section in enumerate(sections):
            end = sections[number + 1].start() if number + 1 < len(sections) else len(text)
            for entry in _ENTRY.finditer(text, section.end(), end):
                if _ID.search(entry[0]) and _TITLE.search(entry[0]):
                    found.append((section[1].strip(), entry[0]))
    return found


def build(folder: Path, papers: int, *, first: int = 0, seed: int = 7, start: date = date(2020, 1, 1)) -> list[Path]:
    """Write digests listing `papers` distinct papers (numbered from `first`) into `folder`; the digest
    files, in order."""
    rng = random.Random(seed)
    entries = real_entries()
    folder.mkdir(parents=True, exist_ok=True)
    made: list[tuple[str, str]] = []  # (keyword, entry) of papers listed so far
    files = []
    day = start
    for batch in range(first, first + papers, PER_DIGEST):
        listing = []
        for number in range(batch, min(batch + PER_DIGEST, first + papers)):
            keyword, entry = entries[number % len(entries)]
            new_id = f"{20 + number // 99999 % 80:02d}{number // 8333 % 12 + 1:02d}.{number % 99999:05d}"
            title = _TITLE.search(entry)[1]  # type: ignore[index]
            entry = _ID.sub(new_id, entry).replace(title, f"{title} (variant {number // len(entries)})")
            listing.append((keyword, entry))
            made.append((keyword, entry))
        listing += [made[rng.randrange(len(made))] for _ in range(len(listing) // 20)]  # listed again
        by_keyword: dict[str, list[str]] = {}
        for keyword, entry in listing:
            by_keyword.setdefault(keyword, []).append(entry)
        path = folder / f"{day.isoformat()}.md"
        path.write_text("".join(f"## {k}\n" + "".join(e) for k, e in by_keyword.items()), encoding="utf-8")
        files.append(path)
        day += timedelta(days=1)
    return files
