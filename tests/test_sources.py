"""What counts as a digest, how files are dated, and how an import tells what it did: through the installed
CLI on real files, and the small pure helpers (`words`, `Summary.describe`) directly."""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, run_cli

import vaultsync
from vaultsync.pipeline.sources import subfolder_notice
from vaultsync.summary import DigestReport, Summary
from vaultsync.text.words import article, count, plural

EXAMPLE = REPO / "examples" / "digests" / "2024-01-18.md"
SMALL = """## robots
### Title: A Small Robot Paper. (arXiv:2401.99901v1 [cs.RO])
* Paper URL: [http://arxiv.org/abs/2401.99901](http://arxiv.org/abs/2401.99901)
* Code URL: null
* Summary: <p>A robot.</p>
"""


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder)
    return folder


# --- which files are digests -------------------------------------------------------------------------------


def test_a_readme_and_a_binary_file_beside_the_digests_are_skipped_with_a_notice(src, tmp_path):
    (src / "README.md").write_text("# arXiv daily\n\nThe digests land here every morning.\n")
    (src / "logo.md").write_bytes(b"\x89PNG\x00\x01")
    result = run_cli("import", src, tmp_path / "vault")
    assert result.returncode == 0 and result.stderr == ""
    notices = [line for line in result.stdout.splitlines() if line.endswith("— skipped")]
    assert notices == [
        f"{src / 'README.md'}: no '## keyword' sections or '### Title:' entries, not a digest — skipped",
        f"{src / 'logo.md'}: binary file (NUL bytes), not a digest — skipped",
    ]
    assert "1 digest read (1 with papers, 0 empty), dates from file names" in result.stdout
    assert "modification time" not in result.stdout
    summary = json.loads(run_cli("import", src, tmp_path / "vault", "--json", check=True).stdout)
    assert summary["digests_read"] == 1 and summary["errors"] == [] and len(summary["notices"]) == 2


def test_a_file_named_like_a_digest_that_is_not_one_is_still_an_error(src, tmp_path):
    (src / "README.md").write_text("notes\n")
    (src / "2024-01-19.md").write_text("a shopping list\n")
    result = run_cli("import", src, tmp_path / "vault")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {src / '2024-01-19.md'}: no '## keyword' sections or '### Title:' entries, not a digest — skipped"
    ]
    assert "0 empty" in result.stdout and "1 error" in result.stdout


def test_watch_skips_a_readme_with_a_notice_and_logs_when_it_stops(src, tmp_path):
    (src / "README.md").write_text("notes\n")
    result = run_cli("watch", src, tmp_path / "vault", "--once")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(" INFO " in line and "README.md" in line and line.endswith("— skipped") for line in lines)
    assert not any(" ERROR " in line or " WARNING " in line for line in lines), result.stderr
    assert "as an Obsidian vault" in lines[0]
    assert lines[-1].endswith(f"INFO stopped watching {src}")


# --- dates -----------------------------------------------------------------------------------------------------


def test_two_undated_digests_with_one_date_are_refused_naming_both(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(EXAMPLE, src / "a.md")
    (src / "b.md").write_text(SMALL)
    vault = tmp_path / "vault"
    result = run_cli("import", src, vault, "--date", "2024-03-03")
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"Error: {src / 'b.md'}: ") and str(src / "a.md") in errors[0]
    index = (vault / "arXiv" / "Digests" / "arXiv 2024-03-03.md").read_text()
    assert "paper_count: 42\n" in index and "Small Robot" not in index  # it lists the one file it is for
    assert not list((vault / "arXiv" / "Papers").glob("A Small Robot Paper*"))
    alone = run_cli("import", src / "b.md", vault, "--date", "2024-03-04", check=True)
    assert "1 created" in alone.stdout


@pytest.mark.parametrize(
    ("first", "second", "args"),
    [("a.md", "b.md", []), ("2024-01-18.md", "2024-01-18 again.txt", [])],
    ids=["dated by modification time", "dated by name"],
)
def test_two_digests_of_one_day_in_one_import_are_refused(tmp_path, first, second, args):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(EXAMPLE, src / first)
    (src / second).write_text(SMALL)
    for name in (first, second):
        os.utime(src / name, (1_700_000_000, 1_700_000_000))
    result = run_cli("import", src, tmp_path / "vault", *args)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and all(str(src / name) in errors[0] for name in (first, second))
    assert "1 digest read (1 with papers, 0 empty)" in result.stdout


def test_the_modification_time_fallback_is_a_warning(tmp_path):
    undated = tmp_path / "undated.md"
    shutil.copy(EXAMPLE, undated)
    os.utime(undated, (1_700_000_000, 1_700_000_000))
    result = run_cli("import", undated, tmp_path / "vault")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        f"Warning: {undated}: no date in its name — dated 2023-11-14 from its modification time;"
        " put the date in its name (2024-01-18.md) or give --date"
    ]
    assert "1 warning, 0 errors" in result.stdout


