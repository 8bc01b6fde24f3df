"""Digest files read a few ahead of the import, and parsed on another core while it writes the one before.

Parsing a digest needs nothing of the vault, so with more than one job (`--jobs`) the import reads the
next few files as it goes, and a worker process parses those it will need (`ahead`): the import takes
them in its own order, so what it writes, and every error it reports, is what one job gives. A file
imported before whose bytes have not changed (`wanted` says no) is not parsed ahead: a re-import that
changes nothing stays the cost of reading and hashing the files, and starts no worker at all. With one
job, or files given lazily (`watch` stops between two of them when told), each file is read when the
import reaches it, and parsed only if it is needed, in the import's own process.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from vaultsync.model import Digest
from vaultsync.pipeline.reader import decode, parse_digest
from vaultsync.pipeline.sources import read_digest
from vaultsync.records import retag

AHEAD = 4  # files read ahead of the import per worker: enough to keep it busy, few enough to stay small
Draft = Callable[[Digest, Path], Any]  # work a worker does on each digest it parsed, beside parsing it


@dataclass(frozen=True)
class Tagging:
    """How a digest's keyword tags are renamed and prefixed (`records.retag`)."""

    prefix: str = ""
    renames: tuple[tuple[str, str], ...] = ()


def parse(data: bytes, path: Path, tagging: Tagging) -> Digest:
    """The digest in the file `path` whose bytes are `data`, its tags renamed; raises NotADigestError."""
    return retag(parse_digest(decode(data, str(path)), str(path)), tagging.prefix, tagging.renames)


def _parse_ahead(data: bytes, path: Path, tagging: Tagging, draft: Draft | None) -> tuple[Digest, Any]:
    """In a worker: the digest (see `parse`), and what `draft` makes of it (None without one)."""
    digest = parse(data, path, tagging)
    return digest, draft(digest, path) if draft else None


@dataclass(eq=False)
class Prepared:
    """A digest file as read: its bytes (or why they could not be read), and its digest once parsed."""

    path: Path
    tagging: Tagging
    data: bytes = b""
    failure: OSError | None = None  # reading it failed: reported when the import reaches it
    parsing: Future[tuple[Digest, Any]] | None = None  # parsed ahead by a worker (with its `draft`)

    @cached_property
    def checksum(self) -> str:
        """The SHA-256 of the file's bytes (hex); raises the OSError reading it raised."""
        if self.failure is not None:
            raise self.failure
        return hashlib.sha256(self.data).hexdigest()

    def digest(self) -> Digest:
        """The digest: parsed ahead, or now. Raises NotADigestError (or OSError) as parsing (reading) did."""
        if self.failure is not None:
            raise self.failure
        if self.parsing is not None:
            with suppress(BrokenProcessPool):  # the worker was killed (out of memory, say): parsed here instead
                return self.parsing.result()[0]
        return parse(self.data, self.path, self.tagging)

    def drafts(self) -> Any:
        """What `ahead`'s `draft` made of the digest in the worker that parsed it; None if it was parsed here
        (or not by now: this never waits)."""
        future = self.parsing
        if future is None or not future.done() or future.cancelled() or future.exception() is not None:
            return None
        return future.result()[1]


def read(path: Path, tagging: Tagging) -> Prepared:
    """The digest file at `path`, read (see `sources.read_digest`), not parsed yet."""
    try:
        return Prepared(path, tagging, read_digest(path))
    except OSError as error:
        return Prepared(path, tagging, failure=error)


def ahead(
    paths: Iterable[Path],
    tagging: Tagging,
    jobs: int,
    wanted: Callable[[Prepared], bool],
    draft: Draft | None = None,
) -> Iterator[Prepared]:
    """The files `paths`, read in order; with `jobs` > 1 and a list of files, read a few ahead and those
    `wanted` parsed by `jobs - 1` worker processes meanwhile, which also call `draft` (picklable) on each
    digest they parse (see `Prepared.drafts`). Close the iterator to stop the workers."""
    if jobs <= 1 or not isinstance(paths, Sequence) or len(paths) < 2:
        yield from (read(path, tagging) for path in paths)
        return
    pool: ProcessPoolExecutor | None = None
    broken = False  # a worker was killed: the rest is parsed by the import itself
    window: deque[Prepared] = deque()
    try:
        for path in paths:
            item = read(path, tagging)
            if item.failure is None and not broken and wanted(item):
                pool = pool or _pool(jobs - 1)
                try:
                    item.parsing = pool.submit(_parse_ahead, item.data, path, tagging, draft)
                except BrokenProcessPool:
                    broken = True
            window.append(item)
            if len(window) > AHEAD * (jobs - 1):
                yield window.popleft()
        while window:
            yield window.popleft()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes: forked where that is safe (Linux, no other thread that may hold a lock, such as
    a progress bar's), else started afresh."""
    fork = sys.platform.startswith("linux") and threading.active_count() == 1
    context = multiprocessing.get_context("fork" if fork else "spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start, initargs=(os.getpid(),))


def _worker_start(parent: int) -> None:
    """In a worker: Ctrl-C is the import's to handle (it stops the workers), and a worker whose import
    was killed ends too, instead of waiting for work forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch_parent, daemon=True).start()
