"""People and their local accounts: argon2 password hashes, sign-in by email.

A **Person** is anyone the workbench knows: authors, reviewers, Council members,
the Secretariat. An account is a person with a password hash; people imported
only as reviewers' names may have none and cannot sign in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, func, or_, select

from workbench import audit
from workbench.errors import NotFound, ValidationError
from workbench.models import Membership, Person, PersonCreate, Report, Role
from workbench.permissions import Action, require

_hasher = PasswordHasher()
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    """Return the argon2 hash of a password, refusing one that is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    """Return the email trimmed and lower-cased, or raise if it is not an address."""
    email = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise ValidationError(f"'{email}' is not an email address.")
    return email


def authenticate(session: Session, email: str, password: str) -> Person | None:
    """Return the active person with this email and password, or None."""
    try:
        email = normalise_email(email)
    except ValidationError:
        return None
    person = session.exec(select(Person).where(Person.email == email)).first()
    if person is None or not person.active or not person.password_hash:
        # Hash anyway so a wrong email takes as long as a wrong password.
        _hasher.hash(password or "x")
        return None
    try:
        _hasher.verify(person.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return person


def find_by_email(session: Session, email: str) -> Person | None:
    """Return the person with this email (any case, spaces trimmed), or None."""
    email_n = (email or "").strip().lower()
    return session.exec(select(Person).where(Person.email == email_n)).first()


def get_by_email(session: Session, email: str) -> Person:
    """Return the person with this email, or raise NotFound."""
    person = find_by_email(session, email)
    if person is None:
        raise NotFound(f"No person with the email '{email}'.")
    return person


def get(session: Session, person_id: int) -> Person:
    """Return the person with this id, or raise NotFound."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    return person


def _add_person(session: Session, data: PersonCreate) -> Person:
    email = normalise_email(data.email)
    if not data.name.strip():
        raise ValidationError("A person needs a name.")
    if session.exec(select(Person).where(Person.email == email)).first() is not None:
        raise ValidationError(f"A person with the email '{email}' already exists.")
    person = Person(
        **data.model_dump(exclude={"password", "email", "name"}),
        email=email,
        name=data.name.strip(),
        password_hash=hash_password(data.password) if data.password else "",
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
                f"{Role(role).label} is a role in one report; add it from the report's team."
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
    """Set a person's password: their own, or anyone's for the Secretariat."""
    if actor.id != person.id:
        require(session, actor, Action.manage_people)
    person.password_hash = hash_password(password)
    session.add(person)
    audit.record(session, actor, "set_password", "person", person.id)
    session.commit()


def update_person(*, session: Session, actor: Person, person: Person, **changes: str) -> Person:
    """Change a person's profile fields (themselves, or the Secretariat)."""
    if actor.id != person.id:
        require(session, actor, Action.manage_people)
    allowed = {"name", "gender", "region", "country", "discipline", "sector", "affiliation"}
    unknown = set(changes) - allowed - {"active"}
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))} of a person.")
    if "active" in changes:
        require(session, actor, Action.manage_people)
    for key, value in changes.items():
        setattr(person, key, value)
    if not person.name.strip():
        raise ValidationError("A person needs a name.")
    session.add(person)
    audit.record(session, actor, "update", "person", person.id, fields=sorted(changes))
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
