"""Frontmatter as text: vaultsync's YAML style, and edits that leave the user's lines byte for byte.

A frontmatter is read as top-level entries: a key's line with its indented or list lines; comment and
blank lines between keys belong to no key. Setting a key of ours edits only the text of its value, in the
shape the user gave it (a list in flow style gains items in flow style, a comma-separated string gains
them after a comma, a block list keeps its indentation), so every other byte stays: the key's line and any
comment on it, the list items kept with their comments, comment lines between them. An item of ours
that changes is rewritten over its value only; one that goes takes its line (or its comma) only when no
comment is on it. A value whose text already says ours (`arxiv_id: 2401.08640`, which YAML reads as a
float) is not touched. Every edit is checked by parsing the result and comparing the keys it changed;
a key whose value cannot be edited that way (written twice, an anchor or alias, a flow mapping, a block
scalar with a comment on its `|` line, an item to remove with a comment, …) or whose edit fails that
check is left as the user wrote it, and reported: no line of the user's is ever re-emitted.
"""

from __future__ import annotations

import re
from datetime import date
from difflib import SequenceMatcher
from typing import Any, NamedTuple

import frontmatter
import yaml

_HANDLER = frontmatter.YAMLHandler()  # python-frontmatter's loader: libyaml's when installed


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
    """Equal as YAML values: `1` is not `true`, a date is not a string, `.nan` is `.nan`."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(same, a, b))
    return type(a) is type(b) and (a == b or a != a and b != b)


_SPLIT = {"tags": re.compile(r"[,\s]+"), "aliases": re.compile(",")}


def items(key: str, value: Any) -> list[Any]:
    """The list Obsidian reads from a list property written as `value`: a string of tags is split at commas
    and spaces, a string of aliases at commas (`tags: a, b` is two tags); any other scalar is one item."""
    if isinstance(value, list):
        return value
    if value is None or value == "":
        return []
    if isinstance(value, str) and key in _SPLIT:
        return [item.strip() for item in _SPLIT[key].split(value) if item.strip()]
    return [value]


class Edit(NamedTuple):
    """Text with values set, and the keys left as the user wrote them, each with the reason."""

    text: str
    left: dict[str, str]


def set_values(text: str, current: dict[str, Any], values: dict[str, Any]) -> Edit:
    """`text` (YAML, parsed as `current`) with each key of `values` set, each on its own lines only.

    Keys whose value already reads as ours are not touched. A new key goes after the key before it in
    `values` that the text has, else first.
    """
    changed = {key: value for key, value in values.items() if key not in current or not same(current[key], value)}
    if not changed:
        return Edit(text, {})
    text += "" if text.endswith("\n") or not text else "\n"
    try:
        entries, shape = _entries(text)
    except yaml.YAMLError:
        entries, shape = {}, "vaultsync cannot read the frontmatter line by line"
    edits: dict[str, list[_Span]] = {}
    left: dict[str, str] = {}
    after = 0  # where a new key goes: after the last key of `values` the text has so far
    for key, value in values.items():
        found = entries.get(key, [])
        unchanged = key not in changed or (
            key in current and len(found) == 1 and _says(key, found[0].node, current[key], value)
        )
        if unchanged:
            pass
        elif reason := shape or _why_not(text, key in current, found):
            left[key] = reason
        elif key not in current:
            edits[key] = [(after, after, dump({key: value}))]
        elif isinstance(spans := _replace(text, found[0], key, current[key], value), str):
            left[key] = spans
        else:
            edits[key] = spans
        if found:
            after = found[-1].end
    result = _apply(text, edits)
    if _holds(result, current, {key: changed[key] for key in edits}):
        return Edit(result, left)
    accepted: dict[str, list[_Span]] = {}  # rare: find the keys whose edits hold, one by one
    for key, spans in edits.items():
        trial = {**accepted, key: spans}
        if _holds(_apply(text, trial), current, {key: changed[key] for key in trial}):
            accepted[key] = spans
        else:
            left[key] = "vaultsync cannot change it without changing other lines"
    return Edit(_apply(text, accepted), left)


_Span = tuple[int, int, str]  # text[start:end] is to be replaced by the string


class _Entry(NamedTuple):
    start: int  # the first character of the key's line
    end: int  # past its last line; comment and blank lines after it are not its own
    node: yaml.Node  # its value
    plain: bool  # written `key: …` at the left margin (not `? key`)
    colon: int  # past the `:` after its key


_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # what `load` parses with
_COLON = re.compile(r"[ \t]*:")


def _entries(text: str) -> tuple[dict[str, list[_Entry]], str | None]:
    """The top-level entries of `text` by key, and a reason none can be edited on their own lines."""
    root = yaml.compose(text, Loader=_LOADER)
    if root is None:
        return {}, None
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        return {}, "the frontmatter is one flow mapping `{…}`"
    entries: dict[str, list[_Entry]] = {}
    starts = [_line_start(text, key.start_mark.index) for key, _ in root.value] + [len(text)]
    for (key, value), start, end in zip(root.value, starts, starts[1:], strict=False):
        floor = _line_end(text, key.start_mark.index)
        while end > floor and _is_gap(text[_line_start(text, end - 1) : end]):
            end = _line_start(text, end - 1)
        plain = isinstance(key, yaml.ScalarNode) and key.start_mark.index == start
        colon = _COLON.match(text, key.end_mark.index)
        plain = plain and colon is not None
        entries.setdefault(str(key.value), []).append(_Entry(start, end, value, plain, colon.end() if colon else -1))
    return entries, None


def _is_gap(line: str) -> bool:
    """A blank line, a comment at the left margin, or a document end marker: between keys, nobody's."""
    return not line.strip() or line.startswith("#") or line.rstrip() == "..."


