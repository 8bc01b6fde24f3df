"""The text of a generated note: YAML frontmatter, a managed region between comment markers, the user's part.

    ---
    <frontmatter: the contract keys, and any keys the user added>
    ---
    %% vaultsync:begin %%
    <rendered by vaultsync>
    %% vaultsync:end %%
    <the user's: kept as it is>

`%% … %%` is an Obsidian comment: the markers are invisible in reading view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import frontmatter
import yaml

BEGIN = "%% vaultsync:begin %%"
END = "%% vaultsync:end %%"
_FRONTMATTER = re.compile(r"\A---[ \t]*\n(?:.*?\n)??---[ \t]*(?:\n|\Z)", re.DOTALL)
_REGION = re.compile(
    r"^" + re.escape(BEGIN) + r"[ \t]*\n(?P<managed>.*?)^" + re.escape(END) + r"[ \t]*(?:\n|\Z)", re.DOTALL | re.M
)


class _Dumper(yaml.SafeDumper):
    """Obsidian's own style: list items indented under their key, double quotes where quotes are needed."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def dump_frontmatter(metadata: dict[str, Any]) -> str:
    """`---` YAML `---` lines for `metadata`, in its key order; any string value parses back unchanged."""
    text = yaml.dump(
        metadata, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=float("inf")
    )
    return f"---\n{text}---\n"


def compose(metadata: dict[str, Any], managed: str, tail: str = "") -> str:
    """A whole new note."""
    return dump_frontmatter(metadata) + _region(managed) + tail


def _region(managed: str) -> str:
    managed = managed.strip("\n")
    return f"{BEGIN}\n{managed}\n{END}\n" if managed else f"{BEGIN}\n{END}\n"


@dataclass(frozen=True)
class NoteParts:
    """An existing note cut at the frontmatter and the managed region."""

    metadata: dict[str, Any]
    before: str  # between the frontmatter and the region
    managed: str
    after: str


def split(text: str) -> NoteParts | None:
    """The parts of a note written by vaultsync, or None if its frontmatter or markers are not intact."""
    head = _FRONTMATTER.match(text)
    if not head:
        return None
    try:
        metadata, _ = frontmatter.parse(text)
    except yaml.YAMLError:
        return None
    regions = list(_REGION.finditer(text, head.end()))
    if len(regions) != 1 or text.count(BEGIN) != 1 or text.count(END) != 1:
        return None
    region = regions[0]
    return NoteParts(dict(metadata), text[head.end() : region.start()], region["managed"], text[region.end() :])


def update(parts: NoteParts, managed_keys: dict[str, Any], managed: str) -> str:
    """The note with its managed keys and region replaced; the user's keys, their order and text kept."""
    metadata = dict(parts.metadata)
    metadata.update(managed_keys)
    return dump_frontmatter(metadata) + parts.before + _region(managed) + parts.after
