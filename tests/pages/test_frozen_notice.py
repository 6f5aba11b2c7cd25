"""Pages tell the authors why the report cannot change while the Council votes on it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.pages.conftest import CLA, COUNCIL, texts
from workbench import council, people
from workbench.models import DecisionKind, Report, Section, SectionStatus, Stage

LIVING_WAGES = "living-wages"


@pytest.fixture
def voting(db):
    report = db.exec(select(Report).where(Report.slug == LIVING_WAGES)).one()
    for section in db.exec(select(Section).where(Section.report_id == report.id)).all():
        section.status = SectionStatus.accepted
        db.add(section)
    report.stage = Stage.council_review
    db.add(report)
    db.commit()
    return council.open_decision(
        session=db,
        actor=people.get_by_email(db, "secretariat@demo.ipsp.example"),
        report=report,
        kind=DecisionKind.report_approval,
        title="Approve the living-wages report",
    )


@pytest.mark.parametrize(
    "page", ["views/evidence.py", "views/consensus.py", "views/recommendations.py"]
)
def test_authors_are_told_the_text_is_frozen_and_see_no_edit_forms(open_page, voting, page):
    at = open_page(page, CLA, report=LIVING_WAGES)
    assert not at.exception
    shown = texts(at)
    assert "The Council is voting on this text" in shown
    assert "withdraws the decision" in shown


def test_the_write_page_shows_why_the_section_cannot_be_saved(open_page, voting, db):
    at = open_page("views/write.py", CLA, report=LIVING_WAGES)
    assert not at.exception
    assert "The Council is voting on this text" in texts(at)
    assert not [b.key for b in at.button if str(b.key).startswith("write_save")]


def test_council_members_get_no_edit_notice(open_page, voting):
    at = open_page("views/evidence.py", COUNCIL, report=LIVING_WAGES)
    assert "The Council is voting on this text" not in texts(at)
