"""Which files in SRC are digests: the rule shared by `import` and `watch`.

A digest is a `*.md` or `*.txt` file (or what the settings' `digest_patterns` say); hidden files and
the temporary files of editors, downloaders and atomic writers are not (a half-written `x.md.part`
becomes a digest when it is renamed to `x.md`). Files in sub-folders count only when asked for
(`recursive`), and never inside hidden folders (`.git`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path, PurePath

from .reader import date_from_name

DIGEST_PATTERNS = ("*.md", "*.txt")
IGNORED_PATTERNS = (".*", "*~", "*.tmp", "*.part", "*.swp", ".#*")


def is_digest(relative: PurePath, recursive: bool = False, patterns: Sequence[str] = DIGEST_PATTERNS) -> bool:
    """Whether the file at `relative` (a path inside SRC) is a digest to import."""
    parts = relative.parts
    if not parts or (len(parts) > 1 and not recursive) or any(part.startswith(".") for part in parts[:-1]):
        return False
    name = parts[-1]
    return any(fnmatchcase(name, pattern) for pattern in patterns) and not any(
        fnmatchcase(name, pattern) for pattern in IGNORED_PATTERNS
    )


def digest_order(path: Path) -> tuple[date, str]:
    """Sort key: digests are imported oldest date first (undated last), then by name."""
    return date_from_name(path.name) or date.max, path.name


def find_digests(src: Path, recursive: bool = False, patterns: Sequence[str] = DIGEST_PATTERNS) -> list[Path]:
    """The digest files at `src` (a file, or the digests in a folder), in import order."""
    if src.is_file():
        return [src]
    candidates = _walk(src) if recursive else src.iterdir()
    found = [path for path in candidates if is_digest(path.relative_to(src), recursive, patterns) and path.is_file()]
    return sorted(found, key=digest_order)


def _walk(folder: Path) -> Iterator[Path]:
    """Every file under `folder`, hidden folders not entered."""
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        yield from (Path(root, name) for name in files)
