"""The one wikilink grammar: what it builds it reads back, for both apps, and retargeting changes only targets."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from vaultsync.flavors import Logseq, Obsidian
from vaultsync.text import markup, names
from vaultsync.text.tasks import CHECKBOX, MARKER, tasks_in
from vaultsync.text.wikilinks import LOGSEQ, OBSIDIAN, any_targets, without_targets

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
# Targets as vaultsync names notes and pages, maybe in a folder (a path where another note has the name).
OBSIDIAN_TARGETS = st.builds(
    lambda folder, name: f"{folder}/{name}" if folder else name,
    TEXT.map(names.note_name),
    TEXT.map(names.note_name),
).filter(lambda target: target and not target.startswith("/"))
LOGSEQ_TARGETS = TEXT.map(names.logseq_page_name).filter(bool)


def _shown(label: str | None) -> str:
    """A label as the name rules leave it: the text `build` writes after `|` (Obsidian)."""
    return names.link_label(label) if label else ""


@pytest.mark.slow
@given(OBSIDIAN_TARGETS, st.none() | TEXT)
def test_an_obsidian_link_reads_back_as_built(target, label):
    link = OBSIDIAN.parse(OBSIDIAN.build(target, label))
    assert link is not None
    assert (link["target"], link["heading"], link["label"]) == (target, "", _shown(label) or None)


@pytest.mark.slow
@given(LOGSEQ_TARGETS, st.none() | TEXT)
def test_a_logseq_link_reads_back_as_built(target, label):
    shown = _shown(label)
    assume(not shown.endswith("\\"))  # see test_a_logseq_label_ending_in_a_backslash_breaks_its_link
    link = LOGSEQ.parse(LOGSEQ.build(target, label))
    assert link is not None
    written = markup.logseq(markup.escape(shown)) if shown and shown != target else None
    assert (link["target"], link["label"]) == (target, written)  # a Logseq label is Markdown, as written


def test_a_logseq_label_ending_in_a_backslash_breaks_its_link():
    """Known and left as it was: Markdown escapes the `]` after the label (arXiv titles do not end so)."""
    assert LOGSEQ.parse(LOGSEQ.build("Page", "A title \\")) is None


@pytest.mark.parametrize(
    ("links", "target", "label"),
    [(OBSIDIAN, "Paper", "Shown"), (OBSIDIAN, "Paper", None), (LOGSEQ, "Page", "Shown"), (LOGSEQ, "Page", None)],
)
@pytest.mark.slow
@given(new=TEXT.map(names.note_name).filter(bool), before=TEXT, after=TEXT)
def test_retargeting_changes_only_the_target(links, target, label, new, before, after):
    assume("[" not in before + after and "]" not in before + after)
    other = links.build("Other", "Not this one")
    built = links.build(target, label)
    old = links.parse(built)
    text = f"{before}{built}{after} {other}"
    moved = links.retarget(text, {target: new})
    assert moved.startswith(before) and moved.endswith(f"{after} {other}")
    link = links.parse(moved[len(before) : len(moved) - len(after) - len(other) - 1])
    assert link is not None and link["target"] == new and link["heading"] == old["heading"]
    if old["label"] is not None or new == target or links is LOGSEQ:
        assert link["label"] == old["label"]
    else:  # an unlabelled Obsidian link keeps showing the old target
        assert link["label"] == target


def test_an_obsidian_target_stops_at_a_heading_and_a_logseq_page_name_does_not():
    assert OBSIDIAN.parse("[[Paper#Abstract|shown]]").group("target", "heading", "label") == (
        "Paper",
        "#Abstract",
        "shown",
    )
    assert OBSIDIAN.retarget("[[Paper^b1]]", {"Paper": "New"}) == "[[New^b1|Paper]]"
    assert LOGSEQ.parse("[[C# in depth]]")["target"] == "C# in depth"
    assert LOGSEQ.parse(r"[a \] b]([[Page]])").group("target", "label") == ("Page", r"a \] b")


def test_the_flavors_write_links_with_their_grammar():
    assert Obsidian.links is OBSIDIAN and Obsidian.tasks is CHECKBOX and CHECKBOX.link is OBSIDIAN
    assert Logseq.links is LOGSEQ and Logseq.tasks is MARKER and MARKER.link is LOGSEQ
    assert Obsidian().wikilink("Paper", "A [b] | c") == "[[Paper|A (b) - c]]"
    assert Obsidian().author_link("Ada Lovelace") == "[[Ada Lovelace]]"
    assert Obsidian().author_link("Ada: Lovelace") == "[[Ada Lovelace|Ada: Lovelace]]"


def test_a_labelled_logseq_task_line_shows_its_label():
    """`[label]([[page]])`, as `wikilink(page, label)` writes it in a Logseq template, is read whole."""
    lines = ["- TODO [A *b*]([[Page]]) · code", "- DONE [[Other]]"]
    assert tasks_in(lines, MARKER) == [("Page", "A *b*", False), ("Other", "Other", True)]


def test_links_are_one_item_of_a_comma_separated_value():
    assert LOGSEQ.items("a, [[b, c]], [d, e]([[f]])") == ["a", " [[b, c]]", " [d, e]([[f]])"]


@pytest.mark.slow
@given(TEXT, TEXT, TEXT)
def test_a_checksum_is_blind_to_what_a_rename_changes(before, old, new):
    assume(not any(c in old + new for c in "]|#^\n"))
    text = f"{before}[[{old}|label]] and [[{old}#h]]"
    renamed = text.replace(f"[[{old}", f"[[{new}")
    assert without_targets(text) == without_targets(renamed)
    assert re.fullmatch(any_targets(text), renamed)
