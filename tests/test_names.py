"""Note names valid on every OS and inside links; tags valid in Obsidian."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.text.names import MAX_NAME_BYTES, link_label, note_name, tag

FORBIDDEN = set('*"\\/<>:|?#^[]')


def assert_valid(name: str) -> None:
    assert not FORBIDDEN & set(name)
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in name)
    assert name == name.strip(" .")
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert "%%" not in name
    assert not re.match(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", name, re.I)
    assert not re.match(r"^\d{4}-\d{2}-\d{2}$", name)


@pytest.mark.parametrize(
    "title, expected",
    [
        ("SAiD: Speech-driven Blendshape", "SAiD Speech-driven Blendshape"),
        ("A/B \\ C", "A-B - C"),
        ('What? "Quotes" <x> | y # z ^ [w]', "What Quotes x y z w"),
        ("  ..hidden..  ", "hidden"),
        ("a.#", "a"),
        ("CON", ""),
        ("nul.txt", ""),
        ("2024-01-18", ""),
        ("....", ""),
        ("e\u0301t\u00e9", "\u00e9t\u00e9"),  # NFC
    ],
)
def test_note_name(title, expected):
    assert note_name(title) == expected


def test_long_names_cut_at_a_word_never_mid_character():
    name = note_name("word " * 100)
    assert len(name.encode()) <= MAX_NAME_BYTES and name.endswith("word")
    cjk = note_name("研" * 150)
    assert len(cjk.encode()) <= MAX_NAME_BYTES and set(cjk) == {"研"}


@pytest.mark.slow
@given(st.text(max_size=300))
def test_any_title_gives_a_valid_stable_name(title):
    name = note_name(title)
    if name:
        assert_valid(name)
        assert note_name(name) == name


@pytest.mark.parametrize(
    "keyword, expected",
    [
        ("foundation model", "foundation-model"),
        ("membership infer", "membership-infer"),
        ("Large Language Model", "large-language-model"),
        ("self-supervised", "self-supervised"),
        ("1984", "_1984"),
        ("C++ & Rust!", "c-rust"),
    ],
)
def test_tag(keyword, expected):
    assert tag(keyword) == expected


@pytest.mark.slow
@given(st.text(max_size=60))
def test_any_keyword_gives_a_valid_tag(keyword):
    value = tag(keyword)
    if value:
        assert re.fullmatch(r"[\w/-]+", value) and re.search(r"[^\d/]", value)


@pytest.mark.slow
@given(st.text(max_size=100))
def test_link_labels_cannot_end_a_link(text):
    label = link_label(text)
    assert not set("[]|\n") & set(label) and "%%" not in label
