"""vaultsync: arXiv-daily digests into an Obsidian vault or a Logseq graph, one note per paper and one index
note per day.

    import vaultsync
    summary = vaultsync.import_digests("~/arxiv-daily/rss", "~/Notes")  # as `vaultsync import` does
"""

from vaultsync._version import __version__ as __version__
from vaultsync.api import ArgumentError, import_digests
from vaultsync.model import Digest, Entry, NotADigestError, Section
from vaultsync.pipeline.reader import parse_digest
from vaultsync.pipeline.render import TemplateProblem
from vaultsync.storage.lock import VaultBusy
from vaultsync.storage.state import StateError
from vaultsync.summary import Summary

__all__ = [
    "ArgumentError",
    "Digest",
    "Entry",
    "NotADigestError",
    "Section",
    "StateError",
    "Summary",
    "TemplateProblem",
    "VaultBusy",
    "import_digests",
    "parse_digest",
]
