"""vaultsync: arXiv-daily digests into an Obsidian vault, one note per paper and one index note per day."""

__version__ = "0.1.0"

from .model import Digest, Entry, NotADigestError, Section
from .reader import parse_digest
from .summary import Summary
from .sync import Options, import_digests

__all__ = ["Digest", "Entry", "NotADigestError", "Options", "Section", "Summary", "import_digests", "parse_digest"]
