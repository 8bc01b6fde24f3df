"""The vault's settings and the command line's options, each declared once (`Setting`: name, type,
default, help, and the commands that take it as an option), and the settings file,
`VAULT/.vaultsync/config.toml` (or `--config PATH`), that sets the settings. From the one declaration come
the file's validation (`parse`), its commented template (`default_text`, for `vaultsync init`) and the
commands' options (`vaultsync.cli`), which override the file: `SETTINGS` (the file's keys), `FETCH` (its
`[fetch]` table) and `RUN` (options about one run only, which have no key). Read with the standard
library's `tomllib`; an unknown key or a value of the wrong type is an error naming the key and the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaultsync.flavors import FLAVORS
from vaultsync.storage.vault import STATE_DIR
from vaultsync.text import names

Kind = type | tuple[type, ...]


@dataclass(frozen=True)
class Setting:
    """One setting (or, in `RUN`, one option about one run): its key in the settings file, the type of its
    value there, its default, and its help (the file's comment and the option's help alike). `commands`
    take it as an option, spelt `flags` (default: --the-key), with `metavar` and, for numbers, the least
    value `minimum` (checked on the command line only); `choices` are offered by shell completion."""

    name: str
    kind: Kind
    default: Any
    help: str
    commands: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    metavar: str | None = None
    minimum: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def option_flags(self) -> tuple[str, ...]:
        return self.flags or ("--" + self.name.replace("_", "-"),)


IMPORTING = ("import", "watch")  # the commands that import, and so take the import's settings as options


def _declare(*settings: Setting) -> dict[str, Setting]:
    return {setting.name: setting for setting in settings}


# The settings: the keys of the settings file, and the options of the commands that take them.
SETTINGS = _declare(
    Setting(
        "source", str, "", "The folder the digests land in (SRC): then `import`, `watch`, `service` need only VAULT.",
        commands=("init",), metavar="SRC",
    ),
    Setting(
        "flavor", str, "auto",
        "Write an Obsidian vault or a Logseq graph (auto: Logseq if VAULT has logseq/config.edn).",
        commands=(*IMPORTING, "init"), metavar="auto|obsidian|logseq", choices=("auto", *FLAVORS),
    ),
    Setting(
        "papers_folder", str, "arXiv/Papers", "Vault folder of paper notes (Obsidian).", IMPORTING, metavar="FOLDER"
    ),
    Setting(
        "digests_folder", str, "arXiv/Digests", "Vault folder of daily index notes (Obsidian).", IMPORTING,
        metavar="FOLDER",
    ),
    Setting(
        "paper_name", str, "{title}", "Paper note name: {title}, {arxiv_id}, {category}.", IMPORTING,
        metavar="PATTERN",
    ),
    Setting("digest_name", str, "arXiv {date}", "Index note name; must contain {date}.", IMPORTING, metavar="PATTERN"),
    Setting(
        "templates", str, "", "Folder of templates overriding the defaults file by file (in the settings file:"
        " relative to the vault).", IMPORTING, metavar="DIR",
    ),
    Setting("tag_prefix", str, "", 'Put before every keyword tag, e.g. "arxiv/" for nested tags arxiv/diffusion.'),
    Setting("tag_map", dict, {}, 'Keyword tags renamed or merged, e.g. exlainability = "explainability".'),
    Setting("digest_patterns", list, ["*.md", "*.txt"], "Which files in SRC are digests."),
    Setting("reading_queue", bool, True, "Keep a note (and an Obsidian base) listing the papers not read yet."),
    Setting("topic_notes", bool, True, "One note per keyword tag, listing its papers by query (Obsidian)."),
    Setting(
        "author_links", bool, False, 'Paper notes list authors as links, "[[Ada Lovelace]]", for your author notes.'
    ),
    Setting(
        "cssclasses", list, [], 'Obsidian: CSS classes of paper notes (a cssclasses property), e.g. ["arxiv-paper"].'
    ),
    Setting(
        "recursive", bool, False, "Also digests in sub-folders of SRC (not hidden ones).", IMPORTING,
        flags=("--recursive/--no-recursive", "-r"),
    ),
    Setting(
        "jobs", int, 2 if (os.cpu_count() or 1) >= 2 else 1,
        "Processes to use: 2 or more parse digests ahead on other cores (1: none).", ("import",),
        flags=("--jobs", "-j"), metavar="N",
    ),
    Setting(
        "wait", (int, float), 10.0, "Seconds to wait while another vaultsync writes to VAULT (then exit 3).",
        IMPORTING, metavar="SECONDS", minimum=0,
    ),
    Setting(
        "settle", (int, float), 1.0, "Seconds a file must stay unchanged before `watch` imports it.", ("watch",),
        metavar="SECONDS", minimum=0,
    ),
    Setting(
        "poll", bool, False, "Poll for changes instead of file-system events (network drives, WSL, Docker"
        " volumes).", ("watch",), flags=("--poll/--no-poll",),
    ),
    Setting(
        "poll_interval", (int, float), 1.0, "Seconds between polls.", ("watch",), metavar="SECONDS",
        minimum=0.1,
    ),
    Setting("log_file", str, "", "Also append the log of `watch` to this file.", ("watch",), metavar="PATH"),
    Setting(
        "quiet", bool, False, "Print only errors (`watch`: log only warnings and errors).", (*IMPORTING, "fetch"),
        flags=("--quiet", "-q"),
    ),
    Setting(
        "verbose", bool, False, "Print every note written, and tracebacks (`watch`: log every file event too).",
        IMPORTING, flags=("--verbose", "-v"),
    ),
    Setting("fetch", dict, {}, "`vaultsync fetch VAULT`: the feed to fetch into `source`."),
)  # fmt: skip
# The `[fetch]` table: the feed `vaultsync fetch` fetches.
FETCH = _declare(
    Setting(
        "categories", list, [], "arXiv categories (cs.CV), all in one request; the option is repeatable.",
        ("fetch",), flags=("--category",), metavar="CAT",
    ),
    Setting(
        "keywords", list, [], "Section keywords, in order (the option is repeatable): a paper goes under the first"
        " found in its title, else in its abstract; papers matching none are left out. None: a section per primary"
        " category.", ("fetch",), flags=("--keyword",), metavar="WORD",
    ),
    Setting(
        "updated", bool, False, "Also list new versions of papers (replacements), marked UPDATED.", ("fetch",),
        flags=("--updated/--no-updated",),
    ),
    Setting(
        "feed_url", str, "https://rss.arxiv.org/rss/", "The feed's base URL; the categories are appended.",
        ("fetch",), metavar="URL",
    ),
)  # fmt: skip
# The options about one run only, with no key in the settings file on purpose (`force = true` in a file would
# overwrite the user's edits on every run); declared alike, so that each option is declared once.
RUN = _declare(
    Setting("dry_run", bool, False, "Write nothing; print what would be created or updated.", ("import",)),
    Setting("json_out", bool, False, "Print a machine-readable summary on stdout.", ("import", "status"),
            flags=("--json",)),
    Setting("day", str, None, "Date of digests whose file name has none (else: file time).", ("import",),
            flags=("--date",), metavar="YYYY-MM-DD"),
    Setting("force", bool, False, "Regenerate managed regions you edited (index notes keep their ticks, not your"
            " lines in them).", ("import",)),
    Setting("restore_deleted", bool, False, "Re-create notes you deleted.", ("import",)),
    Setting("once", bool, False, "Catch up on new or changed digests, then exit (1 if an import failed). A digest"
            " still being written is waited for at most the settle window plus 3 more (at least 5 s), then skipped"
            " with a warning: the next run takes it.", ("watch",)),
    Setting("name", str, "vaultsync", "Service name.", ("service",), metavar="NAME"),
    Setting("config", str, None, "Settings file (default: VAULT/.vaultsync/config.toml).",
            (*IMPORTING, "fetch", "service"), metavar="PATH"),
    Setting("timeout", (int, float), 30.0, "Give up on a silent server.", ("fetch",), metavar="SECONDS",
            minimum=0.1),
    Setting("import_to", str, None, "Import the digest into VAULT right after.", ("fetch",), flags=("--import",),
            metavar="VAULT"),
    Setting("hide_stamp", bool, False, "Logseq: add vaultsync's own `vaultsync::` property to"
            " :block-hidden-properties in logseq/config.edn.", ("init",)),
    Setting("fix", bool, False, "Repair what can be repaired without touching your text: a damaged, outdated or"
            " missing state store is set aside and rebuilt from the notes (as an import does), moved and deleted"
            " notes are recorded, broken or ambiguous index links re-linked.", ("doctor",)),
    Setting("daily_fetch", bool, False, "Instead: run `vaultsync fetch VAULT` daily after arXiv's refresh (midnight US"
            " Eastern), a random delay later (VAULT's settings name the source and the [fetch] categories).",
            ("service",), flags=("--fetch",)),
    Setting("timer", bool, False, "With --fetch, systemd: print the .timer instead.", ("service",)),
)  # fmt: skip
FILE = Path(STATE_DIR, "config.toml")


class ConfigError(ValueError):
    """The settings file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    values: dict[str, Any]
    file: Path | None  # the file read, if any

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


