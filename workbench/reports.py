"""Reports: creation by the Secretariat, stages and their gates, progress figures.

A report moves through its **stages** one step at a time::

    scoping → zero_order_draft → first_order_draft → second_order_draft
            → final_draft → council_review → approved → published

Each step forward has a **gate** (:func:`gate_problems` lists what blocks it):

- into the zero-order draft: an outline that answers all four synthesis questions;
- into the first-order draft: every section has text;
- into the second-order draft / final draft: the first-order / second-order
  review round has been held and closed (closing needs every comment answered);
- into council review: every section accepted and all four questions covered;
- into approved: a Council approval of the current text;
- into published: that approval still bound to the exact text (any later edit
  voids it), and only the Secretariat publishes.

A report may step back one stage (say, when the Council asks for changes),
except once published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Date
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from workbench import audit, comment_counts, history, i18n
from workbench.errors import NotFound, ValidationError
from workbench.governance import horizon_warnings
from workbench.i18n import N_, Msg
from workbench.models import (
    STAGE_ORDER,
    Membership,
    Person,
    Report,
    ReportCreate,
    ReviewRound,
    Role,
    RoundStatus,
    Section,
    SectionRevision,
    SectionStatus,
    Stage,
    Theme,
    utcnow,
)
from workbench.permissions import Action, Frozen, frozen_reason, require
from workbench.phrasing import Joined, Lowered
from workbench.sections import NO_SECTION, coverage_problems

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")


class _Sentences(Msg):
    """Several sentences, one after the other, each rendered in the reader's language."""

    __slots__ = ("items",)

    def __init__(self, items: list[Msg]) -> None:
        self.items = list(items)
        super().__init__("{items}", items=self.items)

    def render(self, code: str | None = None) -> str:
        """Return the sentences in ``code`` or the current language, separated by a space."""
        if code is not None:
            with i18n.language(code):
                return self.render()
        return " ".join(item.render() for item in self.items)


def get_report(session: Session, slug: str) -> Report:
    """Return the report with this slug, or raise NotFound."""
    report = session.exec(select(Report).where(Report.slug == slug)).first()
    if report is None:
        slugs = list(session.exec(select(Report.slug).order_by(col(Report.slug))).all())
        if not slugs:
            raise NotFound("No report with the slug '{slug}'. Reports: none yet.", slug=slug)
        raise NotFound(
            "No report with the slug '{slug}'. Reports: {slugs}.", slug=slug, slugs=Joined(slugs)
        )
    return report


