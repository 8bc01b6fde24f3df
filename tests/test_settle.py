"""The pure parts of watching: which files are digests, when a file has settled, service definitions."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
from pathlib import Path, PurePath

import pytest
from conftest import run_cli
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.commands.service import launchd_plist, systemd_unit
from vaultsync.daemon.settle import Settler
from vaultsync.pipeline.sources import find_digests, is_digest


@pytest.mark.parametrize(
    "path, recursive, expected",
    [
        ("2024-01-18.md", False, True),
        ("digest.txt", False, True),
        ("README.md", False, True),
        ("notes.pdf", False, False),
        (".2024-01-18.md", False, False),
        ("2024-01-18.md~", False, False),
        ("2024-01-18.md.part", False, False),
        ("2024-01-18.tmp", False, False),
        (".2024-01-18.md.swp", False, False),
        (".#2024-01-18.md", False, False),
        ("2024/2024-01-18.md", False, False),
        ("2024/2024-01-18.md", True, True),
        (".git/2024-01-18.md", True, False),
        ("a/.hidden/2024-01-18.md", True, False),
    ],
)
def test_is_digest(path, recursive, expected):
    assert is_digest(PurePath(path), recursive) is expected


def test_find_digests_in_import_order(tmp_path):
    for name in ["b.md", "2024-01-18.md", "2023-12-01.txt", ".x.md", "y.md~", "sub/2022-01-01.md", ".git/2021.md"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    assert [p.name for p in find_digests(tmp_path)] == ["2023-12-01.txt", "2024-01-18.md", "b.md"]
    assert [p.name for p in find_digests(tmp_path, recursive=True)][0] == "2022-01-01.md"
    assert len(find_digests(tmp_path, recursive=True)) == 4


class FakeFile:
    """A file's signature as a test changes it (the clock is the test's too)."""

    def __init__(self) -> None:
        self.signature: tuple[int, int, int] | None = (1, 1, 1)

    def __call__(self, path: Path) -> tuple[int, int, int] | None:
        return self.signature


def test_a_file_settles_after_a_window_without_change():
    settler, file, path = Settler(1.0), FakeFile(), Path("d.md")
    settler.touch(path, 0.0)
    assert settler.next_check(0.0) == 0.0
    assert settler.settled(0.0, file) == []  # first look: the window starts
    assert settler.settled(0.9, file) == []
    file.signature = (2, 2, 1)  # written again, no event seen (polling missed it)
    assert settler.settled(1.2, file) == []
    assert settler.next_check(1.2) == pytest.approx(1.0)
    assert settler.settled(2.2, file) == [path] and not settler


def test_a_scanned_file_untouched_for_a_window_is_taken_at_once_and_a_fresh_one_waits():
    settler, file = Settler(1.0), FakeFile()
    settler.touch(Path("old.md"), 10.0, (1, 1, 1), still_for=3600)
    settler.touch(Path("new.md"), 10.0, (1, 1, 1), still_for=0.2)
    assert settler.settled(10.0, file) == [Path("old.md")]
    assert settler.settled(10.8, file) == [Path("new.md")]


def test_a_file_that_disappears_is_forgotten():
    settler, file = Settler(1.0), FakeFile()
    settler.touch(Path("d.md"), 0.0)
    file.signature = None
    assert settler.settled(5.0, file) == [] and not settler


steps = st.lists(
    st.tuples(st.floats(0, 1.5), st.sampled_from(["nothing", "event", "write", "write+event"])), max_size=40
)


@pytest.mark.slow
@given(steps, st.sampled_from([0.5, 1.0, 2.0]))
def test_settled_only_after_a_whole_window_unchanged_and_then_always(steps, window):
    """Taken only once no event came and every look saw the same signature for a whole window; and a
    file left alone is taken after a window."""
    settler, file, path = Settler(window), FakeFile(), Path("d.md")
    now, events, first_seen, version = 0.0, [0.0], {}, 1
    settler.touch(path, now)
    for advance, action in steps:
        now += advance
        if "write" in action:
            version += 1
            file.signature = (version, version, 1)
        if "event" in action:
            events.append(now)
            settler.touch(path, now)
        done = settler.settled(now, file)
        first_seen.setdefault(file.signature, now)
        if done:
            assert done == [path] and now - events[-1] >= window and now - first_seen[file.signature] >= window
            settler.touch(path, now)  # watch it again, as a new event would
            events.append(now)
    left_alone = settler.settled(now + 0.01, file) + settler.settled(now + window + 0.02, file)
    assert left_alone == [path]


def test_systemd_unit_is_valid_and_quotes_every_argument(tmp_path):
    odd = str(tmp_path / 'my "digests" 100% $HOME\\x')
    unit = systemd_unit(["/usr/bin/vaultsync", "watch", odd, "/v"], "vaultsync")
    assert 'ExecStart="/usr/bin/vaultsync" "watch" "' in unit
    assert '\\"digests\\" 100%% $$HOME\\\\x" "/v"' in unit
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    (tmp_path / "vaultsync.service").write_text(unit.replace("/usr/bin/vaultsync", sys.executable))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "vaultsync.service")], capture_output=True, text=True
    )
    assert result.returncode == 0 and "vaultsync.service" not in result.stderr, result.stderr


def test_launchd_plist_runs_the_command_at_login():
    agent = plistlib.loads(launchd_plist(["/bin/vaultsync", "watch", "/a b", "/v"], "org.x", Path("/l.log")).encode())
    assert agent["ProgramArguments"] == ["/bin/vaultsync", "watch", "/a b", "/v"]
    assert agent["RunAtLoad"] is True and agent["Label"] == "org.x" and agent["StandardErrorPath"] == "/l.log"


def test_service_command_prints_the_installed_vaultsync_watching_src(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    result = run_cli("service", "systemd", src, tmp_path / "vault", "--", "--settle", "5", check=True)
    script = Path(sys.executable).with_name("vaultsync")
    assert f'ExecStart="{script}" "watch" "{src}" "{tmp_path / "vault"}" "--settle" "5"' in result.stdout
    assert "systemctl --user enable --now vaultsync" in result.stderr
    agent = plistlib.loads(run_cli("service", "launchd", src, tmp_path / "v", check=True).stdout.encode())
    assert agent["ProgramArguments"][:3] == [str(script), "watch", str(src)]
    assert run_cli("service", "upstart", src, tmp_path / "v").returncode == 2
