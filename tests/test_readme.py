"""The README as a new user follows it: the everyday setup, run line by line, ends in a watched vault."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

from conftest import REPO, run_cli

DIGEST = REPO / "examples" / "digests" / "2024-01-18.md"


def everyday_setup() -> list[list[str]]:
    """The commands of the README's "For everyday use" block, comments left out."""
    readme = (REPO / "README.md").read_text()
    block = readme[readme.index("**For everyday use**") :].split("```sh\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_the_everyday_setup_goes_from_nothing_to_a_watched_vault(tmp_path):
    home = tmp_path / "home"
    (home / "arxiv-daily").mkdir(parents=True)
    shutil.copy(DIGEST, home / "arxiv-daily" / "2024-01-17.md")  # the backlog
    commands = everyday_setup()
    assert [words[0] for words in commands] == [
        "pipx",
        "vaultsync",
        "vaultsync",
        "mkdir",
        "vaultsync",
        "systemctl",
        "vaultsync",
    ]
    for words in commands:
        words = [word.replace("~", str(home), 1) if word.startswith("~") else word for word in words]
        if words[0] == "mkdir":
            Path(words[-1]).mkdir(parents=True, exist_ok=True)
        if words[0] != "vaultsync":  # pipx and systemctl: vaultsync is installed here, and there is no user systemd
            continue
        target = None
        if ">" in words:
            words, target = words[: words.index(">")], Path(words[-1])
        result = run_cli(*words[1:], check=True)
        if target:
            target.write_text(result.stdout)
    notes = home / "Notes"
    assert (notes / "arXiv" / "Digests" / "arXiv 2024-01-17.md").is_file()

    unit = (home / ".config" / "systemd" / "user" / "vaultsync.service").read_text()
    service = subprocess.Popen(
        shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.MULTILINE)[1]),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        part = home / "arxiv-daily" / "2024-01-18.md.part"
        shutil.copy(DIGEST, part)
        part.rename(part.with_suffix(""))  # the generator's finished digest lands
        index = notes / "arXiv" / "Digests" / "arXiv 2024-01-18.md"
        deadline = time.monotonic() + 20
        while not index.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert index.is_file(), "the service did not import the new digest"
    finally:
        service.send_signal(signal.SIGTERM)
        _, log = service.communicate(timeout=10)
    assert service.returncode == 0 and "imported 2024-01-18.md" in log
    status = json.loads(run_cli("status", notes, "--json", check=True).stdout)
    assert status["digests"] == 2 and status["papers"] == 42
