"""Digest files read a few ahead of the import, and parsed on another core while it writes the one before.

Parsing a digest needs nothing of the vault, so with more than one job (`--jobs`) the import reads the
next few files as it goes, and a worker process parses those it will need (`ahead`): the import takes
them in its own order, so what it writes, and every error it reports, is what one job gives. A file
imported before whose bytes have not changed (`wanted` says no) is not parsed ahead: a re-import that
changes nothing stays the cost of reading and hashing the files, and starts no worker at all. With one
job, or files given lazily (`watch` stops between two of them when told), each file is read when the
import reaches it, and parsed only if it is needed, in the import's own process.

The workers are plain processes with a pipe each way (`Workers`), not a ProcessPoolExecutor: Python
3.11's reads results in a thread of the import's while the import holds the result pipe's write end too,
so a worker killed mid-way through sending a result (a digest's can exceed what a pipe holds) left half
a message that thread waited for forever, and the import with it. Here the import holds none of the
workers' ends: a worker's death is the end of its pipes, and the import waits only for that or a result.
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
from contextlib import suppress
from dataclasses import dataclass
from functools import cached_property
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
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


@dataclass(eq=False)
class Prepared:
    """A digest file as read: its bytes (or why they could not be read), and its digest once parsed."""

    path: Path
    tagging: Tagging
    data: bytes = b""
    failure: OSError | None = None  # reading it failed: reported when the import reaches it
    workers: Workers | None = None  # the workers parsing it ahead (None again if they cannot)
    parsed: Digest | Exception | None = None  # what a worker's parse gave: the digest, or the error it raised
    drafted: Any = None  # what the worker's `draft` made of the digest, once `digest` has it (None: none)

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
        if self.workers is not None:
            self.workers.wait_for(self)
        if isinstance(self.parsed, Exception):
            raise self.parsed
        return self.parsed if self.parsed is not None else parse(self.data, self.path, self.tagging)


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
    digest they parse (see `Prepared.drafted`). Close the iterator to stop the workers."""
    if jobs <= 1 or not isinstance(paths, Sequence) or len(paths) < 2:
        yield from (read(path, tagging) for path in paths)
        return
    workers = Workers(jobs - 1, draft)
    window: deque[Prepared] = deque()
    try:
        for path in paths:
            item = read(path, tagging)
            if item.failure is None and wanted(item):
                workers.submit(item)
            window.append(item)
            if len(window) > AHEAD * (jobs - 1):
                yield from workers.passed(window.popleft())
        while window:
            yield from workers.passed(window.popleft())
    finally:
        workers.close()


@dataclass(eq=False)
class _Worker:
    """A worker process, the pipes to and from it, and the file it parses (one at a time)."""

    process: BaseProcess
    to_worker: Connection
    from_worker: Connection
    item: Prepared | None = None


