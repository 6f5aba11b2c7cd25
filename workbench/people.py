"""People and their local accounts: argon2 password hashes, sign-in by email.

A **Person** is anyone the workbench knows: authors, reviewers, Council members,
the Secretariat. An account is a person with a password hash; people imported
only as reviewers' names may have none and cannot sign in.

**Throttling.** Failed sign-ins are counted per account (the email typed) and per
client (the network address, when the app can tell) in the database, so every
app server shares the count. After :data:`ACCOUNT_RULE`'s free failures (or the
client's), attempts are refused for a delay that starts at :data:`FIRST_DELAY`
and doubles with each further failure, up to :data:`MAX_DELAY`: refused even with
the right password, and the message says when to try again. A success clears the
account's count; a count is forgotten after a quiet spell. An email nobody has is
throttled exactly like a real one and costs the same argon2 verification, so
neither the answer nor its timing tells whether an account exists.

**Interface language.** A person's ``interface_language`` is the language the pages
speak to them (en, fr or es; empty: their browser's), set by
:func:`set_interface_language`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, or_, select

from workbench import audit, i18n, passwords, sessions
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.i18n import N_, Msg, ngettext
from workbench.models import (
    Membership,
    Person,
    PersonCreate,
    Report,
    Role,
    SignInThrottle,
    utcnow,
)
from workbench.permissions import Action, require

_hasher = PasswordHasher()
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH


def hash_password(password: str, *, email: str = "") -> str:
    """Return the argon2 hash of a password, refusing one the policy does not allow."""
    passwords.check_password(password, email=email)
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, or raise if it is not an address."""
    email = (email or "").strip().lower()
    if not email:
        raise ValidationError("Enter an email address.")
    if not EMAIL_PATTERN.match(email):
        raise ValidationError("'{email}' is not an email address.", email=email)
    return email


# --------------------------------------------------------------------------- sign-in


@dataclass(frozen=True)
class ThrottleRule:
    """How many failures one account or one client gets free, and when they are forgotten."""

    kind: str
    free_failures: int
    forget_after: timedelta
    whose: str


FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
ACCOUNT_RULE = ThrottleRule("account", 5, timedelta(hours=24), N_("for this account"))
# A client may be a whole office behind one address, so it gets more room and
# forgets sooner; it still stops one machine from trying many accounts.
CLIENT_RULE = ThrottleRule("client", 20, timedelta(hours=1), N_("from your network address"))
_KEY_LENGTH = 320


class SignInThrottled(PermissionDenied):
    """Sign-in attempts are refused until ``until`` after too many failures."""

    def __init__(self, message: str | Msg, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


def lock_delay(failures: int, rule: ThrottleRule = ACCOUNT_RULE) -> timedelta | None:
    """Return how long attempts are refused after this many failures in a row (None: not)."""
    if failures < rule.free_failures:
        return None
    # The exponent is capped before multiplying: 2**n of a large n would overflow a timedelta.
    return min(FIRST_DELAY * 2 ** min(failures - rule.free_failures, 16), MAX_DELAY)


def _printable(text: str | None) -> str:
    """Return text without control characters (the database refuses NUL in a key)."""
    return "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C")


class _Wait(Msg):
    """How long until the next attempt, 'in 30 seconds', counted in the language shown."""

    __slots__ = ()

    def render(self, code: str | None = None) -> str:
        """Return the wait in ``code`` (default: the current language)."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        n = self.params["n"]
        if self.template == "seconds":
            words = ngettext("in {n} second", "in {n} seconds", n)
        else:
            words = ngettext("in {n} minute", "in {n} minutes", n)
        return words.format(n=i18n.format_number(n))


def _wait_words(delta: timedelta) -> Msg:
    seconds = max(math.ceil(delta.total_seconds()), 1)
    if seconds < 60:
        return _Wait("seconds", n=seconds)
    return _Wait("minutes", n=math.ceil(seconds / 60))


def _throttle_message(rule: ThrottleRule, until: datetime, now: datetime) -> Msg:
    # Round up to the second, so the time shown is never before the lock ends.
    shown = (until + timedelta(seconds=1)).replace(microsecond=0) if until.microsecond else until
    return Msg(
        "Too many failed sign-ins {whose}; try again after {time} UTC ({wait}).",
        whose=Msg(rule.whose),
        time=f"{shown:%H:%M:%S}",
        wait=_wait_words(until - now),
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Return a hash to verify against when the email has no usable account (same cost)."""
    return _hasher.hash("no account has this password")


