"""Note names and tags that are valid in Obsidian and on Windows, macOS and Linux file systems."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_BYTES = 200

# Obsidian's importer drops these (plus `/` `\`, which become `-`); `#^[]|` would break `[[links]]`.
_DROPPED = re.compile(r'[?<>:*|"\[\]#^\x00-\x1f\x7f-\x9f]')
_SLASHES = re.compile(r"[/\\]")
_SPACES = re.compile(r"\s+")
_COMMENT = re.compile(r"%{2,}")  # `%%` starts an Obsidian comment, even inside a link
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
# Obsidian's daily note name: a note of ours must never take it.
_DAILY_NOTE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TAG_DROPPED = re.compile(r"[^\w/-]")


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
