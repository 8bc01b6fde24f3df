"""Frontmatter merges never re-emit the user's lines: keys of ours are set on their own lines, in the shape
the user gave them, and a key the user shaped beyond that is left as written and reported.

Each case is a paper note as vaultsync wrote it, edited the way a user does, then merged with a render that
lists the paper again on a new day under a new keyword (one tag and one `digests` link to add)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultsync.flavors.obsidian.notefile import ObsidianNotes
from vaultsync.pipeline.reconcile import Rendered, reconcile
from vaultsync.text import yaml_style

NOTES = ObsidianNotes()

META = {
    "title": "One-Step Diffusion Distillation",
    "arxiv_id": "2401.08640",
    "arxiv_version": 1,
    "categories": ["cs.CV"],
    "tags": ["diffusion"],
    "paper_url": "http://arxiv.org/abs/2401.08640",
    "pdf_url": "http://arxiv.org/pdf/2401.08640",
    "code_url": None,
    "digests": ["[[arXiv 2024-01-18]]"],
    "first_seen": date(2024, 1, 18),
    "aliases": ["2401.08640"],
}
AGAIN = {
    **META,
    "tags": ["diffusion", "generative-models"],
    "digests": ["[[arXiv 2024-01-18]]", "[[arXiv 2024-01-19]]"],
}
WRITTEN = {"tags": ["diffusion"], "aliases": ["2401.08640"]}
OURS = yaml_style.dump(META)  # the frontmatter as vaultsync wrote it
NEW_TAG, NEW_DIGEST = "  - generative-models\n", '  - "[[arXiv 2024-01-19]]"\n'


def note(frontmatter: str) -> str:
    return f"---\n{frontmatter}---\n" + NOTES.region("body") + "\n## Notes\n\nmine\n"


def frontmatter_of(text: str) -> str:
    return text.split("---\n")[1]


def merge(frontmatter: str, rendered: dict = AGAIN):
    return reconcile(note(frontmatter), Rendered(rendered, "body"), WRITTEN, force=False, notes=NOTES)


def with_ours_added(frontmatter: str) -> str:
    """The frontmatter with the new tag and digest link appended in vaultsync's block style."""
    return frontmatter.replace("  - diffusion\n", "  - diffusion\n" + NEW_TAG).replace(
        '  - "[[arXiv 2024-01-18]]"\n', '  - "[[arXiv 2024-01-18]]"\n' + NEW_DIGEST
    )


USER_LINES = [
    "# a comment of mine\n",
    "rating: 010\n",  # YAML 1.1 reads 8
    "seen: yes\n",  # True
    "time: 12:30:00\n",  # 45000
    "score: .nan\n",  # never equal to itself
    "scores: [1, .nan]  # a nan inside\n",
    "when: 2024-01-18 12:30:00\n",
    "note: 'single quoted'   # spaced comment\n",
    "\n",
]


@pytest.mark.parametrize("line", USER_LINES)
def test_a_user_line_survives_byte_for_byte(line):
    for at in ("\ntags:", "\nfirst_seen:"):  # after a key of ours that changes, and after one that does not
        mine = OURS.replace(at, "\n" + line + at[1:], 1)
        result = merge(mine)
        assert frontmatter_of(result.text) == with_ours_added(mine)
        assert result.outcome == "updated" and not result.warnings


def test_all_the_user_lines_at_once_survive_byte_for_byte():
    mine = "".join(USER_LINES[:4]) + OURS.replace("\ncode_url:", "\n" + "".join(USER_LINES[4:]) + "code_url:")
    assert frontmatter_of(merge(mine).text) == with_ours_added(mine)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('arxiv_id: "2401.08640"', "arxiv_id: 2401.08640"),  # YAML reads the float 2401.0864
        ("arxiv_version: 1", 'arxiv_version: "1"'),
        ("first_seen: 2024-01-18", "first_seen: '2024-01-18'"),
        ('  - "2401.08640"', "  - '2401.08640'"),
    ],
)
def test_a_value_of_ours_whose_text_says_the_same_is_not_touched(before, after):
    mine = OURS.replace(before, after)
    assert frontmatter_of(merge(mine).text) == with_ours_added(mine)


