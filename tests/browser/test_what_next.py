"""Each demo role signs in and the dashboard opens with what they should do next.

Screenshots of every role's dashboard go to test-output/browser/what-next-<role>.png.
Nothing here writes to the report's content (a Council vote would change the demo's
decision). The module moves a few dates around today, whatever day the tests run: the
review round is open, one of the Lead Author's sections falls due in five days, and
the authors last looked at the report before the reviewers' comments came in.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.conftest import db_session, shot, sign_in, wait_idle
from workbench import council, people, reports, sections
from workbench.models import (
    CouncilDecision,
    DecisionKind,
    ReportVisit,
    ReviewComment,
    ReviewRound,
)

DECISION = "Endorse living-wage clauses in public procurement of labour-intensive services"
SECOND = "Endorse regional living-wage benchmarks"

# role → (account, what its "What next" list must say, the label of that step's link)
ROLES = {
    "cla": (
        "amina.diallo@demo.ipsp.example",
        "review comments in SOD await a response",
        "See the comments",
    ),
    "lead-author": ("wei.zhang@demo.ipsp.example", "3.1 Employer market power", "Write"),
    "contributing-author": (
        "alex.moreau@demo.ipsp.example",
        "new review comments on 1.1",
        "Read them",
    ),
    "review-editor": ("hiroshi.tanaka@demo.ipsp.example", "await your sign-off", "Sign them off"),
    "reviewer": (
        "elisabeth.brandt@demo.ipsp.example",
        "SOD is open for your comments until",
        "Comment",
    ),
    "council-member": (
        "meilin.tan@demo.ipsp.example",
        f"Your vote on '{DECISION}'",
        "Read and vote",
    ),
    "council-member-voted": ("marieclaire.dubois@demo.ipsp.example", "Nothing needs you", None),
    "secretariat": (
        "secretariat@demo.ipsp.example",
        "has not signed the Code of Ethics",
        "See the team",
    ),
}


@pytest.fixture(scope="module", autouse=True)
def dates_around_today(app_db_url):
    """Set the demo's dates around today (see the module docstring)."""
    today = date.today()
    with db_session(app_db_url) as s:
        sod = s.exec(select(ReviewRound).where(ReviewRound.name == "SOD")).one()
        sod.opens_on = today - timedelta(days=20)
        sod.closes_on = today + timedelta(days=12)
        living = reports.get_report(s, "living-wages")
        section = sections.get_section_by_code(s, living.id, "3.1")
        section.due_date = today + timedelta(days=5)
        first_comment = min(s.exec(select(ReviewComment.created_at)).all())
        for role in ("lead-author", "contributing-author"):
            person = people.get_by_email(s, ROLES[role][0])
            s.add(
                ReportVisit(
                    person_id=person.id,
                    report_id=living.id,
                    seen_at=first_comment - timedelta(hours=2),
                )
            )
        s.add_all([sod, section])
        s.commit()


def what_next(tab):
    """Return the 'What next' part of the dashboard, once it is drawn."""
    tab.get_by_role("heading", name="What next").wait_for()
    wait_idle(tab)
    return tab.get_by_test_id("stMainBlockContainer")


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_sees_what_to_do_next(page, app_url, role):
    email, expected, link = ROLES[role]
    sign_in(page, app_url, email)
    main = what_next(page)
    expect(main.get_by_text(expected).first).to_be_visible()
    # Every step carries a link to where it is done; an empty list says so in words.
    if link is None:
        expect(main.get_by_text("Nothing needs you right now.")).to_be_visible()
    else:
        expect(main.get_by_role("link", name=link).first).to_be_visible()
    # No raw Markdown or internal words reach the reader.
    text = main.inner_text()
    for raw in ("-badge[", ":material/", "**", "text hash", "None"):
        assert raw not in text, (role, raw)
    page.mouse.move(0, 0)
    shot(page, f"what-next-{role}")


def test_a_council_member_goes_from_the_step_to_the_vote(page, app_url, app_db_url):
    # A second reform is put to the Council: the Council page would show the newest open
    # decision by default, so landing on the older one shows that the link names it.
    with db_session(app_db_url) as s:
        decision = s.exec(select(CouncilDecision).where(CouncilDecision.title == DECISION)).one()
        version = decision.text_hash[:12]
        living = reports.get_report(s, "living-wages")
        council.open_decision(
            session=s,
            actor=people.get_by_email(s, ROLES["secretariat"][0]),
            report=living,
            kind=DecisionKind.reform_endorsement,
            title=SECOND,
            reform="Publish a living-wage benchmark for every region.",
            finding_ids=[f.id for f in council.endorsable_findings(s, report_id=living.id)][:1],
        )
    sign_in(page, app_url, ROLES["council-member"][0])
    main = what_next(page)
    expect(main.get_by_text(f"Your vote on '{SECOND}'")).to_be_visible()
    expect(main.get_by_text(f"Version {version}").first).to_be_visible()
    shot(page, "what-next-council-member-two-votes")
    # The oldest decision comes first: it has waited longest.
    main.get_by_role("link", name="Read and vote").first.click()
    page.get_by_role("heading", name="Council", exact=True).wait_for()
    wait_idle(page)
    assert "/council" in page.url and "report=living-wages" in page.url
    expect(page.get_by_role("heading", name=DECISION)).to_be_visible()
    expect(page.get_by_role("heading", name=SECOND)).to_have_count(0)
    shot(page, "what-next-council-member-followed")


def test_the_secretariat_sees_every_report_in_one_table(page, app_url):
    sign_in(page, app_url, ROLES["secretariat"][0])
    what_next(page)
    page.get_by_role("heading", name="Every report").wait_for()
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    shot(page, "what-next-secretariat-table")
