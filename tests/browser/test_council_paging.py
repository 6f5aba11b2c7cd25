"""A Council member pages through a long chapter; reload, Back and a shared link keep the place.

In a module of its own: it adds sixty sections to the demo's first question, which
changes the report's content (and so its version) for every test on the same app.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import select

from tests import factories
from tests.browser.conftest import db_session, go_to, shot, sign_in, wait_idle
from workbench import people, sections
from workbench.models import Question, Report

MEMBER = "meilin.tan@demo.ipsp.example"
CLA = "amina.diallo@demo.ipsp.example"
ADDED = 60


def add_long_question(database_url: str) -> list[str]:
    """Add sixty short sections to living-wages's first question; return its headings in order."""
    with db_session(database_url) as s:
        report = s.exec(select(Report).where(Report.slug == "living-wages")).one()
        known = [x for x in sections.list_sections(s, report.id) if x.question == Question.known]
        if len(known) < ADDED:
            lead = people.get_by_email(s, CLA)
            for n in range(ADDED):
                factories.make_section(
                    s, report, f"1.{n + 10}", Question.known, lead=lead, text=f"Paragraph {n}."
                )
            known = [
                x for x in sections.list_sections(s, report.id) if x.question == Question.known
            ]
        return [f"{x.code} {x.title}" for x in known]


def shown_sections(tab) -> list[str]:
    """Return the section headings the page shows (h3), in order."""
    return [
        text.strip()
        for text in tab.get_by_test_id("stMain").locator("h3").all_inner_texts()
        if re.match(r"^\d+\.\d+ ", text.strip())
    ]


def test_pages_of_a_long_chapter_survive_reload_back_and_a_shared_link(page, app_url, app_db_url):
    titles = add_long_question(app_db_url)
    total = len(titles)
    sign_in(page, app_url, MEMBER)
    go_to(page, "Council")
    page.get_by_role("tab", name="Read the report").click()
    page.get_by_role("heading", name="Contents", exact=True).wait_for()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    main.get_by_test_id("stRadio").filter(has_text="Chapters").get_by_text(
        "1. What is known?", exact=True
    ).click()
    expect(page.get_by_role("heading", name="1. What is known?")).to_be_in_viewport(timeout=20_000)
    wait_idle(page)
    assert shown_sections(page) == titles[:20]
    expect(main.get_by_text(f"page 1 of 4 · sections 1–20 of {total}").first).to_be_visible()

    # A double click on Next turns one page, not two.
    main.get_by_role("button", name=re.compile(r"^Next page \(sections 21–40")).dblclick()
    expect(main.get_by_text(f"page 2 of 4 · sections 21–40 of {total}").first).to_be_visible()
    wait_idle(page)
    assert shown_sections(page) == titles[20:40]
    assert "chapter=q-known" in page.url and "page=2" in page.url
    shot(page, "council-paging-1-page-2")

    # A section on another page, chosen in the contents: its page opens at the section.
    picker = main.get_by_test_id("stSelectbox").filter(has_text="Go to a section on another page")
    picker.click()
    page.keyboard.type(titles[45])
    page.get_by_role("option", name=titles[45]).click()
    wanted = page.get_by_role("heading", name=titles[45])
    expect(wanted).to_be_in_viewport(timeout=20_000)
    wait_idle(page)
    assert shown_sections(page) == titles[40:60] and "page=3" in page.url

    # Reload keeps the chapter and the page.
    page.reload()
    page.get_by_role("heading", name="Contents", exact=True).wait_for()
    wait_idle(page)
    expect(page.get_by_role("heading", name=titles[45])).to_have_count(1)
    assert shown_sections(page) == titles[40:60]

    # Back returns to the page before.
    page.go_back()
    expect(page.get_by_role("heading", name=titles[20])).to_have_count(1)
    wait_idle(page)
    assert shown_sections(page) == titles[20:40] and "page=2" in page.url

    # The address opens the same place in another browser tab (a shared link).
    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_role("heading", name="Contents", exact=True).wait_for()
    wait_idle(other)
    assert shown_sections(other) == titles[20:40]
    shot(other, "council-paging-2-shared-link")
    other.close()
