"""The dashboard: what next, my work, the report's progress, and what is before the Council."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from tests.pages.conftest import (
    CLA,
    COUNCIL,
    LA,
    REVIEW_EDITOR,
    REVIEWER,
    ROLES,
    SECRETARIAT,
    texts,
)
from workbench import people, reports, sections
from workbench.models import (
    CouncilDecision,
    ReportVisit,
    ReviewComment,
    ReviewRound,
    SectionRevision,
)

PAGE = "views/dashboard.py"
UNVOTED_MEMBER = "meilin.tan@demo.ipsp.example"  # in the demo's voting body, has not voted


def links(at) -> list[tuple[str, str]]:
    """Return (label, 'page?query') for each of the page's links, in order."""
    return [
        (p.proto.label, f"{p.proto.page}?{p.proto.query_string}".rstrip("?"))
        for p in at.get("page_link")
    ]


def sod_open_today(db) -> ReviewRound:
    """Make the demo's second-order review round take comments today, whatever day it is."""
    sod = db.exec(select(ReviewRound).where(ReviewRound.name == "SOD")).one()
    sod.opens_on = date.today() - timedelta(days=5)
    sod.closes_on = date.today() + timedelta(days=10)
    db.add(sod)
    db.commit()
    return sod


def visited_before(db, email: str, slug: str = "living-wages") -> datetime:
    """Record that the person last looked at the report just before its first review comment."""
    person = people.get_by_email(db, email)
    report = reports.get_report(db, slug)
    first = db.exec(select(func.min(ReviewComment.created_at))).one()
    if first.tzinfo is None:  # SQLite hands back naive UTC through func.min
        first = first.replace(tzinfo=UTC)
    when = first - timedelta(hours=2)
    db.add(ReportVisit(person_id=person.id, report_id=report.id, seen_at=when))
    db.commit()
    return when


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_sees_what_concerns_them(open_page, role):
    at = open_page(PAGE, ROLES[role], report="living-wages")
    assert not at.exception, role
    shown = texts(at)
    assert "Dashboard" in shown
    assert "What next" in shown
    assert ("My work" in shown) == (role not in ("council_member", "secretariat"))
    assert "Living Wages for All" in shown
    assert ("Report progress" in shown) == (role in ("cla", "secretariat"))
    assert ("Before the Council" in shown) == (role in ("council_member", "secretariat"))
    assert ("Every report" in shown) == (role == "secretariat")
    # The first thing after the report's line is what to do next.
    headers = [h.value for h in at.header]
    assert headers[0] == "What next", role


def test_a_lead_author_is_told_what_to_do_next_first(open_page, db):
    living = reports.get_report(db, "living-wages")
    late = sections.get_section_by_code(db, living.id, "3.1")
    late.due_date = date(2020, 1, 31)
    soon = sections.get_section_by_code(db, living.id, "1.1")
    soon.due_date = date.today() + timedelta(days=3)
    db.add_all([late, soon])
    db.commit()
    visited_before(db, LA)
    at = open_page(PAGE, LA, report="living-wages")
    assert not at.exception
    shown = texts(at)
    titles = [m.value for m in at.markdown if "-badge[" in m.value]
    assert "Overdue" in titles[0] and "3.1 Employer market power" in titles[0]
    assert "Due soon" in titles[1] and "1.1 Defining and measuring living wages" in titles[1]
    assert any("new review comments on 1.1" in t for t in titles[2:])
    assert "since your last visit" in shown
    targets = links(at)
    assert targets[0] == ("Write", f"write?report=living-wages&section={late.id}")
    assert any(t.startswith("review?report=living-wages&round=SOD&section=") for _, t in targets)
    # What is new stays new while the visit lasts: opening the dashboard again keeps it.
    at.run()
    assert any("new review comments on 1.1" in m.value for m in at.markdown)


def test_a_cla_sees_the_whole_reports_next_steps(open_page):
    at = open_page(PAGE, CLA, report="living-wages")
    shown = texts(at)
    assert "review comments in SOD await a response and a disposition" in shown
    assert "The Council is voting on 'Endorse living-wage clauses" in shown
    targets = dict(links(at))
    assert targets["See the comments"] == "review?report=living-wages&round=SOD"
    assert targets["Follow the vote"].startswith("council?report=living-wages&decision=")


def test_a_reviewer_sees_the_open_round_and_its_closing_date(open_page, db):
    sod = sod_open_today(db)
    at = open_page(PAGE, REVIEWER, report="living-wages")
    shown = texts(at)
    closes = f"{sod.closes_on.day} {sod.closes_on:%b %Y}"
    assert f"SOD is open for your comments until {closes} (in 10 days)" in shown
    assert "Every one of your 18 comments in FOD has a response" in shown
    assert dict(links(at))["Comment"] == "review?report=living-wages&round=SOD"


def test_a_review_editor_sees_responses_awaiting_sign_off(open_page):
    at = open_page(PAGE, REVIEW_EDITOR, report="living-wages")
    shown = texts(at)
    assert "responses in SOD await your sign-off" in shown
    assert dict(links(at))["Sign them off"] == "review?report=living-wages&round=SOD"


