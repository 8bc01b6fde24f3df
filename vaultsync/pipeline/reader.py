"""Reading arXiv-daily digests into plain data.

mistune scans the file with a small block grammar of the digest's own shapes (section heading, entry
heading, `* Field: value` with its continuation lines), so an abstract line that happens to look like
Markdown (`- especially`, `1) first`) stays inside its field, and every token knows its line.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import mistune

from vaultsync.model import Digest, Entry, NotADigestError, Problem, Section
from vaultsync.text import names, tex
from vaultsync.text.markup import html_to_markdown

_FIELD_START = r"[*-][ \t]+[A-Za-z][A-Za-z0-9 _-]*?[ \t]*:"
_GRAMMAR = {
    "digest_section": r"^##[ \t]+(?P<section_text>[^\n]*)\n?",
    "digest_heading": r"^###[ \t]+(?P<heading_text>[^\n]*)\n?",
    "digest_field": (
        r"^[*-][ \t]+(?P<field_name>[A-Za-z][A-Za-z0-9 _-]*?)[ \t]*:[ \t]?"
        r"(?P<field_value>[^\n]*(?:\n(?!" + _FIELD_START + r"|#{1,6}[ \t]|[ \t]*$)[^\n]*)*)\n?"
    ),
    "blank_line": r"(^[ \t\v\f]*\n)+",
    "digest_stray": r"^[^\n]+\n?",
}

_TITLE = re.compile(
    r"^Title:[ \t]*(?P<title>.*?)\.?[ \t]+\(arXiv:(?P<id>\S+?)v(?P<version>\d+)[ \t]+"
    r"\[(?P<category>[^\]]*)\](?P<updated>[ \t]+UPDATED)?\)[ \t]*$"
)
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})([-_]?)(\d{2})\2(\d{2})(?!\d)")
_KNOWN_FIELDS = {"paper url", "code url", "copy paste", "summary", "authors", "categories"}


def _token(kind: str, **values: Any):  # noqa: ANN202 - mistune's rule signature
    def rule(block: mistune.BlockParser, m: re.Match[str], state: mistune.BlockState) -> int:
        # Keys are never "text": mistune would parse that as inline Markdown.
        token = {"type": kind, "line": _line_of(state, m.start())}
        state.append_token(token | {key: m.group(group) for key, group in values.items()})
        return m.end()

    return rule


def _line_of(state: mistune.BlockState, pos: int) -> int:
    """1-based line of `pos`; tokens come in order, so counting goes on from the last one."""
    last_pos, last_line = state.env.get("line_cursor", (0, 1))
    line = last_line + state.src.count("\n", last_pos, pos)
    state.env["line_cursor"] = (pos, line)
    return line


def _digest_grammar(md: mistune.Markdown) -> None:
    """mistune plugin: only the digest's shapes, and a catch-all so no line is ever skipped silently."""
    rules = {
        "digest_section": _token("section", raw="section_text"),
        "digest_heading": _token("heading", raw="heading_text"),
        "digest_field": _token("field", name="field_name", value="field_value"),
        "digest_stray": _token("stray", raw=0),
    }
    for name, func in rules.items():
        md.block.register(name, _GRAMMAR[name], func)
    md.block.register("blank_line", _GRAMMAR["blank_line"], lambda block, m, state: m.end())
    md.block.rules = list(_GRAMMAR)


_SCANNER = mistune.Markdown(renderer=None, plugins=[_digest_grammar])
_INLINE = mistune.create_markdown(renderer=None)
# `[label](url)` of characters that mistune neither unescapes, decodes nor percent-encodes: its URL as mistune reads it.
_PLAIN_LINK = re.compile(r"\[[A-Za-z0-9.~:/?#@$+,;=%-]*\]\((https?://[A-Za-z0-9_.~:/?#@!$+,;=%-]*)\)")


def date_from_name(name: str) -> date | None:
    """The first valid `YYYY-MM-DD`, `YYYY_MM_DD` or `YYYYMMDD` date in a file name."""
    for m in _DATE_IN_NAME.finditer(name):
        try:
            return date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        except ValueError:
            continue
    return None


def decode(data: bytes, source: str) -> str:
    """Digest text from file bytes; binary or non-UTF-8 input is not a digest."""
    if b"\x00" in data:
        raise NotADigestError(f"{source}: binary file (NUL bytes), not a digest")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotADigestError(f"{source}: not UTF-8 text (byte {error.start}), not a digest") from None


MAX_ENTRIES = 10_000  # the largest real digest holds 122; more is a generator gone wrong, or an attack
_ENTRY_LINE = re.compile(r"^###[ \t]", re.MULTILINE)


