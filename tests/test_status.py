"""`vaultsync status` on real imported vaults (Obsidian and Logseq): the counts a user asks for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frontmatter
from conftest import deny_reading, new_graph, run_cli
from test_reimport import later_digest

from vaultsync.flavors.layout import Layout
from vaultsync.flavors.obsidian import QUEUE_BASE_TEMPLATE
from vaultsync.pipeline.render import QUEUE_LIST, Renderer

SET = ["2022-07-11.md", "2023-01-09.md", "2024-01-18.md"]


def imported(corpus: Path, vault: Path) -> Path:
    src = vault.parent / "src"
    src.mkdir(exist_ok=True)
    for name in SET:
        shutil.copy(corpus / name, src)
    run_cli("import", src, vault, check=True)
    return src


def status(vault: Path) -> dict:
    return json.loads(run_cli("status", vault, "--json", check=True).stdout)


def test_status_counts_papers_digests_queue_tags_and_the_users_changes(corpus, tmp_path):
    vault = tmp_path / "vault"
    src = imported(corpus, vault)
    first = status(vault)
    papers = len(list((vault / "arXiv" / "Papers").glob("*.md")))
    assert first["flavor"] == "obsidian" and first["papers"] == papers and first["digests"] == 3
    assert (first["first_digest"], first["last_digest"]) == ("2022-07-11", "2024-01-18")
    assert first["to_read"] == papers and first["read"] == 0 and first["last_import"]
    assert sum(first["tags"].values()) >= papers and first["tags"]["diffusion"] > 0

    index = vault / "arXiv" / "Digests" / "arXiv 2024-01-18.md"
    index.write_text(index.read_text().replace("- [ ] ", "- [x] ", 3))  # three papers read
    by_id = {frontmatter.load(note)["arxiv_id"]: note for note in (vault / "arXiv" / "Papers").glob("*.md")}
    again = later_digest(src, corpus, "generative models", 2)  # lists two papers of 2024-01-18 again
    edited = by_id[again[1]]
    edited.write_text(edited.read_text().replace("## Abstract", "## Abstract, in my words"))
    gone = next(note for note in by_id.values() if "2022-07-11" in note.read_text())
    gone.unlink()
    run_cli("import", src, vault, check=True)
    after = status(vault)
    assert after["digests"] == 4 and after["last_digest"] == "2024-01-19"
    assert after["papers"] == papers - 1 and after["deleted_by_you"] == 1 and after["kept_edited"] == 1
    assert after["read"] == 3 and after["to_read"] == papers - 1 - 3


def test_status_reads_logseq_markers(corpus, tmp_path):
    graph = new_graph(tmp_path / "graph")
    imported(corpus, graph)
    page = graph / "pages" / "arXiv 2024-01-18.md"
    page.write_text(page.read_text().replace("\t- TODO ", "\t- DONE ", 2).replace("\t- TODO ", "\t- NOW ", 1))
    result = status(graph)
    assert result["flavor"] == "logseq" and result["read"] == 2 and result["to_read"] == result["papers"] - 2


def test_a_tick_on_a_logseq_page_whose_name_has_a_caret_is_read_whole_and_kept(corpus, tmp_path):
    graph = new_graph(tmp_path / "graph")
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(corpus / "2024-01-18.md", src)  # a caret is left in math only (`C\^ote` is decoded to Côte)
    run_cli("import", src, graph, check=True)
    page = graph / "pages" / "arXiv 2024-01-18.md"
    line = "\t- TODO [[SM$^3$: Self-Supervised Multi-task Modeling with Multi-view 2D Images for Articulated Objects]]"
    assert line in page.read_text()
    page.write_text(page.read_text().replace(line, line.replace("TODO", "DONE")))
    assert status(graph)["read"] == 1
    run_cli("import", src, graph, "--force", check=True)  # regenerates every line, keeping each paper's status
    assert line.replace("TODO", "DONE") in page.read_text() and status(graph)["read"] == 1


def test_status_of_a_folder_without_imports_is_one_line(tmp_path):
    result = run_cli("status", tmp_path)
    assert result.returncode == 2 and "nothing imported here yet" in result.stderr


def test_the_reading_queue_lists_each_unread_paper_once_newest_first_and_can_be_turned_off(corpus, tmp_path):
    vault = tmp_path / "vault"
    src = imported(corpus, vault)
    queue = vault / "arXiv" / "Reading queue.md"
    papers = sorted((vault / "arXiv" / "Papers").glob("*.md"))
    text = queue.read_text()
    assert f"Papers to read: {len(papers)}, newest first." in text
    assert (
        '```dataview\nTABLE first_seen AS "First seen", tags AS "Tags", code_url AS "Code" FROM "arXiv/Papers"'
        " WHERE !read SORT first_seen DESC, file.name ASC\n```"
    ) in text
    links = [line for line in text.splitlines() if line.startswith("- [[")]
    newest = max(frontmatter.load(path)["first_seen"] for path in papers)
    assert len(links) == QUEUE_LIST and all(line.endswith(f" · {newest}") for line in links)
    index = vault / "arXiv" / "Digests" / "arXiv 2024-01-18.md"
    ticked = [line for line in index.read_text().splitlines() if line.startswith("- [ ] ")][:2]
    index.write_text(index.read_text().replace("- [ ] ", "- [x] ", 2))
    note = vault / "arXiv" / "Papers" / (links[-1][4:].split("|")[0] + ".md")  # one of the newest
    note.write_text(note.read_text().replace("\nread: false\n", "\nread: true\n"))
    queue.write_text(queue.read_text() + "My reading plan.\n")
    run_cli("import", src, vault, check=True)  # nothing new: the ticks and `read` alone update the queue
    text = queue.read_text()
    assert f"Papers to read: {len(papers) - 3}, newest first." in text and text.endswith("My reading plan.\n")
    assert links[-1] not in text and not any(line[len("- [ ] ") :].split(" · ")[0] in text for line in ticked)
    assert status(vault)["to_read"] == len(papers) - 3 and status(vault)["read"] == 3
    base = vault / "arXiv" / "Reading queue.base"
    assert base.read_text() == Renderer(Layout()).render(
        QUEUE_BASE_TEMPLATE, queue={"papers_folder": Layout().papers_folder}
    )

    off = tmp_path / "off"
    (off / ".vaultsync").mkdir(parents=True)
    (off / ".vaultsync" / "config.toml").write_text("reading_queue = false\n")
    run_cli("import", src, off, check=True)
    assert not (off / "arXiv" / "Reading queue.md").exists() and not (off / "arXiv" / "Reading queue.base").exists()


def test_the_reading_queue_base_is_yaml_with_the_documented_keys_and_an_edited_one_is_the_users(corpus, tmp_path):
    import yaml

    vault = tmp_path / "vault"
    src = imported(corpus, vault)
    base = vault / "arXiv" / "Reading queue.base"
    data = yaml.safe_load(base.read_text())
    assert data["filters"] == {"and": ['file.inFolder("arXiv/Papers")', "read != true"]}
    newest, by_tag = data["views"]
    for view in (newest, by_tag):
        assert view["type"] == "table" and view["sort"] == [{"property": "first_seen", "direction": "DESC"}]
        assert view["order"][:2] == ["file.name", "first_seen"]
    assert by_tag["groupBy"] == {"property": "tags", "direction": "ASC"} and "groupBy" not in newest
    mine = base.read_text().replace("name: By tag", "name: Mine")
    base.write_text(mine)
    run_cli("import", src, vault, "--force", check=True)
    assert base.read_text() == mine  # edited: the user's from now on
    base.unlink()
    run_cli("import", src, vault, "--force", check=True)
    assert not base.exists()  # deleted: stays deleted


def test_a_damaged_or_missing_state_store_is_one_error_line_and_the_next_import_rebuilds_it(corpus, tmp_path):
    from test_state import damage_in_the_middle

    vault = tmp_path / "vault"
    src = imported(corpus, vault)
    expected = status(vault)
    damage_in_the_middle(vault)
    for args in ([], ["--json"]):
        result = run_cli("status", vault, *args)
        assert (result.returncode, result.stdout) == (1, ""), result.stderr
        assert result.stderr.startswith(f"Error: the state store {vault / '.vaultsync' / 'state.sqlite'} is damaged (")
        assert result.stderr.endswith(" — the next `vaultsync import` rebuilds it from the notes\n")
        assert len(result.stderr.splitlines()) == 1
    run_cli("import", src, vault, check=True)
    assert status(vault) | {"last_import": None} == expected | {"last_import": None}

    shutil.rmtree(vault / ".vaultsync")
    notes = expected["papers"] + expected["digests"]
    for args in ([], ["--json"]):
        result = run_cli("status", vault, *args)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == (
            f"Error: no state store ({vault / '.vaultsync' / 'state.sqlite'} is missing): {notes} notes of"
            " vaultsync's found — run `vaultsync import` to rebuild it from them\n"
        )
    run_cli("import", src, vault, check=True)
    assert status(vault)["papers"] == expected["papers"]


def test_index_notes_that_cannot_be_read_are_one_warning_each_and_the_rest_is_counted(corpus, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from vaultsync.cli import app

    vault = tmp_path / "vault"
    imported(corpus, vault)
    digests = vault / "arXiv" / "Digests"
    latin1, linked, locked = (digests / f"arXiv {day}.md" for day in ("2022-07-11", "2023-01-09", "2024-01-18"))
    locked.write_text(locked.read_text().replace("- [ ] ", "- [x] ", 1))  # a tick, counted while it can be read
    first_line = latin1.read_text().split("\n- [ ] ", 1)[0].count("\n") + 2
    latin1.write_bytes(latin1.read_bytes().replace(b"\n- [ ] ", b"\n- [ ] caf\xe9 ", 1))  # a Latin-1 byte
    outside = tmp_path / "outside"
    outside.mkdir()
    linked.rename(outside / linked.name)
    linked.symlink_to(outside / linked.name)  # a link out of the vault
    result = run_cli("status", vault, "--json")
    assert result.returncode == 0 and len(result.stderr.splitlines()) == 2 and "Traceback" not in result.stderr
    assert json.loads(result.stdout)["to_read"] == json.loads(result.stdout)["papers"] - 1  # the rest is counted
    deny_reading(monkeypatch, locked)  # no permission: simulated, as root reads whatever the permissions
    result = CliRunner().invoke(app, ["status", str(vault), "--json"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"Warning: arXiv/Digests/{latin1.name}: line {first_line} is not UTF-8 text"
        " — save the note as UTF-8; its ticks are not counted: its papers are as of the last import",
        f"Warning: arXiv/Digests/{linked.name}: a link takes it outside the vault, where vaultsync neither reads nor"
        " writes — move it into the vault to have it checked; its ticks are not counted: its papers are as of the"
        " last import",
        f"Warning: arXiv/Digests/{locked.name}: cannot read it (Permission denied) — check the file and its"
        " permissions; its ticks are not counted: its papers are as of the last import",
    ]
    counts = json.loads(result.stdout)
    assert counts["digests"] == 3 and counts["to_read"] == counts["papers"] and len(counts["warnings"]) == 3

    monkeypatch.undo()
    digests.rename(outside / "Digests")
    digests.symlink_to(outside / "Digests", target_is_directory=True)  # the whole folder: a link out
    result = run_cli("status", vault)
    assert result.returncode == 0 and result.stderr.count("a link takes it outside the vault") == 3
    assert f"reading queue: {counts['papers']} to read, 0 read" in result.stdout
