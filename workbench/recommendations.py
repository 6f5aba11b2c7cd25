"""Recommendations, the roadmap they form, and the toolkit of initiatives behind them.

- A **recommendation** says what can be done and by whom: its **addressees**
  (kinds of actor, at least one), its **scale** (local … global) and its
  **horizon** (the roadmap step: immediate, short, medium or long term).
- Its **context conditions** say where it holds: the Panel's advice depends on
  local context, so every recommendation must say so.
- Its **normative assumptions** are the values it rests on, so a reader can set
  aside conclusions built on values they do not share. Saying there are none
  must be explicit: the exact phrase :data:`NONE_IDENTIFIED` (stored in English; a
  person may type it in their interface language).
- **Linked findings** are the evidence it rests on and **linked initiatives**
  the practices that show it can work (its toolkit); both belong to the same
  report.
- The **roadmap** is the report's recommendations grouped by horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn

import pydantic
from sqlalchemy import String, cast
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from workbench import audit
from workbench.errors import Conflict, NotFound, ValidationError
from workbench.i18n import N_, Msg, gettext
from workbench.models import (
    ActorType,
    Finding,
    Horizon,
    Initiative,
    Person,
    Recommendation,
    RecommendationCreate,
    RecommendationFinding,
    RecommendationInitiative,
    Report,
    Scale,
    Section,
)
from workbench.permissions import Action, require

NONE_IDENTIFIED = N_("None identified")
# What the refusals below say, in English (the messages themselves are whole templates).
NEEDS_ADDRESSEES = "Say whom this recommendation addresses"
NEEDS_CONTEXT = "Say in which contexts this holds"
NEEDS_ASSUMPTIONS = (
    "State the normative assumptions this recommendation rests on "
    f"(or write '{NONE_IDENTIFIED}' if there are none)"
)
UPDATABLE_FIELDS = frozenset(
    {
        "code",
        "text",
        "addressees",
        "scale",
        "horizon",
        "context_conditions",
        "normative_assumptions",
        "section_id",
        "finding_ids",
        "initiative_ids",
    }
)


def _validated(session: Session, report: Report, data: RecommendationCreate) -> dict[str, Any]:
    """Return the cleaned fields of a recommendation, or raise naming the first problem."""
    code = (data.code or "").strip()
    if not code:
        raise ValidationError("A recommendation needs a code, such as 'R1'.")
    text = (data.text or "").strip()
    if not text:
        raise ValidationError("Recommendation '{code}' needs a text.", code=code)
    addressees = list(dict.fromkeys(ActorType(a).value for a in data.addressees))
    if not addressees:
        raise ValidationError(
            "Recommendation '{code}': Say whom this recommendation addresses.", code=code
        )
    context = (data.context_conditions or "").strip()
    if not context:
        raise ValidationError(
            "Recommendation '{code}': Say in which contexts this holds.", code=code
        )
    assumptions = (data.normative_assumptions or "").strip()
    if not assumptions:
        raise ValidationError(
            "Recommendation '{code}': State the normative assumptions this recommendation "
            "rests on (or write '{none}' if there are none).",
            code=code,
            none=Msg(NONE_IDENTIFIED),
        )
    # The phrase is stored in English; a person may also type it in their own language.
    if assumptions.casefold() in {NONE_IDENTIFIED.casefold(), gettext(NONE_IDENTIFIED).casefold()}:
        assumptions = NONE_IDENTIFIED
    if data.section_id is not None:
        section = session.get(Section, data.section_id)
        if section is None or section.report_id != report.id:
            raise ValidationError(
                "Recommendation '{code}': the chosen section (id {id}) is not part of this report.",
                code=code,
                id=data.section_id,
            )
    finding_ids = _ids_in_report(session, report, Finding, data.finding_ids, code)
    initiative_ids = _ids_in_report(session, report, Initiative, data.initiative_ids, code)
    return {
        "code": code,
        "text": text,
        "addressees": addressees,
        "scale": Scale(data.scale),
        "horizon": Horizon(data.horizon),
        "context_conditions": context,
        "normative_assumptions": assumptions,
        "section_id": data.section_id,
        "finding_ids": finding_ids,
        "initiative_ids": initiative_ids,
    }


def _ids_in_report(
    session: Session,
    report: Report,
    model: type[Finding] | type[Initiative],
    ids: list[int],
    code: str,
) -> list[int]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return []
    found = set(
        session.exec(
            select(model.id).where(model.report_id == report.id, col(model.id).in_(wanted))
        ).all()
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        listed = ", ".join(str(i) for i in missing)
        if model is Finding:
            raise ValidationError(
                "Recommendation '{code}': these findings are not in the report '{report}': "
                "id {ids}.",
                code=code,
                report=report.slug,
                ids=listed,
            )
        raise ValidationError(
            "Recommendation '{code}': these initiatives are not in the report '{report}': "
            "id {ids}.",
            code=code,
            report=report.slug,
            ids=listed,
        )
    return wanted


def _check_code_free(
    session: Session, report: Report, code: str, recommendation_id: int | None = None
) -> None:
    query = select(Recommendation.id).where(
        Recommendation.report_id == report.id, Recommendation.code == code
    )
    if recommendation_id is not None:
        query = query.where(Recommendation.id != recommendation_id)
    if session.exec(query).first() is not None:
        raise ValidationError(
            "The report '{report}' already has a recommendation coded '{code}'; "
            "choose another code.",
            report=report.slug,
            code=code,
        )


def _refuse_race(
    session: Session, report: Report, code: str, recommendation_id: int | None = None
) -> NoReturn:
    """Explain a write the database refused because another author wrote at the same moment."""
    # Another author saved this code between our check and our write: say so plainly.
    _check_code_free(session, report, code, recommendation_id)
    raise Conflict(
        "Recommendation '{code}' was not saved: the report changed while it was being saved "
        "(a finding or initiative it names was removed, say). Nothing was changed; try again.",
        code=code,
    )


def _write_links(
    session: Session, recommendation_id: int, finding_ids: list[int], initiative_ids: list[int]
) -> None:
    session.exec(
        delete(RecommendationFinding).where(
            col(RecommendationFinding.recommendation_id) == recommendation_id
        )
    )
    session.exec(
        delete(RecommendationInitiative).where(
            col(RecommendationInitiative.recommendation_id) == recommendation_id
        )
    )
    for finding_id in finding_ids:
        session.add(
            RecommendationFinding(recommendation_id=recommendation_id, finding_id=finding_id)
        )
    for initiative_id in initiative_ids:
        session.add(
            RecommendationInitiative(
                recommendation_id=recommendation_id, initiative_id=initiative_id
            )
        )


def add_recommendation(
    *, session: Session, actor: Person, report: Report, data: RecommendationCreate
) -> Recommendation:
    """Add a recommendation with its addressees, contexts, assumptions and links."""
    require(session, actor, Action.edit_content, report.id)
    fields = _validated(session, report, data)
    _check_code_free(session, report, fields["code"])
    finding_ids = fields.pop("finding_ids")
    initiative_ids = fields.pop("initiative_ids")
    try:
        recommendation = Recommendation(**fields, report_id=report.id)
        session.add(recommendation)
        session.flush()
        _write_links(session, recommendation.id, finding_ids, initiative_ids)
        audit.record(
            session,
            actor,
            "add",
            "recommendation",
            recommendation.id,
            report_id=report.id,
            code=recommendation.code,
            findings=finding_ids,
            initiatives=initiative_ids,
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        _refuse_race(session, report, fields["code"])
    except Exception:
        session.rollback()
        raise
    return recommendation


def update_recommendation(
    *, session: Session, actor: Person, recommendation: Recommendation, **changes: Any
) -> Recommendation:
    """Change a recommendation's fields or links (the same rules as adding one apply)."""
    require(session, actor, Action.edit_content, recommendation.report_id)
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(
            "Cannot change {fields} of a recommendation.", fields=", ".join(sorted(unknown))
        )
    report = session.get(Report, recommendation.report_id)
    assert report is not None  # the foreign key guarantees it
    current: dict[str, Any] = {
        name: getattr(recommendation, name)
        for name in UPDATABLE_FIELDS - {"finding_ids", "initiative_ids"}
    }
    current["finding_ids"] = [f.id for f in linked_findings(session, recommendation.id)]
    current["initiative_ids"] = [i.id for i in linked_initiatives(session, recommendation.id)]
    try:
        data = RecommendationCreate.model_validate({**current, **changes})
    except pydantic.ValidationError as exc:
        names = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise ValidationError(
            "Recommendation '{code}': the value given for {fields} is not allowed.",
            code=recommendation.code,
            fields=names,
        ) from None
    fields = _validated(session, report, data)
    if fields["code"] != recommendation.code:
        _check_code_free(session, report, fields["code"], recommendation.id)
    finding_ids = fields.pop("finding_ids")
    initiative_ids = fields.pop("initiative_ids")
    try:
        for name, value in fields.items():
            setattr(recommendation, name, value)
        session.add(recommendation)
        if "finding_ids" in changes or "initiative_ids" in changes:
            _write_links(session, recommendation.id, finding_ids, initiative_ids)
        audit.record(
            session,
            actor,
            "update",
            "recommendation",
            recommendation.id,
            report_id=recommendation.report_id,
            fields=sorted(changes),
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        _refuse_race(session, report, fields["code"], recommendation.id)
    except Exception:
        session.rollback()
        raise
    return recommendation


def get_recommendation(session: Session, recommendation_id: int) -> Recommendation:
    """Return the recommendation with this id, or raise NotFound."""
    recommendation = session.get(Recommendation, recommendation_id)
    if recommendation is None:
        raise NotFound("No recommendation with id {id}.", id=recommendation_id)
    return recommendation


def list_recommendations(
    session: Session,
    *,
    report_id: int,
    addressee: ActorType | None = None,
    scale: Scale | None = None,
    horizon: Horizon | None = None,
) -> list[Recommendation]:
    """Return a report's recommendations in code order, filtered by addressee, scale, horizon."""
    query = select(Recommendation).where(Recommendation.report_id == report_id)
    if addressee is not None:
        # The JSON list is stored as text on SQLite and rendered as text on PostgreSQL;
        # the quotes keep one actor type from matching inside another's name.
        query = query.where(
            cast(Recommendation.addressees, String).like(f'%"{ActorType(addressee).value}"%')
        )
    if scale is not None:
        query = query.where(Recommendation.scale == Scale(scale))
    if horizon is not None:
        query = query.where(Recommendation.horizon == Horizon(horizon))
    return list(
        session.exec(query.order_by(col(Recommendation.code), col(Recommendation.id))).all()
    )


def recommendation_choices(session: Session, *, report_id: int) -> list[Any]:
    """Return a report's recommendations as (id, code, text) rows, in code order (for pickers)."""
    query = select(Recommendation.id, Recommendation.code, Recommendation.text).where(
        Recommendation.report_id == report_id
    )
    ordered = query.order_by(col(Recommendation.code), col(Recommendation.id))
    return list(session.exec(ordered).all())


def roadmap(
    session: Session,
    *,
    report_id: int,
    addressee: ActorType | None = None,
    scale: Scale | None = None,
    horizon: Horizon | None = None,
) -> dict[Horizon, list[Recommendation]]:
    """Return a report's recommendations grouped by horizon, from immediate to long term.

    The filters are those of :func:`list_recommendations`; every horizon is present.
    """
    steps: dict[Horizon, list[Recommendation]] = {h: [] for h in Horizon}
    for recommendation in list_recommendations(
        session, report_id=report_id, addressee=addressee, scale=scale, horizon=horizon
    ):
        steps[Horizon(recommendation.horizon)].append(recommendation)
    return steps


def linked_findings(session: Session, recommendation_id: int) -> list[Finding]:
    """Return the findings a recommendation rests on, by code."""
    return list(
        session.exec(
            select(Finding)
            .join(RecommendationFinding, col(RecommendationFinding.finding_id) == col(Finding.id))
            .where(RecommendationFinding.recommendation_id == recommendation_id)
            .order_by(col(Finding.code))
        ).all()
    )


def linked_initiatives(session: Session, recommendation_id: int) -> list[Initiative]:
    """Return the initiatives in a recommendation's toolkit, by name."""
    return list(
        session.exec(
            select(Initiative)
            .join(
                RecommendationInitiative,
                col(RecommendationInitiative.initiative_id) == col(Initiative.id),
            )
            .where(RecommendationInitiative.recommendation_id == recommendation_id)
            .order_by(col(Initiative.name))
        ).all()
    )


@dataclass
class Links:
    """What a recommendation rests on (findings, by code) and its toolkit (initiatives, by name)."""

    findings: list[Finding] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)


def links_by_recommendation(session: Session, recommendation_ids: list[int]) -> dict[int, Links]:
    """Return the linked findings and initiatives of each of these recommendations (two queries)."""
    links = {int(i): Links() for i in recommendation_ids}
    if not links:
        return links
    wanted = list(links)
    finding_rows = session.exec(
        select(RecommendationFinding.recommendation_id, Finding)
        .join(Finding, col(Finding.id) == col(RecommendationFinding.finding_id))
        .where(col(RecommendationFinding.recommendation_id).in_(wanted))
        .order_by(col(Finding.code))
    ).all()
    for recommendation_id, finding in finding_rows:
        links[recommendation_id].findings.append(finding)
    initiative_rows = session.exec(
        select(RecommendationInitiative.recommendation_id, Initiative)
        .join(Initiative, col(Initiative.id) == col(RecommendationInitiative.initiative_id))
        .where(col(RecommendationInitiative.recommendation_id).in_(wanted))
        .order_by(col(Initiative.name))
    ).all()
    for recommendation_id, initiative in initiative_rows:
        links[recommendation_id].initiatives.append(initiative)
    return links