def get_report_by_id(session: Session, report_id: int) -> Report:
    """Return the report with this id, or raise NotFound."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound("No report with id {id}.", id=report_id)
    return report


def _validate(session: Session, data: ReportCreate, *, report_id: int | None = None) -> None:
    if not (data.slug or "").strip():
        raise ValidationError(
            "Enter a slug for the report (its short name in addresses and file names): "
            "lower-case letters, digits and hyphens, like 'living-wages'."
        )
    if not SLUG_PATTERN.match(data.slug or ""):
        raise ValidationError(
            "'{slug}' is not a valid slug: use lower-case letters, digits and hyphens, "
            "like 'living-wages'.",
            slug=data.slug,
        )
    if not (data.title or "").strip():
        raise ValidationError("A report needs a title.")
    if data.due_date <= data.start_date:
        raise ValidationError(
            "The due date ({due}) must come after the start date ({start}).",
            due=str(data.due_date),
            start=str(data.start_date),
        )
    if data.theme_id is not None and session.get(Theme, data.theme_id) is None:
        raise ValidationError("No theme with id {id}.", id=data.theme_id)
    clash = session.exec(select(Report).where(Report.slug == data.slug)).first()
    if clash is not None and clash.id != report_id:
        raise ValidationError("A report with the slug '{slug}' already exists.", slug=data.slug)
    for language in data.languages:
        if not (language or "").strip():
            raise ValidationError("Enter each language as a code, e.g. 'en' or 'fr'.")
        if not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", language):
            raise ValidationError(
                "'{language}' is not a language code (use e.g. 'en', 'fr').", language=language
            )


def create_report(
    *, session: Session, actor: Person, data: ReportCreate
) -> tuple[Report, list[str]]:
    """Create a report at the scoping stage (Secretariat); return it with the rule warnings."""
    require(session, actor, Action.create_report)
    _validate(session, data)
    languages = list(dict.fromkeys(data.languages or ["en"]))
    if "en" not in languages:
        languages.insert(0, "en")  # the Panel's working language
    report = Report(**data.model_dump(exclude={"languages", "title"}), title=data.title.strip())
    report.languages = languages
    session.add(report)
    session.flush()
    audit.record(
        session, actor, "create", "report", report.id, report_id=report.id, slug=report.slug
    )
    session.commit()
    return report, horizon_warnings(report.start_date, report.due_date)


def update_report(*, session: Session, actor: Person, report: Report, **changes) -> Report:
    """Change a report's title, theme, dates, languages or summary (Secretariat or CLA)."""
    require(session, actor, Action.edit_report, report.id)
    allowed = {"title", "theme_id", "start_date", "due_date", "languages", "summary"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError("Cannot change {fields} of a report.", fields=Joined(sorted(unknown)))
    if "title" in changes and (changes["title"] or "").strip() != report.title:
        reason = frozen_reason(session, report.id)
        if reason:
            raise Frozen(reason)
    data = ReportCreate(**{**report.model_dump(include=set(ReportCreate.model_fields)), **changes})
    _validate(session, data, report_id=report.id)
    for key, value in changes.items():
        setattr(report, key, value)
    session.add(report)
    audit.record(
        session, actor, "update", "report", report.id, report_id=report.id, fields=sorted(changes)
    )
    session.commit()
    return report


# --------------------------------------------------------------------------- stages


def _closed_round(session: Session, report_id: int, stage: Stage) -> bool:
    return (
        session.exec(
            select(ReviewRound).where(
                ReviewRound.report_id == report_id,
                ReviewRound.stage == stage,
                ReviewRound.status == RoundStatus.closed,
            )
        ).first()
        is not None
    )


# Why an approved or a published report does not step back, by its stage.
_NO_WAY_BACK = {
    Stage.approved: N_(
        "An approved report does not go back to an earlier stage: a correction is a new "
        "edition (a corrigendum), which the Secretariat starts."
    ),
    Stage.published: N_(
        "A published report does not go back to an earlier stage: a correction is a new "
        "edition (a corrigendum), which the Secretariat starts."
    ),
}


def gate_messages(session: Session, report: Report, to: Stage) -> list[Msg]:
    """Return what stops a report moving from its stage to ``to`` (empty when it may),
    each a message rendered in the reader's language when shown."""
    to = Stage(to)
    current = Stage(report.stage)
    here, there = STAGE_ORDER.index(current), STAGE_ORDER.index(to)
    if there == here:
        return [Msg("The report is already at the stage '{stage}'.", stage=Msg(to.label))]
    if there < here:
        if current in _NO_WAY_BACK:
            return [Msg(_NO_WAY_BACK[current])]
        if current is Stage.council_review and frozen_reason(session, report.id):
            return [
                Msg(
                    "The Council is voting on this text: a CLA or the Secretariat withdraws the "
                    "decision first (Council page), on the record."
                )
            ]
        if there != here - 1:
            return [
                Msg(
                    "A report steps back one stage at a time (to '{stage}').",
                    stage=Msg(STAGE_ORDER[here - 1].label),
                )
            ]
        return []
    if there != here + 1:
        return [
            Msg(
                "A report moves one stage at a time: from '{stage}' the next is '{next}'.",
                stage=Msg(current.label),
                next=Msg(STAGE_ORDER[here + 1].label),
            )
        ]
    sections = session.exec(select(Section).where(Section.report_id == report.id)).all()
    problems: list[Msg] = []
    if to is Stage.zero_order_draft:
        if not sections:
            problems.append(Msg("The report has no outline yet."))
        problems += [g for g in coverage_problems(session, report.id) if g.template == NO_SECTION]
    elif to is Stage.first_order_draft:
        empty = [s.code for s in sections if s.head_revision_id is None]
        if not sections:
            problems.append(Msg("The report has no sections."))
        if empty:
            problems.append(Msg("Sections without text: {codes}.", codes=Joined(sorted(empty))))
    elif to in (Stage.second_order_draft, Stage.final_draft):
        held = (
            Stage.first_order_draft if to is Stage.second_order_draft else Stage.second_order_draft
        )
        if not _closed_round(session, report.id, held):
            problems.append(
                Msg(
                    "The {stage} review round has not been held and closed yet.",
                    stage=Lowered(held.label),
                )
            )
    elif to is Stage.council_review:
        pending = [s.code for s in sections if s.status != SectionStatus.accepted]
        if pending:
            problems.append(
                Msg("Sections not yet accepted: {codes}.", codes=Joined(sorted(pending)))
            )
        problems += coverage_problems(session, report.id)
    elif to in (Stage.approved, Stage.published):
        from workbench.council import valid_approval

        if valid_approval(session, report.id) is None:
            problems.append(
                Msg(
                    "There is no Council approval of the current text "
                    "(any edit after the vote voids it)."
                )
            )
    return problems


def gate_problems(session: Session, report: Report, to: Stage) -> list[str]:
    """Return what stops a report moving from its stage to ``to`` (empty when it may),
    in the current language."""
    return [problem.render() for problem in gate_messages(session, report, to)]


def advance_stage(*, session: Session, actor: Person, report: Report, to: Stage) -> Report:
    """Move a report to the stage ``to`` through its gate (one step forward or back)."""
    to = Stage(to)
    require(
        session,
        actor,
        Action.publish_report if to is Stage.published else Action.advance_stage,
        report.id,
    )
    problems = gate_messages(session, report, to)
    if problems:
        raise ValidationError(
            "'{slug}' cannot move to '{stage}': {problems}",
            slug=report.slug,
            stage=Msg(to.label),
            problems=_Sentences(problems),
        )
    old = report.stage
    report.stage = to
    session.add(report)
    audit.record(
        session,
        actor,
        "advance_stage",
        "report",
        report.id,
        report_id=report.id,
        old=Stage(old).value,
        new=to.value,
    )
    session.commit()
    if to is Stage.published:
        # Tag the mirror <slug>/published; a mirror problem is logged, never raised.
        history.record_milestone(session, report_id=report.id)
    return report


def start_new_edition(*, session: Session, actor: Person, report: Report, reason: str) -> Report:
    """Start a corrigendum: the approved or published report's next edition (Secretariat).

    The report goes back to the final draft stage so its authors can correct it,
    and its edition number goes up, so the content hash changes and the earlier
    approval no longer covers it: the new text needs a Council approval of its
    own. The approved text stays in the record (the decision keeps its hash; the
    history mirror keeps its tags).
    """
    require(session, actor, Action.start_new_edition, report.id)
    stage = Stage(report.stage)
    if stage not in (Stage.approved, Stage.published):
        raise ValidationError(
            "'{slug}' is at the stage '{stage}'; a new edition is started only from an approved "
            "or published report. Until then, edit the text as usual.",
            slug=report.slug,
            stage=Msg(stage.label),
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Say what the new edition corrects: it is kept in the record.")
    from workbench.content import content_hash

    previous_hash = content_hash(session, report)
    old_edition = report.edition
    try:
        report.edition = old_edition + 1
        report.stage = Stage.final_draft
        session.add(report)
        audit.record(
            session,
            actor,
            "new_edition",
            "report",
            report.id,
            report_id=report.id,
            edition=report.edition,
            previous_edition=old_edition,
            previous_stage=stage.value,
            previous_hash=previous_hash,
            reason=reason,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


# --------------------------------------------------------------------------- progress


@dataclass
class ReportProgress:
    """A report's progress figures, as the dashboard and ``workbench reports list`` show them."""

    id: int
    slug: str
    title: str
    stage: Stage
    start_date: date
    due_date: date
    sections: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    words: int = 0
    word_target: int = 0
    overdue: int = 0
    open_comments: int = 0
    authors: int = 0

    @property
    def accepted_share(self) -> float:
        """Return the share of sections accepted, 0–1."""
        return (
            (self.by_status.get(SectionStatus.accepted.value, 0) / self.sections)
            if self.sections
            else 0.0
        )

    def as_dict(self) -> dict:
        """Return the figures as plain JSON-ready values."""
        return {
            "slug": self.slug,
            "title": self.title,
            "stage": self.stage.value,
            "start_date": self.start_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "sections": self.sections,
            "by_status": self.by_status,
            "words": self.words,
            "word_target": self.word_target,
            "overdue_sections": self.overdue,
            "open_comments": self.open_comments,
            "authors": self.authors,
            "accepted_share": round(self.accepted_share, 3),
        }


def list_reports(session: Session, *, today: date | None = None) -> list[ReportProgress]:
    """Return every report with its progress figures, computed by aggregate queries."""
    today = today or utcnow().date()
    reports = session.exec(select(Report).order_by(col(Report.slug))).all()
    result = {
        r.id: ReportProgress(
            id=r.id,
            slug=r.slug,
            title=r.title,
            stage=Stage(r.stage),
            start_date=r.start_date,
            due_date=r.due_date,
        )
        for r in reports
    }
    for report_id, status, count, words, target in session.exec(
        select(
            Section.report_id,
            Section.status,
            func.count(),
            func.sum(Section.words),
            func.sum(func.coalesce(Section.word_target, 0)),
        ).group_by(Section.report_id, Section.status)
    ).all():
        progress = result[report_id]
        progress.by_status[SectionStatus(status).value] = count
        progress.sections += count
        progress.words += int(words or 0)
        progress.word_target += int(target or 0)
    for report_id, count in session.exec(
        select(Section.report_id, func.count())
        .where(
            col(Section.due_date).is_not(None),
            col(Section.due_date) < today,
            Section.status != SectionStatus.accepted,
        )
        .group_by(Section.report_id)
    ).all():
        result[report_id].overdue = count
    # From the counts the triggers keep (workbench.comment_counts): counting the comments
    # themselves read every one of them (a million at 10×) on every Dashboard run.
    counts = comment_counts.counts_comment.c
    for report_id, count in session.exec(
        select(ReviewRound.report_id, func.sum(counts.undecided))
        .join(comment_counts.counts_comment, counts.round_id == col(ReviewRound.id))
        .group_by(ReviewRound.report_id)
    ).all():
        result[report_id].open_comments = int(count or 0)
    for report_id, count in session.exec(
        select(Membership.report_id, func.count(func.distinct(Membership.person_id)))
        .where(
            col(Membership.report_id).is_not(None),
            col(Membership.role).in_([Role.cla, Role.lead_author]),
        )
        .group_by(Membership.report_id)
    ).all():
        result[report_id].authors = count
    return list(result.values())


def report_progress(
    session: Session, report: Report, *, today: date | None = None
) -> ReportProgress:
    """Return the progress figures of one report."""
    for progress in list_reports(session, today=today):
        if progress.id == report.id:
            return progress
    raise NotFound("No report with id {id}.", id=report.id)


def reports_for(session: Session, person: Person) -> list[Report]:
    """Return the reports a person can open: all for workspace roles, else their memberships."""
    memberships = session.exec(select(Membership).where(Membership.person_id == person.id)).all()
    if any(m.report_id is None for m in memberships):
        return list(session.exec(select(Report).order_by(col(Report.slug))).all())
    ids = {m.report_id for m in memberships}
    if not ids:
        return []
    return list(
        session.exec(select(Report).where(col(Report.id).in_(ids)).order_by(col(Report.slug))).all()
    )


@dataclass
class DayProgress:
    """What happened to a report's text on one day: revisions saved, words gained, totals so far."""

    day: date
    revisions: int
    words_added: int
    total_revisions: int
    total_words: int


def progress_over_time(session: Session, report_id: int) -> list[DayProgress]:
    """Return, day by day, the revisions saved in a report and its running word count.

    One aggregate query: each revision adds its words minus its parent's, so the
    running sum is the report's word count at the end of each day (UTC).
    """
    parent = aliased(SectionRevision)
    day = func.date(col(SectionRevision.created_at), type_=Date)
    rows = session.exec(
        select(
            day,
            func.count(col(SectionRevision.id)),
            func.sum(col(SectionRevision.words) - func.coalesce(col(parent.words), 0)),
        )
        .join(Section, col(Section.id) == col(SectionRevision.section_id))
        .join(parent, col(parent.id) == col(SectionRevision.parent_id), isouter=True)
        .where(Section.report_id == report_id)
        .group_by(day)
        .order_by(day)
    ).all()
    result: list[DayProgress] = []
    total_revisions = total_words = 0
    for when, count, added in rows:
        if isinstance(when, str):  # SQLite hands back text when the type is lost
            when = date.fromisoformat(when[:10])
        total_revisions += int(count)
        total_words += int(added or 0)
        result.append(
            DayProgress(
                day=when,
                revisions=int(count),
                words_added=int(added or 0),
                total_revisions=total_revisions,
                total_words=total_words,
            )
        )
    return result
