"""Consensus items, actors' positions, the positions matrix and false solutions."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.factories import World, count_queries, make_person, make_report, make_section, row_counts
from workbench import audit
from workbench.consensus import (
    FALSE_SOLUTION_NEEDS_WHY,
    add_actor,
    add_item,
    classification_counts,
    false_solutions,
    get_or_create_actor,
    list_actors,
    list_items,
    positions_matrix,
    remove_position,
    set_position,
    update_item,
)
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.models import (
    Actor,
    ActorType,
    Classification,
    ConsensusItem,
    ConsensusItemCreate,
    Person,
    Position,
    Question,
    Report,
    Role,
    Source,
    Stance,
)


def refused_people(session: Session, world: World) -> list[Person]:
    """Return people who may not edit a report's content (an unsigned Lead Author among them)."""
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    return [world.outsider, world.reviewer, unsigned, world.secretariat, world.contributor]


def add_source(session: Session, report: Report, key: str) -> Source:
    source = Source(report_id=report.id, key=key)
    session.add(source)
    session.commit()
    return source


def item_data(classification: Classification = Classification.consensus, **fields):
    values = {
        "statement": "A living wage reduces in-work poverty.",
        "classification": classification,
    }
    values.update(fields)
    return ConsensusItemCreate(**values)


def new_actor(session: Session, world: World, name: str = "ITUC") -> Actor:
    return add_actor(
        session=session,
        actor=world.la,
        report=world.report,
        name=name,
        actor_type=ActorType.trade_union,
    )


# --------------------------------------------------------------------------- actors


def test_an_author_adds_an_actor_and_names_are_unique_regardless_of_case(session, world):
    ituc = add_actor(
        session=session,
        actor=world.cla,
        report=world.report,
        name="  ITUC ",
        actor_type="trade_union",
        description="International Trade Union Confederation",
    )
    assert (ituc.name, ituc.actor_type) == ("ITUC", ActorType.trade_union)
    assert [e.action for e in audit.events(session, entity="actor", entity_id=ituc.id)] == ["add"]
    before = row_counts(session)
    with pytest.raises(ValidationError, match="An actor named 'ITUC' already exists"):
        new_actor(session, world, name="ituc")
    with pytest.raises(ValidationError, match="needs a name"):
        new_actor(session, world, name="   ")
    with pytest.raises(ValidationError, match="not a kind of actor"):
        add_actor(session=session, actor=world.la, report=world.report, name="X", actor_type="gods")
    assert row_counts(session) == before


def test_people_without_edit_rights_cannot_add_actors(session, world):
    people = refused_people(session, world)
    before = row_counts(session)
    for person in people:
        with pytest.raises(PermissionDenied):
            add_actor(
                session=session,
                actor=person,
                report=world.report,
                name="ILO",
                actor_type=ActorType.international_organisation,
            )
    assert row_counts(session) == before


def test_get_or_create_actor_reuses_an_existing_actor(session, world):
    first = get_or_create_actor(
        session=session,
        actor=world.la,
        report=world.report,
        name="ILO",
        actor_type=ActorType.international_organisation,
    )
    again = get_or_create_actor(
        session=session,
        actor=world.cla,
        report=world.report,
        name="ilo",
        actor_type=ActorType.international_organisation,
    )
    assert again.id == first.id
    assert [a.name for a in list_actors(session)] == ["ILO"]
    with pytest.raises(PermissionDenied):
        get_or_create_actor(
            session=session,
            actor=world.outsider,
            report=world.report,
            name="ILO",
            actor_type=ActorType.international_organisation,
        )


# --------------------------------------------------------------------------- items


def test_add_and_list_items_by_classification(session, world):
    consensus = add_item(session=session, actor=world.la, report=world.report, data=item_data())
    false = add_item(
        session=session,
        actor=world.cla,
        report=world.report,
        data=item_data(
            Classification.false_solution,
            statement="Trickle-down growth will lift wages.",
            why_false="Growth since 1980 shows wages decoupled from productivity.",
            section_id=world.sections[2].id,
        ),
    )
    assert [i.id for i in list_items(session, report_id=world.report.id)] == [
        consensus.id,
        false.id,
    ]
    assert [i.id for i in false_solutions(session, report_id=world.report.id)] == [false.id]
    assert (
        list_items(session, report_id=world.report.id, classification=Classification.disagreement)
        == []
    )
    events = audit.events(session, entity="consensus_item", entity_id=false.id)
    assert events[0].detail["classification"] == "false_solution"


