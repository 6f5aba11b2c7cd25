"""Review rounds and comments: the full cycle, every refusal, import and export."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, func, select

from tests.factories import World, make_section
from workbench import audit, findings, i18n, numbering, reviews
from workbench.comment_table import COLUMNS, CommentRow, read_table, write_csv, write_xlsx
from workbench.errors import Conflict, ImportFailed, NotFound, PermissionDenied, ValidationError
from workbench.models import (
    Agreement,
    CommentKind,
    Disposition,
    Evidence,
    FindingCreate,
    FrozenSection,
    Membership,
    Question,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Section,
    SectionAuthor,
    SectionRevision,
    SectionStatus,
    Stage,
)

TODAY = date.today()


def at_stage(session: Session, world: World, stage: Stage = Stage.first_order_draft) -> None:
    world.report.stage = stage
    session.add(world.report)
    session.commit()


def open_fod(
    session: Session,
    world: World,
    *,
    name: str = "FOD",
    opens_on: date | None = None,
    closes_on: date | None = None,
) -> ReviewRound:
    at_stage(session, world)
    return reviews.open_round(
        session=session,
        actor=world.cla,
        report=world.report,
        name=name,
        opens_on=opens_on or TODAY - timedelta(days=1),
        closes_on=closes_on or TODAY + timedelta(days=30),
    )


def comment_on(
    session: Session, world: World, review_round: ReviewRound, section_index: int = 0, **kw
) -> ReviewComment:
    args = {"from_line": 1, "to_line": 3, "comment": "Cite the ILO estimates here."} | kw
    return reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        section_id=world.sections[section_index].id,
        **args,
    )


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def move_head(session: Session, section: Section, text: str) -> None:
    """Save a new revision directly, as the sections service would."""
    rev = SectionRevision(
        section_id=section.id, number=2, parent_id=section.head_revision_id, text=text
    )
    session.add(rev)
    session.flush()
    section.head_revision_id = rev.id
    session.add(section)
    session.commit()


# --------------------------------------------------------------------------- the full cycle


def test_full_review_cycle(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    assert review_round.status == RoundStatus.open
    assert review_round.stage == Stage.first_order_draft
    assert count(session, FrozenSection) == 4
    for section in world.sections:
        session.refresh(section)
        assert section.status == SectionStatus.in_review

    first = comment_on(session, world, review_round, kind=CommentKind.editorial)
    second = comment_on(
        session, world, review_round, 1, from_line=5, to_line=5, affiliation="Government of Ghana"
    )
    assert (first.number, second.number) == (1, 2)
    assert first.reviewer_name == "Reviewer"
    assert first.reviewer_id == world.reviewer.id
    assert first.affiliation == "University of Ghana"
    assert second.affiliation == "Government of Ghana"

    reviews.respond(
        session=session,
        actor=world.lead_authors[0],
        comment=first,
        response="Added the 2023 ILO figures.",
        disposition=Disposition.accepted,
    )
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=second,
        response="Out of scope for this report.",
        disposition=Disposition.rejected,
    )
    assert (
        reviews.sign_off(session=session, actor=world.review_editor, comments=[first, second]) == 2
    )
    assert first.signed_off_by_id == world.review_editor.id

    closed = reviews.close_round(session=session, actor=world.cla, round=review_round)
    assert closed.status == RoundStatus.closed
    assert closed.closed_at is not None
    for section in world.sections:
        session.refresh(section)
        assert section.status == SectionStatus.revising
    actions = [e.action for e in audit.events(session, report_id=world.report.id)]
    for action in (
        "open_review_round",
        "add_review_comment",
        "respond_to_comment",
        "sign_off_responses",
        "close_review_round",
    ):
        assert action in actions


def test_round_freezes_text_while_authors_move_on(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    section = world.sections[0]
    frozen = reviews.frozen_text(session, round_id=review_round.id, section_id=section.id)
    move_head(session, section, "\n".join(f"line {i}" for i in range(1, 41)))
    assert reviews.frozen_text(session, round_id=review_round.id, section_id=section.id) == frozen
    with pytest.raises(ValidationError, match="has 5 lines; lines 20–21 do not exist"):
        comment_on(session, world, review_round, from_line=20, to_line=21)


def test_only_ready_and_drafting_sections_move_to_in_review(session: Session, world: World) -> None:
    world.sections[2].status = SectionStatus.accepted
    world.sections[3].status = SectionStatus.ready_for_review
    session.add_all(world.sections)
    session.commit()
    open_fod(session, world)
    statuses = [session.get(Section, s.id).status for s in world.sections]
    assert statuses == [
        SectionStatus.in_review,
        SectionStatus.in_review,
        SectionStatus.accepted,
        SectionStatus.in_review,
    ]


# --------------------------------------------------------------------------- opening refusals


def test_round_refused_outside_the_draft_stages(session: Session, world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        reviews.open_round(
            session=session,
            actor=world.cla,
            report=world.report,
            name="FOD",
            opens_on=TODAY,
            closes_on=TODAY + timedelta(days=10),
        )
    assert "first order draft or second order draft" in caught.value.message
    assert "scoping" in caught.value.message
    assert count(session, ReviewRound) == 0
    assert session.get(Section, world.sections[0].id).status == SectionStatus.drafting


def test_round_refused_for_wrong_role(session: Session, world: World) -> None:
    at_stage(session, world)
    for person in (world.la, world.reviewer, world.review_editor):
        with pytest.raises(PermissionDenied):
            reviews.open_round(
                session=session,
                actor=person,
                report=world.report,
                name="FOD",
                opens_on=TODAY,
                closes_on=TODAY + timedelta(days=10),
            )
    assert count(session, ReviewRound) == 0


def test_round_refused_for_bad_dates_names_and_a_second_open_round(
    session: Session, world: World
) -> None:
    at_stage(session, world)

    def attempt(name: str, opens: date, closes: date) -> None:
        reviews.open_round(
            session=session,
            actor=world.secretariat,
            report=world.report,
            name=name,
            opens_on=opens,
            closes_on=closes,
        )

    with pytest.raises(ValidationError, match="must close after it opens"):
        attempt("FOD", TODAY, TODAY)
    with pytest.raises(ValidationError, match="name"):
        attempt("  ", TODAY, TODAY + timedelta(days=1))
    attempt("FOD", TODAY, TODAY + timedelta(days=1))
    with pytest.raises(ValidationError, match="already has a review round named 'fod'"):
        attempt("fod", TODAY, TODAY + timedelta(days=1))
    with pytest.raises(ValidationError, match="'FOD' is still open"):
        attempt("SOD", TODAY, TODAY + timedelta(days=1))
    assert count(session, ReviewRound) == 1


def test_round_refuses_to_freeze_empty_sections(session: Session, world: World) -> None:
    make_section(session, world.report, "5.1", Question.cross_cutting)
    make_section(session, world.report, "5.2", Question.cross_cutting, text="   \n")
    with pytest.raises(ValidationError, match=r"no text yet: 5\.1, 5\.2"):
        open_fod(session, world)
    assert count(session, ReviewRound) == 0
    assert count(session, FrozenSection) == 0


# --------------------------------------------------------------------------- commenting refusals


def test_only_reviewers_comment(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    for person in (world.la, world.cla, world.outsider, world.review_editor):
        with pytest.raises(PermissionDenied):
            reviews.add_comment(
                session=session,
                actor=person,
                round=review_round,
                section_id=world.sections[0].id,
                from_line=1,
                to_line=1,
                comment="x",
            )
    assert count(session, ReviewComment) == 0


def test_comments_only_within_the_round_dates(session: Session, world: World) -> None:
    review_round = open_fod(
        session, world, opens_on=TODAY + timedelta(days=3), closes_on=TODAY + timedelta(days=30)
    )
    with pytest.raises(ValidationError) as caught:
        comment_on(session, world, review_round)
    message = caught.value.message
    assert (TODAY + timedelta(days=3)).isoformat() in message
    assert "has not opened yet" in message

    review_round.opens_on = TODAY - timedelta(days=30)
    review_round.closes_on = TODAY - timedelta(days=1)
    session.add(review_round)
    session.commit()
    with pytest.raises(ValidationError, match="has ended"):
        comment_on(session, world, review_round)
    assert count(session, ReviewComment) == 0


def test_no_comments_on_a_closed_round(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    reviews.close_round(session=session, actor=world.cla, round=review_round)
    with pytest.raises(ValidationError, match="closed"):
        comment_on(session, world, review_round)


@pytest.mark.parametrize(
    ("from_line", "to_line", "message"),
    [
        (4, 9, "Section 1.1 as frozen for FOD has 5 lines; lines 4–9 do not exist"),
        (6, 6, "line 6 does not exist"),
        (3, 2, r"'To line' \(2\) is before 'From line' \(3\)"),
        (0, 2, "numbered from 1"),
    ],
)
def test_line_numbers_are_checked_against_the_frozen_text(
    session: Session, world: World, from_line: int, to_line: int, message: str
) -> None:
    review_round = open_fod(session, world)
    with pytest.raises(ValidationError, match=message):
        comment_on(session, world, review_round, from_line=from_line, to_line=to_line)
    assert count(session, ReviewComment) == 0


def test_empty_comment_and_unfrozen_section_are_refused(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    with pytest.raises(ValidationError, match="empty"):
        comment_on(session, world, review_round, comment="   ")
    with pytest.raises(ValidationError, match="at most 300"):
        comment_on(session, world, review_round, affiliation="x" * 301)
    late = make_section(session, world.report, "5.1", Question.cross_cutting, text="new\n")
    with pytest.raises(ValidationError, match="not frozen for FOD"):
        reviews.add_comment(
            session=session,
            actor=world.reviewer,
            round=review_round,
            section_id=late.id,
            from_line=1,
            to_line=1,
            comment="x",
        )
    assert count(session, ReviewComment) == 0


# --------------------------------------------------------------------------- responding


def test_lead_author_answers_only_their_sections(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    on_second = comment_on(session, world, review_round, 1)
    with pytest.raises(PermissionDenied, match=r"section 2\.1"):
        reviews.respond(
            session=session,
            actor=world.lead_authors[0],
            comment=on_second,
            response="Done.",
            disposition=Disposition.accepted,
        )
    session.refresh(on_second)
    assert on_second.response == "" and on_second.disposition is None

    session.add(SectionAuthor(section_id=world.sections[1].id, person_id=world.lead_authors[0].id))
    session.commit()
    reviews.respond(
        session=session,
        actor=world.lead_authors[0],
        comment=on_second,
        response="Done.",
        disposition=Disposition.accepted,
    )
    assert session.get(ReviewComment, on_second.id).responded_by_id == world.lead_authors[0].id


def test_reviewers_and_review_editors_do_not_respond(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    c = comment_on(session, world, review_round)
    for person in (world.reviewer, world.review_editor, world.contributor):
        with pytest.raises(PermissionDenied):
            reviews.respond(
                session=session,
                actor=person,
                comment=c,
                response="Fine.",
                disposition=Disposition.noted,
            )


@pytest.mark.parametrize(
    ("disposition", "message"),
    [
        (Disposition.rejected, "marked 'rejected' needs a response that gives the reason"),
        (Disposition.noted, "marked 'noted' needs a response that gives the reason"),
        (Disposition.accepted, "write a response"),
    ],
)
def test_a_response_is_required(
    session: Session, world: World, disposition: Disposition, message: str
) -> None:
    review_round = open_fod(session, world)
    c = comment_on(session, world, review_round)
    with pytest.raises(ValidationError, match=message):
        reviews.respond(
            session=session, actor=world.cla, comment=c, response="  ", disposition=disposition
        )
    session.refresh(c)
    assert c.disposition is None


def test_changing_a_response_clears_the_sign_off(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    c = comment_on(session, world, review_round)
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=c,
        response="Added.",
        disposition=Disposition.accepted,
    )
    reviews.sign_off(session=session, actor=world.review_editor, comments=[c])
    # Saving the same answer again keeps the sign-off.
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=c,
        response="Added.",
        disposition=Disposition.accepted,
    )
    assert session.get(ReviewComment, c.id).signed_off_at is not None
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=c,
        response="Added, with a caveat.",
        disposition=Disposition.taken_into_account,
    )
    stored = session.get(ReviewComment, c.id)
    assert stored.signed_off_at is None and stored.signed_off_by_id is None


def test_responses_are_final_once_the_round_closes(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    c = comment_on(session, world, review_round)
    reviews.respond(
        session=session, actor=world.cla, comment=c, response="Ok.", disposition=Disposition.noted
    )
    reviews.close_round(session=session, actor=world.cla, round=review_round)
    with pytest.raises(ValidationError, match="final"):
        reviews.respond(
            session=session,
            actor=world.cla,
            comment=c,
            response="Changed.",
            disposition=Disposition.accepted,
        )
    assert session.get(ReviewComment, c.id).response == "Ok."


# --------------------------------------------------------------------------- sign-off


def test_sign_off_needs_answers_and_the_review_editor(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    answered = comment_on(session, world, review_round)
    unanswered = comment_on(session, world, review_round)
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=answered,
        response="Done.",
        disposition=Disposition.accepted,
    )
    with pytest.raises(PermissionDenied):
        reviews.sign_off(session=session, actor=world.cla, comments=[answered])
    with pytest.raises(ValidationError, match=r"comment 2 has no response"):
        reviews.sign_off(
            session=session, actor=world.review_editor, comments=[answered, unanswered]
        )
    assert session.get(ReviewComment, answered.id).signed_off_at is None

    assert reviews.sign_off(session=session, actor=world.review_editor, comments=[answered]) == 1
    assert reviews.sign_off(session=session, actor=world.review_editor, comments=[answered]) == 0
    assert (
        reviews.withdraw_sign_off(session=session, actor=world.review_editor, comments=[answered])
        == 1
    )
    assert session.get(ReviewComment, answered.id).signed_off_at is None


# --------------------------------------------------------------------------- closing


def test_round_cannot_close_with_unanswered_comments(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    comments = [comment_on(session, world, review_round) for _ in range(13)]
    for c in comments[:1]:
        reviews.respond(
            session=session,
            actor=world.cla,
            comment=c,
            response="Ok.",
            disposition=Disposition.noted,
        )
    with pytest.raises(ValidationError) as caught:
        reviews.close_round(session=session, actor=world.cla, round=review_round)
    message = caught.value.message
    assert "12 comments still need a response and a disposition" in message
    assert "2, 3, 4, 5, 6, 7, 8, 9, 10, 11 …" in message
    # The same refusal reads in the reader's language; its id and English stay the same.
    with i18n.language("fr"):
        assert caught.value.message.startswith(
            "Le cycle d'examen «\u00a0FOD\u00a0» ne peut pas être clos\u00a0: 12 commentaires "
            "attendent encore une réponse et une suite donnée"
        )
    with i18n.language("es"):
        assert "12 comentarios todavía necesitan una respuesta y un tratamiento" in (
            caught.value.message
        )
    assert str(caught.value.msg.render("en")) == message
    session.refresh(review_round)
    assert review_round.status == RoundStatus.open
    assert session.get(Section, world.sections[0].id).status == SectionStatus.in_review


def test_only_managers_close_and_only_once(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    with pytest.raises(PermissionDenied):
        reviews.close_round(session=session, actor=world.la, round=review_round)
    reviews.close_round(session=session, actor=world.secretariat, round=review_round)
    with pytest.raises(ValidationError, match="already closed"):
        reviews.close_round(session=session, actor=world.cla, round=review_round)


# --------------------------------------------------------------------------- reading


def test_rounds_and_get_round(session: Session, world: World) -> None:
    with pytest.raises(NotFound, match="no review round yet"):
        reviews.get_round(session, report_id=world.report.id, name="FOD")
    fod = open_fod(session, world)
    reviews.close_round(session=session, actor=world.cla, round=fod)
    at_stage(session, world, Stage.second_order_draft)
    sod = reviews.open_round(
        session=session,
        actor=world.cla,
        report=world.report,
        name="SOD",
        opens_on=TODAY,
        closes_on=TODAY + timedelta(days=5),
    )
    assert sod.stage == Stage.second_order_draft
    assert [r.name for r in reviews.rounds(session, report_id=world.report.id)] == ["FOD", "SOD"]
    assert reviews.get_round(session, report_id=world.report.id, name="SOD").id == sod.id
    with pytest.raises(NotFound, match="its rounds are FOD, SOD"):
        reviews.get_round(session, report_id=world.report.id, name="TOD")
    with pytest.raises(NotFound):
        reviews.frozen_text(session, round_id=sod.id, section_id=10_000)


def test_matches_of_a_text_are_counted_up_to_a_limit(session, world, monkeypatch) -> None:
    review_round = open_fod(session, world)
    for i in range(12):
        comment_on(session, world, review_round, i % 2, comment=f"Wage comment {i}")
    monkeypatch.setattr(reviews, "TEXT_MATCHES_COUNTED", 5)
    page, total = reviews.list_comments(session, round_id=review_round.id, text="wage", limit=3)
    assert total == 6  # "more than 5"
    assert [c.number for c in page] == [1, 2, 3]
    page, _ = reviews.list_comments(
        session, round_id=review_round.id, text="wage", limit=3, offset=3
    )
    assert [c.number for c in page] == [4, 5, 6]
    # Without a text the count is exact, however many.
    _, total = reviews.list_comments(session, round_id=review_round.id)
    assert total == 12
    _, total = reviews.list_comments(session, round_id=review_round.id, text="comment 7")
    assert total == 1


def test_list_filter_page_and_count(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    for i in range(12):
        comment_on(
            session,
            world,
            review_round,
            i % 2,
            comment=f"Comment {i} about 100% coverage" if i == 7 else f"Comment {i}",
            kind=CommentKind.editorial if i % 3 == 0 else CommentKind.substantive,
        )
    page, total = reviews.list_comments(session, round_id=review_round.id, limit=5, offset=5)
    assert total == 12
    assert [c.number for c in page] == [6, 7, 8, 9, 10]

    _, total = reviews.list_comments(
        session, round_id=review_round.id, section_id=world.sections[1].id
    )
    assert total == 6
    _, total = reviews.list_comments(session, round_id=review_round.id, kind=CommentKind.editorial)
    assert total == 4
    found, total = reviews.list_comments(session, round_id=review_round.id, text="100%")
    assert total == 1 and found[0].number == 8
    # Words are found whole: "0" finds "Comment 0", not "100%"; % is no wildcard.
    found, total = reviews.list_comments(session, round_id=review_round.id, text="0%")
    assert total == 1 and found[0].number == 1
    _, total = reviews.list_comments(session, round_id=review_round.id, text="COVERAGE -comment")
    assert total == 0
    _, total = reviews.list_comments(session, round_id=review_round.id, text='"100 coverage"')
    assert total == 1
    _, total = reviews.list_comments(session, round_id=review_round.id, text='"coverage 100"')
    assert total == 0
    _, total = reviews.list_comments(session, round_id=review_round.id, reviewer="review")
    assert total == 12
    _, total = reviews.list_comments(session, round_id=review_round.id, reviewer=world.la.id)
    assert total == 0

    first, _ = reviews.list_comments(session, round_id=review_round.id, limit=1)
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=first[0],
        response="Agreed.",
        disposition=Disposition.accepted,
    )
    reviews.sign_off(session=session, actor=world.review_editor, comments=first)
    _, total = reviews.list_comments(session, round_id=review_round.id, open_only=True)
    assert total == 11
    _, total = reviews.list_comments(
        session, round_id=review_round.id, disposition=Disposition.accepted
    )
    assert total == 1
    _, total = reviews.list_comments(session, round_id=review_round.id, signed_off=True)
    assert total == 1
    _, total = reviews.list_comments(session, round_id=review_round.id, signed_off=False)
    assert total == 11


def test_disposition_and_open_counts(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    a = comment_on(session, world, review_round, 0)
    comment_on(session, world, review_round, 0)
    c = comment_on(session, world, review_round, 2)
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=a,
        response="Yes.",
        disposition=Disposition.accepted,
    )
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=c,
        response="No: off topic.",
        disposition=Disposition.rejected,
    )
    counts = reviews.disposition_counts(session, round_id=review_round.id)
    assert counts == [
        {
            "section_id": world.sections[0].id,
            "section": "1.1",
            "total": 2,
            "accepted": 1,
            "taken_into_account": 0,
            "noted": 0,
            "rejected": 0,
            "open": 1,
            "signed_off": 0,
        },
        {
            "section_id": world.sections[2].id,
            "section": "3.1",
            "total": 1,
            "accepted": 0,
            "taken_into_account": 0,
            "noted": 0,
            "rejected": 1,
            "open": 0,
            "signed_off": 0,
        },
    ]
    assert reviews.open_comment_counts(session, report_id=world.report.id) == {
        world.sections[0].id: 1
    }


# --------------------------------------------------------------------------- import and export


def table_rows(n: int = 3) -> list[CommentRow]:
    rows = [
        CommentRow(
            number=None,
            section=["1.1", "2.1", "3.1", "4.1"][i % 4],
            from_line=1 + i % 5,
            to_line=1 + i % 5,
            reviewer=f"Reviewer {i}",
            affiliation="Government of Chile" if i % 2 else "",
            kind=["general", "substantive", "editorial"][i % 3],
            comment=f"Comment {i}: the claim needs a source.",
        )
        for i in range(n)
    ]
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_import_then_export_gives_the_same_rows(session: Session, world: World, fmt: str) -> None:
    review_round = open_fod(session, world)
    rows = table_rows(6)
    rows[0].number = 40
    rows[1].comment = '=HYPERLINK("http://example.org","click")'
    rows[2].response, rows[2].disposition = "Added the source.", "accepted"
    rows[3].response, rows[3].disposition = "Out of scope.", "rejected"
    rows[4].response = "Draft answer, no disposition yet."
    writer = write_csv if fmt == "csv" else write_xlsx
    imported = reviews.import_comments(
        session=session,
        actor=world.secretariat,
        report=world.report,
        round=review_round,
        filename=f"comments.{fmt}",
        content=writer(rows),
    )
    assert imported == 6
    exported = reviews.export_comments(
        session, actor=world.reviewer, report=world.report, round=review_round, fmt=fmt
    )
    expected = [r for r in rows]
    for row, number in zip(expected, [40, 41, 42, 43, 44, 45], strict=True):
        row.number = number
    assert read_table(f"export.{fmt}", exported) == expected
    stored = session.exec(select(ReviewComment).where(ReviewComment.number == 42)).one()
    assert stored.disposition == Disposition.accepted and stored.responded_at is not None
    assert session.exec(select(ReviewComment).where(ReviewComment.number == 41)).one().comment == (
        '=HYPERLINK("http://example.org","click")'
    )


def test_export_neutralises_formula_cells(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    comment_on(session, world, review_round, comment="=1+1", suggested_change="@SUM(A1:A9)")
    csv_text = reviews.export_comments(
        session, actor=world.cla, report=world.report, fmt="csv"
    ).decode("utf-8-sig")
    assert "'=1+1" in csv_text and "'@SUM(A1:A9)" in csv_text
    xlsx = reviews.export_comments(session, actor=world.cla, report=world.report, fmt="xlsx")
    sheet = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    assert [c.value for c in sheet[1]] == COLUMNS
    assert sheet["H2"].value == "'=1+1"
    assert sheet["I2"].value == "'@SUM(A1:A9)"


def test_export_without_a_round_takes_the_latest(session: Session, world: World) -> None:
    with pytest.raises(NotFound, match="no review round"):
        reviews.export_comments(session, actor=world.cla, report=world.report)
    fod = open_fod(session, world)
    comment_on(session, world, fod, comment="About FOD")
    first = reviews.list_comments(session, round_id=fod.id)[0]
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=first[0],
        response="Ok.",
        disposition=Disposition.noted,
    )
    reviews.close_round(session=session, actor=world.cla, round=fod)
    at_stage(session, world, Stage.second_order_draft)
    sod = reviews.open_round(
        session=session,
        actor=world.cla,
        report=world.report,
        name="SOD",
        opens_on=TODAY,
        closes_on=TODAY + timedelta(days=5),
    )
    comment_on(session, world, sod, comment="About SOD")
    rows = read_table(
        "x.csv", reviews.export_comments(session, actor=world.cla, report=world.report)
    )
    assert [r.comment for r in rows] == ["About SOD"]
    rows = read_table(
        "x.csv", reviews.export_comments(session, actor=world.cla, report=world.report, round=fod)
    )
    assert [r.comment for r in rows] == ["About FOD"]
    with pytest.raises(PermissionDenied):
        reviews.export_comments(session, actor=world.outsider, report=world.report)
    with pytest.raises(ValidationError, match="csv or xlsx"):
        reviews.export_comments(session, actor=world.cla, report=world.report, fmt="pdf")


def import_(session: Session, world: World, review_round: ReviewRound, name: str, content: bytes):
    return reviews.import_comments(
        session=session,
        actor=world.cla,
        report=world.report,
        round=review_round,
        filename=name,
        content=content,
    )


def test_import_reports_unknown_sections_lines_and_numbers(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    comment_on(session, world, review_round)  # takes number 1
    rows = table_rows(8)
    rows[1].section = "B.2"
    rows[2].from_line, rows[2].to_line = 4, 9
    rows[3].number = 1
    rows[4].number = rows[5].number = 7
    rows[6].disposition = "rejected"
    with pytest.raises(ImportFailed) as caught:
        import_(session, world, review_round, "x.csv", write_csv(rows))
    problems = [str(p) for p in caught.value.problems]
    assert any(
        p.startswith(
            "Row 3 of x.csv: 'B.2' is not a section or part of this report; "
            "its sections are 1.1, 2.1, 3.1, 4.1; its parts are KF, CR, FS, REC, IN"
        )
        for p in problems
    )
    assert "Row 4 of x.csv: Section 3.1 as frozen for FOD has 5 lines; lines 4–9 do not exist" in (
        problems
    )
    assert any(
        p.startswith("Row 5 of x.csv: the number 1 is already used in FOD") for p in problems
    )
    assert "Rows 6 and 7 of x.csv both have the number 7" in problems
    assert any(p.startswith("Row 8 of x.csv: the disposition is 'Rejected'") for p in problems)
    assert count(session, ReviewComment) == 1


def test_bad_row_in_the_middle_leaves_the_database_unchanged(
    session: Session, world: World
) -> None:
    review_round = open_fod(session, world)
    rows = table_rows(50)
    content = write_csv(rows).decode("utf-8-sig").splitlines()
    content[26] = content[26].replace(",1,1,Reviewer 25,", ",two,1,Reviewer 25,")
    assert ",two," in content[26]
    events_before = len(audit.events(session, report_id=world.report.id))
    with pytest.raises(ImportFailed) as caught:
        import_(session, world, review_round, "comments.csv", "\n".join(content).encode())
    assert caught.value.problems == [
        "Row 27 of comments.csv: 'From line' is 'two', not a whole number"
    ]
    assert count(session, ReviewComment) == 0
    assert len(audit.events(session, report_id=world.report.id)) == events_before


def test_malformed_xlsx_leaves_the_database_unchanged(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    good = write_xlsx(table_rows(5))
    with pytest.raises(ImportFailed, match=r"comments\.xlsx"):
        import_(session, world, review_round, "comments.xlsx", good[: len(good) // 2])
    assert count(session, ReviewComment) == 0


def test_import_refused_into_a_closed_round_and_for_authors(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    content = write_csv(table_rows(2))
    with pytest.raises(PermissionDenied):
        reviews.import_comments(
            session=session,
            actor=world.la,
            report=world.report,
            round=review_round,
            filename="c.csv",
            content=content,
        )
    reviews.close_round(session=session, actor=world.cla, round=review_round)
    with pytest.raises(ValidationError, match="only into an open round"):
        import_(session, world, review_round, "c.csv", content)
    assert count(session, ReviewComment) == 0


def test_two_thousand_rows_import_with_progress(session: Session, world: World) -> None:
    # How fast is measured by bench/ (no timed assertion here: the machines are shared).
    review_round = open_fod(session, world)
    seen: list[tuple[int, int]] = []
    added = reviews.import_comments(
        session=session,
        actor=world.secretariat,
        report=world.report,
        round=review_round,
        filename="big.xlsx",
        content=write_xlsx(table_rows(2_000)),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert added == 2_000
    assert count(session, ReviewComment) == 2_000
    assert seen[-1] == (2_000, 2_000)
    page, total = reviews.list_comments(session, round_id=review_round.id, limit=3, offset=1997)
    assert total == 2_000 and [c.number for c in page] == [1998, 1999, 2000]
    counts = reviews.disposition_counts(session, round_id=review_round.id)
    assert sum(row["open"] for row in counts) == 2_000


# --------------------------------------------------------------------------- page helpers


def test_round_summaries_count_comments_open_and_signed_off(session: Session, world: World) -> None:
    assert reviews.round_summaries(session, report_id=world.report.id) == []
    review_round = open_fod(session, world)
    first = comment_on(session, world, review_round)
    comment_on(session, world, review_round, 1)
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=first,
        response="Added the ILO estimates.",
        disposition=Disposition.accepted,
    )
    reviews.sign_off(session=session, actor=world.review_editor, comments=[first])
    [summary] = reviews.round_summaries(session, report_id=world.report.id)
    assert summary.round.name == "FOD"
    assert (summary.comments, summary.open, summary.signed_off) == (2, 1, 1)


def test_a_round_without_comments_counts_zero(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    [summary] = reviews.round_summaries(session, report_id=world.report.id)
    assert summary.round.id == review_round.id
    assert (summary.comments, summary.open, summary.signed_off) == (0, 0, 0)


def test_get_comment_by_number(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    comment_on(session, world, review_round)
    second = comment_on(session, world, review_round, 1)
    assert reviews.get_comment(session, round_id=review_round.id, number=2).id == second.id
    with pytest.raises(NotFound, match="no comment number 9"):
        reviews.get_comment(session, round_id=review_round.id, number=9)


def test_frozen_section_ids_leave_out_sections_added_later(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    later = make_section(session, world.report, "5.1", Question.action, text="Later text.")
    frozen = reviews.frozen_section_ids(session, round_id=review_round.id)
    assert frozen == {s.id for s in world.sections}
    assert later.id not in frozen


def test_answerable_sections_follow_the_respond_rule(session: Session, world: World) -> None:
    everything = {s.id for s in world.sections}
    report_id = world.report.id
    assert reviews.answerable_section_ids(session, person=world.cla, report_id=report_id) == (
        everything
    )
    la_sections = reviews.answerable_section_ids(session, person=world.la, report_id=report_id)
    assert la_sections == {world.sections[0].id}
    session.add(SectionAuthor(section_id=world.sections[2].id, person_id=world.la.id))
    session.commit()
    assert reviews.answerable_section_ids(session, person=world.la, report_id=report_id) == {
        world.sections[0].id,
        world.sections[2].id,
    }
    for nobody in (world.contributor, world.review_editor, world.reviewer, world.secretariat):
        assert reviews.answerable_section_ids(session, person=nobody, report_id=report_id) == set()


def test_list_comments_on_several_sections(session: Session, world: World) -> None:
    review_round = open_fod(session, world)
    for index in (0, 1, 2, 1):
        comment_on(session, world, review_round, index)
    wanted = [world.sections[1].id, world.sections[2].id]
    page, total = reviews.list_comments(session, round_id=review_round.id, section_ids=wanted)
    assert total == 3 and [c.number for c in page] == [2, 3, 4]
    assert reviews.list_comments(session, round_id=review_round.id, section_ids=[]) == ([], 0)


def test_disposition_counts_follow_the_reading_order(session: Session, world: World) -> None:
    # Positions count within a question: a later question's first section must still come after.
    world.sections[3].position = 0  # 4.1 (What can be done?) with the lowest position
    session.add(world.sections[3])
    session.commit()
    review_round = open_fod(session, world)
    for index in (3, 0, 2, 1):
        comment_on(session, world, review_round, index)
    counts = reviews.disposition_counts(session, round_id=review_round.id)
    assert [row["section"] for row in counts] == ["1.1", "2.1", "3.1", "4.1"]


def test_a_review_editor_cannot_sign_off_a_response_they_wrote(
    session: Session, world: World
) -> None:
    review_round = open_fod(session, world)
    theirs = comment_on(session, world, review_round, 0)
    others = comment_on(session, world, review_round, 1)
    former_author = world.lead_authors[0]
    reviews.respond(
        session=session,
        actor=former_author,
        comment=theirs,
        response="We added the ILO figures.",
        disposition=Disposition.accepted,
    )
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=others,
        response="Noted: the section cites them already.",
        disposition=Disposition.noted,
    )
    # The Lead Author leaves the team and becomes a Review Editor of the report.
    membership = session.exec(
        select(Membership).where(
            Membership.person_id == former_author.id, Membership.role == Role.lead_author
        )
    ).one()
    session.delete(membership)
    session.add(
        Membership(person_id=former_author.id, report_id=world.report.id, role=Role.review_editor)
    )
    session.commit()

    with pytest.raises(
        PermissionDenied,
        match=r"LA 1 wrote the response to comment 1; a Review Editor cannot sign off a "
        r"response they wrote\. Ask another Review Editor of this report\. Nothing was signed off",
    ):
        reviews.sign_off(session=session, actor=former_author, comments=[theirs, others])
    session.expire_all()
    assert session.get(ReviewComment, theirs.id).signed_off_at is None
    assert session.get(ReviewComment, others.id).signed_off_at is None

    assert reviews.sign_off(session=session, actor=world.review_editor, comments=[theirs]) == 1
    assert session.get(ReviewComment, theirs.id).signed_off_by_id == world.review_editor.id


# --------------------------------------------------------------------------- numbers


def test_an_import_refuses_a_number_a_reviewer_took_while_it_ran(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    review_round = open_fod(session, world)
    comment_on(session, world, review_round)  # takes number 1
    real_numbers_in = reviews._numbers_in
    calls: list[int] = []

    def numbers_as_when_the_file_was_checked(session: Session, round_id: int) -> set[int]:
        # The first look (checking the file) happens before the reviewer's comment.
        calls.append(round_id)
        return set() if len(calls) == 1 else real_numbers_in(session, round_id)

    monkeypatch.setattr(reviews, "_numbers_in", numbers_as_when_the_file_was_checked)
    rows = table_rows(3)
    rows[1].number = 1
    with pytest.raises(ImportFailed) as caught:
        import_(session, world, review_round, "late.csv", write_csv(rows))
    assert caught.value.problems == [
        "Row 3 of late.csv: the number 1 was given to a reviewer's comment in FOD while the "
        "file was being imported; leave 'No' empty to have the next free number given"
    ]
    assert count(session, ReviewComment) == 1


def test_a_comment_whose_number_collides_gets_a_message_not_a_traceback(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    review_round = open_fod(session, world)
    comment_on(session, world, review_round)  # takes number 1
    events_before = len(audit.events(session, report_id=world.report.id))
    # A writer that does not take the round's turn (an older app server, say) took it too.
    monkeypatch.setattr(numbering, "next_number", lambda *args, **kwargs: 1)
    with pytest.raises(Conflict, match=r"took the number 1 at the same moment.*submit it again"):
        comment_on(session, world, review_round, 1)
    assert count(session, ReviewComment) == 1
    assert len(audit.events(session, report_id=world.report.id)) == events_before


def test_the_parts_a_person_may_answer_follow_the_respond_rule(
    session: Session, world: World
) -> None:
    for code, section in (("F1", world.sections[0]), ("F2", world.sections[1])):
        findings.add_finding(
            session=session,
            actor=world.cla,
            report=world.report,
            data=FindingCreate(
                code=code,
                statement=f"Finding {code} is about wages.",
                evidence=Evidence.robust,
                agreement=Agreement.high,
                section_id=section.id,
            ),
        )
    review_round = open_fod(session, world)

    def answerable(person) -> set[str]:
        return reviews.answerable_part_codes(
            session, person=person, report_id=world.report.id, round_id=review_round.id
        )

    assert answerable(world.cla) == {"KF", "F1", "F2", "CR", "FS", "REC", "IN"}
    # The lead author of the first section answers its finding, and nothing else of the parts.
    assert answerable(world.la) == {"F1"}
    for nobody in (world.contributor, world.review_editor, world.reviewer, world.secretariat):
        assert answerable(nobody) == set()
    on = {
        part: reviews.add_comment(
            session=session,
            actor=world.reviewer,
            round=review_round,
            part=part,
            from_line=5,
            to_line=5,
            comment="Say more.",
        )
        for part in ("F1", "KF")
    }
    assert reviews.may_answer(session, world.la, on["F1"])
    assert not reviews.may_answer(session, world.la, on["KF"])
    assert reviews.may_answer(session, world.cla, on["KF"])
