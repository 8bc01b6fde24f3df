"""What vaultsync knows about a paper across all digests, and how a new listing merges into it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from vaultsync.model import Digest, Entry, Section
from vaultsync.text import names, tex
from vaultsync.text.wikilinks import OBSIDIAN


@dataclass(frozen=True, order=True)
class Listing:
    """One day's digest listed the paper under one section."""

    day: date
    keyword: str
    tag: str


@dataclass(frozen=True)
class PaperRecord:
    """The merged facts behind a paper note: the latest version's text, every day it was listed."""

    arxiv_id: str
    version: int
    title: str
    categories: tuple[str, ...]
    paper_url: str
    code_url: str | None
    abstract: str
    listings: tuple[Listing, ...]
    extra: dict[str, str] = field(default_factory=dict)
    authors: tuple[str, ...] = ()  # the highest version's (digests before `vaultsync fetch` have none)
    complete: bool = True  # False when rebuilt from a note's frontmatter: abstract and keywords unknown
    raw_title: str = ""  # the title as the digest wrote it (TeX escapes and all); "" where it is `title`
    former_titles: tuple[str, ...] = ()  # titles of lower versions that a later version changed, oldest first

    @property
    def first_seen(self) -> date:
        return self.listings[0].day

    @property
    def days(self) -> list[date]:
        return sorted({listing.day for listing in self.listings})

    @property
    def tags(self) -> list[str]:
        """Section tags in the order they were first listed under, without repeats."""
        return list(dict.fromkeys(listing.tag for listing in self.listings if listing.tag))

    @property
    def pdf_url(self) -> str:
        if "/abs/" in self.paper_url:
            return self.paper_url.replace("/abs/", "/pdf/", 1)
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    def to_json(self) -> dict[str, Any]:
        data = {item.name: getattr(self, item.name) for item in fields(self)}
        data["categories"] = list(self.categories)
        data["former_titles"] = list(self.former_titles)
        data["extra"] = dict(self.extra)
        if self.authors:
            data["authors"] = list(self.authors)
        else:  # a record of digests without authors stays as it was, and so do its note's inputs
            del data["authors"]
        data["listings"] = [[item.day.isoformat(), item.keyword, item.tag] for item in self.listings]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PaperRecord:
        listings = tuple(Listing(date.fromisoformat(day), keyword, tag) for day, keyword, tag in data["listings"])
        if "raw_title" not in data:  # stored before titles were decoded: the title is the digest's text
            data = {**data, "title": tex.decode(data["title"]), "raw_title": _raw(data["title"])}
        return cls(
            **{
                **data,
                "categories": tuple(data["categories"]),
                "listings": listings,
                "authors": tuple(data.get("authors", ())),
                "former_titles": tuple(data.get("former_titles", ())),
            }
        )


def _raw(title: str) -> str:
    """What `raw_title` holds for a digest's `title`: the text where decoding changes it, else ""."""
    return title if tex.decode(title) != title else ""


def merge(record: PaperRecord | None, entry: Entry, day: date, section: Section) -> PaperRecord:
    """`record` with this listing added; title, abstract and links follow the highest version seen
    (on a tie, the listing being merged), whatever order the digests come in."""
    listing = Listing(day, section.keyword, section.tag)
    fresh = PaperRecord(
        arxiv_id=entry.arxiv_id,
        version=entry.version,
        title=entry.title,
        categories=tuple(dict.fromkeys(filter(None, (entry.category, *entry.categories)))),
        paper_url=entry.paper_url,
        code_url=entry.code_url,
        abstract=entry.abstract,
        listings=(listing,),
        extra=dict(entry.extra),
        authors=entry.authors,
        raw_title=entry.raw_title if entry.raw_title != entry.title else "",
    )
    if record is None:
        return fresh
    newer, older = (fresh, record) if entry.version >= record.version else (record, fresh)
    listings = set(record.listings) | {listing}
    known_days = {item.day for item in listings if item.keyword}
    retitled = [older.title] if older.version < newer.version and older.title != newer.title else []
    former = dict.fromkeys([*older.former_titles, *newer.former_titles, *retitled])
    return replace(
        newer,
        former_titles=tuple(title for title in former if title != newer.title),
        code_url=newer.code_url or older.code_url,
        categories=tuple(dict.fromkeys(newer.categories + older.categories)),
        listings=tuple(sorted(item for item in listings if item.keyword or item.day not in known_days)),
        extra={**older.extra, **newer.extra},
        authors=newer.authors or older.authors,
    )


def from_frontmatter(metadata: dict[str, Any], days: list[date]) -> PaperRecord:
    """What a paper note's frontmatter tells of its record, to rebuild a lost state store: the days it
    was listed (`days`, read from its `digests` links) without their keywords, and no abstract.

    Raises KeyError, TypeError or ValueError when a contract key is missing or malformed.
    """
    first_seen = metadata["first_seen"]
    if not isinstance(first_seen, date):
        raise ValueError("first_seen is not a date")
    # Logseq's page name may not be the title: the digest's text, or a later version's title, says it
    raw = str(metadata.get("original_title") or metadata.get("latest_title") or metadata["title"])
    return PaperRecord(
        arxiv_id=str(metadata["arxiv_id"]),
        version=int(metadata["arxiv_version"]),
        title=tex.decode(raw),
        raw_title=_raw(raw),
        categories=tuple(map(str, metadata.get("categories") or ())),
        paper_url=str(metadata["paper_url"]),
        code_url=metadata.get("code_url") or None,
        abstract="",
        listings=tuple(Listing(day, "", "") for day in sorted({first_seen, *days})),
        authors=tuple(_unlinked(str(name)) for name in metadata.get("authors") or ()),
        complete=False,
    )


def _unlinked(name: str) -> str:
    """An author's name from a frontmatter value, written as a link (`[[Ada Lovelace]]`,
    `[[Ada Lovelace|Ada Lovelace]]`) or not."""
    link = OBSIDIAN.parse(name)
    if link is None:
        return name
    return link["label"] if link["label"] is not None else name[2:-2]


def retag(digest: Digest, prefix: str, renames: Sequence[tuple[str, str]]) -> Digest:
    """`digest` with its sections' tags renamed (`renames`: old tag → new tag) and prefixed."""
    if not prefix and not renames:
        return digest
    mapping = dict(renames)
    sections = tuple(
        replace(section, tag=names.tag(prefix + mapping.get(section.tag, section.tag))) if section.tag else section
        for section in digest.sections
    )
    return replace(digest, sections=sections)
