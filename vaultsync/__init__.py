"""vaultsync: arXiv-daily digests into an Obsidian vault or a Logseq graph, one note per paper and one index
note per day.

    import vaultsync
    summary = vaultsync.import_digests("~/arxiv-daily/rss", "~/Notes")  # as `vaultsync import` does
    print(summary.describe())

The public API is `__all__`, and only it: each function keeps the promises of its command. The vault's
settings file applies (keyword arguments override it by their config.toml names, as options do), and
what writes to the vault holds its one-writer lock, waiting up to the `wait` setting beside a running
`watch` or import, then raising VaultBusy:

- `import_digests(src, vault, **settings)` → Summary (`vaultsync import`);
- `load_options(vault, config=None, **settings)` → the settings, by their config.toml names;
- `status(vault)` → Status, whose `to_json()` is what `vaultsync status --json` prints;
- `doctor(vault, fix=False)` → Report (`fix`: repairs, holding the lock);
- `watch(src, vault, stop=None, once=False, **settings)` → exit code (`vaultsync watch`, holding the lock);
- `fetch(target, **fetch_settings)` → Outcome (`vaultsync fetch`);
- `parse_digest(text)` → Digest (its Section and Entry objects), or NotADigestError.

Errors users can act on are ArgumentError (an argument, setting or settings file that cannot be used),
TemplateProblem, VaultBusy, VaultMoved (the vault's folder moved away while an import or `watch` wrote
to it), StateError (the state store cannot be used) and FetchError, each with a one-line message saying
what to do. Every other module
and name (`vaultsync.api`, `vaultsync.pipeline`, …) is private: it may change in any release.
"""

from __future__ import annotations

import importlib
from typing import Any

from vaultsync._version import __version__ as __version__
from vaultsync.api import ArgumentError, import_digests, load_options
from vaultsync.commands.doctor import doctor
from vaultsync.commands.status import status
from vaultsync.model import Digest, Entry, NotADigestError, Section
from vaultsync.pipeline.reader import parse_digest
from vaultsync.pipeline.render import TemplateProblem
from vaultsync.storage.lock import VaultBusy
from vaultsync.storage.snapshot import VaultMoved
from vaultsync.storage.state import StateError
from vaultsync.summary import Summary

# Loaded when first used, so that `vaultsync --help` does not wait for watchdog and feedparser.
_LATER = {"watch": "vaultsync.daemon.watch"} | dict.fromkeys(("fetch", "FetchError"), "vaultsync.commands.fetch")

__all__ = [
    "ArgumentError",
    "Digest",
    "Entry",
    "FetchError",
    "NotADigestError",
    "Section",
    "StateError",
    "Summary",
    "TemplateProblem",
    "VaultBusy",
    "VaultMoved",
    "doctor",
    "fetch",
    "import_digests",
    "load_options",
    "parse_digest",
    "status",
    "watch",
]


def __getattr__(name: str) -> Any:
    if name in _LATER:
        return getattr(importlib.import_module(_LATER[name]), name)
    raise AttributeError(f"module 'vaultsync' has no attribute {name!r}")
