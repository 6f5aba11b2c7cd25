"""Smaller things seen in the browser: the Translations grid, one confirmation per success,
the audit trail as sentences (filtered, downloaded as CSV), the Outline grid's columns and
the demo's progress over time.

Screenshots go to test-output/browser/small-*.png.
"""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from tests.browser.conftest import SHOTS, db_session, go_to, shot, sign_in, wait_idle
from workbench import people, reports, teams
from workbench.models import PersonCreate

CLA = "amina.diallo@demo.ipsp.example"
SECRETARIAT = "secretariat@demo.ipsp.example"
LIVING_WAGES = "Living Wages for All: Shared Responsibilities of States and Firms"
PRANKSTER = '=HYPERLINK("http://evil.example","Click")'


def _metric(tab, label: str):
    return (
        tab.get_by_test_id("stMetric")
        .filter(has=tab.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
        .get_by_test_id("stMetricValue")
    )


def _cell(grid, column: int, row: int):
    """Return the grid's accessible copy of a cell (the canvas draws what users see)."""
    return grid.get_by_test_id(f"glide-cell-{column}-{row}")


def _choose(tab, key: str, option: str) -> None:
    """Pick an option of the select box with this key."""
    tab.locator(f".st-key-{key}").get_by_test_id("stSelectbox").click()
    tab.keyboard.type(option)  # long lists only draw the options in view: narrow it first
    tab.get_by_role("option", name=option, exact=True).click()
    wait_idle(tab)


def test_translations_count_only_languages_to_translate_into(page, app_url):
    sign_in(page, app_url, CLA)
    go_to(page, "Translations")
    page.get_by_role("heading", name="Translations", exact=True).wait_for()
    wait_idle(page)
    # 14 sections × French, Spanish, Arabic, Chinese: English is what they are written in.
    # Up to date in the demo: X.1 in French (reviewed) and 2.1 in Spanish (translated).
    expect(_metric(page, "Up to date")).to_have_text("2 of 56")
    written = "is written in English (en) and translated into 4 languages"
    expect(page.get_by_text(written)).to_be_visible()
    grid = page.get_by_test_id("stDataFrame").first
    expect(_cell(grid, 1, 0)).to_have_text("—")  # 0.1 in French, the first language
    expect(_cell(grid, 1, 1)).to_have_text("⚠ stale")  # 1.1 in French: its source moved on
    shot(page, "small-1-translations")
    # Saving a translation (once, however often Save is clicked) is
    # tests/browser/test_translate_flow.py.


def test_the_audit_trail_reads_as_sentences_filters_and_downloads(
    page, app_url, app_db_url, tmp_path
):
    with db_session(app_db_url) as s:
        secretariat = people.get_by_email(s, SECRETARIAT)
        prankster = people.create_person(
            session=s,
            actor=secretariat,
            data=PersonCreate(email="prank@example.org", name=PRANKSTER, password=""),
        )
        teams.sign_ethics(session=s, actor=prankster)
        report_count = len(reports.list_reports(s))
    assert report_count == 2

    sign_in(page, app_url, SECRETARIAT)
    go_to(page, "Admin")
    page.get_by_role("tab", name="Audit").click()
    wait_idle(page)
    trail = page.get_by_test_id("stDataFrame").last
    # The newest events, in words, whole: who did what, naming people and records (never
    # "person #37" or JSON). A cell that starts like a formula shows an apostrophe first,
    # so the grid's own "Download as CSV" keeps it text.
    expect(_cell(trail, 1, 0)).to_have_text(
        f"'{PRANKSTER} signed the Code of Ethics (version 2026.1)."
    )
    expect(_cell(trail, 1, 1)).to_have_text(f"Panel Secretariat added {PRANKSTER}.")
    shot(page, "small-3-audit-trail")

    _choose(page, "admin_audit_report", LIVING_WAGES)
    _choose(page, "admin_audit_kind", "Section text saved")
    expect(_cell(trail, 1, 0)).to_have_text(
        re.compile(r"^.+ saved section \d\.\d '.+' \(revision \d+, [\d,]+ words\)\.$")
    )
    expect(_cell(trail, 1, 1)).to_have_text(re.compile(r" saved section \d\.\d '"))
    button = page.get_by_role("button", name=re.compile(r"^Download \d+ events as CSV$"))
    expect(button).to_be_visible()
    shot(page, "small-4-audit-filtered")

    _choose(page, "admin_audit_report", "Every report and the workspace")
    _choose(page, "admin_audit_kind", "Code of Ethics signed")
    # The page has rerun with the filter (a click during the rerun would reach the
    # button being replaced, and no download would start).
    expect(_cell(trail, 1, 0)).to_contain_text("signed the Code of Ethics")
    with page.expect_download() as caught:
        page.get_by_role("button", name=re.compile(r"^Download \d+ events? as CSV$")).click()
    download = caught.value
    assert re.fullmatch(r"audit-trail-\d{4}-\d\d-\d\d\.csv", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:5] == ["When (UTC)", "Who", "What happened", "Kind", "Report"]
    assert {row[3] for row in rows[1:]} == {"Code of Ethics signed"}
    prank = next(row for row in rows[1:] if "HYPERLINK" in row[1])
    # Formula-safe: a spreadsheet shows the name as text instead of running it.
    assert prank[1] == "'" + PRANKSTER and prank[2].startswith("'=HYPERLINK(")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_outline_grid_shows_whole_titles_and_parts(page, app_url):
    sign_in(page, app_url, CLA)
    go_to(page, "Outline & assignments")
    page.get_by_role("tab", name="Assignments & deadlines").click()
    wait_idle(page)
    help_text = page.get_by_text(re.compile(r"^A status moves one step at a time: "))
    expect(help_text).to_contain_text("Not started → Drafting → Ready for review → In review")
    expect(help_text).not_to_contain_text("_")
    grid = page.get_by_test_id("stDataFrame")
    expect(_cell(grid, 1, 13)).to_have_text("Cross-cutting")
    expect(_cell(grid, 2, 5)).to_have_text(
        "Who owes what? Sharing responsibility between states, firms and buyers"
    )
    shot(page, "small-5-outline-grid")
    # Wider than a 1,400-pixel window: the grid scrolls sideways to the last columns.
    scroller = grid.locator(".dvn-scroller")
    widths = scroller.evaluate("s => [s.scrollWidth, s.clientWidth]")
    assert widths[0] > widths[1]
    scroller.evaluate("s => { s.scrollLeft = s.scrollWidth; }")
    page.wait_for_timeout(300)
    shot(page, "small-6-outline-grid-scrolled")


def test_the_demo_progress_over_time_draws_a_line(page, app_url):
    sign_in(page, app_url, CLA)
    wait_idle(page)
    heading = page.get_by_role("heading", name="Progress over time")
    heading.scroll_into_view_if_needed()
    summary = page.get_by_text(re.compile(r"revisions saved over \d+ days"))
    expect(summary).to_be_visible()
    days = int(re.search(r"saved over (\d+) days", summary.inner_text()).group(1))
    assert days >= 20  # the demo's history spreads over months, not one day
    charts = page.get_by_test_id("stVegaLiteChart")
    chart = charts.nth(charts.count() - 1)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    chart.screenshot(path=str(SHOTS / "small-7-progress-over-time.png"))
