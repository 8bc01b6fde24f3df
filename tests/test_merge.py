"""The pure merge rules: frontmatter edits keep the user's bytes, index regions keep ticks and lines,
list values remember what the user removed. Properties are checked with hypothesis."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from vaultsync.flavors.obsidian.notefile import ObsidianNotes
from vaultsync.pipeline.index_merge import merge_region
from vaultsync.pipeline.reconcile import Rendered, merge_list, reconcile
from vaultsync.text import properties, yaml_style
from vaultsync.text.reading import decide, in_index
from vaultsync.text.tasks import CHECKBOX, MARKER, restatus, tasks_in

NOTES = ObsidianNotes()

USER_YAML = (
    "title: Old\n"
    "# my comment about the rating\n"
    "rating: 5   # stars\n"
    "tags:\n  - diffusion\n  - 'to-read'\n"
    'status: "reading"\n'
    "quote: |\n  first line\n\n  after a blank line\n"
    "first_seen: 2024-01-18\n"
)


def test_setting_managed_keys_keeps_every_user_line():
    current = yaml_style.load(USER_YAML)
    result = properties.set_values(USER_YAML, current, {"title": "New", "tags": ["diffusion", "to-read", "gan"]})
    assert result.text == USER_YAML.replace("title: Old\n", "title: New\n").replace(
        "  - 'to-read'\n", "  - 'to-read'\n  - gan\n"
    )
    assert result.left == {}


def test_equal_values_are_not_rewritten_and_new_keys_follow_their_predecessor():
    current = yaml_style.load(USER_YAML)
    unchanged = {"title": "Old", "tags": ["diffusion", "to-read"], "first_seen": date(2024, 1, 18)}
    assert properties.set_values(USER_YAML, current, unchanged).text == USER_YAML
    result = properties.set_values(USER_YAML, current, {"title": "Old", "arxiv_id": "2401.00001"}).text
    assert result.startswith('title: Old\narxiv_id: "2401.00001"\n# my comment')


def test_unusual_yaml_keeps_its_lines():
    text = "title: Old\nflow: {a: 1,\nb: 2}\n"
    result = properties.set_values(text, yaml_style.load(text), {"title": "New"})
    assert result == ("title: New\nflow: {a: 1,\nb: 2}\n", {})


user_values = st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.lists(st.text(max_size=10), max_size=3))
user_keys = st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True).filter(lambda key: key not in {"title", "tags"})


@pytest.mark.slow
@given(st.dictionaries(user_keys, user_values, max_size=5), st.text(max_size=40), st.lists(st.text(max_size=12)))
def test_any_user_keys_survive_byte_for_byte(user, title, tags):
    text = yaml_style.dump({"title": "Old", **user, "tags": ["a"]})
    result = properties.set_values(text, yaml_style.load(text), {"title": title, "tags": tags}).text
    assert yaml_style.same(yaml_style.load(result), {"title": title, **user, "tags": tags})
    for key, value in user.items():
        assert yaml_style.dump({key: value}) in result


def test_merge_list_remembers_what_the_user_removed():
    assert merge_list(["a", "mine"], ["a", "b", "c"], ["a", "b"]) == ["a", "mine", "c"]
    assert merge_list([], ["a"], None) == ["a"]
    assert merge_list(yaml_style.items("tags", "single"), ["A", "single"], []) == ["single", "A"]
    assert merge_list(yaml_style.items("tags", "a, b c"), ["c", "d"], []) == ["a", "b", "c", "d"]  # as Obsidian reads
    assert merge_list(yaml_style.items("aliases", "My paper, 2401.08640"), ["2401.08640"], []) == [
        "My paper",
        "2401.08640",
    ]
    assert merge_list(["Diffusion"], ["diffusion"], None) == ["Diffusion"]  # tags compare without case


def note(managed: str, **metadata: object) -> str:
    return NOTES.compose({"title": "T", "tags": ["a"], "first_seen": date(2024, 1, 18), **metadata}, managed, "\n")


def test_reconcile_keeps_first_seen_and_reports_held_back_updates():
    old = note("generated v1")
    rendered = Rendered({"title": "T2", "tags": ["a", "b"], "first_seen": date(2025, 1, 1)}, "generated v2")
    result = reconcile(old, rendered, {"tags": ["a"]}, force=False, notes=NOTES)
    assert result.outcome == "updated" and "generated v2" in result.text and "first_seen: 2024-01-18" in result.text
    edited = old.replace("generated v1", "generated v1, and my words")
    result = reconcile(edited, rendered, {"tags": ["a"]}, force=False, notes=NOTES)
    assert result.outcome == "kept" and "and my words" in result.text and "title: T2" in result.text
    assert reconcile(edited, rendered, {"tags": ["a"]}, force=True, notes=NOTES).outcome == "updated"
    same_again = Rendered(rendered.metadata, "generated v1")
    only_frontmatter = reconcile(edited, same_again, {"tags": ["a"]}, force=False, notes=NOTES)
    assert only_frontmatter.outcome == "updated"
    assert reconcile("no frontmatter", rendered, {}, force=False, notes=NOTES).outcome == "damaged"


def identify(line: str) -> str | None:
    found = re.search(r"\[\[P/(\w+)", line)
    return found[1] if found else None


def region(papers: list[str], title: str = "") -> str:
    return "## kw\n\n" + "".join(f"- [ ] [[P/{p}|{p.upper()}{title}]] · [code](https://x/{p})\n" for p in papers)


def test_ticks_comments_and_lines_survive_a_regenerated_index():
    base = region(["a", "b", "c"])
    theirs = "My intro.\n" + base.replace("- [ ] [[P/a", "- [x] [[P/a").replace(
        "(https://x/b)\n", "(https://x/b) — read twice\nmy own line\n"
    ).replace("- [ ] [[P/c", "- [/] [[P/c")
    ours = region(["a", "b", "c", "d"], " v2")
    merged = merge_region(theirs, base, ours, identify)
    assert merged == (
        "My intro.\n## kw\n\n"
        "- [x] [[P/a|A v2]] · [code](https://x/a)\n"
        "- [ ] [[P/b|B v2]] · [code](https://x/b) — read twice\nmy own line\n"
        "- [/] [[P/c|C v2]] · [code](https://x/c)\n"
        "- [ ] [[P/d|D v2]] · [code](https://x/d)\n"
    )
    forced = merge_region(theirs, base, ours, identify, force=True)
    assert forced == ours.replace("- [ ] [[P/a", "- [x] [[P/a").replace("- [ ] [[P/c", "- [/] [[P/c")


def test_deleted_lines_stay_deleted_and_changed_lines_stay_as_written():
    base = region(["a", "b", "c"])
    theirs = base.replace("- [ ] [[P/a|A]] · [code](https://x/a)\n", "").replace("[[P/b|B]]", "[[P/b|my title]]")
    merged = merge_region(theirs, base, region(["a", "b", "c"], " v2"), identify)
    assert merged == "## kw\n\n- [ ] [[P/b|my title]] · [code](https://x/b)\n- [ ] [[P/c|C v2]] · [code](https://x/c)\n"


def test_links_rewritten_by_a_rename_are_still_the_same_paper():
    base = region(["a", "b"])
    theirs = base.replace("- [ ] [[P/a|A]]", "- [x] [[Projects/moved|A]]")
    merged = merge_region(theirs, base, region(["a", "b"]), lambda line: identify(line) or ("a" * ("moved" in line)))
    assert merged == region(["a", "b"]).replace("- [ ] [[P/a", "- [x] [[P/a")


@pytest.mark.slow
@given(
    st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=8, unique=True),
    st.data(),
)
def test_merge_never_drops_what_the_user_wrote(papers, data):
    base = region(papers)
    lines = base.strip("\n").split("\n")
    user_lines: list[str] = []
    edited: list[str] = []
    for line in lines:
        if line.startswith("- [ ]"):
            status = data.draw(st.sampled_from(" x/->"))
            suffix = data.draw(st.sampled_from(["", " — note", " #later"]))
            line = line.replace("- [ ]", f"- [{status}]", 1) + suffix
        edited.append(line)
        if data.draw(st.booleans()):
            extra = f"user line {len(user_lines)}"
            user_lines.append(extra)
            edited.append(extra)
    new_papers = data.draw(st.lists(st.sampled_from("abcdefghij"), unique=True, min_size=1))
    ours = region(new_papers, " v2")
    merged = merge_region("\n".join(edited) + "\n", base, ours, identify)
    for extra in user_lines:
        assert extra in merged
    for line in edited:
        if line.startswith("- [") and identify(line) in new_papers:
            status, suffix = line[3], line.split("(https://x/")[1].split(")", 1)[1]
            paper = identify(line)
            assert f"- [{status}] [[P/{paper}|{paper.upper()} v2]] · [code](https://x/{paper}){suffix}\n" in merged
        elif line.startswith("- [") and (line[3] != " " or not line.endswith(")")):
            assert line in merged  # a paper the new render dropped, but the user had ticked or annotated
    for paper in set(new_papers) - set(papers):
        assert f"- [ ] [[P/{paper}|" in merged
    assert merge_region(merged, ours, ours, identify) == merged  # merging again changes nothing


flat_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


def assert_written_as_the_python_emitter_writes(metadata: dict) -> None:
    """`yaml_style.dump` reads back as `metadata`, in the very text of PyYAML's pure-Python emitter."""
    import yaml

    text = yaml_style.dump(metadata)
    assert yaml_style.load(text) == metadata
    slow = yaml.dump(
        metadata, Dumper=yaml_style.Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1e9
    )
    assert text == slow