class Workers:
    """Worker processes parsing digest files for the import, one file each at a time: a worker never
    waits to send a result while the import waits to send it a file. The import waits for a worker only
    together with that worker's end: one killed at any moment (out of memory, say; mid-way through a
    result too) wakes it at once, and its file, with every file after it once no worker is left, is parsed
    by the import. Closing them kills them: nothing waits on a dead worker (one stopped, SIGSTOP, holds the
    import up until it goes on)."""

    def __init__(self, count: int, draft: Draft | None = None) -> None:
        """`count` workers, started with the first file submitted (a re-import that changes nothing starts
        none), each calling `draft` on the digests it parses."""
        self.count, self.draft = count, draft
        self.workers: list[_Worker] | None = None  # None: not started yet; []: every one was lost
        self.queued: deque[Prepared] = deque()  # submitted, waiting for an idle worker

    def submit(self, item: Prepared) -> None:
        """Have a worker parse `item` ahead (unless every worker was lost: the import parses it then)."""
        if self.workers is None:
            self.workers = [_start(_context(), self.draft) for _ in range(self.count)]
        if self.workers:
            item.workers = self
            self.queued.append(item)
            self._collect(0)

    def wait_for(self, item: Prepared) -> None:
        """Until `item` is parsed, or known to be the import's to parse (`item.workers` None again): waits
        only while the worker parsing it lives. A file no worker has started on is left to the import."""
        while item.workers is self and item.parsed is None:
            if any(worker.item is item for worker in self.workers or ()):
                self._collect(None)
            else:
                if item in self.queued:
                    self.queued.remove(item)
                item.workers = None

    def passed(self, item: Prepared) -> Iterator[Prepared]:
        """Yield `item` to the import; once it is done with it, collect what the workers parsed meanwhile."""
        yield item
        if item in self.queued:  # the import did not need its digest
            self.queued.remove(item)
        self._collect(0)

    def close(self) -> None:
        """Kill the workers (a worker has nothing to finish or to clean up) and release their pipes."""
        for worker in self.workers or ():
            _end(worker)
        self.workers = []
        self.queued.clear()

    def _collect(self, timeout: float | None) -> None:
        """Take the results sent, waiting up to `timeout` seconds (None: as long as a worker lives) for one
        or for a worker's end; drop the workers that ended, and give the idle ones the next files."""
        busy = [worker for worker in self.workers or () if worker.item is not None]
        if busy:
            ready = set(wait([w.from_worker for w in busy] + [w.process.sentinel for w in busy], timeout))
            for worker in busy:
                if worker.from_worker in ready or worker.process.sentinel in ready:
                    self._receive(worker)
        for worker in list(self.workers or ()):
            if worker.item is None and self.queued:
                self._send(worker, self.queued.popleft())

    def _receive(self, worker: _Worker) -> None:
        """The result `worker` sent, if whole; else it ended (perhaps mid-way through one): it is dropped."""
        item, worker.item = worker.item, None
        assert item is not None
        try:
            item.parsed, item.drafted = worker.from_worker.recv() if worker.from_worker.poll() else (None, None)
        except Exception:  # its end (EOFError; OSError after half a message), or a result that did not unpickle
            item.parsed, item.drafted = None, None
        if item.parsed is None:  # the import parses it
            item.workers = None
            if not worker.process.is_alive():
                self._lose(worker)

    def _send(self, worker: _Worker, item: Prepared) -> None:
        """Give the idle `worker` the file `item`; a worker that ended meanwhile is dropped."""
        try:
            worker.to_worker.send((item.data, item.path, item.tagging))
            worker.item = item
        except OSError:  # a broken pipe: it ended
            item.workers = None
            self._lose(worker)

    def _lose(self, worker: _Worker) -> None:
        """Drop the ended `worker`; once none is left, the files still queued are parsed by the import."""
        _end(worker)
        self.workers = [other for other in self.workers or () if other is not worker]
        if not self.workers:
            for item in self.queued:
                item.workers = None
            self.queued.clear()


def _context() -> multiprocessing.context.BaseContext:
    """Workers are forked where that is safe (Linux, no other thread that may hold a lock, such as a
    progress bar's), else started afresh."""
    fork = sys.platform.startswith("linux") and threading.active_count() == 1
    return multiprocessing.get_context("fork" if fork else "spawn")


def _start(context: multiprocessing.context.BaseContext, draft: Draft | None) -> _Worker:
    """A worker process started, and the import's ends of its pipes: the worker's ends are closed here at
    once, so that its end, even mid-way through a message, is the end of the pipe it wrote to."""
    worker_in, to_worker = context.Pipe(duplex=False)
    from_worker, worker_out = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(worker_in, worker_out, os.getpid(), draft), daemon=True)
    process.start()
    worker_in.close()
    worker_out.close()
    return _Worker(process, to_worker, from_worker)


def _end(worker: _Worker) -> None:
    """Kill the worker and release its pipes and process."""
    worker.process.kill()
    worker.process.join(1)  # a killed process ends at once; never wait on one stuck in the kernel
    worker.to_worker.close()
    worker.from_worker.close()
    with suppress(ValueError):  # still not ended after all
        worker.process.close()


def _serve(files: Connection, results: Connection, parent: int, draft: Draft | None) -> None:
    """A worker: parse each file the import sends, and send back its digest, or the error parsing raised,
    with what `draft` made of the digest (None if it failed: the import renders those notes itself); both
    None if that cannot be sent (the import parses the file again, and raises the error itself)."""
    _worker_start(parent)
    while True:
        try:
            data, path, tagging = files.recv()
        except EOFError:
            return
        drafted = None
        try:
            parsed: Digest | Exception = parse(data, path, tagging)
            if draft is not None:
                with suppress(Exception):
                    drafted = draft(parsed, path)
        except Exception as error:  # raised by the import when it takes the file, as with one job
            parsed = error
        try:
            results.send((parsed, drafted))
        except Exception:  # it does not pickle (nothing was sent)
            results.send((None, None))


def _worker_start(parent: int) -> None:
    """In a worker: Ctrl-C is the import's to handle (it stops the workers), and a worker whose import
    was killed ends too, instead of waiting for work forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch_parent, daemon=True).start()