def _dated_by_mtime_then_by_option(tmp_path: Path, flavor: str = "obsidian") -> tuple[Path, Path]:
    undated = tmp_path / "undated.md"
    shutil.copy(EXAMPLE, undated)
    os.utime(undated, (1_700_000_000, 1_700_000_000))  # 2023-11-14
    vault = tmp_path / "vault"
    run_cli("import", undated, vault, "--flavor", flavor, check=True)
    return undated, vault


def test_a_digest_dated_by_modification_time_then_given_date_moves_to_that_day(tmp_path):
    undated, vault = _dated_by_mtime_then_by_option(tmp_path)
    digests, papers = vault / "arXiv" / "Digests", vault / "arXiv" / "Papers"
    assert (digests / "arXiv 2023-11-14.md").is_file()
    result = run_cli("import", undated, vault, "--date", "2024-01-18", "--json", check=True)
    assert {"action": "removed", "note": "arXiv/Digests/arXiv 2023-11-14.md"} in json.loads(result.stdout)["changes"]
    assert sorted(path.name for path in digests.iterdir()) == ["arXiv 2024-01-18.md"]
    notes = [path.read_text() for path in papers.iterdir()]
    assert len(notes) == 42
    assert all("first_seen: 2024-01-18\n" in note and "2023-11-14" not in note for note in notes)
    queue = (vault / "arXiv" / "Reading queue.md").read_text()
    assert "2023-11-14" not in queue
    again = run_cli("import", undated, vault, "--date", "2024-01-18", "--json", check=True)
    assert json.loads(again.stdout)["changes"] == []


def test_a_re_dated_digest_s_index_note_with_the_user_s_ticks_stays_with_a_warning(tmp_path):
    undated, vault = _dated_by_mtime_then_by_option(tmp_path)
    old = vault / "arXiv" / "Digests" / "arXiv 2023-11-14.md"
    ticked = old.read_text().replace("- [ ] ", "- [x] ", 1)
    old.write_text(ticked)
    result = run_cli("import", undated, vault, "--date", "2024-01-18")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        f"Warning: {old}: lists undated.md as of 2023-11-14, now dated 2024-01-18; you changed it, so it stays"
        " — delete it once you no longer need it"
    ]
    assert old.read_text() == ticked
    assert (vault / "arXiv" / "Digests" / "arXiv 2024-01-18.md").is_file()
    assert "2023-11-14" not in "".join(path.read_text() for path in (vault / "arXiv" / "Papers").iterdir())


@pytest.mark.parametrize("flavor", ["obsidian", "logseq"])
def test_a_re_dated_digest_s_index_note_with_a_line_of_the_user_s_stays_after_an_import_that_merged_it(
    tmp_path, flavor
):
    """An import between the edit and the re-dating merged the note and found nothing to write: its file stamp
    is then vaultsync's last word on it, but the user's line is still in it (it was removed with the note)."""
    undated, vault = _dated_by_mtime_then_by_option(tmp_path, flavor)
    old = vault / ("arXiv/Digests/arXiv 2023-11-14.md" if flavor == "obsidian" else "pages/arXiv 2023-11-14.md")
    mine = old.read_text() + ("\n" if flavor == "obsidian" else "- ") + "My thoughts on this day.\n"
    old.write_text(mine)
    again = run_cli("import", undated, vault, "--flavor", flavor, "--json", check=True)
    assert json.loads(again.stdout)["changes"] == []
    result = run_cli("import", undated, vault, "--flavor", flavor, "--date", "2024-01-18")
    assert result.returncode == 0
    assert f"{old}: lists undated.md as of 2023-11-14, now dated 2024-01-18; you changed it" in result.stderr
    assert old.read_text() == mine


def test_a_re_dated_logseq_digest_page_goes_too(tmp_path):
    (tmp_path / "vault" / "logseq").mkdir(parents=True)
    (tmp_path / "vault" / "logseq" / "config.edn").write_text("{}")
    undated, vault = _dated_by_mtime_then_by_option(tmp_path, "logseq")
    assert (vault / "pages" / "arXiv 2023-11-14.md").is_file()
    run_cli("import", undated, vault, "--date", "2024-01-18", check=True)
    assert not (vault / "pages" / "arXiv 2023-11-14.md").exists()
    assert (vault / "pages" / "arXiv 2024-01-18.md").is_file()
    pages = "".join(path.read_text() for path in (vault / "pages").iterdir())
    assert "first-seen:: [[Jan 18th, 2024]]" in pages and "2023-11-14" not in pages and "Nov 14th" not in pages


def test_a_new_undated_digest_of_another_day_under_the_same_name_is_not_a_re_dating(tmp_path):
    undated, vault = _dated_by_mtime_then_by_option(tmp_path)
    undated.write_text(SMALL)  # a generator that rewrites latest.md every day
    os.utime(undated, (1_700_100_000, 1_700_100_000))  # 2023-11-16
    run_cli("import", undated, vault, check=True)
    digests = sorted(path.name for path in (vault / "arXiv" / "Digests").iterdir())
    assert digests == ["arXiv 2023-11-14.md", "arXiv 2023-11-16.md"]