@pytest.mark.slow
@given(
    st.dictionaries(
        flat_text.filter(lambda key: key.isprintable() and key != ""),
        st.one_of(flat_text, st.lists(flat_text, min_size=1, max_size=3), st.integers(), st.none(), st.dates()),
        min_size=1,
        max_size=6,
    )
)
def test_frontmatter_is_written_by_libyaml_as_the_python_emitter_writes_it(metadata):
    """The fast emitter gives back every value, in the very text of the pure-Python one."""
    assert_written_as_the_python_emitter_writes(metadata)


# Text made of what decides between plain and quoted YAML: indicators, spaces at the ends, words YAML reads
# as another type, characters printed as they are or escaped.
yaml_text = st.lists(
    st.sampled_from(
        ["a", "Z", "0", "9", " ", "'", '"', "\\", "\\U", ":", "#", "-", "---", "...", "?", ",", "[", "]", "{", "}", "&"]
        + ["*", "!", "|", ">", "%", "@", "`", "~", "=", "<<", "yes", "No", "null", "true", "1e3", ".inf", "0x1f", "+1"]
        + ["2024-01-02", "12:30", "é", "\u00a0", "\u3000", "\ufeff", "\ufffe", "\ue000", "😀", "\x85", "\t", "\x07"]
    ),
    max_size=5,
).map("".join)


