"""Service definitions that run `vaultsync watch` at login and keep it running: a systemd user unit
(Linux) and a launchd agent (macOS); and those that run `vaultsync fetch` once a day, after arXiv
refreshes its feeds (midnight US Eastern): a systemd `.service` with its `.timer`, a launchd agent with
a `StartCalendarInterval`. Pure: they are rendered from the command line to run; `definition`, the
imperative shell of `vaultsync service`, checks the vault's settings and finds the installed script."""

from __future__ import annotations

import os
import plistlib
import random
import shutil
import sys
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from vaultsync.api import ArgumentError, check_vault, load_options, source

KINDS = ("systemd", "launchd")
ARXIV_ZONE = "America/New_York"  # arXiv refreshes its feeds daily at midnight there (empty on weekends)
FETCH_AT = time(0, 30)  # half an hour later, so the new feed is out
FETCH_DELAY = 1800  # seconds: a random delay on top, so that not every vaultsync asks at once


def _systemd_quote(argument: str) -> str:
    """One ExecStart argument: quoted, with systemd's specifiers (`%`) and variables (`$`) escaped."""
    escaped = argument.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def _service(command: list[str], description: str, kind: str) -> list[str]:
    """The `[Unit]` and `[Service]` lines of a unit running `command` (`kind`: its `Type=`)."""
    return [
        "[Unit]",
        f"Description={description}",
        "",
        "[Service]",
        f"Type={kind}",
        "ExecStart=" + " ".join(map(_systemd_quote, command)),
    ]


def systemd_unit(command: list[str], description: str) -> str:
    """A systemd user unit (`~/.config/systemd/user/NAME.service`) running `command`."""
    return "\n".join(
        [
            *_service(command, description, "exec"),
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
    return "\n".join([*_service(command, description, "oneshot"), ""])


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


def definition(
    kind: str,
    arguments: list[str],
    name: str = "vaultsync",
    config: str | os.PathLike[str] | None = None,
    daily_fetch: bool = False,
    timer: bool = False,
) -> tuple[str, str]:
    """The definition `vaultsync service KIND ARGUMENTS` prints (ARGUMENTS: `[SRC] VAULT [-- WATCH
    OPTIONS]`; with `daily_fetch`, VAULT alone and `fetch` options; `timer`: systemd's .timer of it), and
    how to install it. Raises ArgumentError for what the service could not run with."""
    if kind not in KINDS:
        raise ArgumentError(f"{kind!r} is not a kind of service — give systemd (Linux) or launchd (macOS)")
    split = next((index for index, item in enumerate(arguments) if item.startswith("-")), len(arguments))
    paths = [Path(item).expanduser().absolute() for item in arguments[:split]]
    file = Path(config).absolute() if config is not None else None
    if daily_fetch or timer:
        return _fetch_definition(kind, paths, arguments[split:], f"{name}-fetch", config, timer)
    if len(paths) not in (1, 2):
        raise ArgumentError("give SRC and VAULT, or VAULT alone when its settings name the source")
    vault = paths[-1]
    check_vault(vault)
    src = source(paths[0] if len(paths) == 2 else None, vault, load_options(vault, config))
    if not src.is_dir():
        raise ArgumentError(f"{src} is not a folder — give the folder the digests land in")
    command = [_executable(), "watch", *map(str, paths), *(["--config", str(file)] if file else []), *arguments[split:]]
    if kind == "systemd":
        text = systemd_unit(command, f"vaultsync: import arXiv digests from {src} into {vault}")
    else:
        text = launchd_plist(command, f"org.vaultsync.{name}", Path.home() / "Library" / "Logs" / f"{name}.log")
    return text, install_steps(kind, name)


def _fetch_definition(
    kind: str, paths: list[Path], options: list[str], name: str, config: str | os.PathLike[str] | None, timer: bool
) -> tuple[str, str]:
    """The definitions that run `vaultsync fetch VAULT` daily (`timer`: systemd's .timer), and how to install."""
    if len(paths) != 1:
        raise ArgumentError("--fetch takes VAULT alone: its settings name the source folder and the [fetch] categories")
    vault = paths[0]
    settings = load_options(vault, config)
    if not settings["source"] or not settings["fetch"].get("categories"):
        raise ArgumentError(f"{vault}: set `source` and `categories` in its [fetch] table first (see `vaultsync init`)")
    file = ["--config", str(Path(config).absolute())] if config is not None else []
    command = [_executable(), "fetch", str(vault), *file, *options]
    about = f"vaultsync: fetch today's arXiv digest for {vault}"
    if kind == "systemd":
        text = systemd_fetch_timer(about) if timer else systemd_fetch_unit(command, about)
    else:
        at = local_fetch_time(datetime.now().astimezone(), random.randrange(FETCH_DELAY // 60))
        log_file = Path.home() / "Library" / "Logs" / f"{name}.log"
        text = launchd_fetch_plist(command, f"org.vaultsync.{name}", log_file, at)
    return text, install_steps(kind, name, timer=True)


def _executable() -> str:
    """The installed `vaultsync` script, as an absolute path."""
    return str(Path(shutil.which("vaultsync") or sys.argv[0]).absolute())
