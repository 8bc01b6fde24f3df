"""A list property set to new items in the user's own shape of it: a block list keeps its indentation, a flow
list `[…]` its separator, a comma-separated string (`tags: a, b`) gains items after a comma. Items kept stay
with their lines and comments, new ones go next to them, a changed one is rewritten over its value only, and
one that goes takes its line (or its comma) only when no comment is on it; else no edit (None)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

import yaml

from vaultsync.text.yaml_spans import Entry, Span, dash, line_end, line_start, one_line, same_text, value_span
from vaultsync.text.yaml_style import LINE_BREAK, SPLIT, block, flow, items, same

_FIT_IN_COMMAS = re.compile(r"[\w./-]+")
_BETWEEN_ITEMS = re.compile(r"[\s,]*")  # between flow items: separators, no comment


def in_list(text: str, entry: Entry, parsed: list[Any], value: list[Any]) -> list[Span] | None:
    """The spans making the key's list `value` in its own style: items it keeps stay with their lines and
    comments, new ones are added next to them, a changed one is rewritten over its value only, a removed
    one goes with its line (block) or separator (flow); None if that would take a comment or a multi-line
    item."""
    node = entry.node
    old, is_flow = node.value, bool(node.flow_style)
    if not isinstance(parsed, list) or len(parsed) != len(old):
        return None  # not a list item for item (a tag of its own)
    if not value and not is_flow:  # no block list is empty: its lines go, `[]` follows the key
        spans = [_block_remove(text, item) for item in old]
        return None if None in spans else [*spans, (entry.colon, entry.colon, " []")]  # type: ignore[list-item]
    ours = [next(j for j, other in enumerate(value) if same(other, item)) for item in value]
    mine = [
        next((ours[j] for j, new in enumerate(value) if same(was, new) or same_text(item, new)), -1 - i)
        for i, (item, was) in enumerate(zip(old, parsed, strict=True))
    ]
    spans: list[Span | None] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, mine, ours, autojunk=False).get_opcodes():
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        if op == "equal":
            continue
        spans += [_item(text, old[i1 + k], value[j1 + k], is_flow) for k in range(paired)]
        if j1 + paired < j2:
            spans.append((_flow_add if is_flow else _block_add)(text, node, i2, value[j1 + paired : j2]))
        if i1 + paired < i2 and is_flow:
            spans.append(_flow_remove(text, node, i1 + paired, i2))
        elif i1 + paired < i2:
            spans += [_block_remove(text, item) for item in old[i1 + paired : i2]]
    return None if None in spans else spans  # type: ignore[return-value]


def _item(text: str, item: yaml.Node, value: Any, is_flow: bool) -> Span | None:
    """`item` of a list rewritten as `value`, over its value text only (a comment after it stays)."""
    span, new = value_span(text, item), flow(value) if is_flow else block(value)
    if span is None or new is None:
        return None
    space = " " if span[0] == span[1] and text[span[0] - 1] not in " \t" else ""  # a `-` with no value
    return span[0], span[1], space + new


def _block_add(text: str, node: yaml.SequenceNode, at: int, values: list[Any]) -> Span | None:
    """Lines for `values` before the block list's item `at` (after its last one if none), in its indentation."""
    item = node.value[min(at, len(node.value) - 1)]
    lead, lines = dash(text, item), [block(value) for value in values]
    if lead is None or None in lines:
        return None
    if at < len(node.value):
        where = line_start(text, item.start_mark.index)
    else:  # after the last item's value and the rest of its line
        start, end = value_span(text, item) or (item.start_mark.index, item.end_mark.index)
        where = line_end(text, max(start, end - 1))
    return where, where, "".join(f"{lead}{line}\n" for line in lines)


def _block_remove(text: str, item: yaml.Node) -> Span | None:
    """The line of a block list's `item` taken out, if it holds that one-line item and no comment."""
    span = value_span(text, item)
    if span is None or dash(text, item) is None or LINE_BREAK.search(text, *span):
        return None
    end = line_end(text, span[1])
    return (line_start(text, span[0]), end, "") if not text[span[1] : end].strip() else None


def _flow_add(text: str, node: yaml.SequenceNode, at: int, values: list[Any]) -> Span:
    """`values` added to a flow list `[…]` before its item `at` (at its end if none), after its separator."""
    old = node.value
    gap = text[old[0].end_mark.index : old[1].start_mark.index] if len(old) > 1 else ", "
    gap = gap if re.fullmatch(r"[ \t]*,[ \t]*", gap) else ", "
    if at < len(old):
        where = old[at].start_mark.index
        return where, where, "".join(flow(value) + gap for value in values)
    if old:
        where = old[-1].end_mark.index
        return where, where, "".join(gap + flow(value) for value in values)
    where = node.start_mark.index + 1  # `[ ]`: inside the brackets, over any spaces there
    end = re.compile(r"[ \t]*").match(text, where).end()  # type: ignore[union-attr]
    return where, end, gap.join(map(flow, values))


def _flow_remove(text: str, node: yaml.SequenceNode, first: int, stop: int) -> Span | None:
    """The items first..stop-1 of a flow list taken out with the separator next to them, if what goes holds
    only those items, commas and white space (no comment)."""
    old, removed = node.value, node.value[first:stop]
    if stop < len(old):
        start, end = old[first].start_mark.index, old[stop].start_mark.index
    else:
        start, end = old[first - 1].end_mark.index if first else old[0].start_mark.index, old[-1].end_mark.index
    if any(value_span(text, item) != (item.start_mark.index, item.end_mark.index) for item in removed):
        return None
    bounds = [start, *(mark for item in removed for mark in (item.start_mark.index, item.end_mark.index)), end]
    rest = "".join(text[a:b] for a, b in zip(bounds[::2], bounds[1::2], strict=True))
    return (start, end, "") if _BETWEEN_ITEMS.fullmatch(rest) else None


def in_commas(text: str, node: yaml.Node, key: str, parsed: str, value: list[Any]) -> Span | None:
    """`tags: a, b` with the items of `value` it lacks added after the same separator (`a, b, c`); None if
    they cannot be (not one line, not only added items, an item that would not read back as one)."""
    had = items(key, parsed)
    new = [str(item) for item in value[len(had) :]]
    if not one_line(text, node) or not same(had, value[: len(had)]) or not all(map(_FIT_IN_COMMAS.fullmatch, new)):
        return None
    found = re.search(r"[ \t]*,[ \t]*", node.value) or (SPLIT[key].fullmatch(" ") and re.search(r"\s+", node.value))
    gap = found[0] if found else ", "
    at = node.end_mark.index - bool(node.style)  # inside a closing quote
    return at, at, gap * bool(had) + gap.join(new)