def _line_start(text: str, index: int) -> int:
    """Where the line holding `index` starts; YAML's line breaks, not only `\\n`."""
    return max(text.rfind(char, 0, index) for char in "\r\n\x85\u2028\u2029") + 1


def _line_end(text: str, index: int) -> int:
    """Past the line break ending the line that holds `index`."""
    found = _LINE_BREAK.search(text, index)
    return len(text) if found is None else found.start() + (2 if text.startswith("\r\n", found.start()) else 1)


def _why_not(text: str, present: bool, found: list[_Entry]) -> str | None:
    """Why a key cannot be edited on its own lines, or None."""
    if not present:
        return None
    if len(found) > 1:
        return "it is written more than once; keep one for vaultsync to update it"
    if not found or not found[0].plain:
        return "it is not written as a plain `key: value` entry"
    try:
        tokens = list(yaml.scan(text[found[0].start : found[0].end], Loader=_LOADER))
    except yaml.YAMLError:
        return "vaultsync cannot read it line by line"
    if any(isinstance(token, yaml.AnchorToken | yaml.AliasToken) for token in tokens):
        return "it uses a YAML anchor or alias (`&`, `*`)"
    return None


def _reads_as(key: str, parsed: Any, value: Any) -> bool:
    """`parsed` is `value`, or the same list written as a string Obsidian splits (`tags: a, b`)."""
    if same(parsed, value):
        return True
    return isinstance(parsed, str) and key in _SPLIT and isinstance(value, list) and same(items(key, parsed), value)


def _says(key: str, node: yaml.Node, parsed: Any, value: Any) -> bool:
    """The user's value reads as ours, or its text is ours where YAML types it otherwise."""
    if _reads_as(key, parsed, value):
        return True
    if isinstance(node, yaml.ScalarNode):
        return _same_text(node, value)
    if isinstance(node, yaml.SequenceNode) and isinstance(value, list) and len(node.value) == len(value):
        pairs = zip(node.value, parsed, value, strict=True)
        return all(same(mine, ours) or _same_text(item, ours) for item, mine, ours in pairs)
    return False


def _same_text(node: yaml.Node, value: Any) -> bool:
    """A scalar written as `value`'s own text (`2401.08640` for "2401.08640", `"2"` for 2)."""
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null") or isinstance(value, bool):
        return False
    if isinstance(value, str | int | float):
        return node.value == str(value)
    return isinstance(value, date) and node.value == value.isoformat()


_FIT_IN_COMMAS = re.compile(r"[\w./-]+")
_DASH = re.compile(r"([ \t]*-)([ \t]*)")  # what starts a block list item's line
_BETWEEN_ITEMS = re.compile(r"[\s,]*")  # between flow items: separators, no comment
_LEAVE_LIST = "an item vaultsync would change is not on one line of its own, or has a comment"
_LEAVE_VALUE = "its value is written over lines vaultsync would rewrite (a block, a comment inside it)"


def _replace(text: str, entry: _Entry, key: str, parsed: Any, value: Any) -> list[_Span] | str:
    """The spans setting an existing key to `value` in the user's shape of it, each over the key's value
    text or between its lines, never over a comment or a line of the user's; or why it cannot be."""
    node = entry.node
    if isinstance(value, list) and isinstance(node, yaml.SequenceNode):
        return _in_list(text, entry, parsed, value) or _LEAVE_LIST
    if isinstance(value, list) and isinstance(parsed, str) and key in _SPLIT:
        found = _in_commas(text, node, key, parsed, value)
        return [found] if found else "it is a comma-separated list the new items do not fit in"
    span = None if isinstance(value, dict) else _value_span(text, node)
    if span is None:
        return _LEAVE_VALUE
    start, end = span
    space = " " if start == end and text[start - 1] not in " \t" else ""  # after `key:` with no value
    lines = [_block(item) for item in value] if isinstance(value, list) else []
    if start == end and lines and None not in lines:  # `key:` with no value gains a block list
        at = _line_end(text, start)
        return [(at, at, "".join(f"  - {line}\n" for line in lines))]
    new = "[" + ", ".join(map(_flow, value)) + "]" if isinstance(value, list) else _scalar(key, value)
    return _LEAVE_VALUE if new is None else [(start, end, space + new)]


