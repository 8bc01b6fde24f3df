"""What `vaultsync import` does, callable from Python with the same promises: the vault's settings file
is read (arguments override it, as options do on the command line), templates of the user's are tried on
every paper before anything is written, and the import holds the vault's one-writer lock, so it waits
for (or refuses to run beside) a `watch` or another import.

    import vaultsync
    summary = vaultsync.import_digests("~/arxiv-daily/rss", "~/Notes")
    print(summary.describe())

`plan` then `run` are the same in two steps, for callers that want to know the digests first (the
command line, for its progress bar). `load_options` (the settings), `existing_vault`, `source` and
`writer` (the lock) are the promises the other commands keep too (`commands`, `daemon`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from vaultsync.flavors import resolve
from vaultsync.flavors.layout import Layout, LayoutError
from vaultsync.pipeline.render import Renderer, TemplateProblem
from vaultsync.pipeline.run import Options
from vaultsync.pipeline.run import import_digests as _import
from vaultsync.pipeline.sources import file_kind, find_digests, subfolder_notice
from vaultsync.settings import SETTINGS, ConfigError
from vaultsync.settings import load as load_file
from vaultsync.storage import lock
from vaultsync.storage.vault import STATE_DIR
from vaultsync.summary import DigestReport, Summary

Progress = Callable[[DigestReport], None]


class ArgumentError(ValueError):
    """An argument, setting or settings file that cannot be used; the message says which and what to do."""


def check_vault(vault: Path) -> None:
    """A vault that does not exist yet is fine (it is created); a file (or FIFO, device…) in its place is not."""
    try:
        mode = vault.stat().st_mode
    except OSError:
        return
    if not stat.S_ISDIR(mode):
        raise ArgumentError(f"{vault} is {file_kind(mode)}, not a vault folder — give the vault's folder")


def existing_vault(vault: Path) -> None:
    """A vault that is there, for the commands that only read or repair it (`status`, `doctor`)."""
    try:
        mode = vault.stat().st_mode
    except OSError:
        raise ArgumentError(f"{vault} does not exist — give the vault's folder") from None
    if not stat.S_ISDIR(mode):
        raise ArgumentError(f"{vault} is {file_kind(mode)}, not a vault folder — give the vault's folder")


def load_options(
    vault: str | os.PathLike[str], config: str | os.PathLike[str] | None = None, **given: Any
) -> dict[str, Any]:
    """The settings for `vault`, by their config.toml names: its settings file (or `config`), with the
    `given` values (None: not given) over them, as options override it on the command line. `templates`
    and `source` from the file are relative to the vault. Raises ArgumentError."""
    root = Path(vault).expanduser()
    file = Path(config).expanduser() if config is not None else None
    unknown = given.keys() - SETTINGS.keys()
    if unknown:
        raise ArgumentError(f"unknown setting {', '.join(sorted(unknown))} — known: {', '.join(SETTINGS)}")
    if file is not None and not file.is_file():
        raise ArgumentError(f"--config {config} does not exist — give the settings file, or leave --config out")
    try:
        values = load_file(root, file).values
    except ConfigError as error:
        raise ArgumentError(f"{error} — fix the file, or see the README's Configuration section") from None
    if given.get("quiet") and given.get("verbose"):
        raise ArgumentError("--quiet and --verbose contradict each other — give one of them")
    merged = {**values, **{key: value for key, value in given.items() if value is not None}}
    for one, other in (("quiet", "verbose"), ("verbose", "quiet")):
        if given.get(one):  # an argument wins over the settings file
            merged[other] = False
    for key in ("templates", "source"):
        if given.get(key) is None and merged[key]:
            merged[key] = root / Path(merged[key]).expanduser()
    return merged


def source(src: Path | None, vault: Path, values: dict[str, Any]) -> Path:
    """The digest file or folder to read: `src`, else the `source` setting; it must be a file or a folder."""
    if src is None and not values["source"]:
        raise ArgumentError(
            f"no SRC given, and {vault} has no `source` setting — give SRC VAULT,"
            f" or set it with `vaultsync init {vault} --source SRC`"
        )
    found = src if src is not None else Path(values["source"])
    try:
        mode = found.stat().st_mode
    except OSError:
        raise ArgumentError(f"{found} does not exist — give a digest file or a folder of digests") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):  # a FIFO or a device: reading it may never end
        raise ArgumentError(
            f"{found} is {file_kind(mode)}, not a digest file or a folder — give a digest file or a folder of digests"
        )
    return found


def options(vault: Path, values: dict[str, Any]) -> tuple[Options, bool]:
    """The import options from `load_options(…)`, and whether a template of the user's replaces a default.
    Raises ArgumentError for a bad layout or flavor, TemplateProblem for a template that does not load."""
    templates = Path(values["templates"]) if values["templates"] else None
    if templates is not None and not templates.is_dir():
        raise ArgumentError(f"templates folder {templates} is not a folder")
    if values["jobs"] < 1:
        raise ArgumentError(f"jobs must be 1 or more, not {values['jobs']} — 1 uses one core")
    try:
        layout = Layout(values["papers_folder"], values["digests_folder"], values["paper_name"], values["digest_name"])
        chosen, _ = resolve(values["flavor"], vault, layout)
    except (LayoutError, ValueError) as error:
        raise ArgumentError(str(error)) from None
    template_dirs = tuple(path for path in (templates, vault / STATE_DIR / "templates") if path and path.is_dir())
    try:
        # A broken template stops us before any write.
        renderer = Renderer(
            chosen.layout,
            template_dirs,
            chosen,
            author_links=values["author_links"],
            cssclasses=tuple(values["cssclasses"]),
        )
    except TemplateProblem as error:
        raise TemplateProblem(f"{error} — fix the template or remove it to use the default") from None
    built = Options(
        layout=layout,
        template_dirs=template_dirs,
        flavor=values["flavor"],
        tag_prefix=values["tag_prefix"],
        tag_map=tuple(sorted(values["tag_map"].items())),
        patterns=tuple(values["digest_patterns"]),
        reading_queue=values["reading_queue"],
        topic_notes=values["topic_notes"],
        author_links=values["author_links"],
        cssclasses=tuple(values["cssclasses"]),
        jobs=values["jobs"],
    )
    return built, renderer.customized


@dataclass(frozen=True)
class Plan:
    """An import about to run: where from and to, how, and the digest files it will read."""

    vault: Path
    src: Path
    settings: dict[str, Any]
    options: Options
    paths: list[Path]
    customized: bool  # a template of the user's: tried on every paper first (a dry run)
    notices: list[str]
    flavor_given: bool  # the flavor was an argument, not from the settings file


def plan(
    src: str | os.PathLike[str] | None,
    vault: str | os.PathLike[str],
    *,
    config: str | os.PathLike[str] | None = None,
    day: date | None = None,
    dry_run: bool = False,
    force: bool = False,
    restore_deleted: bool = False,
    **given: Any,
) -> Plan:
    """Settle what an import of `src` (None: the `source` setting) into `vault` will do; `given`: settings
    by their config.toml name, over the file's. Raises ArgumentError or TemplateProblem."""
    root = Path(vault).expanduser()
    check_vault(root)
    values = load_options(root, config, **given)
    folder = source(Path(src).expanduser() if src is not None else None, root, values)
    built, customized = options(root, values)
    built = replace(built, day=day, dry_run=dry_run, force=force, restore_deleted=restore_deleted)
    paths = find_digests(folder, values["recursive"], built.patterns)
    notices = [] if values["recursive"] else [n for n in [subfolder_notice(folder, built.patterns)] if n]
    return Plan(root, folder, values, built, paths, customized, notices, given.get("flavor") is not None)