def test_a_false_solution_must_say_why(session, world):
    before = row_counts(session)
    with pytest.raises(ValidationError, match=FALSE_SOLUTION_NEEDS_WHY):
        add_item(
            session=session,
            actor=world.la,
            report=world.report,
            data=item_data(Classification.false_solution, why_false="   "),
        )
    assert FALSE_SOLUTION_NEEDS_WHY == "A false solution must say why it is false"
    assert row_counts(session) == before


def test_refused_items_change_nothing(session, world):
    other = make_report(session, slug="other-report")
    elsewhere = make_section(session, other, "9.9", Question.known)
    people = refused_people(session, world)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="needs a statement"):
        add_item(
            session=session, actor=world.la, report=world.report, data=item_data(statement=" ")
        )
    with pytest.raises(ValidationError, match="not part of this report"):
        add_item(
            session=session,
            actor=world.la,
            report=world.report,
            data=item_data(section_id=elsewhere.id),
        )
    for person in people:
        with pytest.raises(PermissionDenied):
            add_item(session=session, actor=person, report=world.report, data=item_data())
    assert row_counts(session) == before


def test_update_item_revalidates_a_false_solution(session, world):
    item = add_item(session=session, actor=world.la, report=world.report, data=item_data())
    before = row_counts(session)
    with pytest.raises(ValidationError, match=FALSE_SOLUTION_NEEDS_WHY):
        update_item(
            session=session,
            actor=world.la,
            item=item,
            classification=Classification.false_solution,
        )
    with pytest.raises(ValidationError, match="Cannot change report_id"):
        update_item(session=session, actor=world.la, item=item, report_id=99)
    with pytest.raises(ValidationError, match="classification is not allowed"):
        update_item(session=session, actor=world.la, item=item, classification="myth")
    with pytest.raises(PermissionDenied):
        update_item(session=session, actor=world.reviewer, item=item, note="mine")
    assert row_counts(session) == before
    session.rollback()
    assert session.get(ConsensusItem, item.id).classification is Classification.consensus

    update_item(
        session=session,
        actor=world.cla,
        item=item,
        classification=Classification.false_solution,
        why_false="The evidence contradicts it.",
    )
    assert [i.id for i in false_solutions(session, report_id=world.report.id)] == [item.id]


# --------------------------------------------------------------------------- positions


def test_set_position_upserts_one_position_per_item_and_actor(session, world):
    item = add_item(session=session, actor=world.la, report=world.report, data=item_data())
    ituc = new_actor(session, world)
    source = add_source(session, world.report, "ituc2022")
    first = set_position(
        session=session,
        actor=world.la,
        item=item,
        actor_id=ituc.id,
        stance=Stance.support,
        rationale="Congress resolution 2022",
        source_id=source.id,
    )
    second = set_position(
        session=session,
        actor=world.cla,
        item=item,
        actor_id=ituc.id,
        stance="conditional",
        rationale="Only with collective bargaining",
    )
    assert second.id == first.id
    positions = session.exec(select(Position).where(Position.item_id == item.id)).all()
    assert [(p.stance, p.rationale, p.source_id) for p in positions] == [
        (Stance.conditional, "Only with collective bargaining", None)
    ]


