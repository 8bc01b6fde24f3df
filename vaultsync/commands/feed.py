"""arXiv's RSS feed (rss.arxiv.org) as an arXiv-daily digest: the functional core of `vaultsync fetch`.

Feed bytes → `Announcement` (the day and its papers, parsed with feedparser) → digest text in the format
the arXiv-daily generator wrote and `reader` reads: `## keyword` sections in the configured order, entries
`### Title: <title>. (arXiv:<id>v<n> [<category>])` (` UPDATED` for replacements) with `* Paper URL`,
`* Code URL`, `* Copy Paste`, `* Summary`, `* Authors` and `* Categories` (all of them, when more than the
heading's). No network and no files here (see `fetch`).

The feed follows arXiv's RSS specification (info.arxiv.org/help/rss_specifications.html): the channel's
`pubDate` is the announcement day; each `<item>` has `title`, `link`, `description` (`arXiv:<id>v<n>
Announce Type: <type> \\nAbstract: …`), `category` elements (the primary one first), `arxiv:announce_type`
(new, cross, replace, replace-cross) and `dc:creator` ("A, B and C").
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime

import feedparser

DEFAULT_FEED_URL = "https://rss.arxiv.org/rss/"
NEW_TYPES = ("new", "cross")
UPDATED_TYPES = ("replace", "replace-cross")

_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+?)v(?P<version>\d+)\s+Announce Type:\s*(?P<type>\S+)\s*(?:Abstract:\s*)?(?P<abstract>.*)\Z",
    re.DOTALL,
)
_CODE_URL = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co|bitbucket\.org)/[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}'\""
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


class FeedError(ValueError):
    """The bytes are not an arXiv RSS feed vaultsync can read; the message says why."""


@dataclass(frozen=True)
class Paper:
    """One `<item>` of the feed."""

    arxiv_id: str
    version: int
    title: str
    abstract: str  # plain text, entities decoded
    link: str
    categories: tuple[str, ...]  # the primary category first
    authors: tuple[str, ...]
    announce_type: str


@dataclass(frozen=True)
class Announcement:
    """A feed: the day arXiv announced it, and its papers in feed order."""

    day: date
    papers: tuple[Paper, ...]


def feed_url(base: str, categories: Sequence[str]) -> str:
    """The URL of one feed for all `categories`, joined with `+` as arXiv documents."""
    return base if not categories else base.rstrip("/") + "/" + "+".join(categories)


def split_authors(creator: str) -> tuple[str, ...]:
    """`dc:creator`'s "A, B and C" (or "A, B, and C") as names."""
    return tuple(name for name in (part.strip() for part in _AUTHOR_SEPARATOR.split(_one_line(creator))) if name)


def code_url(abstract: str) -> str | None:
    """The first github.com / gitlab.com / huggingface.co / bitbucket.org URL in the abstract, without the
    punctuation that ends its sentence; None if there is none."""
    found = _CODE_URL.search(abstract)
    if found is None:
        return None
    url = found[0].rstrip(_TRAILING)
    return url if url.rstrip("/").count("/") >= 3 else None  # a repository, not the site alone


def parse_feed(data: bytes) -> Announcement:
    """The announcement in an RSS feed's bytes. Raises FeedError for anything that is not a well-formed
    RSS feed with an announcement date (an item without an arXiv id is skipped, not an error)."""
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        raise FeedError(f"not a well-formed feed ({parsed.get('bozo_exception')})")
    if not str(parsed.get("version", "")).startswith("rss"):
        raise FeedError("not an RSS feed")
    stamps = [parsed.feed.get("published")] + [entry.get("published") for entry in parsed.entries]
    day = next((found for stamp in stamps if stamp and (found := _day(stamp))), None)
    if day is None:
        raise FeedError("no announcement date (the channel's pubDate is missing or not a date)")
    papers = tuple(paper for entry in parsed.entries if (paper := _paper(entry)) is not None)
    return Announcement(day, papers)