def test_a_council_member_sees_the_decision_awaiting_their_vote(open_page, db):
    decision = db.exec(select(CouncilDecision)).one()
    at = open_page(PAGE, UNVOTED_MEMBER, report="cities-commons")  # another report chosen
    assert not at.exception
    shown = texts(at)
    assert "Your vote on 'Endorse living-wage clauses in public procurement" in shown
    assert f"Version {decision.text_hash[:12]}" in shown
    assert "2 of 5 members have voted" in shown
    assert "text hash" not in shown.lower()
    assert "**awaiting your vote**" in shown
    assert "No report is waiting for the Council" not in shown
    assert dict(links(at))["Read and vote"] == f"council?report=living-wages&decision={decision.id}"


def test_a_council_member_who_has_voted_is_told_nothing_needs_them(open_page):
    at = open_page(PAGE, COUNCIL, report="living-wages")
    shown = texts(at)
    assert "Nothing needs you right now." in shown
    assert "Endorse living-wage clauses in public procurement" in shown  # before the Council
    assert "2 of 5 members have voted" in shown
    assert "awaiting your vote" not in shown
    assert "My work" not in shown
    assert "Report progress" not in shown


def test_the_secretariat_sees_every_report_and_unsigned_authors(open_page):
    at = open_page(PAGE, SECRETARIAT, report="cities-commons")
    assert not at.exception
    shown = texts(at)
    assert "Report progress" in shown and "Before the Council" in shown
    assert "1 author of Cities as Commons: Urban Institutions for Shared Prosperity has not " in (
        shown
    )
    assert "Daniel Mwangi" in shown
    table = next(d.value for d in at.dataframe if "Review rounds" in d.value.columns)
    assert list(table["Report"]) == ["Cities as Commons", "Living Wages for All"]
    living = table.iloc[1]
    assert living["Stage"] == "Second order draft"
    assert living["Review rounds"].startswith("SOD open until ")
    assert living["Review rounds"].endswith(" · FOD closed")
    assert living["Council"] == "1 open"
    assert dict(links(at))["See the team"] == "team?report=cities-commons"


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
    assert ("Write", f"write?report=living-wages&section={wei_section.id}") in links(at)
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
    # Status, words vs targets, and progress over time (the demo's history spans months).
    assert len(at.get("vega_lite_chart")) == 3
    assert "The team meets the Panel's rules." in shown
    assert "Summary for policymakers" in shown  # the CLA's own section, under My work


def test_a_large_report_charts_its_parts_and_lists_the_longest_overdue(open_page, db):
    from workbench.models import Question, Section

    living = reports.get_report(db, "living-wages")
    for n in range(100):
        db.add(
            Section(
                report_id=living.id,
                code=f"9.{n + 1}",
                question=Question.action,
                title=f"Generated section {n + 1}",
                position=100 + n,
                due_date=date(2020, 1, 1) + timedelta(days=n),
                word_target=1000,
            )
        )
    db.commit()
    at = open_page(PAGE, CLA, report="living-wages")
    assert not at.exception
    shown = texts(at)
    assert "With 114 sections the chart adds them up by part" in shown
    assert len(at.dataframe[0].value) == 114  # the table still has every section
    # The 20 longest overdue by name, the rest counted.
    assert "9.1 Generated section 1" in shown and "9.20 Generated section 20" in shown
    assert "9.21 Generated section 21" not in shown
    assert "And 80 more overdue sections" in shown


def test_a_thin_team_and_unanswered_questions_show_as_warnings(open_page):
    at = open_page(PAGE, "leila.moradi@demo.ipsp.example", report="cities-commons")
    warnings = "\n".join(w.value for w in at.warning)
    assert "The team has 7 authors" in warnings
    assert "has any text yet" in warnings  # four questions, one with a stub only


def test_reviewers_are_pointed_to_the_review_page(open_page):
    at = open_page(PAGE, REVIEWER, report="living-wages")
    assert "Review comments are on the Review page." in texts(at)


def test_progress_over_time_is_charted_once_work_spans_days(open_page, db):
    first = db.exec(select(SectionRevision).order_by(SectionRevision.id)).first()
    first.created_at = datetime(2026, 7, 1, 12, tzinfo=UTC)
    db.add(first)
    db.commit()
    at = open_page(PAGE, CLA, report="living-wages")
    assert len(at.get("vega_lite_chart")) == 3
    days = reports.progress_over_time(db, reports.get_report(db, "living-wages").id)
    assert len(days) > 2 and f"revisions saved over {len(days)} days" in texts(at)


def test_an_unsigned_author_is_asked_to_sign_the_code_first(open_page):
    at = open_page(PAGE, "daniel.mwangi@demo.ipsp.example", report="cities-commons")
    first = next(m.value for m in at.markdown if "-badge[" in m.value)
    assert "Sign the Code of Ethics" in first
    assert dict(links(at))["Read and sign it"] == "team?report=cities-commons"


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
