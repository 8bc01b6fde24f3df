"""What a note is to vaultsync, as the state store names it."""

from __future__ import annotations

from enum import StrEnum


class NoteKind(StrEnum):
    """What a note is to vaultsync, as the store names it (the values are the stored text)."""

    PAPER = "paper"
    DIGEST = "digest"  # a day's index note
    JOURNAL = "journal"  # a Logseq journal page vaultsync added a block to
    QUEUE = "queue"  # the reading-queue note
    TOPIC = "topic"  # a topic's note, by its tag
