"""Fixtures for the deployment tests: the app on a copy of the demo (Chromium: tests/conftest)."""

from __future__ import annotations

from tests.pages.conftest import demo_url, open_page

__all__ = ["demo_url", "open_page"]
