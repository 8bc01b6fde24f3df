"""Text from digests made safe as Obsidian Markdown: escaping, URLs, and arXiv's HTML abstracts.

Digest text is data. Everything here makes it *show* as written: no accidental tags (`#word`),
comments (`%%`), links (`[[`), block ids (`^id`), emphasis or raw HTML. LaTeX `$...$` is kept as is
so Obsidian's math renderer shows it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

# `\$` (a literal dollar in LaTeX), `$$display$$`, `$inline$` (no space just inside the dollars).
_MATH = re.compile(
    r"\\\$"
    r"|\$\$(?:\\.|[^\\$])+?\$\$"
    r"|\$(?![\s$])(?:\\.|[^\\$])*?(?<![\s\\])\$"
)
# Characters that start inline syntax anywhere: code, emphasis, links, HTML, tags, block ids, math.
# A backslash is escaped only where it would otherwise escape the next character. Each is one character:
# the pattern is the place before it (a backslash goes there), tried only at the characters in `_INLINE_CHAR`.
_INLINE_CHAR = re.compile(r"[\\`*_\[\]<#^$%=~&]")
_INLINE = re.compile(
    rf"(?={_INLINE_CHAR.pattern})"
    r"""(?=\\(?=[!-/:-@\[-`{-~])|[`*_\[\]<#^$]|%(?=%)|(?<=%)%|=(?==)|(?<==)=|~(?=~)|(?<=~)~|&(?=#?\w+;))"""
)
# What makes a paragraph's first characters a heading, quote, list, table or rule (`#`, `*` are escaped anyway).
_BLOCK_START = re.compile(r"^(\s*)(?:([>+=|-])|(\d{1,9})(?=[.)]))")
_WHITESPACE = re.compile(r"\s+")
_ONE_PARAGRAPH = re.compile(r"\s*<p>([^<&]*)</p>\s*")  # no tag, comment or character reference inside
_SAFE_URL_SCHEMES = {"http", "https", "ftp", "mailto"}
# A URL of a safe scheme made only of characters `safe_url` leaves as they are (no `[]`, which `urlsplit`
# checks as an IPv6 host): given back as it is.
_PLAIN_SAFE_URL = re.compile(r"(?i:https?|ftp|mailto):[\w.~:/?#@!$&'*+,;=%-]*", re.ASCII)


def escape(text: str) -> str:
    """Markdown that renders as `text` on one line (whitespace folded), keeping `$math$` intact."""
    return _escape_run(" ".join(text.split()), line_start=True)  # split: at the whitespace `\s` matches


def _escape_run(text: str, *, line_start: bool) -> str:
    if "$" not in text:  # no math span (each has a `$`) to keep as it is
        escaped = _escape_plain(text)
    else:
        out: list[str] = []
        pos = 0
        for math in _MATH.finditer(text):
            out.append(_escape_plain(text[pos : math.start()]))
            out.append(math.group())
            pos = math.end()
        out.append(_escape_plain(text[pos:]))
        escaped = "".join(out)
    if line_start:
        escaped = _BLOCK_START.sub(_escape_block_start, escaped, count=1)
    return escaped


def _escape_block_start(m: re.Match[str]) -> str:
    space, marker, number = m.groups()
    # `- ` `> ` … are escaped themselves; for `1.` / `1)` it is the punctuation after the number.
    return f"{space}\\{marker}" if marker else f"{space}{number}\\"


def _escape_plain(text: str) -> str:
    return _INLINE.sub(r"\\", text) if _INLINE_CHAR.search(text) else text


def safe_url(url: str) -> str | None:
    """The URL percent-encoded so it cannot end a Markdown link early, or None if it is not a web URL."""
    url = url.strip()
    if _PLAIN_SAFE_URL.fullmatch(url):
        return url
    scheme = urlsplit(url).scheme.lower() if url else ""
    if scheme not in _SAFE_URL_SCHEMES:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%~")


def link(label: str, url: str) -> str:
    """A Markdown link, or the escaped label alone if the URL is not a safe web URL."""
    target = safe_url(url)
    shown = escape(label) or escape(url)
    return f"[{shown}]({target})" if target else shown


class _AbstractParser(HTMLParser):
    """Collects paragraphs of Markdown from arXiv's abstract HTML; unknown tags become visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[list[tuple[str, str]]] = [[]]
        self._link: tuple[str, list[str]] | None = None

    def _text(self, text: str) -> None:
        if self._link is not None:
            self._link[1].append(text)
        else:
            self.paragraphs[-1].append(("text", text))

    def finish(self) -> None:
        """End the last paragraph (and an unclosed link) once the input is done."""
        self.close()
        self._break()

    def _break(self) -> None:
        self._close_link()
        if self.paragraphs[-1]:
            self.paragraphs.append([])

    def _close_link(self) -> None:
        if self._link is not None:
            href, parts = self._link
            self._link = None
            self.paragraphs[-1].append(("markdown", link("".join(parts), href)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "p":
            self._break()
        elif tag == "a" and href and self._link is None:
            self._link = (href, [])
        else:
            self._text(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._text(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._break()
        elif tag == "a" and self._link is not None:
            self._close_link()
        else:
            self._text(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self._text(data)

    def handle_comment(self, data: str) -> None:
        self._text(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._text(f"<!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self._text(f"<![{data}]>")

    def handle_pi(self, data: str) -> None:
        self._text(f"<?{data}>")


def html_to_markdown(html: str) -> str:
    """Markdown paragraphs (one line each, blank line between) for an abstract given as HTML."""
    if one := _ONE_PARAGRAPH.fullmatch(html):  # arXiv's usual abstract: one paragraph of text, told without a parser
        return _escape_run(" ".join(one[1].split()), line_start=True)
    parser = _AbstractParser()
    parser.feed(html)
    parser.finish()
    paragraphs = []
    for parts in parser.paragraphs:
        pieces: list[str] = []
        for kind, value in _join_text_runs(parts):
            if kind == "text":
                value = _escape_run(_WHITESPACE.sub(" ", value), line_start=not pieces)
            pieces.append(value)
        paragraph = "".join(pieces).strip()
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def _join_text_runs(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Neighbouring text runs as one, so math spans and `%%` pairs are seen whole."""
    joined: list[tuple[str, str]] = []
    for kind, value in parts:
        if kind == "text" and joined and joined[-1][0] == "text":
            joined[-1] = ("text", joined[-1][1] + value)
        else:
            joined.append((kind, value))
    return joined


# --- Logseq ----------------------------------------------------------------------------------------

# The task markers of Logseq (a block starting with one is a task): escaped here, read in `text.tasks`.
LOGSEQ_MARKERS = r"(?:TODO|DOING|DONE|LATER|NOW|CANCELED|CANCELLED|WAIT|WAITING|IN-PROGRESS)"
_LOGSEQ_MARKER = re.compile(rf"^({LOGSEQ_MARKERS})(?=\s|$)")
# In Logseq `\[` and `\(` open math, so a `[` stays bare: its escaped `\]` already stops links and refs.
# What Logseq adds: `{{macros}}`, `((block refs))`, `key:: value` properties, task markers. A link's
# `](url)` is matched first, to be left alone. Every match starts with one of the characters looked ahead for.
_LOGSEQ_PLAIN = re.compile(
    r"(?=[\]\\{}):])"
    r"(?:(?<!\\)\]\([^()\s]*\)|\\\[|\{(?=\{)|(?<=\{)\{|\}(?=\})|(?<=\})\}|\)(?=\))|(?<=\))\)|:(?=:)|^:)"
)


def logseq(markdown: str) -> str:
    """Markdown escaped for Obsidian (by `escape` or `html_to_markdown`), escaped for Logseq instead."""
    if "$" not in markdown:  # no math span to keep as it is
        return _LOGSEQ_MARKER.sub(r"\\\1", _logseq_plain(markdown))
    out, pos = [], 0
    for math in _MATH.finditer(markdown):
        out += [_logseq_plain(markdown[pos : math.start()]), math.group()]
        pos = math.end()
    out.append(_logseq_plain(markdown[pos:]))
    return _LOGSEQ_MARKER.sub(r"\\\1", "".join(out))


def _logseq_plain(text: str) -> str:
    def escaped(m: re.Match[str]) -> str:
        token = m.group()
        return token if token.startswith("]") else "[" if token == "\\[" else "\\" + token

    return _LOGSEQ_PLAIN.sub(escaped, text)
