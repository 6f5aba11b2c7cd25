"""The Panel's rules as pure functions: confidence, team warnings, section moves, tallies."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.governance import (
    HIGH_CONFIDENCE,
    author_count_warnings,
    balance,
    can_transition,
    cla_warnings,
    confidence_for,
    default_rule,
    horizon_warnings,
    tally,
)
from workbench.models import (
    Agreement,
    Confidence,
    DecisionKind,
    DecisionRule,
    DecisionStatus,
    Evidence,
    Person,
    SectionStatus,
    Vote,
)

E, A, C = Evidence, Agreement, Confidence
CONFIDENCE_ORDER = list(Confidence)  # very_low … very_high
EVIDENCE_ORDER = [E.limited, E.medium, E.robust]
AGREEMENT_ORDER = [A.low, A.medium, A.high]

# --------------------------------------------------------------------------- confidence

# Rows: evidence (limited, medium, robust); columns: agreement (low, medium, high).
CONFIDENCE_TABLE = {
    E.limited: {A.low: C.very_low, A.medium: C.low, A.high: C.medium},
    E.medium: {A.low: C.low, A.medium: C.medium, A.high: C.high},
    E.robust: {A.low: C.medium, A.medium: C.high, A.high: C.very_high},
}


@pytest.mark.parametrize(
    ("evidence", "agreement", "expected"),
    [(e, a, c) for e, row in CONFIDENCE_TABLE.items() for a, c in row.items()],
)
def test_confidence_table(evidence, agreement, expected):
    assert confidence_for(evidence, agreement) is expected
    assert confidence_for(evidence.value, agreement.value) is expected


def rank(confidence: Confidence) -> int:
    return CONFIDENCE_ORDER.index(confidence)


@given(st.sampled_from(EVIDENCE_ORDER), st.sampled_from(AGREEMENT_ORDER))
def test_confidence_never_falls_when_evidence_or_agreement_rises(evidence, agreement):
    here = rank(confidence_for(evidence, agreement))
    e_index, a_index = EVIDENCE_ORDER.index(evidence), AGREEMENT_ORDER.index(agreement)
    for stronger in EVIDENCE_ORDER[e_index:]:
        assert rank(confidence_for(stronger, agreement)) >= here
    for wider in AGREEMENT_ORDER[a_index:]:
        assert rank(confidence_for(evidence, wider)) >= here
    if e_index < 2:
        assert rank(confidence_for(EVIDENCE_ORDER[e_index + 1], agreement)) > here
    if a_index < 2:
        assert rank(confidence_for(evidence, AGREEMENT_ORDER[a_index + 1])) > here


@given(st.sampled_from(EVIDENCE_ORDER), st.sampled_from(AGREEMENT_ORDER))
def test_the_extremes_need_both_axes_at_their_extremes(evidence, agreement):
    confidence = confidence_for(evidence, agreement)
    assert (confidence is C.very_high) == (evidence is E.robust and agreement is A.high)
    assert (confidence is C.very_low) == (evidence is E.limited and agreement is A.low)


def test_high_confidence_means_high_or_very_high():
    assert {C.high, C.very_high} == HIGH_CONFIDENCE


# --------------------------------------------------------------------------- team rules


def person(sector: str = "", region: str = "", **fields: str) -> Person:
    return Person(email="x@example.org", name="X", sector=sector, region=region, **fields)


def test_three_clas_of_different_sectors_and_regions_raise_no_warning():
    clas = [person("academia", "Europe"), person("unions", "Africa"), person("business", "Asia")]
    assert cla_warnings(clas) == []


def test_the_number_of_clas_is_checked():
    warnings = cla_warnings([person("academia", "Europe"), person("unions", "Africa")])
    assert warnings == ["The report has 2 CLAs; the Panel asks for 3."]
    assert "has 4 CLAs" in cla_warnings([person(str(i), str(i)) for i in range(4)])[0]


def test_clas_sharing_a_sector_or_region_are_warned_about_regardless_of_case():
    clas = [
        person("Academia", "Europe"),
        person(" academia", "europe "),
        person("business", "Asia"),
    ]
    warnings = cla_warnings(clas)
    assert len(warnings) == 2
    assert "same sector (academia)" in warnings[0]
    assert "same region (europe)" in warnings[1]


def test_unstated_sectors_are_not_a_shared_sector():
    clas = [person("", "Europe"), person("", "Africa"), person("business", "Asia")]
    assert cla_warnings(clas) == []


@pytest.mark.parametrize(
    ("count", "warned"), [(0, True), (9, True), (10, False), (15, False), (16, True)]
)
def test_author_count_edges(count, warned):
    warnings = author_count_warnings(count)
    assert bool(warnings) is warned
    if warned:
        assert f"has {count} authors" in warnings[0] and "10–15" in warnings[0]


START = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("due", "warned"),
    [
        (START + timedelta(days=150), True),  # five months
        (date(2026, 6, 25), True),  # a week short of six months
        (date(2026, 7, 3), False),  # just past six months
        (date(2027, 1, 1), False),  # a year
        (date(2027, 6, 28), False),  # just short of eighteen months
        (date(2027, 7, 8), True),  # a week past eighteen months
        (date(2028, 1, 1), True),  # two years
    ],
)
def test_horizon_edges(due, warned):
    warnings = horizon_warnings(START, due)
    assert bool(warnings) is warned
    if warned:
        assert "6–18 months" in warnings[0]


def test_exactly_six_and_eighteen_calendar_months_are_within_the_horizon():
    assert horizon_warnings(START, date(2026, 7, 1)) == []
    assert horizon_warnings(START, date(2027, 7, 1)) == []
    assert horizon_warnings(START, date(2027, 7, 2)) != []


def test_balance_counts_each_attribute_and_names_the_unstated():
    team = [
        person("academia", "Europe", gender="woman", discipline="economics"),
        person("unions", "Africa", gender="man", discipline="economics"),
        person("academia", " Europe ", gender="woman"),
    ]
    assert balance(team) == {
        "gender": {"man": 1, "woman": 2},
        "region": {"Africa": 1, "Europe": 2},
        "sector": {"academia": 2, "unions": 1},
        "discipline": {"economics": 2, "not stated": 1},
    }
    assert balance([]) == {"gender": {}, "region": {}, "sector": {}, "discipline": {}}


# --------------------------------------------------------------------------- sections

S = SectionStatus
LEGAL_MOVES = {
    (S.not_started, S.drafting),
    (S.drafting, S.ready_for_review),
    (S.drafting, S.not_started),
    (S.ready_for_review, S.in_review),
    (S.ready_for_review, S.drafting),
    (S.in_review, S.revising),
    (S.revising, S.ready_for_review),
    (S.revising, S.accepted),
    (S.accepted, S.revising),
}


@pytest.mark.parametrize("current", list(SectionStatus))
@pytest.mark.parametrize("new", list(SectionStatus))
def test_section_status_table(current, new):
    assert can_transition(current, new) is ((current, new) in LEGAL_MOVES)


def test_no_section_status_moves_to_itself_and_accepted_is_reached_only_by_revising():
    assert not any(can_transition(s, s) for s in SectionStatus)
    assert [s for s in SectionStatus if can_transition(s, S.accepted)] == [S.revising]


# --------------------------------------------------------------------------- council

MAJ, UNA = DecisionRule.majority_no_objection, DecisionRule.unanimity
AP, AWC, AB, OB = Vote.approve, Vote.approve_with_changes, Vote.abstain, Vote.object


def test_default_rules():
    assert default_rule(DecisionKind.report_approval) is MAJ
    assert default_rule(DecisionKind.reform_endorsement) is UNA


@pytest.mark.parametrize(
    ("rule", "votes", "outcome"),
    [
        # majority of five is three, and no unresolved objection
        (MAJ, [AP, AP, AP], DecisionStatus.open),  # majority, but two could still object
        (MAJ, [AP, AWC, AP, AB, AB], DecisionStatus.approved),
        (MAJ, [AP, AP], DecisionStatus.open),  # not everyone voted, majority not reached
        (MAJ, [AP, AP, AP, OB], DecisionStatus.open),  # an objection blocks while votes remain
        (MAJ, [AP, AP, AP, AP, OB], DecisionStatus.rejected),  # …and rejects once all voted
        (MAJ, [AB, AB, AB], DecisionStatus.rejected),  # a majority can no longer be reached
        (MAJ, [AP, AP, AB, AB, AB], DecisionStatus.rejected),
        (MAJ, [], DecisionStatus.open),
        # unanimity: every member approves
        (UNA, [AP, AP, AWC, AP, AP], DecisionStatus.approved),
        (UNA, [AP, AP, AP, AP], DecisionStatus.open),  # one member has not voted yet
        (UNA, [AP, AP, AP, AP, AB], DecisionStatus.rejected),  # an abstention breaks unanimity
        (UNA, [AB], DecisionStatus.rejected),  # …even before everyone has voted
        (UNA, [AP, OB], DecisionStatus.rejected),
        (UNA, [], DecisionStatus.open),
    ],
)
def test_tally_of_a_five_member_council(rule, votes, outcome):
    result = tally(rule, votes, 5)
    assert result.outcome is outcome, result.explanation
    assert result.members == 5
    assert result.not_voted == 5 - len(votes)


def test_tally_counts_each_kind_of_vote_and_explains_itself():
    result = tally(MAJ, [AP, AWC, AWC, AB, OB], 7)
    assert (result.approve, result.approve_with_changes, result.abstain, result.object) == (
        1,
        2,
        1,
        1,
    )
    assert result.in_favour == 3
    assert result.not_voted == 2
    assert "1 objection unresolved" in str(result.explanation)
    assert tally(MAJ, [AP, AP], 5).explanation == "2 of 5 approved so far; 3 needed."
    assert tally(UNA, [AP], 5).explanation == "4 members have not voted yet."


def test_tally_accepts_stored_strings():
    assert tally("unanimity", ["approve", "approve"], 2).outcome is DecisionStatus.approved


votes_strategy = st.lists(st.sampled_from(list(Vote)), max_size=9)


@given(votes_strategy, st.integers(min_value=0, max_value=4), st.sampled_from([MAJ, UNA]))
def test_tally_properties(votes, extra_members, rule):
    members = len(votes) + extra_members
    result = tally(rule, votes, members)
    assert result.in_favour + result.abstain + result.object + result.not_voted == members
    if OB in votes:
        # an objection never lets a decision pass, under either rule
        assert result.outcome is not DecisionStatus.approved
    if rule is UNA:
        everyone_approves = members > 0 and result.in_favour == members
        assert (result.outcome is DecisionStatus.approved) == everyone_approves
    else:
        if result.outcome is DecisionStatus.approved:
            assert result.in_favour > members / 2
    if result.not_voted == 0 and members > 0:
        # once everyone has voted, every decision is settled
        assert result.outcome is not DecisionStatus.open
