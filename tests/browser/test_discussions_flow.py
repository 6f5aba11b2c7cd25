"""Discussions in Chromium: a co-author mentions the lead author, who sees the inbox badge and
lands on the thread; a lead author resolves a thread on a line range beside the text.

In a module of its own (with its own server and demo copy): the threads and notifications
it makes would change what other browser tests count.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.conftest import db_session, go_to, shot, sign_in, wait_idle
from workbench import discussions, notifications, people
from workbench.models import (
    DiscussionMessage,
    DiscussionTarget,
    DiscussionThread,
    Notification,
    Report,
    Section,
)

LA = "wei.zhang@demo.ipsp.example"  # Zhang Wei leads 3.1 in living-wages
CO_AUTHOR = "alex.moreau@demo.ipsp.example"  # Alex Moreau co-authors 3.1
REPORT = "living-wages"
CODE = "3.1"
TITLE = "Employer market power and weakened bargaining"


def _section(s) -> Section:
    report = s.exec(select(Report).where(Report.slug == REPORT)).one()
    return s.exec(select(Section).where(Section.report_id == report.id, Section.code == CODE)).one()


def _inbox_entry(tab):
    return tab.get_by_test_id("stSidebarNav").get_by_text(re.compile(r"^Inbox( \(\d+\))?$"))


def test_a_mention_reaches_the_inbox_and_opens_the_thread(browser, page, app_url, app_db_url):
    # Alex starts a discussion on 3.1 from the Discussions page and mentions Zhang Wei.
    sign_in(page, app_url, CO_AUTHOR)
    go_to(page, "Discussions")
    page.get_by_role("heading", name="Discussions", exact=True).wait_for()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="About").click()
    page.keyboard.type(f"{CODE} {TITLE}")
    page.get_by_role("option", name=f"Section {CODE} {TITLE}").click()
    wait_idle(page)
    page.get_by_role("textbox", name="Title").fill("Monopsony estimates for 3.1")
    page.get_by_role("textbox", name="First message (Markdown)").fill(
        "Are the **2023** estimates still the best we have? <b>not bold</b>"
    )
    page.get_by_test_id("stMultiSelect").filter(has_text="Mention").click()
    page.keyboard.type("Zhang")
    page.get_by_role("option", name="Zhang Wei").click()
    page.keyboard.press("Escape")
    # Twice, as an impatient person does: one thread.
    page.get_by_role("button", name="Start the discussion").dblclick()
    wait_idle(page)
    # The second click's run may start a moment after the first one's rerun has ended.
    page.wait_for_timeout(2000)
    wait_idle(page)
    # The new thread is listed and open, its first message shown.
    expect(
        page.locator("[class*='st-key-disc_thread_']").filter(
            has_text="estimates still the best we have?"
        )
    ).to_have_count(1)
    shot(page, "discussions-started")
    with db_session(app_db_url) as s:
        threads = s.exec(
            select(DiscussionThread).where(DiscussionThread.title == "Monopsony estimates for 3.1")
        ).all()
        assert len(threads) == 1
        thread_id = threads[0].id
        la = people.get_by_email(s, LA)
        unread = notifications.unread_count(s, la.id)
        note = s.exec(
            select(Notification).where(
                Notification.person_id == la.id,
                Notification.key.like("mention:%"),
                Notification.link.like(f"%thread={thread_id}"),
            )
        ).one()

    # Zhang Wei signs in (another browser), sees the badge, opens the inbox and the thread.
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = other.new_page()
    tab.set_default_timeout(30_000)
    try:
        sign_in(tab, app_url, LA)
        expect(_inbox_entry(tab)).to_have_text(f"Inbox ({unread})")
        shot(tab, "discussions-badge")
        _inbox_entry(tab).click()
        tab.get_by_role("heading", name="Inbox", exact=True).wait_for()
        wait_idle(tab)
        item = tab.locator(f".st-key-inbox_item_{note.id}")
        expect(item).to_contain_text("mentions you")
        shot(tab, "discussions-inbox")
        item.get_by_role("button", name="Open").click()
        tab.get_by_role("heading", name=f"{CODE} {TITLE}").wait_for()
        wait_idle(tab)
        assert f"thread={thread_id}" in tab.url
        thread_box = tab.locator(f"[class*='st-key-write_talk_'][class*='_thread_{thread_id}']")
        expect(thread_box).to_contain_text("estimates still the best we have?")
        # The author's HTML is shown as text, never applied.
        expect(thread_box).to_contain_text("not bold")
        expect(thread_box.locator("b")).to_have_count(0)
        expect(_inbox_entry(tab)).to_have_text("Inbox" if unread == 1 else f"Inbox ({unread - 1})")
        shot(tab, "discussions-landed")
        # A reload keeps the thread open; Back returns to the inbox.
        tab.reload()
        tab.get_by_role("heading", name=f"{CODE} {TITLE}").wait_for()
        wait_idle(tab)
        expect(thread_box).to_contain_text("estimates still the best we have?")
        tab.go_back()
        tab.get_by_role("heading", name="Inbox", exact=True).wait_for()
    finally:
        other.close()


def test_a_lead_author_resolves_a_thread_on_a_line_range(page, app_url, app_db_url):
    with db_session(app_db_url) as s:
        section = _section(s)
        report = s.get(Report, section.report_id)
        thread = discussions.open_thread(
            session=s,
            actor=people.get_by_email(s, CO_AUTHOR),
            report=report,
            target=DiscussionTarget.section,
            target_id=section.id,
            title="Lines 2 to 3 need a source",
            body="These two lines state a figure without a citation.",
            from_line=2,
            to_line=3,
        )
        thread_id, section_id = thread.id, section.id
    sign_in(page, app_url, LA)
    go_to(page, "Write")
    page.get_by_role("heading", name="Write", exact=True).wait_for()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Section").click()
    page.get_by_role("option", name=f"{CODE} {TITLE} — you lead it").click()
    page.get_by_role("heading", name=f"{CODE} {TITLE}").wait_for()
    wait_idle(page)
    row = page.locator(f".st-key-write_talk_{section_id}_row_{thread_id}")
    expect(row).to_contain_text("Lines 2 to 3 need a source")
    expect(row).to_contain_text("lines 2–3")
    preview = page.locator(f".st-key-write_preview_{section_id}")
    # Lines 2–3 are marked in the preview (a coloured background around their text).
    marked = preview.locator("span[class*='stMarkdownColoredBackground']")
    expect(marked.first).to_be_visible()
    shot(page, "discussions-lines-marked")
    row.get_by_role("button", name="Open").click()
    wait_idle(page)
    expect(row).to_contain_text("These two lines state a figure without a citation.")
    row.get_by_role("button", name="Resolve").dblclick()
    wait_idle(page)
    expect(page.get_by_text("Resolved 'Lines 2 to 3 need a source'.")).to_be_visible()
    expect(row).to_contain_text("Resolved")
    expect(row.get_by_role("button", name="Reopen")).to_be_visible()
    shot(page, "discussions-resolved")
    with db_session(app_db_url) as s:
        resolved = s.get(DiscussionThread, thread_id)
        assert resolved.resolved_at is not None
        assert resolved.resolved_by_id == people.get_by_email(s, LA).id
        count = len(
            s.exec(select(DiscussionMessage).where(DiscussionMessage.thread_id == thread_id)).all()
        )
        assert count == 1
    page.reload()
    page.get_by_role("heading", name=f"{CODE} {TITLE}").wait_for()
    wait_idle(page)
    expect(page.locator(f".st-key-write_talk_{section_id}_row_{thread_id}")).to_contain_text(
        "Resolved"
    )