def test_refused_positions_change_nothing(session, world):
    item = add_item(session=session, actor=world.la, report=world.report, data=item_data())
    ituc = new_actor(session, world)
    other = make_report(session, slug="other-report")
    foreign = add_source(session, other, "elsewhere")
    people = refused_people(session, world)
    before = row_counts(session)
    with pytest.raises(ValidationError, match=f"source \\(id {foreign.id}\\) for ITUC"):
        set_position(
            session=session,
            actor=world.la,
            item=item,
            actor_id=ituc.id,
            stance=Stance.oppose,
            rationale="",
            source_id=foreign.id,
        )
    with pytest.raises(NotFound, match="No actor with id 9999"):
        set_position(
            session=session,
            actor=world.la,
            item=item,
            actor_id=9999,
            stance=Stance.oppose,
            rationale="",
        )
    with pytest.raises(ValidationError, match="'neutral' is not a stance"):
        set_position(
            session=session,
            actor=world.la,
            item=item,
            actor_id=ituc.id,
            stance="neutral",
            rationale="",
        )
    for person in people:
        with pytest.raises(PermissionDenied):
            set_position(
                session=session,
                actor=person,
                item=item,
                actor_id=ituc.id,
                stance=Stance.support,
                rationale="",
            )
    assert row_counts(session) == before


def test_remove_position(session, world):
    item = add_item(session=session, actor=world.la, report=world.report, data=item_data())
    ituc = new_actor(session, world)
    set_position(
        session=session,
        actor=world.la,
        item=item,
        actor_id=ituc.id,
        stance=Stance.support,
        rationale="",
    )
    with pytest.raises(PermissionDenied):
        remove_position(session=session, actor=world.outsider, item=item, actor_id=ituc.id)
    remove_position(session=session, actor=world.la, item=item, actor_id=ituc.id)
    assert session.exec(select(Position)).all() == []
    with pytest.raises(NotFound, match="no recorded position"):
        remove_position(session=session, actor=world.la, item=item, actor_id=ituc.id)


def test_positions_matrix_in_a_fixed_number_of_queries(session, world):
    items = [
        add_item(
            session=session,
            actor=world.la,
            report=world.report,
            data=item_data(statement=f"Statement {i}"),
        )
        for i in range(3)
    ]
    unions = new_actor(session, world, "Unions")
    business = new_actor(session, world, "Business")
    new_actor(session, world, "Nobody asked")  # no position in this report
    set_position(
        session=session,
        actor=world.la,
        item=items[0],
        actor_id=unions.id,
        stance=Stance.support,
        rationale="",
    )
    set_position(
        session=session,
        actor=world.la,
        item=items[2],
        actor_id=business.id,
        stance=Stance.oppose,
        rationale="",
    )
    with count_queries(session) as small:
        actors, listed, cells = positions_matrix(session, report_id=world.report.id)
    assert [a.name for a in actors] == ["Business", "Unions"]
    assert [i.id for i in listed] == [i.id for i in items]
    assert cells[(items[0].id, unions.id)].stance is Stance.support
    assert cells[(items[2].id, business.id)].stance is Stance.oppose
    assert (items[1].id, unions.id) not in cells

    for i in range(3, 10):
        extra = add_item(
            session=session,
            actor=world.la,
            report=world.report,
            data=item_data(statement=f"Statement {i}"),
        )
        for stakeholder in (unions, business):
            set_position(
                session=session,
                actor=world.la,
                item=extra,
                actor_id=stakeholder.id,
                stance=Stance.divided,
                rationale="",
            )
    with count_queries(session) as large:
        _, listed, cells = positions_matrix(session, report_id=world.report.id)
    assert len(listed) == 10 and len(cells) == 16
    assert len(large) == len(small) <= 3


def test_an_empty_report_has_an_empty_matrix(session, world):
    assert positions_matrix(session, report_id=world.report.id) == ([], [], {})


def test_classification_counts_cover_every_classification(session, world):
    for classification in [Classification.consensus, Classification.consensus]:
        add_item(
            session=session, actor=world.la, report=world.report, data=item_data(classification)
        )
    add_item(
        session=session,
        actor=world.la,
        report=world.report,
        data=item_data(Classification.false_solution, why_false="It moves the cost to workers."),
    )
    counts = classification_counts(session, report_id=world.report.id)
    assert counts == {
        Classification.consensus: 2,
        Classification.broad_agreement: 0,
        Classification.disagreement: 0,
        Classification.false_solution: 1,
        Classification.open_question: 0,
    }
