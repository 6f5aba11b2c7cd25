"""Admin: the Secretariat starts a new edition (a corrigendum) of a published report."""

from __future__ import annotations

from sqlmodel import select

from tests.pages.conftest import SECRETARIAT, texts
from workbench import audit
from workbench.models import Report, Stage

PAGE = "views/admin.py"


def test_a_published_report_gets_a_new_edition_on_the_record(open_page, db):
    report = db.exec(select(Report).where(Report.slug == "living-wages")).one()
    report.stage = Stage.published
    db.add(report)
    db.commit()
    at = open_page(PAGE, SECRETARIAT)
    assert not at.exception
    at.button(key="admin_edition_start").click().run()
    assert "Say what the new edition corrects" in texts(at)
    at.text_area(key="admin_edition_reason").input("Figure 3 mislabelled the regions.")
    at.button(key="admin_edition_start").click().run()
    assert not at.exception
    assert "is at the final draft stage as its next edition" in texts(at)
    db.expire_all()
    report = db.get(Report, report.id)
    assert (report.stage, report.edition) == (Stage.final_draft, 2)
    event = audit.events(db, entity="report", entity_id=report.id)[0]
    assert (event.action, event.detail["reason"]) == (
        "new_edition",
        "Figure 3 mislabelled the regions.",
    )


def test_no_edition_to_start_while_nothing_is_approved(open_page):
    at = open_page(PAGE, SECRETARIAT)
    assert "No report is approved or published yet." in texts(at)
    assert "admin_edition_start" not in {b.key for b in at.button}
