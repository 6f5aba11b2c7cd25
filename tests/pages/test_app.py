"""The entry point: sign-in, sign-out, and a navigation that fits each role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

import ui
from tests.pages.conftest import CLA, COUNCIL, LA, REVIEWER, ROOT, SECRETARIAT, texts
from workbench import audit, people, reports, sections, sessions
from workbench.db import create_all, make_engine
from workbench.models import SignInSession


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


# --------------------------------------------------------------------------- throttling


def test_repeated_failures_on_the_sign_in_page_say_when_to_try_again(open_page, monkeypatch):
    # The clock stands still at 14:30 UTC, so the 30-second lock cannot run out mid-test.
    monkeypatch.setattr(people, "utcnow", lambda: datetime(2026, 3, 2, 14, 30, tzinfo=UTC))
    at = open_page("app.py", None)
    for _ in range(5):
        at.text_input(key="signin_email").input(LA)
        at.text_input(key="signin_password").input("wrong password")
        at.button[0].click().run()
    assert not at.exception
    assert "Too many failed sign-ins for this account; try again after 14:30:30 UTC" in texts(at)
    at.text_input(key="signin_password").input("demo-workbench")
    at.button[0].click().run()
    assert (
        "Too many failed sign-ins for this account; try again after 14:30:30 UTC "
        "(in 30 seconds)." in [e.value for e in at.error]
    )
    assert at.session_state["person_id"] is None if "person_id" in at.session_state else True


# --------------------------------------------------------------------------- single sign-on


def provider_sign_in(user: dict) -> AppTest:
    """Run the app as someone an OpenID Connect provider has signed in, with these claims.

    AppTest (Streamlit 1.67) reads ``at.user`` as ``st.user`` for the run, and
    ``at.secrets`` as ``st.secrets``: an ``[auth]`` section there is what makes the
    app offer single sign-on. The timeout is short: the old code's rerun loop would
    otherwise keep the test busy for a minute before failing.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret",
        "client_id": "workbench",
        "client_secret": "test-client-secret",
        "server_metadata_url": "https://id.panel.example/.well-known/openid-configuration",
    }
    at.user = {"is_logged_in": True, **user}
    return at.run()


def assert_refused_page(at: AppTest, message: str) -> None:
    """Check the page says why, offers to sign out, and signed nobody in."""
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state["person_id"] is None if "person_id" in at.session_state else True
    assert not at.text_input  # the refusal is a page of its own, not the sign-in form
    at.button(key="provider_sign_out").click().run()
    assert not at.exception
    assert at.user == {"is_logged_in": False}
    assert not at.error and at.text_input(key="signin_email") is not None


def test_single_sign_on_with_a_verified_email_signs_in(demo_url):
    at = provider_sign_in({"email": LA.upper(), "email_verified": True})
    assert not at.exception
    assert at.session_state["person_id"] > 0
    assert "Dashboard" in texts(at)


def test_single_sign_on_refuses_an_unverified_email(demo_url):
    at = provider_sign_in({"email": LA, "email_verified": False})
    assert_refused_page(at, "has not confirmed that this address is yours")


def test_single_sign_on_refuses_a_deactivated_person_without_looping(demo_url, db):
    person = people.get_by_email(db, LA)
    person.active = False
    db.add(person)
    db.commit()
    at = provider_sign_in({"email": LA, "email_verified": True})
    assert_refused_page(at, f"The account for {LA} is deactivated")


def test_single_sign_on_refuses_an_unknown_person(demo_url):
    at = provider_sign_in({"email": "stranger@elsewhere.example", "email_verified": True})
    assert_refused_page(at, "no person in the workspace has that email")


# --------------------------------------------------------------------------- admin


def test_the_admin_page_says_why_a_password_is_refused(open_page, db):
    at = open_page("views/admin.py", SECRETARIAT)
    at.text_input(key="admin_people_search").input("elisabeth").run()
    reviewer = people.get_by_email(db, REVIEWER)
    at.text_input(key=f"admin_password_{reviewer.id}").input("1q2w3e4r5t6y")
    at.button(key="admin_set_password").click().run()
    assert not at.exception
    assert any("one of the most common passwords" in e.value for e in at.error)
    assert "was changed" not in texts(at)


def test_the_audit_trail_shows_what_came_from_the_command_line(open_page, db):
    admin = people.get_by_email(db, SECRETARIAT)
    with audit.origin("cli", os_user="clerk"):
        audit.record(db, admin, "update", "person", admin.id, fields=["name"])
    db.commit()
    at = open_page("views/admin.py", SECRETARIAT)
    trail = at.dataframe[-1].value
    assert trail["From"].iloc[0] == "command line (os user clerk)"
    assert trail["From"].iloc[1] == "app"


