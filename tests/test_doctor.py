"""`vaultsync doctor` on a real imported vault, healthy and then damaged the ways vaults get damaged."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import frontmatter
from conftest import deny_reading, imported_copy, new_graph, run_cli, vault_files

from vaultsync.text.names import logseq_title_from_file

SET = ["2022-07-11.md", "2023-01-09.md", "2024-01-18.md"]


def test_a_fresh_import_is_healthy_and_damage_is_found_then_repaired(corpus, tmp_path):
    src, vault = tmp_path / "src", tmp_path / "vault"
    src.mkdir()
    for name in SET:
        shutil.copy(corpus / name, src)
    run_cli("import", src, vault, check=True)
    result = run_cli("doctor", vault)
    assert (result.returncode, result.stdout) == (0, "healthy\n")

    papers = sorted((vault / "arXiv" / "Papers").glob("*.md"))
    shutil.copy(papers[0], vault / "Copy of a paper.md")  # the same arxiv_id twice
    papers[1].write_text(papers[1].read_text().replace("arxiv_version:", "arxiv_version: [", 1))  # bad YAML
    papers[2].write_text(papers[2].read_text().replace("%% vaultsync:end %%", ""))  # damaged markers
    (vault / "Elsewhere").mkdir()
    moved = papers[3].rename(vault / "Elsewhere" / papers[3].name)  # moved: links by name still find it
    papers[4].unlink()  # deleted by the user
    renamed = papers[5].rename(papers[5].with_name("Renamed by hand.md"))  # outside Obsidian: links break
    namesake = vault / "Elsewhere" / papers[6].name  # a note of the user's with a paper's name
    namesake.write_text("my own note\n")
    before = vault_files(vault)

    result = run_cli("doctor", vault)
    problems = [line for line in result.stdout.splitlines() if line.startswith("problem: ")]
    assert result.returncode == 1 and result.stdout.endswith(f"{len(problems)} problems remain\n")
    text = result.stdout
    assert "has 2 notes" in text and "Copy of a paper.md" in text
    assert f"{papers[1].relative_to(vault)}: its frontmatter does not parse (line 5: " in text
    assert f"{papers[2].relative_to(vault)}: its `%% vaultsync:begin/end %%` markers are missing" in text
    assert f"→ Elsewhere/{moved.name}" in text and "is gone (deleted by you)" in text
    assert f"links to [[{moved.stem}]]" not in text
    assert f"links to [[{papers[4].stem}]], which does not exist — if you deleted that note" in text
    assert f"links to [[{papers[5].stem}]], which does not exist — `vaultsync doctor --fix` links it to" in text
    assert f"links to [[{papers[6].stem}]], a name 2 notes have — `vaultsync doctor --fix` links it to" in text
    assert vault_files(vault) == before  # checking writes nothing

    result = run_cli("doctor", vault, "--fix")
    assert result.returncode == 1  # the duplicate, the YAML and the markers are the user's to fix
    assert "fixed: state store: paper" in result.stdout
    assert f"re-linked [[{papers[5].stem}]]" in result.stdout and f"re-linked [[{papers[6].stem}]]" in result.stdout
    after = vault_files(vault)
    changed = {name for name in before if before[name] != after.get(name)}
    assert all(name.startswith("arXiv/Digests/") for name in changed) and changed  # only index links rewritten
    index_text = "".join((vault / name).read_text() for name in changed)
    assert f"[[{renamed.stem}|" in index_text and f"[[arXiv/Papers/{papers[6].stem}|" in index_text
    remaining = run_cli("doctor", vault).stdout
    assert "state store out of date" not in remaining and "re-link" not in remaining
    assert remaining.endswith("4 problems remain\n")  # and the index link to the note the user deleted:
    run_cli("import", src, vault, check=True)  # which the next import turns into a link to arXiv
    assert run_cli("doctor", vault).stdout.endswith("3 problems remain\n")


def imported(corpus: Path, root: Path) -> tuple[Path, Path]:
    return imported_copy(corpus, SET, root)


def test_a_damaged_or_missing_state_store_is_a_problem_and_fix_rebuilds_it(corpus, tmp_path):
    from test_state import damage_in_the_middle

    src, vault = imported(corpus, tmp_path)
    state = vault / ".vaultsync" / "state.sqlite"
    # the reading queue and the topic notes are not rebuilt from
    notes = len([note for note in (vault / "arXiv").rglob("*.md") if note.parent.name in ("Papers", "Digests")])
    before = vault_files(vault)
    damage_in_the_middle(vault)
    result = run_cli("doctor", vault)
    assert result.returncode == 1 and result.stderr == ""
    assert result.stdout.startswith(f"problem: the state store {state} is damaged (")
    assert "— the next `vaultsync import` (or `vaultsync doctor --fix`) rebuilds it\n" in result.stdout

    result = run_cli("doctor", vault, "--fix")
    assert (result.returncode, result.stderr) == (0, "") and result.stdout.endswith("\nhealthy\n")
    fixed = re.fullmatch(
        r"fixed: state store: the state store was damaged \(.+\); set aside as (state\.sqlite\.damaged-\d{8}-\d{6});"
        rf" rebuilt it from {notes} notes \(notes you deleted before are no longer remembered\)",
        result.stdout.splitlines()[0],
    )
    assert fixed and (vault / ".vaultsync" / fixed[1]).is_file() and vault_files(vault) == before
    assert run_cli("doctor", vault).stdout == "healthy\n"
    assert json.loads(run_cli("import", src, vault, "--json", check=True).stdout)["state_rebuilt"] is None

    state.unlink()
    result = run_cli("doctor", vault)
    assert result.returncode == 1 and result.stdout.startswith(f"problem: the state store {state} is missing — ")
    result = run_cli("doctor", vault, "--fix")
    assert result.stdout == (
        f"fixed: state store: it was missing; rebuilt it from {notes} notes"
        " (notes you deleted before are no longer remembered)\nhealthy\n"
    )
    assert json.loads(run_cli("import", src, vault, "--json", check=True).stdout)["state_rebuilt"] is None
    assert vault_files(vault) == before


def test_notes_that_cannot_be_read_are_one_line_each_and_the_check_goes_on(corpus, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from vaultsync.cli import app

    _, vault = imported(corpus, tmp_path)
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "note.md").write_text("# a note kept elsewhere\n")
    (outside / "folder" / "inside.md").write_text("# another\n")
    (vault / "Shared note.md").symlink_to(outside / "note.md")  # a file link out of the vault
    (vault / "Shared").symlink_to(outside / "folder", target_is_directory=True)  # a folder link out of it
    (vault / "Latin-1.md").write_bytes(b"---\ntags: [mine]\n---\nCaf\xe9 au lait\n")  # not UTF-8
    papers = sorted((vault / "arXiv" / "Papers").glob("*.md"))
    shutil.copy(papers[0], vault / "Copy of a paper.md")  # and a problem found by the rest of the check
    locked = papers[1]
    deny_reading(monkeypatch, locked)  # no permission: simulated, as root reads whatever the permissions
    result = CliRunner().invoke(app, ["doctor", str(vault)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    outside_text = "a link takes it outside the vault, where vaultsync neither reads nor writes"
    assert sorted(result.stdout.splitlines()) == sorted(
        [
            f"problem: paper {frontmatter.load(papers[0])['arxiv_id']} has 2 notes: Copy of a paper.md,"
            f" {papers[0].relative_to(vault)} — keep one, delete the others",
            "problem: Latin-1.md: line 4 is not UTF-8 text — save the note as UTF-8",
            f"problem: {locked.relative_to(vault)}: cannot read it (Permission denied) — check the file and its"
            " permissions",
            f"warning: Shared note.md: {outside_text} — move it into the vault to have it checked",
            f"warning: Shared/: {outside_text} — its notes are not checked",
            "3 problems remain",
        ]
    )


def test_notes_of_vaultsync_behind_a_folder_link_are_not_taken_for_deleted(corpus, tmp_path):
    _, vault = imported(corpus, tmp_path)
    digests = vault / "arXiv" / "Digests"
    digests.rename(tmp_path / "Digests")
    digests.symlink_to(tmp_path / "Digests", target_is_directory=True)
    for args in ([], ["--fix"]):
        result = run_cli("doctor", vault, *args)
        assert result.returncode == 1 and "deleted by you" not in result.stdout and "fixed" not in result.stdout
        assert (
            result.stdout.count("a link takes it outside the vault") == 4 and "\n3 problems remain\n" in result.stdout
        )
        assert "problem: digest 2024-01-18: arXiv/Digests/arXiv 2024-01-18.md: a link takes it" in result.stdout
        assert "warning: arXiv/Digests/: a link takes it" in result.stdout
    assert json.loads(run_cli("status", vault, "--json").stdout)["deleted_by_you"] == 0


def test_frontmatter_that_does_not_parse_is_named_with_its_line(corpus, tmp_path):
    src, vault = imported(corpus, tmp_path)
    papers = sorted((vault / "arXiv" / "Papers").glob("*.md"))
    typos = {
        papers[0]: ("\narxiv_id:", "\nstatus: [reading\narxiv_id:"),  # an unclosed bracket
        papers[1]: ("\narxiv_id:", "\nstatus:reading\narxiv_id:"),  # no space after the colon
        papers[2]: ("\ntitle: ", "\ntitle: 'Unclosed quote "),  # the quote runs to the end of the frontmatter
        papers[3]: ("\narxiv_id: ", "\narxiv_id "),  # its id line broken: known by the state store only
    }
    for note, (old, new) in typos.items():
        note.write_text(note.read_text().replace(old, new, 1))
    lines = {note: note.read_text().splitlines() for note in typos}
    expected = {
        papers[0]: "line 4: expected ',' or ']', but got ':', while parsing a flow sequence from line 3",
        papers[1]: "line 4: could not find expected ':', while scanning a simple key from line 3",
        papers[2]: f"line {lines[papers[2]].index('---', 1) + 1}: found unexpected document separator, while scanning"
        " a quoted scalar from line 2",
        papers[3]: "line 4: could not find expected ':', while scanning a simple key from line 3",
    }
    assert lines[papers[3]][2].startswith("arxiv_id ")  # line 3, as the message says
    for run in ("before", "after an import"):
        result = run_cli("doctor", vault)
        assert result.returncode == 1, run
        for note, where in expected.items():
            assert (
                f"problem: {note.relative_to(vault)}: its frontmatter does not parse ({where}) — fix the"
                " frontmatter; vaultsync leaves the note untouched until then\n"
            ) in result.stdout, (run, result.stdout)
        assert result.stdout.endswith("\n4 problems remain\n"), (run, result.stdout)
        run_cli("import", src, vault)
    assert all(note.read_text().splitlines() == lines[note] for note in typos)  # left untouched, as it says


def test_a_fifo_named_like_a_note_is_not_read(corpus, tmp_path):
    """Reading a FIFO blocks until someone writes to it: the checks and the rebuild from the notes skip it."""
    src, vault = imported(corpus, tmp_path)
    os.mkfifo(vault / "Pipe.md")
    script = Path(sys.executable).with_name("vaultsync")
    checked = subprocess.run([script, "doctor", vault], capture_output=True, text=True, timeout=120)
    assert (checked.returncode, checked.stdout) == (0, "healthy\n")
    (vault / ".vaultsync" / "state.sqlite").unlink()
    rebuilt = subprocess.run([script, "import", src, vault, "--json"], capture_output=True, text=True, timeout=120)
    assert rebuilt.returncode == 0 and "rebuilt it from" in json.loads(rebuilt.stdout)["state_rebuilt"]


def test_the_whole_corpus_is_healthy_right_after_import_as_an_obsidian_vault(corpus_import):
    vault, _ = corpus_import
    result = run_cli("doctor", vault)
    assert (result.returncode, result.stdout) == (0, "healthy\n")


def test_the_whole_corpus_is_healthy_right_after_import_as_a_logseq_graph(corpus, tmp_path):
    graph = new_graph(tmp_path / "graph")
    run_cli("import", corpus, graph, check=True)
    pages = "".join(path.read_text() for path in (graph / "pages").glob("*.md"))
    assert re.search(r"\[\[[^\]\n]*\^[^\]\n]*\]\]", pages)  # page names with `^`, which Obsidian's grammar cuts
    result = run_cli("doctor", graph)
    assert (result.returncode, result.stdout) == (0, "healthy\n")


def test_a_logseq_link_is_the_whole_page_name_and_fix_relinks_it_whole(corpus, tmp_path):
    graph = new_graph(tmp_path / "graph")
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(corpus / "2024-01-18.md", src)  # has "SM$^3$: Self-Supervised Multi-task Modeling …"
    run_cli("import", src, graph, check=True)
    [digest] = (graph / "pages").glob("arXiv 20??-??-??.md")
    [paper] = [path for path in (graph / "pages").glob("*.md") if "^" in path.stem]
    page = logseq_title_from_file(paper.stem)
    assert f"[[{page}]]" in digest.read_text()
    assert run_cli("doctor", graph).stdout == "healthy\n"

    paper.rename(paper.with_name("Cocoa maps.md"))  # renamed by hand, outside Logseq: the link breaks
    result = run_cli("doctor", graph)
    assert f"links to [[{page}]], which does not exist — `vaultsync doctor --fix` links it to" in result.stdout
    run_cli("doctor", graph, "--fix")
    text = digest.read_text()
    assert "[[Cocoa maps]]" in text and f"[[{page}]]" not in text
    assert run_cli("doctor", graph).stdout == "healthy\n"


def test_the_users_own_links_are_neither_problems_nor_rewritten(corpus, tmp_path):
    src, vault = imported(corpus, tmp_path)
    paper = sorted((vault / "arXiv" / "Papers").glob("*.md"))[0]
    index = next(path for path in sorted((vault / "arXiv" / "Digests").glob("*.md")) if paper.stem in path.read_text())
    renamed = paper.rename(paper.with_name("Renamed by hand.md"))  # outside Obsidian: the index link breaks
    mine = f"\n- [ ] [[My future note]]\n- [ ] reread [[{paper.stem}]] (my own line)\n"
    index.write_text(index.read_text() + mine)  # below the managed region: the user's
    result = run_cli("doctor", vault)
    assert "My future note" not in result.stdout
    assert result.stdout.count(f"{index.relative_to(vault)}: links to [[{paper.stem}]]") == 1  # not the user's line

    run_cli("doctor", vault, "--fix")
    text = index.read_text()
    assert text.endswith(mine) and f"[[{renamed.stem}|" in text  # the paper line re-linked, the user's line kept
    assert run_cli("doctor", vault).stdout == "healthy\n"


def test_a_link_the_user_adds_to_a_logseq_digest_page_is_theirs(corpus, tmp_path):
    graph = new_graph(tmp_path / "graph")
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(corpus / SET[0], src)
    run_cli("import", src, graph, check=True)
    [digest] = (graph / "pages").glob("arXiv 20??-??-??.md")
    digest.write_text(digest.read_text() + "- TODO [[My future note]]\n")  # a digest page's blocks run to its end
    assert run_cli("doctor", graph).stdout == "healthy\n"
