"""`vaultsync doctor` on a real imported vault, healthy and then damaged the ways vaults get damaged."""

from __future__ import annotations

import shutil

from conftest import run_cli, vault_files

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
    assert f"{papers[1].relative_to(vault)}: line 4: its frontmatter is not valid YAML" in text
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