# --------------------------------------------------------------------------- staying signed in


@pytest.fixture
def browser_cookie(monkeypatch, demo_url):
    """Stand in for the browser's cookie jar (on a copy of the demo): each new AppTest is a tab.

    AppTest has no browser, so ``st.context.cookies`` is empty there; the app reads the
    session cookie through ``ui._session_cookie``, which this replaces.
    """
    monkeypatch.setenv(sessions.SECRET_ENV, "a key for the page tests, long enough to sign")
    jar: dict[str, str | None] = {"value": None}
    monkeypatch.setattr(ui, "_session_cookie", lambda: jar["value"])
    return jar


def sign_in_through_the_form(email: str, *, query: dict[str, str] | None = None, page=None):
    """Open the app signed out (at a page and query, if given) and sign in with the form."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    if page is not None:
        # Before the first run a page is known by its file name: the address /write.
        at.switch_page(page)
    at.run()
    assert shows_sign_in(at)
    at.text_input(key="signin_email").input(email)
    at.text_input(key="signin_password").input("demo-workbench")
    at.button[0].click().run()
    assert not at.exception
    return at


def written_cookie(at: AppTest) -> str:
    """Return the session cookie the page's script writes into the browser."""
    scripts = [e.proto.body for e in at.get("html") if "document.cookie" in e.proto.body]
    assert len(scripts) == 1, scripts
    body = scripts[0]
    assert f"{sessions.COOKIE_NAME}=" in body and "SameSite=Lax" in body
    return body.split(f"{sessions.COOKIE_NAME}=", 1)[1].split(";", 1)[0]


def shows_sign_in(at: AppTest) -> bool:
    """Return True when the page is the sign-in form."""
    return "signin_email" in [w.key for w in at.text_input]


def new_tab() -> AppTest:
    """Open the app in another tab of the same browser (or reload this one)."""
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def test_signing_in_gives_the_browser_a_signed_session_cookie(browser_cookie, db):
    at = sign_in_through_the_form(LA)
    cookie = written_cookie(at)
    row = db.exec(select(SignInSession)).one()
    assert row.person_id == people.get_by_email(db, LA).id and row.ended_at is None
    assert sessions.resume(session=db, cookie=cookie).id == row.id


def test_a_reload_or_a_second_tab_stays_signed_in(browser_cookie, db):
    first = sign_in_through_the_form(LA)
    browser_cookie["value"] = written_cookie(first)
    for _ in range(2):  # a reload, then another tab
        tab = new_tab()
        assert not tab.exception
        assert "Dashboard" in texts(tab) and not shows_sign_in(tab)
        assert "Zhang Wei" in "\n".join(str(m.value) for m in tab.sidebar.markdown)


def test_a_tampered_cookie_shows_the_sign_in_form(browser_cookie):
    first = sign_in_through_the_form(LA)
    cookie = written_cookie(first)
    browser_cookie["value"] = cookie[:-3] + ("xyz" if not cookie.endswith("xyz") else "abc")
    tab = new_tab()
    assert not tab.exception
    assert shows_sign_in(tab) and "Dashboard" not in texts(tab)


def test_signing_out_signs_out_the_other_tabs_at_their_next_action(browser_cookie, db):
    first = sign_in_through_the_form(LA)
    browser_cookie["value"] = written_cookie(first)
    other = new_tab()
    assert "Dashboard" in texts(other)
    first.button(key="sign_out").click().run()
    assert shows_sign_in(first)
    # The other tab is still drawn as it was; its next action finds the session ended.
    other.run()
    assert not other.exception
    assert shows_sign_in(other)
    assert "you signed out in another tab or window" in texts(other)
    assert db.exec(select(SignInSession)).one().ended_at is not None
    # And a reload with the old cookie asks to sign in.
    assert shows_sign_in(new_tab())


def test_a_deactivated_person_is_signed_out_at_their_next_action(browser_cookie, db):
    tab = sign_in_through_the_form(LA)
    assert "Dashboard" in texts(tab)
    admin = people.get_by_email(db, SECRETARIAT)
    people.update_person(session=db, actor=admin, person=people.get_by_email(db, LA), active=False)
    tab.run()
    assert not tab.exception
    assert shows_sign_in(tab)
    assert "your account has been deactivated" in texts(tab)


