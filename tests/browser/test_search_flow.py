"""The workspace search in a real browser: the sidebar box, ranked results, a link, Back, reload."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import shot, sign_in, wait_idle

CLA = "amina.diallo@demo.ipsp.example"


def test_search_from_the_sidebar_and_back(page, app_url):
    sign_in(page, app_url, CLA)
    box = page.get_by_test_id("stSidebar").get_by_role("textbox", name="Search")
    box.fill("procurement")
    box.press("Enter")
    page.get_by_role("heading", name="Search").wait_for()
    wait_idle(page)
    assert "q=procurement" in page.url
    results = page.get_by_test_id("stMain")
    # Ranked hits with the word in bold, each a link to where it is.
    expect(results.locator("strong", has_text="procurement").first).to_be_visible()
    link = results.get_by_role("link", name="R5")
    expect(link).to_be_visible()
    expect(box).to_have_value("")
    shot(page, "search-results")

    link.click()
    page.get_by_role("heading", name="Recommendations").wait_for()
    wait_idle(page)

    page.go_back()
    page.get_by_role("heading", name="Search").wait_for()
    wait_idle(page)
    assert "q=procurement" in page.url
    expect(page.get_by_test_id("stMain").get_by_role("link", name="R5")).to_be_visible()

    page.reload()
    page.get_by_role("heading", name="Search").wait_for()
    wait_idle(page)
    expect(page.get_by_test_id("stMain").get_by_role("link", name="R5")).to_be_visible()
    assert "q=procurement" in page.url
