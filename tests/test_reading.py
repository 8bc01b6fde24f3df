"""Reading state: `read` on every paper note, synced both ways with the paper's lines in every index note, on
every import, in both flavors; a vault or graph from before `read` upgrades without losing a tick."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import frontmatter
import pytest
from conftest import imported_copy, new_graph, run_cli, vault_files
from test_reimport import later_digest, move_like_obsidian

from vaultsync.text import names

SET = ["2022-07-11.md", "2024-01-18.md"]


def note_of(vault: Path, arxiv_id: str) -> Path:
    for path in (vault / "arXiv" / "Papers").glob("*.md"):
        if f'\narxiv_id: "{arxiv_id}"\n' in path.read_text():
            return path
    raise AssertionError(arxiv_id)


def lines_of(vault: Path, note: Path) -> dict[str, str]:
    """The status of the note's line in each index note that lists it, by day."""
    found = {}
    for index in sorted((vault / "arXiv" / "Digests").glob("*.md")):
        for status in re.findall(rf"^- \[(.)\] \[\[{re.escape(note.stem)}\|", index.read_text(), re.MULTILINE):
            found[index.stem[-10:]] = status
    return found


def set_line(vault: Path, day: str, note: Path, status: str) -> None:
    index = vault / "arXiv" / "Digests" / f"arXiv {day}.md"
    text = re.sub(rf"^- \[.\] (\[\[{re.escape(note.stem)}\|)", rf"- [{status}] \1", index.read_text(), flags=re.M)
    index.write_text(text)


def set_read(note: Path, value: bool) -> None:
    text = note.read_text()
    note.write_text(re.sub(r"\nread: (true|false)\n", f"\nread: {str(value).lower()}\n", text))


def read_of(note: Path) -> bool:
    return frontmatter.load(note)["read"]


def one_listed(corpus: Path, tmp_path: Path) -> tuple[Path, Path, str, Path]:
    """(vault, a paper note listed on one day, that day, a folder holding one other digest, which does not list
    it): the vault of SET imported, for imports of another digest only, as `watch` does them."""
    _, vault = imported_copy(corpus, SET, tmp_path)
    note = next(note for note in sorted((vault / "arXiv" / "Papers").glob("*.md")) if len(lines_of(vault, note)) == 1)
    (day,) = lines_of(vault, note)
    new = tmp_path / "new"
    new.mkdir()
    shutil.copy(corpus / "2023-05-22.md", new)  # in the sample too
    return vault, note, day, new


