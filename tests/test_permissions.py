"""The permission matrix, as a table: every role × action, allowed or denied."""

from __future__ import annotations

import pytest

from tests.factories import make_person, make_report
from workbench.errors import PermissionDenied
from workbench.models import Role
from workbench.permissions import MATRIX, Action, can, require

# The expected table, written out independently of MATRIX so a change to either shows.
# Columns: secretariat, council member, CLA, lead author, contributing author,
# review editor, reviewer, translator.
ROLES = [
    Role.secretariat,
    Role.council_member,
    Role.cla,
    Role.lead_author,
    Role.contributing_author,
    Role.review_editor,
    Role.reviewer,
    Role.translator,
]
TABLE = {
    Action.manage_people: "S.......",
    Action.create_report: "S.......",
    Action.edit_report: "S.C.....",
    Action.advance_stage: "S.C.....",
    Action.publish_report: "S.......",
    Action.manage_team: "S.C.....",
    Action.read_report: "SMCLAERT",
    Action.edit_outline: "..C.....",
    Action.set_section_status: "..CL....",
    Action.write_section: "..CLA...",
    Action.edit_sources: "S.CLA...",
    Action.edit_content: "..CL....",
    Action.review_initiative: "..C..E..",
    Action.manage_review_round: "S.C.....",
    Action.comment: "......R.",
    Action.import_comments: "S.C.....",
    Action.respond_to_comment: "..CL....",
    Action.sign_off_response: ".....E..",
    Action.open_decision: "S.......",
    Action.vote: ".M......",
    Action.edit_translation: "S.C....T",
    Action.withdraw_decision: "S.C.....",
    Action.start_new_edition: "S.......",
    Action.backup: "S.......",
    Action.discuss: "..CLAE..",
    Action.edit_glossary: "S.......",
}


def test_table_lists_every_action():
    assert set(TABLE) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(session, action, role):
    report = make_report(session)
    scope = None if role.workspace_wide else report
    person = make_person(session, roles=[(role, scope)], signed=True)
    expected = TABLE[action][ROLES.index(role)] != "."
    assert (role in MATRIX[action]) == expected
    assert can(session, person, action, report.id) == expected


def test_roles_in_another_report_grant_nothing(session):
    mine, other = make_report(session, "mine"), make_report(session, "other")
    cla = make_person(session, roles=[(Role.cla, other)], signed=True)
    with pytest.raises(PermissionDenied, match="Coordinating Lead Author"):
        require(session, cla, Action.edit_outline, mine.id)


def test_deny_by_default_for_people_without_roles(session):
    report = make_report(session)
    nobody = make_person(session, signed=True)
    assert not any(can(session, nobody, action, report.id) for action in Action)


def test_inactive_or_missing_people_are_refused(session):
    report = make_report(session)
    secretariat = make_person(session, roles=[(Role.secretariat, None)])
    secretariat.active = False
    session.commit()
    with pytest.raises(PermissionDenied, match="active account"):
        require(session, secretariat, Action.create_report)
    with pytest.raises(PermissionDenied, match="Sign in"):
        require(session, None, Action.read_report, report.id)


def test_authors_must_sign_before_changing_content(session):
    report = make_report(session)
    la = make_person(session, roles=[(Role.lead_author, report)])
    assert can(session, la, Action.read_report, report.id)
    with pytest.raises(PermissionDenied, match="Code of Ethics"):
        require(session, la, Action.write_section, report.id)
