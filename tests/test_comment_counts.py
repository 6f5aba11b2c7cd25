"""The comment counts the triggers keep (workbench/comment_counts.py) follow every write.

Each step writes comments the way the workbench does (a reviewer's comment, on a
section and on a part, a response, a changed disposition, a sign-off and its
withdrawal, a comment-table import, a refused import, closing the round) or the
way an operator's SQL would (an update that moves a comment, a delete), and
then the counts must equal a ``GROUP BY`` over the comments themselves, and the
Review and Dashboard numbers must be what the comments say.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import case, delete, func, or_, update
from sqlmodel import Session, col, select

from tests.factories import World
from workbench import comment_counts, findings, reviews
from workbench.comment_table import CommentRow, write_csv
from workbench.errors import ImportFailed
from workbench.models import (
    Agreement,
    Disposition,
    Evidence,
    FindingCreate,
    ReviewComment,
    ReviewRound,
    Stage,
)

TODAY = date.today()


def counted(session: Session) -> dict[tuple[int, int, str], tuple[int, ...]]:
    """Return the maintained counts, keyed by (round, section or 0, part), zero rows left out."""
    table = comment_counts.counts_comment
    rows = session.exec(
        select(*table.c).where(table.c.total != 0)  # type: ignore[call-overload]
    ).all()
    return {
        (r.round_id, r.section_id, r.part): tuple(r._mapping[c] for c in comment_counts.COUNTS)
        for r in rows
    }


def grouped(session: Session) -> dict[tuple[int, int, str], tuple[int, ...]]:
    """Return the same counts straight from the comments, with GROUP BY."""
    c = ReviewComment

    def flag(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    section = func.coalesce(col(c.section_id), 0)
    rows = session.exec(
        select(  # type: ignore[call-overload]
            c.round_id,
            section,
            c.part,
            func.count(),
            *(flag(col(c.disposition) == d) for d in Disposition),
            flag(col(c.disposition).is_(None)),
            flag(or_(col(c.disposition).is_(None), col(c.response) == "")),
            flag(col(c.signed_off_at).is_not(None)),
        ).group_by(c.round_id, section, c.part)
    ).all()
    return {(r[0], r[1], r[2]): tuple(int(v) for v in r[3:]) for r in rows}


def assert_counts_follow(session: Session) -> None:
    session.expire_all()
    assert counted(session) == grouped(session)


def table_rows(n: int, *, answered: int = 0) -> list[CommentRow]:
    return [
        CommentRow(
            number=None,
            section=["1.1", "2.1", "F1", "KF"][i % 4],
            from_line=5,
            to_line=5,
            reviewer=f"Reviewer {i}",
            comment=f"Comment {i}: the claim needs a source.",
            response="Done." if i < answered else "",
            disposition="accepted" if i < answered else "",
        )
        for i in range(n)
    ]


def test_the_counts_follow_every_write_path(session: Session, world: World) -> None:
    for code in ("F1", "F2"):
        findings.add_finding(
            session=session,
            actor=world.cla,
            report=world.report,
            data=FindingCreate(
                code=code,
                statement=f"Finding {code} is about wages.",
                evidence=Evidence.robust,
                agreement=Agreement.high,
                section_id=world.sections[0].id,
            ),
        )
    world.report.stage = Stage.first_order_draft
    session.add(world.report)
    session.commit()
    review_round = reviews.open_round(
        session=session,
        actor=world.cla,
        report=world.report,
        name="FOD",
        opens_on=TODAY - timedelta(days=1),
        closes_on=TODAY + timedelta(days=30),
    )
    assert counted(session) == {}
    assert reviews.open_comment_counts(session, report_id=world.report.id) == {}

    def add(**where: Any) -> ReviewComment:
        return reviews.add_comment(
            session=session,
            actor=world.reviewer,
            round=review_round,
            from_line=5,
            to_line=5,
            comment="Cite the ILO estimates here.",
            **where,
        )

    first = add(section_id=world.sections[0].id)
    second = add(section_id=world.sections[0].id)
    on_finding = add(part="F1")
    on_key_findings = add(part="KF")
    assert_counts_follow(session)
    first_id = world.sections[0].id
    assert reviews.open_comment_counts(session, report_id=world.report.id) == {first_id: 2}

    reviews.respond(
        session=session,
        actor=world.cla,
        comment=first,
        response="Added.",
        disposition=Disposition.accepted,
    )
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=on_finding,
        response="Out of scope.",
        disposition=Disposition.rejected,
    )
    assert_counts_follow(session)
    # A changed disposition moves the comment from one count to another.
    reviews.respond(
        session=session,
        actor=world.cla,
        comment=first,
        response="Added, in part.",
        disposition=Disposition.taken_into_account,
    )
    assert_counts_follow(session)
    assert reviews.sign_off(
        session=session, actor=world.review_editor, comments=[first, on_finding]
    )
    assert_counts_follow(session)
    reviews.withdraw_sign_off(session=session, actor=world.review_editor, comments=[on_finding])
    assert_counts_follow(session)

    imported = reviews.import_comments(
        session=session,
        actor=world.cla,
        report=world.report,
        round=review_round,
        filename="comments.csv",
        content=write_csv(table_rows(9, answered=3)),
    )
    assert imported == 9
    assert_counts_follow(session)
    # On SQLite the import counted its rows at once, the insert trigger paused: it counts again.
    add(section_id=world.sections[2].id)
    assert_counts_follow(session)
    before = counted(session)
    bad = table_rows(2)
    bad[1].section = "B.9"
    with pytest.raises(ImportFailed):
        reviews.import_comments(
            session=session,
            actor=world.cla,
            report=world.report,
            round=review_round,
            filename="bad.csv",
            content=write_csv(bad),
        )
    assert counted(session) == before

    by_section = {
        e["section"]: e for e in reviews.disposition_counts(session, round_id=review_round.id)
    }
    # Section 1.1: two comments added (one taken into account, signed off) and 3 imported
    # (rows 0, 4 and 8; row 0 accepted with its response).
    assert by_section["1.1"]["total"] == 5
    assert by_section["1.1"]["taken_into_account"] == 1
    assert by_section["1.1"]["accepted"] == 1
    assert by_section["1.1"]["open"] == 3
    assert by_section["1.1"]["signed_off"] == 1
    # The finding F1 counts in its part, KF, with the comments on KF itself.
    assert by_section["KF"]["total"] == 2 + 2 + 2
    assert by_section["KF"]["rejected"] == 1

    # Moving a comment from a section to a part, and deleting one, as an operator's SQL would.
    session.exec(
        update(ReviewComment)  # type: ignore[call-overload]
        .where(col(ReviewComment.id) == second.id)
        .values(section_id=None, part="F2")
    )
    session.commit()
    assert_counts_follow(session)
    session.exec(
        delete(ReviewComment).where(  # type: ignore[call-overload]
            col(ReviewComment.id).in_([on_key_findings.id, first.id])
        )
    )
    session.commit()
    assert_counts_follow(session)

    # Every comment answered, then the round closes: the round's summary says so.
    for comment in session.exec(
        select(ReviewComment).where(ReviewComment.round_id == review_round.id)
    ).all():
        if comment.disposition is None or not comment.response:
            reviews.respond(
                session=session,
                actor=world.cla,
                comment=comment,
                response="Noted, thank you.",
                disposition=Disposition.noted,
            )
    reviews.close_round(session=session, actor=world.cla, round=review_round)
    assert_counts_follow(session)
    (summary,) = reviews.round_summaries(session, report_id=world.report.id)
    total = session.exec(
        select(func.count()).where(ReviewComment.round_id == review_round.id)
    ).one()
    assert (summary.comments, summary.open) == (total, 0)
    assert reviews.open_comment_counts(session, report_id=world.report.id) == {}
    assert isinstance(summary.round, ReviewRound)
