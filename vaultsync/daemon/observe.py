"""Watching one folder for file events with watchdog, kept alive for months: native events, or polling
where they are not available (network drives, WSL, Docker volumes, the inotify watch limit reached).

`Observing.supervise` notices a folder that went away, came back, or was replaced by another (a new
inode), and an observer thread that died; it restarts watching and says so, so the caller scans the
folder again for what it may have missed.
"""

from __future__ import annotations

import logging
import os
import queue
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

log = logging.getLogger("vaultsync.watch")


class _Events(FileSystemEventHandler):
    """Passes the path of every file created, written, closed or moved in to a queue."""

    def __init__(self, paths: queue.SimpleQueue[Path]) -> None:
        self.paths = paths

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        if event.event_type in ("created", "modified", "closed"):
            self.paths.put(Path(os.fsdecode(event.src_path)))
        elif event.event_type == "moved":
            self.paths.put(Path(os.fsdecode(event.dest_path)))


class Observing:
    """The observer of `folder`; the paths of files that changed arrive in `paths`."""

    def __init__(self, folder: Path, *, recursive: bool, poll: bool, poll_interval: float) -> None:
        self.folder, self.recursive, self.poll, self.poll_interval = folder, recursive, poll, poll_interval
        self.paths: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self.observer: BaseObserver | None = None
        self.watched: tuple[int, int] | None = None  # device and inode of the folder being watched

    def start(self) -> None:
        """Watch the folder (raises OSError if it cannot be watched at all)."""
        observer = PollingObserver(timeout=self.poll_interval) if self.poll else Observer()
        observer.schedule(_Events(self.paths), str(self.folder), recursive=self.recursive)
        try:
            observer.start()
        except OSError as error:  # e.g. the inotify watch limit: polling works everywhere
            log.warning("cannot watch %s for events (%s) — polling it instead", self.folder, error)
            observer = PollingObserver(timeout=self.poll_interval)
            observer.schedule(_Events(self.paths), str(self.folder), recursive=self.recursive)
            observer.start()
        self.observer = observer
        info = self.folder.stat()
        self.watched = (info.st_dev, info.st_ino)
        log.info("watching %s%s", self.folder, " (polling)" if isinstance(observer, PollingObserver) else "")

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=1)
            self.observer = None

    def supervise(self) -> bool:
        """Restart watching if the folder was removed and came back, was replaced, or the observer died;
        True when it was restarted (events may have been missed: scan the folder)."""
        try:
            info = self.folder.stat()
            current = (info.st_dev, info.st_ino) if self.folder.is_dir() else None
        except OSError:
            current = None
        if current is None:
            if self.observer is not None:
                log.warning("%s is gone — waiting for it to come back", self.folder)
                self.stop()
            return False
        observer = self.observer
        alive = observer is not None and observer.is_alive() and all(e.is_alive() for e in observer.emitters)
        if alive and current == self.watched:
            return False
        if observer is None:
            log.info("%s is back", self.folder)
        else:
            log.warning("watching %s stopped — starting again", self.folder)
        self.stop()
        try:
            self.start()
        except OSError as error:
            log.error("cannot watch %s (%s) — trying again", self.folder, error)
            return False
        return True
