"""Logseq graphs: file names as Logseq encodes them, config and dates, and every page of an import of
all real digests (shared, or the in-repository sample) read back by Logseq's own parser, mldoc."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from conftest import new_graph, parse, run_cli
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.flavors.logseq.graph import GraphConfig, format_date, parse_date, read_config
from vaultsync.flavors.logseq.page import LogseqPages
from vaultsync.text.markup import escape, logseq
from vaultsync.text.names import logseq_file_name, logseq_page_name, logseq_title_from_file


@pytest.mark.parametrize(
    "page, file",
    [
        ("A: B/C", "A%3A B___C"),
        ("x___y", "x%5F%5F%5Fy"),
        ("a_/b", "a%5F___b"),
        (".hidden", "%2Ehidden"),
        ("CON", "CON___"),
        ("end.", "end.___"),
        ("100% %41", "100% %2541"),
        ('q?*"<>|#\\', "q%3F%2A%22%3C%3E%7C%23%5C"),
    ],
)
def test_file_names_are_logseqs_triple_lowbar_names(page, file):
    assert logseq_file_name(page) == file
    assert logseq_title_from_file(file) == page.rstrip("/")


@pytest.mark.slow
@given(st.text(max_size=300))
def test_logseq_reads_back_every_page_name_from_its_file_name(title):
    page = logseq_page_name(title)
    file = logseq_file_name(page)
    assert logseq_title_from_file(file) == page
    assert len(file.encode()) <= 240 and "/" not in file and "\n" not in page and "]]" not in page


PATTERNS = ["MMM do, yyyy", "yyyy_MM_dd", "EEE, dd.MM.yyyy", "yyyy-MM-dd", "MMMM d, yyyy", "do MMMM yyyy", "yyyy/MM/dd"]


@pytest.mark.slow
@given(st.dates(min_value=date(1000, 1, 1)), st.sampled_from(PATTERNS))
def test_journal_dates_read_back(day, pattern):
    assert parse_date(format_date(day, pattern), pattern) == day


def test_config_reads_top_level_settings_only(tmp_path):
    graph = new_graph(
        tmp_path,
        '{:journal/page-title-format "EEE, dd.MM.yyyy" ; "a comment"\n'
        ' :default-templates {:journals "" :pages-directory "inner"}\n'
        ' ;; :journals-directory "commented"\n :journals-directory "days" :file/name-format :triple-lowbar}',
    )
    assert read_config(graph) == GraphConfig("pages", "days", "yyyy_MM_dd", "EEE, dd.MM.yyyy", "triple-lowbar")
    assert read_config(tmp_path / "none") == GraphConfig()


def test_page_properties_round_trip_and_keep_the_users_lines():
    pages = LogseqPages("MMM do, yyyy")
    metadata = {"title": "T", "arxiv_id": "2401.00001", "tags": ["a", "b"], "first_seen": date(2024, 1, 18)}
    text = pages.compose(metadata, "- body", "- ## Notes\n")
    parts = pages.split(text)
    assert parts and not parts.edited and parts.metadata == {**metadata, "code_url": None}
    mine = text.replace("vaultsync::", "rating:: 5\nvaultsync::") + "\t- my note\n"
    parts = pages.split(mine)
    updated = pages.update(parts, {**metadata, "tags": ["a", "b", "c"]}, "- body 2")
    assert "rating:: 5\n" in updated and "tags:: a, b, c\n" in updated and updated.endswith("- ## Notes\n\t- my note\n")
    assert pages.split(updated).metadata["tags"] == ["a", "b", "c"] and not pages.split(updated).edited


# Pieces of keys: ASCII and other scripts, punctuation, what mldoc counts as spaces and what it does not.
KEY_PIECES = [*'aZ9_-./+*#@(){}",|^é😀', "[[", "]]", "État", "评分", "\u00a0", "\u3000", "\x0b", "\x00"]
KEY_PIECES += [" ", "\t", "\x0c", "\x1a", ":"]
PREFIXES = ["", "", "", " ", "\t", "#+", " #+"]
SEPARATORS = ["::", ":: ", "::  ", ":: \t", "::\t", ":::", ":: ::", "::x", ":", ": ", ""]
VALUES = ["", "v", " v ", "[[Page]], #tag", "a:: b", "\u00e9t\u00e9", ":", "\r"]  # `\r\n` ends a line too


def test_the_first_blocks_property_lines_are_the_ones_logseqs_parser_reads(mldoc, tmp_path):
    """Any line mldoc takes for a property in a page's first block (keys in any script, with punctuation;
    a value or none; `#+key: value` too) is one for `split`, and no other: so a user's property never cuts
    the block short."""
    rng = random.Random(14)
    lines = [rng.choice(PREFIXES) + "".join(rng.choice(KEY_PIECES) for _ in range(rng.randint(1, 4)))
             + rng.choice(SEPARATORS) + rng.choice(VALUES) for _ in range(2000)]  # fmt: skip
    pages = LogseqPages("MMM do, yyyy")
    files = []
    for n, line in enumerate(lines):
        files.append(tmp_path / f"{n}.md")
        files[-1].write_text(f"title:: T\n{line}\narxiv-id:: 2401.00001\n\n- a block\n")
    parsed = parse(mldoc, files)
    accepted = Counter()
    for line, file in zip(lines, files, strict=True):
        theirs = parsed[str(file)]["properties"]
        ours = pages.split(file.read_bytes().decode())
        assert ours is not None and len(ours.head) == len(theirs), repr(line)
        assert (ours.metadata.get("arxiv_id") == "2401.00001") == (len(theirs) == 3), repr(line)
        accepted[len(theirs) == 3, "#+" in line] += 1
    assert min(accepted.values()) > 50  # properties and not, `key::` and `#+key:` lines, were all tried


def test_text_is_escaped_for_logseq():
    text = logseq(escape("NOW {{query}} ((block)) a:: b [[page]] #tag $x_[1]$ (see [it](http://x))"))
    assert text == r"\NOW \{\{query\}\} ((block\)\) a\:: b [[page\]\] \#tag $x_[1]$ (see [it\](http://x\)\)"


# --- everything, through mldoc ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def graph(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = new_graph(tmp_path_factory.mktemp("logseq") / "graph")
    result = run_cli("import", corpus, root, check=True)
    assert result.stdout.startswith("Logseq graph (found logseq/config.edn)")
    return root


PAPER_KEYS = {"title", "arxiv-id", "arxiv-version", "categories", "tags", "paper-url", "pdf-url", "digests"}
PAPER_KEYS |= {"doi", "first-seen", "read", "alias", "vaultsync"}
DIGEST_KEYS = {"title", "digest-date", "paper-count", "tags", "vaultsync"}


def test_every_page_parses_with_logseqs_parser(graph, mldoc, corpus_counts):
    queue = graph / "pages" / "arXiv reading queue.md"
    pages = sorted(page for page in (graph / "pages").glob("*.md") if page != queue)
    journals = sorted((graph / "journals").glob("*.md"))
    days = corpus_counts.with_papers
    assert len(pages) == corpus_counts.papers + days and len(journals) == days
    parsed = parse(mldoc, pages + journals + [queue])
    assert [file for file, page in parsed.items() if "error" in page] == []
    reading = parsed.pop(str(queue))  # the reading queue: a count, a query, then the newest papers
    assert dict(reading["properties"])["tags"] == "arxiv-reading-queue"
    head, query, *newest = reading["blocks"]
    assert head["inline"][0] == "Plain" and head["level"] == query["level"] == 1
    assert query["inline"] == ["Macro"]  # {{query …}}: its table settings are the block's properties
    assert [block["level"] for block in newest] == [1] + [2] * 20 and all(len(b["refs"]) == 1 for b in newest[1:])
    titles = {}
    for page in pages:
        properties = dict(parsed[str(page)]["properties"] or [])
        assert properties, page
        titles[properties["title"].lower()] = page
        assert logseq_title_from_file(page.stem) == properties["title"]  # Logseq names the page the same
    names = set(titles)
    tasks = 0
    for page in pages:
        result = parsed[str(page)]
        properties = dict(result["properties"])
        if "digest-date" in properties:
            assert set(properties) == DIGEST_KEYS, page
            for block in result["blocks"]:
                if block["level"] == 2:
                    assert block["marker"] == "TODO" and len(block["refs"]) == 1, (page, block)
                    assert block["refs"][0].lower() in names
                    tasks += 1
        else:
            assert PAPER_KEYS <= set(properties) <= PAPER_KEYS | {"code-url", "original-title", "latest-title"}, page
            assert not any(block["marker"] for block in result["blocks"]), page  # no abstract became a task
            assert "arXiv:" + properties["alias"].split(", ")[0] == properties["arxiv-id"]  # then a later title
    assert tasks == sum(int(dict(parsed[str(p)]["properties"]).get("paper-count", 0)) for p in pages)
    for journal in journals:
        [block] = parsed[str(journal)]["blocks"]
        assert len(block["refs"]) == 1 and block["refs"][0].lower() in names
        day = date.fromisoformat(journal.stem.replace("_", "-"))
        assert dict(parsed[str(titles[block["refs"][0].lower()])]["properties"])["digest-date"] == (
            f"[[{format_date(day, 'MMM do, yyyy')}]]"
        )


HOSTILE = ["[[", "]]", "[", "]", "((", "))", "(", ")", "{{", "}}", "#", "#[[", "::", ":", "TODO ", "NOW ", "DONE ", "`",
           "*", "**", "_", "~~", "==", "^^", "$", "$x$", "\\", "\\[", "\\(", "<b>", "<script>", "&amp;", "%%",
           "http://x.org", "[a](http://b.c)", "![i](j)", "- ", "> ", "1. ", " ", "a", "é", "key:: v"]  # fmt: skip


def test_escaped_text_is_plain_text_to_logseqs_parser(mldoc, tmp_path):
    """Hostile digest text, escaped for Logseq, parses as plain text, kept math and web addresses
    (which Logseq links, as Obsidian does): no page or block reference, tag, macro, emphasis, property
    or task."""
    rng = random.Random(7)
    texts = ["".join(rng.choice(HOSTILE) for _ in range(rng.randint(1, 12))) for _ in range(2000)]
    page = tmp_path / "page.md"
    page.write_text("".join(f"- {logseq(escape(text))}\n" for text in texts))
    blocks = parse(mldoc, [page])[str(page)]["blocks"]
    assert len(blocks) == len(texts)
    for text, block in zip(texts, blocks, strict=True):
        assert not block["marker"] and not block["properties"], text
        assert set(block["inline"]) <= {"Plain", "Latex_Fragment", "Link:Complex"}, (text, block["inline"])
