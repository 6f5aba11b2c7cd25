"""The Write page in Chromium: citing at the cursor, a preview that reads like the export, and
two co-authors whose edits merge by themselves.

In a module of its own (with its own server and demo copy): saving text changes the report's
version, which voids the Council decision other browser tests vote on.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.conftest import db_session, go_to, shot, sign_in, wait_idle
from workbench import people
from workbench.models import Report, Section, SectionRevision

LA = "wei.zhang@demo.ipsp.example"  # Zhang Wei leads 3.1 in living-wages
CO_AUTHOR = "alex.moreau@demo.ipsp.example"  # Alex Moreau co-authors 3.1
REPORT = "living-wages"
CODE = "3.1"
TITLE = "Employer market power and weakened bargaining"


def _section(s) -> Section:
    report = s.exec(select(Report).where(Report.slug == REPORT)).one()
    return s.exec(select(Section).where(Section.report_id == report.id, Section.code == CODE)).one()


def _head(database_url: str) -> SectionRevision:
    with db_session(database_url) as s:
        section = _section(s)
        revision = s.get(SectionRevision, section.head_revision_id)
        s.expunge(revision)
        return revision


def _open_section(tab, app_url: str, email: str, *, whose: str) -> None:
    """Sign in and open section 3.1 on the Write page."""
    sign_in(tab, app_url, email)
    go_to(tab, "Write")
    tab.get_by_role("heading", name="Write", exact=True).wait_for()
    wait_idle(tab)
    tab.get_by_test_id("stSelectbox").filter(has_text="Section").click()
    tab.get_by_role("option", name=f"{CODE} {TITLE} — {whose}").click()
    tab.get_by_role("heading", name=f"{CODE} {TITLE}").wait_for()
    wait_idle(tab)


def _editor(tab):
    return tab.get_by_role("textbox", name="Text (Markdown)")


def _preview(tab):
    return tab.locator("[class*='st-key-write_preview_']")


def _commit(tab, box) -> None:
    """Send the text box's text to the app, as leaving the box or Ctrl+Enter does."""
    box.press("Control+Enter")
    wait_idle(tab)


def _one_choice_showing(page, start: str) -> None:
    """Wait until the picker shows one choice box, whose value begins with ``start``.

    While Streamlit reruns, the box of the previous run can stand beside the new one
    for a moment: the wait is on both conditions at once, not one after the other.
    """
    page.wait_for_function(
        """start => {
            const boxes = [...document.querySelectorAll(
                "[class*='st-key-write_cite_choice_'] input")];
            return boxes.length === 1 && boxes[0].value.startsWith(start);
        }""",
        arg=start,
        timeout=10_000,
    )


def test_the_picker_inserts_the_source_it_shows_where_the_cursor_is(page, app_url):
    _open_section(page, app_url, LA, whose="you lead it")
    editor = _editor(page)
    editor.fill("Migrant workers are exposed.\nWages are low.\n")
    _commit(page, editor)

    # The cursor goes before the full stop of the first line, and the author types on
    # (text not yet sent to the app when the button is clicked).
    editor.click()
    editor.press("Control+Home")
    editor.press("End")
    editor.press("ArrowLeft")
    editor.press_sequentially(" abroad")

    page.get_by_text("Cite a source from the report's library").click()
    search = page.get_by_role("textbox", name="Search by author, title or citation key")
    search.fill("monopsony")
    search.press("Enter")
    wait_idle(page)
    _one_choice_showing(page, "Lindqvist, Erik")
    # A second search: the box shows its first match (it kept showing the earlier one).
    search.fill("taufa")
    search.press("Enter")
    wait_idle(page)
    _one_choice_showing(page, "Taufa, Sione")
    expect(page.get_by_text("Reads in the text as (Taufa and Morgan 2023).")).to_be_visible()
    shot(page, "write-page-1-picker-shows-taufa")

    page.get_by_role("button", name="Insert at the cursor").click()
    wait_idle(page)
    expect(
        page.get_by_text("Inserted (Taufa and Morgan 2023) where the cursor was.")
    ).to_be_visible()
    expect(editor).to_have_value(
        "Migrant workers are exposed abroad [@taufa2023pacific].\nWages are low.\n"
    )
    # The cursor stands right after the citation, in the text box, ready to type on.
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.tagName === 'TEXTAREA'"
        " && document.activeElement.selectionStart === "
        f"{len('Migrant workers are exposed abroad [@taufa2023pacific]')}"
    )
    expect(_preview(page)).to_contain_text(
        "Migrant workers are exposed abroad (Taufa and Morgan 2023)."
    )
    expect(_preview(page)).not_to_contain_text("[@")
    shot(page, "write-page-2-inserted-at-the-cursor")