@pytest.mark.parametrize(
    ("users", "expected"),
    [
        ("tags: [diffusion, to-read]\n", "tags: [diffusion, to-read, generative-models]\n"),
        ("tags: [diffusion,to-read]   # mine\n", "tags: [diffusion,to-read,generative-models]   # mine\n"),
        (
            "tags: [\n    diffusion,\n    to-read\n  ]\n",
            "tags: [\n    diffusion,\n    to-read, generative-models\n  ]\n",
        ),
        ("tags: diffusion, to-read\n", "tags: diffusion, to-read, generative-models\n"),
        ("tags: diffusion,to-read\n", "tags: diffusion,to-read,generative-models\n"),
        ('tags: "diffusion, to-read"  # mine\n', 'tags: "diffusion, to-read, generative-models"  # mine\n'),
        ("tags: diffusion to-read\n", "tags: diffusion to-read generative-models\n"),  # Obsidian: two tags
        ("tags: diffusion\n", "tags: diffusion, generative-models\n"),
        ("tags:\n- diffusion\n- to-read\n", "tags:\n- diffusion\n- to-read\n- generative-models\n"),
        (
            "tags:    # mine\n    - diffusion   # first\n    # to read soon\n    - 'to-read'\n",
            "tags:    # mine\n    - diffusion   # first\n    # to read soon\n    - 'to-read'\n"
            "    - generative-models\n",
        ),
        ("tags: []\n", "tags: [generative-models]\n"),
    ],
)
def test_tags_the_user_reformatted_stay_in_their_shape(users, expected):
    mine = OURS.replace("tags:\n  - diffusion\n", users)
    result = merge(mine)
    assert frontmatter_of(result.text) == mine.replace(users, expected).replace(
        '  - "[[arXiv 2024-01-18]]"\n', '  - "[[arXiv 2024-01-18]]"\n' + NEW_DIGEST
    )
    assert not result.warnings


def test_links_in_a_flow_list_are_added_in_flow_style():
    mine = OURS.replace('digests:\n  - "[[arXiv 2024-01-18]]"\n', 'digests: ["[[arXiv 2024-01-18]]"]\n')
    assert frontmatter_of(merge(mine).text) == mine.replace(
        '["[[arXiv 2024-01-18]]"]', '["[[arXiv 2024-01-18]]", "[[arXiv 2024-01-19]]"]'
    ).replace("  - diffusion\n", "  - diffusion\n" + NEW_TAG)


def test_values_of_ours_that_change_keep_the_users_comment_indentation_and_style():
    mine = (
        OURS.replace("arxiv_version: 1\n", "arxiv_version: 1  # the first version\n")
        .replace('digests:\n  - "[[arXiv 2024-01-18]]"\n', 'digests:  # the days\n    - "[[arXiv 2024-01-18]]"\n')
        .replace("categories:\n  - cs.CV\n", "categories: [cs.CV]\n")
    )
    renamed = ["[[Papers of 18 January]]", "[[arXiv 2024-01-19]]"]  # the index note renamed in Obsidian
    result = merge(mine, {**AGAIN, "arxiv_version": 2, "digests": renamed, "categories": ["cs.LG", "cs.CV"]})
    assert frontmatter_of(result.text) == (
        mine.replace("arxiv_version: 1  #", "arxiv_version: 2  #")
        .replace('    - "[[arXiv 2024-01-18]]"\n', '    - "[[Papers of 18 January]]"\n    - "[[arXiv 2024-01-19]]"\n')
        .replace("categories: [cs.CV]", "categories: [cs.LG, cs.CV]")
        .replace("  - diffusion\n", "  - diffusion\n" + NEW_TAG)
    )


def test_a_comment_on_a_tag_item_stays_when_a_tag_is_added():
    mine = OURS.replace("  - diffusion\n", "  - diffusion  # my core topic\n")
    result = merge(mine)
    expected = with_ours_added(OURS).replace("  - diffusion\n", "  - diffusion  # my core topic\n")
    assert frontmatter_of(result.text) == expected
    assert not result.warnings


