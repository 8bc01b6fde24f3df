"""The vault imported from every real digest (shared, or the in-repository sample), as a real Obsidian reader
(obsidiantools) sees it: its link graph, backlinks, frontmatter and tags, checked against the digests themselves."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import networkx as nx
import obsidiantools.api as otools
import pytest
from conftest import REPO, run_cli
from test_corpus import PAPER_KEYS

TAG = re.compile(r"[\w/-]*[^\W\d][\w/-]*")  # FORMATS.md: letters, digits, `_`, `-`, `/`; one non-digit
LISTED = re.compile(r"\(arXiv:(\S+?)v\d+ \[")


@pytest.fixture(scope="module")
def reader(corpus_import) -> otools.Vault:
    vault, _ = corpus_import
    return otools.Vault(vault).connect()


@pytest.fixture(scope="module")
def listings(corpus: Path) -> dict[str, set[str]]:
    """The index note names that should list each arXiv id, straight from the digest files."""
    listed = defaultdict(set)
    for digest in corpus.glob("*.md"):
        for arxiv_id in LISTED.findall(digest.read_text()):
            listed[arxiv_id].add(f"arXiv {digest.stem}")
    return listed


def papers(reader: otools.Vault) -> dict[str, str]:
    """Paper notes by arXiv id: their names as the reader knows them."""
    return {
        meta["arxiv_id"]: name
        for name, meta in reader.front_matter_index.items()
        if reader.md_file_index[name].parts[:2] == ("arXiv", "Papers")
    }


def test_every_link_resolves_and_every_note_is_linked(reader, corpus_counts):
    # papers, index notes, the reading queue, a topic note per tag
    tags = {tag for meta in reader.front_matter_index.values() if "arxiv_id" in meta for tag in meta["tags"]}
    assert len(reader.md_file_index) == corpus_counts.papers + corpus_counts.with_papers + 1 + len(tags)
    assert reader.nonexistent_notes == []
    # Topic notes are linked by the papers' `topics` property, which obsidiantools does not read (Obsidian does:
    # see test_the_graph_clusters_by_topic_not_by_day); every other note is linked in its text.
    assert sorted(reader.isolated_notes) == sorted(tags)
    for name, path in reader.md_file_index.items():
        if path.parts[:2] == ("arXiv", "Digests"):
            assert reader.wikilinks_index[name], name
            assert set(reader.wikilinks_index[name]) <= set(reader.md_file_index), name


def test_every_paper_is_backlinked_from_each_index_note_listing_it(reader, listings):
    by_id = papers(reader)
    assert set(by_id) == set(listings)
    for arxiv_id, name in by_id.items():
        index_notes = {note for note in reader.backlinks_index[name] if note.startswith("arXiv ")}
        assert index_notes == listings[arxiv_id], name
        assert set(reader.wikilinks_index[name]) == listings[arxiv_id], name  # its "Listed in"


def test_paper_frontmatter_and_tags_as_the_contract_says(reader, listings):
    for arxiv_id, name in papers(reader).items():
        meta = reader.front_matter_index[name]
        assert list(meta) == PAPER_KEYS, name
        assert meta["aliases"][0] == arxiv_id and meta["paper_url"].endswith(arxiv_id)
        assert meta["tags"] and all(TAG.fullmatch(tag) for tag in meta["tags"]), name
        assert {link.strip("[]") for link in meta["digests"]} == listings[arxiv_id], name
        assert reader.tags_index[name] == []  # no `#word` of an abstract became a tag


def test_a_name_the_vault_already_has_is_linked_by_its_folder(tmp_path):
    """Obsidian's "shortest path when possible": by name, unless another note has the name."""
    vault, mine = tmp_path / "vault", tmp_path / "vault" / "Reading"
    mine.mkdir(parents=True)
    (mine / "Fixed Point Diffusion Models.md").write_text("my notes on it\n")
    (mine / "arXiv 2024-01-18.md").write_text("my day\n")
    run_cli("import", REPO / "examples" / "digests", vault, check=True)

    index = (vault / "arXiv" / "Digests" / "arXiv 2024-01-18.md").read_text()
    assert "[[arXiv/Papers/Fixed Point Diffusion Models|Fixed Point Diffusion Models]]" in index
    assert "- [ ] [[One-Step Diffusion Distillation via Deep Equilibrium Models|One-Step" in index
    paper = (vault / "arXiv" / "Papers" / "Fixed Point Diffusion Models.md").read_text()
    assert '  - "[[arXiv/Digests/arXiv 2024-01-18]]"\n' in paper and "- [[arXiv/Digests/arXiv 2024-01-18]] · " in paper
    queue = (vault / "arXiv" / "Reading queue.md").read_text()
    assert "[[arXiv/Papers/Fixed Point Diffusion Models|" in queue
    reader = otools.Vault(vault).connect()
    assert reader.nonexistent_notes == []
    assert reader.backlinks_index["Reading/Fixed Point Diffusion Models"] == []
    assert "arXiv/Digests/arXiv 2024-01-18" in reader.backlinks_index["arXiv/Papers/Fixed Point Diffusion Models"]
    assert {path.name: path.read_text() for path in mine.iterdir()} == {
        "Fixed Point Diffusion Models.md": "my notes on it\n",
        "arXiv 2024-01-18.md": "my day\n",
    }


def test_the_graph_clusters_by_topic_not_by_day(reader):
    """Obsidian's graph, as Obsidian counts it: links in the text (obsidiantools) and links in properties
    (`digests`, `topics`; obsidiantools leaves them out), tags not counted, the reading queue left out."""
    graph = nx.Graph(reader.graph)
    link = re.compile(r"\[\[([^\]|#^]+)")
    for name, meta in reader.front_matter_index.items():
        for key in ("digests", "topics"):
            for value in meta.get(key) or []:
                graph.add_edge(name, link.match(value)[1].rsplit("/", 1)[-1])
    graph.remove_node("Reading queue")
    topics = {name for name in graph if reader.md_file_index[name].parts[:2] == ("arXiv", "Topics")}
    assert topics and all(reader.front_matter_index[name]["tags"] == ["arxiv-topic"] for name in topics)
    assert nx.number_connected_components(graph) <= 5
    busiest = max((graph.degree(name), name) for name in graph if name not in topics)
    assert busiest[0] <= 400, busiest
    assert max(graph.degree(name) for name in topics) > 400 or len(graph) < 1000  # topics are the hubs
    without = graph.copy()
    without.remove_nodes_from(topics)
    assert nx.number_connected_components(without) > nx.number_connected_components(graph)
