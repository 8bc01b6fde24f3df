"""What vaultsync knows about a paper across all digests, and how a new listing merges into it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from .model import Entry, Section


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
        data = asdict(self)
        data["listings"] = [[item.day.isoformat(), item.keyword, item.tag] for item in self.listings]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PaperRecord:
        listings = tuple(Listing(date.fromisoformat(day), keyword, tag) for day, keyword, tag in data["listings"])
        return cls(**{**data, "categories": tuple(data["categories"]), "listings": listings})


def merge(record: PaperRecord | None, entry: Entry, day: date, section: Section) -> PaperRecord:
    """`record` with this listing added; title, abstract and links follow the highest version seen
    (on a tie, the listing being merged), whatever order the digests come in."""
    listing = Listing(day, section.keyword, section.tag)
    fresh = PaperRecord(
        arxiv_id=entry.arxiv_id,
        version=entry.version,
        title=entry.title,
        categories=(entry.category,) if entry.category else (),
        paper_url=entry.paper_url,
        code_url=entry.code_url,
        abstract=entry.abstract,
        listings=(listing,),
        extra=dict(entry.extra),
    )
    if record is None:
        return fresh
    newer, older = (fresh, record) if entry.version >= record.version else (record, fresh)
    return replace(
        newer,
        code_url=newer.code_url or older.code_url,
        categories=tuple(dict.fromkeys(newer.categories + older.categories)),
        listings=tuple(sorted(set(record.listings) | {listing})),
        extra={**older.extra, **newer.extra},
    )
