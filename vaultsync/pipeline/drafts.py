"""Paper notes drafted in the worker that parsed their digest, for the import to take where they fit.

With more than one job a worker parses the next digests (`readahead`) while the import writes the notes of
the one before. Rendering a new paper's note is pure work too, and most of a cold import's: so the worker
also drafts the note of each paper its digest lists, as it would be for a paper new to the vault (the digest
its only listing, dated by its file name), at the path its name gives, linked to its index and topic notes
by their names, not read. The import takes a draft only where what it would render from is exactly that
(same inputs, path, reading state and topic links: `Draft.fits`), and renders the note itself otherwise; a
note already in the vault is merged from the draft's parts, as from its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from vaultsync.flavors import Flavor
from vaultsync.model import Digest
from vaultsync.pipeline.notes import fingerprint
from vaultsync.pipeline.reader import date_from_name
from vaultsync.pipeline.reconcile import Rendered
from vaultsync.pipeline.render import Renderer
from vaultsync.records import merge

_RENDERER: dict[str, Renderer] = {}  # in a worker: the run's renderer, built at its first digest


@dataclass(frozen=True)
class Draft:
    """A paper note rendered ahead: from which inputs (see `_Run.paper`), for which path and topic links."""

    day: date  # of the paper's one listing, in the digest drafted
    record: str  # the paper's record, as the state store keeps it (`StateStore.put_record`)
    inputs: str
    path: str  # where its name puts it (`Layout.paper_path`)
    topics: list[str] | None
    metadata: dict[str, Any]
    managed: str
    text: str  # the note as created: metadata, managed part and the flavor's tail composed

    def fits(self, inputs: str, path: PurePosixPath, read: bool, topics: list[str] | None) -> bool:
        """Whether the import would render this very note: same inputs, path, topic links, and not read."""
        return inputs == self.inputs and not read and topics == self.topics and str(path) == self.path

    def rendered(self, tail: str, retracted: frozenset[Any]) -> Rendered:
        """The draft as the note writer takes a rendered note (`Rendered`)."""
        return Rendered(self.metadata, self.managed, tail, retracted=retracted, composed=self.text)


@dataclass(frozen=True)
class Drafter:
    """How the worker drafts a digest's paper notes: the import's flavor, templates and run fingerprint
    (`_Run.fingerprint`), and whether papers link to topic notes. Sent to the worker with each digest."""

    flavor: Flavor
    template_dirs: tuple[Path, ...]
    author_links: bool
    cssclasses: tuple[str, ...]
    topics: bool
    renderer_fingerprint: str  # the import's renderer's: a template changed since it was built gives no drafts
    fingerprint: str

    @classmethod
    def of(cls, renderer: Renderer, fingerprint: str, topics: bool) -> Drafter:
        """The drafter of an import rendering with `renderer`: `fingerprint` and `topics` as `_Run`'s."""
        return cls(
            renderer.flavor,
            renderer.template_dirs,
            renderer.author_links,
            renderer.cssclasses,
            topics,
            renderer.fingerprint,
            fingerprint,
        )

    def __call__(self, digest: Digest, path: Path) -> dict[str, Draft]:
        """The drafts of the digest's papers, by arXiv id (none where anything fails: the import renders those)."""
        day = date_from_name(path.name)
        drafts: dict[str, Draft] = {}
        try:
            renderer = self._renderer()
            if day is None or renderer.fingerprint != self.renderer_fingerprint:
                return drafts
            layout = self.flavor.layout
            for section in digest.sections:
                for entry in section.entries:
                    if entry.arxiv_id in drafts:
                        continue  # listed twice: its second listing is no new paper's
                    record = merge(None, entry, day, section)
                    note = layout.paper_path(entry.title, entry.arxiv_id, entry.category)
                    topics = (
                        [layout.link_target(layout.topic_path(tag)) for tag in record.tags] if self.topics else None
                    )
                    managed = renderer.paper_body(record, {})
                    metadata = renderer.paper_metadata(record, {}, note, False, topics)
                    text = self.flavor.notes.compose(metadata, managed, self.flavor.paper_tail)
                    data = record.to_json()
                    inputs = fingerprint(self.fingerprint, data, [])
                    stored = json.dumps(data, ensure_ascii=False)
                    drafts[entry.arxiv_id] = Draft(day, stored, inputs, str(note), topics, metadata, managed, text)
        except Exception:  # a template failing on a paper, say: the import renders it and reports that
            return drafts
        return drafts

    def _renderer(self) -> Renderer:
        if self.fingerprint not in _RENDERER:
            _RENDERER.clear()
            _RENDERER[self.fingerprint] = Renderer(
                self.flavor.layout, self.template_dirs, self.flavor, self.author_links, self.cssclasses
            )
        return _RENDERER[self.fingerprint]
