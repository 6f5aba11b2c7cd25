"""Signing in: throttling after repeated failures, single sign-on checks, the app's config.

The clock is passed in (``now=``), so a lock of 30 seconds is tested without
waiting 30 seconds.
"""

from __future__ import annotations

import contextlib
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlmodel import Session, select

from tests.factories import count_queries
from workbench import audit, people
from workbench.errors import PermissionDenied
from workbench.models import AuditEvent, SignInThrottle

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "harbour lantern orchard"
T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Hash with argon2 at its lightest settings: these tests verify dozens of passwords."""
    monkeypatch.setattr(
        people, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    people._dummy_hash.cache_clear()
    yield
    people._dummy_hash.cache_clear()


@pytest.fixture
def account(session, world):
    """Give the world's first Lead Author a password; return them."""
    person = world.la
    person.password_hash = people.hash_password(PASSWORD, email=person.email)
    session.add(person)
    session.commit()
    return person


def fail(session: Session, email: str, at: datetime, *, client: str | None = None) -> None:
    """Make one failed attempt that must not start a lock."""
    assert people.authenticate(session, email, "not the password", client=client, now=at) is None


def test_five_failures_refuse_even_the_right_password_and_say_until_when(session, account):
    for n in range(4):
        fail(session, account.email, T0 + timedelta(seconds=n))
    with pytest.raises(people.SignInThrottled) as fifth:
        people.authenticate(
            session, account.email, "not the password", now=T0 + timedelta(seconds=4)
        )
    assert fifth.value.message == (
        "That email and password do not match an account. Too many failed sign-ins for this "
        "account; try again after 14:30:34 UTC (in 30 seconds)."
    )
    # The right password is refused too while the lock lasts, and told when to come back.
    with pytest.raises(people.SignInThrottled) as refused:
        people.authenticate(session, account.email, PASSWORD, now=T0 + timedelta(seconds=14))
    assert refused.value.message == (
        "Too many failed sign-ins for this account; try again after 14:30:34 UTC (in 20 seconds)."
    )
    assert refused.value.until == T0 + timedelta(seconds=34)
    # Once the delay is over the right password is accepted.
    person = people.authenticate(session, account.email, PASSWORD, now=T0 + timedelta(seconds=34))
    assert person is not None and person.id == account.id


def test_the_delay_doubles_with_each_further_failure_up_to_fifteen_minutes(session, account):
    at = T0
    for _ in range(4):
        fail(session, account.email, at)
    waits = []
    for _ in range(8):
        with pytest.raises(people.SignInThrottled) as locked:
            people.authenticate(session, account.email, "not the password", now=at)
        waits.append(locked.value.until - at)
        at = locked.value.until  # the next try comes exactly when allowed
    assert [int(w.total_seconds()) for w in waits] == [30, 60, 120, 240, 480, 900, 900, 900]
    with pytest.raises(people.SignInThrottled, match=r"in 15 minutes"):
        people.authenticate(session, account.email, PASSWORD, now=at - timedelta(seconds=899))


def test_a_success_resets_the_account_count(session, account):
    for n in range(4):
        fail(session, account.email, T0 + timedelta(seconds=n))
    assert people.authenticate(session, account.email, PASSWORD, now=T0 + timedelta(seconds=5))
    # Four more failures after the success: still no lock (the count started again).
    for n in range(4):
        fail(session, account.email, T0 + timedelta(seconds=10 + n))
    assert people.authenticate(session, account.email, PASSWORD, now=T0 + timedelta(seconds=20))


def test_a_new_password_lifts_the_lock(session, account, world):
    for n in range(5):
        with contextlib.suppress(people.SignInThrottled):
            fail(session, account.email, T0 + timedelta(seconds=n))
    people.set_password(
        session=session, actor=world.secretariat, person=account, password="copper meadow kite"
    )
    assert people.authenticate(
        session, account.email, "copper meadow kite", now=T0 + timedelta(seconds=6)
    )


def test_failures_are_forgotten_after_a_quiet_day(session, account):
    for n in range(4):
        fail(session, account.email, T0 + timedelta(seconds=n))
    later = T0 + timedelta(hours=25)
    for n in range(4):
        fail(session, account.email, later + timedelta(seconds=n))


def test_an_unknown_email_is_throttled_exactly_like_a_real_one(session, account, monkeypatch):
    stranger = "nobody.here@panel.example"
    for n in range(4):
        fail(session, stranger, T0 + timedelta(seconds=n))
    with pytest.raises(people.SignInThrottled) as fifth:
        people.authenticate(session, stranger, "anything at all", now=T0 + timedelta(seconds=4))
    assert "Too many failed sign-ins for this account; try again after 14:30:34 UTC" in (
        fifth.value.message
    )
    # Same work for a real account with a wrong password and for an unknown email: one
    # argon2 verification each and the same SQL statements, so neither the answer nor
    # its cost tells an attacker which emails have accounts.
    verified = []
    real_verify = PasswordHasher.verify
    monkeypatch.setattr(
        PasswordHasher, "verify", lambda self, h, p: verified.append(h) or real_verify(self, h, p)
    )
    with count_queries(session) as known:
        fail(session, account.email, T0 + timedelta(hours=1))
    with count_queries(session) as unknown:
        fail(session, "another.stranger@panel.example", T0 + timedelta(hours=1))
    assert len(verified) == 2 and all(h.startswith("$argon2") for h in verified)
    assert known == unknown