def defaults() -> dict[str, Any]:
    """Every setting at its default."""
    return {name: setting.default for name, setting in SETTINGS.items()}


def _type_name(kind: Kind) -> str:
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


def _check(data: dict[str, Any], declared: dict[str, Setting], file: Path, prefix: str = "") -> None:
    """Each key of `data` declared, with a value of its type; raises ConfigError."""
    for key, value in data.items():
        if key not in declared:
            shown = f"{prefix}{key}" if prefix else repr(key)
            raise ConfigError(f"{file}: unknown key {shown} — known keys: {', '.join(declared)}")
        kind = declared[key].kind
        if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
            raise ConfigError(f"{file}: {prefix}{key} must be {_type_name(kind)}, not {value!r}")


def parse(text: str, file: Path) -> dict[str, Any]:
    """The settings a config file's text sets, checked; raises ConfigError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML ({error})") from None
    _check(data, SETTINGS, file)
    _check(data.get("fetch", {}), FETCH, file, "fetch.")
    for key, value in data.get("fetch", {}).items():
        if FETCH[key].kind is list and not all(isinstance(item, str) and item.strip() for item in value):
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
        return Settings(defaults(), None)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: cannot read the settings file ({error})") from None
    return Settings(defaults() | parse(text, file), file)


def default_text(flavor: str, source: str = "") -> str:
    """A commented settings file with every key at its default (`flavor` and `source` set), for `vaultsync init`."""
    lines = [
        "# vaultsync settings for this vault. Every key is optional; a command-line option overrides it.",
        '# Uncomment a line to change it. Reference: the README\'s "Configuration" section.',
        "",
        f"# {SETTINGS['source'].help}",
        f"{'' if source else '# '}source = {_toml(source)}",
        "",
        f"flavor = {_toml(flavor)}",
    ]
    for key, setting in SETTINGS.items():
        if key not in ("source", "flavor", "tag_map", "fetch"):
            lines += ["", f"# {setting.help}", f"# {key} = {_toml(setting.default)}"]
    lines += ["", f"# {SETTINGS['tag_map'].help}", "# [tag_map]", '# exlainability = "explainability"']
    lines += ["", f"# {SETTINGS['fetch'].help}", "# [fetch]"]
    for key, setting in FETCH.items():
        lines += [f"# {setting.help}", f"# {key} = {_toml(setting.default)}"]
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
