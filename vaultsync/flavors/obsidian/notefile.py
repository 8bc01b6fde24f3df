"""The text of a generated note: YAML frontmatter, a managed region between comment markers, the user's part.

    ---
    <frontmatter: the contract keys, and any keys the user added>
    ---
    %% vaultsync:begin 1a2b3c4d %%
    <rendered by vaultsync>
    %% vaultsync:end %%
    <the user's: kept as it is>

`%% … %%` is an Obsidian comment: the markers are invisible in reading view. The begin marker carries
a checksum of the region as vaultsync wrote it, so an edit by the user is seen without any state,
even after the note was moved or the state store lost. Link targets are left out of the checksum:
Obsidian rewrites them when the user renames a note, and that is not an edit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from vaultsync.text import properties, yaml_style
from vaultsync.text.wikilinks import without_targets

BEGIN = "%% vaultsync:begin"
END = "%% vaultsync:end %%"
_FRONTMATTER = re.compile(r"\A(?P<open>---[ \t]*\n)(?P<yaml>(?:.*?\n)??)(?P<close>---[ \t]*(?:\n|\Z))", re.DOTALL)
_REGION = re.compile(
    r"^" + re.escape(BEGIN) + r"(?: (?P<sum>[0-9a-f]{8}))? %%[ \t]*\n"
    r"(?P<managed>.*?)^" + re.escape(END) + r"[ \t]*(?:\n|\Z)",
    re.DOTALL | re.MULTILINE,
)
_ID_KEY = re.compile(r"^(arxiv_id|digest_date)[ \t]*:", re.MULTILINE)
# An identity as written: `arxiv_id: 2401.08640`, quoted or not, maybe with a comment after it.
_ID_LINE = re.compile(
    r"""^(arxiv_id|digest_date)[ \t]*:[ \t]*(["']?)(?P<value>[^"'#\s][^"'#\n]*?)\2[ \t]*(?:#.*)?$""", re.MULTILINE
)
_VERSION = re.compile(r"v\d+$")  # `2401.08639v2` is the paper 2401.08639
_OPEN_HEAD = 4096  # characters searched for an identity in a frontmatter never closed


@dataclass(frozen=True)
class ObsidianParts:
    """An existing note cut at the frontmatter and the managed region; joined again they give the text."""

    metadata: dict[str, Any]
    open: str
    yaml: str
    close: str
    before: str  # between the frontmatter and the region
    region: str  # with its markers
    managed: str
    checksum: str | None  # as the begin marker says; None in a marker without one
    after: str

    @property
    def edited(self) -> bool:
        """The region's text is not what vaultsync last wrote there (or that cannot be told)."""
        return self.checksum != ObsidianNotes.checksum(self.managed)


class ObsidianNotes:
    """Reads and writes Obsidian notes: the `NoteFormat` of an Obsidian vault (see the module docstring)."""

    @staticmethod
    def checksum(managed: str) -> str:
        """A short fingerprint of a region's text, blind to wikilink targets."""
        text = without_targets(managed.strip("\n"))
        return hashlib.sha256(text.encode()).hexdigest()[:8]

    def region(self, managed: str, generated: str | None = None) -> str:
        """The managed region with its markers. The checksum is of `generated`, the text vaultsync
        rendered, when that differs from what it writes (an index region merged with the user's ticks)."""
        managed = managed.strip("\n")
        begin = f"{BEGIN} {self.checksum(managed if generated is None else generated)} %%\n"
        return f"{begin}{managed}\n{END}\n" if managed else f"{begin}{END}\n"

    def dump_frontmatter(self, metadata: dict[str, Any]) -> str:
        """`---` YAML `---` lines for `metadata`, in its key order."""
        return f"---\n{yaml_style.dump(metadata)}---\n"

    def compose(self, metadata: dict[str, Any], managed: str, tail: str = "") -> str:
        """A whole new note."""
        return self.dump_frontmatter(metadata) + self.region(managed) + tail

    def split(self, text: str) -> ObsidianParts | None:
        """The parts of a note written by vaultsync, or None if its frontmatter or markers are not intact."""
        head = _FRONTMATTER.match(text)
        if not head:
            return None
        try:
            metadata = yaml_style.load(head["yaml"])
        except (yaml.YAMLError, ValueError):
            return None
        body = text[head.end() :]  # a title may hold the marker text: the frontmatter is not searched
        if body.count(BEGIN) != 1 or body.count(END) != 1:
            return None
        regions = list(_REGION.finditer(text, head.end()))
        if len(regions) != 1:
            return None
        found = regions[0]
        return ObsidianParts(
            metadata=metadata,
            open=head["open"],
            yaml=head["yaml"],
            close=head["close"],
            before=text[head.end() : found.start()],
            region=found[0],
            managed=found["managed"],
            checksum=found["sum"],
            after=text[found.end() :],
        )

    def update(
        self, parts: ObsidianParts, values: dict[str, Any], managed: str | None, generated: str | None = None
    ) -> properties.Edit:
        """The note with `values` set in its frontmatter and its region replaced by `managed` (None: kept;
        `generated` as for `region`), and the keys of `values` left as the user wrote them, with why.

        Everything else — the user's lines in the frontmatter with their bytes, the text around the region — is kept.
        """
        edit = properties.set_values(parts.yaml, parts.metadata, values)
        close = parts.close if parts.close.endswith("\n") else parts.close + "\n"
        body = parts.region if managed is None else self.region(managed, generated)
        return properties.Edit(parts.open + edit.text + close + parts.before + body + parts.after, edit.left)

    def identify(self, text: str) -> tuple[str, str, dict[str, Any]] | None:
        """(kind, identity, frontmatter) of a note written by vaultsync, judged by its frontmatter alone:
        ("paper", arXiv id, …) or ("digest", YYYY-MM-DD, …).

        The identity is read from the line's own text where YAML would type it otherwise (`arxiv_id:
        2401.08640` unquoted is the float 2401.0864) or where the frontmatter does not parse at all (a typo
        of the user's): the note is still the paper's, with empty frontmatter (`{}`)."""
        head = _FRONTMATTER.match(text)
        if head:
            yaml_text = head["yaml"]
        elif text.startswith("---"):  # never closed: the lines up to the managed region, if any
            end = text.find(BEGIN)
            yaml_text = text[text.find("\n") + 1 : end if end > 0 else _OPEN_HEAD]
        else:
            return None
        if not _ID_KEY.search(yaml_text):
            return None
        try:
            metadata = yaml_style.load(yaml_text) if head else {}
        except (yaml.YAMLError, ValueError):
            metadata = {}
        written = {match[1]: match["value"] for match in _ID_LINE.finditer(yaml_text)}
        arxiv_id = metadata.get("arxiv_id")
        if isinstance(arxiv_id, list) and len(arxiv_id) == 1:  # Obsidian's list property of one item
            arxiv_id = arxiv_id[0]
        if not isinstance(arxiv_id, str):
            arxiv_id = (written.get("arxiv_id") or "").strip("[] ")  # as written: `2401.08640` is no float
        if arxiv_id:
            return "paper", _VERSION.sub("", arxiv_id.strip()), metadata
        day = metadata.get("digest_date") or written.get("digest_date")
        try:
            day = date.fromisoformat(day) if isinstance(day, str) else day
        except ValueError:
            return None
        if isinstance(day, date):
            return "digest", day.isoformat(), metadata
        return None

    def diagnose(self, text: str) -> str:
        """Why `split` cannot read a note of vaultsync's, naming the line (counted in the file), and what to do."""
        head = _FRONTMATTER.match(text)
        if not head:
            return "its frontmatter has no closing `---` line — add it; vaultsync leaves the note untouched until then"
        try:
            next(yaml.safe_load_all(text), None)  # the first document: the frontmatter, lines counted in the file
        except yaml.MarkedYAMLError as error:
            return f"its frontmatter does not parse ({_where(error)}) — {UNTOUCHED}"
        except yaml.YAMLError as error:
            return f"its frontmatter does not parse ({error}) — {UNTOUCHED}"
        return (
            "its `%% vaultsync:begin/end %%` markers are missing or repeated — put them back; until then it is"
            " left as is"
        )


UNTOUCHED = "fix the frontmatter; vaultsync leaves the note untouched until then"


def _where(error: yaml.MarkedYAMLError) -> str:
    """`line N: what`, and where what is broken began (an opening quote or bracket) if elsewhere."""
    if error.problem_mark is None:
        return str(error)
    line = error.problem_mark.line + 1
    found = f"line {line}: {error.problem}"
    start = error.context_mark
    return f"{found}, {error.context} from line {start.line + 1}" if start and start.line + 1 != line else found
