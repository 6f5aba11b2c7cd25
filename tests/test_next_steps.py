"""What next: each role's steps on a built world, most urgent first, each with where it is done."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session, select

from tests.factories import World, count_queries, make_person, make_report, make_section
from workbench import council, next_steps, reviews
from workbench.models import (
    CouncilDecision,
    DecisionKind,
    Disposition,
    Membership,
    Question,
    ReportVisit,
    ReviewComment,
    ReviewRound,
    Role,
    SectionRevision,
    SectionStatus,
    Stage,
    Vote,
    utcnow,
)
from workbench.next_steps import NextStep, Page, Urgency

TODAY = date.today()


def steps_of(session: Session, person, report, **kw) -> list[NextStep]:
    return next_steps.next_steps(session, person=person, report=report, today=TODAY, **kw)


def kinds(steps: list[NextStep]) -> list[str]:
    return [step.kind for step in steps]


def set_due(session: Session, section, days: int | None, status: SectionStatus | None = None):
    section.due_date = None if days is None else TODAY + timedelta(days=days)
    if status is not None:
        section.status = status
    session.add(section)
    session.commit()


def open_round(session: Session, world: World, *, closes_in: int = 30) -> ReviewRound:
    world.report.stage = Stage.first_order_draft
    session.add(world.report)
    session.commit()
    return reviews.open_round(
        session=session,
        actor=world.cla,
        report=world.report,
        name="FOD",
        opens_on=TODAY - timedelta(days=1),
        closes_on=TODAY + timedelta(days=closes_in),
    )


def comment(session: Session, world: World, review_round: ReviewRound, index: int = 0):
    return reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        section_id=world.sections[index].id,
        from_line=1,
        to_line=1,
        comment="Cite the ILO estimates here.",
    )


def answer(session: Session, world: World, row: ReviewComment) -> None:
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=row,
        response="Added the ILO estimates.",
        disposition=Disposition.accepted,
    )


# --------------------------------------------------------------------------- authors


def test_a_lead_author_sees_their_overdue_and_soon_due_sections_first(session, world):
    mine, theirs = world.sections[0], world.sections[1]
    set_due(session, mine, 5)
    set_due(session, theirs, -3)  # someone else's: not the Lead Author's business
    other = make_section(session, world.report, "1.2", Question.known, lead=world.la, text="x")
    set_due(session, other, -10)
    done = make_section(session, world.report, "1.3", Question.known, lead=world.la, text="x")
    set_due(session, done, -20, SectionStatus.accepted)  # accepted: nothing left to do
    later = make_section(session, world.report, "1.4", Question.known, lead=world.la, text="x")
    set_due(session, later, next_steps.DUE_SOON_DAYS + 1)  # not yet due soon

    steps = steps_of(session, world.la, world.report)

    assert kinds(steps) == ["section_overdue", "section_due_soon"]
    overdue, soon = steps
    assert overdue.urgency is Urgency.overdue and overdue.title.startswith("1.2 Section 1.2")
    assert "10 days ago" in overdue.detail and "Your section" in overdue.detail
    assert soon.title == "1.1 Section 1.1 is due" and "in 5 days" in soon.detail
    assert soon.page is Page.write
    assert soon.params == {"report": world.report.slug, "section": str(mine.id)}
    assert soon.address == f"/write?report={world.report.slug}&section={mine.id}"


def test_a_cla_sees_every_section_due_with_its_lead(session, world):
    set_due(session, world.sections[1], -2)
    steps = steps_of(session, world.cla, world.report)
    overdue = [s for s in steps if s.kind == "section_overdue"]
    assert len(overdue) == 1
    assert "lead: LA 2" in overdue[0].detail
    assert overdue[0].link == "Open it"


def test_an_author_who_has_not_signed_the_code_is_asked_to_first(session, world):
    newcomer = make_person(session, "New LA", roles=[(Role.lead_author, world.report)])
    section = make_section(session, world.report, "2.2", Question.desirable, lead=newcomer)
    set_due(session, section, -1)
    steps = steps_of(session, newcomer, world.report)
    assert kinds(steps) == ["sign_ethics", "section_overdue"]
    assert steps[0].urgency is Urgency.blocking and steps[0].page is Page.team


def test_open_comments_on_my_sections_await_my_answer_until_answered(session, world):
    review_round = open_round(session, world)
    first = comment(session, world, review_round, 0)
    comment(session, world, review_round, 0)
    comment(session, world, review_round, 1)  # on LA 2's section

    steps = steps_of(session, world.la, world.report)
    assert kinds(steps) == ["comments_to_answer"]
    step = steps[0]
    assert step.title == "2 review comments on 1.1 Section 1.1 await your answer"
    assert step.page is Page.review
    assert step.params == {
        "report": world.report.slug,
        "round": "FOD",
        "section": str(world.sections[0].id),
    }
    answer(session, world, first)
    assert steps_of(session, world.la, world.report)[0].title.startswith("1 review comment on")


def test_comments_new_since_the_last_visit_are_called_new(session, world):
    review_round = open_round(session, world)
    old = comment(session, world, review_round, 0)
    answer(session, world, old)
    last_visit = utcnow()
    old.created_at = last_visit - timedelta(days=2)
    session.add(old)
    session.commit()
    fresh = comment(session, world, review_round, 0)
    answer(session, world, fresh)

    # Every comment is answered; one came since the last visit.
    steps = steps_of(session, world.la, world.report, since=last_visit - timedelta(hours=1))
    assert kinds(steps) == ["new_comments"]
    assert steps[0].urgency is Urgency.new
    assert steps[0].title.startswith(
        "1 new review comment on 1.1 Section 1.1 since your last visit"
    )
    # A first visit (no previous one) calls nothing new.
    assert steps_of(session, world.la, world.report) == []


def test_a_cla_sees_the_rounds_comments_a_round_ready_to_close_and_rules(session, world):
    review_round = open_round(session, world, closes_in=10)
    row = comment(session, world, review_round, 2)
    steps = steps_of(session, world.cla, world.report)
    assert "round_open_comments" in kinds(steps)
    waiting = next(s for s in steps if s.kind == "round_open_comments")
    assert waiting.title == "1 review comment in FOD awaits a response and a disposition"
    assert "round_ready" not in kinds(steps)

    answer(session, world, row)
    # Answered, but reviewers may still comment until the round's closing date.
    assert "round_ready" not in kinds(steps_of(session, world.cla, world.report))
    review_round.closes_on = TODAY - timedelta(days=1)
    session.add(review_round)
    session.commit()
    ready = next(s for s in steps_of(session, world.cla, world.report) if s.kind == "round_ready")
    assert ready.title == "FOD is ready to close" and ready.params["round"] == "FOD"


def test_a_cla_sees_sections_without_a_lead_and_team_warnings(session, world):
    make_section(session, world.report, "4.2", Question.action)
    make_section(session, world.report, "4.3", Question.action)
    make_person(
        session, "Fourth CLA", roles=[(Role.cla, world.report)], signed=True, sector="academia"
    )
    steps = steps_of(session, world.cla, world.report)
    unled = next(s for s in steps if s.kind == "sections_without_lead")
    assert unled.title == "2 sections have no lead author"
    assert "4.2, 4.3" in unled.detail and unled.page is Page.outline
    warnings = [s for s in steps if s.kind == "team_warning"]
    assert warnings and all(s.page is Page.team for s in warnings)
    assert any("CLA" in s.title for s in warnings)
    # A Lead Author is not told about the team's rules.
    assert "team_warning" not in kinds(steps_of(session, world.la, world.report))


def test_a_cla_sees_a_council_vote_under_way(session, world):
    world.report.stage = Stage.council_review
    session.add(world.report)
    session.commit()
    decision = council.open_decision(
        session=session,
        actor=world.secretariat,
        report=world.report,
        kind=DecisionKind.report_approval,
        title="Approve the report",
    )
    step = next(s for s in steps_of(session, world.cla, world.report) if s.kind.startswith("dec"))
    assert step.title == "The Council is voting on 'Approve the report'"
    assert "0 of 5 members have voted" in step.detail
    assert step.params == {"report": world.report.slug, "decision": str(decision.id)}


# --------------------------------------------------------------------------- reviewers


def test_a_reviewer_sees_the_open_round_and_the_responses_to_their_comments(session, world):
    review_round = open_round(session, world, closes_in=9)
    mine = comment(session, world, review_round, 0)
    comment(session, world, review_round, 1)
    # A comment imported from a comment table under the reviewer's name is theirs too.
    session.exec(
        insert(ReviewComment).values(
            round_id=review_round.id,
            number=99,
            section_id=world.sections[2].id,
            from_line=1,
            to_line=1,
            reviewer_id=None,
            reviewer_name=world.reviewer.name,
            comment="Imported.",
            created_at=utcnow(),
        )
    )
    session.commit()
    since = utcnow()
    answer(session, world, mine)

    steps = steps_of(session, world.reviewer, world.report, since=since - timedelta(seconds=1))
    assert kinds(steps) == ["round_open_for_comments", "responses_new"]
    open_step, responses = steps
    closes = TODAY + timedelta(days=9)
    assert open_step.title == (
        f"FOD is open for your comments until {next_steps.day_text(closes)} (in 9 days)"
    )
    assert open_step.urgency is Urgency.due_soon and open_step.due == closes
    assert open_step.detail == "You have made 3 comments in it so far; 1 answered."
    assert responses.title.startswith("1 new response to your comments in FOD")
    assert responses.params == {"report": world.report.slug, "round": "FOD"}

    # Without anything new, their comments are still listed with how many are answered.
    later = steps_of(session, world.reviewer, world.report, since=utcnow())
    assert next(s for s in later if s.kind == "own_comments").title == (
        "Your 3 comments in FOD: 1 answered so far"
    )


def test_a_review_editor_sees_responses_awaiting_sign_off(session, world):
    review_round = open_round(session, world)
    rows = [comment(session, world, review_round, i) for i in range(3)]
    answer(session, world, rows[0])
    answer(session, world, rows[1])
    steps = steps_of(session, world.review_editor, world.report)
    assert kinds(steps) == ["responses_to_sign_off"]
    assert steps[0].title == "2 responses in FOD await your sign-off"
    assert steps[0].urgency is Urgency.waiting
    reviews.sign_off(session=session, actor=world.review_editor, comments=[rows[0]])
    assert steps_of(session, world.review_editor, world.report)[0].title == (
        "1 response in FOD awaits your sign-off"
    )
    reviews.sign_off(session=session, actor=world.review_editor, comments=[rows[1]])
    assert steps_of(session, world.review_editor, world.report) == []


# --------------------------------------------------------------------------- the Council


def _approval(session: Session, world: World, report=None) -> CouncilDecision:
    report = report or world.report
    report.stage = Stage.council_review
    session.add(report)
    session.commit()
    return council.open_decision(
        session=session,
        actor=world.secretariat,
        report=report,
        kind=DecisionKind.report_approval,
        title=f"Approve {report.slug}",
    )


def test_a_council_member_sees_every_decision_awaiting_their_vote(session, world):
    other = make_report(session, "cities", title="Cities as Commons")
    make_section(session, other, "1.1", Question.known, text="Cities.")
    first = _approval(session, world)
    second = _approval(session, world, other)
    member = world.council[0]

    # Whichever report is chosen (or none), every decision awaiting the member's vote is shown.
    for report in (world.report, other, None):
        steps = steps_of(session, member, report)
        assert kinds(steps) == ["vote", "vote"]
    first_step = steps[0]
    assert first_step.title == f"Your vote on 'Approve {world.report.slug}'"
    assert f"Version {first.text_hash[:12]}" in first_step.detail
    assert "0 of 5 members have voted" in first_step.detail
    assert first_step.page is Page.council
    assert first_step.params == {"report": world.report.slug, "decision": str(first.id)}
    assert steps[1].params["report"] == "cities"

    council.cast_vote(session=session, actor=member, decision=first, vote=Vote.approve)
    assert [s.params["decision"] for s in steps_of(session, member, None)] == [str(second.id)]
    # Another member still has both to vote on.
    assert len(steps_of(session, world.council[1], None)) == 2


def test_a_member_outside_the_voting_body_or_on_a_void_decision_is_not_asked(session, world):
    decision = _approval(session, world)
    latecomer = make_person(session, "Late member", roles=[(Role.council_member, None)])
    assert steps_of(session, latecomer, None) == []  # the body was fixed when it opened
    assert len(steps_of(session, world.council[0], None)) == 1
    # The text changed outside the services: the decision is void and takes no votes.
    section = world.sections[0]
    head = session.get(SectionRevision, section.head_revision_id)
    revision = SectionRevision(
        section_id=section.id, number=head.number + 1, parent_id=head.id, text="Changed."
    )
    session.add(revision)
    session.flush()
    section.head_revision_id = revision.id
    session.add(section)
    session.commit()
    assert council.decision_status(session, decision).value == "void"
    assert steps_of(session, world.council[0], None) == []


# --------------------------------------------------------------------------- the Secretariat


def test_the_secretariat_sees_unsigned_authors_and_council_work(session, world):
    for i in range(7):
        make_person(session, f"Unsigned {i}", roles=[(Role.lead_author, world.report)])
    steps = steps_of(session, world.secretariat, world.report)
    unsigned = next(s for s in steps if s.kind == "unsigned_authors")
    assert unsigned.title == (
        f"7 authors of {world.report.title} have not signed the Code of Ethics"
    )
    assert unsigned.detail.startswith("Unsigned 0, Unsigned 1, Unsigned 2, Unsigned 3, Unsigned 4")
    assert "and 2 more" in unsigned.detail
    assert unsigned.page is Page.team

    world.report.stage = Stage.council_review
    session.add(world.report)
    session.commit()
    to_open = next(
        s for s in steps_of(session, world.secretariat, None) if s.kind.startswith("app")
    )
    assert to_open.title == f"{world.report.title} awaits the Council's vote"
    assert to_open.page is Page.council

    decision = _approval(session, world)
    steps = steps_of(session, world.secretariat, None)
    assert "approval_to_open" not in kinds(steps)
    assert "decision_ready" not in kinds(steps)
    for member in world.council:
        council.cast_vote(session=session, actor=member, decision=decision, vote=Vote.approve)
    ready = next(
        s for s in steps_of(session, world.secretariat, None) if s.kind == "decision_ready"
    )
    assert ready.title == "'Approve test-report' can be closed"
    assert ready.params["decision"] == str(decision.id)


def test_the_report_overview_has_every_report_with_rounds_and_decisions(session, world):
    make_report(session, "cities", title="Cities as Commons")
    review_round = open_round(session, world, closes_in=5)
    comment(session, world, review_round, 0)
    set_due(session, world.sections[0], -1)
    rows = {row.slug: row for row in next_steps.report_overview(session, today=TODAY)}
    assert set(rows) == {"test-report", "cities"}
    mine = rows["test-report"]
    assert mine.stage is Stage.first_order_draft
    assert (mine.sections, mine.accepted, mine.overdue, mine.open_comments) == (4, 0, 1, 1)
    closes = next_steps.day_text(TODAY + timedelta(days=5))
    assert mine.rounds == f"FOD open until {closes}"
    assert mine.decisions == "none"
    assert rows["cities"].rounds == "none yet"
    _approval(session, world)
    assert next_steps.report_overview(session)[1].decisions == "1 open"


def test_nothing_for_someone_with_nothing_to_do(session, world):
    assert steps_of(session, world.outsider, None) == []
    assert steps_of(session, world.contributor, world.report) == []


# --------------------------------------------------------------------------- visits


def test_new_since_the_last_visit_stays_the_same_during_a_visit(session, world):
    person, report = world.la, world.report
    start = datetime(2026, 5, 4, 9, 0, tzinfo=utcnow().tzinfo)
    assert next_steps.record_visit(session, person=person, report=report, now=start) is None
    # Page views a few minutes apart are one visit: still no previous visit.
    for minutes in (5, 20, 45):
        assert (
            next_steps.record_visit(
                session, person=person, report=report, now=start + timedelta(minutes=minutes)
            )
            is None
        )
    # Back the next day: the previous visit ended at the last page view (9:45).
    next_day = start + timedelta(days=1)
    previous = next_steps.record_visit(session, person=person, report=report, now=next_day)
    assert previous == start + timedelta(minutes=45)
    # …and it stays that for the whole of this visit, however often the dashboard is opened.
    for minutes in (0, 10, 35):
        assert (
            next_steps.record_visit(
                session, person=person, report=report, now=next_day + timedelta(minutes=minutes)
            )
            == previous
        )
    assert next_steps.last_visit(session, person=person, report=report) == previous
    rows = session.exec(select(ReportVisit)).all()
    assert len(rows) == 1 and rows[0].seen_at == next_day + timedelta(minutes=35)


def test_visits_are_kept_per_person_and_report(session, world):
    other = make_report(session, "cities", title="Cities as Commons")
    session.add(Membership(person_id=world.la.id, report_id=other.id, role=Role.lead_author))
    session.commit()
    start = utcnow() - timedelta(days=3)
    next_steps.record_visit(session, person=world.la, report=world.report, now=start)
    assert next_steps.record_visit(session, person=world.la, report=other) is None
    assert next_steps.record_visit(session, person=world.cla, report=world.report) is None
    assert next_steps.record_visit(session, person=world.la, report=world.report) == start


def test_two_tabs_opening_at_once_share_one_visit(session, world, monkeypatch):
    """The tab that loses the race to insert the visit reads the winner's row instead."""
    engine = session.get_bind()
    with Session(engine, expire_on_commit=False) as other_tab:
        assert next_steps.record_visit(other_tab, person=world.la, report=world.report) is None
    real_get = session.get
    calls = []

    def get_as_if_not_yet_there(model, key, **kw):
        calls.append(key)
        return None if len(calls) == 1 else real_get(model, key, **kw)

    monkeypatch.setattr(session, "get", get_as_if_not_yet_there)
    assert next_steps.record_visit(session, person=world.la, report=world.report) is None
    monkeypatch.undo()
    assert len(session.exec(select(ReportVisit)).all()) == 1
    assert steps_of(session, world.la, world.report) == []  # the session is still usable


