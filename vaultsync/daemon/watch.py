"""`vaultsync watch`: import each digest that lands in SRC as soon as it is complete, for months on end.

At start, and whenever watching starts again, SRC is scanned and every digest in it goes through the
import (which skips, cheaply, those imported before and unchanged): that is the catch-up after downtime.
Watchdog's events then say which files changed; a file is imported once it has settled (see `settle`).
Nothing stops the daemon but a signal: a failed import is logged and retried when the file changes and,
with growing pauses, in case the cause (a full disk, a permission) went away; SRC disappearing, or the
observer thread dying, is logged and watching resumes when it can. Only regular files are digests: a
FIFO, socket or device named like one is forgotten without being opened (see `sources`).

The vault is another matter: if its folder is moved, renamed, removed or replaced while the daemon runs
(checked at every tick and before each digest it imports), the daemon stops with VaultMoved rather than
write an empty vault at the old path.

With `once`, the daemon catches up and exits. It waits for the digests still being written (only files
that are digests: a growing log file is not waited for) at most the settle window plus a grace of 3
more windows, 5 s at least (`once_grace`), time spent importing not counted; those still changing then
are skipped with one warning line each and do not change the exit code: the next run takes them.
"""

from __future__ import annotations

import logging
import logging.handlers
import math
import os
import queue
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaultsync.api import ArgumentError, check_vault, load_options, source, writer
from vaultsync.api import options as import_options
from vaultsync.daemon.observe import Observing
from vaultsync.daemon.retry import Retries
from vaultsync.daemon.settle import Settler, Signature
from vaultsync.flavors import resolve
from vaultsync.pipeline.render import TemplateProblem
from vaultsync.pipeline.run import Options, import_digests
from vaultsync.pipeline.sources import DIGEST_PATTERNS, digest_order, find_digests, is_digest, subfolder_notice
from vaultsync.storage.lock import Held
from vaultsync.storage.snapshot import VaultMoved
from vaultsync.summary import DigestReport, Outcome
from vaultsync.text.words import article, count

log = logging.getLogger("vaultsync.watch")

TICK = 0.5  # seconds: the longest the daemon sleeps before it looks at its observer and its retries again
ONCE_GRACE_WINDOWS, ONCE_GRACE_LEAST = 3, 5.0  # --once: how long past the settle window a digest is waited for


@dataclass(frozen=True)
class WatchOptions:
    """How to watch: the settle window, sub-folders, polling (with its interval), one catch-up only, and
    which files are digests."""

    settle: float = 1.0
    recursive: bool = False
    poll: bool = False
    poll_interval: float = 1.0
    once: bool = False
    patterns: tuple[str, ...] = DIGEST_PATTERNS


@dataclass(frozen=True)
class Watch:
    """A watch about to run (`prepare`): where from and to, the settings it was given, how to import and how
    to watch."""

    src: Path
    vault: Path
    settings: dict[str, Any]
    options: Options
    how: WatchOptions

    def run(
        self,
        stop: threading.Event,
        on_wait: Callable[[str], None] | None = None,
        on_take_over: Callable[[str], None] | None = None,
    ) -> int:
        """Hold the vault's lock (waiting up to the `wait` setting: see `api.writer`), catch up, then import
        digests as they land until `stop` is set (by a signal, say). Returns the exit code: 0, or with
        `once` 1 if an import failed. Raises lock.VaultBusy, or VaultMoved as soon as the vault's folder is
        no longer at its path."""
        with writer(self.vault, "watch", self.settings["wait"], on_wait, on_take_over) as held:
            return _Daemon(self.src, self.vault, self.options, self.how, stop, held).run()


def prepare(
    src: str | os.PathLike[str] | None,
    vault: str | os.PathLike[str],
    *,
    config: str | os.PathLike[str] | None = None,
    once: bool = False,
    **given: Any,
) -> Watch:
    """Settle what a watch of `src` (None: the `source` setting) into `vault` will do, as `vaultsync watch`
    does: the vault's settings file (or `config`), `given` settings by their config.toml name over it.
    Raises ArgumentError, or TemplateProblem for a template that does not load."""
    root = Path(vault).expanduser()
    check_vault(root)
    settings = load_options(root, config, **given)
    found = source(Path(src).expanduser() if src is not None else None, root, settings)
    options, _ = import_options(root, settings)
    how = WatchOptions(
        settle=settings["settle"],
        recursive=settings["recursive"],
        poll=settings["poll"],
        poll_interval=settings["poll_interval"],
        once=once,
        patterns=options.patterns,
    )
    return Watch(found, root, settings, options, how)