@pytest.mark.parametrize("first", ["  # keep: my reading notes header\n", "   \n", " # a: b\n"])
def test_a_frontmatter_whose_first_line_is_indented_keeps_every_line(first):
    mine = first + OURS.replace("\ntags:", "\nrating: 5  # out of 5\ntags:", 1)
    result = merge(mine, {**AGAIN, "arxiv_version": 2})
    assert frontmatter_of(result.text) == with_ours_added(mine).replace("arxiv_version: 1\n", "arxiv_version: 2\n")
    assert not result.warnings


@pytest.mark.parametrize(
    ("users", "rendered", "expected"),
    [
        (  # a digest link renamed: rewritten over its value, its comment stays
            'digests:\n  - "[[arXiv 2024-01-18]]"  # day one\n  # more to come\n',
            ["[[Papers of 18 January]]", "[[arXiv 2024-01-19]]"],
            'digests:\n  - "[[Papers of 18 January]]"  # day one\n  - "[[arXiv 2024-01-19]]"\n  # more to come\n',
        ),
        (  # a category put first: a line before the user's, whose comment stays on it
            "categories:\n  - cs.CV  # main\n",
            ["cs.LG", "cs.CV"],
            "categories:\n  - cs.LG\n  - cs.CV  # main\n",
        ),
        (  # a flow list over lines, with comments in it
            "categories: [  # mine\n  cs.CV,  # main\n  cs.AI\n]\n",
            ["cs.LG", "cs.CV", "cs.AI"],
            "categories: [  # mine\n  cs.LG, cs.CV,  # main\n  cs.AI\n]\n",
        ),
        (  # an item without a comment goes with its line; the rest stays
            "categories:  # all of them\n  - cs.CV  # main\n  - cs.AI\n  # cs.RO some day\n",
            ["cs.CV"],
            "categories:  # all of them\n  - cs.CV  # main\n  # cs.RO some day\n",
        ),
        ("categories: [cs.CV, cs.AI]  # mine\n", ["cs.AI"], "categories: [cs.AI]  # mine\n"),
        ("categories:  # all\n  - cs.CV\n  # none left?\n", [], "categories: []  # all\n  # none left?\n"),
        ("code_url:  # none yet\n", "https://github.com/x/y", "code_url: https://github.com/x/y  # none yet\n"),
        ("code_url: ~  # none yet\n", "https://github.com/x/y", "code_url: https://github.com/x/y  # none yet\n"),
        ("categories: cs.CV  # main\n", ["cs.CV"], "categories: [cs.CV]  # main\n"),
        ("categories:  # none\n", ["cs.CV"], "categories:  # none\n  - cs.CV\n"),
        ("title: >-\n  One-Step\n  Diffusion\n\n", "A New Title", "title: A New Title\n\n"),
    ],
)
def test_a_value_of_ours_that_changes_is_rewritten_over_its_value_only(users, rendered, expected):
    key = users.split(":")[0]
    mine = re.sub(rf"^{key}:.*\n(?:  .*\n)*", lambda _: users, OURS, count=1, flags=re.MULTILINE)
    result = merge(mine, {**AGAIN, key: rendered})
    assert frontmatter_of(result.text) == with_ours_added(mine).replace(users, expected)
    assert not result.warnings


@pytest.mark.parametrize(
    ("users", "rendered", "why"),
    [
        (
            'digests:\n  - "[[arXiv 2024-01-18]]"  # day one\n  - "[[arXiv 2024-01-19]]"\n',
            ["[[arXiv 2024-01-19]]"],
            "has a comment",
        ),
        ("categories: [cs.AI,  # robots?\n  cs.CV]\n", ["cs.CV"], "has a comment"),
        ("categories:\n  - cs.CV\n  - |\n    cs.AI\n", ["cs.LG"], "not on one line"),
        ("title: >-  # wrapped\n  One-Step\n  Diffusion\n", "A New Title", "a comment inside it"),
        ("categories:\n  cs: CV  # mine\n", ["cs.CV"], "a block"),
    ],
)
def test_a_value_that_cannot_change_without_a_line_of_the_users_is_left_and_reported(users, rendered, why):
    key = users.split(":")[0]
    mine = re.sub(rf"^{key}:.*\n(?:  .*\n)*", lambda _: users, OURS, count=1, flags=re.MULTILINE)
    result = merge(mine, {**AGAIN, key: rendered})
    assert frontmatter_of(result.text) == with_ours_added(mine)
    assert len(result.warnings) == 1 and result.warnings[0].startswith(f"property {key!r} left as you wrote it: ")
    assert why in result.warnings[0]


