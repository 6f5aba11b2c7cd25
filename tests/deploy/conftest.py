"""Fixtures for the deployment tests: the app on a copy of the demo, and Chromium."""

from __future__ import annotations

from tests.browser.conftest import browser
from tests.pages.conftest import demo_url, open_page

__all__ = ["browser", "demo_url", "open_page"]