def _value_span(text: str, node: yaml.Node) -> tuple[int, int] | None:
    """Where `node`'s value is written, if that text holds no comment: a scalar (a block scalar `|` or `>`
    without one on its header line) or a flow collection on one line; blank lines after it are not in it."""
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        if "#" in text[start : _line_end(text, start)]:
            return None
    elif not isinstance(node, yaml.ScalarNode) and (not node.flow_style or _LINE_BREAK.search(text, start, end)):
        return None
    return start, start + len(text[start:end].rstrip())


def _in_list(text: str, entry: _Entry, parsed: list[Any], value: list[Any]) -> list[_Span] | None:
    """The spans making the key's list `value` in its own style: items it keeps stay with their lines and
    comments, new ones are added next to them, a changed one is rewritten over its value only, a removed
    one goes with its line (block) or separator (flow); None if that would take a comment or a multi-line
    item."""
    node = entry.node
    old, flow = node.value, bool(node.flow_style)
    if not isinstance(parsed, list) or len(parsed) != len(old):
        return None  # not a list item for item (a tag of its own)
    if not value and not flow:  # no block list is empty: its lines go, `[]` follows the key
        spans = [_block_remove(text, item) for item in old]
        return None if None in spans else [*spans, (entry.colon, entry.colon, " []")]  # type: ignore[list-item]
    ours = [next(j for j, other in enumerate(value) if same(other, item)) for item in value]
    mine = [
        next((ours[j] for j, new in enumerate(value) if same(was, new) or _same_text(item, new)), -1 - i)
        for i, (item, was) in enumerate(zip(old, parsed, strict=True))
    ]
    spans: list[_Span | None] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, mine, ours, autojunk=False).get_opcodes():
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        if op == "equal":
            continue
        spans += [_item(text, old[i1 + k], value[j1 + k], flow) for k in range(paired)]
        if j1 + paired < j2:
            spans.append((_flow_add if flow else _block_add)(text, node, i2, value[j1 + paired : j2]))
        if i1 + paired < i2 and flow:
            spans.append(_flow_remove(text, node, i1 + paired, i2))
        elif i1 + paired < i2:
            spans += [_block_remove(text, item) for item in old[i1 + paired : i2]]
    return None if None in spans else spans  # type: ignore[return-value]


def _item(text: str, item: yaml.Node, value: Any, flow: bool) -> _Span | None:
    """`item` of a list rewritten as `value`, over its value text only (a comment after it stays)."""
    span, new = _value_span(text, item), _flow(value) if flow else _block(value)
    if span is None or new is None:
        return None
    space = " " if span[0] == span[1] and text[span[0] - 1] not in " \t" else ""  # a `-` with no value
    return span[0], span[1], space + new


def _dash(text: str, item: yaml.Node) -> str | None:
    """The `- ` and indentation starting the line of a block list's `item`, if it starts the line."""
    found = _DASH.fullmatch(text, _line_start(text, item.start_mark.index), item.start_mark.index)
    return found and found[1] + (found[2] or " ")


def _block_add(text: str, node: yaml.SequenceNode, at: int, values: list[Any]) -> _Span | None:
    """Lines for `values` before the block list's item `at` (after its last one if none), in its indentation."""
    item = node.value[min(at, len(node.value) - 1)]
    dash, lines = _dash(text, item), [_block(value) for value in values]
    if dash is None or None in lines:
        return None
    if at < len(node.value):
        where = _line_start(text, item.start_mark.index)
    else:  # after the last item's value and the rest of its line
        start, end = _value_span(text, item) or (item.start_mark.index, item.end_mark.index)
        where = _line_end(text, max(start, end - 1))
    return where, where, "".join(f"{dash}{line}\n" for line in lines)


def _block_remove(text: str, item: yaml.Node) -> _Span | None:
    """The line of a block list's `item` taken out, if it holds that one-line item and no comment."""
    span = _value_span(text, item)
    if span is None or _dash(text, item) is None or _LINE_BREAK.search(text, *span):
        return None
    end = _line_end(text, span[1])
    return (_line_start(text, span[0]), end, "") if not text[span[1] : end].strip() else None


