"""Re-importing into a Logseq graph through the installed CLI: the markers, blocks and properties the
user set survive, pages are found by `arxiv-id::` wherever they are, journal blocks are added once."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import new_graph, parse, run_cli, vault_files
from test_reimport import SET, later_digest

from vaultsync.logseq_page import LogseqPages

PAGES = LogseqPages("MMM do, yyyy")


@pytest.fixture
def imported(corpus: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(src, graph): the SET digests copied to src and imported into a new Logseq graph."""
    src, graph = tmp_path / "src", new_graph(tmp_path / "graph")
    src.mkdir()
    for name in SET:
        shutil.copy(corpus / name, src)
    run_cli("import", src, graph, check=True)
    return src, graph


def import_json(*args: object) -> dict:
    return json.loads(run_cli("import", *args, "--json", check=True).stdout)


def paper_pages(graph: Path) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in sorted((graph / "pages").rglob("*.md")):
        parts = PAGES.split(path.read_text())
        if parts and parts.metadata.get("arxiv_id"):
            found.setdefault(str(parts.metadata["arxiv_id"]), []).append(path)
    return found


def test_markers_blocks_and_properties_survive_and_moved_pages_are_followed(corpus, imported):
    src, graph = imported
    digest_page = graph / "pages" / "arXiv 2024-01-18.md"
    lines = digest_page.read_text().split("\n")
    tasks = [n for n, line in enumerate(lines) if line.startswith("\t- TODO ")]
    for n, marker in zip(tasks, ["DONE", "NOW", "CANCELED", "LATER"], strict=False):
        lines[n] = lines[n].replace("TODO", marker, 1)
    lines[tasks[0]] += " — read it twice"
    lines.insert(tasks[1] + 1, "\t  :LOGBOOK:\n\t  CLOCK: [2024-01-18 Thu 10:00:00]\n\t  :END:")
    lines.insert(1 + next(n for n, line in enumerate(lines) if line.startswith("- ## ")), "  collapsed:: true")
    digest_page.write_text("\n".join(lines) + "- My summary of the day\n")
    user_lines = [lines[n] for n in tasks[:4]]

    pages = paper_pages(graph)
    edited = sorted(pages)[:5]
    for arxiv_id in edited:
        [path] = pages[arxiv_id]
        path.write_text(
            path.read_text().replace("vaultsync::", "rating:: 5\nvaultsync::") + f"\t- my note on {arxiv_id}\n"
        )
    (graph / "pages" / "sub").mkdir()
    moved_id = next(iter(sorted(set(pages) - set(edited))))
    moved = graph / "pages" / "sub" / pages[moved_id][0].name
    pages[moved_id][0].rename(moved)

    again = later_digest(src, corpus, "generative models", 10)
    summary = import_json(src, graph)

    assert summary["flavor"] == "logseq" and summary["papers"]["created"] == 0
    text = digest_page.read_text()
    assert all(line in text for line in user_lines) and " — read it twice" in text
    assert "\t  :LOGBOOK:\n\t  CLOCK: [2024-01-18 Thu 10:00:00]\n\t  :END:\n" in text
    assert "  collapsed:: true\n" in text and text.endswith("- My summary of the day\n")
    pages = paper_pages(graph)
    assert all(len(paths) == 1 for paths in pages.values())  # nothing duplicated
    for arxiv_id in edited:
        page = pages[arxiv_id][0].read_text()
        assert "rating:: 5\n" in page and page.endswith(f"- ## Notes\n\t- my note on {arxiv_id}\n")
    for arxiv_id in again:
        parts = PAGES.split(pages[arxiv_id][0].read_text())
        assert "generative-models" in parts.metadata["tags"] and "[[arXiv 2024-01-19]]" in parts.metadata["digests"]
    assert pages[moved_id] == [moved]
    new_digest = (graph / "pages" / "arXiv 2024-01-19.md").read_text()
    assert new_digest.count("\t- TODO [[") == 10
    assert import_json(src, graph)["papers"]["updated"] == 0  # and again: nothing to do


def test_markers_parse_with_mldoc_after_a_re_import(corpus, imported, mldoc):
    src, graph = imported
    page = graph / "pages" / "arXiv 2024-01-18.md"
    page.write_text(page.read_text().replace("\t- TODO ", "\t- DONE ", 3))
    later_digest(src, corpus, "generative models", 3)
    run_cli("import", src, graph, check=True)
    markers = [block["marker"] for block in parse(mldoc, [page])[str(page)]["blocks"] if block["level"] == 2]
    assert markers[:3] == ["DONE"] * 3 and set(markers[3:]) == {"TODO"}


def test_journal_pages_get_one_block_and_keep_everything_else(corpus, imported):
    src, graph = imported
    journal = graph / "journals" / "2024_01_18.md"
    assert journal.read_text() == "- arXiv digest: [[arXiv 2024-01-18]] (42 papers)\n"
    mine = graph / "journals" / "2024_01_19.md"
    mine.write_text("- Morning: read [[Some page]]\n\t- TODO call Ada")
    later_digest(src, corpus, "generative models", 2)
    run_cli("import", src, graph, check=True)
    assert mine.read_text() == (
        "- Morning: read [[Some page]]\n\t- TODO call Ada\n- arXiv digest: [[arXiv 2024-01-19]] (2 papers)\n"
    )
    journal.write_text("- I removed the digest block\n")  # the user removed our block: it stays removed
    before = vault_files(graph)
    run_cli("import", src, graph, "--force", check=True)
    assert vault_files(graph)["journals/2024_01_18.md"] == before["journals/2024_01_18.md"]
    assert len(re.findall(r"arXiv 2024-01-19", mine.read_text())) == 1


def test_flavor_is_detected_and_can_be_chosen(corpus, tmp_path):
    digest = corpus / "2024-01-18.md"
    (tmp_path / "obsidian" / ".obsidian").mkdir(parents=True)
    assert run_cli("import", digest, tmp_path / "obsidian", check=True).stdout.startswith(
        "Obsidian vault (found .obsidian/)"
    )
    assert (tmp_path / "obsidian" / "arXiv" / "Digests" / "arXiv 2024-01-18.md").exists()
    result = run_cli("import", digest, tmp_path / "plain", "--flavor", "logseq", check=True)
    assert (
        result.stdout.startswith("Logseq graph (--flavor)") and (tmp_path / "plain/pages/arXiv 2024-01-18.md").exists()
    )
    result = run_cli("import", digest, tmp_path / "x", "--flavor", "roam")
    assert result.returncode == 2 and "unknown flavor 'roam'" in result.stderr


def test_obsidian_and_logseq_notes_never_mix_in_one_folder(corpus, imported):
    src, graph = imported
    result = run_cli("import", src, graph, "--flavor", "obsidian")
    assert (
        result.returncode == 1
        and "holds logseq notes written by vaultsync — import with --flavor logseq" in result.stderr
    )
    assert not (graph / "arXiv").exists()
