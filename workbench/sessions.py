"""Sign-in sessions: what a browser's session cookie stands for, until it ends.

A **sign-in session** (:class:`~workbench.models.SignInSession`) starts when a
person signs in. Its **token** is a random secret (``secrets.token_urlsafe``)
that only the browser keeps; the database stores the token's SHA-256, so a copy
of the database signs nobody in. The **cookie** holds the token signed with the
server's **secret key** and the time of signing (``itsdangerous``), so the
server refuses a cookie it did not issue, or one older than :data:`MAX_AGE`,
without asking the database.

A session is **live** until one of these ends it:

- the person signs out (:func:`end`): every tab of that browser is signed out
  at its next action;
- it has been **idle** (no page run in any tab) for longer than
  :func:`idle_lifetime`, 12 hours unless ``WORKBENCH_SESSION_HOURS`` says otherwise;
- it is older than :data:`MAX_AGE`, however busy;
- the Secretariat deactivates the person (:func:`end_all`).

The secret key comes from ``WORKBENCH_SECRET_KEY``; without it, one is made
once and kept in a file readable by its owner only (:func:`secret_key`). Every
app server of one workspace needs the same key.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlmodel import Session, col, delete, func, select, update

from workbench import i18n
from workbench.db import DATA_DIR, database_url
from workbench.errors import PermissionDenied, ValidationError
from workbench.i18n import Msg, ngettext
from workbench.models import Person, SignInSession, utcnow

COOKIE_NAME = "workbench_session"
IDLE_ENV = "WORKBENCH_SESSION_HOURS"
DEFAULT_IDLE_HOURS = 12.0
# However busy, a sign-in lasts at most this long (a copied cookie stops working too).
MAX_AGE = timedelta(days=7)
# A page run records activity at most this often: one write a minute, not one a click.
TOUCH_EVERY = timedelta(minutes=1)
SECRET_ENV = "WORKBENCH_SECRET_KEY"
SECRET_FILE = "session-secret"
_SALT = "workbench.sign-in-session"
# What itsdangerous writes: URL-safe base64 parts joined by dots (checked before the
# value goes into the script that sets the cookie).
COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_.-]{1,512}$")


class SessionEnded(PermissionDenied):
    """A tab's sign-in session has ended; the message says why."""


@dataclass(frozen=True)
class NewSession:
    """A session just started: its id, and the token only the browser keeps."""

    id: int
    token: str


def idle_lifetime() -> timedelta:
    """Return how long a session may stay unused (``WORKBENCH_SESSION_HOURS``, default 12)."""
    raw = os.environ.get(IDLE_ENV, "").strip()
    if not raw:
        return timedelta(hours=DEFAULT_IDLE_HOURS)
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    # NaN fails every comparison, so it is refused with the rest.
    if not 0 < hours <= MAX_AGE / timedelta(hours=1):
        raise ValidationError(
            "{name} must be a number of hours above 0 and at most {most}, not {value}.",
            name=IDLE_ENV,
            most=MAX_AGE.days * 24,
            value=repr(raw),
        )
    return timedelta(hours=hours)


