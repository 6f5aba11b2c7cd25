"""The demo workspace: it loads through the services, on both databases, and only once."""

from __future__ import annotations

from sqlmodel import Session, func, select

from tests.factories import row_counts
from workbench import demo, reports, reviews, sections, teams
from workbench.governance import HIGH_CONFIDENCE
from workbench.models import (
    Classification,
    ConsensusItem,
    CouncilDecision,
    Finding,
    Initiative,
    Membership,
    Person,
    Recommendation,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Source,
    Stage,
    Theme,
)


def count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_demo_loads_a_complete_report_and_is_idempotent(session):
    summary = demo.load_demo(session)
    assert summary.loaded == ["living-wages", "cities-commons"]
    report = reports.get_report(session, "living-wages")
    assert report.stage == Stage.second_order_draft
    assert count(session, Theme) == 14

    team = teams.members(session, report.id)
    clas = [m for m in team if Role.cla in m.roles]
    las = [m for m in team if Role.lead_author in m.roles]
    assert len(clas) == 3 and len(las) >= 12
    assert all(m.signed for m in clas + las)
    assert len({m.person.sector for m in clas}) == 3
    assert len({m.person.region for m in clas}) == 3
    assert teams.team_warnings(session, report) == []

    outline = sections.list_sections(session, report.id)
    with_text = [s for s in outline if s.head_revision_id]
    assert len(with_text) >= 12
    assert not sections.coverage_gaps(session, report.id)
    unknown = sections.refresh_citations(session=session, report_id=report.id)
    assert unknown == {}, f"demo text cites keys that are not sources: {unknown}"

    assert count(session, Source, Source.report_id == report.id) >= 30
    assert len({s.kind for s in session.exec(select(Source))}) >= 4
    assert len({s.language for s in session.exec(select(Source))}) >= 4
    confidences = {f.confidence for f in session.exec(select(Finding))}
    assert len(confidences) == 5 and confidences & HIGH_CONFIDENCE
    items = session.exec(select(ConsensusItem)).all()
    assert len(items) >= 10
    assert sum(i.classification == Classification.false_solution for i in items) >= 2
    assert count(session, Recommendation) >= 8
    assert count(session, Initiative) >= 5

    fod = reviews.get_round(session, report_id=report.id, name="FOD")
    sod = reviews.get_round(session, report_id=report.id, name="SOD")
    assert fod.status == RoundStatus.closed and sod.status == RoundStatus.open
    fod_comments = session.exec(select(ReviewComment).where(ReviewComment.round_id == fod.id)).all()
    assert len(fod_comments) >= 40
    assert all(c.response and c.disposition for c in fod_comments)
    assert len({c.disposition for c in fod_comments}) == 4
    sod_open = count(
        session,
        ReviewComment,
        ReviewComment.round_id == sod.id,
        ReviewComment.disposition.is_(None),
    )
    assert sod_open > 0
    members = session.exec(select(Membership).where(Membership.role == Role.council_member)).all()
    assert len(members) >= 5
    assert count(session, CouncilDecision) >= 1

    second = reports.get_report(session, "cities-commons")
    assert second.stage in (Stage.scoping, Stage.zero_order_draft)

    before = row_counts(session)
    again = demo.load_demo(session)
    assert again.loaded == [] and again.skipped == ["living-wages", "cities-commons"]
    assert row_counts(session) == before
    assert count(session, ReviewRound) == 2
    assert count(session, Person) == before["person"]
    assert "demo-workbench" in again.describe()
    assert "secretariat@demo.ipsp.example" in again.describe()
