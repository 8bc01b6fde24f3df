"""Every command's `--help` as a user reads it in an 80-column terminal, and shell completion of values."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from vaultsync.cli import app

SCRIPT = Path(sys.executable).with_name("vaultsync")
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]
WIDTH = 80


def vaultsync(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed script, in a terminal `WIDTH` columns wide."""
    environment = {**os.environ, "COLUMNS": str(WIDTH), **env}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=environment, check=True)


def help_of(*command: str) -> list[str]:
    return [line.rstrip() for line in vaultsync(*command, "--help").stdout.splitlines()]


def written_words(command: str) -> set[str]:
    """The words of the command's docstring and of its parameters' help and metavars."""
    click_command = COMMANDS[command]
    texts = [click_command.help or ""]
    texts += [text for param in click_command.params for text in (getattr(param, "help", None), param.metavar) if text]
    return {word for text in texts for word in text.split()}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_fits_80_columns_with_every_word_whole(command):
    lines = help_of(command)
    assert [line for line in lines if len(line) > WIDTH] == []
    shown = {word for line in lines for word in line.split()}
    assert sorted(written_words(command) - shown) == []  # nothing cut (`logseq/config.ed…`) or split (`lo gseq`)
    assert not any(line.endswith(("…", "...")) for line in lines)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_shows_flags_without_a_type_and_usage_as_written(command):
    lines = help_of(command)
    text = "\n".join(lines)
    assert re.findall(r"<(?:bool|str|int|float|list\[\w+\]|Path)>", text) == []
    usage = " ".join(line.strip() for line in lines[: lines.index("")])
    assert usage.startswith(f"Usage: vaultsync {command} [OPTIONS] ") and "{" not in usage and "}..." not in usage
    params = COMMANDS[command].params
    arguments = " ".join(param.metavar or param.name.upper() for param in params if param.param_type_name == "argument")
    assert usage.endswith(f"[OPTIONS] {arguments}")
    example = next(line.strip() for line in (COMMANDS[command].help or "").splitlines() if "Example:" in line)
    assert f"  {example}" in lines  # an example stays on one line, to copy


@pytest.mark.parametrize("command", ["", *sorted(COMMANDS)])
def test_help_paragraphs_have_no_hard_line_breaks(command):
    """A description line ends only where the next word would not fit (the formatter wraps at WIDTH - 2)."""
    lines = help_of(*([command] if command else []))
    description = lines[2 : next(index for index, line in enumerate(lines) if line.endswith(":") and line[0] != " ")]
    for line, following in zip(description, description[1:], strict=False):
        if line and following and not line.strip().startswith("Example:"):
            assert len(line) + 1 + len(following.split()[0]) > WIDTH - 2, (line, following)


def test_top_level_help_names_both_kinds_of_vault_and_every_command_whole():
    lines = help_of()
    text = " ".join(lines)
    assert "Obsidian vault" in text and "Logseq graph" in text
    listed = {line.split()[0]: line for line in lines if line.startswith("  ") and line.split()[0] in COMMANDS}
    assert sorted(listed) == sorted(COMMANDS)
    assert not any(line.endswith(("…", "...")) for line in listed.values())


@pytest.mark.parametrize(
    "words, offered",
    [
        ("vaultsync import --flavor ", ["auto", "obsidian", "logseq"]),
        ("vaultsync watch SRC VAULT --flavor lo", ["logseq"]),
        ("vaultsync service ", ["systemd", "launchd"]),
        ("vaultsync service l", ["launchd"]),
    ],
)
def test_completion_offers_the_values(words, offered):
    result = vaultsync(_VAULTSYNC_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(len(words.split(" ")) - 1))
    assert result.stdout.split() == offered
