"""A Logseq graph's settings (`logseq/config.edn`) and its ways of writing dates.

Only the few top-level settings vaultsync needs are read, all plain strings or keywords; the rest of
the EDN file, nested maps and comments included, is skipped token by token. Date patterns are the
date-fns ones Logseq uses (`yyyy_MM_dd`, `MMM do, yyyy`, `EEE, dd.MM.yyyy`, …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from vaultsync.storage.snapshot import NoteChanged, VaultError
from vaultsync.storage.vault import Vault

CONFIG = Path("logseq", "config.edn")


@dataclass(frozen=True)
class GraphConfig:
    pages_folder: str = "pages"
    journals_folder: str = "journals"
    journal_file_format: str = "yyyy_MM_dd"
    journal_title_format: str = "MMM do, yyyy"
    file_name_format: str = "legacy"  # `:file/name-format`; a missing key means legacy


_KEYS = {
    ":pages-directory": "pages_folder",
    ":journals-directory": "journals_folder",
    ":journal/file-name-format": "journal_file_format",
    ":journal/page-title-format": "journal_title_format",
    ":file/name-format": "file_name_format",
}
# EDN tokens: strings, comments, brackets, and atoms (keywords, symbols, numbers, …).
_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|;[^\n]*|#?[{(\[]|[})\]]|[^\s,;"{}()\[\]]+')


def read_config(graph: Path) -> GraphConfig:
    """The settings of the graph at `graph`; defaults for what its config does not set."""
    try:
        text = (graph / CONFIG).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return GraphConfig()
    found: dict[str, str] = {}
    depth, key = 0, None
    for token in _TOKEN.findall(text):
        if token.startswith(";"):
            continue
        if token[-1] in "{([":
            depth += 1
            key = None
        elif token in "})]":
            depth -= 1
        elif depth == 1 and key is None:
            key = token
        elif depth == 1:
            if key in _KEYS and (token.startswith('"') or token.startswith(":")):
                found[_KEYS[key]] = token[1:-1] if token.startswith('"') else token[1:]
            key = None
    return GraphConfig(**found)


HIDDEN = ":block-hidden-properties"


def with_hidden_property(text: str, key: str) -> str | None:
    """The text of a `config.edn` whose `:block-hidden-properties` set holds `:key` (added to the set, or the
    setting added at the end of the map), every other byte as it was; the text itself if the set holds it
    already; None where the file cannot be edited safely (not one map, the setting not a set, `#_`)."""
    tokens = [found for found in _TOKEN.finditer(text) if not found[0].startswith(";")]
    if not tokens or tokens[0][0] != "{" or any(found[0].startswith("#_") for found in tokens):
        return None  # a discarded form (`#_`) would shift keys and values
    end = _closing(tokens, 0)
    if end is None or end != len(tokens) - 1:
        return None
    keyword, places = f":{key}", []
    at = 1
    while at < end:
        name, value = tokens[at][0], tokens[at + 1] if at + 1 < end else None
        if value is None or name[-1] in "{([" or name in "})]":
            return None
        close = _closing(tokens, at + 1) if value[0][-1] in "{([" else at + 1
        if close is None:
            return None
        if name == HIDDEN:
            if value[0] != "#{":
                return None
            if keyword in (found[0] for found in tokens[at + 2 : close]):
                return text
            places.append(tokens[close].start())
        at = close + 1 if value[0][-1] in "{([" else at + 2
    if len(places) > 1:
        return None
    if places:
        before = text[: places[0]].rstrip(" \t")
        return before + ("" if before.endswith("{") else " ") + keyword + text[len(before) :]
    return text[: tokens[end].start()] + f"\n {HIDDEN} #{{{keyword}}}" + text[tokens[end].start() :]


def _closing(tokens: list[re.Match[str]], at: int) -> int | None:
    """The index of the token that closes the one opened at `at`, or None."""
    depth = 0
    for index in range(at, len(tokens)):
        token = tokens[index][0]
        depth += 1 if token[-1] in "{([" else -1 if token in "})]" else 0
        if depth == 0:
            return index
    return None


class ConfigNotEdited(Exception):
    """`config.edn` could not be edited safely; the message says why and gives the line to add by hand."""


def hide_property(graph: Path, key: str) -> bool:
    """Add `:key` to `:block-hidden-properties` in the graph's `config.edn`, written over the bytes read
    only (as notes are); False if it is there already. Raises ConfigNotEdited."""
    rel, vault = PurePosixPath(*CONFIG.parts), Vault(graph)
    by_hand = f"add `{HIDDEN} #{{:{key}}}` to the map in {graph / CONFIG} yourself (or :{key} to the set there)"
    try:
        snapshot = vault.snapshot(rel)
        if snapshot is None:
            raise ConfigNotEdited(f"{graph / CONFIG} does not exist: open the graph in Logseq once, or {by_hand}")
        text = with_hidden_property(snapshot.text, key)
        if text is None:
            raise ConfigNotEdited(f"{graph / CONFIG} is not a map vaultsync can edit safely: {by_hand}")
        if text == snapshot.text:
            return False
        vault.write(rel, text, snapshot)
        vault.release()
    except NoteChanged:
        raise ConfigNotEdited(f"{graph / CONFIG} changed while vaultsync edited it: run again, or {by_hand}") from None
    except VaultError as error:
        raise ConfigNotEdited(f"{error}: {by_hand}") from None
    return True


def is_graph(folder: Path) -> bool:
    return (folder / CONFIG).is_file()


# --- dates ------------------------------------------------------------------------------------------

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DATE_TOKEN = re.compile(r"yyyy|yy|MMMM|MMM|MM|M|do|dd|d|EEEE|EEE|EE|E|'[^']*'")


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def format_date(day: date, pattern: str) -> str:
    """`day` written with a date-fns `pattern`, as Logseq writes journal titles and file names."""
    values = {
        "yyyy": f"{day.year:04d}",
        "yy": f"{day.year % 100:02d}",
        "MMMM": _MONTHS[day.month - 1],
        "MMM": _MONTHS[day.month - 1][:3],
        "MM": f"{day.month:02d}",
        "M": str(day.month),
        "do": _ordinal(day.day),
        "dd": f"{day.day:02d}",
        "d": str(day.day),
        "EEEE": _DAYS[day.weekday()],
        "EEE": _DAYS[day.weekday()][:3],
        "EE": _DAYS[day.weekday()][:3],
        "E": _DAYS[day.weekday()][:3],
    }
    return _DATE_TOKEN.sub(lambda m: m[0][1:-1] if m[0].startswith("'") else values[m[0]], pattern)


def parse_date(text: str, pattern: str) -> date | None:
    """The date `text` gives in `pattern` (or as YYYY-MM-DD), or None."""
    groups = {
        "yyyy": r"(?P<year>\d{4})",
        "MMMM": "(?P<month_name>[A-Za-z]+)",
        "MMM": "(?P<month_abbr>[A-Za-z]{3})",
        "MM": r"(?P<month>\d{2})",
        "M": r"(?P<month>\d{1,2})",
        "do": r"(?P<day>\d{1,2})(?:st|nd|rd|th)",
        "dd": r"(?P<day>\d{2})",
        "d": r"(?P<day>\d{1,2})",
    }
    seen: set[str] = set()

    def group(m: re.Match[str]) -> str:
        token = m[0]
        if token.startswith("'"):
            return re.escape(token[1:-1])
        if token in groups and groups[token] not in seen:
            seen.add(groups[token])
            return groups[token]
        return r"\d{2}" if token == "yy" else "[A-Za-z]+" if token.startswith("E") else ".+?"

    parts, pos = [], 0
    for m in _DATE_TOKEN.finditer(pattern):
        parts += [re.escape(pattern[pos : m.start()]), group(m)]
        pos = m.end()
    parts.append(re.escape(pattern[pos:]))
    for regex in ("".join(parts), r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"):
        found = re.fullmatch(regex, text.strip())
        if found:
            fields = found.groupdict()
            try:
                month = int(fields["month"]) if fields.get("month") else _month(fields)
                return date(int(fields["year"]), month, int(fields["day"]))
            except (KeyError, TypeError, ValueError):
                continue
    return None


def _month(fields: dict[str, str | None]) -> int:
    name = (fields.get("month_name") or fields.get("month_abbr") or "").casefold()
    for number, month in enumerate(_MONTHS, start=1):
        if month.casefold() == name or month[:3].casefold() == name:
            return number
    raise ValueError(name)


@dataclass(frozen=True)
class Journal:
    """Where a Logseq graph keeps its journal pages, and how it names and titles them."""

    folder: str
    file_format: str
    title_format: str

    def path(self, day: date) -> PurePosixPath:
        return PurePosixPath(self.folder, format_date(day, self.file_format) + ".md")
