"""People and accounts: argon2 hashes, sign-in, the Secretariat's management."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from workbench import people
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.models import Person, PersonCreate, Role


def test_bootstrap_then_authenticate(session):
    admin = people.bootstrap_secretariat(
        session=session,
        data=PersonCreate(email=" Admin@Panel.org ", name="Admin", password="correct horse"),
    )
    assert admin.email == "admin@panel.org"
    assert admin.password_hash.startswith("$argon2")
    assert people.authenticate(session, "ADMIN@panel.org", "correct horse").id == admin.id
    assert people.authenticate(session, "admin@panel.org", "wrong password") is None
    assert people.authenticate(session, "nobody@panel.org", "correct horse") is None
    assert people.first_secretariat(session).id == admin.id
    with pytest.raises(ValidationError, match="already has people"):
        people.bootstrap_secretariat(
            session=session, data=PersonCreate(email="b@panel.org", name="B", password="12345678")
        )


def test_secretariat_adds_people_and_resets_passwords(session, world):
    person = people.create_person(
        session=session,
        actor=world.secretariat,
        data=PersonCreate(email="new@panel.org", name="New Member", password="longenough"),
        roles=[Role.council_member],
    )
    assert people.authenticate(session, "new@panel.org", "longenough").id == person.id
    people.set_password(
        session=session, actor=world.secretariat, person=person, password="another1"
    )
    assert people.authenticate(session, "new@panel.org", "another1") is not None
    rows = {r["email"]: r for r in people.list_people_with_roles(session)}
    assert rows["new@panel.org"]["roles"] == [{"report": "", "role": "council_member"}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "name": "X"}, "not an email address"),
        ({"email": "x@panel.org", "name": " "}, "needs a name"),
        ({"email": "x@panel.org", "name": "X", "password": "short"}, "at least 8"),
    ],
)
def test_bad_people_are_refused(session, world, data, message):
    before = session.exec(select(func.count()).select_from(Person)).one()
    with pytest.raises(ValidationError, match=message):
        people.create_person(session=session, actor=world.secretariat, data=PersonCreate(**data))
    session.rollback()
    assert session.exec(select(func.count()).select_from(Person)).one() == before


def test_duplicate_email_refused(session, world):
    with pytest.raises(ValidationError, match="already exists"):
        people.create_person(
            session=session,
            actor=world.secretariat,
            data=PersonCreate(email=world.la.email.upper(), name="Twin"),
        )


def test_report_roles_cannot_be_given_workspace_wide(session, world):
    with pytest.raises(ValidationError, match="role in one report"):
        people.create_person(
            session=session,
            actor=world.secretariat,
            data=PersonCreate(email="y@panel.org", name="Y"),
            roles=[Role.lead_author],
        )


def test_only_secretariat_manages_people(session, world):
    with pytest.raises(PermissionDenied):
        people.create_person(
            session=session, actor=world.cla, data=PersonCreate(email="z@panel.org", name="Z")
        )
    with pytest.raises(PermissionDenied):
        people.set_password(session=session, actor=world.cla, person=world.la, password="12345678")
    people.set_password(session=session, actor=world.la, person=world.la, password="my own pw")


def test_people_without_password_cannot_sign_in(session, world):
    assert people.authenticate(session, world.reviewer.email, "") is None
    with pytest.raises(NotFound):
        people.get_by_email(session, "ghost@panel.org")