def test_a_tick_anywhere_reads_the_note_and_read_in_the_note_ticks_every_line(corpus, tmp_path):
    src, vault = imported_copy(corpus, SET, tmp_path)
    twice = later_digest(src, corpus, "generative models", 6)  # listed on 2024-01-18 and 2024-01-19
    run_cli("import", src, vault, check=True)
    ticked, marked, cancelled, unticked, kept, plain = (note_of(vault, arxiv_id) for arxiv_id in twice)
    assert all(read_of(note) is False for note in (ticked, marked, cancelled, unticked, kept))
    assert lines_of(vault, ticked) == {"2024-01-18": " ", "2024-01-19": " "}

    set_line(vault, "2024-01-19", ticked, "x")  # a tick in one index note
    set_read(marked, True)  # `read: true` in the note
    set_line(vault, "2024-01-18", cancelled, "-")  # not going to read it
    set_line(vault, "2024-01-18", unticked, "x")
    region = kept.read_text().replace("## Abstract", "My words in the region.\n\n## Abstract")
    kept.write_text(region + "My notes.\n")  # a note kept because its region was edited: its `read` still syncs
    set_line(vault, "2024-01-18", kept, "x")
    index = vault / "arXiv" / "Digests" / "arXiv 2024-01-18.md"
    own = f"- [x] a line of my own about [[{plain.stem}|it]]"  # below the region: the user's, not a paper line
    index.write_text(index.read_text() + own + "\n")
    before = vault_files(vault)
    run_cli("import", src, vault, check=True)

    assert read_of(ticked) and lines_of(vault, ticked) == {"2024-01-18": "x", "2024-01-19": "x"}
    assert read_of(marked) and lines_of(vault, marked) == {"2024-01-18": "x", "2024-01-19": "x"}
    assert read_of(cancelled) and lines_of(vault, cancelled) == {"2024-01-18": "-", "2024-01-19": "x"}
    assert read_of(unticked) and read_of(kept)
    assert kept.read_text() == region.replace("\nread: false\n", "\nread: true\n") + "My notes.\n"
    for note in (ticked, marked, cancelled, unticked):  # only the `read` line changed
        key = str(note.relative_to(vault))
        assert note.read_bytes() == before[key].replace(b"\nread: false\n", b"\nread: true\n")
    assert own in index.read_text() and not read_of(plain)  # the user's own line: kept, and it reads nothing
    assert run_cli("status", vault, "--json", check=True).stdout.count('"read": 5')

    set_line(vault, "2024-01-19", unticked, " ")  # unticked in one index note: unread, everywhere
    set_read(marked, False)  # `read: false` in the note: its lines untick
    run_cli("import", src, vault, check=True)
    assert not read_of(unticked) and lines_of(vault, unticked) == {"2024-01-18": " ", "2024-01-19": " "}
    assert not read_of(marked) and lines_of(vault, marked) == {"2024-01-18": " ", "2024-01-19": " "}
    assert read_of(ticked) and read_of(cancelled)  # the others stay as they were
    again = vault_files(vault)
    run_cli("import", src, vault, check=True)
    assert vault_files(vault) == again  # synced: nothing moves any more


def test_a_vault_from_before_read_keeps_its_ticks_and_gains_read(corpus, tmp_path):
    """Notes without `read` and a state store without reading states, as the previous vaultsync left them."""
    src, vault = imported_copy(corpus, SET, tmp_path)
    for note in (vault / "arXiv" / "Papers").glob("*.md"):
        note.write_text(note.read_text().replace("\nread: false\n", "\n"))
    with closing(sqlite3.connect(vault / ".vaultsync" / "state.sqlite")) as db:
        db.execute("DROP TABLE reading")
        db.commit()
    index = vault / "arXiv" / "Digests" / "arXiv 2022-07-11.md"
    index.write_text(index.read_text().replace("- [ ] ", "- [x] ", 2).replace("- [ ] ", "- [-] ", 1))
    ticked = re.findall(r"^- \[[x-]\] \[\[([^|\]]+)", index.read_text(), re.MULTILINE)
    before = vault_files(vault)
    result = run_cli("import", src, vault, "--json", check=True)
    assert '"state_rebuilt": null' in result.stdout  # upgraded in place
    after = vault_files(vault)
    assert after.keys() == before.keys()
    for name, data in before.items():
        if name.startswith("arXiv/Papers/"):
            read = Path(name).stem in ticked
            assert frontmatter.loads(after[name].decode())["read"] is read
            assert after[name].replace(f"read: {str(read).lower()}\n".encode(), b"", 1) == data
    assert after[str(index.relative_to(vault))] == before[str(index.relative_to(vault))]  # every tick kept
    assert len(ticked) == 3 and '"read": 3' in run_cli("status", vault, "--json", check=True).stdout


def test_a_rebuilt_state_store_flips_nothing(corpus, tmp_path):
    src, vault = imported_copy(corpus, SET, tmp_path)
    notes = sorted((vault / "arXiv" / "Papers").glob("*.md"))
    set_read(notes[0], True)
    run_cli("import", src, vault, check=True)
    set_line(vault, lines_of(vault, notes[0]).popitem()[0], notes[0], " ")  # unticked since
    (vault / ".vaultsync" / "state.sqlite").unlink()
    run_cli("import", src, vault, check=True)
    assert not read_of(notes[0]) and set(lines_of(vault, notes[0]).values()) == {" "}  # the untick won


