"""Notes edited the way real editors, sync services and file systems do it, through the installed CLI:
saves racing an import, notes vaultsync cannot parse, line ends and byte-order marks from other systems,
the trash, names that differ only in case or normalisation, and notes that cannot be read or written.
Whatever happens, no byte a user saved is lost, and a note is never taken for deleted while it is there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path, PurePosixPath

import pytest
from conftest import imported_copy, run_cli, vault_files
from test_reimport import later_digest

from vaultsync.flavors.obsidian.notefile import ObsidianNotes

NOTES = ObsidianNotes()

EDITORS = Path(__file__).with_name("editors.py")
DAY = "2024-01-18.md"


@pytest.fixture
def place(corpus: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(src, vault): one real digest imported; `later_digest` then lists some of its papers again."""
    return imported_copy(corpus, [DAY], tmp_path)


def import_json(*args: object, check: bool = True) -> dict:
    """The import's JSON summary, with its `warnings` and `errors` as one text each, and its exit code."""
    result = run_cli("import", *args, "--json", check=check)
    summary = json.loads(result.stdout)
    return (
        summary
        | {"warnings": "\n".join(summary["warnings"]), "errors": "\n".join(summary["errors"])}
        | {"exit": result.returncode}
    )


def note_of(vault: Path, arxiv_id: str) -> Path:
    """The paper note carrying `arxiv_id` (read as text: the tests break frontmatters on purpose)."""
    found = [path for path in vault.rglob("*.md") if f'arxiv_id: "{arxiv_id}"' in path.read_bytes().decode("latin-1")]
    assert len(found) == 1, found
    return found[0]


def index_links(vault: Path, day: str = "2024-01-19") -> list[str]:
    """The paper lines of the day's index note."""
    text = (vault / "arXiv" / "Digests" / f"arXiv {day}.md").read_text()
    return [line for line in text.splitlines() if line.startswith("- [")]


# --- saves racing an import ------------------------------------------------------------------------


def test_a_note_truncated_by_an_editor_during_an_import_keeps_the_editor_bytes(corpus, place):
    """Node's fs.writeFile truncates, then writes: an import in between must not take the empty note for one
    a power cut emptied and replace it (the editor's bytes would go to the replaced file)."""
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 3)
    note = note_of(vault, ids[0])
    saved = note.read_text() + "My notes, saved by the editor.\n"
    editor = subprocess.Popen(
        [sys.executable, EDITORS, "hold", note, saved], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert editor.stdout.readline() == "truncated\n"
    result = import_json(src, vault)  # runs while the note is empty, held open by the editor
    editor.communicate("go\n", timeout=30)
    assert note.read_text() == saved
    assert "being saved" in result["warnings"] and note.name in result["warnings"]
    again = import_json(src, vault)  # the note, saved, is merged now
    text = note.read_text()
    assert text.endswith("My notes, saved by the editor.\n") and "  - new-topic\n" in text
    assert again["papers"]["updated"] == 1 and again["warnings"] == ""


@pytest.mark.parametrize("how, pause", [("slow", 0), ("in-place", 0), ("slow", 0.5)])
def test_an_editor_still_writing_into_the_note_an_import_replaced_keeps_its_save(corpus, place, how, pause):
    """An editor that pauses mid-save, or writes through a file it opened before the import replaced the
    note: its bytes land in the replaced file, which the import holds (a second at least: the note was
    read once before, by the first digest, without being written) and puts back."""
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 3)
    note = note_of(vault, ids[0])
    saved = note.read_text() + "My notes, saved late.\n" + "More notes.\n" * 200
    editor = subprocess.Popen(
        [sys.executable, EDITORS, "late", note, saved, how, str(pause)], stdout=subprocess.PIPE, text=True
    )
    assert editor.stdout.readline() == "started\n"
    time.sleep(0.2)  # the half-written note has been still for longer than vaultsync waits for a save
    result = import_json(src, vault)
    editor.wait(timeout=30)
    assert note.read_text() == saved
    assert "saved by another program while vaultsync replaced it" in result["warnings"]
    import_json(src, vault)  # merged at the next import
    assert note.read_text().endswith("More notes.\n" * 200) and "  - new-topic\n" in note.read_text()


