"""Merging a re-generated index region into the one in the vault: the user's ticks and lines survive.

Three versions of the region meet: `theirs` (in the note now), `base` (what vaultsync wrote last time,
if known) and `ours` (just rendered). A paper's line is recognised by the paper it links to, not by
its text, so a ticked box (or a Logseq DONE), a comment appended to the line, or a link the app
rewrote after a rename do not hide it. For each paper line of `ours` the result keeps the user's status character and
appended text; lines the user added go after the line they followed; a paper line the user deleted
stays deleted; a line whose generated text the user changed is kept as the user wrote it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

from vaultsync.text.tasks import CHECKBOX, TaskSyntax
from vaultsync.text.wikilinks import any_targets

Identify = Callable[[str], "str | None"]


def _keys(lines: Sequence[str], identify: Identify, tasks: TaskSyntax) -> list[tuple[str, ...]]:
    """A paper line's key is its paper (and which time it is listed); any other line's key is its text."""
    seen: Counter[str] = Counter()
    keys: list[tuple[str, ...]] = []
    for line in lines:
        paper = identify(line) if tasks.line.match(line) else None
        if paper is None:
            keys.append(("line", line))
        else:
            keys.append(("paper", paper, str(seen[paper])))
            seen[paper] += 1
    return keys


def _pairs(a: list[tuple[str, ...]], b: list[tuple[str, ...]]) -> dict[int, int]:
    """Index in `b` of each line of `a` that `b` still has: papers by key, other lines in order."""
    pairs = {
        block.a + n: block.b + n
        for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        for n in range(block.size)
    }
    where = {key: index for index, key in enumerate(b) if key[0] == "paper"}
    taken = set(pairs.values())
    for index, key in enumerate(a):
        if index not in pairs and where.get(key) is not None and where[key] not in taken:
            pairs[index] = where[key]
            taken.add(where[key])
    return pairs


def _suffix(generated: str, line: str, tasks: TaskSyntax) -> str | None:
    """What the user appended to a generated task line, or None if they changed the generated part."""
    match = tasks.line.match(generated)
    assert match
    pattern = (
        re.escape(generated[: match.start("status")]) + tasks.status + any_targets(generated[match.end("status") :])
    )
    found = re.match(pattern, line)
    return line[found.end() :] if found else None


def _merge_line(ours: str, base: str, theirs: str, tasks: TaskSyntax, *, force: bool) -> str:
    mine, old = tasks.line.match(ours), tasks.line.match(theirs)
    if not mine or not old:
        return ours
    suffix = _suffix(base, theirs, tasks) if tasks.line.match(base) else None
    if suffix is None and not force:
        return theirs
    return ours[: mine.start("status")] + old["status"] + ours[mine.end("status") :] + ("" if force else suffix or "")


def merge_region(
    theirs: str, base: str | None, ours: str, identify: Identify, *, force: bool = False, tasks: TaskSyntax = CHECKBOX
) -> str:
    """The index region to write. `base` None: what vaultsync last wrote is unknown (nothing counts as
    deleted). `force`: regenerate every line, keeping only each paper's status. `tasks`: how task
    lines are written (Obsidian checkboxes, Logseq markers)."""
    t_lines, o_lines = theirs.strip("\n").split("\n"), ours.strip("\n").split("\n")
    b_lines = base.strip("\n").split("\n") if base is not None else o_lines
    t_keys, b_keys, o_keys = (_keys(lines, identify, tasks) for lines in (t_lines, b_lines, o_lines))
    t_of_b, b_of_o = _pairs(b_keys, t_keys), {o: b for b, o in _pairs(b_keys, o_keys).items()}

    added: dict[int, list[str]] = defaultdict(list)  # base line → the user's lines after it (-1: at the top)
    b_of_t = {t: b for b, t in t_of_b.items()}
    anchor = -1
    for index, line in enumerate(t_lines):
        if index in b_of_t:
            anchor = b_of_t[index]
        elif not force:
            added[anchor].append(line)
    # Lines of a base line the new render no longer has: kept if the user changed them, after the line before.
    in_ours, anchor = set(b_of_o.values()), -1
    for index, line in enumerate(b_lines):
        if index in in_ours:
            anchor = index
            continue
        kept = [t_lines[t_of_b[index]]] if index in t_of_b and t_lines[t_of_b[index]] != line and not force else []
        added[anchor].extend(kept + added.pop(index, []))

    out = list(added[-1])
    for index, line in enumerate(o_lines):
        b = b_of_o.get(index)
        if b is None:
            out.append(line)
            continue
        if b in t_of_b:
            out.append(_merge_line(line, b_lines[b], t_lines[t_of_b[b]], tasks, force=force))
        elif base is None or force:
            out.append(line)
        out.extend(added[b])
    return "\n".join(out) + "\n"