def test_dry_run_syncs_nothing(corpus, tmp_path):
    src, vault = imported_copy(corpus, SET, tmp_path)
    note = sorted((vault / "arXiv" / "Papers").glob("*.md"))[0]
    set_read(note, True)
    before = vault_files(vault)
    run_cli("import", src, vault, "--dry-run", check=True)
    assert vault_files(vault) == before


def test_logseq_done_and_read_sync_both_ways_and_canceled_counts_as_read(corpus, tmp_path):
    logseq_synced(corpus, tmp_path)


def logseq_synced(corpus: Path, tmp_path: Path) -> tuple[Path, int]:
    """A graph of one digest where a page was marked DONE, one CANCELED and one `read:: true`, imported again
    (checked on the way); the graph and its number of papers."""
    graph = new_graph(tmp_path / "graph")
    src = tmp_path / "src"
    src.mkdir()
    (src / "2022-07-11.md").write_bytes((corpus / "2022-07-11.md").read_bytes())
    run_cli("import", src, graph, check=True)
    digest = graph / "pages" / "arXiv 2022-07-11.md"
    pages = re.findall(r"^\t- TODO \[\[([^\]]+)\]\]", digest.read_text(), re.MULTILINE)[:3]
    done, canceled, marked = (graph / "pages" / f"{names.logseq_file_name(page)}.md" for page in pages)
    assert all("\nread:: false\n" in page.read_text() for page in (done, canceled, marked))
    text = digest.read_text()
    text = text.replace(f"- TODO [[{pages[0]}]]", f"- DONE [[{pages[0]}]]")
    text = text.replace(f"- TODO [[{pages[1]}]]", f"- CANCELED [[{pages[1]}]]")
    digest.write_text(text)
    marked.write_text(marked.read_text().replace("\nread:: false\n", "\nread:: true\n"))
    run_cli("import", src, graph, check=True)
    assert "\nread:: true\n" in done.read_text() and "\nread:: true\n" in canceled.read_text()
    text = digest.read_text()
    assert f"- DONE [[{pages[0]}]]" in text and f"- CANCELED [[{pages[1]}]]" in text  # kept as the user set it
    assert f"- DONE [[{pages[2]}]]" in text  # `read:: true` on the page
    queue = (graph / "pages" / "arXiv reading queue.md").read_text()
    papers = len(re.findall(r"^\t- (?:TODO|DONE|CANCELED) ", text, re.MULTILINE))
    assert f"- Papers to read: {papers - 3}, newest first\n" in queue
    assert "- {{query (page-property :read false)}}\n" in queue
    return graph, papers


def logseq_reads_read_as_a_boolean_and_the_queue_query_with_its_settings(corpus, tmp_path, real_clients) -> None:
    """What `{{query (page-property :read false)}}` matches: Logseq 0.10.15's own parser on the graph."""
    graph, papers = logseq_synced(corpus, tmp_path)
    output = real_clients.logseq_script(Path(__file__).parent / "logseq" / "reading.cljs", graph)
    found = dict(re.findall(r":([\w-]+) ([\w-]+)", output.splitlines()[-1]))
    assert found == {
        "read-true": "3",
        "read-false": str(papers - 3),
        "read-other": "0",
        "queries": "1",
        "query-macro": "true",
        "query-table": "true",
        "query-sort-by": "arxiv-id",
        "query-sort-desc": "true",
    }


