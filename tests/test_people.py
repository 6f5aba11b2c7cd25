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
        data=PersonCreate(email="new@panel.org", name="New Member", password="a longer passphrase"),
        roles=[Role.council_member],
    )
    assert people.authenticate(session, "new@panel.org", "a longer passphrase").id == person.id
    people.set_password(
        session=session, actor=world.secretariat, person=person, password="another passphrase"
    )
    assert people.authenticate(session, "new@panel.org", "another passphrase") is not None
    rows = {r["email"]: r for r in people.list_people_with_roles(session)}
    assert rows["new@panel.org"]["roles"] == [{"report": "", "role": "council_member"}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "name": "X"}, "not an email address"),
        ({"email": "x@panel.org", "name": " "}, "needs a name"),
        ({"email": "x@panel.org", "name": "X", "password": "short"}, "at least 12"),
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
    people.set_password(
        session=session, actor=world.la, person=world.la, password="my own passphrase"
    )


def test_people_without_password_cannot_sign_in(session, world):
    assert people.authenticate(session, world.reviewer.email, "") is None
    with pytest.raises(NotFound):
        people.get_by_email(session, "ghost@panel.org")


def test_search_people_pages_and_filters_in_sql(session, world):
    rows, total = people.search_people(session, " la ", limit=3, offset=3)
    assert total == 11  # "CLA 1" … "CLA 3" and "LA 1" … "LA 8": case and spaces do not matter
    assert [r.person.name for r in rows] == ["LA 1", "LA 2", "LA 3"]
    assert rows[0].roles == [("test-report", Role.lead_author)]
    assert rows[0].roles_text() == "Lead Author (test-report)"
    rows, total = people.search_people(session, "LA", limit=3, offset=9)
    assert [r.person.name for r in rows] == ["LA 7", "LA 8"] and total == 11
    rows, total = people.search_people(session, "ghana")
    assert [r.person.name for r in rows] == ["Reviewer"] and total == 1
    everyone, total = people.search_people(session, "", limit=1000)
    assert total == session.exec(select(func.count()).select_from(Person)).one() == len(everyone)
    council = next(r for r in everyone if r.person.name == "Council 1")
    assert council.roles_text() == "Council member"


def test_search_people_treats_wildcards_as_text(session, world):
    assert people.search_people(session, "%") == ([], 0)
    assert people.search_people(session, "_")[1] == 0


# --------------------------------------------------------------------------- password policy


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("tulip-sky", "at least 12 characters; this one has 9"),
        ("1qaz2wsx3edc4rfv", "one of the most common passwords"),
        ("QWERTY123456", "one of the most common passwords"),
        ("passwordpassword", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("amina.diallo@panel.org", "email address"),
        ("Amina.Diallo", "email address"),
        ("x" * 1025, "at most 1,024 characters"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason(session, world, password, reason):
    with pytest.raises(ValidationError, match=reason):
        people.create_person(
            session=session,
            actor=world.secretariat,
            data=PersonCreate(email="amina.diallo@panel.org", name="Amina", password=password),
        )
    session.rollback()
    assert people.find_by_email(session, "amina.diallo@panel.org") is None


def test_a_refused_new_password_leaves_the_old_one(session, world):
    person = world.la
    people.set_password(
        session=session, actor=world.secretariat, person=person, password="harbour lantern"
    )
    for weak in ("short", "123456789012", person.email):
        with pytest.raises(ValidationError) as refused:
            people.set_password(session=session, actor=person, person=person, password=weak)
        assert weak not in refused.value.message  # the password is never repeated back
        session.rollback()
    assert people.authenticate(session, person.email, "harbour lantern").id == person.id


def test_the_demo_password_meets_the_policy():
    from workbench import demo, passwords

    passwords.check_password(demo.DEMO_PASSWORD, email="amina.diallo@demo.ipsp.example")


def test_a_person_sets_their_own_interface_language_and_it_is_audited(session, world):
    from workbench import audit

    person = people.set_interface_language(
        session=session, actor=world.la, person_id=world.la.id, language="FR"
    )
    assert person.interface_language == "fr"
    people.set_interface_language(
        session=session, actor=world.la, person_id=world.la.id, language=None
    )
    assert session.get(type(world.la), world.la.id).interface_language is None
    events = [
        e
        for e in audit.events(session, entity="person", entity_id=world.la.id)
        if e.action == "set_interface_language"
    ]
    assert [(e.detail["before"], e.detail["after"]) for e in events] == [("fr", None), (None, "fr")]


def test_only_the_secretariat_sets_someone_elses_interface_language(session, world):
    with pytest.raises(PermissionDenied):
        people.set_interface_language(
            session=session, actor=world.la, person_id=world.cla.id, language="es"
        )
    done = people.set_interface_language(
        session=session, actor=world.secretariat, person_id=world.cla.id, language="es"
    )
    assert done.interface_language == "es"


def test_an_unknown_interface_language_is_refused_and_nothing_changes(session, world):
    with pytest.raises(ValidationError, match="'de' is not an interface language"):
        people.set_interface_language(
            session=session, actor=world.la, person_id=world.la.id, language="de"
        )
    session.rollback()
    assert session.get(type(world.la), world.la.id).interface_language is None
