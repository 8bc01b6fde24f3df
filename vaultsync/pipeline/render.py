"""Paper and index notes from plain data: frontmatter values by the vault contract, bodies by Jinja2 templates.

Templates come from the user's folders first, file by file, then from the defaults shipped with the
package. Digest text only ever reaches a template as a variable, so `{{ 7*7 }}` in an abstract stays text.
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from vaultsync._version import __version__
from vaultsync.flavors import Flavor, Obsidian
from vaultsync.flavors.layout import Layout
from vaultsync.model import Section
from vaultsync.records import Listing, PaperRecord
from vaultsync.text import markup

PAPER_TEMPLATE = "paper.md.j2"
DIGEST_TEMPLATE = "digest.md.j2"
DIGEST_TAG = "arxiv-digest"
QUEUE_TAG = "arxiv-reading-queue"
QUEUE_TEMPLATE = "queue.md.j2"
QUEUE_LIST = 20  # the plain list stops here: the queries list them all, and the note is no hub of the graph


def doi(arxiv_id: str) -> str:
    """The DOI arXiv registers for every paper (`10.48550/arXiv.2401.08640`): no lookup needed."""
    return f"10.48550/arXiv.{arxiv_id}"


def default_templates() -> Path:
    """The default templates: inside the installed package, or at the top of a source checkout."""
    packaged = Path(str(resources.files("vaultsync") / "templates"))
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class IndexLine:
    """One paper as a line of an index note: where its note is (None: deleted by the user), and how
    that day's digest listed it."""

    arxiv_id: str
    title: str
    version: int
    updated: bool
    paper_url: str
    code_url: str | None
    note: PurePosixPath | None
    read: bool = False  # ticked (Logseq: DONE) when it comes in


class TemplateProblem(ValueError):
    """A template that does not load or render; the message names it (and the paper it failed on)."""


_SAMPLE = PaperRecord(
    arxiv_id="2401.00001",
    version=2,
    title="A sample: $x^2$ [check]",
    categories=("cs.LG",),
    paper_url="http://arxiv.org/abs/2401.00001",
    code_url="https://github.com/example/sample",
    abstract="Sample abstract.",
    listings=(Listing(date(2024, 1, 18), "sample keyword", "sample-keyword"),),
)


