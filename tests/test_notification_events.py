"""Notifications the services record as they act, and the ones the daily scan records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from tests.factories import World, count_queries, make_section
from workbench import council, findings, notifications, parts, reviews, sections
from workbench.comment_table import CommentRow, write_csv
from workbench.errors import PermissionDenied, ValidationError
from workbench.models import (
    Agreement,
    DecisionKind,
    Disposition,
    Evidence,
    FindingCreate,
    Notification,
    NotificationKind,
    Person,
    Question,
    ReviewRound,
    SectionAuthor,
    SectionRevision,
    SectionStatus,
    Stage,
    Vote,
)

TODAY = date.today()


def told(session: Session, kind: NotificationKind) -> dict[int, Notification]:
    """Return person id → their notification of this kind (failing if anyone has two)."""
    rows = session.exec(select(Notification).where(Notification.kind == kind)).all()
    found = {n.person_id: n for n in rows}
    assert len(found) == len(rows), [(n.person_id, n.key) for n in rows]
    return found


def ids(*people: Person) -> set[int]:
    return {p.id for p in people}


def coauthor(session: Session, section_index: int, world: World, person: Person) -> None:
    session.add(SectionAuthor(section_id=world.sections[section_index].id, person_id=person.id))
    session.commit()


def open_fod(session: Session, world: World, closes_on: date | None = None) -> ReviewRound:
    world.report.stage = Stage.first_order_draft
    session.add(world.report)
    session.commit()
    return reviews.open_round(
        session=session,
        actor=world.cla,
        report=world.report,
        name="FOD",
        opens_on=TODAY - timedelta(days=1),
        closes_on=closes_on or TODAY + timedelta(days=30),
    )


def comment(session: Session, world: World, review_round: ReviewRound, **target):
    return reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        from_line=1,
        to_line=1,
        comment="Cite the ILO estimates here.",
        **target,
    )


# --------------------------------------------------------------------------- review


def test_opening_a_round_tells_the_reviewers_and_authors_only(session, world):
    review_round = open_fod(session, world)
    got = told(session, NotificationKind.round_opened)
    everyone = ids(*world.clas, *world.lead_authors, world.contributor, world.reviewer)
    assert set(got) == everyone - ids(world.cla)  # the CLA who opened it knows
    note = got[world.reviewer.id]
    assert note.title.startswith("Review round FOD is open on “Living wages for all workers”")
    assert note.link == f"/review?report=test-report&round={review_round.name}"
    assert note.report_id == world.report.id and note.actor_id == world.cla.id


def test_a_refused_round_tells_nobody(session, world):
    world.report.stage = Stage.first_order_draft
    session.add(world.report)
    session.commit()
    with pytest.raises(ValidationError):
        reviews.open_round(
            session=session,
            actor=world.cla,
            report=world.report,
            name="FOD",
            opens_on=TODAY,
            closes_on=TODAY - timedelta(days=1),
        )
    assert session.exec(select(Notification)).all() == []


def test_a_review_comment_tells_the_lead_author_and_coauthors_of_its_section(session, world):
    coauthor(session, 0, world, world.lead_authors[4])
    review_round = open_fod(session, world)
    added = comment(session, world, review_round, section_id=world.sections[0].id)
    got = told(session, NotificationKind.review_comment)
    assert set(got) == ids(world.lead_authors[0], world.lead_authors[4])
    note = got[world.lead_authors[0].id]
    assert note.title == "New review comment 1 on 1.1 Section 1.1 (FOD)"
    assert note.link == f"/review?report=test-report&round=FOD&section={world.sections[0].id}"
    assert note.key == f"review_comment:{added.id}"
    assert note.detail == "Cite the ILO estimates here."


def test_a_comment_on_an_item_tells_its_sections_authors_and_on_a_part_the_clas(session, world):
    findings.add_finding(
        session=session,
        actor=world.cla,
        report=world.report,
        data=FindingCreate(
            code="F1",
            statement="Finding F1 is about wages.",
            evidence=Evidence.robust,
            agreement=Agreement.high,
            section_id=world.sections[1].id,
        ),
    )
    review_round = open_fod(session, world)
    first, _ = parts.targets(session, review_round.id)["f1"].lines
    reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        part="F1",
        from_line=first,
        to_line=first,
        comment="Which workers does this cover?",
    )
    got = told(session, NotificationKind.review_comment)
    assert set(got) == ids(world.lead_authors[1])
    assert "&section=F1" in got[world.lead_authors[1].id].link
    comment(session, world, review_round, part="KF")
    rows = session.exec(
        select(Notification.person_id).where(Notification.key.like("review_comment:%"))
    ).all()
    assert sorted(rows) == sorted([world.lead_authors[1].id, *ids(*world.clas)])


def test_an_import_tells_each_author_once_with_the_count(session, world):
    review_round = open_fod(session, world)
    rows = [
        CommentRow(
            number=None,
            section=code,
            from_line=1,
            to_line=1,
            reviewer=f"Reviewer {i}",
            kind="substantive",
            comment=f"Comment {i}",
        )
        for i, code in enumerate(["1.1", "2.1", "1.1", "KF", "1.1"])
    ]
    assert (
        reviews.import_comments(
            session=session,
            actor=world.cla,
            report=world.report,
            round=review_round,
            filename="comments.csv",
            content=write_csv(rows),
        )
        == 5
    )
    got = told(session, NotificationKind.review_comment)
    assert set(got) == ids(world.lead_authors[0], world.lead_authors[1], *world.clas[1:])
    assert got[world.lead_authors[0].id].title == (
        "3 new review comments on 1.1 Section 1.1 (FOD, imported from comments.csv)"
    )
    assert got[world.lead_authors[1].id].title.startswith("1 new review comment on 2.1")
    assert got[world.clas[1].id].link == "/review?report=test-report&round=FOD&section=KF"
    assert got[world.lead_authors[0].id].key.startswith(f"review_import:{review_round.id}:")


def test_a_response_tells_the_reviewer_and_the_review_editors(session, world):
    review_round = open_fod(session, world)
    added = comment(session, world, review_round, section_id=world.sections[0].id)
    reviews.respond(
        session=session,
        actor=world.lead_authors[0],
        comment=added,
        response="Added the ILO estimates.",
        disposition=Disposition.accepted,
    )
    responses = told(session, NotificationKind.comment_response)
    awaited = told(session, NotificationKind.sign_off_awaited)
    assert set(responses) == ids(world.reviewer)
    assert set(awaited) == ids(world.review_editor)
    assert responses[world.reviewer.id].title == (
        "The authors responded to your comment 1 on 1.1 Section 1.1 (FOD): accepted"
    )
    assert awaited[world.review_editor.id].title.startswith("A response awaits your sign-off")
    assert awaited[world.review_editor.id].link.startswith("/review?report=test-report&round=FOD")


def test_a_refused_response_tells_nobody(session, world):
    review_round = open_fod(session, world)
    added = comment(session, world, review_round, section_id=world.sections[0].id)
    before = len(session.exec(select(Notification)).all())
    with pytest.raises(PermissionDenied):
        reviews.respond(
            session=session,
            actor=world.lead_authors[1],
            comment=added,
            response="Not mine to answer.",
            disposition=Disposition.noted,
        )
    assert len(session.exec(select(Notification)).all()) == before


# --------------------------------------------------------------------------- sections


def test_assigning_a_section_tells_its_new_authors(session, world):
    section = world.sections[0]
    sections.assign(
        session=session,
        actor=world.cla,
        section=section,
        lead_author_id=world.lead_authors[5].id,
        coauthor_ids=[world.lead_authors[6].id],
    )
    got = told(session, NotificationKind.section_assigned)
    assert set(got) == ids(world.lead_authors[5], world.lead_authors[6])
    assert got[world.lead_authors[5].id].title.startswith("You are now the lead author of 1.1")
    assert got[world.lead_authors[6].id].title.startswith("You are now a co-author of 1.1")
    assert got[world.lead_authors[6].id].link == f"/write?report=test-report&section={section.id}"
    sections.assign(
        session=session,
        actor=world.cla,
        section=section,
        lead_author_id=world.lead_authors[5].id,
        coauthor_ids=[world.lead_authors[6].id, world.lead_authors[7].id],
    )
    rows = session.exec(
        select(Notification.person_id).where(Notification.kind == NotificationKind.section_assigned)
    ).all()
    assert sorted(rows) == sorted(ids(*world.lead_authors[5:8]))


def test_changing_a_due_date_tells_the_sections_authors(session, world):
    coauthor(session, 0, world, world.lead_authors[4])
    due = date(2026, 12, 5)
    sections.update_section(
        session=session, actor=world.cla, section=world.sections[0], due_date=due
    )
    got = told(session, NotificationKind.due_date_changed)
    assert set(got) == ids(world.lead_authors[0], world.lead_authors[4])
    assert got[world.lead_authors[0].id].title == "1.1 Section 1.1 is now due on 5 Dec 2026"
    sections.bulk_update(
        session=session,
        actor=world.cla,
        report=world.report,
        changes={world.sections[0].id: {"due_date": None}, world.sections[1].id: {"title": "T"}},
    )
    rows = session.exec(
        select(Notification).where(Notification.kind == NotificationKind.due_date_changed)
    ).all()
    assert len(rows) == 4
    assert {n.title for n in rows} >= {"1.1 Section 1.1 no longer has a due date"}
    assert told(session, NotificationKind.section_assigned) == {}


def test_a_refused_outline_change_tells_nobody(session, world):
    with pytest.raises(ValidationError):
        sections.bulk_update(
            session=session,
            actor=world.cla,
            report=world.report,
            changes={
                world.sections[0].id: {"due_date": date(2026, 12, 5)},
                world.sections[1].id: {"lead_author_id": world.outsider.id},
            },
        )
    assert session.exec(select(Notification)).all() == []


# --------------------------------------------------------------------------- council


def open_approval(session: Session, world: World):
    world.report.stage = Stage.council_review
    session.add(world.report)
    session.commit()
    return council.open_decision(
        session=session,
        actor=world.secretariat,
        report=world.report,
        kind=DecisionKind.report_approval,
        title="Approve the report",
    )


def test_opening_and_closing_a_decision_tell_the_voters_then_the_clas(session, world):
    decision = open_approval(session, world)
    opened = told(session, NotificationKind.decision_opened)
    assert set(opened) == ids(*world.council)
    assert opened[world.council[0].id].title == "The Council awaits your vote: Approve the report"
    assert opened[world.council[0].id].link == (
        f"/council?report=test-report&decision={decision.id}"
    )
    for member in world.council:
        council.cast_vote(session=session, actor=member, decision=decision, vote=Vote.approve)
    council.close_decision(session=session, actor=world.secretariat, decision=decision)
    closed = told(session, NotificationKind.decision_closed)
    assert set(closed) == ids(*world.clas)
    assert closed[world.cla.id].title == "Council decision closed (approved): Approve the report"


def test_withdrawing_a_decision_tells_the_clas_and_the_members_who_voted(session, world):
    decision = open_approval(session, world)
    council.cast_vote(session=session, actor=world.council[0], decision=decision, vote=Vote.approve)
    with pytest.raises(ValidationError):
        council.withdraw_decision(session=session, actor=world.cla, decision=decision, reason="")
    assert told(session, NotificationKind.approval_withdrawn) == {}
    council.withdraw_decision(
        session=session, actor=world.cla, decision=decision, reason="A figure is wrong."
    )
    got = told(session, NotificationKind.approval_withdrawn)
    assert set(got) == ids(*world.clas[1:], world.council[0])
    assert got[world.council[0].id].title == "Council decision withdrawn: Approve the report"
    assert got[world.council[0].id].detail == "A figure is wrong."


def test_an_approval_that_becomes_void_tells_the_clas_and_the_members_who_voted(session, world):
    decision = open_approval(session, world)
    council.cast_vote(session=session, actor=world.council[0], decision=decision, vote=Vote.approve)
    section = world.sections[0]
    head = session.get(SectionRevision, section.head_revision_id)
    revision = SectionRevision(section_id=section.id, number=2, parent_id=head.id, text="Changed.")
    session.add(revision)
    session.flush()
    section.head_revision_id = revision.id
    session.add(section)
    session.commit()
    with pytest.raises(ValidationError, match="void"):
        council.cast_vote(
            session=session, actor=world.council[1], decision=decision, vote=Vote.approve
        )
    got = told(session, NotificationKind.approval_withdrawn)
    assert set(got) == ids(*world.clas, world.council[0])
    assert got[world.cla.id].title == "Council decision void, the text changed: Approve the report"


# --------------------------------------------------------------------------- the daily scan


def due(session: Session, world: World, index: int, on: date | None) -> None:
    section = world.sections[index]
    section.due_date = on
    session.add(section)
    session.commit()


def test_the_scan_reminds_at_7_and_1_days_overdue_and_rounds_closing(session, world):
    coauthor(session, 0, world, world.contributor)
    for index, days in enumerate([7, 1, -2, 3]):
        due(session, world, index, TODAY + timedelta(days=days))
    review_round = open_fod(session, world, closes_on=TODAY + timedelta(days=3))
    before = {n.id for n in session.exec(select(Notification)).all()}

    added = notifications.scan(session, TODAY)
    soon = told(session, NotificationKind.due_soon)
    assert {n.key for n in soon.values()} == {
        f"due_soon:{world.sections[0].id}:{(TODAY + timedelta(days=7)).isoformat()}:7",
        f"due_soon:{world.sections[1].id}:{(TODAY + timedelta(days=1)).isoformat()}:1",
    }
    assert set(soon) == ids(world.lead_authors[0], world.contributor, world.lead_authors[1])
    assert "is due tomorrow" in soon[world.lead_authors[1].id].title
    assert "is due in 7 days" in soon[world.contributor.id].title
    overdue = told(session, NotificationKind.overdue)
    assert set(overdue) == ids(world.lead_authors[2])
    assert overdue[world.lead_authors[2].id].link == (
        f"/write?report=test-report&section={world.sections[2].id}"
    )
    closing = told(session, NotificationKind.round_closing)
    assert set(closing) == ids(*world.clas, *world.lead_authors, world.contributor, world.reviewer)
    assert closing[world.reviewer.id].key == (
        f"round_closing:{review_round.id}:{review_round.closes_on.isoformat()}"
    )
    after = session.exec(select(Notification)).all()
    assert added == len(after) - len(before) == 3 + 1 + 13

    assert notifications.scan(session, TODAY) == 0
    # Six days on: 1.1 is due tomorrow, 2.1 and 4.1 are late, 3.1 is not told again.
    assert notifications.scan(session, TODAY + timedelta(days=6)) == 2 + 1 + 1
    kinds = session.exec(
        select(Notification.kind, Notification.key).where(
            Notification.key.like(f"due_soon:{world.sections[0].id}:%")
        )
    ).all()
    assert sorted(key.rsplit(":", 1)[-1] for _, key in kinds) == ["1", "1", "7", "7"]
    assert set(told(session, NotificationKind.overdue)) == ids(*world.lead_authors[1:4])
    assert notifications.scan(session, TODAY + timedelta(days=6)) == 0


def test_the_scan_leaves_accepted_sections_and_finished_reports_alone(session, world):
    due(session, world, 0, TODAY - timedelta(days=1))
    world.sections[0].status = SectionStatus.accepted
    session.add(world.sections[0])
    due(session, world, 1, TODAY + timedelta(days=1))
    assert notifications.scan(session, TODAY) == 1
    world.report.stage = Stage.approved
    session.add(world.report)
    due(session, world, 2, TODAY + timedelta(days=7))
    assert notifications.scan(session, TODAY) == 0


def test_the_scan_takes_as_many_queries_for_many_sections_as_for_few(session, world):
    for index in range(4):
        due(session, world, index, TODAY + timedelta(days=1))
    with count_queries(session) as few:
        notifications.scan(session, TODAY)
    for n in range(30):
        extra = make_section(
            session, world.report, f"9.{n}", Question.action, lead=world.lead_authors[n % 8]
        )
        extra.due_date = TODAY + timedelta(days=7)
        session.add(extra)
    session.commit()
    with count_queries(session) as many:
        assert notifications.scan(session, TODAY) == 30
    assert len(many) == len(few)