def test_a_comma_list_that_new_items_do_not_fit_is_left_and_reported():
    mine = OURS.replace("tags:\n  - diffusion\n", "tags: diffusion, to-read\n")
    result = merge(mine, {**AGAIN, "tags": ["diffusion", "x: y"]})  # a tag would not read back as one
    assert frontmatter_of(result.text) == mine.replace(
        '  - "[[arXiv 2024-01-18]]"\n', '  - "[[arXiv 2024-01-18]]"\n' + NEW_DIGEST
    )
    assert result.warnings == (
        "property 'tags' left as you wrote it: it is a comma-separated list the new items do not fit in",
    )
    assert result.written["tags"] == WRITTEN["tags"]  # not written: "x: y" is not one the user removed later


@pytest.mark.parametrize(
    ("users", "why"),
    [
        ("tags:\n  - diffusion\nmine: 1\ntags: [diffusion]\n", "written more than once"),
        ("tags: &mine\n  - diffusion\nalso: *mine\n", "anchor or alias"),
        ("base: &mine\n  - diffusion\ntags: *mine\n", "anchor or alias"),
        ("? tags\n: [diffusion]\n", "not written as a plain `key: value` entry"),
        ("base: &base {tags: [diffusion]}\n<<: *base\n", "not written as a plain `key: value` entry"),
    ],
)
def test_a_key_of_ours_in_a_shape_of_the_users_is_left_and_reported(users, why):
    mine = OURS.replace("tags:\n  - diffusion\n", users)
    result = merge(mine)
    assert frontmatter_of(result.text) == mine.replace(
        '  - "[[arXiv 2024-01-18]]"\n', '  - "[[arXiv 2024-01-18]]"\n' + NEW_DIGEST
    )
    assert len(result.warnings) == 1 and result.warnings[0].startswith("property 'tags' left as you wrote it: ")
    assert why in result.warnings[0] and result.outcome == "updated"
    assert result.written == {"tags": WRITTEN["tags"], "aliases": META["aliases"]}


def test_a_flow_mapping_frontmatter_is_left_and_reported():
    mine = '{title: T, arxiv_id: "2401.08640", tags: [diffusion], digests: ["[[arXiv 2024-01-18]]"]}\n'
    result = merge(mine, {"title": "T", "arxiv_id": "2401.08640", **{k: AGAIN[k] for k in ("tags", "digests")}})
    assert frontmatter_of(result.text) == mine
    assert {warning.split(":")[0] for warning in result.warnings} == {
        "property 'tags' left as you wrote it",
        "property 'digests' left as you wrote it",
    }


def test_an_edit_that_would_change_other_lines_is_left_not_re_emitted():
    mine = "".join(f" {line}\n" for line in OURS.splitlines())  # a mapping indented by one space: valid YAML
    result = merge(mine, {**AGAIN, "tags": ["diffusion"], "digests": META["digests"], "journal": "ICLR"})
    assert frontmatter_of(result.text) == mine
    assert result.warnings == (
        "property 'journal' left as you wrote it: vaultsync cannot change it without changing other lines",
    )


# --- the property: any user lines, mixed with vaultsync's keys, survive a merge byte for byte, in order -------

_SCALARS = [
    "010", "yes", "No", "on", "12:30:00", ".nan", "-.inf", "~", "null", "", "2024-01-18", "0x1F", "1e3", "+1", "1_000",
    "2024-01-18 12:30:00", "'single'", "'it''s'", '"double"', '"esc \\" aped"', "plain words", "[]", "{}",
]  # fmt: skip
_IN_FLOW = [value for value in _SCALARS if value and ":" not in value]
_COMMENTS = ["", "  # note", "   #x", " # 2024: a: b"]
_TAG_SHAPES = [
    "tags:\n  - diffusion\n",
    "tags:\n- diffusion\n",
    "tags:\n  - diffusion  # my core topic\n",
    "tags:  # mine\n    - diffusion   # first\n    # to read soon\n",
    "tags: [diffusion]\n",
    "tags: diffusion\n",
    "tags: 'diffusion'\n",
]
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Zl", "Zp")), max_size=20)


