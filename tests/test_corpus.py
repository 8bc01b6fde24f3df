"""The whole corpus (shared, or the in-repository sample) through the installed CLI: counts, every contract rule
on every note, re-import."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import frontmatter
from conftest import Counts, count, run_cli
from test_names import assert_valid

from vaultsync.flavors.obsidian.notefile import ObsidianNotes
from vaultsync.text import tex

NOTES = ObsidianNotes()

PAPER_KEYS = [
    "title",
    "arxiv_id",
    "arxiv_version",
    "doi",
    "categories",
    "tags",
    "topics",
    "paper_url",
    "pdf_url",
    "code_url",
    "digests",
    "first_seen",
    "read",
    "aliases",
]
LINK = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]*))?\]\]")


def notes(vault: Path, folder: str) -> dict[Path, tuple[dict, str]]:
    return {path: frontmatter.parse(path.read_text()) for path in (vault / "arXiv" / folder).glob("*.md")}


def test_the_shared_corpus_holds_what_its_readme_says(shared_corpus):
    assert count(shared_corpus) == Counts(digests=119, entries=3893, papers=3888, with_papers=85)


def test_counts(corpus_import, corpus_counts):
    vault, summary = corpus_import
    assert summary["errors"] == [] and summary["warnings"] == []
    assert summary["digests_read"] == corpus_counts.digests
    assert summary["papers"]["created"] == corpus_counts.papers
    assert summary["index_notes"]["created"] == corpus_counts.with_papers
    assert len(list((vault / "arXiv" / "Papers").iterdir())) == corpus_counts.papers
    assert len(list((vault / "arXiv" / "Digests").iterdir())) == corpus_counts.with_papers
    assert {path.name for path in vault.iterdir()} == {"arXiv", ".vaultsync"}


def test_every_paper_note_keeps_the_contract(corpus_import, corpus, corpus_counts):
    vault, _ = corpus_import
    titles = {}
    for line in "".join(p.read_text() for p in corpus.glob("*.md")).splitlines():
        m = re.match(r"### Title: (.*?)\.? \(arXiv:(\S+?)v(\d+) \[", line)
        if m:
            titles.setdefault(m[2], {})[int(m[3])] = m[1]
    index_names = {path.stem for path in (vault / "arXiv" / "Digests").glob("*.md")}
    names = set()
    for path, (meta, body) in notes(vault, "Papers").items():
        assert list(meta) == PAPER_KEYS, path
        arxiv_id = meta["arxiv_id"]
        raw = titles[arxiv_id][meta["arxiv_version"]]
        assert meta["title"] == tex.decode(raw) and meta["doi"] == f"10.48550/arXiv.{arxiv_id}"
        former = [
            tex.decode(title) for version, title in sorted(titles[arxiv_id].items()) if version < max(titles[arxiv_id])
        ]
        aliases = dict.fromkeys([arxiv_id, raw, *former])  # the raw title, then those of lower versions
        assert isinstance(arxiv_id, str) and meta["aliases"] == [alias for alias in aliases if alias != meta["title"]]
        assert meta["arxiv_version"] == max(titles[arxiv_id])
        assert meta["tags"] and all(re.fullmatch(r"[a-z0-9_/-]*[a-z_/-][a-z0-9_/-]*", tag) for tag in meta["tags"])
        assert meta["paper_url"].endswith(arxiv_id) and meta["pdf_url"].endswith(arxiv_id)
        assert meta["code_url"] is None or meta["code_url"].startswith("http")
        assert isinstance(meta["first_seen"], date)
        days = [LINK.fullmatch(link)[1] for link in meta["digests"]]
        assert days and set(days) <= index_names and meta["first_seen"].isoformat() in days[0]
        assert re.match(r"%% vaultsync:begin [0-9a-f]{8} %%\n# ", body) and body.endswith(
            "%% vaultsync:end %%\n\n## Notes"
        )
        assert not NOTES.split(path.read_text()).edited
        assert_valid(path.stem)
        names.add(path.stem.casefold())
    assert len(names) == corpus_counts.papers


def test_every_index_line_links_an_existing_paper(corpus_import):
    vault, _ = corpus_import
    papers = {path.stem for path in (vault / "arXiv" / "Papers").glob("*.md")}  # names unique: links are bare
    linked = set()
    for path, (meta, body) in notes(vault, "Digests").items():
        assert list(meta) == ["digest_date", "tags", "paper_count"] and meta["tags"] == ["arxiv-digest"]
        assert path.stem == f"arXiv {meta['digest_date'].isoformat()}"
        lines = [line for line in body.splitlines() if line.startswith("- ")]
        assert all(line.startswith("- [ ] [[") for line in lines)
        targets = [LINK.search(line)[1] for line in lines]
        assert set(targets) <= papers and len(set(targets)) == meta["paper_count"]
        linked |= set(targets)
    assert linked == papers


def test_second_import_changes_nothing(corpus_import, corpus, corpus_counts):
    vault, _ = corpus_import
    before = {p: p.stat().st_mtime_ns for p in vault.rglob("*.md")}
    summary = json.loads(run_cli("import", corpus, vault, "--json", check=True).stdout)
    unchanged = {"created": 0, "updated": 0, "kept": 0, "deleted": 0}
    assert summary["papers"] == {**unchanged, "unchanged": corpus_counts.papers}
    assert summary["index_notes"] == {**unchanged, "unchanged": corpus_counts.with_papers}
    assert {p: p.stat().st_mtime_ns for p in vault.rglob("*.md")} == before
