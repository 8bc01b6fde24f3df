"""The `vaultsync` command: parses options, calls the library, prints the outcome.

Exit codes: 0 done; 1 some file or note failed (the rest was imported); 2 bad usage (missing SRC,
VAULT is a file, unknown template, bad option).
"""

from __future__ import annotations

import json
import sys
import traceback
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from . import __version__
from .layout import Layout, LayoutError
from .render import TemplateProblem
from .state import StateError
from .summary import Summary
from .sync import Options, find_digests, import_digests
from .vault import STATE_DIR

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

app = typer.Typer(
    help="Turn arXiv-daily digests into notes in an Obsidian vault.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Option sets shared by the commands that import (defined once, used by `import` and `watch`).
DryRun = Annotated[bool, typer.Option("--dry-run", help="Write nothing; print what would be created or updated.")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Print every note written, and tracebacks.")]
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
PapersFolder = Annotated[str, typer.Option(help="Vault folder of paper notes.")]
DigestsFolder = Annotated[str, typer.Option(help="Vault folder of daily index notes.")]
PaperName = Annotated[str, typer.Option(help="Paper note name: {title}, {arxiv_id}, {category}.")]
DigestName = Annotated[str, typer.Option(help="Index note name; must contain {date}.")]


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
    """Turn arXiv-daily digests into notes in an Obsidian vault: one note per paper, one index note per day."""


@app.command("import")
def import_command(
    src: Annotated[Path, typer.Argument(help="A digest file, or a folder of *.md / *.txt digests.")],
    vault: Annotated[Path, typer.Argument(help="The vault folder (created if missing).")],
    dry_run: DryRun = False,
    json_out: JsonOut = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    day: DigestDate = None,
    templates: Templates = None,
    force: Force = False,
    restore_deleted: RestoreDeleted = False,
    papers_folder: PapersFolder = Layout.papers_folder,
    digests_folder: DigestsFolder = Layout.digests_folder,
    paper_name: PaperName = Layout.paper_name,
    digest_name: DigestName = Layout.digest_name,
) -> None:
    """Import digests once: create or update paper notes and daily index notes.

    Example: vaultsync import ~/arxiv-daily/rss ~/Notes --dry-run
    """
    if not src.exists():
        _fail(f"{src} does not exist — give a digest file or a folder of digests")
    if vault.exists() and not vault.is_dir():
        _fail(f"{vault} is a file, not a vault folder — give the vault's folder")
    if templates is not None and not templates.is_dir():
        _fail(f"--templates {templates} is not a folder")
    try:
        layout = Layout(papers_folder, digests_folder, paper_name, digest_name)
        fallback_day = date.fromisoformat(day) if day else None
    except LayoutError as error:
        _fail(str(error))
    except ValueError:
        _fail(f"--date {day!r} is not a date like 2024-01-18")
    template_dirs = tuple(path for path in (templates, vault / STATE_DIR / "templates") if path and path.is_dir())
    options = Options(
        layout=layout,
        template_dirs=template_dirs,
        day=fallback_day,
        dry_run=dry_run,
        force=force,
        restore_deleted=restore_deleted,
    )
    try:
        summary = _run_import(src, vault, options, show_progress=not (quiet or json_out))
    except TemplateProblem as error:
        _fail(f"{error} — fix the template or remove it to use the default")
    except StateError as error:
        _fail(str(error), EXIT_FAILED)
    except Exception as error:  # an unexpected bug: one line, the traceback only on request
        if verbose:
            traceback.print_exc()
        _fail(f"{type(error).__name__}: {error} (run with --verbose for details)", EXIT_FAILED)
    _report(summary, dry_run=dry_run, json_out=json_out, quiet=quiet, verbose=verbose)
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


def _run_import(src: Path, vault: Path, options: Options, *, show_progress: bool) -> Summary:
    """The import, with a progress bar on stderr when that is a terminal and there is more than one digest."""
    total = len(find_digests(src))
    if not (show_progress and total > 1 and sys.stderr.isatty()):
        return import_digests(src, vault, options)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("Importing digests", total=total)
        return import_digests(src, vault, options, progress=lambda path: bar.advance(task))


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
    typer.echo(_summary_text(summary, dry_run=dry_run))


_RARE_OUTCOMES = {"kept": "kept (edited by you)", "deleted": "skipped (deleted by you)"}


def _summary_text(summary: Summary, *, dry_run: bool) -> str:
    read = [report for report in summary.digests if report.day is not None]
    with_papers = sum(1 for report in read if report.papers)
    dates = [
        f"  {report.source}: dated {report.day} from its {report.date_source}"
        for report in read
        if report.date_source != "file name"
    ]

    def counts(counter: dict[str, int]) -> str:
        shown = [f"{counter.get(outcome, 0)} {outcome}" for outcome in ("created", "updated", "unchanged")]
        shown += [f"{counter[outcome]} {label}" for outcome, label in _RARE_OUTCOMES.items() if counter.get(outcome)]
        return ", ".join(shown)

    lines = [
        ("Dry run, nothing written. " if dry_run else "")
        + f"{len(read)} digests read ({with_papers} with papers, {len(read) - with_papers} empty)"
        + (", dates from file names" if read and not dates else ""),
        *dates,
        f"papers: {counts(summary.papers)}",
        f"index notes: {counts(summary.index_notes)}",
        *([f"{summary.moved} moved notes followed"] if summary.moved else []),
        *([f"state store: {summary.rebuilt}"] if summary.rebuilt else []),
        f"{len(summary.warnings)} warnings, {len(summary.errors)} errors",
    ]
    return "\n".join(lines)


def main() -> None:
    """Entry point of the `vaultsync` script and `python -m vaultsync`."""
    app(prog_name="vaultsync")
