"""Frontmatter values in vaultsync's YAML: written in Obsidian's own style (`dump`, and one value at a time for
an edit: `scalar`, `block`, `flow`), read as python-frontmatter reads them (`load`), compared as YAML values
(`same`), and list properties read as Obsidian reads them (`items`: `tags: a, b` is two tags)."""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Any

import frontmatter
import yaml
from yaml.nodes import ScalarNode

_HANDLER = frontmatter.YAMLHandler()  # python-frontmatter's loader: libyaml's when installed
LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")  # YAML's line breaks


class Dumper(yaml.SafeDumper):
    """Obsidian's own style: list items indented under their key, double quotes where quotes are needed."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


_CDumper: type | None = getattr(yaml, "CSafeDumper", None)  # libyaml's emitter, when installed
# In what libyaml writes for flat values, a quoted scalar starts a line (a key or a list item) or ends it.
_SINGLE_QUOTED = re.compile(r"^( *(?:- )?)'((?:[^'\n]|'')*)'(?=: |:$|$)|(: )'((?:[^'\n]|'')*)'$", re.MULTILINE)
_INDENTLESS_ITEM = re.compile(r"^- ", re.MULTILINE)
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _double_quoted(match: re.Match[str]) -> str:
    lead, text = (match[1], match[2]) if match[2] is not None else (match[3], match[4])
    text = text.replace("''", "'").replace("\\", "\\\\").replace('"', '\\"')
    return f'{lead}"{text}"'


def dump(metadata: dict[str, Any]) -> str:
    """YAML lines for `metadata`, in its key order; any string value parses back unchanged."""
    if not metadata:
        return ""
    text = _plain_lines(metadata)
    if text is not None:
        return text
    options: dict[str, Any] = {"allow_unicode": True, "sort_keys": False, "default_flow_style": False}
    if _CDumper and all(map(_simple, metadata.values())):
        # Flat values: libyaml's emitter, in Obsidian's style: double quotes, indented lists.
        text = yaml.dump(metadata, Dumper=_CDumper, width=-1, **options)
        if "\\U" not in text:  # libyaml escapes characters beyond the BMP; the Python emitter writes them
            return _INDENTLESS_ITEM.sub("  - ", _SINGLE_QUOTED.sub(_double_quoted, text))
    return yaml.dump(metadata, Dumper=Dumper, width=float("inf"), **options)


def _simple(value: Any) -> bool:
    """A one-line scalar, or a non-empty list of them: what libyaml writes as the Python emitter does."""
    if isinstance(value, list):
        return bool(value) and all(not isinstance(item, dict | list) and _simple(item) for item in value)
    return not isinstance(value, dict) and not (isinstance(value, str) and LINE_BREAK.search(value))


# What libyaml (and PyYAML's emitter) writes for a one-line string, told without either: a string of characters
# they print as they are (not beyond the BMP, no line break, no BOM) is written plain when it has none of
# the indicators that forbid plain text in a block (below) and reads back as a string; else single-quoted,
# which `_double_quoted` makes double. Anything else, and a value given twice (an anchor), goes to libyaml.
_PRINTED = "[ -~\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]"
_QUOTABLE = re.compile(f"{_PRINTED}*")
_PLAIN = re.compile(r"(?!---|\.\.\.|[-?:](?: |$)|[ #,\[\]{}&*!|>'\"%@`])(?!.*(?:: | #|:$| $))" + f"{_PRINTED}+")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_PLAIN_TAG = (True, False)  # the resolver's question: what a plain scalar reads as


def _plain_lines(metadata: dict[str, Any]) -> str | None:
    """`dump`'s text for keys, strings, None, booleans, integers, dates and lists of the scalars but dates, each
    object once (vaultsync's own frontmatter), without an emitter; None for anything else."""
    lines, seen = [], set()
    for key, value in metadata.items():
        if type(key) is not str or not _KEY.fullmatch(key) or _scalar_tag(key, _PLAIN_TAG) != _STR:
            return None
        if type(value) is list or type(value) is date:
            if id(value) in seen:
                return None
            seen.add(id(value))
        if type(value) is date:
            lines.append(f"{key}: {value.isoformat()}\n")
        elif type(value) is list:
            items = [_plain_scalar(item) for item in value]
            if not items or None in items:
                return None
            lines.append(f"{key}:\n" + "".join(f"  - {item}\n" for item in items))
        elif (text := _plain_scalar(value)) is not None:
            lines.append(f"{key}: {text}\n")
        else:
            return None
    return "".join(lines)


def _plain_scalar(value: Any) -> str | None:
    """A string, None, boolean or integer as `dump` writes it; None for any other value."""
    kind = type(value)
    if kind is str:
        if not _QUOTABLE.fullmatch(value):
            return None
        if _PLAIN.fullmatch(value) and _scalar_tag(value, _PLAIN_TAG) == _STR:
            return value
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    return str(value) if kind is int else None


@functools.lru_cache(maxsize=256)
def _scalar_tag(value: str, implicit: tuple[bool, bool]) -> str:
    """The tag YAML reads a plain (or quoted) scalar as: PyYAML's resolver, asked once per value."""
    return _RESOLVER.resolve(ScalarNode, value, implicit)


_RESOLVER = yaml.resolver.Resolver()


def scalar(key: str, value: Any) -> str | None:
    """`value` as vaultsync writes it after `key: `, if that is one line."""
    line = dump({key: value})
    return line[len(key) + 2 : -1] if line.startswith(f"{key}: ") and line.count("\n") == 1 else None


def block(item: Any) -> str | None:
    """`item` as vaultsync writes it after `- `, if that is one line."""
    lines = dump({"k": [item]}).split("\n")
    return lines[1].removeprefix("  - ") if len(lines) == 3 else None


def flow(item: Any) -> str:
    """`item` as an entry of a flow list `[…]`."""
    return yaml.dump([item], Dumper=Dumper, default_flow_style=True, width=float("inf"), allow_unicode=True)[1:-2]


def load(text: str) -> dict[str, Any]:
    """The mapping a frontmatter's YAML text holds; raises yaml.YAMLError or ValueError if it holds none."""
    data = _HANDLER.load(text) if text.strip() else {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("frontmatter is not a mapping of keys to values")
    return data


def same(a: Any, b: Any) -> bool:
    """Equal as YAML values: `1` is not `true`, a date is not a string, `.nan` is `.nan`."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and (a == b or a != a and b != b)


SPLIT = {"tags": re.compile(r"[,\s]+"), "aliases": re.compile(",")}  # list properties Obsidian reads from a string


def items(key: str, value: Any) -> list[Any]:
    """The list Obsidian reads from a list property written as `value`: a string of tags is split at commas
    and spaces, a string of aliases at commas (`tags: a, b` is two tags); any other scalar is one item."""
    if isinstance(value, list):
        return value
    if value is None or value == "":
        return []
    if isinstance(value, str) and key in SPLIT:
        return [item.strip() for item in SPLIT[key].split(value) if item.strip()]
    return [value]


def reads_as(key: str, parsed: Any, value: Any) -> bool:
    """`parsed` is `value`, or the same list written as a string Obsidian splits (`tags: a, b`)."""
    if same(parsed, value):
        return True
    return isinstance(parsed, str) and key in SPLIT and isinstance(value, list) and same(items(key, parsed), value)