def test_a_late_save_into_a_held_file_survives_the_import_being_killed(corpus, place):
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 3)
    note = note_of(vault, ids[0])
    saved = note.read_text() + "My notes, saved late.\n" + "More notes.\n" * 200
    editor = subprocess.Popen([sys.executable, EDITORS, "late", note, saved, "slow"], stdout=subprocess.PIPE, text=True)
    assert editor.stdout.readline() == "started\n"
    time.sleep(0.2)
    importing = subprocess.Popen([Path(sys.executable).with_name("vaultsync"), "import", src, vault, "-q"])
    assert editor.stdout.readline() == "replaced\n"
    editor.wait(timeout=30)
    importing.kill()  # while it holds the replaced file the editor just saved into
    importing.wait()
    assert note.read_text() != saved  # the save is in the held file only
    result = import_json(src, vault)
    assert f"{note}: a save made while vaultsync was stopped" in result["warnings"]
    assert note.read_text().endswith("More notes.\n" * 200) and "  - new-topic\n" in note.read_text()


@pytest.mark.parametrize("exchange", ["renameat2", "os.replace"])
def test_a_late_save_is_never_put_back_over_a_newer_one(tmp_path, monkeypatch, exchange):
    """The editor saves into the replaced file, then again into the note: both saves are kept."""
    from vaultsync.storage import vault as files

    if exchange == "os.replace":
        monkeypatch.setenv("VAULTSYNC_NO_EXCHANGE", "1")
    note = tmp_path / "n.md"
    note.write_text("base\n")
    os.utime(note, (1, 1))
    vault = files.Vault(tmp_path)
    late = os.open(note, os.O_WRONLY)  # an editor's save under way, on the file as it was
    vault.write(PurePosixPath("n.md"), "base\nvaultsync\n", vault.snapshot(PurePosixPath("n.md")))
    os.write(late, b"base\nsave 1\n")
    os.close(late)
    with open(note, "r+b") as file:  # and a newer save, in place, into the note vaultsync wrote
        text = file.read()
        file.seek(0)
        file.write(text + b"save 2\n")
        file.truncate()
    assert vault.release() == [] and note.read_text() == "base\nvaultsync\nsave 2\n"
    [(rel, kept)] = vault.recovered
    assert rel == PurePosixPath("n.md") and kept.read_text() == "base\nsave 1\n"


def test_a_note_removed_only_if_it_still_holds_what_was_read(tmp_path):
    """`Vault.remove` (a re-dated digest's index note) deletes nothing saved since it was read."""
    from vaultsync.storage import vault as files

    vault, rel = files.Vault(tmp_path), PurePosixPath("n.md")
    note = tmp_path / "n.md"
    note.write_text("ours\n")
    read = vault.snapshot(rel)
    note.write_text("ours\nand a tick of the user's\n")  # saved since it was read
    assert vault.remove(rel, read) is False and note.read_text() == "ours\nand a tick of the user's\n"
    assert vault.remove(rel, vault.snapshot(rel)) is True and not note.exists()
    assert list(tmp_path.iterdir()) == []  # nothing left aside


def test_saves_every_2_ms_during_three_imports_lose_nothing(corpus, tmp_path):
    """An editor saves random notes every 2 ms, atomically and by truncating, alternately, while three imports
    each update every note (a new tag prefix each time): every save must be in the final notes."""
    src, vault = tmp_path / "src", tmp_path / "vault"
    src.mkdir()
    for path in sorted(corpus.glob("2024-*.md"))[:30]:
        shutil.copy(path, src)
    run_cli("import", src, vault, check=True)
    notes = sorted(path for path in (vault / "arXiv").rglob("*.md") if path.name != "Reading queue.md")
    log = tmp_path / "saves.log"
    editor = subprocess.Popen([sys.executable, EDITORS, "stress", log, *notes], stdout=subprocess.PIPE, text=True)
    assert editor.stdout.readline() == "started\n"
    outcomes = []
    try:
        for prefix in ("a/", "b/", "c/"):
            config = tmp_path / f"{prefix[0]}.toml"
            config.write_text(f'tag_prefix = "{prefix}"\n')
            outcomes.append(import_json(src, vault, "--config", config, check=False))
    finally:
        editor.send_signal(signal.SIGTERM)
        editor.wait(timeout=30)
    saves = [line.split("\t") for line in log.read_text().splitlines()]
    lost = [(note, line) for note, line in saves if line not in Path(note).read_text()]
    assert len(saves) > 500 and lost == []
    assert all(result["exit"] == 0 for result in outcomes), [result["errors"] for result in outcomes]
    updated = sum(result["papers"]["updated"] for result in outcomes)
    assert updated > 2 * len(notes)  # the imports did write, while the editor saved
    for path in notes:  # and every note is still one vaultsync can read
        assert NOTES.split(path.read_text()) is not None