@pytest.mark.slow
@given(
    st.dictionaries(
        st.sampled_from(["title", "arxiv_id", "tags", "y", "1", "null", "a b", "_k"]),
        st.one_of(yaml_text, st.lists(yaml_text, min_size=1, max_size=3), st.booleans(), st.integers(), st.dates()),
        min_size=1,
        max_size=6,
    )
)
@example({"title": "a #b", "tags": ["a: b", "a:", "a:b", "a#b"]})
@example({"title": "- a", "tags": ["-a", "? a", "?a", ": a", ":a", "---", "--", "...", "@a", "`a", "%a", "a@"]})
@example({"title": " a", "tags": ["a ", "a  b", "\\U0001F600", "\u00a0", "\ue000"]})
@example({"title": "\ufeffa"})
@example({"title": "a\ufffe"})
@example({"title": "😀"})
@example({"y": "yes", "null": "null", "1": ["1", "1.5", "0x1f", "2024-01-02", "~", "", "=", "<<", "true", '"', "'"]})
def test_frontmatter_written_without_an_emitter_is_what_the_python_emitter_writes(metadata):
    """Plain or quoted, each string is written as PyYAML's emitter writes it, and reads back the same."""
    assert_written_as_the_python_emitter_writes(metadata)


def test_a_value_given_twice_is_written_as_the_python_emitter_writes_it():
    """One list or date object under two keys is one YAML node (an anchor and an alias), as PyYAML writes it."""
    import datetime

    import yaml

    tags, day = ["a", "b"], datetime.date(2024, 1, 2)
    metadata = {"tags": tags, "aliases": tags, "first_seen": day, "day": day, "other": ["a", "b"]}
    slow = yaml.dump(
        metadata, Dumper=yaml_style.Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1e9
    )
    assert yaml_style.dump(metadata) == slow
    assert "aliases: *id001" in slow