def test_a_session_idle_for_twelve_hours_signs_the_tab_out_saying_so(browser_cookie, monkeypatch):
    tab = sign_in_through_the_form(LA)
    browser_cookie["value"] = written_cookie(tab)
    later = datetime.now(UTC) + timedelta(hours=12, minutes=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    tab.run()  # the person comes back to the open tab
    assert not tab.exception
    assert shows_sign_in(tab)
    assert "after 12 hours without using the workbench" in texts(tab)
    assert shows_sign_in(new_tab())  # nor does the cookie sign a new tab in


# --------------------------------------------------------------------------- links


def test_a_link_to_a_page_opened_signed_out_lands_there_after_signing_in(browser_cookie, db):
    report = reports.get_report(db, "living-wages")
    section = next(x for x in sections.list_sections(db, report.id) if x.code == "1.2")
    at = sign_in_through_the_form(LA, query={"section": str(section.id)}, page="views/write.py")
    assert not at.exception
    assert [t.value for t in at.title][:1] == ["Write"]
    assert at.selectbox(key="write_section").value == section.id
    assert at.query_params["section"] == str(section.id)


def test_a_page_the_roles_cannot_use_says_not_permitted_and_who_may(open_page):
    at = open_page("app.py", LA)
    at.switch_page("views/admin.py").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(
        e.startswith("Not permitted.") and "this needs the role of Secretariat" in e for e in errors
    ), errors
    assert not shows_sign_in(at)


def test_the_report_is_in_the_address_and_a_link_opens_it(open_page, demo_url):
    at = open_page("app.py", SECRETARIAT)
    assert at.query_params["report"] == "living-wages"
    link = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    engine = make_engine(demo_url)
    with Session(engine) as s:
        link.session_state["person_id"] = people.get_by_email(s, SECRETARIAT).id
    engine.dispose()
    link.query_params["report"] = "cities-commons"
    link.run()
    assert not link.exception
    assert link.selectbox(key="report_choice").value == "cities-commons"
    assert link.query_params["report"] == "cities-commons"


# --------------------------------------------------------------------------- languages


def test_the_sign_in_page_switches_to_french_with_its_picker_and_signing_in_keeps_it(
    browser_cookie,
):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    picker = at.segmented_control[0]
    assert picker.options == ["English", "Français", "Español"] and picker.value == "en"
    picker.set_value("fr").run()
    assert not at.exception
    assert at.title[0].value == "Atelier des rapports de synthèse"
    assert "Se connecter" in texts(at)
    at.text_input(key="signin_email").input(CLA)
    at.text_input(key="signin_password").input("demo-workbench")
    at.button[0].click().run()
    assert not at.exception
    assert "Tableau de bord" in texts(at)
    sidebar = "\n".join(str(m.value) for m in at.sidebar.markdown)
    assert "Auteur coordonnateur principal" in sidebar
    assert [b.label for b in at.sidebar.button] == ["Se déconnecter"]


def test_lang_in_the_address_shows_the_sign_in_page_in_spanish(demo_url):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "es"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Taller de informes de síntesis"
    assert at.segmented_control[0].value == "es"
    assert [b.label for b in at.button] == ["Iniciar sesión"]


def test_lang_in_the_address_switches_a_signed_in_session_until_another_choice(open_page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["person_id"] = 1
    at.query_params["lang"] = "fr"
    at.run()
    assert "Tableau de bord" in texts(at)
    at.query_params.pop("lang")
    at.run()
    assert "Tableau de bord" in texts(at), "the choice holds for the session"
    # A later choice (the profile's) is not undone by the address still naming French.
    at.query_params["lang"] = "fr"
    at.session_state[ui.LANGUAGE_KEY] = "es"
    at.run()
    assert "Panel de control" in texts(at)


def test_the_profile_language_is_kept_and_used_at_the_next_sign_in(browser_cookie, db):
    at = sign_in_through_the_form(CLA)
    at.switch_page("views/profile.py").run()
    assert not at.exception
    at.radio(key="profile_language_choice").set_value("fr")
    next(b for b in at.button if b.label == "Save my language").click().run()
    assert not at.exception
    assert at.title[0].value == "Profil"
    assert "Enregistré\u00a0: langue de l'interface « Français »." in texts(at)
    db.expire_all()
    assert people.get_by_email(db, CLA).interface_language == "fr"
    # Signing in again in another browser (no choice in its session): French.
    browser_cookie["value"] = None
    again = sign_in_through_the_form(CLA)
    assert "Tableau de bord" in texts(again)


def test_the_browser_language_is_used_when_the_person_chose_none(open_page, monkeypatch):
    monkeypatch.setattr(ui, "_browser_language", lambda: "es")
    at = open_page("app.py", CLA)
    assert not at.exception
    assert "Panel de control" in texts(at)
    assert "Cerrar sesión" in [b.label for b in at.sidebar.button]