# --- notes vaultsync cannot parse ------------------------------------------------------------------


def test_a_note_with_a_yaml_typo_stays_found_untouched_and_linked_until_fixed(corpus, place):
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 3)
    note = note_of(vault, ids[0])
    good = note.read_text()
    broken = good.replace("\ntags:\n", "\nstatus: [reading\ntags:\n", 1)
    note.write_text(broken)
    line = broken.splitlines().index("status: [reading") + 1
    result = import_json(src, vault)
    assert note.read_text() == broken  # untouched
    assert f"{note}: its frontmatter does not parse (line {line + 1}: " in result["warnings"]
    assert result["exit"] == 0 and result["papers"]["deleted"] == 0
    assert any(f"[[{note.stem}|" in line and line for line in index_links(vault))  # still linked, not an arXiv URL

    assert (
        f"{note.relative_to(vault)}: its frontmatter does not parse (line {line + 1}" in run_cli("doctor", vault).stdout
    )
    restored = import_json(src, vault, "--restore-deleted")  # no duplicate: the note was never deleted
    assert restored["papers"]["created"] == 0 and len(list(vault.rglob(f"*{note.stem}*"))) == 1

    note.write_text(broken.replace("status: [reading", "status: reading"))  # fixed: updated again
    fixed = import_json(src, vault)
    assert fixed["papers"]["updated"] == 1 and "  - new-topic\n" in note.read_text()
    assert "status: reading\n" in note.read_text()


@pytest.mark.parametrize("encoding", ["crlf", "bom", "crlf+bom"])
def test_notes_from_windows_keep_their_line_ends_and_bom_and_are_found_after_a_state_loss(corpus, place, encoding):
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 3)
    notes = sorted((vault / "arXiv").rglob("*.md"))

    def convert(text: str) -> bytes:
        data = text.replace("\n", "\r\n").encode() if "crlf" in encoding else text.encode()
        return (b"\xef\xbb\xbf" if "bom" in encoding else b"") + data

    for path in notes:
        path.write_bytes(convert(path.read_text() + "My line.\n"))
    result = import_json(src, vault)
    assert result["papers"]["updated"] == 3 and result["papers"]["deleted"] == 0
    for path in (vault / "arXiv").rglob("*.md"):
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == ("bom" in encoding) or path not in notes
        if path in notes:
            assert ("crlf" not in encoding or data.count(b"\n") == data.count(b"\r\n")) and b"My line." in data
    updated = note_of(vault, ids[0]).read_bytes()
    assert b"new-topic" in updated

    shutil.rmtree(vault / ".vaultsync")  # a state loss: the notes are found again, none doubled
    before = vault_files(vault)
    again = import_json(src, vault)
    assert again["papers"]["created"] == again["index_notes"]["created"] == 0
    assert vault_files(vault) == before


def test_an_unquoted_arxiv_id_is_the_same_paper(corpus, place):
    """`arxiv_id: 2401.08740` unquoted is a float to YAML (2401.0874): the note is still that paper's."""
    src, vault = place
    text = (corpus / DAY).read_text()
    zero = next(i for i in re.findall(r"arXiv:(\d{4}\.\d{5})", text) if i.endswith("0"))
    note = note_of(vault, zero)
    note.write_text(note.read_text().replace(f'arxiv_id: "{zero}"', f"arxiv_id: {zero}"))
    later = src / "2024-01-19.md"
    entry = re.search(rf"^### [^\n]*\n(?:(?!^###).)*?{re.escape(zero)}.*?(?=^###|^## |\Z)", text, re.M | re.S)[0]
    later.write_text("## new topic\n" + entry)
    shutil.rmtree(vault / ".vaultsync")
    result = import_json(src, vault)
    assert result["papers"]["created"] == 0 and result["papers"]["deleted"] == 0
    assert "  - new-topic\n" in note.read_text() and len(list(vault.rglob("*.md"))) == len(set(vault.rglob("*.md")))
    assert sum(1 for path in vault.rglob("*.md") if zero in path.read_text()) >= 1
    assert [path for path in (vault / "arXiv" / "Papers").glob("*.md") if f"({zero})" in path.name] == []