class Duration(Msg):
    """A lifetime in words, '12 hours' or '90 minutes', counted in the language shown."""

    __slots__ = ()

    def __init__(self, lifetime: timedelta) -> None:
        super().__init__("duration", minutes=round(lifetime / timedelta(minutes=1)))

    def render(self, code: str | None = None) -> str:
        """Return the lifetime in ``code`` (default: the current language)."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        minutes = self.params["minutes"]
        if minutes % 60:
            words = ngettext("{n} minute", "{n} minutes", minutes)
            return words.format(n=i18n.format_number(minutes))
        hours = minutes // 60
        return ngettext("{n} hour", "{n} hours", hours).format(n=i18n.format_number(hours))


def hours_text(lifetime: timedelta) -> str:
    """Return a lifetime in words in the current language, e.g. '12 hours' or '90 minutes'."""
    return Duration(lifetime).render()


def secret_file(url: str | None = None) -> Path:
    """Return where the generated secret key is kept: beside a SQLite database, else in data/."""
    url = url or database_url()
    if url.startswith("sqlite:///") and url not in ("sqlite:///:memory:",):
        return Path(url.split("///", 1)[1]).resolve().parent / SECRET_FILE
    return DATA_DIR / SECRET_FILE


def secret_key(url: str | None = None) -> str:
    """Return the key that signs session cookies (``WORKBENCH_SECRET_KEY``, else the kept file).

    ``url`` names the database whose key is wanted (default: the configured one).

    The file is created once, readable and writable by its owner only; two
    servers starting at once both end up with the key the first one wrote.
    """
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        return configured
    path = secret_file(url)
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 32:
        raise ValidationError(
            "The session secret in {path} is missing or too short; delete the file to make a "
            "new one (everyone is signed out), or set {name}.",
            path=str(path),
            name=SECRET_ENV,
        )
    return key


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def token_hash(token: str) -> str:
    """Return the SHA-256 of a token, as stored in the database."""
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_value(token: str, *, secret: str | None = None) -> str:
    """Return the cookie that carries ``token``: signed with the secret key and timestamped."""
    value = _serializer(secret or secret_key()).dumps(token)
    assert COOKIE_VALUE.match(value), "a signed token is URL-safe by construction"
    return value


def token_from_cookie(
    value: str | None, *, secret: str | None = None, max_age: timedelta = MAX_AGE
) -> str | None:
    """Return the token a cookie carries, or None when it is missing, forged or too old."""
    if not value or not COOKIE_VALUE.match(value):
        return None
    try:
        token = _serializer(secret or secret_key()).loads(
            value, max_age=int(max_age.total_seconds())
        )
    except BadData:  # a bad signature, a bad timestamp, an expired one, bad base64
        return None
    return token if isinstance(token, str) else None


def start(*, session: Session, person: Person, now: datetime | None = None) -> NewSession:
    """Start a sign-in session for a person; return its id and the token (stored hashed)."""
    now = now or utcnow()
    # The person's sessions unused for longer than any can last are dead: forget them, so
    # the table holds about one row per browser in use.
    session.exec(
        delete(SignInSession).where(
            col(SignInSession.person_id) == person.id,
            col(SignInSession.last_seen_at) < now - MAX_AGE,
        )
    )
    token = secrets.token_urlsafe(32)
    row = SignInSession(
        token_hash=token_hash(token), person_id=person.id, created_at=now, last_seen_at=now
    )
    session.add(row)
    session.commit()
    return NewSession(id=row.id, token=token)


def _end_reason(session: Session, row: SignInSession, now: datetime, idle: timedelta) -> Msg | None:
    """Return why a session is no longer live, or None when it is."""
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        return Msg(
            "You have been signed out: your account has been deactivated. Ask the Secretariat "
            "if you should still have access."
        )
    if row.ended_at is not None:
        return Msg(
            "You have been signed out: you signed out in another tab or window, or the "
            "Secretariat ended your session. Sign in again to go on."
        )
    if row.last_seen_at <= now - idle:
        return Msg(
            "You have been signed out after {duration} without using the workbench. "
            "Sign in again to go on.",
            duration=Duration(idle),
        )
    if row.created_at <= now - MAX_AGE:
        return Msg(
            "You have been signed out: a sign-in lasts at most {days} days. Sign in "
            "again to go on.",
            days=MAX_AGE.days,
        )
    return None


def _close(session: Session, row: SignInSession, now: datetime) -> None:
    if row.ended_at is None:
        row.ended_at = now
        session.add(row)
    session.commit()


def _touch(session: Session, row: SignInSession, now: datetime) -> SignInSession:
    if row.last_seen_at <= now - TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return row


def check(
    *, session: Session, session_id: int, person_id: int, now: datetime | None = None
) -> SignInSession:
    """Return a tab's session, live, with its activity recorded; raise SessionEnded if not.

    A session found idle or too old is ended on the way, so it stays ended.
    """
    now = now or utcnow()
    row = session.get(SignInSession, session_id, populate_existing=True)
    if row is None or row.person_id != person_id:
        raise SessionEnded("You have been signed out. Sign in again to go on.")
    reason = _end_reason(session, row, now, idle_lifetime())
    if reason:
        _close(session, row, now)
        raise SessionEnded(reason)
    return _touch(session, row, now)


def resume(
    *, session: Session, cookie: str | None, secret: str | None = None, now: datetime | None = None
) -> SignInSession | None:
    """Return the live session a browser's cookie stands for (a reload, a new tab), or None.

    A forged, tampered or unknown cookie is None; so is one whose session has
    ended (signed out, idle, deactivated).
    """
    token = token_from_cookie(cookie, secret=secret)
    if token is None:
        return None
    now = now or utcnow()
    row = session.exec(
        select(SignInSession).where(SignInSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    if _end_reason(session, row, now, idle_lifetime()):
        _close(session, row, now)
        return None
    return _touch(session, row, now)


def end(*, session: Session, session_id: int, now: datetime | None = None) -> None:
    """End a sign-in session (signing out): every tab that uses it is signed out."""
    row = session.get(SignInSession, session_id)
    if row is not None:
        _close(session, row, now or utcnow())


def end_all(*, session: Session, person_id: int, now: datetime | None = None) -> int:
    """End every live session of a person, in the caller's transaction; return how many."""
    result = session.exec(
        update(SignInSession)
        .where(col(SignInSession.person_id) == person_id, col(SignInSession.ended_at).is_(None))
        .values(ended_at=now or utcnow())
    )
    return result.rowcount or 0


def live_sessions(*, session: Session, person_id: int, now: datetime | None = None) -> int:
    """Return how many of a person's sessions are live (not ended, not idle, not too old)."""
    now = now or utcnow()
    return session.exec(
        select(func.count())
        .select_from(SignInSession)
        .where(
            SignInSession.person_id == person_id,
            col(SignInSession.ended_at).is_(None),
            col(SignInSession.last_seen_at) > now - idle_lifetime(),
            col(SignInSession.created_at) > now - MAX_AGE,
        )
    ).one()
