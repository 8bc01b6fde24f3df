"""The two kinds of vault vaultsync writes, each a `Flavor`: an Obsidian vault and a Logseq graph."""

from __future__ import annotations

from pathlib import Path

from vaultsync.flavors.base import Flavor, NoteFormat
from vaultsync.flavors.layout import Layout
from vaultsync.flavors.logseq import Logseq
from vaultsync.flavors.logseq.graph import Journal
from vaultsync.flavors.obsidian import Obsidian

__all__ = ["FLAVORS", "KINDS", "Flavor", "Journal", "Logseq", "NoteFormat", "Obsidian", "resolve"]

_CLASSES: dict[str, type[Flavor]] = {flavor.name: flavor for flavor in (Obsidian, Logseq)}
FLAVORS = tuple(_CLASSES)
KINDS = {name: flavor.kind for name, flavor in _CLASSES.items()}


def resolve(name: str, vault: Path, layout: Layout) -> tuple[Flavor, str]:
    """The flavor called `name` ("auto": the vault's own — Logseq if it is a graph, else Obsidian), and
    why it was chosen."""
    if name == "auto":
        for flavor in (Logseq, Obsidian):
            reason = flavor.detect(vault)
            if reason:
                return flavor.open(vault, layout), reason
        return Obsidian.open(vault, layout), "the default"
    if name not in _CLASSES:
        raise ValueError(f"unknown flavor {name!r}: give obsidian, logseq or auto")
    return _CLASSES[name].open(vault, layout), "--flavor"