def _flow_add(text: str, node: yaml.SequenceNode, at: int, values: list[Any]) -> _Span:
    """`values` added to a flow list `[…]` before its item `at` (at its end if none), after its separator."""
    old = node.value
    gap = text[old[0].end_mark.index : old[1].start_mark.index] if len(old) > 1 else ", "
    gap = gap if re.fullmatch(r"[ \t]*,[ \t]*", gap) else ", "
    if at < len(old):
        where = old[at].start_mark.index
        return where, where, "".join(_flow(value) + gap for value in values)
    if old:
        where = old[-1].end_mark.index
        return where, where, "".join(gap + _flow(value) for value in values)
    where = node.start_mark.index + 1  # `[ ]`: inside the brackets, over any spaces there
    end = re.compile(r"[ \t]*").match(text, where).end()  # type: ignore[union-attr]
    return where, end, gap.join(map(_flow, values))


def _flow_remove(text: str, node: yaml.SequenceNode, first: int, stop: int) -> _Span | None:
    """The items first..stop-1 of a flow list taken out with the separator next to them, if what goes holds
    only those items, commas and white space (no comment)."""
    old, removed = node.value, node.value[first:stop]
    if stop < len(old):
        start, end = old[first].start_mark.index, old[stop].start_mark.index
    else:
        start, end = old[first - 1].end_mark.index if first else old[0].start_mark.index, old[-1].end_mark.index
    if any(_value_span(text, item) != (item.start_mark.index, item.end_mark.index) for item in removed):
        return None
    bounds = [start, *(mark for item in removed for mark in (item.start_mark.index, item.end_mark.index)), end]
    rest = "".join(text[a:b] for a, b in zip(bounds[::2], bounds[1::2], strict=True))
    return (start, end, "") if _BETWEEN_ITEMS.fullmatch(rest) else None


def _in_commas(text: str, node: yaml.Node, key: str, parsed: str, value: list[Any]) -> tuple[int, int, str] | None:
    """`tags: a, b` with the items of `value` it lacks added after the same separator (`a, b, c`); None if
    they cannot be (not one line, not only added items, an item that would not read back as one)."""
    had = items(key, parsed)
    new = [str(item) for item in value[len(had) :]]
    if not _one_line(text, node) or not same(had, value[: len(had)]) or not all(map(_FIT_IN_COMMAS.fullmatch, new)):
        return None
    found = re.search(r"[ \t]*,[ \t]*", node.value) or (_SPLIT[key].fullmatch(" ") and re.search(r"\s+", node.value))
    gap = found[0] if found else ", "
    at = node.end_mark.index - bool(node.style)  # inside a closing quote
    return at, at, gap * bool(had) + gap.join(new)


def _one_line(text: str, node: yaml.Node) -> bool:
    """A plain or quoted scalar on one line."""
    return (
        isinstance(node, yaml.ScalarNode)
        and node.style in (None, "", "'", '"')  # plain is None in PyYAML's nodes, "" in libyaml's
        and not _LINE_BREAK.search(text, node.start_mark.index, node.end_mark.index)
    )


def _scalar(key: str, value: Any) -> str | None:
    """`value` as vaultsync writes it after `key: `, if that is one line."""
    line = dump({key: value})
    return line[len(key) + 2 : -1] if line.startswith(f"{key}: ") and line.count("\n") == 1 else None


def _block(item: Any) -> str | None:
    """`item` as vaultsync writes it after `- `, if that is one line."""
    lines = dump({"k": [item]}).split("\n")
    return lines[1].removeprefix("  - ") if len(lines) == 3 else None


def _flow(item: Any) -> str:
    """`item` as an entry of a flow list `[…]`."""
    return yaml.dump([item], Dumper=_Dumper, default_flow_style=True, width=float("inf"), allow_unicode=True)[1:-2]


def _apply(text: str, edits: dict[str, list[_Span]]) -> str:
    """`text` with the spans of each key replaced; insertions at one place keep their order, before a
    replacement starting there."""
    out, at = [], 0
    for start, end, new in sorted((span for spans in edits.values() for span in spans), key=lambda span: span[:2]):
        out += [text[at:start], new]
        at = end
    return "".join(out) + text[at:]


def _holds(text: str, current: dict[str, Any], expected: dict[str, Any]) -> bool:
    """`text` parses to the keys of `current` and the new ones, and the edited keys read as `expected`."""
    try:
        result = load(text)
    except (yaml.YAMLError, ValueError):
        return False
    if result.keys() != current.keys() | expected.keys():
        return False
    return all(_reads_as(key, result[key], value) for key, value in expected.items())
