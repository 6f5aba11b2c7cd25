"""Staying signed in, and links that land, in a real browser.

A reload, a bookmark, a link or a second tab of the same browser keeps the
person signed in (a signed session cookie); signing out ends every tab; a
deactivated person is signed out at their next action; a link opened signed out
lands on its page after signing in; a page one's roles cannot use says "Not
permitted"; the Review page keeps its round and filters in the address.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import Session

from tests.browser.conftest import PASSWORD, db_session, go_to, shot, sign_in, wait_idle
from workbench import people, reports, sections, sessions
from workbench.db import make_engine

LA = "wei.zhang@demo.ipsp.example"
CLA = "amina.diallo@demo.ipsp.example"
CONTRIBUTOR = "alex.moreau@demo.ipsp.example"
SECRETARIAT = "secretariat@demo.ipsp.example"


def fill_sign_in(tab, email: str) -> None:
    """Sign in with the form already on the page."""
    tab.get_by_role("textbox", name="Email").fill(email)
    tab.get_by_role("textbox", name="Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in", exact=True).click()


def sign_in_and_keep(tab, app_url: str, email: str) -> None:
    """Sign in, and wait until the browser holds the session cookie (set just after)."""
    sign_in(tab, app_url, email)
    tab.wait_for_function(f"document.cookie.includes('{sessions.COOKIE_NAME}=')")


def section_id(database_url: str, code: str) -> int:
    """Return the id of a section of the demo's living-wages report."""
    with db_session(database_url) as s:
        report = reports.get_report(s, "living-wages")
        return next(x.id for x in sections.list_sections(s, report.id) if x.code == code)


def test_a_link_on_a_fresh_server_asks_to_sign_in_then_lands_on_its_page(page, app_url, app_db_url):
    # The module's server has answered no request yet: this is its first.
    wanted = section_id(app_db_url, "1.2")
    page.goto(f"{app_url}/write?section={wanted}")
    page.get_by_role("textbox", name="Email").wait_for()
    wait_idle(page)
    shot(page, "sessions-link-signed-out")
    # The sign-in form alone: no "Page not found", no sidebar listing the files.
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_test_id("stSidebarNav").count() == 0
    assert page.get_by_text("Please sign in first").count() == 0
    fill_sign_in(page, LA)
    page.get_by_role("heading", name="Write").wait_for()
    wait_idle(page)
    assert f"section={wanted}" in page.url
    assert page.get_by_role("heading", name="1.2 The living-wage gap").is_visible()
    nav = page.get_by_test_id("stSidebarNav").inner_text()
    assert "Write" in nav and "Dashboard" in nav
    assert not {"app", "admin", "write", "views"} & set(nav.split())
    shot(page, "sessions-link-landed")


def test_a_reload_and_a_second_tab_stay_signed_in(page, app_url, app_db_url):
    sign_in_and_keep(page, app_url, LA)
    go_to(page, "Evidence")
    page.get_by_role("heading", name="Evidence").wait_for()
    cookie = next(c for c in page.context.cookies() if c["name"] == sessions.COOKIE_NAME)
    # Signed, revocable, sent only to this site (not HttpOnly: a script sets it).
    assert cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]  # plain http here; over https it is Secure
    with db_session(app_db_url) as s:
        secret = sessions.secret_key(app_db_url)  # the key the server made beside its database
        assert sessions.resume(session=s, cookie=cookie["value"], secret=secret) is not None

    page.reload()
    page.get_by_role("heading", name="Evidence").wait_for()
    wait_idle(page)
    assert page.get_by_test_id("stSidebar").get_by_text("Zhang Wei").is_visible()
    assert page.get_by_role("textbox", name="Password").count() == 0
    shot(page, "sessions-after-reload")

    second = page.context.new_page()
    second.goto(f"{app_url}/team")
    second.get_by_role("heading", name="Team").wait_for()
    wait_idle(second)
    assert second.get_by_test_id("stSidebar").get_by_text("Zhang Wei").is_visible()
    shot(second, "sessions-second-tab")
    second.close()