def run(
    planned: Plan,
    progress: Progress | None = None,
    *,
    checking: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Summary:
    """Run the import `planned`: with templates of the user's, first as a dry run (`checking` gets each
    report), so one failing on some paper stops it before any write; then holding the vault's lock
    (`on_wait` is told who holds it while waiting up to the `wait` setting). Raises TemplateProblem
    (naming the template, paper and digest), lock.VaultBusy, or StateError."""
    if not planned.paths:  # nothing to import: no vault folder, no state store made for it
        return Summary(notices=list(planned.notices))
    dry_run = planned.options.dry_run
    if planned.customized and not dry_run:
        _named(planned, replace(planned.options, dry_run=True), checking)
    if dry_run:
        summary = _named(planned, planned.options, progress)
    else:
        with writer(planned.vault, "import", planned.settings["wait"], on_wait) as held:
            summary = _named(planned, planned.options, progress)
            if held.left_behind:
                summary.notices.append(
                    f"{held.left_behind.describe()} stopped without releasing {planned.vault}; took over"
                )
    if not planned.flavor_given and summary.flavor_reason == "--flavor":
        summary.flavor_reason = "settings file"
    summary.notices[:0] = planned.notices
    return summary


@contextmanager
def writer(
    vault: Path,
    command: str,
    wait: float,
    on_wait: Callable[[str], None] | None = None,
    on_take_over: Callable[[str], None] | None = None,
) -> Iterator[lock.Held]:
    """Hold the vault's one-writer lock for `command` (see `lock.hold`: VaultBusy past `wait` seconds;
    `on_wait` is told who holds it, `on_take_over` who stopped without releasing it); a vault folder or
    lock that cannot be created is an ArgumentError."""
    with ExitStack() as stack:
        try:
            held = stack.enter_context(lock.hold(vault, command, wait, on_wait))
        except OSError as error:
            reason = error.strerror or error
            raise ArgumentError(f"{vault}: cannot create the vault folder or its lock ({reason})") from None
        if held.left_behind and on_take_over:
            on_take_over(f"{held.left_behind.describe()} stopped without releasing {vault}")
        yield held


def _named(planned: Plan, chosen: Options, progress: Progress | None) -> Summary:
    """The import, with a template's failure on a paper also naming the digest file it was in."""
    done: list[DigestReport] = []

    def report(item: DigestReport) -> None:
        done.append(item)
        if progress:
            progress(item)

    try:
        return _import(planned.paths, planned.vault, chosen, progress=report)
    except TemplateProblem as problem:
        paths = planned.paths
        digest = f" in {paths[len(done)]}" if len(done) < len(paths) else ""
        written = "nothing was written" if chosen.dry_run else "the digests before it were imported"
        raise TemplateProblem(f"{problem}{digest} — fix the template ({written})") from None


def import_digests(
    src: str | os.PathLike[str] | None,
    vault: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    **arguments: Any,
) -> Summary:
    """Import the digests at `src` (a file or folder; None: the vault's `source` setting) into `vault`, as
    `vaultsync import` does: the vault's settings apply, `arguments` override them (`dry_run`, `force`,
    `restore_deleted`, `day`, `config`, and any setting by its config.toml name: `flavor="logseq"`).
    `progress` gets each digest's report. Raises ArgumentError, TemplateProblem, lock.VaultBusy or
    StateError; problems with single files or notes are in the summary (`summary.ok`)."""
    return run(plan(src, vault, **arguments), progress)