def _scalar_entry(key: str, value: str, comment: str) -> str:
    return f"{key}:{' ' * bool(value)}{value}{comment}\n"


def _user_entry(key: str) -> st.SearchStrategy[str]:
    """One top-level entry of the user's, in one of the shapes users write."""
    one = st.sampled_from
    return st.one_of(
        st.builds(_scalar_entry, st.just(key), one(_SCALARS), one(_COMMENTS)),
        st.builds(lambda items: f"{key}: [{', '.join(items)}]\n", st.lists(one(_IN_FLOW), max_size=3)),
        st.builds(
            lambda items, indent: f"{key}:\n" + "".join(f"{indent}- {item}{comment}\n" for item, comment in items),
            st.lists(st.tuples(one(_SCALARS), one(_COMMENTS)), min_size=1, max_size=3),
            one(["", "  ", "    "]),
        ),
        st.just(f"{key}: |\n  first\n\n  # not a comment\n"),
        st.builds(lambda text: f"#{text}\n", _TEXT),
        st.just("\n"),
    )


def _ours_entries(tags: str, comment: str) -> list[str]:
    """vaultsync's frontmatter as top-level entries, the tags in the user's shape, `comment` after the
    category, the link in `digests` and the empty `code_url:`."""
    entries = re.findall(r"^\S.*\n(?:[ -].*\n)*", OURS, re.MULTILINE)
    shapes = {
        "tags:": lambda _: tags,
        "categories:": lambda entry: entry.replace("cs.CV\n", f"cs.CV{comment}\n"),
        "digests:": lambda entry: entry.replace(']]"\n', f']]"{comment}\n'),
        "code_url:": lambda _: f"code_url:{comment}\n",
    }
    return [shapes.get(entry.split()[0], lambda entry: entry)(entry) for entry in entries]


def _in_order(lines: list[str], text: str) -> bool:
    """`lines` appear in `text`, each a whole line, in this order."""
    rest = iter(text.splitlines(keepends=True))
    return all(any(line == candidate for candidate in rest) for line in lines)


_FIRST_LINES = ["", "  # my header\n", "   \n", " # a: b\n", "    #\n"]  # indented: not at the left margin


@pytest.mark.slow
@given(st.data(), st.sampled_from(_TAG_SHAPES), st.sampled_from(_COMMENTS), st.sampled_from(_FIRST_LINES))
def test_user_lines_mixed_with_ours_survive_a_merge_in_order(data, tags, comment, first):
    entries = _ours_entries(tags, comment)
    keys = data.draw(st.lists(st.from_regex(r"[a-z][a-z_0-9]{0,8}", fullmatch=True), max_size=8, unique=True))
    user_entries = [data.draw(_user_entry(key)) for key in keys if key not in META and key not in _SCALARS]
    for entry in user_entries:
        entries.insert(data.draw(st.integers(0, len(entries))), entry)
    mine = first + "".join(entries)
    current = yaml_style.load(mine)
    code = "https://github.com/x/y"
    changes = {"title": "A New Title", "arxiv_version": 2, "categories": ["cs.LG", "cs.CV"], "code_url": code}
    result = merge(mine, {**AGAIN, **changes})
    assert not result.warnings
    merged = frontmatter_of(result.text)
    assert f"\ncode_url: {code}{comment}\n" in merged
    grown = [*(entry for entry in entries if entry.startswith(("categories:", "digests:"))), tags]  # lines only added
    grown = grown[:-1] if tags.count("\n") == 1 else grown  # tags on one line gain an item on that line
    kept = user_entries + grown
    user_lines = [line for entry in entries if entry in kept for line in entry.splitlines(keepends=True)]
    assert _in_order([first] * bool(first) + user_lines, merged)
    values = yaml_style.load(merged)
    for key in current.keys() - META.keys():
        assert yaml_style.same(values[key], current[key])
    assert all(values[key] == value for key, value in changes.items())
    assert yaml_style.items("tags", values["tags"]) == ["diffusion", "generative-models"]
    assert values["digests"] == AGAIN["digests"]
