"""Re-import scenarios through the installed CLI on real digests: what the user wrote always survives.

Each test imports real digests, edits the vault the way a user does (appends text, adds properties and
tags, ticks boxes, moves, renames, deletes notes, edits generated text), imports again and checks the
files byte by byte.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import frontmatter
import pytest
from conftest import imported_copy, run_cli, vault_files

from vaultsync.flavors.obsidian import notefile
from vaultsync.flavors.obsidian.notefile import ObsidianNotes

NOTES = ObsidianNotes()

SET = ["2022-07-11.md", "2022-07-12.md", "2023-01-09.md", "2023-01-16.md", "2024-01-18.md"]
NEWER = "2022-07-14.md"  # lists three papers of 2022-07-12 again, in a newer version
TASK = re.compile(r"^- \[ \] \[\[", re.MULTILINE)


@pytest.fixture
def imported(corpus: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(src, vault): the SET digests copied to src and imported."""
    return imported_copy(corpus, SET, tmp_path)


def import_json(*args: object) -> dict:
    return json.loads(run_cli("import", *args, "--json", check=True).stdout)


def ticked_notes(vault: Path) -> set[str]:
    """The paper notes (paths from the vault) ticked in some index note."""
    done = re.compile(r"^- \[x\] \[\[([^\]|]+)", re.MULTILINE)
    return {
        f"arXiv/Papers/{name}.md"
        for path in (vault / "arXiv" / "Digests").glob("*.md")
        for name in done.findall(path.read_text())
    }


def papers(vault: Path) -> list[Path]:
    return sorted(path for path in vault.rglob("*.md") if "arxiv_id" in frontmatter.load(path).metadata)


def ids_in(vault: Path) -> list[str]:
    return [str(frontmatter.load(path)["arxiv_id"]) for path in papers(vault)]


def later_digest(src: Path, corpus: Path, keyword: str, count: int) -> list[str]:
    """Write a digest dated after SET that lists `count` papers of 2024-01-18 again, under a new keyword.

    Returns their arXiv ids. The entries are copied verbatim from the real digest.
    """
    text = (corpus / "2024-01-18.md").read_text()
    entries = ["### " + chunk for chunk in re.split(r"^### ", text, flags=re.MULTILINE)[1:]][:count]
    entries = [re.sub(r"\n## .*", "\n", entry, flags=re.DOTALL) for entry in entries]  # cut any next section
    (src / "2024-01-19.md").write_text(f"## {keyword}\n" + "".join(entries))
    return [re.search(r"arXiv:(\d{4}\.\d{5})", entry)[1] for entry in entries]


def move_like_obsidian(vault: Path, note: Path, to: Path) -> None:
    """Rename a note and rewrite the links to it by name, as Obsidian does (the names here are unique)."""
    note.rename(to)
    for index in (vault / "arXiv" / "Digests").glob("*.md"):
        index.write_text(re.sub(rf"\[\[{re.escape(note.stem)}(?=[]|])", f"[[{to.stem}", index.read_text()))


