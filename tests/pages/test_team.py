"""Team: members, the Code of Ethics, balance, rule warnings, and managing the team."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.pages.conftest import CLA, LA, ROLES, SECRETARIAT, texts
from workbench import people, permissions, reports, teams
from workbench.models import EthicsSignature, Role

PAGE = "views/team.py"
UNSIGNED_LA = "daniel.mwangi@demo.ipsp.example"


@pytest.mark.parametrize("role", list(ROLES))
def test_everyone_in_the_report_sees_the_team(open_page, role):
    at = open_page(PAGE, ROLES[role], report="living-wages")
    assert not at.exception, role
    shown = texts(at)
    assert "Members" in shown and "Balance of the authors" in shown
    assert "You have signed the Code of Ethics" in shown or role in (
        "review_editor",
        "reviewer",
        "council_member",
        "secretariat",
    )
    managing = role in ("cla", "secretariat")
    assert ("Manage the team" in shown) == managing
    assert bool([b for b in at.button if b.key == "team_add"]) == managing
    members = at.dataframe[0].value
    assert "Amina Diallo" in set(members["Name"])
    assert len(members) == 27  # 3 CLAs, 12 LAs, 2 CAs, 2 REs, 6 reviewers, 2 translators


def test_the_thin_team_shows_its_warnings(open_page):
    at = open_page(PAGE, "leila.moradi@demo.ipsp.example", report="cities-commons")
    warnings = "\n".join(w.value for w in at.warning)
    assert "The team has 7 authors" in warnings
    assert "Daniel Mwangi" in warnings and "not signed the Code of Ethics" in warnings
    members = at.dataframe[0].value.set_index("Name")
    assert members.loc["Daniel Mwangi", "Code of Ethics"] == "Not signed"


def test_an_unsigned_lead_author_signs_the_code(open_page, db):
    at = open_page(PAGE, UNSIGNED_LA, report="cities-commons")
    assert "You have not signed the Code of Ethics yet" in texts(at)
    assert "Intellectual freedom" in texts(at)
    at.button(key="sign_ethics").click().run()
    assert not at.exception
    assert "you signed the Code of Ethics" in texts(at)
    person = people.get_by_email(db, UNSIGNED_LA)
    assert db.exec(select(EthicsSignature).where(EthicsSignature.person_id == person.id)).first()
    assert permissions.has_signed_current_code(db, person)
    assert not [b for b in at.button if b.key == "sign_ethics"]


def test_a_cla_adds_a_person_to_the_team(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    at.text_input(key="team_search").input("Leila").run()
    newcomer = people.get_by_email(db, "leila.moradi@demo.ipsp.example")
    assert at.button(key="team_add").disabled  # until someone is chosen
    at.selectbox(key="team_add_person").set_value(newcomer.id).run()
    at.selectbox(key="team_add_role").set_value(Role.review_editor)
    at.button(key="team_add").click().run()
    assert not at.exception
    assert "Leila Moradi is now Review Editor of this report." in texts(at)
    living = reports.get_report(db, "living-wages")
    assert Role.review_editor in next(
        m.roles for m in teams.members(db, living.id) if m.person.id == newcomer.id
    )


def test_removing_someone_who_leads_sections_is_refused(open_page, db):
    at = open_page(PAGE, SECRETARIAT, report="living-wages")
    wei = people.get_by_email(db, LA)
    at.selectbox(key="team_remove_pair").set_value((wei.id, Role.lead_author, "")).run()
    at.checkbox(key=f"team_remove_confirm_{wei.id}_lead_author").check().run()
    at.button(key="team_remove").click().run()
    assert not at.exception
    assert "leads sections 3.1" in "\n".join(e.value for e in at.error)
    living = reports.get_report(db, "living-wages")
    assert any(m.person.id == wei.id for m in teams.members(db, living.id))


def test_removing_a_reviewer_role(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    reviewer = people.get_by_email(db, ROLES["reviewer"])
    at.selectbox(key="team_remove_pair").set_value((reviewer.id, Role.reviewer, "")).run()
    at.checkbox(key=f"team_remove_confirm_{reviewer.id}_reviewer").check().run()
    at.button(key="team_remove").click().run()
    assert not at.exception
    assert "is no longer Reviewer of this report" in texts(at)
    living = reports.get_report(db, "living-wages")
    assert all(m.person.id != reviewer.id for m in teams.members(db, living.id))


def test_a_cla_adds_a_translator_for_a_language(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    members = at.dataframe[0].value.set_index("Name")
    assert members.loc["Camille Laurent", "Roles"] == "Translator (French)"
    at.selectbox(key="team_add_role").set_value(Role.translator).run()
    assert at.selectbox(key="team_add_language").options  # the report's target languages
    at.selectbox(key="team_add_language").set_value("es").run()
    at.text_input(key="team_search").input("Camille").run()
    camille = people.get_by_email(db, "camille.laurent@demo.ipsp.example")
    at.selectbox(key="team_add_person").set_value(camille.id).run()
    at.button(key="team_add").click().run()
    assert not at.exception
    assert "Camille Laurent is now Translator of this report, into Spanish (es)." in texts(at)
    members = at.dataframe[0].value.set_index("Name")
    assert members.loc["Camille Laurent", "Roles"] == "Translator (Spanish and French)"
