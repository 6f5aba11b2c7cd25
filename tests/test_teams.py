"""Teams: members, ethics, balance and the Panel's rule warnings."""

from __future__ import annotations

import pytest

from tests.factories import make_person
from workbench import teams
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.governance import ETHICS_CODE_VERSION
from workbench.models import Role


def test_members_lists_roles_and_signatures(session, world):
    team = teams.members(session, world.report.id)
    assert [m.person.name for m in team[:3]] == ["CLA 1", "CLA 2", "CLA 3"]
    reviewer = next(m for m in team if m.person.id == world.reviewer.id)
    assert reviewer.roles == [Role.reviewer] and not reviewer.signed and not reviewer.is_author


def test_add_and_remove_members(session, world):
    newcomer = make_person(session, "Newcomer")
    teams.add_member(
        session=session,
        actor=world.cla,
        report=world.report,
        person=newcomer,
        role=Role.lead_author,
    )
    with pytest.raises(ValidationError, match="already Lead Author"):
        teams.add_member(
            session=session,
            actor=world.cla,
            report=world.report,
            person=newcomer,
            role=Role.lead_author,
        )
    teams.remove_member(
        session=session,
        actor=world.cla,
        report=world.report,
        person=newcomer,
        role=Role.lead_author,
    )
    with pytest.raises(NotFound):
        teams.remove_member(
            session=session,
            actor=world.cla,
            report=world.report,
            person=newcomer,
            role=Role.lead_author,
        )


def test_cannot_remove_someone_who_still_leads_sections(session, world):
    with pytest.raises(ValidationError, match="leads sections 1.1"):
        teams.remove_member(
            session=session,
            actor=world.cla,
            report=world.report,
            person=world.la,
            role=Role.lead_author,
        )


def test_workspace_roles_are_not_report_roles(session, world):
    with pytest.raises(ValidationError, match="workspace role"):
        teams.add_member(
            session=session,
            actor=world.secretariat,
            report=world.report,
            person=world.outsider,
            role=Role.council_member,
        )


def test_lead_authors_cannot_manage_the_team(session, world):
    with pytest.raises(PermissionDenied):
        teams.add_member(
            session=session,
            actor=world.la,
            report=world.report,
            person=world.outsider,
            role=Role.lead_author,
        )


def test_signing_the_code_of_ethics(session, world):
    version, text = teams.ethics_code()
    assert version == ETHICS_CODE_VERSION
    assert "Integrity" in text and not text.startswith("---")
    sig = teams.sign_ethics(session=session, actor=world.reviewer)
    again = teams.sign_ethics(session=session, actor=world.reviewer)
    assert sig.id == again.id and sig.code_version == version


def test_the_world_team_raises_only_the_author_count_warning(session, world):
    # 3 CLAs + 8 LAs = 11 authors: within 10–15, so no warning at all.
    assert teams.team_warnings(session, world.report) == []


def test_warnings_for_a_thin_unbalanced_team(session, world):
    for cla in world.clas[1:]:
        cla.sector = "academia"
        cla.region = "Europe"
    session.commit()
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    warnings = teams.team_warnings(session, world.report)
    assert any("same sector (academia)" in w for w in warnings)
    assert any("same region (europe)" in w for w in warnings)
    assert any("12 authors" in w for w in warnings) is False
    assert any("Unsigned LA" in w and "Code of Ethics" in w for w in warnings)
    assert unsigned.id


def test_balance_counts_authors_only(session, world):
    counts = teams.team_balance(session, world.report.id)
    assert sum(counts["gender"].values()) == 12  # 3 CLAs, 8 LAs, 1 contributor
    assert counts["gender"]["woman"] >= 2
    assert "not stated" in counts["discipline"]


def test_candidates_are_active_people_outside_the_report(session, world):
    newcomer = make_person(session, "Newcomer Ngozi", affiliation="Lagos Business School")
    gone = make_person(session, "Newcomer Gone")
    gone.active = False
    session.add(gone)
    session.commit()
    found = teams.candidates(session, world.report.id, text="newcomer")
    assert [p.name for p in found] == ["Newcomer Ngozi"]
    assert teams.candidates(session, world.report.id, text="LAGOS")[0].id == newcomer.id
    everyone = {p.id for p in teams.candidates(session, world.report.id, limit=100)}
    assert world.la.id not in everyone and world.outsider.id in everyone
    assert world.council[0].id in everyone  # workspace roles are not roles in the report
    assert teams.candidates(session, world.report.id, text="CLA") == []


def test_a_translator_is_added_for_a_language_of_the_report(session, world):
    world.report.languages = ["en", "fr", "es"]
    session.add(world.report)
    session.commit()
    camille = make_person(session, "Camille")
    add = dict(session=session, actor=world.cla, report=world.report, person=camille)
    with pytest.raises(ValidationError, match="Choose the language this Translator translates"):
        teams.add_member(**add, role=Role.translator)
    with pytest.raises(ValidationError, match="'ar' is not a language 'test-report' is translated"):
        teams.add_member(**add, role=Role.translator, language="ar")
    with pytest.raises(ValidationError, match="not a language 'test-report' is translated"):
        teams.add_member(**add, role=Role.translator, language="en")
    with pytest.raises(ValidationError, match="Only a Translator holds a role in one language"):
        teams.add_member(**add, role=Role.reviewer, language="fr")
    french = teams.add_member(**add, role=Role.translator, language="FR")
    assert (french.role, french.language) == (Role.translator, "fr")
    with pytest.raises(ValidationError, match="Camille already translates this report into"):
        teams.add_member(**add, role=Role.translator, language="fr")
    teams.add_member(**add, role=Role.translator, language="es")
    member = next(m for m in teams.members(session, world.report.id) if m.person.id == camille.id)
    assert member.roles == [Role.translator] and member.languages == ["es", "fr"]
    assert not member.is_author
    # Still a candidate for another language, not for another role.
    assert camille in teams.candidates(session, world.report.id, role=Role.translator)
    assert camille not in teams.candidates(session, world.report.id, role=Role.reviewer)
    teams.remove_member(**add, role=Role.translator, language="es")
    member = next(m for m in teams.members(session, world.report.id) if m.person.id == camille.id)
    assert member.languages == ["fr"]
