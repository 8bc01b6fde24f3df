"""A Logseq page written by vaultsync: a first block of properties, the managed blocks, the user's.

    title:: One-Step Diffusion Distillation via Deep Equilibrium Models
    arxiv-id:: 2401.08640
    …
    vaultsync:: 1a2b3c4d

    - [arXiv](https://arxiv.org/abs/2401.08640) · [PDF](…)      ← managed: the blocks vaultsync renders
    - ## Notes                                                  ← the user's, with everything after it

Logseq has no comment syntax, so the page's own properties carry what Obsidian notes keep in their
markers: `vaultsync::` is the checksum of the managed blocks as vaultsync wrote them (see
`managed_checksum`). The managed blocks run from the first block to the `- ## Notes` block, or to
the end of the page where there is none (digest pages). Values are read into and written from the
same plain metadata as Obsidian frontmatter (`arxiv_id`, `tags` as a list, dates as dates), so the
merge rules are the same; a property line is rewritten only when its value changes.

Lines are read as Logseq's parser, mldoc, reads them: a property has any key without `:` or spaces
(`état:: lu`, `评分:: 5`, also org-mode's `#+key: value`), so every property the user adds to the first
block stays in it. Logseq also
writes into the managed blocks itself: collapsing a block adds `collapsed:: true` under its first line,
referencing it `id:: <uuid>`, and so on (`UI_PROPERTIES`). Those lines are no edit: the checksum leaves
them out, and an update puts them back under the block they were on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from vaultsync.flavors.logseq.graph import format_date, parse_date
from vaultsync.flavors.obsidian.notefile import ObsidianNotes
from vaultsync.text.wikilinks import LOGSEQ

NOTES = "- ## Notes"
CHECKSUM_KEY = "vaultsync"
_SPACES = " \t\x0c\x1a"  # what mldoc counts as spaces
# A property line as mldoc reads one (checked against mldoc itself in tests/test_logseq.py): a key of anything
# but `:` and spaces, `::`, then a space and the value or nothing; or, org-mode style, `#+key:` and the value.
_PROPERTY = re.compile(
    rf"[{_SPACES}]*(?:(?P<key>[^:{_SPACES}\r\n]+)::(?: (?P<value>[^\r\n]*)|[{_SPACES}]*)"
    rf"|#\+(?P<org_key>[^:{_SPACES}\r\n]+):[{_SPACES}]*(?P<org_value>[^\r\n]*))"
)
_LINE = re.compile(r"[^\n]*\n|[^\n]+")  # lines end at `\n` (or `\r\n`) for mldoc; str.splitlines knows more
_BULLET = re.compile(r"[ \t]*-(?:[ \t\n]|$)")
# Block properties Logseq writes on UI actions (collapse, block reference, colour, heading, numbered list,
# …): the `hidden-built-in-properties` of its graph parser (logseq 0.10.15, graph_parser/property.cljs),
# keys lowercased with `_` as `-` as Logseq reads them.
UI_PROPERTIES = frozenset(
    {"id", "custom-id", "collapsed", "heading", "background-color", "created-at", "updated-at", "last-modified-at"}
    | {"query-table", "query-properties", "query-sort-by", "query-sort-desc"}
    | {"ls-type", "hl-type", "hl-page", "hl-stamp", "hl-color", "logseq.macro-name", "logseq.macro-arguments"}
    | {"logseq.order-list-type", "logseq.tldraw.page", "logseq.tldraw.shape", "todo", "doing", "now", "later", "done"}
)
# The stamp starts with a letter so that no reader takes it for a number (Logseq stores `00087701` as 87701,
# `1e234567` would be a float); pages written before have the bare checksum, still read.
STAMP_PREFIX = "v"
_CHECKSUM = re.compile(rf"{STAMP_PREFIX}?(?P<checksum>[0-9a-f]{{8}})")
# `arxiv-id::` in arXiv's own citation form: a bare `2201.00900` is a number to Logseq's DB importer, which
# drops its trailing zeros. Pages written before have the bare id, still read.
ID_PREFIX = "arXiv:"
REWRITTEN = ("arxiv_id",)  # keys whose older written form is rewritten, though it reads as the same value
LIST_KEYS = ("tags", "aliases", "categories", "digests")
DATE_KEYS = ("first_seen", "digest_date")
NUMBER_KEYS = ("arxiv_version", "paper_count")
BOOL_KEYS = ("read",)


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
        return self.checksum != managed_checksum(self.region)


def _property(line: str) -> tuple[str, str] | None:
    """(key, value) of a property line, the key as Logseq compares keys (lowercased, `_` as `-`); None for
    any other line."""
    if "::" not in line and "#+" not in line:  # in every property line: most lines are told without the pattern
        return None
    found = _PROPERTY.fullmatch(line.removesuffix("\n").removesuffix("\r"))
    if found is None:
        return None
    key, value = (found["key"], found["value"]) if found["key"] else (found["org_key"], found["org_value"])
    return key.lower().replace("_", "-"), value or ""


def _property_key(line: str) -> str | None:
    found = _property(line)
    return found and found[0]


def _is_ui_property(line: str) -> bool:
    return _property_key(line) in UI_PROPERTIES


def managed_checksum(managed: str) -> str:
    """The checksum of managed blocks, blind to the property lines Logseq writes on UI actions."""
    return ObsidianNotes.checksum("".join(line for line in _LINE.findall(managed) if not _is_ui_property(line)))


def _blocks(text: str) -> list[list[str]]:
    """The lines of `text` by block, each from its bullet line (children are blocks of their own); first the
    lines before any bullet, as a block without one."""
    blocks: list[list[str]] = [[]]
    for line in _LINE.findall(text):
        if _BULLET.match(line):
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return blocks


def with_ui_properties(managed: str, region: str) -> str:
    """`managed` (whole lines) with the UI property lines of `region` put back after the first line of the
    block that replaces the one they were on: the block with the same first line or, among blocks whose
    first lines changed, the one at the same place and depth. A key the block has already is left alone."""
    old = _blocks(region)
    kept = [[line if line.endswith("\n") else line + "\n" for line in block if _is_ui_property(line)] for block in old]
    if not any(kept):
        return managed
    new = _blocks(managed)
    firsts = [[""] + [block[0].rstrip("\r\n") for block in blocks[1:]] for blocks in (old, new)]
    places: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, *firsts, autojunk=False).get_opcodes():
        for i, j in zip(range(i1, i2), range(j1, j2), strict=False):
            if tag == "equal" or (tag == "replace" and _depth(firsts[0][i]) == _depth(firsts[1][j])):
                places[j] = i
    lines: list[str] = []
    for j, block in enumerate(new):
        have = set(map(_property_key, block))
        back = [line for line in kept[places[j]] if _property_key(line) not in have] if j in places else []
        lines += block[:1] + back + block[1:]
    return "".join(lines)


def _depth(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


class LogseqPages:
    """Reads and writes pages of a graph whose journal days are titled with `title_format`."""

    def __init__(self, title_format: str) -> None:
        self.title_format = title_format

    # --- values -----------------------------------------------------------------------------------

    def render_value(self, name: str, value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"  # as Logseq writes a checkbox property
        if isinstance(value, date):
            return LOGSEQ.build(format_date(value, self.title_format))
        if isinstance(value, list):  # an item with a comma is one page reference, not two
            return ", ".join(LOGSEQ.build(str(item)) if "," in str(item) else str(item) for item in value)
        if name == "arxiv_id":
            return ID_PREFIX + str(value)
        return str(value)

    def read_value(self, name: str, raw: str) -> Any:
        raw = raw.strip()
        if name in DATE_KEYS:
            return parse_date(LOGSEQ.target(raw), self.title_format) or raw
        if name == "digests":
            return [LOGSEQ.build(link["target"]) for link in LOGSEQ.finditer(raw)]
        if name == "authors":  # names, or `[[page]]` links with `author_links`: kept as written
            return [item.strip() for item in raw.split(",") if item.strip()]
        if name in LIST_KEYS:
            items = (LOGSEQ.target(item.strip().removeprefix("#")) for item in LOGSEQ.items(raw))
            return [item.strip() for item in items if item.strip()]
        if name in NUMBER_KEYS and raw.isdigit():
            return int(raw)
        if name == "arxiv_id" and raw[: len(ID_PREFIX)].casefold() == ID_PREFIX.casefold():
            return raw[len(ID_PREFIX) :].strip()
        if name in BOOL_KEYS and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        return raw

    def properties(self, head: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for line in head:
            found = _property(line)
            if found and _name(found[0]) not in values:
                values[_name(found[0])] = self.read_value(_name(found[0]), found[1])
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
        head = self.lines({**metadata, CHECKSUM_KEY: STAMP_PREFIX + managed_checksum(managed)})
        return "".join(head) + "\n" + (managed + "\n" if managed else "") + tail

    def split(self, text: str) -> PageParts | None:
        """The parts of a page written by vaultsync, or None if it has no property block."""
        lines = _LINE.findall(text)
        count = 0
        while count < len(lines) and _property(lines[count]):
            count += 1
        if not count:
            return None
        start = count
        while start < len(lines) and not lines[start].strip():
            start += 1
        end = next((i for i in range(start, len(lines)) if lines[i].rstrip() == NOTES), len(lines))
        metadata = self.properties(lines[:count])
        mark = _CHECKSUM.fullmatch(str(metadata.pop(CHECKSUM_KEY, "")))
        return PageParts(
            metadata=metadata,
            head=lines[:count],
            before="".join(lines[count:start]),
            region="".join(lines[start:end]),
            checksum=mark["checksum"] if mark else None,
            after="".join(lines[end:]),
        )

    def update(
        self, parts: PageParts, values: dict[str, Any], managed: str | None, generated: str | None = None
    ) -> str:
        """The page with `values` set in its properties and its managed blocks replaced by `managed`
        (None: kept), with the UI properties Logseq wrote into them; the checksum is of `generated` when
        that is what vaultsync rendered."""
        if managed is not None:
            stamp = managed_checksum(managed if generated is None else generated)
            values = {**values, CHECKSUM_KEY: STAMP_PREFIX + stamp}
        head = list(parts.head)
        for name, value in values.items():
            at = next((i for i, line in enumerate(head) if self._is_key(line, name)), None)
            current = self.properties([head[at]]).get(name) if at is not None else None
            if at is not None and value is None:
                del head[at]
            elif at is not None and (current != value or name in REWRITTEN and self._outdated(head[at], value)):
                line = self.lines({name: value})[0]
                head[at] = line if head[at].endswith("\n") else line[:-1]
            elif at is None and value is not None:
                if head and not head[-1].endswith("\n"):
                    head[-1] += "\n"
                head.extend(self.lines({name: value}))
        body = parts.region if managed is None else with_ui_properties(managed.strip("\n") + "\n", parts.region)
        before = parts.before or "\n"
        return "".join(head) + before + body + parts.after

    def _outdated(self, line: str, value: Any) -> bool:
        """Whether a property line of a key in REWRITTEN holds `value` in an older form (a bare arXiv id)."""
        found = _property(line)
        return found is not None and found[1].strip() != self.render_value(_name(found[0]), value)

    @staticmethod
    def _is_key(line: str, name: str) -> bool:
        key = _property_key(line)
        return key is not None and _name(key) == name

    checksum = staticmethod(managed_checksum)

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
    link = LOGSEQ.build(page)
    if journal is not None and link.casefold() in journal.casefold():
        return None
    block = f"- arXiv digest: {link} ({paper_count} papers)\n"
    if not journal or not journal.strip() or journal.strip() == "-":
        return block  # a new journal page, or the empty one Logseq creates for today
    return journal + ("" if journal.endswith("\n") else "\n") + block
