"""Sign-in sessions: a browser stays signed in until it signs out, idles, or is deactivated.

The clock is passed in (``now=``), so twelve idle hours are tested without waiting.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlmodel import select

from tests.factories import make_person
from workbench import people, sessions
from workbench.errors import ValidationError
from workbench.models import Role, SignInSession

SECRET = "a test secret that is long enough to sign cookies"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def test_secret(monkeypatch):
    """Sign with a known key, and the default idle lifetime, whatever the environment says."""
    monkeypatch.setenv(sessions.SECRET_ENV, SECRET)
    monkeypatch.delenv(sessions.IDLE_ENV, raising=False)


def signed_in(session, person, now=T0) -> tuple[sessions.NewSession, str]:
    """Start a session; return it and the cookie the browser gets."""
    new = sessions.start(session=session, person=person, now=now)
    return new, sessions.cookie_value(new.token)


def test_a_cookie_signs_the_same_person_in_again_and_only_the_hash_is_stored(session):
    person = make_person(session, "Ada Author")
    new, cookie = signed_in(session, person)
    row = sessions.resume(session=session, cookie=cookie, now=T0 + timedelta(hours=1))
    assert row is not None and row.id == new.id and row.person_id == person.id
    stored = session.exec(select(SignInSession)).one()
    # A copy of the database holds no token: only its SHA-256.
    assert stored.token_hash == sessions.token_hash(new.token) != new.token
    # The cookie is the token, a timestamp and a signature.
    assert cookie.count(".") == 2 and sessions.token_from_cookie(cookie) == new.token


def test_a_new_tab_records_activity_at_most_once_a_minute(session):
    person = make_person(session)
    _, cookie = signed_in(session, person)
    sessions.resume(session=session, cookie=cookie, now=T0 + timedelta(seconds=20))
    assert session.exec(select(SignInSession)).one().last_seen_at == T0
    later = T0 + timedelta(minutes=5)
    sessions.resume(session=session, cookie=cookie, now=later)
    assert session.exec(select(SignInSession)).one().last_seen_at == later


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # the signature
        lambda c: "x" + c[1:],  # the token
        lambda c: c.replace(".", "", 1),  # the structure
        lambda c: URLSafeTimedSerializer("another server's key", salt=sessions._SALT).dumps(
            "guessed-token"
        ),
        lambda c: "",
        lambda c: "<script>alert(1)</script>",
    ],
    ids=["signature", "token", "structure", "other-key", "empty", "markup"],
)
def test_a_tampered_or_forged_cookie_signs_nobody_in(session, tamper):
    person = make_person(session)
    _, cookie = signed_in(session, person)
    assert sessions.resume(session=session, cookie=tamper(cookie), now=T0) is None


def test_a_correctly_signed_cookie_for_an_unknown_token_signs_nobody_in(session):
    make_person(session)
    cookie = sessions.cookie_value("a token the server never issued")
    assert sessions.resume(session=session, cookie=cookie, now=T0) is None


def test_a_session_idle_for_twelve_hours_ends(session):
    person = make_person(session)
    new, cookie = signed_in(session, person)
    just_before = T0 + timedelta(hours=11, minutes=59)
    assert sessions.check(session=session, session_id=new.id, person_id=person.id, now=just_before)
    # Twelve hours after the last activity (not after signing in), it has ended.
    idle_end = just_before + timedelta(hours=12)
    with pytest.raises(sessions.SessionEnded, match="after 12 hours without using"):
        sessions.check(session=session, session_id=new.id, person_id=person.id, now=idle_end)
    assert sessions.resume(session=session, cookie=cookie, now=idle_end) is None
    assert session.exec(select(SignInSession)).one().ended_at == idle_end


def test_the_idle_lifetime_is_configurable(session, monkeypatch):
    monkeypatch.setenv(sessions.IDLE_ENV, "1.5")
    person = make_person(session)
    _, cookie = signed_in(session, person)
    assert sessions.resume(session=session, cookie=cookie, now=T0 + timedelta(minutes=89))
    assert sessions.resume(session=session, cookie=cookie, now=T0 + timedelta(hours=4)) is None
    assert sessions.hours_text(sessions.idle_lifetime()) == "90 minutes"


@pytest.mark.parametrize("value", ["twelve", "0", "-3", "nan", "1000"])
def test_a_mistyped_idle_lifetime_is_refused_naming_the_setting(monkeypatch, value):
    monkeypatch.setenv(sessions.IDLE_ENV, value)
    with pytest.raises(ValidationError, match=f"WORKBENCH_SESSION_HOURS must be .*'{value}'"):
        sessions.idle_lifetime()


def test_a_busy_session_still_ends_after_seven_days(session):
    person = make_person(session)
    new, _ = signed_in(session, person)
    for hours in range(6, 7 * 24, 6):  # used every six hours, up to the last day
        now = T0 + timedelta(hours=hours)
        sessions.check(session=session, session_id=new.id, person_id=person.id, now=now)
    with pytest.raises(sessions.SessionEnded, match="at most 7 days"):
        sessions.check(
            session=session,
            session_id=new.id,
            person_id=person.id,
            now=T0 + sessions.MAX_AGE + timedelta(minutes=1),
        )


def test_signing_out_ends_the_session_for_every_tab(session):
    person = make_person(session)
    new, cookie = signed_in(session, person)
    sessions.end(session=session, session_id=new.id, now=T0 + timedelta(minutes=3))
    # Another tab open already: signed out at its next action, saying why.
    with pytest.raises(sessions.SessionEnded, match="you signed out in another tab"):
        sessions.check(
            session=session, session_id=new.id, person_id=person.id, now=T0 + timedelta(minutes=4)
        )
    # A reload, a bookmark or a new tab: the cookie no longer signs anyone in.
    assert sessions.resume(session=session, cookie=cookie, now=T0 + timedelta(minutes=4)) is None


def test_sessions_unused_for_longer_than_any_can_last_are_forgotten(session):
    person, other = make_person(session), make_person(session)
    signed_in(session, person)
    signed_in(session, other)
    week_later = T0 + sessions.MAX_AGE + timedelta(minutes=1)
    signed_in(session, person, now=week_later)
    rows = session.exec(select(SignInSession)).all()
    # The person's dead session is gone; the new one and the other person's stay.
    assert sorted((r.person_id, r.created_at) for r in rows) == sorted(
        [(person.id, week_later), (other.id, T0)]
    )


def test_a_session_belongs_to_its_person_only(session):
    ada, bob = make_person(session), make_person(session)
    new, _ = signed_in(session, ada)
    with pytest.raises(sessions.SessionEnded):
        sessions.check(session=session, session_id=new.id, person_id=bob.id, now=T0)


def test_deactivating_a_person_ends_all_their_sessions(session):
    admin = make_person(session, "Sam Secretariat", roles=[(Role.secretariat, None)])
    person = make_person(session, "Ada Author")
    # The deactivation happens now (the service reads the clock), so the sessions start now.
    start = datetime.now(UTC)
    laptop, laptop_cookie = signed_in(session, person, now=start)
    _, phone_cookie = signed_in(session, person, now=start)
    theirs, _ = signed_in(session, admin, now=start)
    assert sessions.live_sessions(session=session, person_id=person.id, now=start) == 2

    people.update_person(session=session, actor=admin, person=person, active=False)

    later = start + timedelta(minutes=1)
    assert sessions.live_sessions(session=session, person_id=person.id, now=later) == 0
    for cookie in (laptop_cookie, phone_cookie):
        assert sessions.resume(session=session, cookie=cookie, now=later) is None
    with pytest.raises(sessions.SessionEnded):
        sessions.check(session=session, session_id=laptop.id, person_id=person.id, now=later)
    # The Secretariat's own session goes on.
    assert sessions.check(session=session, session_id=theirs.id, person_id=admin.id, now=later)


def test_a_deactivated_person_is_signed_out_even_if_a_session_was_left_open(session):
    person = make_person(session)
    new, cookie = signed_in(session, person)
    person.active = False  # deactivated by a path that did not end the sessions
    session.add(person)
    session.commit()
    with pytest.raises(sessions.SessionEnded, match="deactivated"):
        sessions.check(session=session, session_id=new.id, person_id=person.id, now=T0)
    assert sessions.resume(session=session, cookie=cookie, now=T0) is None


def test_changing_a_name_does_not_sign_anyone_out(session):
    admin = make_person(session, roles=[(Role.secretariat, None)])
    person = make_person(session)
    _, cookie = signed_in(session, person)
    people.update_person(session=session, actor=admin, person=person, name="Ada Lovelace")
    assert sessions.resume(session=session, cookie=cookie, now=T0) is not None


def test_the_secret_key_is_made_once_and_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(sessions.SECRET_ENV)
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'workbench.db'}")
    key = sessions.secret_key()
    path = tmp_path / sessions.SECRET_FILE
    assert sessions.secret_file() == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(key) >= 32 and sessions.secret_key() == key
    # A cookie signed with it survives a restart (the key is read back, not made anew).
    cookie = sessions.cookie_value("token")
    assert sessions.token_from_cookie(cookie) == "token"
    monkeypatch.setenv(sessions.SECRET_ENV, "the key every app server of the workspace shares")
    assert sessions.token_from_cookie(cookie) is None


def test_a_damaged_secret_file_is_refused_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv(sessions.SECRET_ENV)
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{tmp_path / 'workbench.db'}")
    (tmp_path / sessions.SECRET_FILE).write_text("short\n")
    with pytest.raises(ValidationError, match="delete the file"):
        sessions.secret_key()


def test_a_password_reset_by_the_secretariat_signs_the_person_out_everywhere(session, world):
    person = world.la
    _, cookie = signed_in(session, person)
    people.set_password(
        session=session,
        actor=world.secretariat,
        person=person,
        password="a new and long passphrase for wages",
    )
    assert sessions.live_sessions(session=session, person_id=person.id) == 0
    assert sessions.resume(session=session, cookie=cookie, now=T0) is None


def test_a_restored_workspace_starts_with_nobody_signed_in(session, world, tmp_path, empty_engine):
    from sqlmodel import Session as DbSession

    from workbench import backup

    sessions.start(session=session, person=world.la)
    session.commit()
    path = tmp_path / "backup.zip"
    backup.dump(session.get_bind(), path)
    backup.restore(empty_engine, path)
    with DbSession(empty_engine) as restored:
        assert sessions.live_sessions(session=restored, person_id=world.la.id) == 0
