"""While the Council votes, authors cannot change the text; a CLA withdraws the vote on the record.

In a module of its own: it puts the demo report to a Council vote.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.conftest import db_session, go_to, shot, sign_in, wait_idle
from workbench import council, people
from workbench.models import (
    CouncilDecision,
    DecisionKind,
    DecisionStatus,
    Report,
    Section,
    SectionStatus,
    Stage,
)

LEAD_AUTHOR = "wei.zhang@demo.ipsp.example"
CLA = "amina.diallo@demo.ipsp.example"
TITLE = "Approve the living-wages report (browser check)"
REASON = "Browser check: finding 2.3 must be re-graded before the vote."


def put_to_the_vote(database_url: str) -> int:
    """Accept every section, move the report to council review, open an approval."""
    with db_session(database_url) as s:
        report = s.exec(select(Report).where(Report.slug == "living-wages")).one()
        for section in s.exec(select(Section).where(Section.report_id == report.id)).all():
            section.status = SectionStatus.accepted
            s.add(section)
        report.stage = Stage.council_review
        s.add(report)
        s.commit()
        decision = council.open_decision(
            session=s,
            actor=people.get_by_email(s, "secretariat@demo.ipsp.example"),
            report=report,
            kind=DecisionKind.report_approval,
            title=TITLE,
        )
        return decision.id


def test_authors_wait_for_the_vote_and_a_cla_withdraws_it(browser, app_url, app_db_url):
    decision_id = put_to_the_vote(app_db_url)
    author = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    sign_in(author, app_url, LEAD_AUTHOR)
    go_to(author, "Write")
    wait_idle(author)
    expect(author.get_by_text("The Council is voting on this text").first).to_be_visible()
    expect(author.get_by_role("button", name="Save")).to_have_count(0)
    shot(author, "approval-1-author-frozen")

    cla = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    sign_in(cla, app_url, CLA)
    go_to(cla, "Council")
    wait_idle(cla)
    cla.get_by_role("heading", name=TITLE).wait_for()
    expect(
        cla.get_by_text("Nothing in the report can change while the vote is open.")
    ).to_be_visible()
    cla.get_by_text("Withdraw this decision").click()
    wait_idle(cla)
    reason = cla.get_by_role("textbox", name="Why the decision is withdrawn")
    reason.fill(REASON)
    reason.press("Control+Enter")
    wait_idle(cla)
    cla.get_by_role("button", name="Withdraw the decision").click()
    wait_idle(cla)
    expect(cla.get_by_text("was withdrawn; the report can be edited again").first).to_be_visible()
    shot(cla, "approval-2-withdrawn")

    with db_session(app_db_url) as s:
        decision = s.get(CouncilDecision, decision_id)
        assert decision.status is DecisionStatus.withdrawn
        assert decision.closing_note == REASON

    # The author's page, run again, offers the editor once more.
    go_to(author, "Dashboard")
    go_to(author, "Write")
    wait_idle(author)
    expect(author.get_by_text("The Council is voting on this text")).to_have_count(0)
    expect(author.get_by_role("button", name="Save")).to_be_visible()
    shot(author, "approval-3-author-may-edit")
    author.context.close()
    cla.context.close()
