"""Reading digests: every format variant of the real corpus, and inputs that are not digests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.model import NotADigestError
from vaultsync.pipeline.reader import date_from_name, decode, parse_digest

DIGEST = """## foundation model
### Title: Is It Safe?. (arXiv:2401.00001v3 [cs.LG] UPDATED)
* Paper URL: [http://arxiv.org/abs/2401.00001](http://arxiv.org/abs/2401.00001)
* Code URL: null
* Copy Paste: `<input type="checkbox">[[2401.00001] Is It Safe?](http://arxiv.org/abs/2401.00001) #foundation model`
* Comments: 9 pages
* Summary: <p>First &amp; only
- a dash line 1) and more.
</p>
<p>Second, see <a href="http://x.org/">this http URL</a>.
</p>

## empty one
"""


def read(name: str, corpus: Path):
    return parse_digest(decode((corpus / name).read_bytes(), name), name)


def test_entry_fields():
    digest = parse_digest(DIGEST, "d.md")
    assert [(s.keyword, s.tag, len(s.entries)) for s in digest.sections] == [
        ("foundation model", "foundation-model", 1),
        ("empty one", "empty-one", 0),
    ]
    entry = digest.entries[0]
    assert (entry.arxiv_id, entry.version, entry.title, entry.category, entry.updated, entry.line) == (
        "2401.00001",
        3,
        "Is It Safe?",
        "cs.LG",
        True,
        2,
    )
    assert entry.paper_url == "http://arxiv.org/abs/2401.00001"
    assert entry.code_url is None
    assert entry.extra == {"Comments": "9 pages"}
    assert entry.abstract == ("First & only - a dash line 1) and more.\n\nSecond, see [this http URL](http://x.org/).")
    assert digest.problems == ()


def test_2022_07_no_copy_paste_and_updated_versions(corpus):
    digest = read("2022-07-11.md", corpus)
    assert digest.problems == ()
    updated = [e for e in digest.entries if e.updated]
    assert updated and {e.version for e in updated} >= {2, 3}
    assert any(e.version >= 8 for e in digest.entries)
    gait = next(e for e in digest.entries if e.arxiv_id == "2207.03608")
    assert gait.title == r"GaitTAKE: Gait Recognition by Temporal Attention \\and Keypoint-guided Embedding"


def test_copy_paste_without_tag_and_with_spaced_tag(corpus):
    untagged = read("2022-08-01.md", corpus)
    spaced = read("2024-01-18.md", corpus)
    assert untagged.problems == spaced.problems == ()
    assert "foundation-model" in {s.tag for s in spaced.sections}
    assert len(spaced.entries) == 42 and len(spaced.sections) == 8


def test_titles_keep_their_characters(corpus):
    titles = {e.title for e in read("2022-10-17.md", corpus).entries}
    assert "Vision Transformer Visualization: What Neurons Tell and How Neurons Behave?" in titles
    latex = read("2022-07-11.md", corpus).entries
    assert any(e.title == r"Post-quantum hash functions using $\mathrm{SL}_n(\mathbb{F}_p)$" for e in latex)


def test_code_url_link():
    text = DIGEST.replace("Code URL: null", "Code URL: [https://github.com/a/b](https://github.com/a/b)")
    assert parse_digest(text).entries[0].code_url == "https://github.com/a/b"


def test_empty_digest_is_valid(corpus):
    digest = read("2024-02-16.md", corpus)
    assert digest.sections and digest.entries == [] and digest.problems == ()


def test_malformed_entry_is_a_warning_and_the_rest_imports():
    bad = "### Title: no id here\n* Paper URL: [u](u)\n\n"
    text = DIGEST.replace("## empty one\n", "## empty one\n" + bad + DIGEST.split("\n", 1)[1])
    digest = parse_digest(text, "d.md")
    assert len(digest.entries) == 2
    assert [str(p) for p in digest.problems] == [
        "d.md:14: heading is not '### Title: <title>. (arXiv:<id>v<n> [<category>])', entry skipped"
    ]


def test_stray_lines_and_bad_links_are_warnings():
    text = DIGEST.replace("* Code URL: null", "* Code URL: not a link") + "\nsome stray text\n"
    problems = [str(p) for p in parse_digest(text, "d.md").problems]
    assert problems == [
        "d.md:4: 'Code URL' is not a link: 'not a link', ignored",
        "d.md:15: unexpected line, ignored: 'some stray text'",
    ]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ("## ok\n".encode("utf-16"), "binary"),
        (b"## caf\xe9\n", "not UTF-8"),
        (b"just some notes\nno digest here\n", "not a digest"),
        (b"", "not a digest"),
    ],
)
def test_not_a_digest(data, reason):
    with pytest.raises(NotADigestError, match=reason):
        parse_digest(decode(data, "x.md"), "x.md")


def test_bom_and_crlf():
    data = ("\ufeff" + DIGEST).replace("\n", "\r\n").encode()
    digest = parse_digest(decode(data, "d.md"), "d.md")
    assert digest.problems == () and digest.entries[0].title == "Is It Safe?"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("2024-01-18.md", date(2024, 1, 18)),
        ("digest_2024_01_18.txt", date(2024, 1, 18)),
        ("arxiv-20240118.md", date(2024, 1, 18)),
        ("2024-13-45.md", None),
        ("notes.md", None),
        ("2024-01_18.md", None),
    ],
)
def test_date_from_name(name, expected):
    assert date_from_name(name) == expected


def test_whole_corpus(corpus, corpus_counts):
    """Every real digest reads with zero warnings, every listing of its title lines found (in the shared
    corpus: 3,893 entries, 3,888 papers, 85 digests with papers)."""
    entries, ids, with_papers = 0, set(), 0
    for path in sorted(corpus.glob("*.md")):
        digest = parse_digest(decode(path.read_bytes(), path.name), path.name)
        assert digest.problems == (), digest.problems[:3]
        entries += len(digest.entries)
        ids |= {e.arxiv_id for e in digest.entries}
        with_papers += bool(digest.entries)
        assert all(e.title and e.abstract and e.paper_url.endswith(e.arxiv_id) for e in digest.entries)
        assert all(s.tag for s in digest.sections)
    assert (entries, len(ids), with_papers) == (corpus_counts.entries, corpus_counts.papers, corpus_counts.with_papers)


PIECES = [
    "#",
    "*",
    "-",
    ":",
    "(",
    ")",
    "[",
    "]",
    "<p>",
    "</p>",
    " ",
    "\n",
    "&amp;",
    "$",
    "\\",
    "x",
    "## k\n",
    "### Title: T. (arXiv:2401.00001v1 [cs.LG])\n",
    "* Summary: ",
    "* Code URL: ",
]


@pytest.mark.slow
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_any_text_reads_or_is_not_a_digest(text):
    """Reading never raises anything but NotADigestError, whatever the text."""
    try:
        digest = parse_digest(text, "fuzz.md")
    except NotADigestError:
        return
    assert all(entry.arxiv_id for entry in digest.entries)


@pytest.mark.slow
@given(st.text(), st.text(), st.text(), st.text(), st.text())
def test_any_field_values_read_or_are_not_a_digest(keyword, title, paper_url, code_url, abstract):
    """Whatever a digest's fields hold, reading raises nothing but NotADigestError."""
    text = (
        f"## {keyword}\n### Title: {title}. (arXiv:2401.00001v1 [cs.LG])\n* Paper URL: {paper_url}\n"
        f"* Code URL: {code_url}\n* Copy Paste: `[[2401.00001] {title}]({paper_url})`\n* Summary: <p>{abstract}</p>\n"
    )
    try:
        parse_digest(text, "fuzz.md")
    except NotADigestError:
        pass
