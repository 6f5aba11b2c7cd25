"""Key findings: what a report states, in the IPCC's calibrated language.

- A **finding** is a statement the authors stand behind, with a **code** (``F1``,
  ``B.2.3`` …) unique within its report.
- Its **evidence** (limited, medium, robust) and **agreement** (low, medium,
  high) give its **confidence** (very low … very high) through
  :func:`workbench.governance.confidence_for`; confidence is always computed,
  never typed in, so it cannot drift from the grid.
- An optional **likelihood** term (``likely``, ``very likely`` …) and a
  **traceable account** say how the authors reached it.
- **Linked sources** are the evidence it rests on; they must be sources of the
  same report.
- The **grid** counts a report's findings per evidence × agreement cell, for
  the chart authors use to see where their confidence comes from.
- The **calibrated terms** (:data:`CONFIDENCE_TERMS`, :data:`EVIDENCE_TERMS`,
  :data:`AGREEMENT_TERMS`, :data:`LIKELIHOOD_TERMS`) are the levels as a reader meets
  them in a sentence ("High confidence", "robust evidence", "likely"); their catalogue
  entries are the glossary's words in each interface language, never paraphrased.
"""

from __future__ import annotations

from typing import Any, NoReturn

import pydantic
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from workbench import audit
from workbench.errors import Conflict, NotFound, ValidationError
from workbench.governance import confidence_for
from workbench.i18n import N_
from workbench.models import (
    Agreement,
    Confidence,
    Evidence,
    Finding,
    FindingCreate,
    FindingSource,
    Likelihood,
    Person,
    Report,
    Section,
    Source,
)
from workbench.permissions import Action, require

#: The calibrated terms as a reader meets them in a sentence, word for word as the glossary
#: has them in each language ("High confidence", "Robust evidence", "likely").
CONFIDENCE_TERMS: dict[Confidence, str] = {
    Confidence.very_high: N_("Very high confidence"),
    Confidence.high: N_("High confidence"),
    Confidence.medium: N_("Medium confidence"),
    Confidence.low: N_("Low confidence"),
    Confidence.very_low: N_("Very low confidence"),
}
EVIDENCE_TERMS: dict[Evidence, str] = {
    Evidence.limited: N_("Limited evidence"),
    Evidence.medium: N_("Medium evidence"),
    Evidence.robust: N_("Robust evidence"),
}
AGREEMENT_TERMS: dict[Agreement, str] = {
    Agreement.low: N_("Low agreement"),
    Agreement.medium: N_("Medium agreement"),
    Agreement.high: N_("High agreement"),
}
LIKELIHOOD_TERMS: dict[Likelihood, str] = {
    Likelihood.virtually_certain: N_("virtually certain"),
    Likelihood.extremely_likely: N_("extremely likely"),
    Likelihood.very_likely: N_("very likely"),
    Likelihood.likely: N_("likely"),
    Likelihood.more_likely_than_not: N_("more likely than not"),
    Likelihood.about_as_likely_as_not: N_("about as likely as not"),
    Likelihood.unlikely: N_("unlikely"),
    Likelihood.very_unlikely: N_("very unlikely"),
    Likelihood.extremely_unlikely: N_("extremely unlikely"),
    Likelihood.exceptionally_unlikely: N_("exceptionally unlikely"),
}

UPDATABLE_FIELDS = frozenset(
    {"code", "statement", "evidence", "agreement", "likelihood", "traceable_account", "section_id"}
)


def _clean(data: FindingCreate) -> FindingCreate:
    """Return the data with code and statement trimmed, or raise if either is blank."""
    code = (data.code or "").strip()
    statement = (data.statement or "").strip()
    if not code:
        raise ValidationError("A finding needs a code, such as 'F1'.")
    if not statement:
        raise ValidationError("Finding '{code}' needs a statement.", code=code)
    return data.model_copy(update={"code": code, "statement": statement})