def test_deactivated_and_passwordless_accounts_fail_like_a_wrong_password(session, account, world):
    account.active = False
    session.add(account)
    session.commit()
    assert people.authenticate(session, account.email, PASSWORD, now=T0) is None
    assert people.authenticate(session, world.reviewer.email, "", now=T0) is None


def test_failures_and_locks_are_in_the_audit_trail(session, account):
    for n in range(5):
        try:
            people.authenticate(
                session,
                account.email.upper(),
                "not the password",
                client="203.0.113.7",
                now=T0 + timedelta(seconds=n),
            )
        except people.SignInThrottled:
            assert n == 4
    failed = audit.events(session, entity="person", entity_id=account.id)
    actions = [e.action for e in failed]
    assert actions.count("sign_in_failed") == 5 and actions.count("sign_in_locked") == 1
    first = next(e for e in failed if e.action == "sign_in_failed")
    assert first.person_id is None  # nobody was signed in; the email says whose account
    assert first.detail["email"] == account.email and first.detail["client"] == "203.0.113.7"
    assert "password" not in str(first.detail).lower()
    lock = next(e for e in failed if e.action == "sign_in_locked")
    assert lock.detail["until"] == "2026-03-02T14:30:34+00:00"
    fail(session, "nobody.here@panel.example", T0)
    stranger = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (stranger.action, stranger.entity_id) == ("sign_in_failed", None)
    assert stranger.detail["email"] == "nobody.here@panel.example"


def test_one_client_trying_many_accounts_is_throttled(session, account):
    client = "198.51.100.23"
    for n in range(19):
        fail(session, f"guess{n}@panel.example", T0 + timedelta(seconds=n), client=client)
    with pytest.raises(people.SignInThrottled, match="from your network address"):
        people.authenticate(
            session, "guess19@panel.example", "x", client=client, now=T0 + timedelta(seconds=19)
        )
    # From that client even a right password waits; from another one it is accepted.
    with pytest.raises(people.SignInThrottled, match="from your network address"):
        people.authenticate(
            session, account.email, PASSWORD, client=client, now=T0 + timedelta(seconds=20)
        )
    assert people.authenticate(
        session, account.email, PASSWORD, client="192.0.2.1", now=T0 + timedelta(seconds=20)
    )


def test_the_count_lives_in_the_database_shared_by_app_servers(engine, session, account):
    for n in range(5):
        with contextlib.suppress(people.SignInThrottled):
            fail(session, account.email, T0 + timedelta(seconds=n))
    with Session(engine) as other_server, pytest.raises(people.SignInThrottled):
        people.authenticate(other_server, account.email, PASSWORD, now=T0 + timedelta(seconds=6))
    row = session.exec(select(SignInThrottle)).one()
    assert row.key == f"account:{account.email}" and row.failures == 5


def test_control_characters_in_a_typed_email_fail_cleanly(session, account):
    assert people.authenticate(session, "bad\x00mail@panel.example", "x", now=T0) is None
    event = audit.events(session)[0]
    assert event.detail["email"] == "badmail@panel.example"


# --------------------------------------------------------------------------- single sign-on


def test_sign_on_needs_a_verified_email(session, account):
    for verified in (False, None, "false", "yes"):
        with pytest.raises(PermissionDenied, match="has not confirmed that this address is yours"):
            people.sign_in_with_provider(session, email=account.email, email_verified=verified)
    assert (
        people.sign_in_with_provider(session, email=account.email.upper(), email_verified=True).id
        == account.id
    )
    # Some providers send the claim as a string.
    assert people.sign_in_with_provider(session, email=account.email, email_verified="true")
    refused = [e for e in audit.events(session) if e.action == "sign_in_refused"]
    assert len(refused) == 4 and refused[0].detail["reason"] == "email_not_verified"


def test_sign_on_refuses_deactivated_and_unknown_people(session, account):
    account.active = False
    session.add(account)
    session.commit()
    with pytest.raises(PermissionDenied, match="is deactivated"):
        people.sign_in_with_provider(session, email=account.email, email_verified=True)
    with pytest.raises(PermissionDenied, match="no person in the workspace has that email"):
        people.sign_in_with_provider(session, email="new@panel.example", email_verified=True)
    with pytest.raises(PermissionDenied, match="did not give an email address"):
        people.sign_in_with_provider(session, email=None, email_verified=True)


# --------------------------------------------------------------------------- app config


def test_people_never_see_a_traceback():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


def test_simultaneous_failures_on_several_servers_are_all_counted(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("in-memory SQLite has one connection; the race needs several")
    from concurrent.futures import ThreadPoolExecutor

    def attempt(n: int) -> str:
        with Session(engine) as s:
            try:
                people.authenticate(s, "target@panel.example", "guess", now=T0)
            except people.SignInThrottled as exc:
                # A failure that started the lock, or an attempt refused before any check.
                return "counted" if exc.message.startswith("That email") else "refused"
            return "counted"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(8)))
    with Session(engine) as s:
        row = s.exec(select(SignInThrottle)).one()
    # Eight first failures at once: one row (no duplicate-key error), every checked
    # failure counted, and the fifth one locks whatever the order.
    assert row.failures == outcomes.count("counted") >= 5
    assert row.locked_until == T0 + timedelta(seconds=30 * 2 ** (row.failures - 5))