def _count_failure(session: Session, key: str, rule: ThrottleRule, now: datetime) -> SignInThrottle:
    """Add one failure to the key's count, under a row lock, and set its lock from the rule."""
    locked = (
        select(SignInThrottle)
        .where(SignInThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = session.exec(locked).first()
    if row is None:
        try:
            # Two app servers may count the first failure of one key at once: the loser
            # of the race for the unique key counts on the winner's row instead.
            with session.begin_nested():
                row = SignInThrottle(key=key, failures=0, last_failure_at=now)
                session.add(row)
        except IntegrityError:
            row = session.exec(locked).one()
    if row.last_failure_at <= now - rule.forget_after:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    delay = lock_delay(row.failures, rule)
    row.locked_until = now + delay if delay else None
    session.add(row)
    return row


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    client: str | None = None,
    now: datetime | None = None,
) -> Person | None:
    """Return the active person with this email and password, or None; commit the count.

    Raise :class:`SignInThrottled` while the account (or the client) is locked,
    whatever the password, and on the failure that starts a lock. ``client`` is
    the network address the attempt came from, when known; ``now`` is for tests.
    """
    now = now or utcnow()
    email_key = _printable(email).strip().lower()[:_KEY_LENGTH]
    if not email_key:
        return None
    client_key = _printable(client).strip()[:_KEY_LENGTH]
    keys = [(ACCOUNT_RULE, f"account:{email_key}")]
    if client_key:
        keys.append((CLIENT_RULE, f"client:{client_key}"))
    rows = {
        row.key: row
        for row in session.exec(
            select(SignInThrottle).where(col(SignInThrottle.key).in_([k for _, k in keys]))
        ).all()
    }
    locks = [
        (rows[key].locked_until, rule)
        for rule, key in keys
        if key in rows and rows[key].locked_until is not None and rows[key].locked_until > now
    ]
    if locks:
        until, rule = max(locks, key=lambda lock: lock[0])
        raise SignInThrottled(_throttle_message(rule, until, now), until=until)

    person = session.exec(select(Person).where(Person.email == email_key)).first()
    usable = person is not None and person.active and bool(person.password_hash)
    # An unknown, deactivated or password-less account is verified against a dummy
    # hash, so it takes as long as a wrong password for a real account.
    try:
        _hasher.verify(person.password_hash if usable else _dummy_hash(), password or "")
        matched = usable
    except (VerificationError, InvalidHashError):
        matched = False

    if matched:
        if _hasher.check_needs_rehash(person.password_hash):
            person.password_hash = _hasher.hash(password)
            session.add(person)
        session.exec(delete(SignInThrottle).where(SignInThrottle.key == keys[0][1]))
        session.commit()
        return person

    # Forget counts nobody has added to for a day (the longest quiet spell of any rule).
    session.exec(
        delete(SignInThrottle).where(
            col(SignInThrottle.last_failure_at) < now - ACCOUNT_RULE.forget_after
        )
    )
    started: list[tuple[datetime, ThrottleRule]] = []
    for rule, key in keys:
        row = _count_failure(session, key, rule, now)
        if row.locked_until is not None:
            started.append((row.locked_until, rule))
    audit.record(
        session,
        None,
        "sign_in_failed",
        "person",
        person.id if person else None,
        email=email_key,
        client=client_key,
    )
    if started:
        until, rule = max(started, key=lambda lock: lock[0])
        audit.record(
            session,
            None,
            "sign_in_locked",
            "person",
            person.id if person else None,
            email=email_key,
            client=client_key,
            locked=rule.kind,
            until=until.isoformat(timespec="seconds"),
        )
    session.commit()
    if started:
        raise SignInThrottled(
            Msg(
                "That email and password do not match an account. {throttled}",
                throttled=_throttle_message(rule, until, now),
            ),
            until=until,
        )
    return None


def _provider_confirmed(email_verified: object) -> bool:
    # Providers send a JSON boolean; a few send the string "true".
    if isinstance(email_verified, str):
        return email_verified.strip().lower() == "true"
    return email_verified is True


def sign_in_with_provider(
    session: Session, *, email: str | None, email_verified: object, client: str | None = None
) -> Person:
    """Return the active person whose email the identity provider vouches for, or refuse why.

    The provider must say the address is verified (``email_verified``): an
    unverified address could belong to anyone who typed it into their account there.
    """
    email_key = _printable(email).strip().lower()[:_KEY_LENGTH]
    reason = ""
    person: Person | None = None
    if not email_key:
        reason = "no_email"
        message = Msg(
            "Your organisation signed you in but did not give an email address, so the "
            "workbench cannot tell who you are. Sign out and sign in with your password, or ask "
            "the Secretariat."
        )
    elif not _provider_confirmed(email_verified):
        reason = "email_not_verified"
        message = Msg(
            "Your organisation signed you in as {email} but has not confirmed that this "
            "address is yours, so the workbench cannot sign you in with it. Confirm the address "
            "with your organisation, or sign out and sign in with your password.",
            email=email_key,
        )
    else:
        person = session.exec(select(Person).where(Person.email == email_key)).first()
        if person is None:
            reason = "unknown"
            message = Msg(
                "Your organisation signed you in as {email}, but no person in the "
                "workspace has that email. Ask the Secretariat to add you.",
                email=email_key,
            )
        elif not person.active:
            reason = "deactivated"
            message = Msg(
                "The account for {email} is deactivated, so you cannot sign in. Ask the "
                "Secretariat if you should still have access.",
                email=email_key,
            )
        else:
            return person
    audit.record(
        session,
        None,
        "sign_in_refused",
        "person",
        person.id if person else None,
        email=email_key,
        client=_printable(client).strip()[:_KEY_LENGTH],
        reason=reason,
        method="single sign-on",
    )
    session.commit()
    raise PermissionDenied(message)


# --------------------------------------------------------------------------- people


def find_by_email(session: Session, email: str) -> Person | None:
    """Return the person with this email (any case, spaces trimmed), or None."""
    email_n = (email or "").strip().lower()
    return session.exec(select(Person).where(Person.email == email_n)).first()


def get_by_email(session: Session, email: str) -> Person:
    """Return the person with this email, or raise NotFound."""
    person = find_by_email(session, email)
    if person is None:
        raise NotFound("No person with the email '{email}'.", email=email)
    return person


def get(session: Session, person_id: int) -> Person:
    """Return the person with this id, or raise NotFound."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("No person with id {id}.", id=person_id)
    return person


def _add_person(session: Session, data: PersonCreate) -> Person:
    email = normalise_email(data.email)
    if not data.name.strip():
        raise ValidationError("A person needs a name.")
    if session.exec(select(Person).where(Person.email == email)).first() is not None:
        raise ValidationError("A person with the email '{email}' already exists.", email=email)
    person = Person(
        **data.model_dump(exclude={"password", "email", "name"}),
        email=email,
        name=data.name.strip(),
        password_hash=hash_password(data.password, email=email) if data.password else "",
    )
    session.add(person)
    session.flush()
    return person


def create_person(
    *, session: Session, actor: Person, data: PersonCreate, roles: list[Role] | None = None
) -> Person:
    """Add a person (Secretariat only), optionally with workspace-wide roles."""
    require(session, actor, Action.manage_people)
    person = _add_person(session, data)
    for role in roles or []:
        if not Role(role).workspace_wide:
            raise ValidationError(
                "{role} is a role in one report; add it from the report's team.",
                role=Msg(Role(role).label),
            )
        session.add(Membership(person_id=person.id, role=Role(role)))
    audit.record(
        session, actor, "create", "person", person.id, email=person.email, roles=roles or []
    )
    session.commit()
    return person


def bootstrap_secretariat(*, session: Session, data: PersonCreate) -> Person:
    """Create the first Secretariat account of an empty workspace (no actor exists yet)."""
    if session.exec(select(func.count()).select_from(Person)).one():
        raise ValidationError(
            "The workspace already has people; the Secretariat adds new accounts."
        )
    person = _add_person(session, data)
    session.add(Membership(person_id=person.id, role=Role.secretariat))
    audit.record(session, None, "bootstrap", "person", person.id, email=person.email)
    session.commit()
    return person


def set_password(*, session: Session, actor: Person, person: Person, password: str) -> None:
    """Set a person's password: their own, or anyone's for the Secretariat; lift a sign-in lock."""
    if actor.id != person.id:
        require(session, actor, Action.manage_people)
    person.password_hash = hash_password(password, email=person.email)
    session.add(person)
    # The failures were guesses at the old password; a new one starts with a clean count
    # (this is also how the Secretariat lets someone locked out back in at once).
    session.exec(delete(SignInThrottle).where(SignInThrottle.key == f"account:{person.email}"))
    ended = 0
    if actor.id != person.id:
        # A reset by the Secretariat (a lost or leaked password) signs the person out
        # everywhere: whoever held the old password holds no session either.
        ended = sessions.end_all(session=session, person_id=person.id)
    audit.record(session, actor, "set_password", "person", person.id, sessions_ended=ended)
    session.commit()


def update_person(*, session: Session, actor: Person, person: Person, **changes: str) -> Person:
    """Change a person's profile fields (themselves, or the Secretariat)."""
    if actor.id != person.id:
        require(session, actor, Action.manage_people)
    allowed = {"name", "gender", "region", "country", "discipline", "sector", "affiliation"}
    unknown = set(changes) - allowed - {"active"}
    if unknown:
        raise ValidationError(
            "Cannot change {fields} of a person.", fields=", ".join(sorted(unknown))
        )
    if "active" in changes:
        require(session, actor, Action.manage_people)
    for key, value in changes.items():
        setattr(person, key, value)
    if not person.name.strip():
        raise ValidationError("A person needs a name.")
    session.add(person)
    if "active" in changes and not person.active:
        # Signed out everywhere, in the same transaction: each open tab at its next action.
        sessions.end_all(session=session, person_id=person.id)
    audit.record(session, actor, "update", "person", person.id, fields=sorted(changes))
    session.commit()
    return person


def set_interface_language(
    *, session: Session, actor: Person, person_id: int, language: str | None
) -> Person:
    """Set the language the pages speak to a person (None: their browser's).

    A person sets their own; the Secretariat may set anyone's.
    """
    person = get(session, person_id)
    if actor.id != person.id:
        require(session, actor, Action.manage_people)
    code = (language or "").strip().lower() or None
    if code is not None and code not in i18n.INTERFACE_LANGUAGES:
        raise ValidationError(
            "'{language}' is not an interface language; choose one of {choices}.",
            language=language,
            choices=", ".join(i18n.INTERFACE_LANGUAGES),
        )
    before = person.interface_language
    person.interface_language = code
    session.add(person)
    audit.record(
        session,
        actor,
        "set_interface_language",
        "person",
        person.id,
        before=before,
        after=code,
    )
    session.commit()
    return person


def first_secretariat(session: Session) -> Person | None:
    """Return the Secretariat account created first (the command line's default actor)."""
    return session.exec(
        select(Person)
        .join(Membership, col(Membership.person_id) == col(Person.id))
        .where(Membership.role == Role.secretariat, col(Membership.report_id).is_(None))
        .where(Person.active == True)  # noqa: E712
        .order_by(col(Person.id))
    ).first()


def list_people_with_roles(session: Session) -> list[dict]:
    """Return every person with their roles, per report slug ('' for workspace-wide)."""
    people = session.exec(select(Person).order_by(col(Person.name))).all()
    rows = session.exec(
        select(Membership.person_id, Membership.role, Report.slug).join(
            Report, col(Membership.report_id) == col(Report.id), isouter=True
        )
    ).all()
    by_person: dict[int, list[dict]] = {}
    for person_id, role, slug in rows:
        by_person.setdefault(person_id, []).append({"report": slug or "", "role": Role(role).value})
    return [
        {
            "id": p.id,
            "email": p.email,
            "name": p.name,
            "active": p.active,
            "roles": sorted(by_person.get(p.id, []), key=lambda r: (r["report"], r["role"])),
        }
        for p in people
    ]


@dataclass
class PersonRow:
    """A person as the Secretariat's people list shows them: the record and every role held."""

    person: Person
    roles: list[tuple[str, Role]] = field(default_factory=list)

    def roles_text(self) -> str:
        """Return the roles as words, e.g. 'Council member; Lead Author (living-wages)'."""
        return "; ".join(
            f"{role.label} ({slug})" if slug else role.label for slug, role in self.roles
        )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_people(
    session: Session, text: str = "", *, limit: int = 50, offset: int = 0
) -> tuple[list[PersonRow], int]:
    """Return one page of people whose name, email or affiliation contains ``text``, and the total.

    Matching ignores case; people come in order of name. Filtering, counting and
    paging happen in SQL, so the list stays quick with thousands of people.
    """
    query = select(Person)
    text = (text or "").strip()
    if text:
        pattern = _like(text)
        query = query.where(
            or_(
                func.lower(col(Person.name)).like(pattern, escape="\\"),
                func.lower(col(Person.email)).like(pattern, escape="\\"),
                func.lower(col(Person.affiliation)).like(pattern, escape="\\"),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(
        query.order_by(col(Person.name), col(Person.id)).limit(limit).offset(offset)
    ).all()
    rows = {p.id: PersonRow(person=p) for p in found}
    if rows:
        for person_id, role, slug in session.exec(
            select(Membership.person_id, Membership.role, Report.slug)
            .join(Report, col(Membership.report_id) == col(Report.id), isouter=True)
            .where(col(Membership.person_id).in_(list(rows)))
        ).all():
            rows[person_id].roles.append((slug or "", Role(role)))
        order = list(Role)
        for row in rows.values():
            row.roles.sort(key=lambda r: (r[0], order.index(r[1])))
    return list(rows.values()), int(total)
