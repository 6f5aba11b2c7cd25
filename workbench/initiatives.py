"""Inspiring initiatives: practices that show a different way is possible.

- An **initiative** says *where* (location, region), *who* runs it, *what* it
  does, its **outcomes**, the **evidence** for them and its **replicability**.
- Before a report presents it, an expert reviews it: its **review status** goes
  ``proposed → under review → reviewed`` (or ``declined``), and a declined one
  may go back under review. Reviewing or declining needs a **note** saying why.
- Recommendations link initiatives as their toolkit (see recommendations.py).
"""

from __future__ import annotations

from typing import Any

import pydantic
from sqlmodel import Session, col, func, select

from workbench import audit
from workbench.errors import NotFound, ValidationError
from workbench.i18n import N_, Msg
from workbench.models import (
    Initiative,
    InitiativeCreate,
    InitiativeStatus,
    Person,
    Recommendation,
    RecommendationInitiative,
    Report,
)
from workbench.permissions import Action, require
from workbench.words import blank

REVIEW_TRANSITIONS: dict[InitiativeStatus, frozenset[InitiativeStatus]] = {
    InitiativeStatus.proposed: frozenset({InitiativeStatus.under_review}),
    InitiativeStatus.under_review: frozenset(
        {InitiativeStatus.reviewed, InitiativeStatus.declined}
    ),
    InitiativeStatus.reviewed: frozenset(),
    InitiativeStatus.declined: frozenset({InitiativeStatus.under_review}),
}
#: Each review status as a word in a sentence ("Initiative 'X' is under review").
STATUS_WORDS: dict[InitiativeStatus, str] = {
    InitiativeStatus.proposed: N_("proposed"),
    InitiativeStatus.under_review: N_("under review"),
    InitiativeStatus.reviewed: N_("reviewed"),
    InitiativeStatus.declined: N_("declined"),
}
#: The steps a review may take next from each status, as a sentence names them.
NEXT_STEPS: dict[InitiativeStatus, str] = {
    InitiativeStatus.proposed: N_("under review"),
    InitiativeStatus.under_review: N_("reviewed or declined"),
    InitiativeStatus.reviewed: N_("none"),
    InitiativeStatus.declined: N_("under review"),
}
NEEDS_NOTE = frozenset({InitiativeStatus.reviewed, InitiativeStatus.declined})
UPDATABLE_FIELDS = frozenset(InitiativeCreate.model_fields)


def _validated(data: InitiativeCreate) -> InitiativeCreate:
    name = (data.name or "").strip()
    if not name:
        raise ValidationError("An initiative needs a name.")
    what = (data.what or "").strip()
    if not what:
        raise ValidationError("Initiative '{name}': say what it does.", name=name)
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in data.model_dump().items()}
    return InitiativeCreate.model_validate({**cleaned, "name": name, "what": what})