class Renderer:
    """Renders note bodies with one Jinja2 environment, built once per run."""

    def __init__(
        self,
        layout: Layout,
        template_dirs: Sequence[Path] = (),
        flavor: Flavor | None = None,
        author_links: bool = False,
        cssclasses: Sequence[str] = (),
    ) -> None:
        """`author_links`: authors as links to notes of their own; `cssclasses`: the `cssclasses` property
        of paper notes (Obsidian only; none: no such key)."""
        self.flavor = flavor or Obsidian(layout)
        self.author_links = author_links  # authors as links to notes of their own: `[[Ada Lovelace]]`
        self.template_dirs = tuple(template_dirs)  # searched before the defaults
        self.layout = self.flavor.layout
        self.cssclasses = tuple(cssclasses) if self.flavor.cssclasses else ()
        defaults = default_templates() / self.flavor.templates
        loaders = [jinja2.FileSystemLoader(str(folder)) for folder in [*template_dirs, defaults]]
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # one run, one environment: a template is not checked for changes on every note
        )
        text = self.flavor.escape
        self.env.filters["md"] = lambda value: text(markup.escape(value))
        self.env.globals.update(wikilink=self.flavor.wikilink, link=lambda label, url: text(markup.link(label, url)))
        self._check()

    def _check(self) -> None:
        """Fail at start, naming the template, rather than on the first note."""
        day = _SAMPLE.first_seen
        section = Section(_SAMPLE.listings[0].keyword, _SAMPLE.listings[0].tag, ())
        line = IndexLine(_SAMPLE.arxiv_id, _SAMPLE.title, 2, True, _SAMPLE.paper_url, None, PurePosixPath("P/N.md"))
        gone = IndexLine(_SAMPLE.arxiv_id, _SAMPLE.title, 2, True, _SAMPLE.paper_url, _SAMPLE.code_url, None)
        self.render(PAPER_TEMPLATE, paper=self._paper_context(_SAMPLE, {}))
        self.render(DIGEST_TEMPLATE, digest=self._digest_context(day, [(section, [line, gone])], frozenset()))

    def render(self, name: str, about: str = "", **context: Any) -> str:
        """Template `name` rendered with `context`. Any failure (a syntax error, a missing include, an
        exception while rendering: a template is code, `{{ 1/0 }}` raises) is one TemplateProblem naming
        the template that failed (the included one if it failed there), its line, and `about` if given."""
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateNotFound as error:
            included = f" (included by {name})" if error.name != name else ""
            message = f"template {error.name}{included} not found in {self._folders()}"
        except Exception as error:
            where, lineno = getattr(error, "filename", None), getattr(error, "lineno", None)
            if where is None:  # failed while rendering: Jinja2 puts the template's file and line in the traceback
                frames = [step for step in traceback.extract_tb(error.__traceback__) if step.filename.endswith(".j2")]
                where, lineno = (frames[-1].filename, frames[-1].lineno) if frames else (name, None)
            reason = error.message if isinstance(error, jinja2.TemplateError) else f"{type(error).__name__}: {error}"
            message = f"template {where}{f':{lineno}' if lineno else ''}: {reason}"
        raise TemplateProblem(f"{message}{f' ({about})' if about else ''}")

    @property
    def fingerprint(self) -> str:
        """Changes whenever notes would render differently: another vaultsync, template or layout."""
        sources = [self.env.loader.get_source(self.env, name)[0] for name in (PAPER_TEMPLATE, DIGEST_TEMPLATE)]  # type: ignore[union-attr]
        inputs = (__version__, self.flavor.name, self.layout, self.cssclasses, sources) + (
            ("author_links",) if self.author_links else ()
        )
        return hashlib.sha256(repr(inputs).encode()).hexdigest()[:16]

    @property
    def customized(self) -> bool:
        """Whether a template of the user's replaces a default one (else notes render as vaultsync's tests do)."""
        defaults = default_templates() / self.flavor.templates
        return any(
            self.env.loader.get_source(self.env, name)[0] != (defaults / name).read_text()  # type: ignore[union-attr]
            for name in (PAPER_TEMPLATE, DIGEST_TEMPLATE)
        )

    def _folders(self) -> str:
        return ", ".join(loader.searchpath[0] for loader in self.env.loader.loaders)  # type: ignore[union-attr]

    def index_link(self, day: date, index_links: Mapping[date, str]) -> str:
        return index_links.get(day) or self.layout.digest_name_for(day)

    def paper_metadata(
        self,
        paper: PaperRecord,
        index_links: Mapping[date, str],
        path: PurePosixPath,
        read: bool = False,
        topics: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The contract's frontmatter of a paper note at `path`, in the contract's order; `index_links`:
        the index notes' link targets where they are not the layout's name (renamed by the user, or linked
        by path because another note has the name); `read`: its reading state as last synced; `topics`:
        the link targets of its topics' notes (None: no topic notes)."""
        titles = self.layout.titles(paper.title, paper.raw_title or paper.title, paper.former_titles, path)
        return {
            **titles.properties,
            **({"authors": [self.author(name) for name in paper.authors]} if paper.authors else {}),
            "arxiv_id": paper.arxiv_id,
            "arxiv_version": paper.version,
            "doi": doi(paper.arxiv_id),
            "categories": list(paper.categories),
            "tags": paper.tags,
            **({"topics": [self.flavor.links.build(target) for target in topics]} if topics is not None else {}),
            "paper_url": paper.paper_url,
            "pdf_url": paper.pdf_url,
            "code_url": paper.code_url,
            "digests": [self.flavor.links.build(self.index_link(day, index_links)) for day in paper.days],
            "first_seen": paper.first_seen,
            "read": read,
            "aliases": [paper.arxiv_id, *titles.aliases],
            **({"cssclasses": list(self.cssclasses)} if self.cssclasses else {}),
        }

    def author(self, name: str) -> str:
        """An author as the `authors` property lists them: the name, or with `author_links` a link to the
        note (Obsidian) or page (Logseq) of that name, made safe for a file name."""
        if not self.author_links:
            return name
        return self.flavor.author_link(name)

    def paper_body(self, paper: PaperRecord, index_links: Mapping[date, str]) -> str:
        """The managed part of a paper note (TemplateProblem, naming the paper, if the template fails on it)."""
        context = self._paper_context(paper, index_links)
        return self.render(PAPER_TEMPLATE, f"on paper {paper.arxiv_id}", paper=context)

    def _paper_context(self, paper: PaperRecord, index_links: Mapping[date, str]) -> dict[str, Any]:
        listings = [
            {"day": item.day, "keyword": item.keyword, "tag": item.tag, "note": self.index_link(item.day, index_links)}
            for item in paper.listings
        ]
        paragraphs = [self.flavor.escape(paragraph) for paragraph in paper.abstract.split("\n\n") if paragraph]
        return {
            "title": paper.title,
            "authors": list(paper.authors),
            "arxiv_id": paper.arxiv_id,
            "version": paper.version,
            "categories": list(paper.categories),
            "tags": paper.tags,
            "paper_url": paper.paper_url,
            "pdf_url": paper.pdf_url,
            "code_url": paper.code_url,
            "abstract": "\n\n".join(paragraphs),
            "paragraphs": paragraphs,
            "first_seen": paper.first_seen,
            "listings": listings,
            "extra": paper.extra,
        }

    def digest_metadata(self, day: date, paper_count: int) -> dict[str, Any]:
        title = self.layout.digest_title(day)
        return {
            **({"title": title} if title else {}),
            "digest_date": day,
            "tags": [DIGEST_TAG],
            "paper_count": paper_count,
        }

    def digest_body(
        self, day: date, sections: Sequence[tuple[Section, Sequence[IndexLine]]], shared: Container[str] = frozenset()
    ) -> str:
        """The managed part of a day's index note; `shared`: the note names the vault has more than once,
        linked by path."""
        context = self._digest_context(day, sections, shared)
        return self.render(DIGEST_TEMPLATE, f"on the index note of {day}", digest=context)

    def _digest_context(
        self, day: date, sections: Sequence[tuple[Section, Sequence[IndexLine]]], shared: Container[str]
    ) -> dict[str, Any]:
        return {
            "date": day,
            "name": self.layout.digest_name_for(day),
            "sections": [
                {
                    "keyword": section.keyword,
                    "tag": section.tag,
                    "papers": [
                        {**vars(line), "note": line.note and self.layout.link_target(line.note, shared)}
                        for line in lines
                    ],
                }
                for section, lines in sections
                if lines
            ],
        }

    def queue_body(self, count: int, newest: Sequence[tuple[str, str, date]]) -> str:
        """The reading queue (note or page): live queries of the unread papers, and links to the newest
        (at most QUEUE_LIST). `count` papers to read; `newest`: (link target, title, first seen)."""
        papers = [{"note": note, "title": title, "first_seen": day} for note, title, day in newest[:QUEUE_LIST]]
        queue = {"count": count, "papers": papers, "papers_folder": self.layout.papers_folder}
        return self.render(QUEUE_TEMPLATE, "on the reading queue", queue=queue)
