"""Inspiring initiatives and their expert review."""

from __future__ import annotations

import pytest

from tests.factories import make_person, row_counts
from workbench import audit
from workbench.errors import PermissionDenied, ValidationError
from workbench.initiatives import (
    REVIEW_TRANSITIONS,
    add_initiative,
    can_move,
    list_initiatives,
    set_review_status,
    update_initiative,
)
from workbench.models import Initiative, InitiativeCreate, InitiativeStatus, Role

P, U, R, D = (
    InitiativeStatus.proposed,
    InitiativeStatus.under_review,
    InitiativeStatus.reviewed,
    InitiativeStatus.declined,
)


def data(name: str = "Kerala living wage boards", **fields) -> InitiativeCreate:
    values = {
        "name": name,
        "location": "Kerala",
        "region": "Asia",
        "who": "State government with unions",
        "what": "Tripartite boards set sector wages",
    }
    values.update(fields)
    return InitiativeCreate(**values)


def test_a_lead_author_proposes_an_initiative(session, world):
    initiative = add_initiative(
        session=session, actor=world.la, report=world.report, data=data(name="  Kerala boards ")
    )
    assert initiative.name == "Kerala boards"
    assert initiative.review_status is InitiativeStatus.proposed
    events = audit.events(session, entity="initiative", entity_id=initiative.id)
    assert [e.action for e in events] == ["add"]


def test_an_initiative_needs_a_name_and_what_it_does(session, world):
    before = row_counts(session)
    with pytest.raises(ValidationError, match="needs a name"):
        add_initiative(session=session, actor=world.la, report=world.report, data=data(name=" "))
    with pytest.raises(ValidationError, match="say what it does"):
        add_initiative(session=session, actor=world.la, report=world.report, data=data(what=""))
    assert row_counts(session) == before


def test_people_without_edit_rights_cannot_add_initiatives(session, world):
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    before = row_counts(session)
    for person in (world.outsider, world.reviewer, unsigned, world.review_editor):
        with pytest.raises(PermissionDenied):
            add_initiative(session=session, actor=person, report=world.report, data=data())
    assert row_counts(session) == before


def test_update_initiative(session, world):
    initiative = add_initiative(session=session, actor=world.la, report=world.report, data=data())
    update_initiative(
        session=session, actor=world.cla, initiative=initiative, outcomes="Wages rose 20%"
    )
    assert session.get(Initiative, initiative.id).outcomes == "Wages rose 20%"
    before = row_counts(session)
    with pytest.raises(ValidationError, match="say what it does"):
        update_initiative(session=session, actor=world.la, initiative=initiative, what=" ")
    with pytest.raises(ValidationError, match="changes through a review"):
        update_initiative(
            session=session, actor=world.la, initiative=initiative, review_status="reviewed"
        )
    with pytest.raises(PermissionDenied):
        update_initiative(session=session, actor=world.reviewer, initiative=initiative, who="me")
    assert row_counts(session) == before
    session.rollback()
    stored = session.get(Initiative, initiative.id)
    assert (stored.what, stored.review_status) == (
        "Tripartite boards set sector wages",
        InitiativeStatus.proposed,
    )


def test_review_transitions_as_a_table():
    expected = {(P, U), (U, R), (U, D), (D, U)}
    for current in InitiativeStatus:
        for new in InitiativeStatus:
            assert can_move(current, new) == ((current, new) in expected), (current, new)
    assert REVIEW_TRANSITIONS[R] == frozenset()


def test_a_review_editor_reviews_an_initiative_with_a_note(session, world):
    initiative = add_initiative(session=session, actor=world.la, report=world.report, data=data())
    set_review_status(session=session, actor=world.review_editor, initiative=initiative, status=U)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="a note is required"):
        set_review_status(
            session=session, actor=world.review_editor, initiative=initiative, status=R, note=" "
        )
    assert row_counts(session) == before
    set_review_status(
        session=session,
        actor=world.review_editor,
        initiative=initiative,
        status=R,
        note="Outcomes checked against the 2019 evaluation.",
    )
    stored = session.get(Initiative, initiative.id)
    assert stored.review_status is InitiativeStatus.reviewed
    assert stored.review_note == "Outcomes checked against the 2019 evaluation."
    actions = [e.action for e in audit.events(session, entity="initiative")]
    assert actions == ["review", "review", "add"]


def test_a_declined_initiative_can_go_back_under_review(session, world):
    initiative = add_initiative(session=session, actor=world.la, report=world.report, data=data())
    set_review_status(session=session, actor=world.cla, initiative=initiative, status=U)
    set_review_status(
        session=session, actor=world.cla, initiative=initiative, status=D, note="No evidence"
    )
    set_review_status(session=session, actor=world.cla, initiative=initiative, status=U)
    assert initiative.review_status is InitiativeStatus.under_review


def test_illegal_review_moves_and_reviewers_without_the_role_are_refused(session, world):
    initiative = add_initiative(session=session, actor=world.la, report=world.report, data=data())
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    before = row_counts(session)
    with pytest.raises(ValidationError, match="is proposed; it cannot become reviewed"):
        set_review_status(
            session=session, actor=world.cla, initiative=initiative, status=R, note="Fine"
        )
    with pytest.raises(ValidationError, match="not a review status"):
        set_review_status(session=session, actor=world.cla, initiative=initiative, status="done")
    for person in (world.outsider, world.reviewer, unsigned, world.la, world.secretariat):
        with pytest.raises(PermissionDenied):
            set_review_status(session=session, actor=person, initiative=initiative, status=U)
    assert row_counts(session) == before
    assert session.get(Initiative, initiative.id).review_status is InitiativeStatus.proposed


def test_list_initiatives_by_name_and_status(session, world):
    b = add_initiative(session=session, actor=world.la, report=world.report, data=data("B"))
    add_initiative(session=session, actor=world.la, report=world.report, data=data("A"))
    set_review_status(session=session, actor=world.cla, initiative=b, status=U)
    assert [i.name for i in list_initiatives(session, report_id=world.report.id)] == ["A", "B"]
    under_review = list_initiatives(session, report_id=world.report.id, status=U)
    assert [i.name for i in under_review] == ["B"]
    assert list_initiatives(session, report_id=world.report.id, status=R) == []


def test_status_counts_and_the_recommendations_using_an_initiative(session, world):
    from workbench.initiatives import recommendations_using, status_counts
    from workbench.models import ActorType, Horizon, RecommendationCreate, Scale
    from workbench.recommendations import add_recommendation

    kerala = add_initiative(session=session, actor=world.la, report=world.report, data=data())
    other = add_initiative(
        session=session, actor=world.la, report=world.report, data=data(name="Fair wage network")
    )
    set_review_status(session=session, actor=world.cla, initiative=other, status=U)
    for code in ("R2", "R1"):
        add_recommendation(
            session=session,
            actor=world.la,
            report=world.report,
            data=RecommendationCreate(
                code=code,
                text="Pay a living wage.",
                addressees=[ActorType.business],
                scale=Scale.local,
                horizon=Horizon.immediate,
                context_conditions="Anywhere.",
                normative_assumptions="None identified",
                initiative_ids=[kerala.id],
            ),
        )

    assert status_counts(session, report_id=world.report.id) == {P: 1, U: 1, R: 0, D: 0}
    assert recommendations_using(session, [kerala.id, other.id]) == {
        kerala.id: ["R1", "R2"],
        other.id: [],
    }
    assert recommendations_using(session, []) == {}