def test_every_query_vaultsync_writes_parses_with_dataviews_parser_and_every_base_is_yaml(
    corpus, tmp_path, real_clients
):
    import yaml

    src, vault = imported_copy(corpus, SET, tmp_path)
    fence = re.compile(r"^```(dataview|base)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
    blocks = {"dataview": {}, "base": {}}
    for note in sorted(vault.rglob("*.md")):
        for kind, body in fence.findall(note.read_text()):
            blocks[kind].setdefault(body.strip(), note.relative_to(vault))
    queue, topic = vault / "arXiv" / "Reading queue.md", vault / "arXiv" / "Topics" / "privacy.md"
    assert {str(note) for note in blocks["dataview"].values()} == {
        str(note.relative_to(vault)) for note in (vault / "arXiv").rglob("*.md") if "```dataview" in note.read_text()
    } and len(blocks["dataview"]) > 2  # the queue's, and one per topic
    results = real_clients.dataview(*blocks["dataview"])
    assert [result for result in results if not result.startswith("OK ")] == [] and len(results) == len(
        blocks["dataview"]
    )
    parsed = dict(zip(blocks["dataview"], results, strict=True))  # Dataview's JSON, cut at 600 characters
    [unread] = [parsed[query] for query, note in blocks["dataview"].items() if vault / note == queue]
    assert unread.startswith('OK {"header":{"type":"table"')
    assert '"source":{"type":"folder","folder":"arXiv/Papers"}' in unread
    assert '{"type":"where","clause":{"type":"negated","child":{"type":"variable","name":"read"}}}' in unread
    assert (
        '{"type":"sort","fields":[{"field":{"type":"variable","name":"first_seen"},"direction":"descending"}' in unread
    )
    [privacy] = [parsed[query] for query, note in blocks["dataview"].items() if vault / note == topic]
    assert '"source":{"type":"binaryop","left":{"type":"tag","tag":"#privacy"},"op":"&"' in privacy
    assert '"right":{"type":"folder","folder":"arXiv/Papers"}' in privacy
    bases = [*blocks["base"], (vault / "arXiv" / "Reading queue.base").read_text()]
    for text in bases:  # Obsidian Bases: YAML with `filters` and `views`, each view a table sorted by first_seen
        data = yaml.safe_load(text)
        assert set(data) == {"filters", "views"} and list(data["filters"]) == ["and"]
        for view in data["views"]:
            assert view["type"] == "table" and view["name"] and view["order"][0] == "file.name"
            assert view["sort"] == [{"property": "first_seen", "direction": "DESC"}]
    assert len(bases) == 1 + len(list((vault / "arXiv" / "Topics").glob("*.md")))


def test_a_read_the_note_cannot_take_on_its_own_line_is_left_with_a_warning_and_flips_nothing(corpus, tmp_path):
    src, vault = imported_copy(corpus, SET, tmp_path)
    note = sorted((vault / "arXiv" / "Papers").glob("*.md"))[0]
    note.write_text(note.read_text().replace("\nread: false\n", "\nread: false\nread: false  # twice\n"))
    day = next(iter(lines_of(vault, note)))
    set_line(vault, day, note, "x")
    before = vault_files(vault)
    result = run_cli("import", src, vault, "--json", check=True)
    assert f"{note}: property 'read' left as you wrote it: it is written more than once" in result.stdout
    assert vault_files(vault) == before  # the note as the user wrote it, and the tick where it was
    assert run_cli("import", src, vault, "--json", check=True).stdout.count("property 'read' left") == 1


def test_a_tick_the_import_could_not_write_is_written_by_the_next_and_flips_nothing_back(corpus, tmp_path):
    src, vault = imported_copy(corpus, SET, tmp_path)
    note = sorted((vault / "arXiv" / "Papers").glob("*.md"))[0]
    day = next(iter(lines_of(vault, note)))
    index = vault / "arXiv" / "Digests" / f"arXiv {day}.md"
    set_read(note, True)
    index.chmod(0o444)
    result = run_cli("import", src, vault, "--json", check=True)
    assert f"{index}: read-only — left as is" in result.stdout
    assert read_of(note) is True and lines_of(vault, note)[day] == " "
    index.chmod(0o644)
    run_cli("import", src, vault, check=True)  # nothing else changed: the line is still to be ticked
    assert read_of(note) is True  # not taken for the user unticking it
    assert set(lines_of(vault, note).values()) == {"x"}
    before = vault_files(vault)
    run_cli("import", src, vault, check=True)
    assert vault_files(vault) == before


def queue_count(vault: Path) -> int:
    return int(re.search(r"Papers to read: (\d+),", (vault / "arXiv" / "Reading queue.md").read_text())[1])


def newest(vault: Path) -> list[str]:
    return re.findall(r"^- \[\[.*$", (vault / "arXiv" / "Reading queue.md").read_text(), re.MULTILINE)


def test_the_queue_counts_what_status_counts_from_the_notes_after_edits_on_both_sides(corpus, tmp_path):
    """Imports look only at what changed (the store keeps each index note's lines and each paper's state);
    `status` reads every note: both must say the same after edits in notes and index notes."""
    src, vault = imported_copy(corpus, SET, tmp_path)
    papers = sorted((vault / "arXiv" / "Papers").glob("*.md"))
    ticked, noted, cancelled, gone = papers[0], papers[3], papers[8], papers[5]
    before = queue_count(vault)
    set_line(vault, next(iter(lines_of(vault, ticked))), ticked, "x")
    set_read(noted, True)
    set_line(vault, next(iter(lines_of(vault, cancelled))), cancelled, "-")
    gone.unlink()
    for _ in range(2):
        run_cli("import", src, vault, check=True)
        status = json.loads(run_cli("status", vault, "--json", check=True).stdout)
        assert (status["to_read"], status["read"]) == (before - 4, 3) == (queue_count(vault), status["read"])
    set_line(vault, next(iter(lines_of(vault, ticked))), ticked, " ")
    run_cli("import", src, vault, check=True)
    status = json.loads(run_cli("status", vault, "--json", check=True).stdout)
    assert status["to_read"] == before - 3 == queue_count(vault)
    assert read_of(ticked) is False


def test_a_store_from_before_the_lines_table_reads_every_index_note_again(corpus, tmp_path):
    src, vault = imported_copy(corpus, SET, tmp_path)
    notes = sorted((vault / "arXiv" / "Papers").glob("*.md"))
    note = next(note for note in notes if set(lines_of(vault, note)) == {"2022-07-11"})  # not among the newest
    before, listed = queue_count(vault), newest(vault)
    with closing(sqlite3.connect(vault / ".vaultsync" / "state.sqlite")) as db:
        db.executescript("DROP TABLE lines; DROP TABLE seen;")
    set_read(note, True)  # its line, in an index note nobody touched, is found in the store once it is filled
    run_cli("import", src, vault, check=True)
    assert set(lines_of(vault, note).values()) == {"x"}
    assert queue_count(vault) == before - 1 and newest(vault) == listed  # the newest papers, as before


def test_a_note_renamed_in_the_app_keeps_its_lines_through_imports_that_see_the_rename_at_different_times(
    corpus, tmp_path
):
    """Obsidian renames a note and rewrites the links to it. An import of a new digest reads the index note
    before any import has followed the rename; the full import after it follows the rename without the index
    note changing again. The paper's line must still be the paper's: ticked from its note, never taken for
    an untick."""
    src, vault = imported_copy(corpus, SET, tmp_path)
    day = "2022-07-11"
    one, other = [
        note for note in sorted((vault / "arXiv" / "Papers").glob("*.md")) if lines_of(vault, note) == {day: " "}
    ][:2]
    renamed = one.with_name("My name for it.md")
    one.rename(renamed)
    index = vault / "arXiv" / "Digests" / f"arXiv {day}.md"
    index.write_text(index.read_text().replace(f"[[{one.stem}|", f"[[{renamed.stem}|"))
    new = tmp_path / "new"
    new.mkdir()
    shutil.copy(corpus / "2023-05-22.md", new)  # in the sample too
    run_cli("import", new, vault, check=True)  # the index note read, the rename not yet followed
    run_cli("import", src, vault, check=True)  # the rename followed, the index note as it was
    set_read(renamed, True)
    run_cli("import", src, vault, check=True)
    assert lines_of(vault, renamed) == {day: "x"}
    set_line(vault, day, other, "x")
    run_cli("import", src, vault, check=True)
    assert read_of(renamed) is True and read_of(other) is True


def test_a_read_merged_by_an_import_stopped_before_its_sync_is_synced_by_the_next(corpus, tmp_path):
    """Ctrl-C after the digests, before the reading sync: the note the import merged (holding the user's
    `read: true`) now has vaultsync's stamp; the next import must still sync it."""
    src, vault = imported_copy(corpus, SET, tmp_path)
    note = next(note for note in sorted((vault / "arXiv" / "Papers").glob("*.md")) if len(lines_of(vault, note)) == 1)
    set_read(note, True)
    stop = "import sys; from vaultsync.pipeline.reading_sync import ReadingSync\n"
    stop += "def stop(self): raise KeyboardInterrupt\nReadingSync.sync = stop\n"
    stop += "from vaultsync.cli import main; sys.argv[0] = 'vaultsync'; main()"
    stopped = subprocess.run([sys.executable, "-c", stop, "import", src, vault], capture_output=True, text=True)
    assert stopped.returncode == 130, stopped.stderr
    run_cli("import", src, vault, check=True)
    assert read_of(note) is True and set(lines_of(vault, note).values()) == {"x"}


@pytest.mark.parametrize("hours", [-1, 1])
def test_a_note_someone_touched_is_read_once_then_not_again_until_touched_again(corpus, tmp_path, hours):
    """A note the user edited keeps another stamp than vaultsync's last write until a digest listing it is merged
    again: imports of other digests (watch's, one file's) read it once and remember it as checked, instead of
    reading it at every import (every note, after a sync tool or a restore gave them new inodes). Seen here by
    a change its stamp cannot show (in place, the same size, the old mtime put back): not taken; once the note
    is saved again, it is. Saved an hour ago, or an hour ahead (a device whose clock runs fast)."""
    vault, note, _, new = one_listed(corpus, tmp_path)
    note.write_text(note.read_text() + "My notes.\n")
    saved = time.time() + hours * 3600  # a stamp of the moment before is not vouched for (see the tests below)
    os.utime(note, (saved, saved))
    run_cli("import", new, vault, check=True)  # reads it: in sync, so checked
    before = note.stat()
    with open(note, "r+b") as file:
        data = file.read().replace(b"\nread: false\n", b"\nread: true \n")
        file.seek(0)
        file.write(data)
    os.utime(note, ns=(before.st_atime_ns, before.st_mtime_ns))
    run_cli("import", new, vault, check=True)
    assert read_of(note) is True and set(lines_of(vault, note).values()) == {" "}  # not read again
    note.write_text(note.read_text())  # saved again
    run_cli("import", new, vault, check=True)
    assert set(lines_of(vault, note).values()) == {"x"}


FINISH_SAVE = """
import sys
from pathlib import Path
from vaultsync.storage import vault
note, rest = Path(sys.argv.pop(1)), [sys.argv.pop(1)]
first_read = vault.Vault._read
def _read(self, path):  # the editor's save ends just after the import's first look at the note
    snap = first_read(self, path)
    if Path(path) == note and rest:
        note.write_text(rest.pop())
    return snap
vault.Vault._read = _read
from vaultsync.cli import main
sys.argv[0] = "vaultsync"
main()
"""


def test_a_note_caught_half_saved_by_the_sync_keeps_the_read_its_save_brings(corpus, tmp_path):
    """An editor saving slowly (half the bytes, a pause, the rest), as a sync client or a network share may:
    the sync must neither decide from the half it saw nor write that decision over the finished save; the
    next import syncs the save."""
    vault, note, _, new = one_listed(corpus, tmp_path)
    saved = note.read_text().replace("\nread: false\n", "\nread: true\n") + "My notes.\n"
    note.write_text(saved[: len(saved) // 2])  # the first half of the save, as the import starts
    args = [sys.executable, "-c", FINISH_SAVE, note.resolve(), saved, "import", new, vault]
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert note.read_text() == saved
    run_cli("import", new, vault, check=True)
    assert set(lines_of(vault, note).values()) == {"x"} and read_of(note) is True


def test_two_ticks_in_one_second_of_a_file_system_with_second_times_are_both_taken(corpus, tmp_path):
    """File systems that keep times in whole seconds (FAT, exFAT, HFS+, ext3, many network shares) give two
    saves of one size in one second the same stamp: an index note whose lines an import read in that second,
    ticked again after, looks unchanged. Lines read that soon after a save are read again by the next import."""
    src, vault = imported_copy(corpus, SET, tmp_path)
    day = "2024-01-18"
    notes = sorted((vault / "arXiv" / "Papers").glob("*.md"))
    first, second = [note for note in notes if lines_of(vault, note) == {day: " "}][:2]
    index = vault / "arXiv" / "Digests" / f"arXiv {day}.md"
    second_of_saves = int(time.time()) + 1  # one second ahead, so that the import runs within it however slow
    new = tmp_path / "new"
    new.mkdir()
    shutil.copy(corpus / "2023-05-22.md", new)
    for note in (first, second):
        set_line(vault, day, note, "x")  # in place, one size
        os.utime(index, (second_of_saves, second_of_saves))
        run_cli("import", new, vault, check=True)
    assert read_of(first) is True and read_of(second) is True


@pytest.mark.parametrize("how", ["renamed", "moved", "deleted"])
def test_a_paper_note_renamed_moved_or_deleted_is_followed_by_an_import_of_another_digest(corpus, tmp_path, how):
    """`watch` imports only new digests: a paper note renamed in Obsidian (its links rewritten) or moved to a
    folder of the user's, then ticked in its index note, is synced without waiting for a digest listing it;
    one deleted leaves the reading queue."""
    vault, note, day, new = one_listed(corpus, tmp_path)
    before = queue_count(vault)
    if how == "renamed":
        move_like_obsidian(vault, note, note.with_name("My name for it.md"))
        note = note.with_name("My name for it.md")
    elif how == "moved":
        (vault / "To read").mkdir()
        note = note.rename(vault / "To read" / note.name)  # links by name still resolve: nothing else changes
    else:
        note.unlink()
    summary = json.loads(run_cli("import", new, vault, "--json", check=True).stdout)
    if how == "deleted":
        created = [note for action, note in map(dict.values, summary["changes"]) if action == "created"]
        assert queue_count(vault) == before - 1 + sum("/Papers/" in note for note in created)
        return
    set_line(vault, day, note, "x")
    run_cli("import", new, vault, check=True)
    assert read_of(note) is True and lines_of(vault, note) == {day: "x"}


def test_a_paper_note_moved_renamed_and_marked_read_in_one_go_stays_read(corpus, tmp_path):
    """Moved to a folder of the user's and renamed there (its links rewritten), with `read: true`, between two
    imports of another digest: the line must be ticked, and never taken for an untick by the next import."""
    vault, note, day, new = one_listed(corpus, tmp_path)
    (vault / "To read").mkdir()
    move_like_obsidian(vault, note, vault / "To read" / "My name for it.md")
    note = vault / "To read" / "My name for it.md"
    set_read(note, True)
    for _ in range(2):
        run_cli("import", new, vault, check=True)
        assert read_of(note) is True
    assert lines_of(vault, note) == {day: "x"}


FOLLOW_BACK = """
import os, shutil, sys, time
from pathlib import Path
from vaultsync.storage.state import StateStore
note, kept = Path(sys.argv.pop(1)), Path(sys.argv.pop(1))
checked = StateStore.checked
def back(self, papers):  # just after the sweep found the note gone: it is back (a sync client recreating it),
    if kept.exists():  # a while ago as its folder tells
        shutil.move(kept, note)
        os.utime(note.parent, (time.time() - 60, time.time() - 60))
    return checked(self, papers)
StateStore.checked = back
from vaultsync.cli import main
sys.argv[0] = "vaultsync"
main()
"""


@pytest.mark.parametrize("how", ["back during the import", "restored from the trash"])
def test_a_paper_note_gone_for_a_while_is_not_taken_for_deleted_once_back(corpus, tmp_path, how):
    """Gone when an import began and back before its sync (a sync client or `git pull` deleting and creating
    it again), or taken for deleted by one import and put back from Obsidian's `.trash` before the next: the
    note is the paper's, and its `read: true` is synced."""
    vault, note, day, new = one_listed(corpus, tmp_path)
    (vault / ".trash").mkdir()
    kept = vault / ".trash" / note.name
    note.rename(kept)
    if how == "back during the import":
        args = [sys.executable, "-c", FOLLOW_BACK, note, kept, "import", new, vault]
        assert subprocess.run(args, capture_output=True, text=True).returncode == 0
    else:
        run_cli("import", new, vault, check=True)
        kept.rename(note)
    set_read(note, True)
    run_cli("import", new, vault, check=True)
    assert lines_of(vault, note) == {day: "x"}


def test_a_paper_note_whose_frontmatter_broke_keeps_its_state_with_a_warning(corpus, tmp_path):
    vault, note, day, new = one_listed(corpus, tmp_path)
    broken = note.read_text().replace('title: "', 'title: "unclosed', 1).replace('"\n', "\n", 1)
    note.write_text(broken)
    set_line(vault, day, note, "x")
    result = run_cli("import", new, vault, check=True)
    assert f"Warning: {note}: its frontmatter does not parse" in result.stderr
    assert note.read_text() == broken and lines_of(vault, note) == {day: "x"}


def deleted_in_store(vault: Path, note: Path) -> bool:
    with closing(sqlite3.connect(vault / ".vaultsync" / "state.sqlite")) as db:
        path = note.relative_to(vault).as_posix()
        return db.execute("SELECT deleted FROM notes WHERE path = ?", (path,)).fetchone() == (1,)


def test_a_paper_note_deleted_with_its_folder_is_remembered_as_deleted(corpus, tmp_path):
    """A note filed into a folder of the user's, then the folder deleted (Obsidian moves it to `.trash`): taken
    for deleted once, after one read of the vault, not looked for again at every import."""
    vault, note, _, new = one_listed(corpus, tmp_path)
    (vault / "Done").mkdir()
    note = note.rename(vault / "Done" / note.name)
    run_cli("import", new, vault, check=True)  # followed there
    (vault / ".trash").mkdir()
    (vault / "Done").rename(vault / ".trash" / "Done")
    run_cli("import", new, vault, check=True)
    assert deleted_in_store(vault, note)


def test_an_empty_file_or_a_note_of_the_user_s_at_a_deleted_paper_s_place_is_not_the_paper(corpus, tmp_path):
    vault, note, _, new = one_listed(corpus, tmp_path)
    note.unlink()
    run_cli("import", new, vault, check=True)
    for text in ("", "# My own note of that name\n"):
        note.write_text(text)
        result = run_cli("import", new, vault, check=True)
        assert deleted_in_store(vault, note) and "Warning" not in result.stderr and note.read_text() == text


def test_a_papers_folder_leading_out_of_the_vault_is_one_error_not_a_warning_per_note(corpus, tmp_path):
    vault, _, _, new = one_listed(corpus, tmp_path)
    papers, elsewhere = vault / "arXiv" / "Papers", tmp_path / "elsewhere"
    papers.rename(elsewhere)
    papers.symlink_to(elsewhere)
    result = run_cli("import", new, vault)
    assert result.stderr.count("leads outside the vault") == 1 and "Warning" not in result.stderr
    assert not any(deleted_in_store(vault, papers / note.name) for note in elsewhere.iterdir())


@pytest.mark.parametrize("value", ['"true"', "x", "done"])
def test_a_read_the_user_wrote_as_no_boolean_is_left_as_they_wrote_it_with_a_warning(corpus, tmp_path, value):
    """Dataview takes `read: "true"` or `read: x` for read; vaultsync reads only true and false, and must not
    write `false` over the user's value, neither by the sync (an import of another digest) nor by a merge."""
    vault, note, day, new = one_listed(corpus, tmp_path)
    mine = note.read_text().replace("\nread: false\n", f"\nread: {value}\n")
    note.write_text(mine)
    result = run_cli("import", new, vault, check=True)
    assert f"{note}: property 'read' left as you wrote it" in result.stderr
    run_cli("import", vault.parent / "src", vault, "--force", check=True)  # every digest merged again
    assert note.read_text() == mine and lines_of(vault, note) == {day: " "}
