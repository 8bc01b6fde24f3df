"""Where notes go in the vault and what they are called."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from typing import Any, ClassVar

from vaultsync.text import names

QUEUE_PAGE = "arXiv reading queue"  # Logseq's reading-queue page


class LayoutError(ValueError):
    """A folder or name pattern that cannot be used."""


@dataclass(frozen=True)
class Titles:
    """What a paper note says of its title: properties (`title` first) and aliases to add after the arXiv id."""

    properties: dict[str, Any]
    aliases: list[str]


@dataclass(frozen=True)
class Layout:
    """Folders (relative to the vault, `/`-separated) and name patterns of generated notes.

    `paper_name` may use `{title}`, `{arxiv_id}`, `{category}`; `digest_name` must use `{date}`.
    """

    papers_folder: str = "arXiv/Papers"
    digests_folder: str = "arXiv/Digests"
    paper_name: str = "{title}"
    digest_name: str = "arXiv {date}"
    folder_links: ClassVar[bool] = True  # whether a link may name the note's folder (where its name is shared)

    def __post_init__(self) -> None:
        for folder in (self.papers_folder, self.digests_folder):
            parts = PurePosixPath(folder).parts
            if folder.startswith("/") or any(part in ("..", ".") or part != names.note_name(part) for part in parts):
                raise LayoutError(f"folder {folder!r} must be a plain relative path inside the vault")
        try:
            sample_paper = self.paper_name.format(title="T", arxiv_id="2401.00001", category="cs.LG")
            sample_digest = self.digest_name.format(date="2024-01-18")
        except (KeyError, IndexError, ValueError) as error:
            raise LayoutError(f"name pattern has an unknown or broken field: {error}") from None
        if "{date}" not in self.digest_name or not names.note_name(sample_digest):
            raise LayoutError(f"digest name {self.digest_name!r} must contain {{date}} and not be the bare date")
        if not names.note_name(sample_paper):
            raise LayoutError(f"paper name {self.paper_name!r} gives an empty note name")

    def digest_name_for(self, day: date) -> str:
        return names.note_name(self.digest_name.format(date=day.isoformat()))

    def digest_path(self, day: date) -> PurePosixPath:
        return PurePosixPath(self.digests_folder, self.digest_name_for(day) + ".md")

    def paper_path(self, title: str, arxiv_id: str, category: str, *, with_id: bool = False) -> PurePosixPath:
        """The paper's note path; `with_id` appends the arXiv id, for a name another paper already has."""
        suffix = f" ({arxiv_id.replace('/', '-')})" if with_id else ""
        limit = names.MAX_NAME_BYTES - len(suffix.encode())
        base = names.note_name(
            self.paper_name.format(title=title, arxiv_id=arxiv_id, category=category), max_bytes=limit
        )
        if not base:
            base, suffix = names.note_name(f"arXiv {arxiv_id}"), ""
        return PurePosixPath(self.papers_folder, base + suffix + ".md")

    @property
    def queue_path(self) -> PurePosixPath:
        """The reading-queue note: beside the digests folder (`arXiv/Reading queue.md`)."""
        return PurePosixPath(self.digests_folder).parent / "Reading queue.md"

    def topic_path(self, tag: str) -> PurePosixPath:
        """A topic's note, beside the digests folder: `arXiv/Topics/<tag>.md`."""
        return PurePosixPath(self.digests_folder).parent / "Topics" / (names.note_name(tag) + ".md")

    @property
    def queue_base_path(self) -> PurePosixPath:
        """The reading queue as an Obsidian base, beside its note (`arXiv/Reading queue.base`)."""
        return self.queue_path.with_suffix(".base")

    def link_target(self, path: PurePosixPath, shared: Container[str] = frozenset()) -> str:
        """The `[[...]]` target for a note, as Obsidian's default "shortest path when possible" writes it:
        its name, or its vault path (without `.md`, `/` on every system) where another note has the same
        name. `shared`: the casefolded names more than one note of the vault has."""
        return str(path.with_suffix("")) if path.stem.casefold() in shared else path.stem

    def page_name(self, path: PurePosixPath) -> str:
        """The name a note is known by."""
        return path.stem

    def paper_at(self, target: str) -> PurePosixPath:
        """Where the paper note a link target names is, unless the user moved it (see `link_target`)."""
        return PurePosixPath(target + ".md") if "/" in target else PurePosixPath(self.papers_folder, target + ".md")

    def titles(self, title: str, raw_title: str, former: Sequence[str], path: PurePosixPath) -> Titles:
        """The title properties and aliases of a paper note at `path`: `title` the decoded title; after the
        arXiv id, the aliases the title as the digest wrote it (`raw_title`, TeX escapes and all) and the
        `former` titles of lower versions, where they differ from it."""
        return Titles({"title": title}, [item for item in dict.fromkeys([raw_title, *former]) if item != title])

    def digest_title(self, day: date) -> str | None:
        """The `title` property of an index note: none, its name says it."""
        return None


