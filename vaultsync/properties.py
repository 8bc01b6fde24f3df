"""Frontmatter as text: vaultsync's YAML style, and edits that leave the user's lines byte for byte.

A frontmatter is read as a list of top-level entries (a key's line with its indented or list lines;
comments and blank lines on their own). Setting a key replaces only that key's lines, so the user's
keys, their order, quoting and comments survive. Every edit is checked by parsing the result; a
frontmatter too unusual to edit line by line is re-emitted whole, values kept.
"""

from __future__ import annotations

import re
from typing import Any

import frontmatter
import yaml

_HANDLER = frontmatter.YAMLHandler()  # python-frontmatter's loader: libyaml's when installed
_SIMPLE_KEY = re.compile(r"([A-Za-z0-9_][\w.-]*)[ \t]*:(?:[ \t]|$)")


class _Dumper(yaml.SafeDumper):
    """Obsidian's own style: list items indented under their key, double quotes where quotes are needed."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


_CDumper: type = getattr(yaml, "CSafeDumper", None)  # libyaml's emitter, when installed
# In what libyaml writes for flat values, a quoted scalar starts a line (a key or a list item) or ends it.
_SINGLE_QUOTED = re.compile(r"^( *(?:- )?)'((?:[^'\n]|'')*)'(?=: |:$|$)|(: )'((?:[^'\n]|'')*)'$", re.MULTILINE)
_INDENTLESS_ITEM = re.compile(r"^- ", re.MULTILINE)


def _double_quoted(match: re.Match[str]) -> str:
    lead, text = (match[1], match[2]) if match[2] is not None else (match[3], match[4])
    text = text.replace("''", "'").replace("\\", "\\\\").replace('"', '\\"')
    return f'{lead}"{text}"'


def dump(metadata: dict[str, Any]) -> str:
    """YAML lines for `metadata`, in its key order; any string value parses back unchanged."""
    if not metadata:
        return ""
    options: dict[str, Any] = {"allow_unicode": True, "sort_keys": False, "default_flow_style": False}
    if _CDumper and all(map(_simple, metadata.values())):
        # Flat values (vaultsync's own): libyaml's emitter, in Obsidian's style: double quotes, indented lists.
        text = yaml.dump(metadata, Dumper=_CDumper, width=-1, **options)
        if "\\U" not in text:  # libyaml escapes characters beyond the BMP; the Python emitter writes them
            return _INDENTLESS_ITEM.sub("  - ", _SINGLE_QUOTED.sub(_double_quoted, text))
    return yaml.dump(metadata, Dumper=_Dumper, width=float("inf"), **options)


_LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")


def _simple(value: Any) -> bool:
    """A one-line scalar, or a non-empty list of them: what libyaml writes as the Python emitter does."""
    if isinstance(value, list):
        return bool(value) and all(not isinstance(item, dict | list) and _simple(item) for item in value)
    return not isinstance(value, dict) and not (isinstance(value, str) and _LINE_BREAK.search(value))


def load(text: str) -> dict[str, Any]:
    """The mapping a frontmatter's YAML text holds; raises yaml.YAMLError or ValueError if it holds none."""
    data = _HANDLER.load(text) if text.strip() else {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("frontmatter is not a mapping of keys to values")
    return data


def same(a: Any, b: Any) -> bool:
    """Equal as YAML values: `1` is not `true`, a date is not a string."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and a == b


def set_values(text: str, current: dict[str, Any], values: dict[str, Any]) -> str:
    """`text` (YAML, parsed as `current`) with each key of `values` set; keys already equal are not touched.

    A new key goes after the key before it in `values` that the text has, else first.
    """
    changed = {key: value for key, value in values.items() if key not in current or not same(current[key], value)}
    if not changed:
        return text
    expected = {**current, **values}
    try:
        entries = _entries(text)
    except (yaml.YAMLError, ValueError):
        return dump(expected)
    where = {key: index for index, (key, _) in enumerate(entries) if key is not None}
    if len(where) != len(current):  # a repeated key: cannot tell which line the parser kept
        return dump(expected)
    inserts: dict[int, list[str]] = {}
    anchor = -1
    for key, value in values.items():
        if key in where:
            anchor = where[key]
            if key in changed:
                entries[anchor] = (key, dump({key: value}))
        else:
            inserts.setdefault(anchor, []).append(dump({key: value}))
    result = "".join(inserts.get(-1, [])) + "".join(
        chunk + "".join(inserts.get(index, [])) for index, (_, chunk) in enumerate(entries)
    )
    try:
        if same(load(result), expected):
            return result
    except (yaml.YAMLError, ValueError):
        pass
    return dump(expected)


def _entries(text: str) -> list[tuple[str | None, str]]:
    """Top-level entries as (key, lines); None for comment and blank lines between keys."""
    chunks: list[tuple[bool, list[str]]] = []  # (is a gap, lines)
    for line in text.splitlines(keepends=True):
        if line[:1] not in ("", " ", "\t", "#", "\n", "\r") and not re.match(r"-(\s|$)", line):
            chunks.append((False, [line]))
        elif _is_gap(line):
            if chunks and chunks[-1][0]:
                chunks[-1][1].append(line)
            else:
                chunks.append((True, [line]))
        elif chunks:  # an indented or list line: it continues the key above, gaps included
            if chunks[-1][0] and len(chunks) > 1:
                chunks[-2][1].extend(chunks.pop()[1])
            chunks[-1][1].append(line)
        else:
            raise ValueError("frontmatter starts with an indented line")
    if chunks and not chunks[-1][1][-1].endswith("\n"):
        chunks[-1][1][-1] += "\n"
    return [(None if gap else _key("".join(lines)), "".join(lines)) for gap, lines in chunks]


def _is_gap(line: str) -> bool:
    """A blank line or a comment at the left margin."""
    return not line.strip() or line.startswith("#")


def _key(chunk: str) -> str:
    match = _SIMPLE_KEY.match(chunk)
    if match:
        return match[1]
    data = load(chunk)
    if len(data) != 1:
        raise ValueError("not one key")
    return str(next(iter(data)))
