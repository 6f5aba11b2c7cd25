"""Signing in and out in a real browser."""

from __future__ import annotations

from tests.browser.conftest import PASSWORD, shot, sign_in


def test_wrong_password_then_sign_in_and_out(page, app_url):
    page.goto(app_url)
    page.get_by_role("textbox", name="Email").fill("wei.zhang@demo.ipsp.example")
    page.get_by_role("textbox", name="Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text("do not match an account").wait_for()
    shot(page, "sign-in-refused")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_test_id("stSidebar").get_by_text("Zhang Wei").is_visible()
    shot(page, "dashboard-lead-author")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("textbox", name="Email").wait_for()


def test_sign_in_helper(page, app_url):
    sign_in(page, app_url, "amina.diallo@demo.ipsp.example")
    assert page.get_by_test_id("stSidebar").get_by_text("Coordinating Lead Author").is_visible()