@dataclass(frozen=True)
class LogseqLayout(Layout):
    """A Logseq graph: papers and digests are pages in the pages folder, named by their page name
    (Logseq's own file name encoding); the page name is what `[[links]]` use and `title::` holds."""

    folder_links: ClassVar[bool] = False

    def paper_path(self, title: str, arxiv_id: str, category: str, *, with_id: bool = False) -> PurePosixPath:
        suffix = f" ({arxiv_id})" if with_id else ""
        limit = names.LOGSEQ_MAX_FILE_BYTES - len(names.logseq_file_name(suffix).encode())
        page = names.logseq_page_name(
            self.paper_name.format(title=names.logseq_title(title), arxiv_id=arxiv_id, category=category),
            max_bytes=limit,
        )
        page = (page or f"arXiv {arxiv_id}") + suffix
        return PurePosixPath(self.papers_folder, names.logseq_file_name(page) + ".md")

    def digest_name_for(self, day: date) -> str:
        return names.logseq_page_name(self.digest_name.format(date=day.isoformat()))

    def digest_path(self, day: date) -> PurePosixPath:
        return PurePosixPath(self.digests_folder, names.logseq_file_name(self.digest_name_for(day)) + ".md")

    def link_target(self, path: PurePosixPath, shared: Container[str] = frozenset()) -> str:
        """The page name: Logseq links never carry a folder."""
        return self.page_name(path)

    def page_name(self, path: PurePosixPath) -> str:
        return names.logseq_title_from_file(path.stem)

    def paper_at(self, target: str) -> PurePosixPath:
        return PurePosixPath(self.papers_folder, names.logseq_file_name(target) + ".md")

    def titles(self, title: str, raw_title: str, former: Sequence[str], path: PurePosixPath) -> Titles:
        """`title::` the page name, never changed once the page exists (the decoded title, unless it had to
        change to be a page name); `original-title::` the title as the digest wrote it, where the page name
        differs from it; after a later version changed the title, `latest-title::` the new title and an
        alias to it (made a page name: an alias names a page)."""
        page = self.page_name(path)
        properties = {"title": page}
        if raw_title != page:
            properties["original_title"] = raw_title
        aliases = []
        if former:
            properties["latest_title"] = title
            alias = names.logseq_page_name(names.logseq_title(title))
            if alias and alias.casefold() != page.casefold():
                aliases.append(alias)
        return Titles(properties, aliases)

    def digest_title(self, day: date) -> str | None:
        return self.digest_name_for(day)

    @property
    def queue_path(self) -> PurePosixPath:
        """The `arXiv reading queue` page."""
        return PurePosixPath(self.papers_folder, names.logseq_file_name(QUEUE_PAGE) + ".md")


class NoteNames:
    """Which note names the vault has more than once (casefolded, as Obsidian compares them when it
    resolves a link): from the names found in the vault, then kept up to date as notes are added. Names
    are counted by their `hash` (a large vault's names would take a lot of memory; two names of one vault
    with the same 64-bit hash are as unlikely as a bit flipped in memory); those shared are kept as such."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        """`names`: the file name (with `.md`) of every note of the vault."""
        folded = [name[:-3].casefold() for name in names]
        self.counts: Counter[int] = Counter(map(hash, folded))  # hash of a casefolded name → how many notes have it
        self.shared: set[str] = {name for name in folded if self.counts[hash(name)] > 1}
        self.expected: set[PurePosixPath] = set()

    def times(self, name: str) -> int:
        """How many notes have the casefolded `name`."""
        return self.counts[hash(name)]

    def expect(self, path: PurePosixPath) -> None:
        """Count a note about to be written at `path` (where there is none yet), once however often told."""
        if path not in self.expected:
            self.add(path)
            self.expected.add(path)

    def add(self, path: PurePosixPath) -> None:
        """Count a note just written where there was none, unless it was expected."""
        if path not in self.expected:
            self._count(path.stem.casefold())

    def _count(self, name: str) -> None:
        key = hash(name)
        self.counts[key] += 1
        if self.counts[key] > 1:
            self.shared.add(name)