def test_user_text_ticks_properties_and_tags_survive_and_new_listings_merge(corpus, imported):
    src, vault = imported
    notes = papers(vault)
    assert len(notes) >= 50
    edited = notes[:50]
    for number, path in enumerate(edited):
        text = path.read_text().replace(notefile.BEGIN, f"Above the region {number}.\n{notefile.BEGIN}", 1)
        if number < 20:  # a user property, with a comment, and a user tag
            text = text.replace("\ntags:\n", "\nrating: 5  # out of 5\ntags:\n  - to-read\n", 1)
        path.write_text(text + f"My notes on paper {number}.\n")
    index_notes = sorted((vault / "arXiv" / "Digests").glob("*.md"))
    ticked = 0
    for path in index_notes:
        text = path.read_text()
        while ticked < 30 and TASK.search(text):
            text = TASK.sub("- [x] [[", text, count=1)
            ticked += 1
        path.write_text(text)
    commented = index_notes[-1]
    lines = commented.read_text().split("\n")
    task_lines = [n for n, line in enumerate(lines) if line.startswith("- [")][:5]
    for n in task_lines:
        lines[n] += f" — my comment {n}"
    lines.insert(task_lines[0] + 1, "A line of my own.")
    commented.write_text("\n".join(lines))
    before = vault_files(vault)

    again = later_digest(src, corpus, "generative models", 10)
    read = ticked_notes(vault)
    assert len(read) == 30
    summary = import_json(src, vault)

    listed_again = {
        str(path.relative_to(vault)) for path in papers(vault) if str(frontmatter.load(path)["arxiv_id"]) in again
    }
    assert summary["papers"]["created"] == 0 and summary["papers"]["updated"] == len(listed_again | read)
    after = vault_files(vault)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == listed_again | read | {"arXiv/Reading queue.md"}  # which follows the ticks
    for name in read - listed_again:  # a tick in an index note: `read: true` in the note, nothing else changes
        assert after[name] == before[name].replace(b"\nread: false\n", b"\nread: true\n")
    for name in read:
        assert frontmatter.loads(after[name].decode())["read"] is True
    for number, path in enumerate(edited):
        text = path.read_text()
        assert f"Above the region {number}.\n{notefile.BEGIN}" in text
        assert text.endswith(f"%% vaultsync:end %%\n\n## Notes\n\nMy notes on paper {number}.\n")
        if number < 20:
            assert "\nrating: 5  # out of 5\ntags:\n  - to-read\n" in text
    for path in papers(vault):
        meta = frontmatter.load(path).metadata
        if meta["arxiv_id"] in again:
            assert meta["tags"][-1] == "generative-models" and "[[arXiv 2024-01-19]]" in meta["digests"]
            assert meta["first_seen"].isoformat() == "2024-01-18"
            assert "- [[arXiv 2024-01-19]] · generative models" in path.read_text()
    ticks = sum(path.read_text().count("- [x] [[") for path in index_notes)
    assert ticks == 30
    text = commented.read_text()
    assert all(f"— my comment {n}" in text for n in task_lines) and "A line of my own.\n" in text
    new_index = (vault / "arXiv/Digests/arXiv 2024-01-19.md").read_text()
    assert new_index.count("- [x] [[") == len(read & listed_again)  # a paper read comes in ticked
    assert new_index.count("- [ ] [[") + new_index.count("- [x] [[") == 10


def test_moved_and_renamed_notes_are_followed_not_duplicated(corpus, imported):
    src, vault = imported
    notes = [path for path in papers(vault) if "2024-01-18" in frontmatter.load(path)["first_seen"].isoformat()]
    project = vault / "Projects" / "Diffusion"
    project.mkdir(parents=True)
    moved = {str(frontmatter.load(path)["arxiv_id"]): project / path.name for path in notes[:10]}
    for path in notes[:10]:
        path.rename(project / path.name)
    for number, path in enumerate(notes[10:15]):
        renamed = path.with_name(f"Renamed {number}.md")
        path.rename(renamed)
        moved[str(frontmatter.load(renamed)["arxiv_id"])] = renamed
    count_before = len(papers(vault))

    again = later_digest(src, corpus, "generative models", 42)
    summary = import_json(src, vault)

    assert summary["moved_notes_followed"] == 15
    ids = ids_in(vault)
    assert len(ids) == len(set(ids)) == count_before
    for arxiv_id, path in moved.items():
        meta = frontmatter.load(path).metadata
        assert str(meta["arxiv_id"]) == arxiv_id and arxiv_id in again
        assert "generative-models" in meta["tags"]
    index = (vault / "arXiv/Digests/arXiv 2024-01-19.md").read_text()
    for path in moved.values():
        assert re.search(rf"\[\[{re.escape(path.stem)}[]|]", index)  # by name, wherever the note now is
    assert import_json(src, vault)["papers"]["created"] == 0


def test_a_renamed_index_note_is_followed_and_papers_link_its_new_name(imported):
    src, vault = imported
    index = vault / "arXiv/Digests/arXiv 2024-01-18.md"
    (vault / "Daily").mkdir()
    renamed = vault / "Daily" / "Papers of 18 January.md"
    index.rename(renamed)
    renamed.write_text(TASK.sub("- [x] [[", renamed.read_text(), count=2))

    summary = import_json(src, vault)
    assert summary["moved_notes_followed"] == 1 and summary["index_notes"]["created"] == 0
    assert not index.exists() and renamed.read_text().count("- [x] [[") == 2
    listed = [path for path in papers(vault) if frontmatter.load(path)["first_seen"].isoformat() == "2024-01-18"]
    assert listed and all(frontmatter.load(path)["digests"] == ["[[Papers of 18 January]]"] for path in listed)
    assert all("- [[Papers of 18 January]] · " in path.read_text() for path in listed)


