"""A Logseq graph's settings (`logseq/config.edn`) and its ways of writing dates.

Only the few top-level settings vaultsync needs are read, all plain strings or keywords; the rest of
the EDN file, nested maps and comments included, is skipped token by token. Date patterns are the
date-fns ones Logseq uses (`yyyy_MM_dd`, `MMM do, yyyy`, `EEE, dd.MM.yyyy`, …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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
