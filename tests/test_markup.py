"""Digest text shows as written in Markdown; `$math$` is left for Obsidian's renderer."""

from __future__ import annotations

import html
import re

import mistune
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.text.markup import escape, html_to_markdown, link, safe_url

_render = mistune.create_markdown(escape=True)


def shown(markdown: str) -> str:
    """The text a CommonMark renderer shows for one paragraph of Markdown."""
    rendered = _render(markdown).strip()
    assert rendered.startswith("<p>") and rendered.endswith("</p>"), rendered
    assert "<" not in rendered[3:-4].replace("<br />", ""), f"markup leaked: {rendered}"
    return html.unescape(rendered[3:-4])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("C# and #tag", r"C\# and \#tag"),
        ("100%% sure", r"100\%\% sure"),
        ("[[Link]] ^id", r"\[\[Link\]\] \^id"),
        ("==mark== ~~gone~~", r"\=\=mark\=\= \~\~gone\~\~"),
        ("a $x_1 * y$ b", "a $x_1 * y$ b"),
        ("costs $5 or \\$6", r"costs \$5 or \$6"),
        ("- item", r"\- item"),
        ("1) first", r"1\) first"),
        ("> quote", r"\> quote"),
        ("Z\\'emor \\cite{x}", r"Z\\'emor \cite{x}"),
        ("line\nbreak\t here", "line break here"),
        ("&amp; stays", r"\&amp; stays"),
    ],
)
def test_escape(text, expected):
    assert escape(text) == expected


# Text without `$` (math is deliberately not escaped) and without characters CommonMark folds or drops.
plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="$\r\n\t\x0b\x0c"),
    max_size=80,
)


@pytest.mark.slow
@given(plain_text)
def test_escaped_text_renders_as_itself(text):
    folded = re.sub(r"\s+", " ", text).strip()
    if not folded:
        return
    assert shown(escape(text)) == folded


def test_html_abstract():
    markdown = html_to_markdown(
        '<p>A &amp; B &lt;x&gt;\n<a href="http://e.org/">this http URL</a>.\n</p>\n<p>Two <i>x</i></p>'
    )
    assert markdown == "A & B \\<x> [this http URL](http://e.org/).\n\nTwo \\<i>x\\</i>"


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '<img src=x onerror="y">', "<iframe src=z>"])
def test_raw_html_shows_as_text(hostile):
    assert shown(html_to_markdown(f"<p>{hostile}</p>")) == hostile


def test_unsafe_link_keeps_only_its_text():
    assert html_to_markdown('<p><a href="javascript:alert(1)">click</a></p>') == "click"
    assert link("x", "data:text/html,hi") == "x"


def test_safe_url_cannot_end_a_link():
    assert safe_url("https://e.org/a b)c") == "https://e.org/a%20b%29c"
    assert _render(link("code", "https://e.org/a b)c")).strip() == '<p><a href="https://e.org/a%20b%29c">code</a></p>'
