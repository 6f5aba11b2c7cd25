"""A Council member votes on the open decision, with a reason, and sees it in the tally.

In a module of its own: the decision is bound to the report's text, so a test that
saves text in the same workspace would void it.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.conftest import db_session, go_to, shot, sign_in, wait_idle
from workbench import council, people
from workbench.models import CouncilDecision, CouncilVote, DecisionStatus, Vote

MEMBER = "meilin.tan@demo.ipsp.example"  # Tan Mei Lin, who has not voted in the demo
NAME = "Tan Mei Lin"
DECISION = "Endorse living-wage clauses in public procurement of labour-intensive services"
REASON = "Browser check: add a costing annex for small municipalities."


def expect_tally(tab, expected: dict[str, int]) -> None:
    """Wait until the tally's metrics show these counts (label → count)."""
    metrics = tab.get_by_test_id("stMetric")
    expect(metrics).to_have_count(len(expected))
    for label, count in expected.items():
        metric = metrics.filter(
            has=tab.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
        )
        expect(metric.get_by_test_id("stMetricValue")).to_have_text(str(count))


def test_council_member_votes_with_a_reason(page, app_url, app_db_url):
    with db_session(app_db_url) as s:
        decision = s.exec(select(CouncilDecision).where(CouncilDecision.title == DECISION)).one()
        decision_id = decision.id
        assert council.decision_status(s, decision) is DecisionStatus.open
        before = council.current_tally(s, decision)
        member_id = people.get_by_email(s, MEMBER).id
        assert member_id not in {v.person_id for v in council.votes_of(s, decision)}

    sign_in(page, app_url, MEMBER)
    go_to(page, "Council")
    page.get_by_role("heading", name="Council", exact=True).wait_for()
    wait_idle(page)
    page.get_by_role("heading", name=DECISION).wait_for()
    expect(page.get_by_text("Open for votes.")).to_be_visible()
    expect(page.get_by_text("Not voted yet:").filter(has_text=NAME)).to_be_visible()
    expect_tally(
        page,
        {
            "Approve": before.approve,
            "Approve with changes": before.approve_with_changes,
            "Abstain": before.abstain,
            "Object": before.object,
            "Not voted": before.not_voted,
        },
    )
    shot(page, "council-1-open-decision")

    page.get_by_test_id("stRadio").filter(has_text="Your choice").get_by_text(
        "Approve with changes", exact=True
    ).click()
    wait_idle(page)
    reason = page.get_by_role("textbox", name="Reason")
    reason.fill(REASON)
    reason.press("Control+Enter")
    wait_idle(page)
    shot(page, "council-2-vote-filled")
    page.get_by_role("button", name="Cast my vote").click()
    wait_idle(page)

    recorded = f"Your vote on '{DECISION}' was recorded."
    expect(page.get_by_test_id("stAlert").filter(has_text=recorded)).to_be_visible()
    expect(page.get_by_text("You voted 'approve with changes' on")).to_be_visible()
    expect_tally(
        page,
        {
            "Approve": before.approve,
            "Approve with changes": before.approve_with_changes + 1,
            "Abstain": before.abstain,
            "Object": before.object,
            "Not voted": before.not_voted - 1,
        },
    )
    expect(page.get_by_text("Not voted yet:")).not_to_contain_text(NAME)
    votes = page.get_by_test_id("stDataFrame").filter(has_text="Member")
    mine = votes.locator("tr", has_text=NAME)
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("Approve with changes")
    expect(mine).to_contain_text(REASON)
    shot(page, "council-3-voted")

    with db_session(app_db_url) as s:
        vote = s.exec(
            select(CouncilVote).where(
                CouncilVote.decision_id == decision_id, CouncilVote.person_id == member_id
            )
        ).one()
        assert vote.vote is Vote.approve_with_changes
        assert vote.reason == REASON
        decision = s.get(CouncilDecision, decision_id)
        after = council.current_tally(s, decision)
    assert after.approve_with_changes == before.approve_with_changes + 1
    assert after.not_voted == before.not_voted - 1
