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

from vaultsync.flavors.logseq.page import LogseqPages

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
    # The papers marked DONE and CANCELED (read, or not going to be) come in DONE; the others TODO.
    assert new_digest.count("\t- DONE [[") == 2 and new_digest.count("\t- TODO [[") == 8
    for arxiv_id in again:
        done = "\nread:: true\n" in pages[arxiv_id][0].read_text()
        assert (f"DONE [[{PAGES.split(pages[arxiv_id][0].read_text()).metadata['title']}]]" in new_digest) is done
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


# --- what Logseq writes into the pages itself -------------------------------------------------------------

UUID = "65a9c0de-1b2c-4d5e-8f90-123456789abc"
# UI actions as Logseq writes them into a page file: a block property on the line after the block's first
# line, two spaces past its bullet. (block's first line starts with, property line)
UI_ACTIONS = [
    ("- **Abstract**", "  collapsed:: true\n"),  # collapse the Abstract block
    ("\t- ", f"\t  id:: {UUID}\n"),  # reference the first abstract paragraph: ((65a9c0de-…))
    ("- [arXiv]", "  background-color:: yellow\n"),  # colour the links block
    ("- **Listed in**", "  heading:: true\n"),  # auto heading
    ("\t- [[arXiv 2024-01-18]]", "\t  logseq.order-list-type:: number\n"),  # numbered list
]
REVISION = "We also release a revised version."


def revised_digest(src: Path, corpus: Path, count: int) -> list[str]:
    """Write a digest dated after SET listing `count` papers of 2024-01-18 again, as version 2 with a
    sentence added to the abstract. Returns their arXiv ids."""
    ids = later_digest(src, corpus, "revised", count)
    digest = src / "2024-01-19.md"
    digest.write_text(digest.read_text().replace("v1 [", "v2 [").replace("</p>", f"{REVISION}\n</p>"))
    return ids


def after_block(text: str, start: str, line: str) -> str:
    """`text` with `line` put after the first line starting with `start`."""
    lines = text.splitlines(keepends=True)
    at = next(n for n, old in enumerate(lines) if old.startswith(start))
    return "".join(lines[: at + 1] + [line] + lines[at + 1 :])


def block_of(text: str, line: str) -> str:
    """The first line of the block `line` belongs to (the last line before it starting with a bullet)."""
    lines = text.splitlines()
    return next(old for old in reversed(lines[: lines.index(line.rstrip("\n"))]) if old.lstrip().startswith("- "))


def test_properties_logseq_writes_on_ui_actions_are_no_edits_and_stay_on_their_blocks(corpus, imported, mldoc):
    src, graph = imported
    ids = revised_digest(src, corpus, 3)
    pages = {arxiv_id: paper_pages(graph)[arxiv_id][0] for arxiv_id in ids}
    before = {}
    for arxiv_id, path in pages.items():
        text = path.read_text()
        for start, line in UI_ACTIONS:
            text = after_block(text, start, line)
        path.write_text(text)
        before[arxiv_id] = {line: block_of(text, line) for _, line in UI_ACTIONS}

    summary = import_json(src, graph)

    assert summary["papers"]["updated"] == 3 and summary["papers"]["kept"] == 0
    parsed = parse(mldoc, list(pages.values()))
    for arxiv_id, path in pages.items():
        text = path.read_text()
        assert REVISION in text and "[[arXiv 2024-01-19]]" in text  # the update happened
        for line, block in before[arxiv_id].items():
            assert text.count(line) == 1, line
            if "id::" in line:  # the referenced paragraph changed: the id stays on it, so the reference holds
                assert block_of(text, line).startswith("\t- ") and block_of(text, line).endswith(REVISION)
            else:
                assert block_of(text, line) == block, line
        assert not PAGES.split(text).edited
        page = parsed[str(path)]  # mldoc reads the page: its properties, and one block per bullet at its level
        assert dict(page["properties"])["arxiv-id"] == f"arXiv:{arxiv_id}"
        bullets = [len(line) - len(line.lstrip("\t")) + 1 for line in text.split("\n") if line.lstrip("\t")[:2] == "- "]
        assert [block["level"] for block in page["blocks"]] == bullets
    assert import_json(src, graph)["papers"]["updated"] == 0  # and again: nothing to do


def test_an_edit_of_the_text_next_to_ui_properties_is_still_an_edit(corpus, imported):
    src, graph = imported
    [arxiv_id] = revised_digest(src, corpus, 1)
    [path] = paper_pages(graph)[arxiv_id]
    text = after_block(path.read_text(), "- **Abstract**", "  collapsed:: true\n")
    text = text.replace("\n- **Listed in**", " (my reading of it)\n- **Listed in**", 1)
    path.write_text(text)
    summary = import_json(src, graph)
    assert summary["papers"]["kept"] == 1 and summary["papers"]["updated"] == 0
    assert PAGES.split(path.read_text()).region == PAGES.split(text).region  # the blocks as the user left them


