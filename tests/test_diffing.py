"""Word-level diffs: exact round trips, readable edits, and Markdown that never renders the text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from workbench.diffing import (
    Change,
    diff_markdown,
    diff_stats,
    escape_markdown,
    new_text,
    old_text,
    tokens,
    word_diff,
)

OLD = (
    "Wages lag behind the cost of living [@anker2017].\n"
    "Informal work is hard to measure.\n"
    "\n"
    "A third sentence stays.\n"
)
NEW = (
    "Wages lag far behind the cost of living [@anker2017; @ilo2024].\n"
    "Informal work is hard to measure.\n"
    "\n"
    "A third sentence stays.\n"
    "A new closing sentence.\n"
)


def test_a_diff_gives_back_both_texts():
    changes = word_diff(OLD, NEW)
    assert old_text(changes) == OLD
    assert new_text(changes) == NEW


def test_a_diff_names_the_words_added_and_removed():
    changes = word_diff(OLD, NEW)
    inserted = [c.text for c in changes if c.op == "insert"]
    assert " far" in inserted
    assert "A new closing sentence.\n" in inserted
    assert all(c.op != "delete" for c in changes)
    assert diff_stats(changes).words_added == 1 + 1 + 4  # far; ilo2024; the new sentence
    assert diff_stats(word_diff(NEW, OLD)).words_deleted == 6


def test_a_replaced_word_reads_as_one_deletion_then_one_insertion():
    changes = word_diff("The gap is large in Asia.", "The gap is small in Africa.")
    assert changes == [
        Change("equal", "The gap is "),
        Change("delete", "large"),
        Change("insert", "small"),
        Change("equal", " in "),
        Change("delete", "Asia"),
        Change("insert", "Africa"),
        Change("equal", "."),
    ]


def test_neighbouring_edits_are_grouped_not_interleaved():
    changes = word_diff("one two three", "uno dos three")
    assert changes == [
        Change("delete", "one two"),
        Change("insert", "uno dos"),
        Change("equal", " three"),
    ]


def test_identical_texts_have_no_changes():
    assert word_diff(OLD, OLD) == [Change("equal", OLD)]
    assert diff_stats(word_diff(OLD, OLD)).words_added == 0
    assert word_diff("", "") == []


def test_escaped_markdown_shows_html_and_markup_as_typed():
    typed = "<script>alert(1)</script> **bold** [link](x) $5 :smile:"
    escaped = escape_markdown(typed)
    assert "<" not in escaped.replace("\\<", "")
    assert "\\*\\*bold\\*\\*" in escaped
    assert "\\$5" in escaped and "\\:smile\\:" in escaped
    # Removing the escapes gives back the text exactly.
    assert re.sub(r"\\(.)", r"\1", escaped) == typed


def test_diff_markdown_marks_edits_and_escapes_the_text():
    md = diff_markdown(word_diff("Keep <b>this</b>.\n", "Keep <script>this</script> now.\n"))
    assert "<b>" not in md and "<script>" not in md
    assert ":red-background[~~b~~]" in md
    assert ":green-background[**script**]" in md
    assert ":green-background[**now**]" in md


def test_diff_markdown_keeps_each_line_and_never_makes_code_blocks():
    md = diff_markdown(word_diff("    indented\n- item\n", "    indented!\n- item\n"))
    lines = md.split("\n")
    assert lines[0].startswith("\u00a0" * 4)  # four spaces would start a code block
    assert lines[0].endswith("  ")  # a hard break keeps the line a line
    assert lines[1].startswith("\\-")  # a list marker is shown, not rendered


def test_a_mark_never_spans_a_line_break():
    md = diff_markdown([Change("insert", "First new line.\nSecond new line.\n")])
    for line in md.split("\n"):
        assert line.count(":green-background[") == line.count("**]")


def test_a_new_paragraph_break_is_visible():
    md = diff_markdown(word_diff("One. Two.", "One.\n\nTwo."))
    assert "¶" in md


@given(st.text(max_size=60))
def test_tokens_cover_every_text(text):
    assert "".join(tokens(text)) == text


@given(st.text(max_size=80), st.text(max_size=80))
def test_every_diff_round_trips(old, new):
    changes = word_diff(old, new)
    assert old_text(changes) == old
    assert new_text(changes) == new
    assert all(c.text for c in changes)


@given(st.text(alphabet="ab <>*_\n#-", max_size=40))
def test_escaped_text_has_no_bare_markup(text):
    escaped = escape_markdown(text)
    assert re.sub(r"\\(.)", r"\1", escaped) == text
    assert not re.search(r"(?<!\\)[<>*_#\-]", escaped)
