"""The Council: opening decisions, voting under each rule, closing, and voiding on a text change."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.factories import World, make_person, make_report, row_counts
from workbench import audit
from workbench.content import content_hash
from workbench.council import (
    TEXT_CHANGED,
    cast_vote,
    close_decision,
    council_members,
    current_tally,
    decision_findings,
    decision_status,
    decision_statuses,
    endorsable_findings,
    is_void,
    list_decisions,
    open_decision,
    text_matches,
    valid_approval,
    votes_of,
)
from workbench.errors import PermissionDenied, ValidationError
from workbench.models import (
    Agreement,
    CouncilDecision,
    DecisionKind,
    DecisionRule,
    DecisionStatus,
    Evidence,
    Finding,
    Membership,
    Report,
    Role,
    Section,
    SectionRevision,
    Stage,
    Vote,
)


def at_council_review(session: Session, world: World) -> Report:
    world.report.stage = Stage.council_review
    session.add(world.report)
    session.commit()
    return world.report


def new_revision(session: Session, section: Section, text: str) -> SectionRevision:
    """Give a section a new head revision, as a save would."""
    head = session.get(SectionRevision, section.head_revision_id)
    revision = SectionRevision(
        section_id=section.id,
        number=head.number + 1,
        parent_id=head.id,
        author_id=section.lead_author_id,
        text=text,
    )
    session.add(revision)
    session.flush()
    section.head_revision_id = revision.id
    session.add(section)
    session.commit()
    return revision


def add_finding_row(
    session: Session, report: Report, code: str, evidence: Evidence, agreement: Agreement
) -> Finding:
    from workbench.governance import confidence_for

    finding = Finding(
        report_id=report.id,
        code=code,
        statement=f"Finding {code}",
        evidence=evidence,
        agreement=agreement,
        confidence=confidence_for(evidence, agreement),
    )
    session.add(finding)
    session.commit()
    return finding


def open_approval(session: Session, world: World, **kwargs) -> CouncilDecision:
    at_council_review(session, world)
    return open_decision(
        session=session,
        actor=world.secretariat,
        report=world.report,
        kind=DecisionKind.report_approval,
        title="Approve the report",
        **kwargs,
    )


def vote_all(session: Session, world: World, decision: CouncilDecision, votes: list[Vote]):
    for member, vote in zip(world.council, votes, strict=False):
        cast_vote(session=session, actor=member, decision=decision, vote=vote, reason="Because")


# --------------------------------------------------------------------------- members


def test_the_council_is_the_active_workspace_council_members(session, world):
    assert [p.name for p in council_members(session)] == [f"Council {i}" for i in range(1, 6)]
    world.council[4].active = False
    session.add(world.council[4])
    # A council-member role tied to one report is not a seat on the Council.
    session.add(
        Membership(person_id=world.outsider.id, report_id=world.report.id, role=Role.council_member)
    )
    session.commit()
    assert len(council_members(session)) == 4


# --------------------------------------------------------------------------- opening


def test_the_secretariat_opens_an_approval_bound_to_the_current_text(session, world):
    decision = open_approval(session, world)
    assert decision.status is DecisionStatus.open
    assert decision.rule is DecisionRule.majority_no_objection
    assert decision.text_hash == content_hash(session, world.report.id)
    assert decision.opened_by_id == world.secretariat.id
    assert decision_status(session, decision) is DecisionStatus.open
    events = audit.events(session, entity="council_decision", entity_id=decision.id)
    assert [e.action for e in events] == ["open"]


def test_approval_is_decided_only_at_council_review(session, world):
    before = row_counts(session)
    with pytest.raises(ValidationError, match="at the stage 'Scoping'.*only at council review"):
        open_decision(
            session=session,
            actor=world.secretariat,
            report=world.report,
            kind=DecisionKind.report_approval,
            title="Approve",
        )
    assert row_counts(session) == before


def test_only_one_open_approval_per_report(session, world):
    first = open_approval(session, world)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="already has an open approval decision"):
        open_approval(session, world)
    assert row_counts(session) == before
    vote_all(session, world, first, [Vote.approve] * 5)
    close_decision(session=session, actor=world.secretariat, decision=first)
    assert open_approval(session, world).id != first.id


def test_an_open_approval_on_an_old_text_does_not_block_a_new_one(session, world):
    first = open_approval(session, world)
    new_revision(session, world.sections[0], "Rewritten after the vote was opened.")
    second = open_approval(session, world)
    session.refresh(first)
    assert first.status is DecisionStatus.void
    assert second.status is DecisionStatus.open
    assert [d.id for d in list_decisions(session, report_id=world.report.id)] == [
        second.id,
        first.id,
    ]


def test_a_decision_needs_a_title_and_the_secretariat(session, world):
    at_council_review(session, world)
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    before = row_counts(session)
    with pytest.raises(ValidationError, match="needs a title"):
        open_decision(
            session=session,
            actor=world.secretariat,
            report=world.report,
            kind=DecisionKind.report_approval,
            title="  ",
        )
    for person in (world.outsider, world.reviewer, unsigned, world.cla, world.council[0]):
        with pytest.raises(PermissionDenied):
            open_decision(
                session=session,
                actor=person,
                report=world.report,
                kind=DecisionKind.report_approval,
                title="Approve",
            )
    assert row_counts(session) == before


# --------------------------------------------------------------------------- voting


def test_majority_approval(session, world):
    decision = open_approval(session, world)
    cast_vote(session=session, actor=world.council[0], decision=decision, vote=Vote.approve)
    cast_vote(
        session=session,
        actor=world.council[1],
        decision=decision,
        vote=Vote.approve_with_changes,
        reason="Shorten the summary",
    )
    before = row_counts(session)
    with pytest.raises(ValidationError, match="still open: 2 of 5 approved so far; 3 needed"):
        close_decision(session=session, actor=world.secretariat, decision=decision)
    assert row_counts(session) == before
    cast_vote(session=session, actor=world.council[2], decision=decision, vote=Vote.abstain)
    cast_vote(session=session, actor=world.council[3], decision=decision, vote=Vote.approve)
    tally = current_tally(session, decision)
    assert (tally.members, tally.in_favour, tally.abstain, tally.not_voted) == (5, 3, 1, 1)
    assert tally.outcome is DecisionStatus.open  # the fifth member could still object
    assert "could still object" in str(tally.explanation)
    cast_vote(session=session, actor=world.council[4], decision=decision, vote=Vote.approve)
    assert current_tally(session, decision).outcome is DecisionStatus.approved
    close_decision(session=session, actor=world.secretariat, decision=decision)
    assert decision.status is DecisionStatus.approved
    assert decision.closed_at is not None
    assert valid_approval(session, world.report.id).id == decision.id
    with pytest.raises(ValidationError, match="already closed \\(approved\\)"):
        cast_vote(session=session, actor=world.council[0], decision=decision, vote=Vote.object)
    with pytest.raises(ValidationError, match="already closed"):
        close_decision(session=session, actor=world.secretariat, decision=decision)


def test_an_objection_blocks_majority_approval(session, world):
    decision = open_approval(session, world)
    vote_all(session, world, decision, [Vote.approve] * 3 + [Vote.object])
    assert current_tally(session, decision).outcome is DecisionStatus.open
    with pytest.raises(ValidationError, match="still open: 1 objection"):
        close_decision(session=session, actor=world.secretariat, decision=decision)
    cast_vote(session=session, actor=world.council[4], decision=decision, vote=Vote.approve)
    close_decision(session=session, actor=world.secretariat, decision=decision)
    assert decision.status is DecisionStatus.rejected
    assert valid_approval(session, world.report.id) is None


def test_a_member_who_votes_again_replaces_their_vote(session, world):
    decision = open_approval(session, world)
    vote_all(session, world, decision, [Vote.approve] * 2 + [Vote.object])
    cast_vote(session=session, actor=world.council[2], decision=decision, vote=Vote.approve)
    votes = votes_of(session, decision)
    assert len(votes) == 3
    assert {v.vote for v in votes} == {Vote.approve}
    tally = current_tally(session, decision)
    assert (tally.approve, tally.object, tally.not_voted) == (3, 0, 2)


def test_unanimity_rule_for_a_report_approval(session, world):
    decision = open_approval(session, world, rule=DecisionRule.unanimity)
    assert decision.rule is DecisionRule.unanimity
    vote_all(session, world, decision, [Vote.approve] * 4)
    assert current_tally(session, decision).outcome is DecisionStatus.open
    cast_vote(session=session, actor=world.council[4], decision=decision, vote=Vote.abstain)
    close_decision(session=session, actor=world.secretariat, decision=decision)
    assert decision.status is DecisionStatus.rejected


def test_votes_need_reasons_and_council_seats(session, world):
    decision = open_approval(session, world)
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    before = row_counts(session)
    for vote in (Vote.object, Vote.approve_with_changes):
        with pytest.raises(ValidationError, match="Give a reason"):
            cast_vote(
                session=session, actor=world.council[0], decision=decision, vote=vote, reason=" "
            )
    with pytest.raises(ValidationError, match="not a vote"):
        cast_vote(session=session, actor=world.council[0], decision=decision, vote="maybe")
    for person in (world.outsider, world.reviewer, unsigned, world.cla, world.secretariat):
        with pytest.raises(PermissionDenied):
            cast_vote(session=session, actor=person, decision=decision, vote=Vote.approve)
    with pytest.raises(PermissionDenied):
        close_decision(session=session, actor=world.council[0], decision=decision)
    assert row_counts(session) == before


def test_deactivating_a_member_during_the_vote_does_not_change_the_tally(session, world):
    decision = open_approval(session, world)
    vote_all(session, world, decision, [Vote.approve] * 3)
    world.council[0].active = False
    session.add(world.council[0])
    session.commit()
    tally = current_tally(session, decision)
    assert (tally.members, tally.in_favour) == (5, 3)
    assert tally.outcome is DecisionStatus.open


# --------------------------------------------------------------------------- reforms


def open_reform(session: Session, world: World, **kwargs) -> CouncilDecision:
    values = {
        "session": session,
        "actor": world.secretariat,
        "report": world.report,
        "kind": DecisionKind.reform_endorsement,
        "title": "Endorse statutory living wages",
        "reform": "Index minimum wages to the cost of a decent life.",
    }
    values.update(kwargs)
    return open_decision(**values)


def test_a_reform_endorsement_needs_a_high_confidence_finding(session, world):
    medium = add_finding_row(session, world.report, "F1", Evidence.medium, Agreement.medium)
    low = add_finding_row(session, world.report, "F2", Evidence.limited, Agreement.medium)
    other = make_report(session, slug="other-report")
    foreign = add_finding_row(session, other, "F9", Evidence.robust, Agreement.high)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="no finding was given"):
        open_reform(session, world)
    with pytest.raises(ValidationError) as refused:
        open_reform(session, world, finding_ids=[medium.id, low.id])
    assert "high or very high confidence" in refused.value.message
    assert "F1 (medium confidence), F2 (low confidence)" in refused.value.message
    with pytest.raises(ValidationError, match=f"not in the report 'test-report': id {foreign.id}"):
        open_reform(session, world, finding_ids=[foreign.id])
    with pytest.raises(ValidationError, match="Say which reform"):
        open_reform(session, world, reform=" ", finding_ids=[medium.id])
    assert row_counts(session) == before


def test_a_reform_endorsement_is_always_unanimous(session, world):
    high = add_finding_row(session, world.report, "F1", Evidence.robust, Agreement.medium)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="unanimous Council vote \\(Panel rule\\)"):
        open_reform(session, world, finding_ids=[high.id], rule=DecisionRule.majority_no_objection)
    assert row_counts(session) == before

    decision = open_reform(session, world, finding_ids=[high.id])
    assert decision.rule is DecisionRule.unanimity
    assert [f.code for f in decision_findings(session, decision)] == ["F1"]
    vote_all(session, world, decision, [Vote.approve] * 4)
    with pytest.raises(ValidationError, match="still open"):
        close_decision(session=session, actor=world.secretariat, decision=decision)
    cast_vote(session=session, actor=world.council[4], decision=decision, vote=Vote.approve)
    close_decision(session=session, actor=world.secretariat, decision=decision)
    assert decision.status is DecisionStatus.approved
    # A reform endorsement is not an approval of the report.
    assert valid_approval(session, world.report.id) is None


def test_one_objection_defeats_a_reform(session, world):
    high = add_finding_row(session, world.report, "F1", Evidence.robust, Agreement.high)
    decision = open_reform(session, world, finding_ids=[high.id])
    vote_all(session, world, decision, [Vote.approve] * 4 + [Vote.object])
    close_decision(session=session, actor=world.secretariat, decision=decision)
    assert decision.status is DecisionStatus.rejected


# --------------------------------------------------------------------------- voiding


def test_an_approval_is_void_once_a_section_gets_a_new_revision(session, world):
    decision = open_approval(session, world)
    vote_all(session, world, decision, [Vote.approve] * 5)
    close_decision(session=session, actor=world.secretariat, decision=decision)
    assert valid_approval(session, world.report.id).id == decision.id
    assert not is_void(session, decision)

    new_revision(session, world.sections[2], "A late edit after approval.")
    assert decision_status(session, decision) is DecisionStatus.void
    assert is_void(session, decision)
    assert valid_approval(session, world.report.id) is None


def test_voting_on_a_changed_text_voids_the_decision(session, world):
    decision = open_approval(session, world)
    cast_vote(session=session, actor=world.council[0], decision=decision, vote=Vote.approve)
    new_revision(session, world.sections[1], "Edited while the Council was voting.")
    assert decision_status(session, decision) is DecisionStatus.void
    with pytest.raises(ValidationError) as refused:
        cast_vote(session=session, actor=world.council[1], decision=decision, vote=Vote.approve)
    assert refused.value.message == TEXT_CHANGED
    assert "Open a new one on the current text" in TEXT_CHANGED
    session.expire_all()
    stored = session.get(CouncilDecision, decision.id)
    assert stored.status is DecisionStatus.void
    assert len(votes_of(session, stored)) == 1
    events = audit.events(session, entity="council_decision", entity_id=decision.id)
    assert events[0].action == "void"
    with pytest.raises(ValidationError, match="is void"):
        cast_vote(session=session, actor=world.council[1], decision=stored, vote=Vote.approve)


def test_closing_on_a_changed_text_voids_the_decision(session, world):
    decision = open_approval(session, world)
    vote_all(session, world, decision, [Vote.approve] * 3)
    new_revision(session, world.sections[0], "Edited before closing.")
    with pytest.raises(ValidationError, match="the decision is void"):
        close_decision(session=session, actor=world.secretariat, decision=decision)
    session.expire_all()
    assert session.get(CouncilDecision, decision.id).status is DecisionStatus.void
    assert valid_approval(session, world.report.id) is None


def test_list_decisions_newest_first_across_reports(session, world):
    high = add_finding_row(session, world.report, "F1", Evidence.robust, Agreement.high)
    reform = open_reform(session, world, finding_ids=[high.id])
    approval = open_approval(session, world)
    assert [d.id for d in list_decisions(session)] == [approval.id, reform.id]
    other = make_report(session, slug="other-report")
    assert list_decisions(session, report_id=other.id) == []


def test_a_reform_may_name_the_recommendation_it_comes_from(session, world):
    from workbench.models import Horizon, Recommendation, Scale

    high = add_finding_row(session, world.report, "F1", Evidence.robust, Agreement.high)
    other = make_report(session, slug="other-report")
    recommendations = [
        Recommendation(
            report_id=report.id,
            code="R1",
            text="Index minimum wages.",
            addressees=["national_government"],
            scale=Scale.national,
            horizon=Horizon.short_term,
        )
        for report in (world.report, other)
    ]
    session.add_all(recommendations)
    session.commit()
    mine, foreign = recommendations
    before = row_counts(session)
    with pytest.raises(ValidationError, match=f"recommendation \\(id {foreign.id}\\) is not in"):
        open_reform(session, world, finding_ids=[high.id], recommendation_id=foreign.id)
    assert row_counts(session) == before
    decision = open_reform(session, world, finding_ids=[high.id], recommendation_id=mine.id)
    assert decision.recommendation_id == mine.id


# --------------------------------------------------------------------------- page helpers


def test_text_matches_until_a_section_changes(session, world):
    decision = open_approval(session, world)
    assert text_matches(session, decision)
    new_revision(session, world.sections[0], "A new text.")
    assert not text_matches(session, decision)


def test_endorsable_findings_are_the_high_and_very_high_ones(session, world):
    add_finding_row(session, world.report, "F1", Evidence.medium, Agreement.medium)
    high = add_finding_row(session, world.report, "F2", Evidence.robust, Agreement.medium)
    very_high = add_finding_row(session, world.report, "F3", Evidence.robust, Agreement.high)
    other = make_report(session, slug="other-report")
    add_finding_row(session, other, "F4", Evidence.robust, Agreement.high)
    found = endorsable_findings(session, report_id=world.report.id)
    assert [f.id for f in found] == [high.id, very_high.id]


def test_statuses_of_many_decisions_hash_each_report_once(session, world):
    from sqlalchemy import event

    from tests.test_reviews import at_stage
    from workbench.models import Stage

    at_stage(session, world, Stage.council_review)
    first = open_decision(
        session=session,
        actor=world.secretariat,
        report=world.report,
        kind=DecisionKind.report_approval,
        title="Approve the report",
    )
    earlier = CouncilDecision(
        report_id=world.report.id,
        kind=DecisionKind.report_approval,
        rule=first.rule,
        title="An earlier approval",
        text_hash="0" * 64,
        status=DecisionStatus.approved,
    )
    session.add(earlier)
    session.commit()
    opened = [first, earlier]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        content_hash(session, world.report.id)
        one_hash = len(statements)
        statements.clear()
        statuses = decision_statuses(session, opened)
        first_run = len(statements)
        statements.clear()
        again = decision_statuses(session, opened)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statuses == again == {d.id: decision_status(session, d) for d in opened}
    # One hash of the report's content for both decisions, from rows read afresh (the
    # report's too), between two looks at its token (kept if no commit landed meanwhile)…
    assert first_run == one_hash + 3
    # …and none on the next run while the token stays: one look at it.
    assert len(statements) == 1