def add_initiative(
    *, session: Session, actor: Person, report: Report, data: InitiativeCreate
) -> Initiative:
    """Add an inspiring initiative to a report, proposed for expert review."""
    require(session, actor, Action.edit_content, report.id)
    data = _validated(data)
    try:
        initiative = Initiative(**data.model_dump(), report_id=report.id)
        session.add(initiative)
        session.flush()
        audit.record(
            session,
            actor,
            "add",
            "initiative",
            initiative.id,
            report_id=report.id,
            name=initiative.name,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return initiative


def update_initiative(
    *, session: Session, actor: Person, initiative: Initiative, **changes: Any
) -> Initiative:
    """Change what a report says about an initiative."""
    require(session, actor, Action.edit_content, initiative.report_id)
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        fields = ", ".join(sorted(unknown))
        if unknown & {"review_status", "review_note"}:
            raise ValidationError(
                "Cannot change {fields} of an initiative; its review status changes through "
                "a review.",
                fields=fields,
            )
        raise ValidationError("Cannot change {fields} of an initiative.", fields=fields)
    current = {name: getattr(initiative, name) for name in UPDATABLE_FIELDS}
    try:
        data = InitiativeCreate.model_validate({**current, **changes})
    except pydantic.ValidationError as exc:
        names = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise ValidationError(
            "Initiative '{name}': the value given for {fields} is not allowed.",
            name=initiative.name,
            fields=names,
        ) from None
    data = _validated(data)
    try:
        for name in UPDATABLE_FIELDS:
            setattr(initiative, name, getattr(data, name))
        session.add(initiative)
        audit.record(
            session,
            actor,
            "update",
            "initiative",
            initiative.id,
            report_id=initiative.report_id,
            fields=sorted(changes),
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return initiative


def can_move(current: InitiativeStatus, new: InitiativeStatus) -> bool:
    """Return True when an initiative's review may move from ``current`` to ``new``."""
    return InitiativeStatus(new) in REVIEW_TRANSITIONS[InitiativeStatus(current)]


def set_review_status(
    *,
    session: Session,
    actor: Person,
    initiative: Initiative,
    status: InitiativeStatus,
    note: str = "",
) -> Initiative:
    """Move an initiative's expert review on, with a note when reviewing or declining it."""
    require(session, actor, Action.review_initiative, initiative.report_id)
    try:
        status = InitiativeStatus(status)
    except ValueError:
        if blank(status):
            raise ValidationError("Choose a review status.") from None
        raise ValidationError("'{value}' is not a review status.", value=status) from None
    current = InitiativeStatus(initiative.review_status)
    if not can_move(current, status):
        raise ValidationError(
            "Initiative '{name}' is {current}; it cannot become {status} "
            "(possible next steps: {allowed}).",
            name=initiative.name,
            current=Msg(STATUS_WORDS[current]),
            status=Msg(STATUS_WORDS[status]),
            allowed=Msg(NEXT_STEPS[current]),
        )
    note = (note or "").strip()
    if status in NEEDS_NOTE and not note:
        raise ValidationError(
            "Say why initiative '{name}' is {status}: a note is required.",
            name=initiative.name,
            status=Msg(STATUS_WORDS[status]),
        )
    try:
        initiative.review_status = status
        if note:
            initiative.review_note = note
        session.add(initiative)
        audit.record(
            session,
            actor,
            "review",
            "initiative",
            initiative.id,
            report_id=initiative.report_id,
            old=current,
            new=status,
            note=note,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return initiative


def get_initiative(session: Session, initiative_id: int) -> Initiative:
    """Return the initiative with this id, or raise NotFound."""
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        raise NotFound("No initiative with id {id}.", id=initiative_id)
    return initiative


def list_initiatives(
    session: Session,
    *,
    report_id: int,
    status: InitiativeStatus | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Initiative]:
    """Return a report's initiatives by name, optionally in one review status.

    ``limit`` and ``offset`` give one page of them (the page shows a page at a time:
    a report has hundreds of initiatives at IPCC scale).
    """
    query = select(Initiative).where(Initiative.report_id == report_id)
    if status is not None:
        query = query.where(Initiative.review_status == InitiativeStatus(status))
    query = query.order_by(col(Initiative.name), col(Initiative.id)).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def initiative_names(session: Session, *, report_id: int) -> list[tuple[int, str]]:
    """Return (id, name) of a report's initiatives by name, for pickers."""
    query = select(Initiative.id, Initiative.name).where(Initiative.report_id == report_id)
    rows = session.exec(query.order_by(col(Initiative.name), col(Initiative.id))).all()
    return [(int(i), name) for i, name in rows]


def status_counts(session: Session, *, report_id: int) -> dict[InitiativeStatus, int]:
    """Count a report's initiatives in each review status (every status present)."""
    counts = {s: 0 for s in InitiativeStatus}
    rows = session.exec(
        select(Initiative.review_status, func.count())
        .where(Initiative.report_id == report_id)
        .group_by(col(Initiative.review_status))
    ).all()
    for status, count in rows:
        counts[InitiativeStatus(status)] = int(count)
    return counts


def recommendations_using(session: Session, initiative_ids: list[int]) -> dict[int, list[str]]:
    """Return the codes of the recommendations whose toolkit holds each of these initiatives."""
    using: dict[int, list[str]] = {int(i): [] for i in initiative_ids}
    if not using:
        return using
    rows = session.exec(
        select(RecommendationInitiative.initiative_id, Recommendation.code)
        .join(
            Recommendation,
            col(Recommendation.id) == col(RecommendationInitiative.recommendation_id),
        )
        .where(col(RecommendationInitiative.initiative_id).in_(list(using)))
        .order_by(col(Recommendation.code))
    ).all()
    for initiative_id, code in rows:
        using[initiative_id].append(code)
    return using
