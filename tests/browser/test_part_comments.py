"""Commenting on a part of the report in a real browser: a reviewer comments on a finding.

The reviewer opens Review, chooses "F6 — Finding F6" in the "Add a comment" tab,
sees the finding's line numbered as the review copy numbers it, submits a comment
(a double click adds it once) and finds it in the comment table as on F6; a
reload keeps the page and its filter.

Screenshots go to test-output/browser/part-comments-*.png.
"""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect
from sqlmodel import col, select

from tests.browser.conftest import db_session, go_to, shot, sign_in, wait_idle
from workbench.models import ReviewComment, ReviewRound

REVIEWER = "elisabeth.brandt@demo.ipsp.example"
COMMENT = "Name the two methods compared and the places they were compared in."


def keep_sod_open(database_url: str) -> int:
    """Make the demo's SOD take comments whatever today's date is; return its id."""
    with db_session(database_url) as s:
        sod = s.exec(select(ReviewRound).where(ReviewRound.name == "SOD")).one()
        sod.opens_on = date.today() - timedelta(days=30)
        sod.closes_on = date.today() + timedelta(days=3650)
        s.add(sod)
        s.commit()
        return sod.id


def comments_on(database_url: str, round_id: int, part: str) -> list[ReviewComment]:
    with db_session(database_url) as s:
        return list(
            s.exec(
                select(ReviewComment)
                .where(ReviewComment.round_id == round_id, ReviewComment.part == part)
                .order_by(col(ReviewComment.number))
            ).all()
        )


def cell(grid, column: int, row: int):
    """Return the grid's accessible copy of a cell (the canvas draws what users see)."""
    return grid.get_by_test_id(f"glide-cell-{column}-{row}")


def choose(tab, key: str, option: str) -> None:
    """Pick an option of the select box with this key (narrowed first: long lists draw lazily)."""
    tab.locator(f".st-key-{key}").get_by_test_id("stSelectbox").click()
    tab.keyboard.type(option.split(" ")[0])
    tab.get_by_role("option", name=option, exact=True).click()
    wait_idle(tab)


def test_a_reviewer_comments_on_a_finding_once_and_finds_it_listed(page, app_url, app_db_url):
    round_id = keep_sod_open(app_db_url)
    before = comments_on(app_db_url, round_id, "F6")
    assert [c.number for c in before] == [15]  # the demo's own comment on F6
    sign_in(page, app_url, REVIEWER)
    go_to(page, "Review")
    page.get_by_role("heading", name="Review", exact=True).wait_for()
    wait_idle(page)
    page.get_by_role("tab", name="Add a comment").click()
    wait_idle(page)
    choose(page, "review_new_target", "F6 — Finding F6")
    # The finding's own line is chosen and shown with the number the review copy prints.
    expect(page.locator(".st-key-review_new_from_F6 input")).to_have_value("10")
    expect(page.locator(".st-key-review_new_to_F6 input")).to_have_value("10")
    cited = page.get_by_test_id("stCode").filter(has_text="10 │ F6 · Living-wage estimates")
    expect(cited.first).to_be_visible()
    shot(page, "part-comments-1-finding-chosen")

    page.get_by_role("textbox", name="Comment", exact=True).fill(COMMENT)
    page.get_by_role("button", name="Add comment").dblclick()
    wait_idle(page)
    expect(
        page.get_by_test_id("stAlertContentSuccess").filter(
            has_text="Your comment on F6 — Finding F6 was added to SOD"
        )
    ).to_have_count(1)
    shot(page, "part-comments-2-added")
    added = [c for c in comments_on(app_db_url, round_id, "F6") if c.number != 15]
    assert [(c.comment, c.from_line, c.to_line, c.section_id) for c in added] == [
        (COMMENT, 10, 10, None)
    ], "a double click adds the comment once"

    # Listed as on F6: the key findings' comments are the demo's and this one.
    page.get_by_role("tab", name="Comments").click()
    choose(page, "review_filter_section", "KF Key findings")
    expect(page.get_by_text("2 comments match")).to_be_visible()
    # The rounds, then the comments (the grid's accessible copy of its canvas): No, Section…
    grid = page.get_by_test_id("stDataFrame").nth(1)
    for row, number in enumerate(("15", "18")):
        expect(cell(grid, 0, row)).to_have_text(number)
        expect(cell(grid, 1, row)).to_have_text("F6")
        expect(cell(grid, 2, row)).to_have_text("10")
    expect(cell(grid, 6, 1)).to_contain_text(COMMENT)
    shot(page, "part-comments-3-listed")

    page.reload()
    page.get_by_role("heading", name="Review", exact=True).wait_for()
    wait_idle(page)
    expect(page.get_by_text("2 comments match")).to_be_visible()
    section_filter = page.locator(".st-key-review_filter_section").get_by_role("combobox")
    expect(section_filter).to_have_value("KF Key findings")
    assert "review_filter_section=KF" in page.url
    shot(page, "part-comments-4-after-reload")
