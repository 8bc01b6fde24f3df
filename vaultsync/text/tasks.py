"""Task lines of index notes: how each app writes one (a checkbox, a Logseq marker), which paper each links
to and whether it is done, and changing only their status."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from vaultsync.text.markup import LOGSEQ_MARKERS
from vaultsync.text.reading import is_done
from vaultsync.text.wikilinks import LOGSEQ, OBSIDIAN, Wikilinks


@dataclass(frozen=True)
class TaskSyntax:
    """How a task line is written: `line` matches its start, with the status as group `status`;
    `status` matches any status; `link`: the app's link grammar; `done` and `todo`: the statuses vaultsync
    writes for a paper read and one to read."""

    line: re.Pattern[str]
    status: str
    link: Wikilinks
    done: str
    todo: str


CHECKBOX = TaskSyntax(re.compile(r"[ \t]*[-*+] \[(?P<status>[^\]\n])\]"), r"[^\]\n]", OBSIDIAN, "x", " ")  # - [x]
MARKER = TaskSyntax(  # Logseq: - DONE
    re.compile(rf"[ \t]*- (?P<status>{LOGSEQ_MARKERS})(?= )"), LOGSEQ_MARKERS, LOGSEQ, "DONE", "TODO"
)


Task = tuple[str, str, bool]  # a paper line of an index note: link target, shown text, done


def tasks_in(lines: Iterable[str], tasks: TaskSyntax) -> list[Task]:
    """The paper lines among an index note's lines: the task lines that link somewhere."""
    found = []
    for line in lines:
        if "[[" not in line:
            continue
        task, link = tasks.line.match(line), tasks.link.search(line)
        if task and link:
            found.append((link["target"], link["label"] or link["target"], is_done(task["status"])))
    return found


def restatus(text: str, wanted: Callable[[str], bool | None], tasks: TaskSyntax) -> str:
    """`text` with the paper lines whose state is not the one `wanted(link target)` says (None: leave it)
    marked done or to read; only the status changes, the rest of each line (the user's text too) stays."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        task = tasks.line.match(line) if "[[" in line else None
        link = tasks.link.search(line) if task else None
        if not task or not link:
            continue
        want = wanted(link["target"])
        if want is not None and want != is_done(task["status"]):
            status = tasks.done if want else tasks.todo
            lines[number] = line[: task.start("status")] + status + line[task.end("status") :]
    return "\n".join(lines)