def test_deleted_notes_stay_deleted_until_restored(imported):
    src, vault = imported
    gone = papers(vault)[:5]
    contents = {path: path.read_bytes() for path in gone}
    for path in gone:
        path.unlink()

    summary = import_json(src, vault)
    assert summary["papers"]["deleted"] == 5 and summary["papers"]["created"] == 0
    assert not any(path.exists() for path in gone)
    assert import_json(src, vault)["papers"]["deleted"] == 5  # remembered on the next run too

    summary = import_json(src, vault, "--restore-deleted")
    assert summary["papers"]["created"] == 5
    assert all(path.read_bytes() == contents[path] for path in gone)


def test_edited_regions_are_kept_and_reported_until_forced(corpus, imported):
    src, vault = imported
    newer_ids = ["2207.04305", "2204.02426", "2207.04330"]  # listed again in 2022-07-14, in newer versions
    targets = [path for path in papers(vault) if frontmatter.load(path)["arxiv_id"] in newer_ids]
    assert len(targets) == 3
    for path in targets:
        path.write_text(path.read_text().replace("## Abstract\n", "## Abstract\n\nMy summary inside the region.\n"))
    edited = {path: path.read_text() for path in targets}
    shutil.copy(corpus / NEWER, src)

    summary = import_json(src, vault)
    assert summary["papers"]["kept"] == 3
    for path in targets:
        text = path.read_text()
        old, new = NOTES.split(edited[path]), NOTES.split(text)
        assert new.region == old.region and new.before == old.before and new.after == old.after
        assert frontmatter.load(path)["arxiv_version"] > old.metadata["arxiv_version"]
    plain = run_cli("import", src, vault, "--dry-run", "--force", check=True).stdout
    assert "would update" in plain

    summary = import_json(src, vault, "--force")
    assert summary["papers"]["updated"] == 3
    for path in targets:
        parts = NOTES.split(path.read_text())
        assert "My summary inside the region." not in parts.managed and not parts.edited


def test_lost_state_store_is_rebuilt_without_duplicates_or_lost_edits(corpus, imported):
    src, vault = imported
    notes = papers(vault)
    for number, path in enumerate(notes[:20]):
        path.write_text(path.read_text() + f"Mine {number}.\n")
    move_like_obsidian(vault, notes[20], vault / "moved.md")
    region_edit = notes[21]
    region_edit.write_text(region_edit.read_text().replace("## Listed in", "My line.\n\n## Listed in"))
    index = vault / "arXiv/Digests/arXiv 2024-01-18.md"
    index.write_text(TASK.sub("- [x] [[", index.read_text(), count=3).replace(" · [code]", " my note · [code]", 1))
    before = vault_files(vault)
    shutil.rmtree(vault / ".vaultsync")

    summary = import_json(src, vault)
    assert summary["state_rebuilt"] and "rebuilt it from" in summary["state_rebuilt"]
    after = vault_files(vault)
    queue = after.pop("arXiv/Reading queue.md").decode()  # it follows the three ticks
    read = ticked_notes(vault)
    read = {moved if name == str(notes[20].relative_to(vault)) else name for name in read for moved in ["moved.md"]}
    assert len(read) == 3
    for name, data in before.items():  # and the three notes ticked are read; nothing else changes
        if name != "arXiv/Reading queue.md":
            assert after[name] == (data.replace(b"\nread: false\n", b"\nread: true\n") if name in read else data)
    assert "Papers to read: " in queue and queue != before["arXiv/Reading queue.md"].decode()
    assert len(set(ids_in(vault))) == len(ids_in(vault))
    assert import_json(src, vault)["state_rebuilt"] is None


def test_damaged_state_store_is_set_aside_and_rebuilt(imported):
    src, vault = imported
    (vault / ".vaultsync" / "state.sqlite").write_bytes(b"not a database at all")
    before = vault_files(vault)
    summary = import_json(src, vault)
    assert "damaged" in summary["state_rebuilt"]
    assert vault_files(vault) == before
    assert list((vault / ".vaultsync").glob("state.sqlite.damaged-*"))


def _append_item(frontmatter: str, key: str, line: str) -> str:
    """`frontmatter` with `line` added after the last item of the block list `key` (vaultsync's style)."""
    return re.sub(rf"^({key}:\n(?:  - .*\n)*)", lambda found: found[1] + line, frontmatter, count=1, flags=re.MULTILINE)


def _tags(frontmatter: str) -> list[str]:
    return re.search(r"^tags:\n((?:  - .*\n)*)", frontmatter, re.MULTILINE)[1].replace("  - ", "").split("\n")[:-1]


