"""Service definitions that run `vaultsync watch` at login and keep it running: a systemd user unit
(Linux) and a launchd agent (macOS); and those that run `vaultsync fetch` once a day, after arXiv
refreshes its feeds (midnight US Eastern): a systemd `.service` with its `.timer`, a launchd agent with
a `StartCalendarInterval`. Pure: they are rendered from the command line to run."""

from __future__ import annotations

import plistlib
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

KINDS = ("systemd", "launchd")
ARXIV_ZONE = "America/New_York"  # arXiv refreshes its feeds daily at midnight there (empty on weekends)
FETCH_AT = time(0, 30)  # half an hour later, so the new feed is out
FETCH_DELAY = 1800  # seconds: a random delay on top, so that not every vaultsync asks at once


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


def systemd_fetch_unit(command: list[str], description: str) -> str:
    """A systemd user unit (`NAME.service`) running `command` once, started by its timer."""
    return "\n".join(
        [
            "[Unit]",
            f"Description={description}",
            "",
            "[Service]",
            "Type=oneshot",
            "ExecStart=" + " ".join(map(_systemd_quote, command)),
            "",
        ]
    )


def systemd_fetch_timer(description: str) -> str:
    """The systemd timer (`NAME.timer`) starting `NAME.service` daily after arXiv's refresh, a random delay
    later; a day missed while the computer was off is caught up at the next boot."""
    return "\n".join(
        [
            "[Unit]",
            f"Description={description}",
            "",
            "[Timer]",
            f"OnCalendar=*-*-* {FETCH_AT:%H:%M}:00 {ARXIV_ZONE}",
            f"RandomizedDelaySec={FETCH_DELAY}",
            "Persistent=true",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )


def local_fetch_time(now: datetime, offset_minutes: int) -> time:
    """The local time of day (the zone of `now`, an aware datetime) that is FETCH_AT in arXiv's zone on
    that day, `offset_minutes` later: launchd knows local times only, and no random delay."""
    eastern = datetime.combine(now.astimezone(ZoneInfo(ARXIV_ZONE)).date(), FETCH_AT, ZoneInfo(ARXIV_ZONE))
    local = eastern.astimezone(now.tzinfo)
    minutes = (local.hour * 60 + local.minute + offset_minutes) % (24 * 60)
    return time(minutes // 60, minutes % 60)


def launchd_fetch_plist(command: list[str], label: str, log_file: Path, at: time) -> str:
    """A launchd agent (`~/Library/LaunchAgents/LABEL.plist`) running `command` daily at `at`, local time
    (a day missed while asleep is run at wake-up)."""
    agent = {
        "Label": label,
        "ProgramArguments": command,
        "StartCalendarInterval": {"Hour": at.hour, "Minute": at.minute},
        "StandardErrorPath": str(log_file),
        "StandardOutPath": str(log_file),
    }
    return plistlib.dumps(agent, sort_keys=False).decode("utf-8")


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


def install_steps(kind: str, name: str, timer: bool = False) -> str:
    """How to install the printed definition as service `name` (`timer`: a daily `fetch`, run by a timer)."""
    if kind == "systemd" and timer:
        return (
            f"Save this as ~/.config/systemd/user/{name}.service, and the output of the same command with"
            f" --timer as ~/.config/systemd/user/{name}.timer, then run:\n"
            f"  systemctl --user daemon-reload && systemctl --user enable --now {name}.timer\n"
            f"Next run: systemctl --user list-timers {name}.timer    Logs: journalctl --user -u {name}"
        )
    if kind == "systemd":
        unit = f"~/.config/systemd/user/{name}.service"
        return (
            f"Save this as {unit}, then run:\n"
            f"  systemctl --user daemon-reload && systemctl --user enable --now {name}\n"
            f"Logs: journalctl --user -u {name} -f    (to keep it running while logged out: loginctl enable-linger)"
        )
    agent = f"~/Library/LaunchAgents/{name}.plist"
    return f"Save this as {agent}, then run:\n  launchctl load -w {agent}"