_STATUSES = {CHECKBOX: [" ", "x", "X", "-", "/", ">"], MARKER: ["TODO", "DONE", "CANCELED", "LATER", "NOW"]}


@pytest.mark.slow
@given(
    st.sampled_from([CHECKBOX, MARKER]),
    st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 4), st.text(" ab·[]", max_size=6)), max_size=8),
    st.dictionaries(st.sampled_from("ABCD"), st.booleans()),
)
def test_ticking_from_a_note_changes_only_the_status_of_the_papers_asked(tasks, lines, wanted):
    """A paper's lines get the wanted state (done: [x] or DONE; to read: [ ] or TODO), the others keep theirs;
    every other character of every line, the user's text appended to it too, stays."""
    statuses = _STATUSES[tasks]
    render = (lambda s, p, t: f"\t- {s} [[{p}]]{t}") if tasks is MARKER else (lambda s, p, t: f"- [{s}] [[{p}]]{t}")
    text = "\n".join(["## topic", *(render(statuses[n], paper, tail) for paper, n, tail in lines), "mine"])
    result = restatus(text, wanted.get, tasks).split("\n")
    assert result[0] == "## topic" and result[-1] == "mine"
    for (paper, n, tail), line in zip(lines, result[1:-1], strict=True):
        before = statuses[n]
        was_done = before in ("x", "X", "-", "DONE", "CANCELED")
        after = before if wanted.get(paper) in (None, was_done) else tasks.done if wanted[paper] else tasks.todo
        assert line == render(after, paper, tail)
    assert tasks_in(result, tasks) == [
        (paper, paper, wanted[paper] if paper in wanted else statuses[n] in ("x", "X", "-", "DONE", "CANCELED"))
        for paper, n, _ in lines
    ]


def test_the_reading_state_is_the_side_that_changed_and_read_wins_a_conflict():
    for synced in (None, False, True):
        for note in (None, False, True):
            for index in (None, False, True):
                changed = {side for side in (note, index) if side is not None and side != synced}
                if synced is None:
                    expected = bool(note or index)  # nothing remembered: read wins
                elif len(changed) == 2:
                    expected = True  # both changed, and disagree: read wins
                else:
                    expected = changed.pop() if changed else synced
                assert decide(synced, note, index) is expected, (synced, note, index)
    assert decide(True, True, False) is False  # unticked in an index note, note as synced: unread
    assert decide(False, True, False) is True  # `read: true` in the note: read
    assert decide(True, False, True) is False  # `read: false` in the note: unread, index lines untick
    assert in_index(None, []) is None and in_index(True, []) is None  # no line: the index notes say nothing
    assert in_index(None, [False, True]) is True and in_index(None, [False]) is False  # nothing synced: any tick
    assert in_index(False, [False, True]) is True  # one line ticked since: read
    assert in_index(True, [True, False]) is False  # one line unticked since: unread
    assert in_index(True, [True]) is True and in_index(False, [False, False]) is False


def test_paper_lines_are_task_lines_with_a_link():
    lines = [
        "## diffusion",
        "- [ ] [[A|Paper A]] · [code](x)",
        "- [x] [[B]]",
        "- [/] [[C|c]]",
        "- [[D]]",
        "- [ ] plain",
    ]
    assert tasks_in(lines, CHECKBOX) == [("A", "Paper A", False), ("B", "B", True), ("C", "c", False)]
    assert tasks_in(["- [-] [[E]]", "- CANCELED [[F]]"], CHECKBOX) == [("E", "E", True)]  # cancelled: done
    assert tasks_in(["- CANCELED [[F]]", "- LATER [[G]]"], MARKER) == [("F", "F", True), ("G", "G", False)]
