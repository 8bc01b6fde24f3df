"""The `vaultsync` command: parses options, calls the library, prints the outcome.

Exit codes: 0 done; 1 some file or note failed (the rest was imported); 2 bad usage (missing SRC,
SRC neither a file nor a folder, VAULT is a file or, for status and doctor, missing, a template that does not
load or render, -q with -v, bad option); 3 another vaultsync is writing to the vault; 4 `watch`'s vault
folder was moved, renamed or removed while it ran (nothing is written at the old path); 130 `import`
interrupted by Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import random
import shutil
import stat
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperArgument, TyperCommand

from vaultsync import api
from vaultsync._version import __version__
from vaultsync.commands import service
from vaultsync.flavors import FLAVORS, KINDS, resolve
from vaultsync.flavors.layout import Layout
from vaultsync.flavors.logseq.graph import CONFIG, ConfigNotEdited, hide_property
from vaultsync.flavors.logseq.page import CHECKSUM_KEY
from vaultsync.pipeline.render import TemplateProblem, default_templates
from vaultsync.pipeline.run import Options
from vaultsync.pipeline.sources import file_kind
from vaultsync.settings import FILE as CONFIG_FILE
from vaultsync.settings import default_text as default_settings
from vaultsync.storage import lock
from vaultsync.storage.state import StateError
from vaultsync.storage.vault import STATE_DIR
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


app = typer.Typer(
    help="Turn arXiv-daily digests into notes in an Obsidian vault or a Logseq graph: one note per paper, one"
    " index note per day.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # Click's plain help: Rich's tables cut and split words at 80 columns
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Option sets shared by the commands that import (defined once, used by `import` and `watch`).
SrcVault = Annotated[
    list[Path],
    typer.Argument(
        metavar="[SRC] VAULT",
        help="The digests (a file, or a folder of *.md / *.txt digests), then the vault folder (created if"
        " missing). VAULT alone when its settings name the `source`.",
        show_default=False,
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Write nothing; print what would be created or updated.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")]
Quiet = Annotated[bool | None, typer.Option("--quiet", "-q", help="Print only errors.")]
Verbose = Annotated[bool | None, typer.Option("--verbose", "-v", help="Print every note written, and tracebacks.")]
Config = Annotated[
    Path | None,
    typer.Option("--config", metavar="PATH", help="Settings file (default: VAULT/.vaultsync/config.toml)."),
]
DigestDate = Annotated[
    str | None,
    typer.Option("--date", metavar="YYYY-MM-DD", help="Date of digests whose file name has none (else: file time)."),
]
Templates = Annotated[
    Path | None,
    typer.Option("--templates", metavar="DIR", help="Folder of templates overriding the defaults file by file."),
]
Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Regenerate managed regions you edited (index notes keep their ticks, not your lines in them).",
    ),
]
RestoreDeleted = Annotated[bool, typer.Option("--restore-deleted", help="Re-create notes you deleted.")]
PapersFolder = Annotated[str | None, typer.Option(metavar="FOLDER", help="Vault folder of paper notes.")]
DigestsFolder = Annotated[str | None, typer.Option(metavar="FOLDER", help="Vault folder of daily index notes.")]
PaperName = Annotated[
    str | None, typer.Option(metavar="PATTERN", help="Paper note name: {title}, {arxiv_id}, {category}.")
]
DigestName = Annotated[str | None, typer.Option(metavar="PATTERN", help="Index note name; must contain {date}.")]
FlavorOption = Annotated[
    str | None,
    typer.Option(
        "--flavor",
        metavar="auto|obsidian|logseq",
        autocompletion=_completing(("auto", *FLAVORS)),
        help="Write an Obsidian vault or a Logseq graph (auto: Logseq if VAULT has logseq/config.edn).",
    ),
]
Recursive = Annotated[
    bool | None, typer.Option("--recursive/--no-recursive", "-r", help="Also digests in sub-folders (not hidden ones).")
]
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", metavar="N", help="Processes to use: 2 or more parse digests ahead on other cores (1: none)."
    ),
]
Wait = Annotated[
    float | None,
    typer.Option(
        "--wait", metavar="SECONDS", min=0, help="How long to wait while another vaultsync writes to VAULT (exit 3)."
    ),
]


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
def import_command(
    paths: SrcVault,
    dry_run: DryRun = False,
    json_out: JsonOut = False,
    quiet: Quiet = None,
    verbose: Verbose = None,
    day: DigestDate = None,
    recursive: Recursive = None,
    wait: Wait = None,
    jobs: Jobs = None,
    flavor: FlavorOption = None,
    config: Config = None,
    templates: Templates = None,
    force: Force = False,
    restore_deleted: RestoreDeleted = False,
    papers_folder: PapersFolder = None,
    digests_folder: DigestsFolder = None,
    paper_name: PaperName = None,
    digest_name: DigestName = None,
) -> None:
    """Import digests once: create or update paper notes and daily index notes.

    Example: vaultsync import ~/arxiv-daily/rss ~/Notes --dry-run
    """
    given = dict(quiet=quiet, verbose=verbose, recursive=recursive, wait=wait, flavor=flavor, templates=templates)
    given |= dict(papers_folder=papers_folder, digests_folder=digests_folder, paper_name=paper_name, jobs=jobs)
    src, vault = _src_vault(paths)
    try:
        fallback_day = date.fromisoformat(day) if day else None
    except ValueError:
        _fail(f"--date {day!r} is not a date like 2024-01-18")
    with _import_errors(verbose):
        planned = api.plan(
            src, vault, config=config, day=fallback_day, dry_run=dry_run, force=force, restore_deleted=restore_deleted,
            digest_name=digest_name, **given,
        )  # fmt: skip
        quiet, verbose = planned.settings["quiet"], planned.settings["verbose"]
        summary = _run_import(planned, show_progress=not (quiet or json_out))
    _report(summary, dry_run=dry_run, json_out=json_out, quiet=quiet, verbose=verbose)
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


@app.command("watch", cls=_Command, short_help="Import each new or changed digest as soon as it is complete.")
def watch_command(
    paths: SrcVault,
    settle: Annotated[
        float | None, typer.Option(metavar="SECONDS", min=0, help="Import a file once unchanged for this long.")
    ] = None,
    recursive: Recursive = None,
    poll: Annotated[
        bool | None,
        typer.Option("--poll/--no-poll", help="Look for changes by polling (network drives, WSL, Docker volumes)."),
    ] = None,
    poll_interval: Annotated[float | None, typer.Option(metavar="SECONDS", min=0.1, help="Time between polls.")] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Catch up on new or changed digests, then exit (1 if an import failed). A digest still being"
            " written is waited for at most the settle window plus 3 more (at least 5 s), then skipped with a"
            " warning: the next run takes it.",
        ),
    ] = False,
    wait: Wait = None,
    flavor: FlavorOption = None,
    config: Config = None,
    log_file: Annotated[Path | None, typer.Option(metavar="PATH", help="Also append the log to this file.")] = None,
    quiet: Annotated[bool | None, typer.Option("--quiet", "-q", help="Log only warnings and errors.")] = None,
    verbose: Annotated[bool | None, typer.Option("--verbose", "-v", help="Log every file event too.")] = None,
    templates: Templates = None,
    papers_folder: PapersFolder = None,
    digests_folder: DigestsFolder = None,
    paper_name: PaperName = None,
    digest_name: DigestName = None,
) -> None:
    """Import every new or changed digest, then each one that lands in SRC as soon as it is complete.

    Runs until stopped (Ctrl-C or SIGTERM: the file in hand is finished, exit 0), or until VAULT is moved,
    renamed or removed (exit 4). Logs one line per digest imported on stderr.

    Example: vaultsync watch ~/arxiv-daily/rss ~/Notes --log-file ~/watch.log
    """
    from vaultsync.daemon.watch import WatchOptions, stop_on_signals, watch

    given = dict(settle=settle, recursive=recursive, poll=poll, poll_interval=poll_interval, wait=wait)
    given |= dict(flavor=flavor, log_file=log_file, quiet=quiet, verbose=verbose, templates=templates)
    given |= dict(papers_folder=papers_folder, digests_folder=digests_folder, paper_name=paper_name)
    src, vault, settings = _locate(paths, config, digest_name=digest_name, **given)
    options = _options(vault, settings)
    settings_for_watch = WatchOptions(
        settle=settings["settle"],
        recursive=settings["recursive"],
        poll=settings["poll"],
        poll_interval=settings["poll_interval"],
        once=once,
        patterns=options.patterns,
    )
    log_to = Path(settings["log_file"]).expanduser() if settings["log_file"] else None
    _configure_logging(settings["verbose"], settings["quiet"], log_to)
    stop = threading.Event()
    with stop_on_signals(stop), _writer(vault, "watch", settings["wait"]) as held:
        try:
            code = watch(src, vault, options, settings_for_watch, stop, held)
        except lock.VaultMoved as error:
            _fail(str(error), EXIT_VAULT_MOVED)
        except Exception as error:
            if settings["verbose"]:
                traceback.print_exc()
            _fail(f"{type(error).__name__}: {error} (run with --verbose for details)", EXIT_FAILED)
    raise typer.Exit(code)


@app.command("fetch", cls=_Command, short_help="Write today's digest from arXiv's RSS feed.")
def fetch_command(
    target: Annotated[
        Path,
        typer.Argument(
            metavar="OUT_DIR|VAULT",
            help="The folder to write the digest into, or a vault whose settings name the `source` folder"
            " and a [fetch] table.",
        ),
    ],
    category: Annotated[
        list[str] | None,
        typer.Option("--category", metavar="CAT", help="arXiv category, repeatable (cs.CV); one request for all."),
    ] = None,
    keyword: Annotated[
        list[str] | None,
        typer.Option(
            "--keyword",
            metavar="WORD",
            help="Section keyword, repeatable, in order: a paper goes under the first found in its title, else"
            " in its abstract; papers matching none are left out. None: a section per primary category.",
        ),
    ] = None,
    updated: Annotated[
        bool | None, typer.Option("--updated/--no-updated", help="Also list new versions of papers (UPDATED).")
    ] = None,
    feed_url: Annotated[
        str | None, typer.Option(metavar="URL", help="The feed's base URL (default https://rss.arxiv.org/rss/).")
    ] = None,
    timeout: Annotated[float, typer.Option(metavar="SECONDS", min=0.1, help="Give up on a silent server.")] = 30.0,
    import_to: Annotated[
        Path | None, typer.Option("--import", metavar="VAULT", help="Import the digest into VAULT right after.")
    ] = None,
    quiet: Quiet = None,
    config: Config = None,
) -> None:
    """Write the day's digest, OUT_DIR/YYYY-MM-DD.md, from arXiv's RSS feed, in the format `import` reads.

    Exit 0 also when arXiv announces nothing (weekends): nothing is written. Exit 1 when the feed cannot be
    fetched or read: nothing is written either.

    Example: vaultsync fetch ~/arxiv-daily --category cs.CV --keyword diffusion
    """
    from vaultsync.commands.fetch import FetchError, fetch, options_from

    settings: dict[str, Any] = {}
    out_dir = target
    if config is not None or (target / CONFIG_FILE).is_file():  # a vault: the folder and the feed from its settings
        settings = _settings(target, config)
        if not settings["source"]:
            _fail(f"{target} has no `source` setting — give the folder to write into, or set `source` in it")
        out_dir = Path(settings["source"])
    given = dict(categories=category, keywords=keyword, updated=updated, feed_url=feed_url, timeout=timeout)
    options = options_from(settings.get("fetch", {}), given)
    if not options.categories:
        _fail("no category — give --category cs.CV (repeatable), or set categories in the vault's [fetch] table")
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"{out_dir} is not a folder — give the folder to write the digest into")
    try:
        outcome = fetch(out_dir, options)
    except FetchError as error:
        _fail(str(error), EXIT_FAILED)
    except OSError as error:
        _fail(f"{out_dir}: cannot write the digest ({error.strerror or error}) — check the folder", EXIT_FAILED)
    if not quiet:
        typer.echo(outcome.describe(options.url))
    if import_to is not None and outcome.path is not None:
        import_command([outcome.path, import_to], quiet=quiet)


@app.command("init", cls=_Command, short_help="Write a settings file and the default templates, to edit.")
def init_command(
    vault: Annotated[Path, typer.Argument(help="The vault folder (created if missing).")],
    flavor: FlavorOption = None,
    source: Annotated[
        Path | None,
        typer.Option(
            metavar="SRC", help="The folder the digests land in: then `import`, `watch`, `service` need only VAULT."
        ),
    ] = None,
    hide_stamp: Annotated[
        bool,
        typer.Option(
            "--hide-stamp",
            help="Logseq: add vaultsync's own `vaultsync::` property to :block-hidden-properties in logseq/config.edn.",
        ),
    ] = False,
) -> None:
    """Write a commented settings file and the default templates into VAULT/.vaultsync/, to edit.

    Files already there are kept. With --hide-stamp (Logseq), the graph's config.edn is edited to hide the
    `vaultsync::` stamp on paper and digest pages; nothing else in it changes.

    Example: vaultsync init ~/Notes --source ~/arxiv-daily/rss
    """
    _check_vault(vault)
    if source is not None and not source.expanduser().is_dir():
        _fail(f"--source {source} is not a folder — give the folder the digests land in")
    try:
        chosen, reason = resolve(flavor or "auto", vault, Layout())
    except ValueError as error:
        _fail(str(error))
    if hide_stamp and chosen.name != "logseq":
        _fail("--hide-stamp is for Logseq graphs (with logseq/config.edn): an Obsidian note's stamp is a comment")
    folder = vault / STATE_DIR
    where = str(source.expanduser().absolute()) if source else ""
    files = {folder / "config.toml": default_settings(chosen.name, where)}
    defaults = default_templates() / chosen.templates
    files |= {folder / "templates" / template.name: template.read_text() for template in sorted(defaults.glob("*.j2"))}
    typer.echo(f"{KINDS[chosen.name]} ({reason})")
    for path, text in files.items():
        if path.exists():
            hint = f' — set source = "{where}" in it yourself' if where and path.name == "config.toml" else ""
            typer.echo(f"kept (it exists): {path}{hint}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        typer.echo(f"written: {path}")
    typer.echo("Edit them; `import` and `watch` use them from now on (command-line options still win).")
    if hide_stamp:
        try:
            added = hide_property(vault, CHECKSUM_KEY)
        except ConfigNotEdited as error:
            _fail(str(error), EXIT_FAILED)
        where = vault / CONFIG
        typer.echo(f"{'hidden' if added else 'already hidden'}: :{CHECKSUM_KEY} in :block-hidden-properties of {where}")


@app.command("status", cls=_Command, short_help="Show what is in the vault.")
def status_command(
    vault: Annotated[Path, typer.Argument(help="The vault folder.")],
    json_out: JsonOut = False,
) -> None:
    """Show what is in the vault: papers, digests, the reading queue, tags, notes kept or deleted.

    Exit 1, with one line saying so, if the state store is damaged, outdated or missing (the next import
    rebuilds it from the notes): its counts would be wrong. Index notes that cannot be read are warnings.

    Example: vaultsync status ~/Notes --json
    """
    from vaultsync.commands.status import status

    _existing_vault(vault)
    try:
        result = status(vault)
    except StateError as error:
        _fail(str(error), EXIT_FAILED)
    if result is None:
        _fail(f"{vault}: nothing imported here yet — run `vaultsync import SRC {vault}` first")
    for message in result.warnings:
        typer.echo(f"Warning: {message}", err=True)
    if json_out:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(result.describe(vault))


@app.command("doctor", cls=_Command, short_help="Check the vault against the vault contract.")
def doctor_command(
    vault: Annotated[Path, typer.Argument(help="The vault folder.")],
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Repair what can be repaired without touching your text: a damaged, outdated or missing state"
            " store is set aside and rebuilt from the notes (as an import does), moved and deleted notes are"
            " recorded, broken or ambiguous index links re-linked.",
        ),
    ] = False,
) -> None:
    """Check the vault against the vault contract; exit 0 if healthy, 1 if problems remain.

    Example: vaultsync doctor ~/Notes --fix
    """
    from vaultsync.commands.doctor import doctor

    _existing_vault(vault)
    with _writer(vault, "doctor", 10, enabled=fix):
        try:
            report = doctor(vault, fix=fix)
        except StateError as error:
            _fail(str(error), EXIT_FAILED)
    for message in report.fixed:
        typer.echo(f"fixed: {message}")
    for message in report.problems:
        typer.echo(f"problem: {message}")
    for message in report.warnings:
        typer.echo(f"warning: {message}")
    typer.echo("healthy" if report.healthy else f"{count(len(report.problems), 'problem')} remain")
    raise typer.Exit(EXIT_OK if report.healthy else EXIT_FAILED)


@app.command("service", cls=_Command, short_help="Print a systemd or launchd service that runs `watch`.")
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
    name: Annotated[str, typer.Option(metavar="NAME", help="Service name.")] = "vaultsync",
    config: Config = None,
    fetch: Annotated[
        bool,
        typer.Option(
            "--fetch",
            help="Instead: run `vaultsync fetch VAULT` daily after arXiv's refresh (midnight US Eastern), a"
            " random delay later (VAULT's settings name the source and the [fetch] categories).",
        ),
    ] = False,
    timer: Annotated[bool, typer.Option("--timer", help="With --fetch, systemd: print the .timer instead.")] = False,
) -> None:
    """Print a service definition that runs `vaultsync watch` for the vault at login and keeps it running.

    Example: vaultsync service systemd ~/Notes -- --settle 5 > vaultsync.service
    """
    if kind not in service.KINDS:
        _fail(f"{kind!r} is not a kind of service — give systemd (Linux) or launchd (macOS)")
    split = next((index for index, item in enumerate(arguments) if item.startswith("-")), len(arguments))
    paths = [Path(item).expanduser().absolute() for item in arguments[:split]]
    if fetch or timer:
        _fetch_service(kind, paths, arguments[split:], f"{name}-fetch", config, timer)
        return
    src, vault, _ = _locate(paths, config)
    if not src.is_dir():
        _fail(f"{src} is not a folder — give the folder the digests land in")
    executable = shutil.which("vaultsync") or sys.argv[0]
    command = [str(Path(executable).absolute()), "watch", *map(str, paths)]
    command += ["--config", str(config.absolute())] if config else []
    command += arguments[split:]
    if kind == "systemd":
        text = service.systemd_unit(command, f"vaultsync: import arXiv digests from {src} into {vault}")
    else:
        log_file = Path.home() / "Library" / "Logs" / f"{name}.log"
        text = service.launchd_plist(command, f"org.vaultsync.{name}", log_file)
    typer.echo(text, nl=False)
    typer.echo(service.install_steps(kind, name), err=True)


def _fetch_service(
    kind: str, paths: list[Path], options: list[str], name: str, config: Path | None, timer: bool
) -> None:
    """Print the definitions that run `vaultsync fetch VAULT` daily (`timer`: systemd's .timer)."""
    if len(paths) != 1:
        _fail("--fetch takes VAULT alone: its settings name the source folder and the [fetch] categories")
    vault = paths[0]
    settings = _settings(vault, config)
    if not settings["source"] or not settings["fetch"].get("categories"):
        _fail(f"{vault}: set `source` and `categories` in its [fetch] table first (see `vaultsync init`)")
    executable = shutil.which("vaultsync") or sys.argv[0]
    command = [str(Path(executable).absolute()), "fetch", str(vault)]
    command += ["--config", str(config.absolute())] if config else []
    command += options
    about = f"vaultsync: fetch today's arXiv digest for {vault}"
    if kind == "systemd":
        text = service.systemd_fetch_timer(about) if timer else service.systemd_fetch_unit(command, about)
    else:
        at = service.local_fetch_time(datetime.now().astimezone(), random.randrange(service.FETCH_DELAY // 60))
        log_file = Path.home() / "Library" / "Logs" / f"{name}.log"
        text = service.launchd_fetch_plist(command, f"org.vaultsync.{name}", log_file, at)
    typer.echo(text, nl=False)
    typer.echo(service.install_steps(kind, name, timer=True), err=True)


def _check_vault(vault: Path) -> None:
    """A vault that does not exist yet is fine (it is created); a file (or FIFO, device…) in its place is not."""
    try:
        api.check_vault(vault)
    except api.ArgumentError as error:
        _fail(str(error))


def _existing_vault(vault: Path) -> None:
    """`status` and `doctor` need a vault that is there."""
    try:
        mode = vault.stat().st_mode
    except OSError:
        _fail(f"{vault} does not exist — give the vault's folder")
    if not stat.S_ISDIR(mode):
        _fail(f"{vault} is {file_kind(mode)}, not a vault folder — give the vault's folder")


def _src_vault(paths: list[Path]) -> tuple[Path | None, Path]:
    """SRC (None: from the vault's settings) and VAULT, from `[SRC] VAULT`."""
    if len(paths) not in (1, 2):
        _fail("give SRC and VAULT, or VAULT alone when its settings name the source")
    return (paths[0] if len(paths) == 2 else None), paths[-1]


def _locate(paths: list[Path], config: Path | None, **given: Any) -> tuple[Path, Path, dict[str, Any]]:
    """SRC, VAULT and the settings, from `[SRC] VAULT` (SRC from the vault's settings when not given)."""
    src, vault = _src_vault(paths)
    _check_vault(vault)
    settings = _settings(vault, config, **given)
    try:
        return api.source(src, vault, settings), vault, settings
    except api.ArgumentError as error:
        _fail(str(error))


def _settings(vault: Path, config: Path | None, **given: Any) -> dict[str, Any]:
    """The vault's settings with the options given (exit 2 if they cannot be used)."""
    try:
        return api.settings(vault, config, **given)
    except api.ArgumentError as error:
        _fail(str(error))


def _options(vault: Path, settings: dict[str, Any]) -> Options:
    """The import options for `watch` (exit 2 if a setting or template cannot be used)."""
    try:
        return api.options(vault, settings)[0]
    except (api.ArgumentError, TemplateProblem) as error:
        _fail(str(error))


def _waiting(holder: str) -> None:
    typer.echo(f"Waiting for {holder}…", err=True)


@contextmanager
def _writer(vault: Path, command: str, wait: float, enabled: bool = True) -> Iterator[lock.Held | None]:
    """Hold the vault's one-writer lock (exit 3 if another vaultsync keeps it beyond `wait`); yields it,
    or None when not `enabled`."""
    held: lock.Held | None = None
    with ExitStack() as stack:
        if enabled:
            try:
                held = stack.enter_context(api.writer(vault, command, wait, _waiting))
            except lock.VaultBusy as error:
                _fail(str(error), EXIT_BUSY)
            except api.ArgumentError as error:
                _fail(str(error))
            if held.left_behind:
                typer.echo(
                    f"Note: {held.left_behind.describe()} stopped without releasing {vault}; taking over", err=True
                )
        yield held


def _configure_logging(verbose: bool, quiet: bool, log_file: Path | None) -> None:
    """Log lines with their time on stderr, and appended to `log_file` (reopened if it is rotated)."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        try:
            handlers.append(logging.handlers.WatchedFileHandler(log_file, encoding="utf-8"))
        except OSError as error:
            _fail(f"--log-file {log_file}: cannot open it ({error.strerror or error})")
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S", handlers=handlers
    )
    for noisy in ("watchdog", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def _import_errors(verbose: bool) -> Iterator[None]:
    """An import's failure as one `Error:` line and its exit code; the traceback only with --verbose."""
    try:
        yield
    except (api.ArgumentError, TemplateProblem) as error:
        _fail(str(error))
    except lock.VaultBusy as error:
        _fail(str(error), EXIT_BUSY)
    except StateError as error:
        _fail(str(error), EXIT_FAILED)
    except KeyboardInterrupt:
        _fail("interrupted — every note written is complete; import again to finish", EXIT_INTERRUPTED)
    except Exception as error:  # an unexpected bug: one line, the traceback only on request
        if verbose:
            traceback.print_exc()
        _fail(f"{type(error).__name__}: {error} (run with --verbose for details)", EXIT_FAILED)


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
        verb = {
            "created": "would create" if dry_run else "created",
            "updated": "would update" if dry_run else "updated",
            "moved": "found moved",
        }
        for action, note in summary.changes:
            typer.echo(f"{verb[action]}: {note}")
    typer.echo(summary.describe(dry_run=dry_run))


def main() -> None:
    """Entry point of the `vaultsync` script and `python -m vaultsync`."""
    app(prog_name="vaultsync")
