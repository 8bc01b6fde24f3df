"""A Logseq page written by vaultsync: a first block of properties, the managed blocks, the user's.

    title:: One-Step Diffusion Distillation via Deep Equilibrium Models
    arxiv-id:: 2401.08640
    …
    vaultsync:: 1a2b3c4d

    - [arXiv](https://arxiv.org/abs/2401.08640) · [PDF](…)      ← managed: the blocks vaultsync renders
    - ## Notes                                                  ← the user's, with everything after it

Logseq has no comment syntax, so the page's own properties carry what Obsidian notes keep in their
markers: `vaultsync::` is the checksum of the managed blocks as vaultsync wrote them (see
`notefile.checksum`). The managed blocks run from the first block to the `- ## Notes` block, or to
the end of the page where there is none (digest pages). Values are read into and written from the
same plain metadata as Obsidian frontmatter (`arxiv_id`, `tags` as a list, dates as dates), so the
merge rules are the same; a property line is rewritten only when its value changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .logseq_graph import format_date, parse_date
from .notefile import checksum

NOTES = "- ## Notes"
CHECKSUM_KEY = "vaultsync"
_PROPERTY = re.compile(r"([A-Za-z0-9_][\w.-]*):: ?(.*)")
_CHECKSUM = re.compile(r"[0-9a-f]{8}")
_REF = re.compile(r"\[\[([^\]]+)\]\]")
LIST_KEYS = ("tags", "aliases", "categories", "digests")
DATE_KEYS = ("first_seen", "digest_date")
NUMBER_KEYS = ("arxiv_version", "paper_count")


def _key(name: str) -> str:
    """The Logseq property key of a metadata key."""
    return "alias" if name == "aliases" else name.replace("_", "-")


def _name(key: str) -> str:
    """The metadata key of a Logseq property key."""
    return "aliases" if key == "alias" else key.replace("-", "_")


@dataclass(frozen=True)
class PageParts:
    """An existing page cut at its properties and its managed blocks; joined again they give the text."""

    metadata: dict[str, Any]
    head: list[str]  # the property lines, with their line ends
    before: str  # blank lines between the properties and the first block
    region: str
    checksum: str | None
    after: str

    @property
    def managed(self) -> str:
        return self.region

    @property
    def edited(self) -> bool:
        return self.checksum != checksum(self.region)


class LogseqPages:
    """Reads and writes pages of a graph whose journal days are titled with `title_format`."""

    def __init__(self, title_format: str) -> None:
        self.title_format = title_format

    # --- values -----------------------------------------------------------------------------------

    def render_value(self, name: str, value: Any) -> str:
        if isinstance(value, date):
            return f"[[{format_date(value, self.title_format)}]]"
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return str(value)

    def read_value(self, name: str, raw: str) -> Any:
        raw = raw.strip()
        if name in DATE_KEYS:
            ref = _REF.fullmatch(raw)
            return parse_date(ref[1] if ref else raw, self.title_format) or raw
        if name == "digests":
            return [f"[[{page}]]" for page in _REF.findall(raw)]
        if name in LIST_KEYS:
            items = (item.strip().removeprefix("#").removeprefix("[[").removesuffix("]]") for item in raw.split(","))
            return [item.strip() for item in items if item.strip()]
        if name in NUMBER_KEYS and raw.isdigit():
            return int(raw)
        return raw

    def properties(self, head: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for line in head:
            found = _PROPERTY.fullmatch(line.rstrip("\n"))
            name = found and _name(found[1].lower())
            if found and name and name not in values:
                values[name] = self.read_value(name, found[2])
        values.setdefault("code_url", None)
        return values

    def lines(self, metadata: dict[str, Any]) -> list[str]:
        return [
            f"{_key(name)}:: {self.render_value(name, value)}\n"
            for name, value in metadata.items()
            if value is not None
        ]

    # --- pages ------------------------------------------------------------------------------------

    def compose(self, metadata: dict[str, Any], managed: str, tail: str = "") -> str:
        """A whole new page."""
        managed = managed.strip("\n")
        head = self.lines({**metadata, CHECKSUM_KEY: checksum(managed)})
        return "".join(head) + "\n" + (managed + "\n" if managed else "") + tail

    def split(self, text: str) -> PageParts | None:
        """The parts of a page written by vaultsync, or None if it has no property block."""
        lines = text.splitlines(keepends=True)
        count = 0
        while count < len(lines) and _PROPERTY.fullmatch(lines[count].rstrip("\n")):
            count += 1
        if not count:
            return None
        start = count
        while start < len(lines) and not lines[start].strip():
            start += 1
        end = next((i for i in range(start, len(lines)) if lines[i].rstrip() == NOTES), len(lines))
        metadata = self.properties(lines[:count])
        mark = str(metadata.pop(CHECKSUM_KEY, ""))
        return PageParts(
            metadata=metadata,
            head=lines[:count],
            before="".join(lines[count:start]),
            region="".join(lines[start:end]),
            checksum=mark if _CHECKSUM.fullmatch(mark) else None,
            after="".join(lines[end:]),
        )

    def update(
        self, parts: PageParts, values: dict[str, Any], managed: str | None, generated: str | None = None
    ) -> str:
        """The page with `values` set in its properties and its managed blocks replaced by `managed`
        (None: kept); the checksum is of `generated` when that is what vaultsync rendered."""
        if managed is not None:
            values = {**values, CHECKSUM_KEY: checksum(managed if generated is None else generated)}
        head = list(parts.head)
        for name, value in values.items():
            at = next((i for i, line in enumerate(head) if self._is_key(line, name)), None)
            current = self.properties([head[at]]).get(name) if at is not None else None
            if at is not None and value is None:
                del head[at]
            elif at is not None and current != value:
                line = self.lines({name: value})[0]
                head[at] = line if head[at].endswith("\n") else line[:-1]
            elif at is None and value is not None:
                if head and not head[-1].endswith("\n"):
                    head[-1] += "\n"
                head.extend(self.lines({name: value}))
        body = parts.region if managed is None else managed.strip("\n") + "\n"
        before = parts.before or "\n"
        return "".join(head) + before + body + parts.after

    @staticmethod
    def _is_key(line: str, name: str) -> bool:
        found = _PROPERTY.fullmatch(line.rstrip("\n"))
        return found is not None and _name(found[1].lower()) == name

    def identify(self, text: str) -> tuple[str, str, dict[str, Any]] | None:
        """(kind, identity, metadata) of a page written by vaultsync, by its properties alone."""
        parts = self.split(text)
        if parts is None:
            return None
        metadata = parts.metadata
        if metadata.get("arxiv_id"):
            return "paper", str(metadata["arxiv_id"]), metadata
        if isinstance(metadata.get("digest_date"), date):
            return "digest", metadata["digest_date"].isoformat(), metadata
        return None


def with_digest_block(journal: str | None, page: str, paper_count: int) -> str | None:
    """The journal page with a block referencing the digest page `page` added at its end, or None if
    it references that page already. The rest of the journal is kept as it is."""
    if journal is not None and f"[[{page}]]".casefold() in journal.casefold():
        return None
    block = f"- arXiv digest: [[{page}]] ({paper_count} papers)\n"
    if not journal or not journal.strip() or journal.strip() == "-":
        return block  # a new journal page, or the empty one Logseq creates for today
    return journal + ("" if journal.endswith("\n") else "\n") + block
