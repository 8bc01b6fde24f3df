"""Service definitions that run `vaultsync watch` at login and keep it running: a systemd user unit
(Linux) and a launchd agent (macOS). Pure: they are rendered from the command line to run."""

from __future__ import annotations

import plistlib
from pathlib import Path

KINDS = ("systemd", "launchd")


def _systemd_quote(argument: str) -> str:
    """One ExecStart argument: quoted, with systemd's specifiers (`%`) and variables (`$`) escaped."""
    escaped = argument.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def systemd_unit(command: list[str], description: str) -> str:
    """A systemd user unit (`~/.config/systemd/user/NAME.service`) running `command`."""
    return "\n".join(
        [
            "[Unit]",
            f"Description={description}",
            "",
            "[Service]",
            "Type=exec",
            "ExecStart=" + " ".join(map(_systemd_quote, command)),
            "Restart=on-failure",
            "RestartSec=30",
            "RestartPreventExitStatus=4",  # the vault was moved or removed: restarting would not find it
            "",
            "[Install]",
            "WantedBy=default.target",
            "",
        ]
    )


def launchd_plist(command: list[str], label: str, log_file: Path) -> str:
    """A launchd agent (`~/Library/LaunchAgents/LABEL.plist`) running `command` at login, restarted if
    it fails, its log lines appended to `log_file`."""
    agent = {
        "Label": label,
        "ProgramArguments": command,
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 30,
        "StandardErrorPath": str(log_file),
        "StandardOutPath": str(log_file),
    }
    return plistlib.dumps(agent, sort_keys=False).decode("utf-8")


def install_steps(kind: str, name: str) -> str:
    """How to install the printed definition as service `name`."""
    if kind == "systemd":
        unit = f"~/.config/systemd/user/{name}.service"
        return (
            f"Save this as {unit}, then run:\n"
            f"  systemctl --user daemon-reload && systemctl --user enable --now {name}\n"
            f"Logs: journalctl --user -u {name} -f    (to keep it running while logged out: loginctl enable-linger)"
        )
    agent = f"~/Library/LaunchAgents/{name}.plist"
    return f"Save this as {agent}, then run:\n  launchctl load -w {agent}"