def _day(stamp: str) -> date | None:
    """The calendar day of an RFC 822 date as written (arXiv's are midnight US Eastern)."""
    try:
        return parsedate_to_datetime(stamp).date()
    except (TypeError, ValueError, IndexError):
        return None


def _paper(entry: feedparser.FeedParserDict) -> Paper | None:
    found = _DESCRIPTION.match(entry.get("summary", ""))
    if found is None:
        return None
    categories = tuple(tag["term"].strip() for tag in entry.get("tags", []) if tag.get("term", "").strip())
    return Paper(
        arxiv_id=found["id"],
        version=int(found["version"]),
        title=_one_line(entry.get("title", "")),
        abstract=_one_line(found["abstract"]),
        link=entry.get("link") or f"https://arxiv.org/abs/{found['id']}",
        categories=categories,
        authors=split_authors(entry.get("author", "")),
        announce_type=str(entry.get("arxiv_announce_type") or found["type"]).strip().lower(),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _keyword(paper: Paper, keywords: Sequence[str]) -> str | None:
    """The arXiv-daily generator's rule: the first keyword in the lower-cased title, else in the abstract."""
    for text in (paper.title.lower(), paper.abstract.lower()):
        for keyword in keywords:
            if keyword.lower() in text:
                return keyword
    return None


def sections(
    announcement: Announcement, keywords: Sequence[str], categories: Sequence[str] = (), updated: bool = False
) -> list[tuple[str, list[Paper]]]:
    """The digest's sections: with `keywords`, one per keyword in their order (papers matching none are
    left out); without, one per primary category (`categories` first, in their order). New and cross-listed
    papers only, and replacements too when `updated`; each paper once."""
    types = NEW_TYPES + (UPDATED_TYPES if updated else ())
    seen: set[str] = set()
    chosen: list[tuple[str, Paper]] = []
    for paper in announcement.papers:
        if paper.announce_type not in types or paper.arxiv_id in seen:
            continue
        heading = _keyword(paper, keywords) if keywords else (paper.categories[:1] or ("uncategorized",))[0]
        if heading is not None:
            seen.add(paper.arxiv_id)
            chosen.append((heading, paper))
    if keywords:
        order = list(keywords)
    else:
        found = {heading for heading, _ in chosen}
        order = [item for item in categories if item in found] + sorted(found - set(categories))
    return [(heading, [paper for key, paper in chosen if key == heading]) for heading in order]


def digest_text(grouped: Sequence[tuple[str, Sequence[Paper]]]) -> str:
    """The digest in the arXiv-daily format, with `* Authors:` and `* Categories:` lines; the same input gives
    the same bytes."""
    out: list[str] = []
    for heading, papers in grouped:
        out.append(f"## {heading}\n")
        out.extend(_entry(paper, heading) for paper in papers)
    return "".join(out)


def _entry(paper: Paper, heading: str) -> str:
    category = paper.categories[0] if paper.categories else "unknown"
    updated = " UPDATED" if paper.announce_type in UPDATED_TYPES else ""
    code = code_url(paper.abstract)
    lines = [
        f"### Title: {paper.title}. (arXiv:{paper.arxiv_id}v{paper.version} [{category}]{updated})",
        f"* Paper URL: [{paper.link}]({paper.link})",
        f"* Code URL: [{code}]({code})" if code else "* Code URL: null",
        # As the generator wrote it: the title up to its first dot.
        f'* Copy Paste: `<input type="checkbox">[[{paper.arxiv_id}] {paper.title.split(".")[0]}]({paper.link})'
        f" #{heading}`",
        f"* Summary: <p>{html.escape(paper.abstract, quote=False)}</p>",
    ]
    if paper.authors:
        lines.append(f"* Authors: {', '.join(paper.authors)}")
    if len(paper.categories) > 1:
        lines.append(f"* Categories: {', '.join(paper.categories)}")
    return "\n".join(lines) + "\n\n"