def _check_code_free(
    session: Session, report: Report, code: str, finding_id: int | None = None
) -> None:
    query = select(Finding.id).where(Finding.report_id == report.id, Finding.code == code)
    if finding_id is not None:
        query = query.where(Finding.id != finding_id)
    if session.exec(query).first() is not None:
        raise ValidationError(
            "The report '{report}' already has a finding coded '{code}'; choose another code.",
            report=report.slug,
            code=code,
        )


def _refuse_race(
    session: Session, report: Report, code: str, finding_id: int | None = None
) -> NoReturn:
    """Explain a write the database refused because another author wrote at the same moment."""
    # Another author saved this code between our check and our write: say so plainly.
    _check_code_free(session, report, code, finding_id)
    raise Conflict(
        "Finding '{code}' was not saved: the report changed while it was being saved "
        "(a section or source it names was removed, say). Nothing was changed; try again.",
        code=code,
    )


def _check_section(session: Session, report: Report, section_id: int | None) -> None:
    if section_id is None:
        return
    section = session.get(Section, section_id)
    if section is None or section.report_id != report.id:
        raise ValidationError(
            "The chosen section (id {id}) is not part of the report '{report}'.",
            id=section_id,
            report=report.slug,
        )


def _check_sources(session: Session, report: Report, source_ids: list[int]) -> list[int]:
    """Return the distinct source ids, or raise naming those not in the report."""
    wanted = list(dict.fromkeys(int(i) for i in source_ids))
    if not wanted:
        return []
    found = set(
        session.exec(
            select(Source.id).where(Source.report_id == report.id, col(Source.id).in_(wanted))
        ).all()
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationError(
            "These sources are not in the report '{report}': id {ids}.",
            report=report.slug,
            ids=", ".join(str(i) for i in missing),
        )
    return wanted


def _report_of(session: Session, finding: Finding) -> Report:
    report = session.get(Report, finding.report_id)
    if report is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("The report of finding '{code}' no longer exists.", code=finding.code)
    return report


def add_finding(*, session: Session, actor: Person, report: Report, data: FindingCreate) -> Finding:
    """Record a key finding in a report, with its confidence computed from the grid."""
    require(session, actor, Action.edit_content, report.id)
    data = _clean(data)
    _check_code_free(session, report, data.code)
    _check_section(session, report, data.section_id)
    source_ids = _check_sources(session, report, data.source_ids)
    try:
        finding = Finding(
            **data.model_dump(exclude={"source_ids"}),
            report_id=report.id,
            confidence=confidence_for(data.evidence, data.agreement),
        )
        session.add(finding)
        session.flush()
        for source_id in source_ids:
            session.add(FindingSource(finding_id=finding.id, source_id=source_id))
        audit.record(
            session,
            actor,
            "add",
            "finding",
            finding.id,
            report_id=report.id,
            code=finding.code,
            confidence=finding.confidence,
            sources=source_ids,
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        _refuse_race(session, report, data.code)
    except Exception:
        session.rollback()
        raise
    return finding


def update_finding(*, session: Session, actor: Person, finding: Finding, **changes: Any) -> Finding:
    """Change a finding's fields and recompute its confidence."""
    require(session, actor, Action.edit_content, finding.report_id)
    unknown = set(changes) - UPDATABLE_FIELDS
    if "confidence" in unknown:
        raise ValidationError(
            "Confidence is computed from evidence and agreement; change those instead."
        )
    if unknown:
        raise ValidationError(
            "Cannot change {fields} of a finding.", fields=", ".join(sorted(unknown))
        )
    report = _report_of(session, finding)
    current = {name: getattr(finding, name) for name in UPDATABLE_FIELDS}
    try:
        data = FindingCreate.model_validate({**current, **changes})
    except pydantic.ValidationError as exc:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]}))
        raise ValidationError(
            "Finding '{code}': the value given for {fields} is not allowed.",
            code=finding.code,
            fields=fields,
        ) from None
    data = _clean(data)
    if data.code != finding.code:
        _check_code_free(session, report, data.code, finding.id)
    _check_section(session, report, data.section_id)
    try:
        for name in UPDATABLE_FIELDS:
            setattr(finding, name, getattr(data, name))
        finding.confidence = confidence_for(finding.evidence, finding.agreement)
        session.add(finding)
        audit.record(
            session,
            actor,
            "update",
            "finding",
            finding.id,
            report_id=finding.report_id,
            fields=sorted(changes),
            confidence=finding.confidence,
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        _refuse_race(session, report, data.code, finding.id)
    except Exception:
        session.rollback()
        raise
    return finding


def link_sources(
    *, session: Session, actor: Person, finding: Finding, source_ids: list[int]
) -> list[Source]:
    """Set the sources a finding rests on to exactly these (sources of the same report)."""
    require(session, actor, Action.edit_content, finding.report_id)
    report = _report_of(session, finding)
    wanted = _check_sources(session, report, source_ids)
    try:
        session.exec(delete(FindingSource).where(col(FindingSource.finding_id) == finding.id))
        for source_id in wanted:
            session.add(FindingSource(finding_id=finding.id, source_id=source_id))
        audit.record(
            session,
            actor,
            "link_sources",
            "finding",
            finding.id,
            report_id=finding.report_id,
            sources=wanted,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return finding_sources(session, finding.id)


def get_finding(session: Session, finding_id: int) -> Finding:
    """Return the finding with this id, or raise NotFound."""
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFound("No finding with id {id}.", id=finding_id)
    return finding


def list_findings(
    session: Session, *, report_id: int, confidence: Confidence | None = None
) -> list[Finding]:
    """Return a report's findings in code order, optionally of one confidence level."""
    query = select(Finding).where(Finding.report_id == report_id)
    if confidence is not None:
        query = query.where(Finding.confidence == Confidence(confidence))
    return list(session.exec(query.order_by(col(Finding.code), col(Finding.id))).all())


def finding_choices(session: Session, *, report_id: int) -> list[Any]:
    """Return a report's findings as (id, code, confidence, statement) rows, in code order.

    For pickers: the rows are plain tuples with those attributes, not whole findings
    (a report at IPCC scale has thousands, and building each model costs more than
    reading it).
    """
    query = select(Finding.id, Finding.code, Finding.confidence, Finding.statement).where(
        Finding.report_id == report_id
    )
    return list(session.exec(query.order_by(col(Finding.code), col(Finding.id))).all())


def findings_grid(session: Session, *, report_id: int) -> dict[tuple[Evidence, Agreement], int]:
    """Count a report's findings in each evidence × agreement cell (every cell present)."""
    grid = {(e, a): 0 for e in Evidence for a in Agreement}
    rows = session.exec(
        select(Finding.evidence, Finding.agreement, func.count())
        .where(Finding.report_id == report_id)
        .group_by(col(Finding.evidence), col(Finding.agreement))
    ).all()
    for evidence, agreement, count in rows:
        grid[(Evidence(evidence), Agreement(agreement))] = count
    return grid


def finding_sources(session: Session, finding_id: int) -> list[Source]:
    """Return the sources a finding rests on, by citation key."""
    return list(
        session.exec(
            select(Source)
            .join(FindingSource, col(FindingSource.source_id) == col(Source.id))
            .where(FindingSource.finding_id == finding_id)
            .order_by(col(Source.key))
        ).all()
    )


def sources_by_finding(session: Session, finding_ids: list[int]) -> dict[int, list[Source]]:
    """Return the sources each of these findings rests on, by citation key, in one query."""
    linked: dict[int, list[Source]] = {int(i): [] for i in finding_ids}
    if not linked:
        return linked
    rows = session.exec(
        select(FindingSource.finding_id, Source)
        .join(Source, col(Source.id) == col(FindingSource.source_id))
        .where(col(FindingSource.finding_id).in_(list(linked)))
        .order_by(col(Source.key))
    ).all()
    for finding_id, source in rows:
        linked[finding_id].append(source)
    return linked