def parse_digest(text: str, source: str = "<digest>") -> Digest:
    """Sections and entries of a digest, with a warning (file:line) for each entry that could not be read.

    Raises NotADigestError for text that is not a digest, or holds more than MAX_ENTRIES entries.
    """
    entries = sum(1 for _ in _ENTRY_LINE.finditer(text))
    if entries > MAX_ENTRIES:
        raise NotADigestError(
            f"{source}: {entries} entries, more than a daily digest holds ({MAX_ENTRIES}) — split it to import it"
        )
    tokens, _ = _SCANNER.parse(text)
    if not any(token["type"] in ("section", "heading") for token in tokens):
        raise NotADigestError(f"{source}: no '## keyword' sections or '### Title:' entries, not a digest")
    return _Builder(source).build(tokens)


def split_authors(value: str) -> tuple[str, ...]:
    """The names of an `* Authors: A, B, C` field (`vaultsync fetch` writes it; older digests have none)."""
    return tuple(name for name in (" ".join(part.split()) for part in value.split(",")) if name)


class _Builder:
    """Folds the token stream into sections and entries."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.sections: list[Section] = []
        self.keyword: str | None = None
        self.entries: list[Entry] = []
        self.heading: dict[str, Any] | None = None
        self.fields: dict[str, tuple[str, str, int]] = {}

    def warn(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.source, line, message))

    def build(self, tokens: list[dict[str, Any]]) -> Digest:
        for token in tokens:
            kind = token["type"]
            if kind == "section":
                self.close_entry()
                self.close_section()
                self.keyword = token["raw"].strip().rstrip("#").strip()
            elif kind == "heading":
                self.close_entry()
                self.heading = token
            elif kind == "field":
                self.add_field(token)
            elif kind == "stray":
                self.warn(token["line"], f"unexpected line, ignored: {token['raw'].strip()[:60]!r}")
        self.close_entry()
        self.close_section()
        return Digest(self.source, tuple(self.sections), tuple(self.problems))

    def add_field(self, token: dict[str, Any]) -> None:
        name = token["name"].strip()
        if self.heading is None:
            self.warn(token["line"], f"'{name}' line outside a paper entry, ignored")
        elif name.lower() in self.fields:
            self.warn(token["line"], f"second '{name}' line in one entry, ignored")
        else:
            self.fields[name.lower()] = (name, token["value"], token["line"])

    def close_section(self) -> None:
        if self.keyword is not None or self.entries:
            keyword = self.keyword or ""
            self.sections.append(Section(keyword, names.tag(keyword), tuple(self.entries)))
        self.keyword, self.entries = None, []

    def close_entry(self) -> None:
        heading, fields = self.heading, self.fields
        self.heading, self.fields = None, {}
        if heading is None:
            return
        entry = self.entry(heading, fields)
        if entry is not None:
            self.entries.append(entry)

    def entry(self, heading: dict[str, Any], fields: dict[str, tuple[str, str, int]]) -> Entry | None:
        line = heading["line"]
        m = _TITLE.match(heading["raw"].strip())
        if not m:
            self.warn(line, "heading is not '### Title: <title>. (arXiv:<id>v<n> [<category>])', entry skipped")
            return None
        paper_url = self.url(fields.get("paper url")) or f"https://arxiv.org/abs/{m['id']}"
        code_url = self.url(fields.get("code url"))
        summary = fields.get("summary")
        authors, categories = fields.get("authors"), fields.get("categories")
        extra = {name: value.strip() for key, (name, value, _) in fields.items() if key not in _KNOWN_FIELDS}
        return Entry(
            arxiv_id=m["id"],
            version=int(m["version"]),
            title=tex.decode(m["title"]),
            category=m["category"].strip(),
            updated=bool(m["updated"]),
            paper_url=paper_url,
            code_url=code_url,
            abstract=html_to_markdown(summary[1]) if summary else "",
            line=line,
            extra=extra,
            authors=split_authors(authors[1]) if authors else (),
            categories=tuple(item for item in categories[1].replace(",", " ").split()) if categories else (),
            raw_title=m["title"],
        )

    def url(self, field: tuple[str, str, int] | None) -> str | None:
        """The URL of a `[text](url)` or bare-URL field value; `null` or empty means none."""
        if field is None:
            return None
        name, value, line = field
        value = value.strip()
        if value.lower() in ("", "null", "none"):
            return None
        if plain := _PLAIN_LINK.fullmatch(value):  # the digests' own shape, told without mistune
            return plain[1]
        for token in _INLINE(value)[0].get("children", []):
            if token["type"] == "link":
                return token["attrs"]["url"]
        if re.fullmatch(r"https?://\S+", value):
            return value
        self.warn(line, f"'{name}' is not a link: {value[:60]!r}, ignored")
        return None