NEW_TAG, NEW_DIGEST = "  - generative-models\n", '  - "[[arXiv 2024-01-19]]"\n'
NEW_TOPIC = '  - "[[generative-models]]"\n'  # the new tag's topic note


def _with_topic(frontmatter: str) -> str:
    return _append_item(frontmatter, "topics", NEW_TOPIC)


BLOCK_TAGS = re.compile(r"^tags:\n(?:  - .*\n)*", re.MULTILINE)
# How users edit a paper's frontmatter: (name, edit, what the re-import must make of the edited text). The
# unquoted arxiv_id goes to 2401.08639: one ending in 0 reads as a float that loses the 0 (identify's matter).
USER_EDITS = [
    (
        "arxiv_id unquoted",
        lambda fm: re.sub(r'^arxiv_id: "(.*)"$', r"arxiv_id: \1", fm, flags=re.MULTILINE),
        lambda fm: _with_topic(_append_item(_append_item(fm, "tags", NEW_TAG), "digests", NEW_DIGEST)),
    ),
    (
        "comments and values YAML 1.1 reads otherwise",
        lambda fm: (
            "# my notes on this paper\nrating: 010\nseen: yes\n"
            + fm.replace("code_url:", "time: 12:30:00\nscore: .nan  # not rated yet\n\ncode_url:", 1)
        ),
        lambda fm: _with_topic(_append_item(_append_item(fm, "tags", NEW_TAG), "digests", NEW_DIGEST)),
    ),
    (
        "tags in flow style",
        lambda fm: BLOCK_TAGS.sub(lambda _: f"tags: [{', '.join(_tags(fm))}, to-read]\n", fm),
        lambda fm: _with_topic(
            _append_item(fm.replace(", to-read]", ", to-read, generative-models]"), "digests", NEW_DIGEST)
        ),
    ),
    (
        "tags as a comma string",
        lambda fm: BLOCK_TAGS.sub(lambda _: f"tags: {', '.join(_tags(fm))}, to-read  # mine\n", fm),
        lambda fm: _with_topic(
            _append_item(fm.replace(", to-read  #", ", to-read, generative-models  #"), "digests", NEW_DIGEST)
        ),
    ),
    (
        "tags as an unindented block list",
        lambda fm: BLOCK_TAGS.sub(lambda found: found[0].replace("  - ", "- ") + "- to-read\n", fm),
        lambda fm: _with_topic(
            _append_item(fm.replace("- to-read\n", "- to-read\n- generative-models\n"), "digests", NEW_DIGEST)
        ),
    ),
    (
        "digests in flow style",
        lambda fm: re.sub(r"^digests:\n  - (.*)\n", r"digests: [\1]\n", fm, flags=re.MULTILINE),
        lambda fm: _with_topic(_append_item(fm.replace(']]"]\n', ']]", "[[arXiv 2024-01-19]]"]\n'), "tags", NEW_TAG)),
    ),
    (
        "tags written twice",
        lambda fm: fm + "tags: [mine]\n",
        lambda fm: _with_topic(_append_item(fm, "digests", NEW_DIGEST)),
    ),
]


def test_user_frontmatter_lines_survive_a_reimport_byte_for_byte(corpus, imported):
    src, vault = imported
    again = later_digest(src, corpus, "generative models", len(USER_EDITS))
    by_id = {str(frontmatter.load(path)["arxiv_id"]): path for path in papers(vault)}
    expected: dict[Path, str] = {}
    for arxiv_id, (name, edit, reimported) in zip(again, USER_EDITS, strict=True):
        path = by_id[arxiv_id]
        _, ours, body = path.read_text().split("---\n", 2)
        assert len(_tags(ours)) == 1 and ours.count('  - "[[arXiv ') == 1, name  # listed once, under one keyword
        users = edit(ours)
        assert users != ours, name
        path.write_text(f"---\n{users}---\n{body}")
        expected[path] = reimported(users)

    summary = import_json(src, vault)

    assert summary["papers"]["updated"] == len(USER_EDITS) and summary["errors"] == []
    for path, frontmatter_text in expected.items():
        assert path.read_text().split("---\n", 2)[1] == frontmatter_text, path.name
        assert "- [[arXiv 2024-01-19]] · generative models" in path.read_text()
    twice = list(expected)[-1]
    assert summary["warnings"] == [
        f"{twice}: property 'tags' left as you wrote it: it is written more than once; keep one for vaultsync to"
        " update it"
    ]
    assert import_json(src, vault)["warnings"] == []  # nothing left to do: the notes are not read again
