"""AppTest fixtures: the app on a copy of the demo workspace, signed in as anyone.

The demo is loaded once per test run into a SQLite file; every test gets its
own copy, so a test's writes never leak into another's.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from workbench import people
from workbench.db import make_engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_url(demo_template, tmp_path, monkeypatch) -> str:
    """Point the app at a fresh copy of the demo workspace; return its URL."""
    copy = tmp_path / "workbench.db"
    shutil.copy(demo_template, copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", url)
    return url


@pytest.fixture
def db(demo_url):
    """Yield a session on the test's copy of the demo workspace."""
    engine = make_engine(demo_url)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


@pytest.fixture
def open_page(demo_url) -> Callable[..., AppTest]:
    """Return a function that opens a page signed in as the person with this email."""

    def _open(page: str, email: str | None, *, report: str | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if email is not None:
            engine = make_engine(demo_url)
            with Session(engine) as s:
                at.session_state["person_id"] = people.get_by_email(s, email).id
            engine.dispose()
        if report is not None:
            at.session_state["report_slug"] = report
        at.run()
        if page != "app.py":
            at.switch_page(page)
            at.run()
        return at

    return _open


@pytest.fixture
def open_file(demo_url) -> Callable[..., AppTest]:
    """Return a function that runs one page file on its own, signed in as this email.

    This is how someone whose navigation does not offer the page would reach it
    (by its address), so it checks the page's own "not permitted". Extra keyword
    arguments become query parameters (``section="3"`` → ``?section=3``).
    """

    def _open(page: str, email: str, *, report: str | None = None, **query: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / page), default_timeout=60)
        engine = make_engine(demo_url)
        with Session(engine) as s:
            at.session_state["person_id"] = people.get_by_email(s, email).id
        engine.dispose()
        if report is not None:
            at.session_state["report_slug"] = report
        for name, value in query.items():
            at.query_params[name] = value
        return at.run()

    return _open


CLA = "amina.diallo@demo.ipsp.example"
LA = "wei.zhang@demo.ipsp.example"
CONTRIBUTOR = "alex.moreau@demo.ipsp.example"
REVIEW_EDITOR = "hiroshi.tanaka@demo.ipsp.example"
REVIEWER = "elisabeth.brandt@demo.ipsp.example"
COUNCIL = "marieclaire.dubois@demo.ipsp.example"
SECRETARIAT = "secretariat@demo.ipsp.example"
ROLES = {
    "cla": CLA,
    "lead_author": LA,
    "contributing_author": CONTRIBUTOR,
    "review_editor": REVIEW_EDITOR,
    "reviewer": REVIEWER,
    "council_member": COUNCIL,
    "secretariat": SECRETARIAT,
}


def texts(at: AppTest) -> str:
    """Return all text the page shows (markdown, titles, captions, alerts) as one string."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
    ):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    return "\n".join(parts)
