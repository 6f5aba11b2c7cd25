"""A lead author's day: write in their section, save, and see it on the Dashboard.

In a module of its own: saving text changes the report's text hash, which voids the
Council decision the Council test votes on.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.conftest import db_session, go_to, shot, sign_in, wait_idle
from workbench import people, sections
from workbench.models import Report, Section, SectionRevision

LA = "wei.zhang@demo.ipsp.example"  # Zhang Wei, lead author of 3.1 in living-wages
REPORT = "living-wages"
CODE = "3.1"
TITLE = "Employer market power and weakened bargaining"
SENTENCE = "Browser check: purple giraffes negotiate wages on Tuesdays."
MESSAGE = "Added the browser-test sentence"


def _section(s) -> Section:
    report = s.exec(select(Report).where(Report.slug == REPORT)).one()
    return s.exec(select(Section).where(Section.report_id == report.id, Section.code == CODE)).one()


def test_lead_author_saves_text_and_sees_it_on_the_dashboard(page, app_url, app_db_url):
    with db_session(app_db_url) as s:
        before = _section(s)
        words_before, target = before.words, before.word_target
        head_before = sections.get_revision(s, before.head_revision_id).number

    sign_in(page, app_url, LA)
    card = (
        page.get_by_test_id("stVerticalBlock")
        .filter(has_text=f"{CODE} {TITLE}")
        .filter(has_text="words")
        .last
    )
    expect(card).to_contain_text(f"{words_before:,} / {target:,} words")
    expect(card).to_contain_text("You are the lead author.")
    shot(page, "write-1-dashboard-before")

    go_to(page, "Write")
    page.get_by_role("heading", name="Write", exact=True).wait_for()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Section").click()
    page.get_by_role("option", name=f"{CODE} {TITLE} — you lead it").click()
    page.get_by_role("heading", name=f"{CODE} {TITLE}").wait_for()
    wait_idle(page)
    expect(page.get_by_text("All changes saved (revision")).to_be_visible()
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_disabled()

    editor = page.get_by_role("textbox", name="Text (Markdown)")
    editor.fill(editor.input_value().rstrip() + "\n\n" + SENTENCE + "\n")
    editor.press("Control+Enter")  # Streamlit takes the text on Ctrl+Enter (or on leaving the box)
    wait_idle(page)
    expect(page.get_by_text("● Unsaved changes, based on revision")).to_be_visible()
    expect(
        page.get_by_test_id("stMarkdownContainer").filter(has_text=SENTENCE).first
    ).to_be_visible()
    message = page.get_by_role("textbox", name="What did you change?")
    message.fill(MESSAGE)
    message.press("Enter")
    wait_idle(page)
    expect(save).to_be_enabled()
    save.scroll_into_view_if_needed()
    shot(page, "write-2-edited")

    save.click()
    wait_idle(page)
    saved = f"Saved revision {head_before + 1} of section {CODE}."
    expect(page.get_by_test_id("stAlert").filter(has_text=saved)).to_be_visible()
    expect(page.get_by_text(f"All changes saved (revision {head_before + 1}).")).to_be_visible()
    expect(message).to_have_value("")
    shot(page, "write-3-saved")

    with db_session(app_db_url) as s:
        section = _section(s)
        head = s.get(SectionRevision, section.head_revision_id)
        author = people.get_by_email(s, LA)
        assert head.number == head_before + 1
        assert head.text.rstrip().endswith(SENTENCE)
        assert head.message == MESSAGE
        assert head.author_id == author.id
        assert head.words == section.words == sections.word_count(head.text)
        words_after = section.words
    assert words_after == words_before + sections.word_count(SENTENCE)

    go_to(page, "Dashboard")
    page.get_by_role("heading", name="Dashboard").wait_for()
    wait_idle(page)
    expect(card).to_contain_text(f"{words_after:,} / {target:,} words")
    expect(card).not_to_contain_text(f"{words_before:,} / {target:,} words")
    shot(page, "write-4-dashboard-after")
