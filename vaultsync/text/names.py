"""Note names and tags that are valid in Obsidian and on Windows, macOS and Linux file systems."""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import quote, unquote

MAX_NAME_BYTES = 200

# Obsidian's importer drops these (plus `/` `\`, which become `-`); `#^[]|` would break `[[links]]`, and
# `$` makes Markdown readers with math support (obsidiantools for one) read part of a link as a formula.
_DROPPED = re.compile(r'[?<>:*|"$\[\]#^\x00-\x1f\x7f-\x9f]')
_SLASHES = re.compile(r"[/\\]")
_SPACES = re.compile(r"\s+")
_COMMENT = re.compile(r"%{2,}")  # `%%` starts an Obsidian comment, even inside a link
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
# Obsidian's daily note name: a note of ours must never take it.
_DAILY_NOTE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TAG_DROPPED = re.compile(r"[^\w/-]")


@functools.lru_cache(maxsize=256)  # an index note's name is asked for by every paper listed in it
def note_name(text: str, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """A file-safe, link-safe note name for `text`, or "" if nothing usable is left.

    The steps interact (dropping `#` can expose a trailing dot), so they repeat until the name is stable.
    """
    name = unicodedata.normalize("NFC", text)
    while True:
        before = name
        name = _SLASHES.sub("-", name)
        name = _DROPPED.sub("", name)
        name = _fold(name).strip(" .")
        name = _truncate(name, max_bytes)
        if name == before:
            break
    if not name or _RESERVED.match(name) or _DAILY_NOTE.match(name):
        return ""
    return name


def _fold(text: str) -> str:
    """Whitespace runs as one space, `%` runs as one `%`: no line breaks or comment starts in names and labels."""
    return _COMMENT.sub("%", _SPACES.sub(" ", text))


def _truncate(name: str, max_bytes: int) -> str:
    """Cut to `max_bytes` of UTF-8 without splitting a character, at a space when one is past halfway."""
    data = name.encode("utf-8")
    if len(data) <= max_bytes:
        return name
    cut = data[:max_bytes].decode("utf-8", errors="ignore")
    space = cut.rfind(" ")
    return cut[:space] if space > len(cut) // 2 else cut


def tag(keyword: str) -> str:
    """The Obsidian tag for a section keyword: lowercase, spaces as `-`, only tag characters.

    A tag needs one non-digit (`#1984` is not a tag), so an all-digit keyword gets a leading `_`.
    """
    text = unicodedata.normalize("NFC", keyword).strip().lower()
    text = _SPACES.sub("-", text)
    text = _TAG_DROPPED.sub("", text)
    text = re.sub(r"([/-])[/-]*", r"\1", text).strip("/-")
    if text and not re.search(r"[^\d/]", text):
        text = "_" + text
    return text


def link_label(text: str) -> str:
    """Text that can stand after the `|` of a `[[target|label]]` link without ending it early."""
    text = _fold(text).strip()
    return text.replace("[", "(").replace("]", ")").replace("|", "-")


# --- Logseq ----------------------------------------------------------------------------------------

_LOGSEQ_RESERVED = re.compile(r'[:*?"<>|#\\]+')
_URL_ENCODED = re.compile(r"%[0-9a-f]{2}", re.IGNORECASE)
_WINDOWS_BODIES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
LOGSEQ_MAX_FILE_BYTES = 240
_BACKSLASHES = re.compile(r"\\{2,}")
_REF_ESCAPES = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)")  # inside `[[…]]`, a backslash escapes punctuation


@functools.lru_cache(maxsize=256)  # an index page's name: asked for by every paper listed in it
def logseq_page_name(text: str, *, max_bytes: int = LOGSEQ_MAX_FILE_BYTES) -> str:
    """A Logseq page name for a title: one line, no `[[`/`]]` that would end a reference, no empty
    namespace, and a file name (see `logseq_file_name`) of at most `max_bytes` bytes."""
    name = _fold(unicodedata.normalize("NFC", text)).replace("[", "(").replace("]", ")")
    name = _REF_ESCAPES.sub("", _BACKSLASHES.sub("\\\\", name))  # a reference would read `\\` as `\`
    name = "/".join(part.strip() for part in name.split("/") if part.strip()).strip()
    while len(logseq_file_name(name).encode()) > max_bytes:
        name = _truncate(name, len(name.encode()) - 1).rstrip(" /")
    return name


def logseq_title(title: str) -> str:
    """A title as Logseq may name a page after it: each `/`, which would make the page a namespace (a
    page per part), as `∕` (U+2215 DIVISION SLASH), which looks the same and is a plain character."""
    return title.replace("/", "\u2215")


@functools.lru_cache(maxsize=256)
def logseq_file_name(page: str) -> str:
    """The file name (without `.md`) Logseq gives page `page` in `:triple-lowbar` graphs, as its
    `tri-lb-file-name-sanity` does; a leading `.` is encoded too, so the file is not hidden."""
    name = unicodedata.normalize("NFC", page)
    name = name[1:] if name.startswith("/") else name
    name = name[:-1] if name.endswith("/") else name
    name = _URL_ENCODED.sub(lambda m: "%25" + m[0][1:], name)
    name = _LOGSEQ_RESERVED.sub(lambda m: quote(m[0], safe=""), name)
    if name.startswith("."):
        name = "%2E" + name[1:]
    if name in _WINDOWS_BODIES or name.endswith("."):
        name += "/"
    for ambiguous in ("___", "_/", "/_"):
        name = name.replace(ambiguous, ambiguous.replace("_", "%5F"))
    return name.replace("/", "___")


@functools.lru_cache(maxsize=256)
def logseq_title_from_file(stem: str) -> str:
    """The page name Logseq reads from a `:triple-lowbar` file name (its `tri-lb-title-parsing`)."""
    name = _URL_ENCODED.sub(lambda m: unquote(m[0]), stem.replace("___", "/"))
    return "/".join(part for part in name.split("/") if part)
