"""The dashboard: my work, the report's progress, and what awaits the Council."""

from __future__ import annotations

from datetime import date

import pytest

from tests.pages.conftest import CLA, COUNCIL, LA, REVIEWER, ROLES, SECRETARIAT, texts
from workbench import reports, sections

PAGE = "views/dashboard.py"


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_sees_what_concerns_them(open_page, role):
    at = open_page(PAGE, ROLES[role], report="living-wages")
    assert not at.exception, role
    shown = texts(at)
    assert "Dashboard" in shown
    assert ("My work" in shown) == (role not in ("council_member", "secretariat"))
    assert "Living Wages for All" in shown
    assert ("Report progress" in shown) == (role in ("cla", "secretariat"))
    assert ("Awaiting the Council" in shown) == (role in ("council_member", "secretariat"))


def test_a_lead_author_sees_their_sections_with_links_to_write(open_page, db):
    living = reports.get_report(db, "living-wages")
    wei_section = sections.get_section_by_code(db, living.id, "3.1")
    wei_section.due_date = date(2020, 1, 31)  # long overdue, whatever the day the tests run
    db.add(wei_section)
    db.commit()
    at = open_page(PAGE, LA, report="living-wages")
    shown = texts(at)
    assert "3.1 Employer market power and weakened bargaining" in shown
    assert "You are the lead author." in shown and "You are a co-author." in shown
    assert ":red[**Overdue** — was due 31 Jan 2020" in shown
    assert "358 / 550 words" in [p.proto.text for p in at.get("progress")][1]
    links = {p.proto.query_string for p in at.get("page_link")}
    assert f"section={wei_section.id}" in links
    assert "Report progress" not in shown


def test_a_cla_sees_the_progress_of_the_report(open_page, db):
    living = reports.get_report(db, "living-wages")
    late = sections.get_section_by_code(db, living.id, "2.2")
    late.due_date = date(2020, 1, 31)
    db.add(late)
    db.commit()
    at = open_page(PAGE, CLA, report="living-wages")
    assert not at.exception
    shown = texts(at)
    for heading in (
        "Sections by status",
        "The four synthesis questions",
        "Overdue",
        "Words against targets",
        "Progress over time",
        "Team rules",
    ):
        assert heading in shown
    assert "Every synthesis question has at least one section with text." in shown
    assert "2.2 Who owes what?" in shown and "was due 31 Jan 2020" in shown
    table = at.dataframe[0].value
    assert len(table) == 14 and "In review" in set(table["Status"])
    coverage = at.dataframe[1].value
    assert list(coverage["Answered"]) == ["Yes"] * 4
    assert len(at.get("vega_lite_chart")) == 2  # status, words vs targets
    assert "revisions so far were saved on" in shown
    assert "The team meets the Panel's rules." in shown
    assert "Summary for policymakers" in shown  # the CLA's own section, under My work


def test_a_thin_team_and_unanswered_questions_show_as_warnings(open_page):
    at = open_page(PAGE, "leila.moradi@demo.ipsp.example", report="cities-commons")
    warnings = "\n".join(w.value for w in at.warning)
    assert "The team has 7 authors" in warnings
    assert "has any text yet" in warnings  # four questions, one with a stub only


def test_the_council_sees_the_open_decision(open_page):
    at = open_page(PAGE, COUNCIL, report="living-wages")
    shown = texts(at)
    assert "No report is waiting for the Council." in shown
    assert "Endorse living-wage clauses in public procurement" in shown
    assert "2 of 5 members have voted" in shown
    assert "My work" not in shown
    assert "Report progress" not in shown


def test_the_secretariat_sees_progress_and_the_council(open_page):
    at = open_page(PAGE, SECRETARIAT, report="cities-commons")
    assert not at.exception
    shown = texts(at)
    assert "Report progress" in shown and "Awaiting the Council" in shown
    assert "Cities" in shown


def test_reviewers_are_pointed_to_the_review_page(open_page):
    at = open_page(PAGE, REVIEWER, report="living-wages")
    assert "Review comments are on the Review page." in texts(at)


def test_progress_over_time_is_charted_once_work_spans_days(open_page, db):
    from datetime import UTC, datetime

    from sqlmodel import select

    from workbench.models import SectionRevision

    first = db.exec(select(SectionRevision).order_by(SectionRevision.id)).first()
    first.created_at = datetime(2026, 7, 1, 12, tzinfo=UTC)
    db.add(first)
    db.commit()
    at = open_page(PAGE, CLA, report="living-wages")
    assert len(at.get("vega_lite_chart")) == 3
    assert "revisions saved over 2 days" in texts(at)


def test_an_unsigned_author_is_asked_to_sign_the_code_first(open_page):
    at = open_page(PAGE, "daniel.mwangi@demo.ipsp.example", report="cities-commons")
    assert "You have not signed the Code of Ethics yet" in "\n".join(w.value for w in at.warning)
    assert "team" in {p.proto.page for p in at.get("page_link")}


def test_the_report_can_be_exported_from_the_dashboard(open_page):
    at = open_page(PAGE, LA)
    at.button(key="dash_export_go").click().run()
    assert not at.exception
    assert any(m.value.startswith("Ready: living-wages-") for m in at.success)
    downloads = at.get("download_button")
    assert len(downloads) == 1
    at.radio(key="dash_export_format").set_value("md").run()
    at.checkbox(key="dash_export_keep").check().run()
    at.button(key="dash_export_go").click().run()
    assert any(".md (version" in m.value for m in at.success)
    assert len(at.get("download_button")) == 2  # the Markdown and its CSL-JSON
