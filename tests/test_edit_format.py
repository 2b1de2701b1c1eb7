"""Aider SEARCH/REPLACE edit blocks: render, parse, apply, synthesize, stats."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from polyglot_hrm.edit_format import (
    EditApplyError,
    EditBlock,
    EditFormatError,
    apply_blocks,
    is_renderable,
    parse_blocks,
    render_blocks,
)
from polyglot_hrm.synthesis import EditSynthesisError, edit_stats, synthesize_blocks

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def count_matches(content: str, search: str) -> int:
    """Independent count of whole-line matches, a missing final newline treated as present."""

    def prep(text: str) -> list[str]:
        if text and not text.endswith(tuple("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")):
            text += "\n"
        return text.splitlines(keepends=True)

    lines, part = prep(content), prep(search)
    return sum(lines[q:q + len(part)] == part for q in range(len(lines) - len(part) + 1))


def ends_with_break(text: str) -> bool:
    return not text or text.splitlines()[-1] != text.splitlines(keepends=True)[-1]


# ----------------------------------------------------------------------------------------------- parse

ONE = "```python\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```\n"


@pytest.mark.parametrize("text, path", [
    ("foo.py\n" + ONE, "foo.py"),                                   # filename before the fence
    ("**foo.py**\n" + ONE, "foo.py"),                               # bold
    ("foo.py:\n" + ONE, "foo.py"),                                  # colon
    ("`src/foo.py`\n" + ONE, "src/foo.py"),                         # backticks
    ("### foo.py\n" + ONE, "foo.py"),                               # heading
    ("```python\nfoo.py\n" + ONE[len("```python\n"):], "foo.py"),   # filename inside the fence
    ("```foo.py\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n```\n", "foo.py"),
    ("foo.py\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n", "foo.py"),  # no fence
    ("```python\nfoo.py\n```\n" + ONE, "foo.py"),                   # DeepSeek: name in its own fence
])
def test_parse_filename_variants(text, path):
    assert parse_blocks(text) == [EditBlock(path, "old\n", "new\n")]


@pytest.mark.parametrize("n", [5, 7, 9])
def test_parse_marker_lengths(n):
    text = f"f.go\n```go\n{'<' * n} SEARCH\nold\n{'=' * n}\nnew\n{'>' * n} REPLACE\n```\n"
    assert parse_blocks(text) == [EditBlock("f.go", "old\n", "new\n")]


def test_parse_ignores_ten_character_markers_and_indented_markers():
    text = "f.go\n  <<<<<<< SEARCH  \nold\n==========\n=======\nnew\n >>>>>>> REPLACE\n"
    assert parse_blocks(text) == [EditBlock("f.go", "old\n==========\n", "new\n")]


def test_parse_prose_between_blocks_and_filename_reuse():
    text = (
        "I will change two things.\n\nFirst the helper:\n\n"
        "a.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n\n"
        "Title\n=======\n\nThen, in the same file:\n\n"
        "```python\n<<<<<<< SEARCH\ny = 1\n=======\ny = 2\n>>>>>>> REPLACE\n```\n"
        "And a new file:\n\nb.py\n```python\n<<<<<<< SEARCH\n=======\nprint(1)\n>>>>>>> REPLACE\n```\nDone.\n"
    )
    assert parse_blocks(text) == [
        EditBlock("a.py", "x = 1\n", "x = 2\n"),
        EditBlock("a.py", "y = 1\n", "y = 2\n"),
        EditBlock("b.py", "", "print(1)\n"),
    ]


def test_parse_valid_paths_resolve_basename_and_close_spelling():
    text = "foo.py\n" + ONE + "\nsrc/bar_tset.py\n" + ONE
    got = parse_blocks(text, valid_paths=["pkg/foo.py", "src/bar_test.py"])
    assert [b.path for b in got] == ["pkg/foo.py", "src/bar_test.py"]


def test_parse_skips_shell_blocks_and_accepts_double_divider():
    text = "```bash\nrm -rf build\n```\nf.py\n```\n<<<<<<< SEARCH\na\n=======\nb\n=======\n```\n"
    assert parse_blocks(text) == [EditBlock("f.py", "a\n", "b\n")]


def test_parse_crlf_response():
    text = "f.py\r\n```\r\n<<<<<<< SEARCH\r\na\r\n=======\r\nb\r\n>>>>>>> REPLACE\r\n```\r\n"
    assert parse_blocks(text) == [EditBlock("f.py", "a\r\n", "b\r\n")]


def test_parse_empty_and_prose_only():
    assert parse_blocks("") == []
    assert parse_blocks("No changes needed.\n```python\nprint(1)\n```\n") == []


@pytest.mark.parametrize("text, line, words", [
    ("f.py\n```\n<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n```\n", 5, "expected '======='"),          # missing divider
    ("f.py\n```\n<<<<<<< SEARCH\na\n=======\nb\n```\n", 3, "not terminated"),            # missing REPLACE
    ("f.py\n<<<<<<< SEARCH\na\n", 2, "no '======='"),                                     # unterminated
    ("f.py\n<<<<<<< SEARCH\na\n=======\nb\n\ng.py\n<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n",
     8, "expected '>>>>>>> REPLACE'"),                                                    # REPLACE missing mid-text
    ("f.py\n<<<<<<< SEARCH\na\n<<<<<<< SEARCH\n=======\nb\n>>>>>>> REPLACE\n", 4, "expected '======='"),
    ("```\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```\n", 2, "no file name"),   # no filename
    ("Some prose\n>>>>>>> REPLACE\n", 2, "outside a block"),                               # stray marker
])
def test_parse_malformed(text, line, words):
    with pytest.raises(EditFormatError) as info:
        parse_blocks(text)
    assert info.value.line == line
    message = str(info.value)
    assert f"line {line}:" in message and words in message
    assert "<<<<<<< SEARCH" in message and ">>>>>>> REPLACE" in message  # shows a correct block


# ---------------------------------------------------------------------------------------------- render

def test_render_layout():
    text = render_blocks([EditBlock("src/lib.rs", "a\n", "b\n"), EditBlock("x", "", "c")])
    assert text == (
        "src/lib.rs\n```rust\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```\n\n"
        "x\n```\n<<<<<<< SEARCH\n=======\nc\n>>>>>>> REPLACE\n```\n"
    )
    assert render_blocks([]) == ""
    assert render_blocks([EditBlock("a.py", "a\n", "b\n")], fence="````", language_tag=False).startswith(
        "a.py\n````\n<<<<<<< SEARCH")


@pytest.mark.parametrize("block", [
    EditBlock("f.py", "a\n=======\nb\n", "c\n"),
    EditBlock("f.py", "a\n", "  >>>>>>> REPLACE\n"),
    EditBlock("f.py", "<<<<<<< SEARCH\n", "c\n"),
    EditBlock("f.py", "a\u2028=====\n", "c\n"),   # a Unicode line break makes a marker line
    EditBlock("**f.py**", "a\n", "b\n"),
    EditBlock("f.py:", "a\n", "b\n"),
    EditBlock("two\nlines", "a\n", "b\n"),
    EditBlock("", "a\n", "b\n"),
])
def test_render_refuses_ambiguous_blocks(block):
    assert not is_renderable(block)
    with pytest.raises(EditFormatError, match="unambiguously"):
        render_blocks([block])


def test_render_rejects_bad_fence():
    with pytest.raises(ValueError, match="backticks"):
        render_blocks([EditBlock("a.py", "a\n", "b\n")], fence="~~~")


def test_git_conflict_markers_are_renderable():
    block = EditBlock("f.txt", "<<<<<<< HEAD\nours\n", "theirs\n>>>>>>> branch\n")
    assert parse_blocks(render_blocks([block])) == [block]


# ----------------------------------------------------------------------------------------------- apply

FILES = {"a.py": "def f():\n    return 1\n\n\ndef g():\n    return 1\n", "b.py": "x = 1\n"}


def test_apply_does_not_mutate_and_applies_in_order():
    before = dict(FILES)
    blocks = [EditBlock("b.py", "x = 1\n", "x = 2\n"), EditBlock("b.py", "x = 2\n", "x = 3\ny = 4\n")]
    got = apply_blocks(FILES, blocks)
    assert got == {**FILES, "b.py": "x = 3\ny = 4\n"}
    assert FILES == before


@pytest.mark.parametrize("block, reason, words", [
    (EditBlock("a.py", "    return 2\n", "    return 3\n"), "not_found", "not in the file"),
    (EditBlock("a.py", "    return 1\n", "    return 3\n"), "ambiguous", "matches 2 places"),
    (EditBlock("c.py", "x\n", "y\n"), "unknown_file", "not one of the files"),
])
def test_apply_errors_name_the_file(block, reason, words):
    with pytest.raises(EditApplyError) as info:
        apply_blocks(FILES, [EditBlock("b.py", "x = 1\n", "x = 2\n"), block])
    error = info.value
    assert error.reason == reason and error.path == block.path and error.block_index == 1
    assert repr(block.path) in str(error) and words in str(error)


def test_apply_new_files_and_append():
    assert apply_blocks({}, [EditBlock("n.py", "", "hi\n")]) == {"n.py": "hi\n"}
    with pytest.raises(EditApplyError, match="new files are not allowed"):
        apply_blocks({}, [EditBlock("n.py", "", "hi\n")], allow_new_files=False)
    assert apply_blocks({"e": ""}, [EditBlock("e", "", "x\n")]) == {"e": "x\n"}
    assert apply_blocks({"e": "a\n"}, [EditBlock("e", "", "x\n")]) == {"e": "a\nx\n"}  # Aider appends


def test_apply_leading_whitespace_fallback():
    files = {"a.py": "class A:\n    def f(self):\n        return 1\n"}
    block = EditBlock("a.py", "def f(self):\n    return 1\n", "def f(self):\n    return 2\n")
    assert apply_blocks(files, [block])["a.py"] == "class A:\n    def f(self):\n        return 2\n"
    # Over-indented SEARCH/REPLACE is outdented first.
    block = EditBlock("a.py", "          return 1\n", "          return 2\n")
    assert apply_blocks(files, [block])["a.py"].endswith("        return 2\n")
    # Not unique ignoring whitespace: refused, not guessed.
    files = {"a.py": "if a:\n    x()\nif b:\n        x()\n"}
    with pytest.raises(EditApplyError, match="ignoring leading whitespace"):
        apply_blocks(files, [EditBlock("a.py", "x()\n", "y()\n")])
    # Inconsistent indentation shifts do not match.
    files = {"a.py": "  a\n    b\n"}
    with pytest.raises(EditApplyError, match="not in the file"):
        apply_blocks(files, [EditBlock("a.py", "a\nb\n", "c\n")])


def test_apply_exact_match_wins_over_fallback():
    files = {"a.py": "x()\n    x()\n"}
    assert apply_blocks(files, [EditBlock("a.py", "x()\n", "y()\n")])["a.py"] == "y()\n    x()\n"


def test_apply_missing_final_newline():
    files = {"f": "a\nb"}
    assert apply_blocks(files, [EditBlock("f", "a\n", "c\n")])["f"] == "c\nb"      # state kept
    assert apply_blocks(files, [EditBlock("f", "b\n", "c\n")])["f"] == "a\nc\n"    # parsed text: Aider adds it
    assert apply_blocks(files, [EditBlock("f", "b", "c")])["f"] == "a\nc"
    assert apply_blocks({"f": "a\nb\n"}, [EditBlock("f", "b\n", "c")])["f"] == "a\nc"


def test_apply_crlf():
    files = {"w.cs": "a\r\nb\r\nc\r\n"}
    assert apply_blocks(files, [EditBlock("w.cs", "b\r\n", "B\r\n")])["w.cs"] == "a\r\nB\r\nc\r\n"
    with pytest.raises(EditApplyError):
        apply_blocks(files, [EditBlock("w.cs", "b\n", "B\n")])


# ------------------------------------------------------------------------------------------ synthesize

def test_synthesize_small_unique_blocks():
    before = {"a.py": "def f():\n    return 1\n\n\ndef g():\n    return 1\n\n\ndef h():\n    pass\n"}
    after = {"a.py": before["a.py"].replace("def g():\n    return 1", "def g():\n    return 2")}
    blocks = synthesize_blocks(before, after)
    assert blocks == [EditBlock("a.py", "def g():\n    return 1\n", "def g():\n    return 2\n")]


def test_synthesize_insertion_is_anchored():
    before = {"a.py": "a = 1\nb = 2\n"}
    after = {"a.py": "a = 1\nx = 0\nb = 2\n"}
    (block,) = synthesize_blocks(before, after)
    assert block.search in ("a = 1\n", "b = 2\n") and apply_blocks(before, [block]) == after


def test_synthesize_avoids_blank_search():
    before = {"a.py": "a\n\n\nb\n"}
    after = {"a.py": "a\n\nnew\n\nb\n"}
    (block,) = synthesize_blocks(before, after)
    assert block.search.strip() and apply_blocks(before, [block]) == after


def test_synthesize_merges_close_hunks_and_splits_far_ones():
    lines = [f"line {k}\n" for k in range(30)]
    before = {"f": "".join(lines)}
    near = lines.copy()
    near[3], near[5] = "X\n", "Y\n"
    assert len(synthesize_blocks(before, {"f": "".join(near)})) == 1
    far = lines.copy()
    far[3], far[20] = "X\n", "Y\n"
    assert len(synthesize_blocks(before, {"f": "".join(far)})) == 2


def test_synthesize_multi_file_new_and_deleted():
    before = {"a.py": "x = 1\n", "b.py": "y = 1\n", "gone.py": "z\n"}
    after = {"a.py": "x = 2\n", "b.py": "y = 1\n", "new.py": "n = 1"}
    with pytest.raises(EditSynthesisError, match="gone.py"):
        synthesize_blocks(before, after)
    blocks = synthesize_blocks(before, after, on_delete="skip")
    assert blocks == [EditBlock("a.py", "x = 1\n", "x = 2\n"), EditBlock("new.py", "", "n = 1")]
    assert apply_blocks(before, blocks) == {**after, "gone.py": "z\n"}
    emptied = synthesize_blocks(before, after, on_delete="empty")
    assert apply_blocks(before, emptied) == {**after, "gone.py": ""}


def test_synthesize_marker_lines_still_apply():
    before = {"m.txt": "a\n=======\nb\n"}
    after = {"m.txt": "a\n=======\nc\n>>>>>>> REPLACE\n"}
    blocks = synthesize_blocks(before, after)
    assert apply_blocks(before, blocks) == after


def test_edit_stats():
    before = {"a.py": "a = 1\nb = 2\nc = 3\n"}
    after = {"a.py": "a = 1\nb = 5\nc = 3\n"}
    blocks = synthesize_blocks(before, after)
    stats = edit_stats(before, after, blocks)
    assert stats == {"n_blocks": 1, "edited_chars": 12, "changed_chars": 2, "minimality": 2 / 12,
                     "unique_anchors": True, "applies": True, "well_formed": True}
    wide = [EditBlock("a.py", before["a.py"], after["a.py"])]
    assert edit_stats(before, after, wide)["minimality"] < stats["minimality"]
    bad = edit_stats(before, after, [EditBlock("a.py", "", "b = 5\n")])
    assert not bad["unique_anchors"] and not bad["applies"]
    assert edit_stats(before, before, [])["minimality"] == 1.0
    marker = {"a.py": "=======\n"}
    assert not edit_stats(before, marker, synthesize_blocks(before, marker))["well_formed"]


# -------------------------------------------------------------------------------------------- properties

PLAIN_LINES = ["a\n", "b\n", "a\n", "\n", "\n", "  a\n", "    b\n", "}\n", "\t}\n", "x = 1\n", "a\r\n", "\r\n",
               "foo.py\n", "```\n", "  \n"]
MARKER_LINES = ["=======\n", ">>>>>>> REPLACE\n", "<<<<<<< SEARCH\n"]


@st.composite
def small_text(draw, markers=True):
    lines = draw(st.lists(st.sampled_from(PLAIN_LINES + MARKER_LINES if markers else PLAIN_LINES), max_size=14))
    text = "".join(lines)
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n") if draw(st.booleans()) else text + draw(st.sampled_from(["a", "b", " "]))
    return text


@st.composite
def edited(draw, text_strategy):
    """A text and an edit of it: mostly line-level changes of it, sometimes an unrelated text."""
    before = draw(text_strategy)
    if draw(st.integers(0, 4)) == 0:
        return before, draw(text_strategy)
    lines = before.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        at = draw(st.integers(0, len(lines)))
        new = draw(text_strategy).splitlines(keepends=True)[:3]
        if kind == "insert":
            lines[at:at] = new
        elif kind == "delete":
            del lines[at:at + draw(st.integers(1, 3))]
        else:
            lines[at:at + 1] = new
    return before, "".join(lines)


TEXTS = st.one_of(small_text(), st.text(max_size=60))
PLAIN_TEXTS = st.one_of(small_text(markers=False), st.text(max_size=60))
FILE_NAMES = st.sampled_from(["a.py", "src/b.go", "foo.py", "c.rs"])


@st.composite
def file_sets(draw, texts=TEXTS):
    names = draw(st.lists(FILE_NAMES, min_size=1, max_size=3, unique=True))
    before, after = {}, {}
    for name in names:
        old, new = draw(edited(texts))
        where = draw(st.sampled_from(["both", "both", "both", "new"]))
        if where == "both":
            before[name] = old
        after[name] = new
    return before, after


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@PROPERTY
@given(file_sets())
def test_property_synthesized_blocks_apply_and_are_unique(pair):
    before, after = pair
    records = _Records()
    logging.getLogger("polyglot_hrm.synthesis.edit_synthesis").addHandler(records)
    try:
        blocks = synthesize_blocks(before, after)
    finally:
        logging.getLogger("polyglot_hrm.synthesis.edit_synthesis").removeHandler(records)
    assert not records.records  # the whole-file safety net was not needed
    assert apply_blocks(before, blocks) == after
    files = dict(before)
    for block in blocks:
        if block.path in files and files[block.path] != "":
            assert block.search != ""
            assert count_matches(files[block.path], block.search) == 1
            if files[block.path].strip():
                assert block.search.strip()  # never a blank SEARCH when the file has content
        else:
            assert block.search == ""
        files = apply_blocks(files, [block])
    assert files == after
    stats = edit_stats(before, after, blocks)
    assert stats["applies"]
    # Only a whitespace-only file forces a blank SEARCH, which Aider would read as "append".
    assert stats["unique_anchors"] == all(b.search.strip() or b.search == "" for b in blocks)
    assert 0 < stats["minimality"] <= 1


@PROPERTY
@given(file_sets(PLAIN_TEXTS))
def test_property_render_parse_round_trip(pair):
    before, after = pair
    blocks = synthesize_blocks(before, after)
    assume(all(is_renderable(b) for b in blocks))
    text = render_blocks(blocks)
    parsed = parse_blocks(text)
    assert parsed == [b.line_normalized() for b in blocks]
    if all(ends_with_break(b.search) and ends_with_break(b.replace) for b in blocks):
        assert parsed == blocks
    # What a model would be trained on applies to the same files (up to a final newline the format
    # cannot express; exact when every text ends with a line break).
    got = apply_blocks(before, parsed)
    assert set(got) == set(after)
    if all(ends_with_break(t) for t in [*before.values(), *after.values()]):
        assert got == after


@PROPERTY
@given(st.lists(st.builds(EditBlock, FILE_NAMES, PLAIN_TEXTS, PLAIN_TEXTS), max_size=4))
def test_property_arbitrary_blocks_round_trip(blocks):
    assume(all(is_renderable(b) for b in blocks))
    assert parse_blocks(render_blocks(blocks)) == [b.line_normalized() for b in blocks]


@PROPERTY
@given(st.text(max_size=200))
def test_property_parse_never_crashes(text):
    try:
        parse_blocks(text)
    except EditFormatError as error:
        assert error.line is not None and error.line >= 1


@pytest.mark.parametrize("old, new", [
    ("a\r\nb\r\nc\r\n", "a\r\nB\r\nc\r\n"),
    ("a\nb", "a\nb\n"),       # add the final newline
    ("a\nb\n", "a\nb"),       # remove it
    ("a\nb", "a\nc"),
    ("a\nb", "x\na\nb"),      # edit far from the end keeps "no final newline"
    ("x", ""),
])
def test_synthesize_crlf_and_final_newline(old, new):
    blocks = synthesize_blocks({"f": old}, {"f": new})
    assert apply_blocks({"f": old}, blocks) == {"f": new}
