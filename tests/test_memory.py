"""The shape of what an import keeps for its whole run: nothing that grows by a path object or a name string
per note where a string key or a hash does (a cold import of 100,000 papers must stay within 150 MB)."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import pytest

import vaultsync
from vaultsync.pipeline import run
from vaultsync.summary import Outcome


def reachable(roots: Iterable[object]) -> list[object]:
    """Every object reachable from `roots` (by the references the garbage collector knows)."""
    seen: dict[int, object] = {}
    todo = list(roots)
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen[id(item)] = item
        todo.extend(gc.get_referents(item))
    return list(seen.values())


@pytest.fixture(scope="module")
def finished_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[run._Run, dict[int, str]]:
    """A cold import of the corpus: its `_Run` at the end, and its link index as the digests left it."""
    caught: list[tuple[run._Run, dict[int, str]]] = []
    finish = run._Run.finish

    def catch(self: run._Run, report: vaultsync.summary.DigestReport) -> None:
        caught.append((self, self.links.papers_by_link))  # the reading sync has no use for it: dropped then
        finish(self, report)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run._Run, "finish", catch)
        summary = vaultsync.import_digests(corpus, tmp_path_factory.mktemp("memory") / "vault", jobs=1)
    assert summary.ok and summary.papers[Outcome.CREATED] > 300
    return caught[0]


def test_the_runs_note_maps_hold_no_path_object_per_note(finished_run):
    writer = finished_run[0].writer
    paths = [item for item in reachable([writer.tally.notes, writer.merged]) if isinstance(item, PurePosixPath)]
    assert len(writer.tally.notes) > 300 and len(writer.merged) > 300 and paths == []
    note = next(iter(writer.tally.notes))
    assert writer.tally.outcome(PurePosixPath(note)) == Outcome.CREATED and PurePosixPath(note) in writer.merged


def test_names_and_links_are_kept_by_hash_not_as_strings(finished_run):
    """The link index (its values are arXiv ids), the vault's shared names and its folders' names: a string
    each only where a name is shared or a folder's spelling was asked for (neither in a cold import)."""
    (finished, papers_by_link) = finished_run
    links, vault = finished.links, finished.vault
    assert len(papers_by_link) > 900 and sum(links.names.counts.values()) > 300
    in_links = {item for item in reachable([papers_by_link]) if isinstance(item, str)}
    assert in_links == set(papers_by_link.values())  # the arXiv ids only
    names = [links.names.counts, links.names.shared, vault._names.keys, vault._names.spellings]
    assert len([item for item in reachable(names) if isinstance(item, str)]) < 10  # the folders' names


def test_the_changes_are_a_list_of_pairs_without_a_tuple_kept_per_note(finished_run):
    changes = finished_run[0].summary.changes
    assert len(changes) > 300 and changes == list(changes) and changes[0] in changes
    assert changes[0] == (Outcome.CREATED, next(iter(finished_run[0].writer.tally.notes)))
    assert [item for item in reachable([changes]) if isinstance(item, tuple)] == []
