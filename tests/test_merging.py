"""Three-way merge of co-authors' edits: what merges by itself, and what overlaps."""

from __future__ import annotations

import pytest

from workbench.merging import Overlap, merge, sentences

BASE = "Wages are low.\nEmployers have power.\nBargaining has declined.\n"


def test_edits_on_different_lines_merge_by_themselves():
    mine = "Wages are far too low.\nEmployers have power.\nBargaining has declined.\n"
    theirs = "Wages are low.\nEmployers have power.\nBargaining has declined since 1990.\n"
    result = merge(BASE, mine, theirs)
    assert result.clean
    assert result.text == (
        "Wages are far too low.\nEmployers have power.\nBargaining has declined since 1990.\n"
    )


def test_edits_to_different_sentences_of_one_paragraph_merge_by_themselves():
    base = "Wages are low. Employers have power. Bargaining has declined.\n"
    mine = "Wages are very low. Employers have power. Bargaining has declined.\n"
    theirs = "Wages are low. Employers have power. Bargaining has collapsed.\n"
    result = merge(base, mine, theirs)
    assert result.clean
    assert result.text == "Wages are very low. Employers have power. Bargaining has collapsed.\n"


def test_an_addition_and_a_deletion_elsewhere_merge():
    mine = BASE + "A new closing line.\n"
    theirs = "Wages are low.\nBargaining has declined.\n"
    assert merge(BASE, mine, theirs).text == (
        "Wages are low.\nBargaining has declined.\nA new closing line.\n"
    )


def test_the_same_line_changed_differently_overlaps_and_nothing_else():
    mine = "Wages are far too low.\nEmployers have power.\nBargaining has declined.\n"
    theirs = "Pay is low.\nEmployers have power.\nBargaining has declined since 1990.\n"
    result = merge(BASE, mine, theirs)
    assert not result.clean
    assert result.overlaps == [
        Overlap(base="Wages are low.", mine="Wages are far too low.", theirs="Pay is low.")
    ]
    with pytest.raises(ValueError):
        _ = result.text
    rest = "\nEmployers have power.\nBargaining has declined since 1990.\n"
    assert result.resolve(["mine"]) == "Wages are far too low." + rest
    assert result.resolve(["theirs"]) == "Pay is low." + rest
    # Both, theirs first, each on a line of its own (one sentence per line stays so).
    assert result.resolve(["both"]) == "Pay is low.\nWages are far too low." + rest
    assert result.context_before(0) == ""


def test_within_a_paragraph_only_the_sentence_both_changed_overlaps():
    base = "Wages are low. Employers have power. Bargaining has declined. Platforms set pay.\n"
    mine = "Wages are low. Employers hold power. Bargaining has declined. Algorithms set pay.\n"
    theirs = "Wages are low. Employers wield power. Bargaining has declined. Platforms set pay.\n"
    result = merge(base, mine, theirs)
    assert result.overlaps == [
        Overlap(
            base=" Employers have power.",
            mine=" Employers hold power.",
            theirs=" Employers wield power.",
        )
    ]
    assert result.resolve(["both"]) == (
        "Wages are low. Employers wield power. Employers hold power. "
        "Bargaining has declined. Algorithms set pay.\n"
    )
    assert result.context_before(0) == "Wages are low."


def test_changes_to_neighbouring_sentences_are_one_place_to_choose():
    base = "Wages are low. Employers have power.\n"
    result = merge(
        base, "Wages are low. Employers hold power.\n", "Pay is low. Employers have power.\n"
    )
    assert len(result.overlaps) == 1
    assert result.resolve(["mine"]) == "Wages are low. Employers hold power.\n"


def test_identical_edits_are_not_an_overlap():
    same = "Wages are low.\nEmployers have much power.\nBargaining has declined.\nNew.\n"
    result = merge(BASE, same, same)
    assert result.clean
    assert result.text == same


def test_emptying_the_text_while_the_other_changed_it_overlaps():
    theirs = "Wages are low.\nEmployers have more power.\nBargaining has declined.\n"
    result = merge(BASE, "", theirs)
    assert not result.clean
    (overlap,) = result.overlaps
    assert overlap.mine == "" and overlap.theirs == theirs
    assert result.resolve(["mine"]) == ""
    assert result.resolve(["theirs"]) == theirs


def test_emptying_the_text_when_the_other_changed_nothing_is_clean():
    assert merge(BASE, "", BASE).text == ""
    assert merge(BASE, BASE, "").text == ""


def test_a_first_text_written_by_one_side_only_is_kept():
    assert merge("", "", "Their first draft.\n").text == "Their first draft.\n"
    assert merge("", "My first draft.\n", "").text == "My first draft.\n"


def test_two_first_drafts_overlap_and_both_can_be_kept():
    result = merge("", "My first draft.\n", "Their first draft.\n")
    assert [o.base for o in result.overlaps] == [""]
    assert result.resolve(["both"]) == "Their first draft.\nMy first draft.\n"


def test_line_endings_and_a_missing_final_newline_do_not_make_an_overlap():
    base = "One.\r\nTwo.\r\nThree."
    mine = "One!\nTwo.\nThree."
    theirs = "One.\nTwo.\nThree?"
    assert merge(base, mine, theirs).text == "One!\nTwo.\nThree?"


def test_long_sections_with_many_blank_lines_still_merge_far_apart_edits():
    paragraphs = [f"Paragraph {i} says something of its own.\n\n" for i in range(400)]
    base = "".join(paragraphs)
    mine = base.replace("Paragraph 3 says", "Paragraph 3 now says")
    theirs = base.replace("Paragraph 390 says", "Paragraph 390 also says")
    result = merge(base, mine, theirs)
    assert result.clean
    assert "Paragraph 3 now says" in result.text and "Paragraph 390 also says" in result.text
    assert result.text.count("\n\n") == 400


def test_a_choice_is_needed_for_every_overlap():
    result = merge(BASE, "Mine.\n" + BASE[15:], "Theirs.\n" + BASE[15:])
    with pytest.raises(ValueError):
        result.resolve([])


def test_sentences_join_back_to_the_text():
    text = 'He said "Stop." Then: wages rose! Did they?\nYes (mostly.) Fine\n'
    pieces = sentences(text)
    assert "".join(pieces) == text
    assert pieces[:3] == ['He said "Stop."', " Then: wages rose!", " Did they?"]