def watch(
    src: str | os.PathLike[str] | None,
    vault: str | os.PathLike[str],
    *,
    stop: threading.Event | None = None,
    config: str | os.PathLike[str] | None = None,
    once: bool = False,
    **given: Any,
) -> int:
    """Import every new or changed digest at `src` into `vault`, then each one that lands there, until
    `stop` is set (with `once`: catch up and return), as `vaultsync watch` does: the vault's settings
    apply, `given` override them, and the vault's lock is held throughout. Returns the exit code (see
    `Watch.run`); raises ArgumentError, TemplateProblem, lock.VaultBusy or VaultMoved."""
    return prepare(src, vault, config=config, once=once, **given).run(stop or threading.Event())


def configure_logging(settings: dict[str, Any]) -> None:
    """The log of `vaultsync watch`, by its settings: lines with their time on stderr, and appended to the
    `log_file` (reopened if it is rotated). Raises ArgumentError for a log file that cannot be opened."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if settings["log_file"]:
        log_file = Path(settings["log_file"]).expanduser()
        try:
            handlers.append(logging.handlers.WatchedFileHandler(log_file, encoding="utf-8"))
        except OSError as error:
            raise ArgumentError(f"--log-file {log_file}: cannot open it ({error.strerror or error})") from None
    level = logging.DEBUG if settings["verbose"] else logging.WARNING if settings["quiet"] else logging.INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S", handlers=handlers
    )
    for noisy in ("watchdog", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def once_grace(settle: float) -> float:
    """How long `--once` waits, beyond the settle window, for digests still being written."""
    return max(ONCE_GRACE_WINDOWS * settle, ONCE_GRACE_LEAST)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` (the file in hand is finished) instead of killing the process."""
    signals = [signal.SIGINT, signal.SIGTERM]
    previous = {number: signal.getsignal(number) for number in signals}
    for number in signals:
        signal.signal(number, lambda number, frame: stop.set())
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _signature(path: Path) -> Signature | None:
    """Size, modification time and inode of the regular file at `path`, or None: gone, or a FIFO, socket
    or device (no digest: forgotten without being opened)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino) if stat.S_ISREG(info.st_mode) else None


class _Daemon:
    """The loop: events and scans feed the settler (`settle`); settled files and failed ones due again
    (`retry`) are imported in digest order; between rounds the observer (`observe`) and the vault's folder
    are checked."""

    def __init__(
        self, src: Path, vault: Path, options: Options, settings: WatchOptions, stop: threading.Event, held: Held | None
    ) -> None:
        self.src, self.vault, self.options, self.settings, self.stop = src.absolute(), vault, options, settings, stop
        self.held = held
        # A digest file as SRC: watch its folder for that one name (a generator that rewrites README.md).
        src = self.src
        self.folder, self.only = (src.parent, src.name) if src.is_file() else (src, None)
        self.observing = Observing(
            self.folder, recursive=settings.recursive, poll=settings.poll, poll_interval=settings.poll_interval
        )
        self.paths = self.observing.paths
        self.settler = Settler(settings.settle)
        self.retries = Retries()
        self.failed = False
        self.give_up_at = math.inf  # with `once`: when digests still being written are skipped
        self.hinted: set[Path] = set()  # folders whose sub-folders' digests were pointed out

    def run(self) -> int:
        flavor, reason = resolve(self.options.flavor, self.vault, self.options.layout)
        log.info("importing into %s as %s (%s)", self.vault, article(flavor.kind), reason)
        try:
            if not self.settings.once:
                self.observing.start()  # before the scan: nothing written meanwhile goes unseen
            self.scan()
            if self.settings.once:
                self.give_up_at = time.monotonic() + self.settings.settle + once_grace(self.settings.settle)
            while not self.stop.is_set():
                self.wait_for_events()
                self.import_settled()
                if not self.settings.once:
                    self.check_vault()
                    if self.observing.supervise():
                        self.scan()
                elif not self.settler or self.gave_up():
                    break
        finally:
            self.observing.stop()
        code = 1 if self.settings.once and self.failed else 0
        log.info("stopped watching %s%s", self.folder, " (an import failed: exit 1)" if code else "")
        return code

    # --- what to import -------------------------------------------------------------------------

    def wanted(self, path: Path) -> bool:
        try:
            relative = path.relative_to(self.folder)
        except ValueError:
            return False
        if self.only is not None:
            return relative.as_posix() == self.only
        return is_digest(relative, self.settings.recursive, self.settings.patterns)

    def scan(self) -> None:
        """Every digest in SRC goes to the settler, those unchanged for a window ready at once."""
        paths = [self.src] if self.only else find_digests(self.folder, self.settings.recursive, self.settings.patterns)
        now, wall = time.monotonic(), time.time()
        for path in paths:
            signature = _signature(path)
            if signature:
                self.settler.touch(path, now, signature, still_for=wall - signature[1] / 1e9)
        log.debug("scanned %s: %s", self.folder, count(len(paths), "digest"))
        if not self.only and not self.settings.recursive and self.folder not in self.hinted:
            self.hinted.add(self.folder)  # once, not at every restart
            if notice := subfolder_notice(self.folder, self.settings.patterns):
                log.info("%s", notice)

    def wait_for_events(self) -> None:
        now = time.monotonic()
        timeouts = [TICK, self.give_up_at - now]
        if (retry := self.retries.next_at()) is not None:
            timeouts.append(retry - now)
        if (settle := self.settler.next_check(now)) is not None:
            timeouts.append(settle)
        timeout = max(0.0, min(timeouts))
        try:
            path = self.paths.get(timeout=timeout) if timeout else self.paths.get_nowait()
            while True:
                if self.wanted(path):
                    log.debug("event: %s", path)
                    self.settler.touch(path, time.monotonic())
                path = self.paths.get_nowait()
        except queue.Empty:
            pass

    def import_settled(self) -> None:
        now = time.monotonic()
        due = set(self.settler.settled(now, _signature)) | self.retries.due(now, Path.exists)
        if not due:
            return
        self.check_vault()
        started = time.monotonic()
        done: set[Path] = set()

        def progress(report: DigestReport) -> None:
            done.add(Path(report.source))
            self.report(report)

        try:
            import_digests(self.in_order(due), self.vault, self.options, progress=progress)
        except VaultMoved:
            raise
        except TemplateProblem as problem:  # on the first digest not done: the later ones wait for it
            first, *later = sorted(due - done, key=digest_order)
            self.note_failure(first, f"{first}: {problem} — fix the template")
            for path in later:
                self.note_failure(path, f"{path}: waits for {first.name} (a template fails on it)", quiet=True)
        except Exception as error:  # a state store it cannot open, a bug: retry later
            log.debug("import failed", exc_info=True)
            for path in due:
                self.note_failure(path, f"{path}: import failed: {error}")
        finally:
            self.give_up_at += time.monotonic() - started  # --once waits for writers, not for itself

    def in_order(self, due: set[Path]) -> Iterator[Path]:
        """The files `due`, oldest digest first, until stopped; the vault is checked before each."""
        for path in sorted(due, key=digest_order):
            if self.stop.is_set():
                return
            self.check_vault()
            yield path

    def check_vault(self) -> None:
        """Raise VaultMoved if the vault's folder is no longer at its path."""
        if self.held:
            self.held.check()

    def gave_up(self) -> bool:
        """With `once`, past the deadline: skip the digests still being written, one warning each."""
        if time.monotonic() < self.give_up_at:
            return False
        for path in sorted(self.settler, key=digest_order):
            log.warning("%s: still being written — skipped; run again", path)
        return True

    def report(self, report: DigestReport) -> None:
        """One log line per digest imported; its errors, and retries."""
        path = Path(report.source)
        if report.skipped:
            log.info("%s — skipped", report.skipped)
        for message in report.warnings:
            log.warning(message)
        if report.errors:
            for message in report.errors:
                self.note_failure(path, message)
            return
        if attempts := self.retries.succeeded(path):
            log.info("%s: imported after %s", path, count(attempts, "failed attempt"))
        papers = report.paper_outcomes()
        counts = ", ".join(
            f"{papers[outcome]} {outcome}" for outcome in (Outcome.CREATED, Outcome.UPDATED) if papers[outcome]
        )
        index = report.index_outcome
        if counts or index in (Outcome.CREATED, Outcome.UPDATED):
            log.info(
                "imported %s (%s): %s%s; index note %s %s",
                path.name,
                report.day,
                count(report.papers, "paper"),
                f" ({counts})" if counts else "",
                index,
                report.index_note,
            )
        else:
            log.debug("unchanged: %s", path)

    def note_failure(self, path: Path, message: str, quiet: bool = False) -> None:
        """Log a failed import (a repeat of the same failure, or a `quiet` one, at debug level only) and plan
        its next retry."""
        self.failed = True
        failure, news = self.retries.failed(path, message, time.monotonic())
        if quiet or not news:
            log.debug("%s (attempt %d)", message, failure.attempts)
        else:
            delay = self.retries.delay(failure.attempts)
            log.error("%s — will retry in %g s, or when the file changes", message, delay)
