"""A CLA reassigns a section's lead author in the assignments grid and saves it."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.conftest import db_session, go_to, shot, sign_in, wait_idle
from workbench import people
from workbench.models import Report, Section

CLA = "amina.diallo@demo.ipsp.example"
REPORT = "living-wages"
CODE = "3.3"
TITLE = "Opportunities: an agreed definition"
OLD_LEAD = "Tomás Ferreira Lima"
NEW_LEAD = "Sarah O'Connell"
NEW_LEAD_EMAIL = "sarah.oconnell@demo.ipsp.example"
LEAD_COLUMN = 3  # Code, Part, Title, Lead author, ...
ROW_HEIGHT = 35  # glide-data-grid's default row (and header) height in Streamlit


def _leads(s) -> dict[str, int | None]:
    report = s.exec(select(Report).where(Report.slug == REPORT)).one()
    rows = s.exec(select(Section).where(Section.report_id == report.id)).all()
    return {sec.code: sec.lead_author_id for sec in rows}


def _cell(grid, column: int, row: int):
    """Return the grid's accessible copy of a cell (the canvas draws what users see)."""
    return grid.get_by_test_id(f"glide-cell-{column}-{row}")


def _select_cell(tab, grid, column: int, row: int) -> None:
    """Select a cell of the grid: click the first cell, then move there with the arrow keys."""
    canvas = grid.get_by_test_id("data-grid-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    tab.mouse.click(box["x"] + 20, box["y"] + ROW_HEIGHT + ROW_HEIGHT // 2)
    expect(_cell(grid, 0, 0)).to_have_attribute("aria-selected", "true")
    for r in range(1, row + 1):
        tab.keyboard.press("ArrowDown")
        expect(_cell(grid, 0, r)).to_have_attribute("aria-selected", "true")
    for c in range(1, column + 1):
        tab.keyboard.press("ArrowRight")
        expect(_cell(grid, c, row)).to_have_attribute("aria-selected", "true")


def test_cla_reassigns_a_lead_author(page, app_url, app_db_url):
    with db_session(app_db_url) as s:
        before = _leads(s)
        old_id = people.get_by_email(s, "tomas.ferreira@demo.ipsp.example").id
        new_id = people.get_by_email(s, NEW_LEAD_EMAIL).id
    assert before[CODE] == old_id

    sign_in(page, app_url, CLA)
    go_to(page, "Outline & assignments")
    page.get_by_role("heading", name="Outline & assignments").wait_for()
    wait_idle(page)
    card = page.get_by_test_id("stVerticalBlock").filter(has_text=f"{CODE} {TITLE}").last
    expect(card).to_contain_text(f"Lead: {OLD_LEAD}")

    assignments = page.get_by_role("tab", name="Assignments & deadlines")
    assignments.click()
    wait_idle(page)
    grid = page.get_by_test_id("stDataFrame")
    codes = [_cell(grid, 0, r).text_content() for r in range(len(before))]
    row = codes.index(CODE)
    expect(_cell(grid, LEAD_COLUMN, row)).to_have_text(OLD_LEAD)
    shot(page, "outline-1-assignments")

    _select_cell(page, grid, LEAD_COLUMN, row)
    page.keyboard.press("Enter")  # opens the cell's list of authors
    search = page.locator("#portal").get_by_role("combobox")
    search.wait_for()
    search.press_sequentially(NEW_LEAD.split()[0])
    page.locator("#portal").get_by_text(NEW_LEAD, exact=True).wait_for()
    shot(page, "outline-2-choosing")
    page.keyboard.press("Enter")
    expect(_cell(grid, LEAD_COLUMN, row)).to_have_text(NEW_LEAD)
    wait_idle(page)

    page.get_by_role("button", name="Save all changes").click()
    wait_idle(page)
    expect(
        page.get_by_test_id("stAlert").filter(has_text="Saved changes to 1 section.")
    ).to_be_visible()
    # The CLA stays on the tab they saved from; its grid is rebuilt from the database.
    expect(assignments).to_have_attribute("aria-selected", "true")
    expect(_cell(grid, LEAD_COLUMN, row)).to_have_text(NEW_LEAD)
    shot(page, "outline-3-saved")

    page.get_by_role("tab", name="Outline", exact=True).click()
    expect(card).to_contain_text(f"Lead: {NEW_LEAD}")
    expect(card).not_to_contain_text(f"Lead: {OLD_LEAD}")
    card.scroll_into_view_if_needed()
    shot(page, "outline-4-outline-tab")

    with db_session(app_db_url) as s:
        after = _leads(s)
    assert after[CODE] == new_id
    assert {c: v for c, v in after.items() if c != CODE} == {
        c: v for c, v in before.items() if c != CODE
    }
