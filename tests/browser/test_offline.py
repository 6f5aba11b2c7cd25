"""The app asks no other host for anything: no fonts, icons or pictures from outside.

A Panel may run the workbench where there is no internet, and a request to another
host would also tell that host who reads what.
"""

from __future__ import annotations

from tests.browser.conftest import go_to, shot, sign_in, wait_idle

PAGES = ["Dashboard", "Write", "Evidence", "Review", "Council", "Team"]


def test_no_request_leaves_the_app(page, app_url):
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((app_url, "data:", "blob:"))
            else outside.append(request.url)
        ),
    )
    sign_in(page, app_url, "amina.diallo@demo.ipsp.example")
    for title in PAGES:
        go_to(page, title)
        wait_idle(page)
    shot(page, "offline-last-page")
    assert outside == []
