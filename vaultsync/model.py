"""Plain data read from digests: what a digest says, before it meets a vault."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """Something wrong in an input, located well enough for the user to find it."""

    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Entry:
    """One paper as one digest lists it."""

    arxiv_id: str
    version: int
    title: str
    category: str
    updated: bool
    paper_url: str
    code_url: str | None
    abstract: str  # Markdown, converted from the digest's HTML
    line: int
    extra: dict[str, str] = field(default_factory=dict)
    authors: tuple[str, ...] = ()  # from `* Authors: A, B, C`; digests older than `vaultsync fetch` have none
    categories: tuple[str, ...] = ()  # every category, from `* Categories: cs.CV, cs.LG` (`vaultsync fetch`)
    raw_title: str = ""  # the title as the digest wrote it (TeX and all), where `title` decodes it


@dataclass(frozen=True)
class Section:
    """A `## keyword` heading and the papers under it."""

    keyword: str
    tag: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Digest:
    """A parsed digest file; `problems` are warnings about entries that were skipped or odd."""

    source: str
    sections: tuple[Section, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def entries(self) -> list[Entry]:
        return [entry for section in self.sections for entry in section.entries]


class NotADigestError(ValueError):
    """The input is not an arXiv-daily digest (binary, not UTF-8, or no digest structure)."""
