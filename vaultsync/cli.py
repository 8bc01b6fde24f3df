"""The `vaultsync` command: parses options, calls the library (`api`, `commands`, `daemon`), prints the
outcome. Every option comes from its one declaration in `settings` (`_options`).

Exit codes: 0 done; 1 some file or note failed (the rest was imported); 2 bad usage (missing SRC,
SRC neither a file nor a folder, VAULT is a file or, for status and doctor, missing, a template that does not
load or render, -q with -v, bad option); 3 another vaultsync is writing to the vault; 4 `watch`'s vault
folder was moved, renamed or removed while it ran (nothing is written at the old path); 130 `import`
interrupted by Ctrl-C.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperArgument, TyperCommand

from vaultsync import api
from vaultsync._version import __version__
from vaultsync.commands import init, service
from vaultsync.flavors.logseq.graph import ConfigNotEdited
from vaultsync.pipeline.render import TemplateProblem
from vaultsync.settings import FETCH, RUN, SETTINGS, Setting
from vaultsync.storage import lock
from vaultsync.storage.snapshot import VaultMoved
from vaultsync.storage.state import StateError
from vaultsync.summary import Summary
from vaultsync.text.words import count

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_VAULT_MOVED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


class _Command(TyperCommand):
    """Help as people read it (Click's plain layout, rewrapped to the terminal): arguments by their metavar,
    `[SRC] VAULT` rather than Typer's `{[SRC] VAULT}...` and `[SRC] VAULT <list[Path]>`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        arguments = [param for param in self.get_params(ctx) if isinstance(param, TyperArgument)]
        return [self.options_metavar or "", *(param.metavar or (param.name or "").upper() for param in arguments)]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record and isinstance(param, TyperArgument):
                sections["Arguments"].append((param.metavar or (param.name or "").upper(), record[1]))
            elif record:
                sections["Options"].append(record)
        for title, records in sections.items():
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


def _completing(values: tuple[str, ...]) -> Any:
    """Shell completion offering `values`."""
    return lambda incomplete: [value for value in values if value.startswith(incomplete)]


def _option(setting: Setting, default: Any) -> Any:
    """The option of `setting`, as its declaration says, with its `default` (None: the settings file's)."""
    kind = float if isinstance(setting.kind, tuple) else {bool: bool, int: int, list: list[str]}.get(setting.kind, str)
    details = {"metavar": setting.metavar, "min": setting.minimum, "help": setting.help}
    details["autocompletion"] = _completing(setting.choices) if setting.choices else None
    return Annotated[kind if default is not None else kind | None, typer.Option(*setting.option_flags, **details)]


def _options(command: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The options `command` takes, each from its one declaration (like sqlite-utils' shared option
    decorators): those about one run (`settings.RUN`), then the settings (None: not given, the settings
    file's value). They follow the function's own parameters (its arguments); it gets them as `given`."""

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        taken = [(setting, setting.default) for setting in RUN.values() if command in setting.commands]
        taken += [
            (setting, None) for table in (SETTINGS, FETCH) for setting in table.values() if command in setting.commands
        ]
        signature = inspect.signature(function, eval_str=True)
        own = [parameter for name, parameter in signature.parameters.items() if name != "given"]
        kind = inspect.Parameter.KEYWORD_ONLY
        added = [
            inspect.Parameter(setting.name, kind, default=value, annotation=_option(setting, value))
            for setting, value in taken
        ]

        @functools.wraps(function)
        def with_given(*args: Any, **kwargs: Any) -> None:
            function(*args, given={setting.name: kwargs.pop(setting.name, value) for setting, value in taken}, **kwargs)

        with_given.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        with_given.__annotations__ = {parameter.name: parameter.annotation for parameter in [*own, *added]}
        return with_given

    return decorate


app = typer.Typer(
    help="Turn arXiv-daily digests into notes in an Obsidian vault or a Logseq graph: one note per paper, one"
    " index note per day.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # Click's plain help: Rich's tables cut and split words at 80 columns
    context_settings={"help_option_names": ["-h", "--help"]},
)

# The arguments (the options are declared in `settings`).
SrcVault = Annotated[
    list[Path],
    typer.Argument(
        metavar="[SRC] VAULT",
        help="The digests (a file, or a folder of *.md / *.txt digests), then the vault folder (created if"
        " missing). VAULT alone when its settings name the `source`.",
        show_default=False,
    ),
]
Vault = Annotated[Path, typer.Argument(help="The vault folder.")]


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vaultsync {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Turn arXiv-daily digests into notes in an Obsidian vault or a Logseq graph: one note per paper, one index
    note per day."""


@app.command("import", cls=_Command, short_help="Import digests once: paper notes and daily index notes.")
@_options("import")
def import_command(paths: SrcVault, *, given: dict[str, Any]) -> None:
    """Import digests once: create or update paper notes and daily index notes.

    Example: vaultsync import ~/arxiv-daily/rss ~/Notes --dry-run
    """
    src, vault = _src_vault(paths)
    given["day"] = _date(given["day"])
    _import(src, vault, given)


@app.command("watch", cls=_Command, short_help="Import each new or changed digest as soon as it is complete.")
@_options("watch")
def watch_command(paths: SrcVault, *, given: dict[str, Any]) -> None:
    """Import every new or changed digest, then each one that lands in SRC as soon as it is complete.

    Runs until stopped (Ctrl-C or SIGTERM: the file in hand is finished, exit 0), or until VAULT is moved,
    renamed or removed (exit 4). Logs one line per digest imported on stderr.

    Example: vaultsync watch ~/arxiv-daily/rss ~/Notes --log-file ~/watch.log
    """
    from vaultsync.daemon.watch import configure_logging, prepare, stop_on_signals  # watchdog: only for `watch`

    src, vault = _src_vault(paths)
    stop = threading.Event()
    with _errors(given):
        planned = prepare(src, vault, **given)
        given["verbose"] = planned.settings["verbose"]
        configure_logging(planned.settings)
        with stop_on_signals(stop):
            code = planned.run(stop, _waiting, _taking_over)
    raise typer.Exit(code)


@app.command("fetch", cls=_Command, short_help="Write today's digest from arXiv's RSS feed.")
@_options("fetch")
def fetch_command(
    target: Annotated[
        Path,
        typer.Argument(
            metavar="OUT_DIR|VAULT",
            help="The folder to write the digest into, or a vault whose settings name the `source` folder"
            " and a [fetch] table.",
        ),
    ],
    *,
    given: dict[str, Any],
) -> None:
    """Write the day's digest, OUT_DIR/YYYY-MM-DD.md, from arXiv's RSS feed, in the format `import` reads.

    Exit 0 also when arXiv announces nothing (weekends): nothing is written. Exit 1 when the feed cannot be
    fetched or read: nothing is written either.

    Example: vaultsync fetch ~/arxiv-daily --category cs.CV --keyword diffusion
    """
    from vaultsync.commands.fetch import FetchError, fetch  # feedparser: only for `fetch`

    quiet, import_to = given.pop("quiet"), given.pop("import_to")
    with _errors(None, failed=(FetchError,)):
        outcome = fetch(target, **given)
    if not quiet:
        typer.echo(outcome.describe())
    if import_to is not None and outcome.path is not None:
        _import(outcome.path, Path(import_to), {"quiet": quiet})


@app.command("init", cls=_Command, short_help="Write a settings file and the default templates, to edit.")
@_options("init")
def init_command(
    vault: Annotated[Path, typer.Argument(help="The vault folder (created if missing).")], *, given: dict[str, Any]
) -> None:
    """Write a commented settings file and the default templates into VAULT/.vaultsync/, to edit.

    Files already there are kept. With --hide-stamp (Logseq), the graph's config.edn is edited to hide the
    `vaultsync::` stamp on paper and digest pages; nothing else in it changes.

    Example: vaultsync init ~/Notes --source ~/arxiv-daily/rss
    """
    with _errors(None):
        typer.echo(init.init(vault, **given).describe())
        if given["hide_stamp"]:
            typer.echo(init.hide_stamp(vault))


@app.command("status", cls=_Command, short_help="Show what is in the vault.")
@_options("status")
def status_command(vault: Vault, *, given: dict[str, Any]) -> None:
    """Show what is in the vault: papers, digests, the reading queue, tags, notes kept or deleted.

    Exit 1, with one line saying so, if the state store is damaged, outdated or missing (the next import
    rebuilds it from the notes): its counts would be wrong. Index notes that cannot be read are warnings.

    Example: vaultsync status ~/Notes --json
    """
    from vaultsync.commands.status import status

    with _errors(None):
        result = status(vault)
    for message in result.warnings:
        typer.echo(f"Warning: {message}", err=True)
    json_out = json.dumps(result.to_json(), indent=2, ensure_ascii=False)
    typer.echo(json_out if given["json_out"] else result.describe(vault))


@app.command("doctor", cls=_Command, short_help="Check the vault against the vault contract.")
@_options("doctor")
def doctor_command(vault: Vault, *, given: dict[str, Any]) -> None:
    """Check the vault against the vault contract; exit 0 if healthy, 1 if problems remain.

    Example: vaultsync doctor ~/Notes --fix
    """
    from vaultsync.commands.doctor import doctor

    with _errors(None):
        report = doctor(vault, given["fix"], on_wait=_waiting, on_take_over=_taking_over)
    for kind, messages in (("fixed", report.fixed), ("problem", report.problems), ("warning", report.warnings)):
        for message in messages:
            typer.echo(f"{kind}: {message}")
    typer.echo("healthy" if report.healthy else f"{count(len(report.problems), 'problem')} remain")
    raise typer.Exit(EXIT_OK if report.healthy else EXIT_FAILED)


@app.command("service", cls=_Command, short_help="Print a systemd or launchd service that runs `watch`.")
@_options("service")
def service_command(
    kind: Annotated[
        str,
        typer.Argument(
            metavar="systemd|launchd",
            help="Linux (systemd) or macOS (launchd).",
            autocompletion=_completing(service.KINDS),
        ),
    ],
    arguments: Annotated[
        list[str],
        typer.Argument(
            metavar="[SRC] VAULT [-- WATCH OPTIONS]",
            help="As for `watch` (VAULT alone when its settings name the source), then options for `watch` after --.",
            show_default=False,
        ),
    ],
    *,
    given: dict[str, Any],
) -> None:
    """Print a service definition that runs `vaultsync watch` for the vault at login and keeps it running.

    Example: vaultsync service systemd ~/Notes -- --settle 5 > vaultsync.service
    """
    with _errors(None):
        text, steps = service.definition(kind, arguments, **given)
    typer.echo(text, nl=False)
    typer.echo(steps, err=True)


def _src_vault(paths: list[Path]) -> tuple[Path | None, Path]:
    """SRC (None: from the vault's settings) and VAULT, from `[SRC] VAULT`."""
    if len(paths) not in (1, 2):
        _fail("give SRC and VAULT, or VAULT alone when its settings name the source")
    return (paths[0] if len(paths) == 2 else None), paths[-1]


def _date(day: str | None) -> date | None:
    """The `--date` given (exit 2 if it is no date)."""
    try:
        return date.fromisoformat(day) if day else None
    except ValueError:
        _fail(f"--date {day!r} is not a date like 2024-01-18")


def _waiting(holder: str) -> None:
    typer.echo(f"Waiting for {holder}…", err=True)


def _taking_over(message: str) -> None:
    typer.echo(f"Note: {message}; taking over", err=True)


@contextmanager
def _errors(
    given: dict[str, Any] | None, interrupted: str | None = None, failed: tuple[type[Exception], ...] = ()
) -> Iterator[None]:
    """A command's failure as one `Error:` line and its exit code (`failed`: more errors of exit code 1). An
    unexpected exception too, for the commands with --verbose (`given`, read when it happens: then with the
    traceback), and Ctrl-C when `interrupted` says what it leaves."""
    try:
        yield
    except (api.ArgumentError, TemplateProblem) as error:
        _fail(str(error))
    except lock.VaultBusy as error:
        _fail(str(error), EXIT_BUSY)
    except VaultMoved as error:
        _fail(str(error), EXIT_VAULT_MOVED)
    except (StateError, ConfigNotEdited, *failed) as error:
        _fail(str(error), EXIT_FAILED)
    except KeyboardInterrupt:
        if interrupted is None:
            raise
        _fail(interrupted, EXIT_INTERRUPTED)
    except Exception as error:  # an unexpected bug: one line, the traceback only on request
        if given is None:
            raise
        if given.get("verbose"):
            traceback.print_exc()
        _fail(f"{type(error).__name__}: {error} (run with --verbose for details)", EXIT_FAILED)


def _import(src: Path | None, vault: Path, given: dict[str, Any]) -> None:
    """Import as `vaultsync import` does (`given`: its options), print the outcome and exit."""
    json_out = given.pop("json_out", False)
    with _errors(given, "interrupted — every note written is complete; import again to finish"):
        planned = api.plan(src, vault, **given)
        quiet, verbose = planned.settings["quiet"], planned.settings["verbose"]
        summary = _run_import(planned, show_progress=not (quiet or json_out))
    _report(summary, dry_run=planned.options.dry_run, json_out=json_out, quiet=quiet, verbose=verbose)
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


def _run_import(planned: api.Plan, *, show_progress: bool) -> Summary:
    """The import, with a progress bar on stderr when that is a terminal and there is more than one digest."""
    if not (show_progress and len(planned.paths) > 1 and sys.stderr.isatty()):
        return api.run(planned, on_wait=_waiting)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        checking = bar.add_task("Checking templates", total=len(planned.paths), visible=planned.customized)
        task = bar.add_task("Importing digests", total=len(planned.paths))
        return api.run(planned, lambda _: bar.advance(task), checking=lambda _: bar.advance(checking), on_wait=_waiting)


def _report(summary: Summary, *, dry_run: bool, json_out: bool, quiet: bool, verbose: bool) -> None:
    for message in summary.errors:
        typer.echo(f"Error: {message}", err=True)
    if json_out:
        typer.echo(json.dumps(summary.to_json() | {"dry_run": dry_run}, indent=2, ensure_ascii=False))
    if quiet or json_out:
        return
    for message in summary.warnings:
        typer.echo(f"Warning: {message}", err=True)
    if dry_run or verbose:
        verb = {"created": "would create", "updated": "would update"} if dry_run else {}
        verb |= {"moved": "found moved"}
        for action, note in summary.changes:
            typer.echo(f"{verb.get(action, action)}: {note}")
    typer.echo(summary.describe(dry_run=dry_run))


def main() -> None:
    """Entry point of the `vaultsync` script and `python -m vaultsync`."""
    app(prog_name="vaultsync")
