"""Consensus and disagreement among actors, and the false solutions a report unmasks.

- An **actor** is someone whose stance matters: a government, a union
  federation, a business network. Actors are shared by every report; names are
  unique (compared without regard to case).
- A **consensus item** is a statement a report takes a view on, with a
  **classification**: consensus, broad agreement, disagreement, false solution
  or open question. A **false solution** must say *why* it is false.
- A **position** is one actor's **stance** on one item (support, oppose,
  conditional, divided), with a rationale and optionally the source that
  documents it; there is at most one position per item and actor.
- The **positions matrix** is the table of items × actors a report shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pydantic
from sqlmodel import Session, col, func, select

from workbench import audit
from workbench.errors import NotFound, ValidationError
from workbench.models import (
    Actor,
    ActorType,
    Classification,
    ConsensusItem,
    ConsensusItemCreate,
    Person,
    Position,
    Report,
    Section,
    Source,
    Stance,
)
from workbench.permissions import Action, require
from workbench.words import blank

FALSE_SOLUTION_NEEDS_WHY = "A false solution must say why it is false"
UPDATABLE_FIELDS = frozenset({"statement", "classification", "why_false", "note", "section_id"})


# --------------------------------------------------------------------------- actors


def _find_actor_by_name(session: Session, name: str) -> Actor | None:
    return session.exec(select(Actor).where(func.lower(Actor.name) == name.lower())).first()


def add_actor(
    *,
    session: Session,
    actor: Person,
    report: Report,
    name: str,
    actor_type: ActorType,
    description: str = "",
) -> Actor:
    """Add an actor whose positions a report records (authors of the report may add them)."""
    require(session, actor, Action.edit_content, report.id)
    name = (name or "").strip()
    if not name:
        raise ValidationError("An actor needs a name.")
    try:
        actor_type = ActorType(actor_type)
    except ValueError:
        if blank(actor_type):
            raise ValidationError("Choose what kind of actor {name} is.", name=name) from None
        raise ValidationError("'{value}' is not a kind of actor.", value=actor_type) from None
    existing = _find_actor_by_name(session, name)
    if existing is not None:
        raise ValidationError(
            "An actor named '{name}' already exists; choose it rather than adding it again.",
            name=existing.name,
        )
    try:
        new = Actor(name=name, actor_type=actor_type, description=(description or "").strip())
        session.add(new)
        session.flush()
        audit.record(
            session, actor, "add", "actor", new.id, report_id=report.id, name=name, type=actor_type
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return new


def get_or_create_actor(
    *,
    session: Session,
    actor: Person,
    report: Report,
    name: str,
    actor_type: ActorType,
    description: str = "",
) -> Actor:
    """Return the actor with this name, adding it first if the workspace has none."""
    require(session, actor, Action.edit_content, report.id)
    existing = _find_actor_by_name(session, (name or "").strip())
    if existing is not None:
        return existing
    return add_actor(
        session=session,
        actor=actor,
        report=report,
        name=name,
        actor_type=actor_type,
        description=description,
    )


def list_actors(session: Session) -> list[Actor]:
    """Return every actor by name."""
    return list(session.exec(select(Actor).order_by(col(Actor.name))).all())


# --------------------------------------------------------------------------- items


def _validated(data: ConsensusItemCreate) -> ConsensusItemCreate:
    statement = (data.statement or "").strip()
    if not statement:
        raise ValidationError("A consensus item needs a statement.")
    why_false = (data.why_false or "").strip()
    if data.classification is Classification.false_solution and not why_false:
        raise ValidationError(
            "A false solution must say why it is false: '{statement}'.",
            statement=_short(statement),
        )
    return data.model_copy(
        update={"statement": statement, "why_false": why_false, "note": (data.note or "").strip()}
    )


def _short(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _check_section(session: Session, report_id: int, section_id: int | None) -> None:
    if section_id is None:
        return
    section = session.get(Section, section_id)
    if section is None or section.report_id != report_id:
        raise ValidationError(
            "The chosen section (id {id}) is not part of this report.", id=section_id
        )


def add_item(
    *, session: Session, actor: Person, report: Report, data: ConsensusItemCreate
) -> ConsensusItem:
    """Add a consensus item (a statement and how actors stand on it) to a report."""
    require(session, actor, Action.edit_content, report.id)
    data = _validated(data)
    _check_section(session, report.id, data.section_id)
    try:
        item = ConsensusItem(**data.model_dump(), report_id=report.id)
        session.add(item)
        session.flush()
        audit.record(
            session,
            actor,
            "add",
            "consensus_item",
            item.id,
            report_id=report.id,
            classification=item.classification,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return item


def update_item(
    *, session: Session, actor: Person, item: ConsensusItem, **changes: Any
) -> ConsensusItem:
    """Change a consensus item's statement, classification, reasons or section."""
    require(session, actor, Action.edit_content, item.report_id)
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(
            "Cannot change {fields} of a consensus item.", fields=", ".join(sorted(unknown))
        )
    current = {name: getattr(item, name) for name in UPDATABLE_FIELDS}
    try:
        data = ConsensusItemCreate.model_validate({**current, **changes})
    except pydantic.ValidationError as exc:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise ValidationError(
            "The value given for {fields} is not allowed.", fields=fields
        ) from None
    data = _validated(data)
    _check_section(session, item.report_id, data.section_id)
    try:
        for name in UPDATABLE_FIELDS:
            setattr(item, name, getattr(data, name))
        session.add(item)
        audit.record(
            session,
            actor,
            "update",
            "consensus_item",
            item.id,
            report_id=item.report_id,
            fields=sorted(changes),
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return item


def get_item(session: Session, item_id: int) -> ConsensusItem:
    """Return the consensus item with this id, or raise NotFound."""
    item = session.get(ConsensusItem, item_id)
    if item is None:
        raise NotFound("No consensus item with id {id}.", id=item_id)
    return item


def list_items(
    session: Session, *, report_id: int, classification: Classification | None = None
) -> list[ConsensusItem]:
    """Return a report's consensus items in the order they were added, optionally of one kind."""
    query = select(ConsensusItem).where(ConsensusItem.report_id == report_id)
    if classification is not None:
        query = query.where(ConsensusItem.classification == Classification(classification))
    return list(session.exec(query.order_by(col(ConsensusItem.id))).all())


def item_choices(session: Session, *, report_id: int) -> list[Any]:
    """Return a report's consensus items as (id, statement) rows, in the order they were added.

    For pickers: plain rows, not whole items (a report at IPCC scale has thousands).
    """
    query = select(ConsensusItem.id, ConsensusItem.statement).where(
        ConsensusItem.report_id == report_id
    )
    return list(session.exec(query.order_by(col(ConsensusItem.id))).all())


def false_solutions(session: Session, *, report_id: int) -> list[ConsensusItem]:
    """Return the false solutions a report unmasks."""
    return list_items(session, report_id=report_id, classification=Classification.false_solution)


# --------------------------------------------------------------------------- positions


def set_position(
    *,
    session: Session,
    actor: Person,
    item: ConsensusItem,
    actor_id: int,
    stance: Stance,
    rationale: str,
    source_id: int | None = None,
) -> Position:
    """Record where an actor stands on an item, replacing any earlier position."""
    require(session, actor, Action.edit_content, item.report_id)
    stakeholder = session.get(Actor, actor_id)
    if stakeholder is None:
        raise NotFound("No actor with id {id}.", id=actor_id)
    try:
        stance = Stance(stance)
    except ValueError:
        if blank(stance):
            raise ValidationError("Choose the stance of {name}.", name=stakeholder.name) from None
        raise ValidationError(
            "'{value}' is not a stance; use one of {stances}.",
            value=stance,
            stances=", ".join(s.value for s in Stance),
        ) from None
    if source_id is not None:
        source = session.get(Source, source_id)
        if source is None or source.report_id != item.report_id:
            raise ValidationError(
                "The source (id {id}) for {name}'s position is not in this report.",
                id=source_id,
                name=stakeholder.name,
            )
    position = session.exec(
        select(Position).where(Position.item_id == item.id, Position.actor_id == actor_id)
    ).first()
    try:
        if position is None:
            position = Position(item_id=item.id, actor_id=actor_id, stance=stance)
        position.stance = stance
        position.rationale = (rationale or "").strip()
        position.source_id = source_id
        session.add(position)
        session.flush()
        audit.record(
            session,
            actor,
            "set_position",
            "consensus_item",
            item.id,
            report_id=item.report_id,
            actor_name=stakeholder.name,
            stance=stance,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return position


def remove_position(*, session: Session, actor: Person, item: ConsensusItem, actor_id: int) -> None:
    """Remove an actor's position on an item."""
    require(session, actor, Action.edit_content, item.report_id)
    position = session.exec(
        select(Position).where(Position.item_id == item.id, Position.actor_id == actor_id)
    ).first()
    if position is None:
        raise NotFound("That actor has no recorded position on this item.")
    try:
        session.delete(position)
        audit.record(
            session,
            actor,
            "remove_position",
            "consensus_item",
            item.id,
            report_id=item.report_id,
            actor_id=actor_id,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise


def positions_matrix(
    session: Session, *, report_id: int
) -> tuple[list[Actor], list[ConsensusItem], dict[tuple[int, int], Position]]:
    """Return the actors with a position in the report, its items, and each (item, actor) cell.

    Three queries, however many items and actors.
    """
    items = list_items(session, report_id=report_id)
    positions = session.exec(
        select(Position)
        .join(ConsensusItem, col(ConsensusItem.id) == col(Position.item_id))
        .where(ConsensusItem.report_id == report_id)
    ).all()
    actors, cells = _cells(session, positions)
    return actors, items, cells


def actors_with_positions(session: Session, *, report_id: int) -> int:
    """Return how many actors hold a position on at least one of the report's items."""
    return session.exec(
        select(func.count(func.distinct(Position.actor_id)))
        .join(ConsensusItem, col(ConsensusItem.id) == col(Position.item_id))
        .where(ConsensusItem.report_id == report_id)
    ).one()


def positions_on(
    session: Session, item_ids: Iterable[int]
) -> tuple[list[Actor], dict[tuple[int, int], Position]]:
    """Return the actors with a position on these items (by name), and each (item, actor) cell.

    For a page showing some of a report's items: two queries, as many rows as the
    items shown have positions, whatever the report's size.
    """
    wanted = sorted(set(item_ids))
    if not wanted:
        return [], {}
    positions = session.exec(select(Position).where(col(Position.item_id).in_(wanted))).all()
    return _cells(session, positions)


def _cells(
    session: Session, positions: Sequence[Position]
) -> tuple[list[Actor], dict[tuple[int, int], Position]]:
    actor_ids = {p.actor_id for p in positions}
    actors = (
        list(
            session.exec(
                select(Actor).where(col(Actor.id).in_(actor_ids)).order_by(col(Actor.name))
            ).all()
        )
        if actor_ids
        else []
    )
    return actors, {(p.item_id, p.actor_id): p for p in positions}


def classification_counts(session: Session, *, report_id: int) -> dict[Classification, int]:
    """Count a report's consensus items of each classification (every classification present)."""
    counts = {c: 0 for c in Classification}
    rows = session.exec(
        select(ConsensusItem.classification, func.count())
        .where(ConsensusItem.report_id == report_id)
        .group_by(col(ConsensusItem.classification))
    ).all()
    for classification, count in rows:
        counts[Classification(classification)] = int(count)
    return counts
