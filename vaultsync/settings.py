"""The vault's settings file, `VAULT/.vaultsync/config.toml` (or `--config PATH`): one key per setting
of the command line, which overrides it. Read with the standard library's `tomllib`; an unknown key or
a value of the wrong type is an error naming the key and the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaultsync.storage.vault import STATE_DIR
from vaultsync.text import names

# Key → (default, type, what it is). Command-line-only flags (--dry-run, --json, --force,
# --restore-deleted, --once, --date) are not settings: they are about one run.
KEYS: dict[str, tuple[Any, type | tuple[type, ...], str]] = {
    "source": ("", str, "the folder the digests land in (SRC): then commands need only VAULT"),
    "flavor": ("auto", str, "auto | obsidian | logseq"),
    "papers_folder": ("arXiv/Papers", str, "vault folder of paper notes (Obsidian)"),
    "digests_folder": ("arXiv/Digests", str, "vault folder of daily index notes (Obsidian)"),
    "paper_name": ("{title}", str, "paper note name: {title}, {arxiv_id}, {category}"),
    "digest_name": ("arXiv {date}", str, "index note name; must contain {date}"),
    "templates": ("", str, "folder of templates overriding the defaults (relative to the vault)"),
    "tag_prefix": ("", str, 'put before every keyword tag, e.g. "arxiv/" for nested tags arxiv/diffusion'),
    "tag_map": ({}, dict, 'keyword tags renamed or merged, e.g. exlainability = "explainability"'),
    "digest_patterns": (["*.md", "*.txt"], list, "which files in SRC are digests"),
    "reading_queue": (True, bool, "keep a note (and an Obsidian base) listing the papers not read yet"),
    "topic_notes": (True, bool, "one note per keyword tag, listing its papers by query (Obsidian)"),
    "author_links": (False, bool, 'paper notes list authors as links, "[[Ada Lovelace]]", for your author notes'),
    "cssclasses": ([], list, 'Obsidian: CSS classes of paper notes (a cssclasses property), e.g. ["arxiv-paper"]'),
    "recursive": (False, bool, "also digests in sub-folders of SRC"),
    "jobs": (2 if (os.cpu_count() or 1) >= 2 else 1, int, "import: processes to use (2 or more parse digests ahead)"),
    "wait": (10.0, (int, float), "seconds to wait while another vaultsync writes to the vault"),
    "settle": (1.0, (int, float), "watch: seconds a file must stay unchanged before it is imported"),
    "poll": (False, bool, "watch: poll for changes instead of file-system events"),
    "poll_interval": (1.0, (int, float), "watch: seconds between polls"),
    "log_file": ("", str, "watch: also append the log to this file"),
    "quiet": (False, bool, "print (or log) only warnings and errors"),
    "verbose": (False, bool, "print every note written (watch: every file event)"),
    "fetch": ({}, dict, "`vaultsync fetch VAULT`: the feed to fetch into `source`"),
}
# The `[fetch]` table: key → (default, type, what it is), as the options of `vaultsync fetch`.
FETCH_KEYS: dict[str, tuple[Any, type | tuple[type, ...], str]] = {
    "categories": ([], list, 'arXiv categories, all in one request: ["cs.CV", "cs.LG"]'),
    "keywords": ([], list, "a section per keyword, in this order (none: a section per primary category)"),
    "updated": (False, bool, "also list replaced papers (new versions), marked UPDATED"),
    "feed_url": ("https://rss.arxiv.org/rss/", str, "the feed's base URL; the categories are appended"),
}
FILE = Path(STATE_DIR, "config.toml")


class ConfigError(ValueError):
    """The settings file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    values: dict[str, Any]
    file: Path | None  # the file read, if any

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    words = {
        str: "a string",
        bool: "true or false",
        int: "a number",
        float: "a number",
        dict: "a table",
        list: "a list",
    }
    return " or ".join(dict.fromkeys(words[k] for k in kinds))


def parse(text: str, file: Path) -> dict[str, Any]:
    """The settings a config file's text sets, checked; raises ConfigError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML ({error})") from None
    for key, value in data.items():
        if key not in KEYS:
            raise ConfigError(f"{file}: unknown key {key!r} — known keys: {', '.join(KEYS)}")
        kind = KEYS[key][1]
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            raise ConfigError(f"{file}: {key} must be {_type_name(kind)}, not {value!r}")
    for key, value in data.get("fetch", {}).items():
        if key not in FETCH_KEYS:
            raise ConfigError(f"{file}: unknown key fetch.{key} — known keys: {', '.join(FETCH_KEYS)}")
        kind = FETCH_KEYS[key][1]
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            raise ConfigError(f"{file}: fetch.{key} must be {_type_name(kind)}, not {value!r}")
        if kind is list and not all(isinstance(item, str) and item.strip() for item in value):
            raise ConfigError(f"{file}: fetch.{key} must be a list of strings, not {value!r}")
    for old, new in data.get("tag_map", {}).items():
        if not isinstance(new, str) or names.tag(new) != new:
            raise ConfigError(f"{file}: tag_map.{old} must be a tag (lowercase letters, digits, -, _, /), not {new!r}")
    if not all(isinstance(name, str) and re.fullmatch(r"[\w-]+", name) for name in data.get("cssclasses", [])):
        raise ConfigError(f'{file}: cssclasses must be a list of CSS class names like "arxiv-paper"')
    if not all(isinstance(pattern, str) for pattern in data.get("digest_patterns", [])):
        raise ConfigError(f'{file}: digest_patterns must be a list of strings like "*.md"')
    return data


def load(vault: Path, path: Path | None = None) -> Settings:
    """The settings for `vault`: from `path`, else from the vault's own file if it has one, else defaults."""
    file = path or vault / FILE
    if path is None and not file.is_file():
        return Settings({key: default for key, (default, _, _) in KEYS.items()}, None)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: cannot read the settings file ({error})") from None
    return Settings({key: default for key, (default, _, _) in KEYS.items()} | parse(text, file), file)


def default_text(flavor: str, source: str = "") -> str:
    """A commented settings file with every key at its default (`flavor` and `source` set), for `vaultsync init`."""
    lines = [
        "# vaultsync settings for this vault. Every key is optional; a command-line option overrides it.",
        '# Uncomment a line to change it. Reference: the README\'s "Configuration" section.',
        "",
        f"# {KEYS['source'][2]}",
        f"{'' if source else '# '}source = {_toml(source)}",
        "",
        f"flavor = {_toml(flavor)}",
    ]
    for key, (default, _, about) in KEYS.items():
        if key in ("source", "flavor", "tag_map", "fetch"):
            continue
        lines += ["", f"# {about}", f"# {key} = {_toml(default)}"]
    lines += ["", f"# {KEYS['tag_map'][2]}", "# [tag_map]", '# exlainability = "explainability"']
    lines += ["", f"# {KEYS['fetch'][2]}", "# [fetch]"]
    lines += [f"# {key} = {_toml(default)}    # {about}" for key, (default, _, about) in FETCH_KEYS.items()]
    lines.append("")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return str(value)
