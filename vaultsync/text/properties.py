"""Frontmatter as text: edits that leave the user's lines byte for byte (the one YAML editor).

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

Values are written in vaultsync's style (`yaml_style`), over the text `yaml_spans` finds; lists are edited
in their own shape by `yaml_lists`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import yaml

from vaultsync.text.yaml_lists import in_commas, in_list
from vaultsync.text.yaml_spans import LOADER, Entry, Span, entries, line_end, same_text, value_span
from vaultsync.text.yaml_style import SPLIT, block, dump, flow, load, reads_as, same, scalar

_LEAVE_LIST = "an item vaultsync would change is not on one line of its own, or has a comment"
_LEAVE_VALUE = "its value is written over lines vaultsync would rewrite (a block, a comment inside it)"


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
        by_key, shape = entries(text)
    except yaml.YAMLError:
        by_key, shape = {}, "vaultsync cannot read the frontmatter line by line"
    edits: dict[str, list[Span]] = {}
    left: dict[str, str] = {}
    after = 0  # where a new key goes: after the last key of `values` the text has so far
    for key, value in values.items():
        found = by_key.get(key, [])
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
    accepted: dict[str, list[Span]] = {}  # rare: find the keys whose edits hold, one by one
    for key, spans in edits.items():
        trial = {**accepted, key: spans}
        if _holds(_apply(text, trial), current, {key: changed[key] for key in trial}):
            accepted[key] = spans
        else:
            left[key] = "vaultsync cannot change it without changing other lines"
    return Edit(_apply(text, accepted), left)


def _why_not(text: str, present: bool, found: list[Entry]) -> str | None:
    """Why a key cannot be edited on its own lines, or None."""
    if not present:
        return None
    if len(found) > 1:
        return "it is written more than once; keep one for vaultsync to update it"
    if not found or not found[0].plain:
        return "it is not written as a plain `key: value` entry"
    try:
        tokens = list(yaml.scan(text[found[0].start : found[0].end], Loader=LOADER))
    except yaml.YAMLError:
        return "vaultsync cannot read it line by line"
    if any(isinstance(token, yaml.AnchorToken | yaml.AliasToken) for token in tokens):
        return "it uses a YAML anchor or alias (`&`, `*`)"
    return None


def _says(key: str, node: yaml.Node, parsed: Any, value: Any) -> bool:
    """The user's value reads as ours, or its text is ours where YAML types it otherwise."""
    if reads_as(key, parsed, value):
        return True
    if isinstance(node, yaml.ScalarNode):
        return same_text(node, value)
    if isinstance(node, yaml.SequenceNode) and isinstance(value, list) and len(node.value) == len(value):
        pairs = zip(node.value, parsed, value, strict=True)
        return all(same(mine, ours) or same_text(item, ours) for item, mine, ours in pairs)
    return False


def _replace(text: str, entry: Entry, key: str, parsed: Any, value: Any) -> list[Span] | str:
    """The spans setting an existing key to `value` in the user's shape of it, each over the key's value
    text or between its lines, never over a comment or a line of the user's; or why it cannot be."""
    node = entry.node
    if isinstance(value, list) and isinstance(node, yaml.SequenceNode):
        return in_list(text, entry, parsed, value) or _LEAVE_LIST
    if isinstance(value, list) and isinstance(parsed, str) and key in SPLIT:
        found = in_commas(text, node, key, parsed, value)
        return [found] if found else "it is a comma-separated list the new items do not fit in"
    span = None if isinstance(value, dict) else value_span(text, node)
    if span is None:
        return _LEAVE_VALUE
    start, end = span
    space = " " if start == end and text[start - 1] not in " \t" else ""  # after `key:` with no value
    lines = [block(item) for item in value] if isinstance(value, list) else []
    if start == end and lines and None not in lines:  # `key:` with no value gains a block list
        at = line_end(text, start)
        return [(at, at, "".join(f"  - {line}\n" for line in lines))]
    new = "[" + ", ".join(map(flow, value)) + "]" if isinstance(value, list) else scalar(key, value)
    return _LEAVE_VALUE if new is None else [(start, end, space + new)]


def _apply(text: str, edits: dict[str, list[Span]]) -> str:
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
    return all(reads_as(key, result[key], value) for key, value in expected.items())
