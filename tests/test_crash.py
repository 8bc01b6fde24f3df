"""Crash safety: `vaultsync import` killed with SIGKILL again and again over a full import of the real
digests. After every kill no note is partial, empty or damaged and the user's edits are intact; the next
import converges to exactly the vault an uninterrupted import gives."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import frontmatter
from conftest import run_cli, vault_files

from vaultsync.flavors.obsidian.notefile import ObsidianNotes

NOTES = ObsidianNotes()

SEED = 20261124  # change it to explore other kill points; a failure names the kill to replay
KILLS = 30
FIRST = 10  # digests imported, and edited by the user, before the killed runs (a quarter of a smaller corpus)


def user_edits(vault: Path) -> list[tuple[Path, str]]:
    """Edits a user makes after a first import: notes appended, a property added, boxes ticked.
    Returns (note, text it must keep containing)."""
    kept = []
    papers = sorted((vault / "arXiv" / "Papers").glob("*.md"))[:12]
    for number, note in enumerate(papers):
        text = note.read_text().replace("\ntags:\n", "\nrating: 5\ntags:\n", 1) + f"My notes, {number}.\n"
        note.write_text(text)
        kept += [(note, f"My notes, {number}.\n"), (note, "\nrating: 5\n")]
    for index in sorted((vault / "arXiv" / "Digests").glob("*.md"))[:3]:
        index.write_text(index.read_text().replace("- [ ] ", "- [x] ", 2))
        kept.append((index, "- [x] "))
    return kept


def first_import(corpus: Path, root: Path) -> tuple[Path, Path, list[tuple[Path, str]]]:
    """(src, vault, edits): the first digests imported and edited; src then holds all digests."""
    src, vault = root / "src", root / "vault"
    src.mkdir(parents=True)
    digests = sorted(corpus.glob("*.md"))
    first = min(FIRST, len(digests) // 4)
    for digest in digests[:first]:
        shutil.copy(digest, src)
    run_cli("import", src, vault, "-q", check=True)
    edits = user_edits(vault)
    for digest in digests[first:]:
        shutil.copy(digest, src)
    return src, vault, edits


def broken_notes(vault: Path, since: float) -> list[str]:
    """Notes written since `since` that are empty, partial or not intact."""
    broken = []
    for note in vault.rglob("*.md"):
        if note.stat().st_mtime >= since:
            text = note.read_text()
            if not text or NOTES.split(text) is None or not text.endswith("\n"):
                broken.append(str(note))
    return broken


def notes_in(vault: Path) -> int:
    return sum(1 for folder in ("Papers", "Digests") for _ in (vault / "arXiv" / folder).iterdir())


def test_sigkill_at_30_moments_never_breaks_a_note_and_the_next_import_converges(corpus, tmp_path):
    reference_src, reference, _ = first_import(corpus, tmp_path / "reference")
    run_cli("import", reference_src, reference, "-q", check=True)

    src, vault, edits = first_import(corpus, tmp_path / "killed")
    # Kill points spread over the whole import: once the vault holds the next share of its notes, plus
    # a random moment (seeded) more.
    rng = random.Random(SEED)
    before, after = notes_in(vault), notes_in(reference)
    targets = sorted(rng.randint(before, after - 1) for _ in range(KILLS))
    script = Path(sys.executable).with_name("vaultsync")
    points = []
    for kill, target in enumerate(targets):
        if points:  # at least one note further than the last kill (a small corpus, or a slow machine)
            target = min(max(target, points[-1] + 1), after - 1)
        since = time.time() - 1
        process = subprocess.Popen([script, "import", src, vault, "-q"], stdout=subprocess.DEVNULL)
        while notes_in(vault) < target and process.poll() is None:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.005))  # a few notes' writes at most: longer, kills ran to a small corpus's end
        assert process.poll() is None, f"the import finished before kill {kill}"
        process.send_signal(signal.SIGKILL)
        process.wait()
        points.append(notes_in(vault))
        assert broken_notes(vault, since) == [], f"kill {kill} (seed {SEED})"
        assert all(text in note.read_text() for note, text in edits), f"kill {kill} (seed {SEED})"

    assert len(set(points)) >= KILLS * 2 // 3 and points[0] < before + (after - before) // 4 < points[-1], points
    result = run_cli("import", src, vault, "-q")
    assert result.returncode == 0, result.stderr
    assert vault_files(vault) == vault_files(reference)  # the same tree, user edits included
    assert not list(vault.rglob(".vaultsync-*.tmp"))  # what the kills left behind is cleaned up


def test_temporary_files_left_by_a_killed_run_are_removed(corpus, tmp_path):
    vault = tmp_path / "vault"
    run_cli("import", corpus / "2024-01-18.md", vault, "-q", check=True)
    leftovers = [vault / "arXiv" / folder / ".vaultsync-abc123.tmp" for folder in ("Papers", "Digests")]
    for leftover in leftovers:
        leftover.write_text("half a note")
    run_cli("import", corpus / "2024-01-18.md", vault, "-q", check=True)
    assert not any(leftover.exists() for leftover in leftovers)


def test_two_imports_and_a_watch_at_once_take_turns_and_lose_nothing(corpus, corpus_import, tmp_path):
    """Three writers started together on one vault: the lock makes them take turns; the vault ends with
    every paper once and every listing of it, as one import of everything gives."""
    digests = sorted(corpus.glob("*.md"))
    sources = [tmp_path / name for name in ("a", "b", "w")]
    for number, src in enumerate(sources):
        src.mkdir()
        for digest in digests[number::3]:
            shutil.copy(digest, src)
    vault = tmp_path / "vault"
    script = Path(sys.executable).with_name("vaultsync")
    commands = [["import", sources[0]], ["import", sources[1]], ["watch", sources[2], vault, "--once", "--settle", "0"]]
    processes = [
        subprocess.Popen(
            [script, *command[:2], *([] if command[0] == "watch" else [vault]), *command[2:], "--wait", "120"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for command in commands
    ]
    results = [(process.wait(timeout=180), process.stderr.read()) for process in processes]  # type: ignore[union-attr]
    assert [code for code, _ in results] == [0, 0, 0], results
    assert sum("Waiting for `vaultsync" in stderr for _, stderr in results) >= 1  # someone had to wait

    def listings(root: Path) -> dict[str, tuple[str, ...]]:
        found = {}
        for note in (root / "arXiv" / "Papers").glob("*.md"):
            meta = frontmatter.load(note).metadata
            assert meta["arxiv_id"] not in found, f"{meta['arxiv_id']} twice"
            found[meta["arxiv_id"]] = tuple(sorted(meta["digests"]))
        return found

    reference, _ = corpus_import
    assert listings(vault) == listings(reference)  # no paper lost or doubled, no listing lost
    assert sorted(p.name for p in (vault / "arXiv" / "Digests").iterdir()) == sorted(
        p.name for p in (reference / "arXiv" / "Digests").iterdir()
    )
    again = json.loads(run_cli("import", corpus, vault, "--json", check=True).stdout)
    assert again["papers"]["created"] == again["index_notes"]["created"] == 0


def test_a_note_a_power_cut_left_empty_is_written_again(corpus, tmp_path):
    vault = tmp_path / "vault"
    run_cli("import", corpus / "2024-01-18.md", vault, "-q", check=True)
    before = vault_files(vault)
    notes = sorted((vault / "arXiv" / "Papers").glob("*.md"))[:3] + [
        vault / "arXiv" / "Digests" / "arXiv 2024-01-18.md"
    ]
    for note in notes:  # a power cut: the file's data lost, its metadata (inode, modification time) kept
        info = note.stat()
        note.write_text("")
        os.utime(note, ns=(info.st_atime_ns, info.st_mtime_ns))
    result = json.loads(run_cli("import", corpus / "2024-01-18.md", vault, "--json", check=True).stdout)
    assert vault_files(vault) == before and result["warnings"] == []
