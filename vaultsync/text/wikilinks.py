"""The one wikilink grammar: how each app writes a link to a note, read, built and retargeted in one place.

    Obsidian   [[target]]   [[target|label]]   [[target#heading|label]]   [[target^block]]
    Logseq     [[page]]     [label]([[page]])

An Obsidian target stops at `|`, `#` or `^` (a heading or block id may follow it, then the label); a Logseq
page name is the whole `[[…]]`, `#`, `^` and `|` included, and a label is a Markdown link around the page
reference (Logseq has no `|`), written escaped as Markdown. A match of `Wikilinks.pattern` has the groups
`target`, `heading` (Obsidian: `#heading` or `^block` as written, else "") and `label` (None without one).

Every reader of links in vaultsync goes through here; writers build links with `Wikilinks.build`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import ClassVar

from vaultsync.text import markup, names

_TARGET_CHARACTER = r"[^\]|#^\n]"  # an Obsidian target ends at `|`, `#`, `^` or `]]`
# `[[` and a target as either app may rewrite it when the user renames a note.
_TARGET = re.compile(rf"\[\[{_TARGET_CHARACTER}*")


def without_targets(text: str) -> str:
    """`text` with the target of every link left out (its `[[` kept): what a rename leaves unchanged."""
    return _TARGET.sub("[[", text)


def any_targets(text: str) -> str:
    """A regular expression matching `text` with any targets in its links: `text` as a rename may leave it."""
    return _TARGET.pattern.join(map(re.escape, _TARGET.split(text)))


class Wikilinks(ABC):
    """One app's link syntax: `pattern` finds a link; `build` writes one; `retarget` points links elsewhere."""

    pattern: ClassVar[re.Pattern[str]]

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Every link in `text`, in order."""
        return self.pattern.finditer(text)

    def search(self, text: str) -> re.Match[str] | None:
        """The first link in `text`, if any."""
        return self.pattern.search(text)

    def parse(self, text: str) -> re.Match[str] | None:
        """`text` read as one whole link, or None if it is not one."""
        return self.pattern.fullmatch(text)

    def target(self, text: str) -> str:
        """The target of `text` if it is one whole link, else `text` as it is."""
        link = self.parse(text)
        return link["target"] if link else text

    def items(self, text: str) -> list[str]:
        """The items of a comma-separated value, as written: a link with a comma in it is one item."""
        return [found[0] for found in re.finditer(rf"(?:{self.pattern.pattern}|[^,])+", text)]

    def build(self, target: str, label: str | None = None) -> str:
        """A link to `target` showing `label` (None or "": the target), the label changed just enough that it
        cannot end the link early."""
        return self._write(target, names.link_label(label) if label else "")

    def retarget(self, text: str, targets: Mapping[str, str]) -> str:
        """`text` with the links whose target is a key of `targets` pointed at its value; only the target
        changes, except that a link without a label that cannot show its old target otherwise gets it as
        its label (Obsidian: `[[old]]` → `[[new|old]]`)."""

        def swap(link: re.Match[str]) -> str:
            old = link["target"]
            if old not in targets:
                return link[0]
            start, end = link.start("target") - link.start(), link.end("target") - link.start()
            new = link[0][:start] + targets[old] + link[0][end:]
            return self._keep_shown(new, old) if targets[old] != old and link["label"] is None else new

        return self.pattern.sub(swap, text)

    @abstractmethod
    def _write(self, target: str, label: str) -> str:
        """A link to `target` showing `label` (a safe one, or "")."""

    def _keep_shown(self, link: str, old: str) -> str:
        """An unlabelled `link`, just retargeted from `old`, made to show what it showed before."""
        return link


class _Obsidian(Wikilinks):
    pattern = re.compile(rf"\[\[(?P<target>{_TARGET_CHARACTER}+)(?P<heading>[^\]|\n]*)(?:\|(?P<label>[^\]\n]*))?\]\]")

    def _write(self, target: str, label: str) -> str:
        """`[[target|label]]`: the label is written even where it is the target, so that when the user renames
        the note (Obsidian rewrites the target only) the link still shows the paper's title."""
        return f"[[{target}|{label}]]" if label else f"[[{target}]]"

    def _keep_shown(self, link: str, old: str) -> str:
        return f"{link[:-2]}|{old}]]"


class _Logseq(Wikilinks):
    pattern = re.compile(
        r"(?:\[(?P<label>(?:\\.|[^\\\]\n])*)\]\()?\[\[(?P<target>[^\]\n]+)\]\](?(label)\))(?P<heading>)"
    )

    def _write(self, target: str, label: str) -> str:
        """`[[page]]`, or `[label]([[page]])` when the label is not the page name."""
        return (
            f"[{markup.logseq(markup.escape(label))}]([[{target}]])" if label and label != target else f"[[{target}]]"
        )


OBSIDIAN: Wikilinks = _Obsidian()
LOGSEQ: Wikilinks = _Logseq()
