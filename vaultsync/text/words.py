"""Counts and articles in messages, done once: `1 digest`, `2 digests`, `an Obsidian vault`.

Every message that prints a count with its noun, or a noun with "a"/"an", goes through `count` or
`article`, so no message says `1 errors` or `a Obsidian vault`.
"""

from __future__ import annotations


def plural(noun: str) -> str:
    """The plural of an English noun as vaultsync's messages use them: `digest` → `digests`,
    `entry` → `entries`, `match` → `matches`."""
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


def count(number: int, noun: str, many: str | None = None) -> str:
    """`number` and `noun`, plural unless the number is 1: `1 digest`, `0 digests`, `3 papers`.
    `many` gives the plural where `plural` does not know it."""
    return f"{number} {noun if number == 1 else many or plural(noun)}"


def article(phrase: str) -> str:
    """`phrase` with "a" or "an" before it, by the sound of its first letter: `an Obsidian vault`,
    `a Logseq graph`."""
    return f"{'an' if phrase[:1].lower() in tuple('aeiou') else 'a'} {phrase}"