def test_a_note_restored_from_the_obsidian_trash_is_found_again(corpus, place):
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 3)
    note = note_of(vault, ids[0])
    trash = vault / ".trash"
    trash.mkdir()
    in_trash = note.rename(trash / note.name)  # Obsidian's "move to Obsidian trash"
    deleted = import_json(src, vault)
    assert deleted["papers"]["deleted"] == 1 and in_trash.exists()
    assert any(f"arxiv.org/abs/{ids[0]}" in line for line in index_links(vault))
    in_trash.rename(note)  # restored: found where it was, linked again
    (src / "2024-01-19.md").write_text((src / "2024-01-19.md").read_text().replace("## new topic", "## other"))
    restored = import_json(src, vault)
    assert restored["papers"]["deleted"] == 0 and restored["papers"]["created"] == 0
    assert any(f"[[{note.stem}|" in line for line in index_links(vault))
    assert "  - other\n" in note.read_text()


# --- one bad note does not stop a digest -----------------------------------------------------------


def test_one_unreadable_note_and_a_symlink_out_are_errors_of_their_own(corpus, place, tmp_path):
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 5)
    latin = note_of(vault, ids[0])
    latin.write_bytes(latin.read_bytes() + "Caf\xe9 notes.\n".encode("latin-1"))
    linked = note_of(vault, ids[1])
    outside = tmp_path / "outside.md"
    outside.write_bytes(linked.read_bytes())
    linked.unlink()
    linked.symlink_to(outside)
    before_latin, before_outside = latin.read_bytes(), outside.read_bytes()
    result = import_json(src, vault, check=False)
    errors = result["errors"].splitlines()
    assert result["exit"] == 1 and len(errors) == 2
    assert any(str(latin) in line and "UTF-8" in line for line in errors)
    assert any(str(linked) in line and "outside the vault" in line for line in errors)
    assert latin.read_bytes() == before_latin and outside.read_bytes() == before_outside
    assert result["papers"]["updated"] == 3  # the rest of the digest, and its index note
    lines = index_links(vault)
    assert len(lines) == 5 and all("[[" in line for line in lines)


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["lower case", "NFD"])
def test_no_note_is_created_beside_a_file_that_differs_only_in_case_or_normalisation(corpus, tmp_path, form):
    """Two such files are one on macOS and Windows, and sync services make a "conflicted copy" of one."""
    src, scratch, vault = tmp_path / "src", tmp_path / "scratch", tmp_path / "vault"
    src.mkdir()
    text = (corpus / "2022-07-14.md").read_text()
    (src / "2022-07-14.md").write_text(text.replace("Privacy Preserving Image", "Privacy Préserving Image"))
    run_cli("import", src, scratch, "-q", check=True)
    name = note_of(scratch, "2205.10120").name  # the name vaultsync gives the paper (NFC)
    mine = name.lower() if form == "lower case" else unicodedata.normalize("NFD", name)
    assert mine != name
    papers = vault / "arXiv" / "Papers"
    papers.mkdir(parents=True)
    (papers / mine).write_text("my own note\n")
    run_cli("import", src, vault, check=True)
    keys = [unicodedata.normalize("NFC", path.name).casefold() for path in papers.iterdir()]
    assert len(keys) == len(set(keys)) and (papers / mine).read_text() == "my own note\n"
    assert note_of(vault, "2205.10120").name == name.replace(".md", " (2205.10120).md")


# --- damage found by trying to break it --------------------------------------------------------------


