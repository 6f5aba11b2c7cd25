"""The entry point: sign-in, sign-out, and a navigation that fits each role."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, COUNCIL, LA, REVIEWER, ROOT, SECRETARIAT, texts
from workbench.db import create_all, make_engine


def test_sign_in_page_for_strangers(open_page):
    at = open_page("app.py", None)
    assert not at.exception
    assert "Sign in" in texts(at)
    at.text_input(key="signin_email").input(CLA)
    at.text_input(key="signin_password").input("wrong password")
    at.button[0].click().run()
    assert "do not match an account" in texts(at)
    assert "person_id" not in at.session_state or at.session_state["person_id"] is None


def test_sign_in_with_the_demo_password(open_page):
    at = open_page("app.py", None)
    at.text_input(key="signin_email").input(LA)
    at.text_input(key="signin_password").input("demo-workbench")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["person_id"] > 0
    assert "Dashboard" in texts(at)


def test_sidebar_shows_the_person_and_roles(open_page):
    at = open_page("app.py", CLA)
    assert not at.exception
    sidebar = "\n".join(str(m.value) for m in at.sidebar.markdown)
    assert "Amina Diallo" in sidebar and "Coordinating Lead Author" in sidebar


def test_every_role_gets_a_dashboard(open_page):
    for email in (CLA, LA, REVIEWER, COUNCIL, SECRETARIAT):
        at = open_page("app.py", email)
        assert not at.exception, email
        assert "Dashboard" in texts(at)


def test_the_demo_password_hint_shows_only_on_the_demo(open_page, tmp_path, monkeypatch):
    at = open_page("app.py", None)
    assert "Trying the demo?" in [e.label for e in at.expander]
    empty = tmp_path / "real.db"
    engine = make_engine(f"sqlite:///{empty}")
    create_all(engine)
    engine.dispose()
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{empty}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert "Sign in" in texts(at)
    assert "Trying the demo?" not in [e.label for e in at.expander]