# --------------------------------------------------------------------------- bounded


@pytest.mark.parametrize("role", ["la", "cla", "reviewer", "review_editor"])
def test_the_number_of_queries_does_not_grow_with_the_comments(session, world, role):
    review_round = open_round(session, world)
    person = {
        "la": world.la,
        "cla": world.cla,
        "reviewer": world.reviewer,
        "review_editor": world.review_editor,
    }[role]
    since = utcnow() - timedelta(days=1)

    def add_comments(first: int, count: int) -> None:
        session.exec(
            insert(ReviewComment),
            params=[
                {
                    "round_id": review_round.id,
                    "number": n,
                    "section_id": world.sections[n % 4].id,
                    "from_line": 1,
                    "to_line": 1,
                    "reviewer_id": world.reviewer.id,
                    "reviewer_name": world.reviewer.name,
                    "comment": f"Comment {n}",
                    "response": "Done." if n % 2 else "",
                    "disposition": Disposition.accepted.value if n % 2 else None,
                    "created_at": utcnow(),
                    "responded_at": utcnow() if n % 2 else None,
                }
                for n in range(first, first + count)
            ],
        )
        session.commit()

    add_comments(1, 4)
    with count_queries(session) as few:
        small = steps_of(session, person, world.report, since=since)
    add_comments(5, 2_000)
    with count_queries(session) as many:
        large = steps_of(session, person, world.report, since=since)
    assert small and len(large) == len(small)
    assert len(many) == len(few)
