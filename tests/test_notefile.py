"""Frontmatter from a YAML emitter parses back to the same values; updates keep the user's parts."""

from __future__ import annotations

from datetime import date

import frontmatter
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.flavors.obsidian.notefile import ObsidianNotes

NOTES = ObsidianNotes()

HOSTILE = [
    'He said "no": #1 & more',
    "- leading dash",
    "[bracketed] title",
    "* star",
    "& anchor",
    "! bang",
    "% percent",
    "@ at",
    "`tick`",
    "| pipe",
    "> gt",
    "{brace}",
    "line\nbreak",
    "  spaces  ",
    "2401.08640",
    "1e10",
    "true",
    "null",
    "~",
    "---",
    "a: b",
    "#comment",
    "'single'",
    "tab\there",
    "\u2028sep",
    "",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_round_trip(title):
    metadata = {"title": title, "arxiv_id": "2401.08640", "first_seen": date(2024, 1, 18), "code_url": None}
    text = NOTES.compose(metadata, "body")
    assert frontmatter.parse(text)[0] == metadata


@pytest.mark.slow
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120))
def test_any_string_round_trips(value):
    metadata = {"title": value, "tags": [value, "x"], "digests": [f"[[{value}]]"]}
    assert frontmatter.parse(NOTES.compose(metadata, "b"))[0] == metadata


def test_obsidian_style():
    text = NOTES.dump_frontmatter({"arxiv_id": "2401.08640", "digests": ["[[arXiv 2024-01-18]]"], "n": 1})
    assert text == '---\narxiv_id: "2401.08640"\ndigests:\n  - "[[arXiv 2024-01-18]]"\nn: 1\n---\n'


def test_update_keeps_user_keys_order_and_text():
    note = NOTES.compose({"title": "Old", "tags": ["a"]}, "old body", "\n## Notes\n\nmine\n")
    note = note.replace("tags:", "rating: 5\ntags:").replace("%% vaultsync:begin", "Above.\n%% vaultsync:begin")
    parts = NOTES.split(note)
    assert parts is not None
    updated = NOTES.update(parts, {"title": "New", "tags": ["a", "b"], "extra": 1}, "new body")
    assert updated.left == {} and updated.text == (
        "---\ntitle: New\nrating: 5\ntags:\n  - a\n  - b\nextra: 1\n---\n"
        "Above.\n" + NOTES.region("new body") + "\n## Notes\n\nmine\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "no frontmatter\n%% vaultsync:begin %%\nx\n%% vaultsync:end %%\n",
        "---\ntitle: x\n---\nmarkers gone\n",
        "---\ntitle: x\n---\n%% vaultsync:begin %%\nx\n",
        "---\ntitle: x\n---\n%% vaultsync:begin %%\n%% vaultsync:end %%\n%% vaultsync:end %%\n",
        "---\ntitle: [unclosed\n---\n%% vaultsync:begin %%\n%% vaultsync:end %%\n",
    ],
)
def test_damaged_notes_are_not_split(text):
    assert NOTES.split(text) is None