def test_the_preview_renders_citations_with_references_and_marks_unknown_keys(page, app_url):
    _open_section(page, app_url, LA, whose="you lead it")
    preview = _preview(page)
    expect(preview).to_contain_text("(Lindqvist and Barros 2022, 17)")
    expect(preview).to_contain_text("References")
    expect(preview).to_contain_text("Lindqvist, Erik, and Paula Barros. 2022.")
    expect(preview).not_to_contain_text("[@")
    shot(page, "write-page-3-preview-renders-citations")

    editor = _editor(page)
    editor.fill(editor.input_value() + "A claim with a mistyped key [@taufa2032pacific].\n")
    _commit(page, editor)
    marked = preview.get_by_text("taufa2032pacific?")
    expect(marked).to_be_visible()
    background = marked.evaluate("el => getComputedStyle(el.closest('span') || el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), "the unknown key stands out"
    expect(preview).to_contain_text("Not in the report's library (marked above): taufa2032pacific")
    expect(preview).not_to_contain_text("[@")
    marked.scroll_into_view_if_needed()
    shot(page, "write-page-4-unknown-key-marked")


def test_co_authors_edits_in_different_places_merge_by_themselves(browser, app_url, app_db_url):
    base = _head(app_db_url)
    lines = base.text.splitlines(keepends=True)
    first = "In a textbook labour market, an underpaying employer would lose its staff."
    last = "How large that power is in low-income countries remains much less certain."
    lead = browser.new_context(viewport={"width": 1400, "height": 1000})
    co = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        mine, theirs = lead.new_page(), co.new_page()
        for tab in (mine, theirs):
            tab.set_default_timeout(30_000)
        _open_section(mine, app_url, LA, whose="you lead it")
        _open_section(theirs, app_url, CO_AUTHOR, whose="you co-author it")

        # Zhang Wei rewrites the first sentence...
        editor = _editor(mine)
        editor.fill("".join([first + "\n", *lines[1:]]))
        _commit(mine, editor)
        # ...while Alex Moreau rewrites the last one and saves first.
        other = _editor(theirs)
        other.fill("".join([*lines[:-1], last + "\n"]))
        _commit(theirs, other)
        theirs.get_by_role("button", name="Save", exact=True).click()
        wait_idle(theirs)
        expect(
            theirs.get_by_text(f"Saved revision {base.number + 1} of section {CODE}.")
        ).to_be_visible()
        their_revision = _head(app_db_url)

        mine.get_by_role("button", name="Save", exact=True).click()
        wait_idle(mine)
        expect(mine.get_by_text("Alex Moreau saved revision")).to_be_visible()
        expect(mine.get_by_text("in different places, so both are kept")).to_be_visible()
        merged = mine.locator("[class*='st-key-write_merged_']")
        expect(merged).to_contain_text(first)
        expect(merged).to_contain_text(last)
        expect(merged).not_to_contain_text("[@")
        shot(mine, "write-page-5-merged-by-itself")

        mine.get_by_role("button", name="Save the merged text").click()
        wait_idle(mine)
        expect(
            mine.get_by_text(f"Saved revision {base.number + 2} of section {CODE}.")
        ).to_be_visible()
        shot(mine, "write-page-6-merged-and-saved")
    finally:
        lead.close()
        co.close()

    saved = _head(app_db_url)
    assert saved.parent_id == their_revision.id, "saved on top of the co-author's revision"
    assert saved.text == "".join([first + "\n", *lines[1:-1], last + "\n"])
    with db_session(app_db_url) as s:
        assert saved.author_id == people.get_by_email(s, LA).id
        assert their_revision.author_id == people.get_by_email(s, CO_AUTHOR).id