def test_fifos_and_symlink_loops_named_like_notes_never_block_or_stop_an_import(corpus, place):
    src, vault = place
    papers = vault / "arXiv" / "Papers"
    os.mkfifo(papers / "a fifo.md")
    (papers / "a loop.md").symlink_to(papers / "a loop.md")
    shutil.rmtree(vault / ".vaultsync")  # the rebuild reads every note of the vault
    result = subprocess.run(
        [Path(sys.executable).with_name("vaultsync"), "import", src, vault, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    summary = json.loads(result.stdout)
    assert summary["papers"]["created"] == 0 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "damage",
    ["frontmatter never closed", "a Latin-1 byte", "CRLF with one LF line", "CR line ends", "two BOMs"],
)
def test_damaged_notes_are_not_duplicated_after_a_state_loss(corpus, place, damage):
    src, vault = place
    note = next((vault / "arXiv" / "Papers").glob("*.md"))
    text = note.read_text()
    data = {
        "frontmatter never closed": text.replace("\n---\n", "\n", 2).replace("---\n", "---\n", 1).encode(),
        "a Latin-1 byte": text.encode() + "caf\xe9\n".encode("latin-1"),
        "CRLF with one LF line": text.replace("\n", "\r\n").encode() + b"appended by echo\n",
        "CR line ends": text.replace("\n", "\r").encode(),
        "two BOMs": b"\xef\xbb\xbf" * 2 + text.encode(),
    }[damage]
    note.write_bytes(data)
    shutil.rmtree(vault / ".vaultsync")
    count = len(list(vault.rglob("*.md")))
    result = import_json(src, vault, check=False)
    assert result["papers"]["created"] == 0 and len(list(vault.rglob("*.md"))) == count
    assert note.read_bytes() == data or damage in ("CRLF with one LF line",)


@pytest.mark.parametrize("written", ["[{id}]", "{id}v1"])
def test_an_arxiv_id_written_as_a_list_or_with_its_version_is_the_same_paper(corpus, place, written):
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 3)
    note = note_of(vault, ids[0])
    note.write_text(note.read_text().replace(f'arxiv_id: "{ids[0]}"', "arxiv_id: " + written.format(id=ids[0])))
    result = import_json(src, vault)
    assert result["papers"]["deleted"] == 0 and any(f"[[{note.stem}|" in line for line in index_links(vault))
    assert import_json(src, vault, "--restore-deleted")["papers"]["created"] == 0


def test_after_a_state_loss_the_original_is_kept_over_obsidians_copy(corpus, place):
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 3)
    note = note_of(vault, ids[0])
    note.write_text(note.read_text() + "My notes.\n")
    copy = note.with_name(f"{note.stem} 1.md")  # Obsidian's "Make a copy"
    shutil.copy(note, copy)
    shutil.rmtree(vault / ".vaultsync")
    import_json(src, vault)
    assert "  - new-topic\n" in note.read_text() and any(f"[[{note.stem}|" in line for line in index_links(vault))


def test_a_users_note_named_like_an_index_note_but_for_case_is_left_alone(corpus, place):
    src, vault = place
    later_digest(src, corpus, "new topic", 3)
    mine = vault / "arXiv" / "Digests" / "ARXIV 2024-01-19.md"
    mine.write_text("my own note\n")
    result = import_json(src, vault)
    assert mine.read_text() == "my own note\n" and result["index_notes"]["created"] == 1
    assert result["warnings"] == ""
    index = vault / "arXiv" / "Digests" / "arXiv 2024-01-19 2.md"
    assert index.exists() and any("[[arXiv 2024-01-19 2]]" in path.read_text() for path in vault.rglob("*.md"))


def test_read_only_notes_are_left_and_notes_keep_their_owner(corpus, place):
    src, vault = place
    ids = later_digest(src, corpus, "new topic", 3)
    locked, owned = note_of(vault, ids[0]), note_of(vault, ids[1])
    before = locked.read_bytes()
    locked.chmod(0o444)
    if os.geteuid() == 0:
        os.chown(owned, 1234, 1234)
    result = import_json(src, vault)
    assert locked.read_bytes() == before and f"{locked}: read-only" in result["warnings"]
    assert "  - new-topic\n" in owned.read_text()
    if os.geteuid() == 0:  # an import run as root (a service) leaves the user's note the user's
        assert (owned.stat().st_uid, owned.stat().st_gid) == (1234, 1234)