# Property lines Logseq reads in a page's first block whose keys are not ASCII words (mldoc takes any key
# without `:` or spaces, followed by `:: ` and the value or by nothing, and org-mode's `#+key: value`).
USER_PROPERTIES = "état:: lu\n评分:: 5\nréf/source:: [[Some page]]\nn°:: 3\nseen-at::\n#+reading-group: Tuesday\n"


def test_user_properties_logseq_accepts_in_the_first_block_keep_the_page_found(corpus, imported, mldoc):
    src, graph = imported
    [arxiv_id] = revised_digest(src, corpus, 1)
    [path] = paper_pages(graph)[arxiv_id]
    text = path.read_text()
    text = text.replace("\n", "\n" + USER_PROPERTIES, 1)  # after `title::`, before `arxiv-id::`
    path.write_text(text)

    summary = import_json(src, graph)

    assert summary["papers"] == {**summary["papers"], "created": 0, "updated": 1, "deleted": 0}
    assert paper_pages(graph)[arxiv_id] == [path]
    updated = path.read_text()
    assert USER_PROPERTIES in updated and REVISION in updated
    properties = dict(parse(mldoc, [path])[str(path)]["properties"])
    assert properties["état"] == "lu" and properties["评分"] == "5" and properties["reading-group"] == "Tuesday"
    assert properties["arxiv-id"] == f"arXiv:{arxiv_id}"


def test_pages_whose_first_block_logseq_touched_are_still_found_and_updated(corpus, imported, mldoc):
    src, graph = imported
    ids = revised_digest(src, corpus, 4)
    found = paper_pages(graph)
    touched = collapsed, reordered, saved, blank = [found[arxiv_id][0] for arxiv_id in ids]
    collapsed.write_text("collapsed:: true\n" + collapsed.read_text())
    head, body = reordered.read_text().split("\n\n", 1)
    reordered.write_text("\n".join(reversed(head.split("\n"))) + "\n\n" + body)  # vaultsync:: first, title:: last
    saved.write_text(saved.read_text().rstrip("\n"))  # Logseq writes no line end after the last block
    blank.write_text(blank.read_text() + "\n")  # a trailing blank line

    summary = import_json(src, graph)

    assert summary["papers"] == {**summary["papers"], "created": 0, "updated": 4, "kept": 0, "deleted": 0}
    assert collapsed.read_text().startswith("collapsed:: true\ntitle:: ")
    assert reordered.read_text().startswith("vaultsync:: ") and "\ntitle:: " in reordered.read_text()
    assert saved.read_text().endswith("- ## Notes") and blank.read_text().endswith("- ## Notes\n\n")
    assert all(REVISION in path.read_text() for path in touched)
    parsed = parse(mldoc, touched)
    assert [dict(parsed[str(path)]["properties"])["arxiv-id"] for path in touched] == [f"arXiv:{i}" for i in ids]
    assert import_json(src, graph)["papers"]["updated"] == 0


def test_force_regenerates_the_blocks_and_keeps_what_logseq_wrote_into_them(corpus, imported):
    src, graph = imported
    [arxiv_id] = revised_digest(src, corpus, 1)
    [paper] = paper_pages(graph)[arxiv_id]
    text = after_block(paper.read_text(), "- **Abstract**", "  collapsed:: true\n")
    paper.write_text(text.replace("\n- **Listed in**", " (my reading of it)\n- **Listed in**", 1))
    digest = graph / "pages" / "arXiv 2024-01-18.md"
    text = after_block(digest.read_text(), "- ## diffusion", "  collapsed:: true\n")
    digest.write_text(after_block(text, "\t- TODO [[", f"\t  id:: {UUID}\n\t  my line under it\n"))

    summary = import_json(src, graph, "--force")

    assert summary["papers"]["kept"] == 0 and summary["index_notes"]["kept"] == 0
    text = paper.read_text()
    assert "(my reading of it)" not in text and REVISION in text  # regenerated
    assert block_of(text, "  collapsed:: true") == "- **Abstract**"
    text = digest.read_text()
    assert "my line under it" not in text  # --force drops the user's lines in index pages, as documented
    assert block_of(text, "  collapsed:: true") == "- ## diffusion"
    assert block_of(text, f"\t  id:: {UUID}").startswith("\t- TODO [[")