def test_signing_out_signs_out_every_tab(page, app_url):
    sign_in_and_keep(page, app_url, CLA)
    other = page.context.new_page()
    other.goto(f"{app_url}/evidence")
    other.get_by_role("heading", name="Evidence").wait_for()
    wait_idle(other)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("textbox", name="Email").wait_for()
    wait_idle(page)
    assert sessions.COOKIE_NAME not in {c["name"] for c in page.context.cookies()}

    # The other tab still shows the page; its next action finds the session ended.
    go_to(other, "Team")
    other.get_by_role("textbox", name="Email").wait_for()
    wait_idle(other)
    assert other.get_by_text("you signed out in another tab or window").is_visible()
    assert other.get_by_role("heading", name="Team").count() == 0
    shot(other, "sessions-other-tab-signed-out")
    other.reload()
    other.get_by_role("textbox", name="Email").wait_for()
    other.close()


def test_a_page_the_roles_cannot_use_says_not_permitted(page, app_url):
    sign_in_and_keep(page, app_url, LA)
    page.goto(f"{app_url}/admin")
    page.get_by_text("Not permitted.").wait_for()
    wait_idle(page)
    assert page.get_by_text("this needs the role of Secretariat").is_visible()
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_role("textbox", name="Email").count() == 0
    # The sidebar still lists only the pages a Lead Author uses.
    assert "Admin" not in page.get_by_test_id("stSidebarNav").inner_text()
    shot(page, "sessions-not-permitted")


def test_the_review_page_keeps_its_round_and_filters_in_the_address(page, app_url):
    sign_in_and_keep(page, app_url, CLA)
    go_to(page, "Review")
    page.get_by_role("heading", name="Review").wait_for()
    wait_idle(page)
    search = page.get_by_role("textbox", name="Search comments, suggestions and responses")
    search.fill("wage")
    search.press("Enter")
    wait_idle(page)
    page.get_by_text("Awaiting a response only").click()
    wait_idle(page)
    assert "review_filter_text=wage" in page.url and "report=living-wages" in page.url
    # Away and back: the choices are still there.
    go_to(page, "Dashboard")
    page.get_by_role("heading", name="Dashboard").wait_for()
    go_to(page, "Review")
    page.get_by_role("heading", name="Review").wait_for()
    expect(search).to_have_value("wage")
    # A filter left at "All sections and parts" reads so (not as an empty choice) when drawn
    # again.
    section_filter = page.locator(".st-key-review_filter_section").get_by_role("combobox")
    expect(section_filter).to_have_value("All sections and parts")
    wait_idle(page)
    link = page.url
    assert "review_filter_open=true" in link
    # The address shared: another tab opens the same view.
    other = page.context.new_page()
    other.goto(link)
    other.get_by_role("heading", name="Review").wait_for()
    expect(
        other.get_by_role("textbox", name="Search comments, suggestions and responses")
    ).to_have_value("wage")
    expect(other.get_by_role("checkbox", name="Awaiting a response only")).to_be_checked()
    wait_idle(other)
    shot(other, "sessions-review-link")
    other.close()


def test_a_deactivated_person_is_signed_out_at_their_next_action(page, app_url, app_db_url):
    sign_in_and_keep(page, app_url, CONTRIBUTOR)
    go_to(page, "Evidence")
    page.get_by_role("heading", name="Evidence").wait_for()
    engine = make_engine(app_db_url)
    with Session(engine, expire_on_commit=False) as s:
        people.update_person(
            session=s,
            actor=people.get_by_email(s, SECRETARIAT),
            person=people.get_by_email(s, CONTRIBUTOR),
            active=False,
        )
    engine.dispose()
    go_to(page, "Team")
    page.get_by_text("your account has been deactivated").wait_for()
    wait_idle(page)
    assert page.get_by_role("textbox", name="Email").is_visible()
    shot(page, "sessions-deactivated")
    # And the cookie no longer signs them in.
    page.reload()
    page.get_by_role("textbox", name="Email").wait_for()