# --- counts ----------------------------------------------------------------------------------------------------


def test_json_counts_each_digest_s_own_paper_notes_only(src, tmp_path):
    summary = json.loads(run_cli("import", src, tmp_path / "vault", "--json", check=True).stdout)
    (report,) = summary["digests"]
    assert report["papers"] == 42 and report["paper_notes"]["created"] == 42
    assert summary["papers"]["created"] == 42
    assert (tmp_path / "vault" / "arXiv" / "Reading queue.md").exists()  # written, but no paper of the digest


def test_the_run_s_own_notes_are_counted_in_the_run_s_report_and_no_digest_s(src, tmp_path):
    """The reading states synced, the reading queue, its base and the topic notes are written after the
    digests: a digest's report, as `progress` hands it out, stays as it was."""
    vault = tmp_path / "vault"
    vaultsync.import_digests(src, vault)
    index = next((vault / "arXiv" / "Digests").iterdir())
    index.write_text(index.read_text().replace("- [ ] ", "- [x] ", 1))  # one paper read: synced into its note
    handed: list[DigestReport] = []
    summary = vaultsync.import_digests(src, vault, progress=lambda report: handed.append(copy.deepcopy(report)))
    assert summary.digests == handed and set(handed[0].outcomes.values()) == {"unchanged"}
    queue, base = "arXiv/Reading queue.md", "arXiv/Reading queue.base"
    assert summary.notes.outcomes[queue] == "updated" and ("updated", queue) in summary.changes
    topics = len(list((vault / "arXiv" / "Topics").iterdir()))
    assert (vault / base).exists() and topics > 1
    # the paper read and the queue updated, the topic notes checked; the base is a file, no note
    assert Counter(summary.notes.outcomes.values()) == {"updated": 2, "unchanged": topics}
    assert summary.papers["updated"] == 1 and summary.papers["unchanged"] == 41  # counted once, as it ended


def test_an_empty_src_has_nothing_to_import_and_no_state_is_made(tmp_path):
    (tmp_path / "src").mkdir()
    vault = tmp_path / "vault"
    result = run_cli("import", tmp_path / "src", vault, check=True)
    assert result.stdout == "Nothing to import: no digests found.\n"
    assert not (vault / ".vaultsync" / "state.sqlite").exists()


def test_digests_in_sub_folders_are_pointed_out_once(src, tmp_path):
    (src / "2023").mkdir()
    shutil.copy(EXAMPLE, src / "2023" / "2023-01-18.md")
    shutil.copy(EXAMPLE, src / "2023" / "2023-01-19.md")
    (src / "2023" / "README").write_text("not a digest: no pattern matches")
    (src / ".git").mkdir()
    shutil.copy(EXAMPLE, src / ".git" / "2023-01-20.md")
    notice = f"{src}: 2 digests in sub-folders not imported — give --recursive to import them too"
    assert subfolder_notice(src) == notice
    assert subfolder_notice(src / "2023") is None and subfolder_notice(EXAMPLE) is None
    result = run_cli("watch", src, tmp_path / "vault", "--once", check=True)
    assert result.stderr.count(notice) == 1
    recursive = run_cli("watch", src, tmp_path / "other", "--once", "--recursive", check=True)
    assert "--recursive" not in recursive.stderr


@pytest.mark.parametrize(
    ("number", "noun", "said"),
    [(0, "digest", "0 digests"), (1, "digest", "1 digest"), (2, "error", "2 errors"), (1, "warning", "1 warning"),
     (1, "problem", "1 problem"), (3, "entry", "3 entries"), (2, "match", "2 matches"), (2, "day", "2 days")],
)  # fmt: skip
def test_counts_say_their_noun_in_the_right_number(number, noun, said):
    assert count(number, noun) == said


def test_plurals_and_articles():
    assert plural("failed attempt") == "failed attempts" and count(5, "child", "children") == "5 children"
    assert article("Obsidian vault") == "an Obsidian vault" and article("Logseq graph") == "a Logseq graph"


def test_a_digest_that_failed_is_not_counted_empty():
    failed = DigestReport("2024-01-18.md", day=date(2024, 1, 18), date_source="file name", errors=["x: denied"])
    empty = DigestReport("2024-02-16.md", day=date(2024, 2, 16), date_source="file name")
    full = DigestReport("2024-01-19.md", day=date(2024, 1, 19), date_source="file name", papers=3)
    summary = Summary([failed, empty, full], flavor_reason="the default")
    assert "3 digests read (1 with papers, 1 empty, 1 failed)" in summary.describe()
    assert summary.describe().endswith("0 warnings, 1 error")
    assert "1 digest read (0 with papers, 1 empty)," in Summary([empty], flavor_reason="x").describe()
