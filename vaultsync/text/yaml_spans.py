"""Where things are written in a frontmatter's YAML text: its top-level entries (a key's line with its indented
or list lines; comment and blank lines between keys belong to no key), the text of a value that can be
rewritten on its own (no comment in it), the lines of a block list's items; YAML's line breaks, not only
`\\n`. An edit is a `Span`: text[start:end] replaced by a string."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, NamedTuple

import yaml

from vaultsync.text.yaml_style import LINE_BREAK

Span = tuple[int, int, str]  # text[start:end] is to be replaced by the string
LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # what `yaml_style.load` parses with
_COLON = re.compile(r"[ \t]*:")
_DASH = re.compile(r"([ \t]*-)([ \t]*)")  # what starts a block list item's line


class Entry(NamedTuple):
    """A top-level key's lines."""

    start: int  # the first character of the key's line
    end: int  # past its last line; comment and blank lines after it are not its own
    node: yaml.Node  # its value
    plain: bool  # written `key: …` at the left margin (not `? key`)
    colon: int  # past the `:` after its key


def entries(text: str) -> tuple[dict[str, list[Entry]], str | None]:
    """The top-level entries of `text` by key, and a reason none can be edited on their own lines."""
    root = yaml.compose(text, Loader=LOADER)
    if root is None:
        return {}, None
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        return {}, "the frontmatter is one flow mapping `{…}`"
    found: dict[str, list[Entry]] = {}
    starts = [line_start(text, key.start_mark.index) for key, _ in root.value] + [len(text)]
    for (key, value), start, end in zip(root.value, starts, starts[1:], strict=False):
        floor = line_end(text, key.start_mark.index)
        while end > floor and _is_gap(text[line_start(text, end - 1) : end]):
            end = line_start(text, end - 1)
        plain = isinstance(key, yaml.ScalarNode) and key.start_mark.index == start
        colon = _COLON.match(text, key.end_mark.index)
        plain = plain and colon is not None
        found.setdefault(str(key.value), []).append(Entry(start, end, value, plain, colon.end() if colon else -1))
    return found, None


def _is_gap(line: str) -> bool:
    """A blank line, a comment at the left margin, or a document end marker: between keys, nobody's."""
    return not line.strip() or line.startswith("#") or line.rstrip() == "..."


def line_start(text: str, index: int) -> int:
    """Where the line holding `index` starts; YAML's line breaks, not only `\\n`."""
    return max(text.rfind(char, 0, index) for char in "\r\n\x85\u2028\u2029") + 1


def line_end(text: str, index: int) -> int:
    """Past the line break ending the line that holds `index`."""
    found = LINE_BREAK.search(text, index)
    return len(text) if found is None else found.start() + (2 if text.startswith("\r\n", found.start()) else 1)


def value_span(text: str, node: yaml.Node) -> tuple[int, int] | None:
    """Where `node`'s value is written, if that text holds no comment: a scalar (a block scalar `|` or `>`
    without one on its header line) or a flow collection on one line; blank lines after it are not in it."""
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        if "#" in text[start : line_end(text, start)]:
            return None
    elif not isinstance(node, yaml.ScalarNode) and (not node.flow_style or LINE_BREAK.search(text, start, end)):
        return None
    return start, start + len(text[start:end].rstrip())


def one_line(text: str, node: yaml.Node) -> bool:
    """A plain or quoted scalar on one line."""
    return (
        isinstance(node, yaml.ScalarNode)
        and node.style in (None, "", "'", '"')  # plain is None in PyYAML's nodes, "" in libyaml's
        and not LINE_BREAK.search(text, node.start_mark.index, node.end_mark.index)
    )


def dash(text: str, item: yaml.Node) -> str | None:
    """The `- ` and indentation starting the line of a block list's `item`, if it starts the line."""
    found = _DASH.fullmatch(text, line_start(text, item.start_mark.index), item.start_mark.index)
    return found and found[1] + (found[2] or " ")


def same_text(node: yaml.Node, value: Any) -> bool:
    """A scalar written as `value`'s own text (`2401.08640` for "2401.08640", `"2"` for 2)."""
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null") or isinstance(value, bool):
        return False
    if isinstance(value, str | int | float):
        return node.value == str(value)
    return isinstance(value, date) and node.value == value.isoformat()
