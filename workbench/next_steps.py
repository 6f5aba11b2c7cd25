"""What next: the things a person should do now, most urgent first, and where each is done.

Terms:

- A **next step** (:class:`NextStep`) is one thing the person can act on: a
  section due soon, comments awaiting their answer, a vote the Council waits
  for. It says how urgent it is, what it is in one line, and the **page** and
  **query parameters** where it is done (``write`` with ``section=12``), so a
  page can link straight to it. Steps are plain data: no Streamlit here.
- **Urgency** orders the list: what blocks everything else (an unsigned Code of
  Ethics), then what is overdue, then what falls due within
  :data:`DUE_SOON_DAYS` days, then what others wait on, then what is new since
  the last visit, then work with no date, then updates on what is under way
  (a Council vote, the responses to a reviewer's comments). Within one urgency
  the earliest date comes first.
- A **visit** (:class:`~workbench.models.ReportVisit`) is a run of page views of
  one report with no pause longer than :data:`VISIT_GAP`. "New since your last
  visit" means newer than the end of the previous visit, and stays the same for
  the whole of the current one (re-opening the dashboard does not clear it).

Which steps a person gets depends on their roles in the report (and
workspace-wide):

- authors: sections of theirs overdue or due soon, review comments awaiting
  their answer, comments new since their last visit, and a signature the Code
  of Ethics still needs;
- Coordinating Lead Authors: the same for the whole report, plus sections
  without a lead author, the team's rule warnings, review rounds ready to close
  and Council decisions under way;
- Reviewers: the open round and its closing date, and their comments with the
  responses to them;
- Review Editors: responses awaiting their sign-off;
- Council members: decisions awaiting *their* vote, across every report;
- the Secretariat: authors who have not signed the Code of Ethics, reports at
  council review with no vote opened, decisions whose votes settle them. Its
  table of every report is :func:`report_overview`.

Every list is read with a few aggregate queries whose size does not grow with
the number of review comments (counts are grouped in SQL, rows are limited).
Unsaved conflicts on the Write page live in that browser's page state, not in
the database, so they are not a step here.

A step's words are written in the language current when it is made (the reader's
on a page, English elsewhere), with its numbers and dates as that language writes them.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, false, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from workbench import council, i18n, reports, reviews, sections, teams
from workbench.governance import ETHICS_CODE_VERSION
from workbench.i18n import N_, _, ngettext, render
from workbench.models import (
    AUTHOR_ROLES,
    CouncilDecision,
    CouncilVote,
    DecisionKind,
    DecisionStatus,
    DecisionVoter,
    EthicsSignature,
    Membership,
    Person,
    Report,
    ReportVisit,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Section,
    SectionStatus,
    Stage,
    utcnow,
)
from workbench.permissions import Action, can, has_signed_current_code, roles_of

# A section due within this many days is "due soon".
DUE_SOON_DAYS = 14
# A pause longer than this between two page views starts a new visit.
VISIT_GAP = timedelta(minutes=30)
# Page views closer together than this do not write the visit again (one write a minute).
VISIT_WRITE_EVERY = timedelta(minutes=1)
# At most this many sections are listed one by one; the rest are counted in one step.
MAX_SECTION_STEPS = 20
# At most this many names are listed in a step about several people.
MAX_NAMES = 5


class Urgency(enum.IntEnum):
    """How soon a step needs doing; lower comes first."""

    blocking = 0
    overdue = 1
    due_soon = 2
    waiting = 3
    new = 4
    to_do = 5
    update = 6  # nothing to do: news of something under way

    @property
    def label(self) -> str:
        """Return the words a person reads for this urgency."""
        return _(
            {
                Urgency.blocking: N_("First"),
                Urgency.overdue: N_("Overdue"),
                Urgency.due_soon: N_("Due soon"),
                Urgency.waiting: N_("Waiting for you"),
                Urgency.new: N_("New"),
                Urgency.to_do: N_("To do"),
                Urgency.update: N_("Update"),
            }[self]
        )


class Page(enum.StrEnum):
    """A page of the app, by the address it has (``/write``, ``/review``, …)."""

    dashboard = "dashboard"
    write = "write"
    outline = "outline"
    review = "review"
    council = "council"
    team = "team"
    admin = "admin"


@dataclass(frozen=True)
class NextStep:
    """One thing the person should do, and the page (with query parameters) where it is done."""

    urgency: Urgency
    title: str
    detail: str
    page: Page
    params: dict[str, str] = field(default_factory=dict)
    link: str = ""  # the link's words (empty: "Open")
    due: date | None = None
    report: str | None = None  # the report's slug, when the step belongs to one
    kind: str = ""  # what sort of step this is (stable, for tests and styling)

    @property
    def address(self) -> str:
        """Return the step's address in the app, such as ``/write?report=x&section=12``."""
        query = "&".join(f"{key}={value}" for key, value in self.params.items())
        return f"/{self.page.value}" + (f"?{query}" if query else "")


# --------------------------------------------------------------------------- words


def _n(count: int) -> str:
    return i18n.format_number(count)


def day_text(day: date) -> str:
    """Return a date as people write it in the current language: '5 Dec 2026'."""
    return i18n.format_date(day, format="d MMM y")


def _when(day: date, today: date) -> str:
    days = (day - today).days
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days == -1:
        return _("yesterday")
    if days > 0:
        return ngettext("in {n} day", "in {n} days", days).format(n=_n(days))
    return ngettext("{n} day ago", "{n} days ago", -days).format(n=_n(-days))


def _names(names: list[str], total: int) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    more = total - min(len(names), MAX_NAMES)
    if more <= 0:
        return shown
    return _("{names} and {n} more").format(names=shown, n=_n(more))


def _since(since: datetime | None) -> str:
    """Return ' since your last visit (5 Dec 2026)', or nothing before a second visit."""
    if since is None:
        return ""
    return _(" since your last visit ({day})").format(day=day_text(since.date()))


def _needs_answer(count: int) -> str:
    return (
        _("It needs a response and a disposition.")
        if count == 1
        else _("Each needs a response and a disposition.")
    )


# --------------------------------------------------------------------------- visits


def record_visit(
    session: Session, *, person: Person, report: Report, now: datetime | None = None
) -> datetime | None:
    """Record that a person is looking at a report's pages; return when their last visit ended.

    None means this is their first visit. Page views less than :data:`VISIT_GAP`
    apart are one visit, and all of them get the same answer, so what is "new since
    your last visit" does not vanish the moment the dashboard is opened again.
    """
    now = now or utcnow()
    visit = session.get(ReportVisit, (person.id, report.id))
    if visit is None:
        try:
            # Two tabs opening at once both try to insert: the second reads the first's row.
            with session.begin_nested():
                session.add(ReportVisit(person_id=person.id, report_id=report.id, seen_at=now))
        except IntegrityError:
            visit = session.get(ReportVisit, (person.id, report.id), populate_existing=True)
            if visit is None:  # pragma: no cover - the other tab's row was there a moment ago
                return None
        else:
            session.commit()
            return None
    if now - visit.seen_at > VISIT_GAP:
        # A new visit: the previous one ended when it was last seen.
        visit.previous_at = visit.seen_at
    elif now - visit.seen_at < VISIT_WRITE_EVERY:
        return visit.previous_at
    previous = visit.previous_at
    visit.seen_at = now
    session.add(visit)
    session.commit()
    return previous


def last_visit(session: Session, *, person: Person, report: Report) -> datetime | None:
    """Return when the person's previous visit to the report ended (None before a second visit)."""
    visit = session.get(ReportVisit, (person.id, report.id))
    return visit.previous_at if visit else None


# --------------------------------------------------------------------------- the steps


def next_steps(
    session: Session,
    *,
    person: Person,
    report: Report | None,
    today: date | None = None,
    since: datetime | None = None,
) -> list[NextStep]:
    """Return what the person should do now in this report (and workspace-wide), most urgent first.

    ``since`` is the end of their previous visit (see :func:`record_visit`); without
    it nothing is called new.
    """
    today = today or utcnow().date()
    roles = roles_of(session, person, report.id if report else None)
    steps: list[NextStep] = []
    if report is not None:
        if roles & AUTHOR_ROLES:
            steps += _author_steps(session, person, report, roles, today, since)
        if Role.cla in roles:
            steps += _cla_steps(session, report, today)
        if Role.reviewer in roles:
            steps += _reviewer_steps(session, person, report, today, since)
        if Role.review_editor in roles:
            steps += _review_editor_steps(session, person, report, since)
    if Role.council_member in roles:
        steps += _council_steps(session, person)
    if Role.secretariat in roles:
        steps += _secretariat_steps(session)
    return sorted(
        steps,
        key=lambda step: (step.urgency, step.due or date.max),
    )


def _report_params(report: Report, **more: object) -> dict[str, str]:
    return {"report": report.slug, **{key: str(value) for key, value in more.items()}}


def _open_round(session: Session, report_id: int) -> ReviewRound | None:
    return session.exec(
        select(ReviewRound)
        .where(ReviewRound.report_id == report_id, ReviewRound.status == RoundStatus.open)
        .order_by(col(ReviewRound.id).desc())
    ).first()


def _part_comment_steps(
    session: Session, person: Person, report: Report, current: ReviewRound
) -> list[NextStep]:
    """Return a step for the open comments on the report's parts this person answers.

    Comments on the key findings, the registers, the recommendations and the
    initiatives (or an item of them) are answered by the CLAs, and by the authors
    of the section an item belongs to (see :func:`workbench.reviews.may_answer`).
    """
    codes = reviews.answerable_part_codes(
        session, person=person, report_id=report.id, round_id=current.id
    )
    if not codes:
        return []
    by_part = dict(
        session.exec(
            select(ReviewComment.part, func.count())
            .where(
                ReviewComment.round_id == current.id,
                col(ReviewComment.part).in_(sorted(codes)),
                or_(col(ReviewComment.disposition).is_(None), col(ReviewComment.response) == ""),
            )
            .group_by(col(ReviewComment.part))
        ).all()
    )
    still_open = sum(by_part.values())
    if not still_open:
        return []
    on = ", ".join(sorted(by_part, key=sections.code_order))
    return [
        NextStep(
            Urgency.waiting,
            ngettext(
                "{n} review comment on the report's findings, registers or recommendations "
                "awaits your answer",
                "{n} review comments on the report's findings, registers or recommendations "
                "await your answer",
                still_open,
            ).format(n=_n(still_open)),
            _("In {round}, on {parts}. {needs}").format(
                round=current.name, parts=on, needs=_needs_answer(still_open)
            ),
            Page.review,
            _report_params(report, round=current.name),
            link=_("Answer them") if still_open != 1 else _("Answer it"),
            report=report.slug,
            kind="part_comments_to_answer",
        )
    ]


def _author_steps(
    session: Session,
    person: Person,
    report: Report,
    roles: set[Role],
    today: date,
    since: datetime | None,
) -> list[NextStep]:
    """Return an author's steps: the Code of Ethics, due sections, comments to answer, new ones."""
    steps: list[NextStep] = []
    if not has_signed_current_code(session, person):
        steps.append(
            NextStep(
                Urgency.blocking,
                _("Sign the Code of Ethics"),
                _("Authors sign it before they can change anything in the report."),
                Page.team,
                _report_params(report),
                link=_("Read and sign it"),
                report=report.slug,
                kind="sign_ethics",
            )
        )
    is_cla = Role.cla in roles
    mine = sections.authored_section_ids(session, person_id=person.id, report_id=report.id)
    steps += _due_steps(session, person, report, mine, is_cla, today)
    current = _open_round(session, report.id)
    if current is not None:
        steps += _part_comment_steps(session, person, report, current)
    if not mine:
        return steps
    answerable = reviews.answerable_section_ids(session, person=person, report_id=report.id)
    open_counts = reviews.open_comment_counts(session, report_id=report.id)
    new_counts = _new_comment_counts(session, report.id, since)
    codes = dict(
        session.exec(
            select(Section.id, Section.code).where(col(Section.id).in_(sorted(mine)))
        ).all()
    )
    titles = dict(
        session.exec(
            select(Section.id, Section.title).where(col(Section.id).in_(sorted(mine)))
        ).all()
    )
    since_words = _since(since)
    for section_id in sorted(mine, key=lambda i: sections.code_order(codes[i])):
        name = f"{codes[section_id]} {titles[section_id]}"
        still_open = open_counts.get(section_id, 0)
        new = sum(n for (_round, sid), n in new_counts.items() if sid == section_id)
        params = _report_params(report, section=section_id)
        if current is not None:
            params = _report_params(report, round=current.name, section=section_id)
        if still_open and section_id in answerable:
            parts = [_needs_answer(still_open)]
            if current is not None:
                parts.insert(0, _("In {round}.").format(round=current.name))
            if new:
                parts.append(
                    ngettext(
                        "{n} comment on it is new{since}.",
                        "{n} comments on it are new{since}.",
                        new,
                    ).format(n=_n(new), since=since_words)
                )
            detail = " ".join(parts)
            steps.append(
                NextStep(
                    Urgency.waiting,
                    ngettext(
                        "{n} review comment on {name} awaits your answer",
                        "{n} review comments on {name} await your answer",
                        still_open,
                    ).format(n=_n(still_open), name=name),
                    detail,
                    Page.review,
                    params,
                    link=_("Answer them") if still_open != 1 else _("Answer it"),
                    report=report.slug,
                    kind="comments_to_answer",
                )
            )
        elif new:
            steps.append(
                NextStep(
                    Urgency.new,
                    ngettext(
                        "{n} new review comment on {name}{since}",
                        "{n} new review comments on {name}{since}",
                        new,
                    ).format(n=_n(new), name=name, since=since_words),
                    _("Read what the reviewers said."),
                    Page.review,
                    params,
                    link=_("Read them") if new != 1 else _("Read it"),
                    report=report.slug,
                    kind="new_comments",
                )
            )
    return steps


def _due_steps(
    session: Session,
    person: Person,
    report: Report,
    mine: set[int],
    is_cla: bool,
    today: date,
) -> list[NextStep]:
    """Return the overdue and soon-due sections: the person's own, or every one for a CLA."""
    if not mine and not is_cla:
        return []
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    conditions = [
        Section.report_id == report.id,
        col(Section.due_date).is_not(None),
        col(Section.due_date) <= horizon,
        Section.status != SectionStatus.accepted,
    ]
    if not is_cla:
        conditions.append(col(Section.id).in_(sorted(mine)))
    total = session.exec(select(func.count()).select_from(Section).where(*conditions)).one()
    due = session.exec(
        select(Section)
        .where(*conditions)
        .order_by(col(Section.due_date), col(Section.code))
        .limit(MAX_SECTION_STEPS)
    ).all()
    lead_ids = {s.lead_author_id for s in due if s.lead_author_id and s.id not in mine}
    leads = (
        dict(session.exec(select(Person.id, Person.name).where(col(Person.id).in_(lead_ids))).all())
        if lead_ids
        else {}
    )
    steps = []
    for section in due:
        overdue = section.due_date < today
        own = section.id in mine
        whose = (
            _("Your section")
            if own
            else _("Section (lead: {lead})").format(
                lead=leads.get(section.lead_author_id, _("no lead author yet"))
            )
        )
        name = f"{section.code} {section.title}"
        words = (
            ngettext("{n} word of {target}", "{n} words of {target}", section.words).format(
                n=_n(section.words), target=_n(section.word_target)
            )
            if section.word_target
            else ngettext("{n} word", "{n} words", section.words).format(n=_n(section.words))
        )
        steps.append(
            NextStep(
                Urgency.overdue if overdue else Urgency.due_soon,
                (_("{name} is overdue") if overdue else _("{name} is due")).format(name=name),
                _("{whose} · {status} · {words} · due {day} ({when})").format(
                    whose=whose,
                    status=_(SectionStatus(section.status).label),
                    words=words,
                    day=day_text(section.due_date),
                    when=_when(section.due_date, today),
                ),
                Page.write,
                _report_params(report, section=section.id),
                link=_("Write") if own else _("Open it"),
                due=section.due_date,
                report=report.slug,
                kind="section_overdue" if overdue else "section_due_soon",
            )
        )
    if total > len(due):
        steps.append(
            NextStep(
                Urgency.due_soon,
                ngettext(
                    "{n} more section due within {days} days or overdue",
                    "{n} more sections due within {days} days or overdue",
                    total - len(due),
                ).format(n=_n(total - len(due)), days=DUE_SOON_DAYS),
                _("The outline lists every section with its due date."),
                Page.outline if is_cla else Page.write,
                _report_params(report),
                link=_("See them all"),
                due=horizon,
                report=report.slug,
                kind="sections_due_more",
            )
        )
    return steps


def _new_comment_counts(
    session: Session, report_id: int, since: datetime | None
) -> dict[tuple[int, int], int]:
    """Return (round id, section id) → comments added after ``since`` (nothing without it)."""
    if since is None:
        return {}
    rows = session.exec(
        select(ReviewComment.round_id, ReviewComment.section_id, func.count())
        .join(ReviewRound, col(ReviewRound.id) == col(ReviewComment.round_id))
        .where(ReviewRound.report_id == report_id, col(ReviewComment.created_at) > since)
        .group_by(col(ReviewComment.round_id), col(ReviewComment.section_id))
    ).all()
    return {(round_id, section_id): int(n) for round_id, section_id, n in rows}


def _cla_steps(session: Session, report: Report, today: date) -> list[NextStep]:
    """Return a CLA's report-wide steps: comments, leads, rules, rounds, decisions."""
    steps: list[NextStep] = []
    for summary in reviews.round_summaries(session, report_id=report.id):
        review_round = summary.round
        if review_round.status != RoundStatus.open:
            continue
        params = _report_params(report, round=review_round.name)
        if summary.open:
            steps.append(
                NextStep(
                    Urgency.waiting,
                    ngettext(
                        "{n} review comment in {round} awaits a response and a disposition",
                        "{n} review comments in {round} await a response and a disposition",
                        summary.open,
                    ).format(n=_n(summary.open), round=review_round.name),
                    _(
                        "{n} comments in all; reviewers comment until {day}. The round closes "
                        "once every comment is answered."
                    ).format(n=_n(summary.comments), day=day_text(review_round.closes_on)),
                    Page.review,
                    params,
                    link=_("See the comments"),
                    report=report.slug,
                    kind="round_open_comments",
                )
            )
        elif review_round.closes_on < today:
            steps.append(
                NextStep(
                    Urgency.to_do,
                    _("{round} is ready to close").format(round=review_round.name),
                    ngettext(
                        "Every one of its {n} comment has a response and a disposition, and its "
                        "comment period ended on {day}.",
                        "Every one of its {n} comments has a response and a disposition, and its "
                        "comment period ended on {day}.",
                        summary.comments,
                    ).format(n=_n(summary.comments), day=day_text(review_round.closes_on)),
                    Page.review,
                    params,
                    link=_("Close the round"),
                    report=report.slug,
                    kind="round_ready",
                )
            )
    unled = session.exec(
        select(Section.code)
        .where(Section.report_id == report.id, col(Section.lead_author_id).is_(None))
        .order_by(col(Section.position), col(Section.code))
    ).all()
    if unled:
        codes = sorted(unled, key=sections.code_order)
        steps.append(
            NextStep(
                Urgency.to_do,
                ngettext(
                    "{n} section has no lead author", "{n} sections have no lead author", len(codes)
                ).format(n=_n(len(codes))),
                _("Assign a lead author to {sections}.").format(
                    sections=_names(list(codes), len(codes))
                ),
                Page.outline,
                _report_params(report),
                link=_("Assign them") if len(codes) != 1 else _("Assign one"),
                report=report.slug,
                kind="sections_without_lead",
            )
        )
    for warning in teams.team_warnings(session, report):
        steps.append(
            NextStep(
                Urgency.to_do,
                _("Team rule: {rule}").format(rule=render(warning)),
                _("A Panel rule that warns rather than blocks."),
                Page.team,
                _report_params(report),
                link=_("See the team"),
                report=report.slug,
                kind="team_warning",
            )
        )
    decisions = session.exec(
        select(CouncilDecision)
        .where(
            CouncilDecision.report_id == report.id,
            CouncilDecision.status == DecisionStatus.open,
        )
        .order_by(col(CouncilDecision.opened_at), col(CouncilDecision.id))
    ).all()
    statuses = council.decision_statuses(session, list(decisions))
    for decision in decisions:
        if statuses[decision.id] is not DecisionStatus.open:
            continue
        tally = council.current_tally(session, decision)
        voted = tally.members - tally.not_voted
        freezes = DecisionKind(decision.kind) is DecisionKind.report_approval
        steps.append(
            NextStep(
                Urgency.update,
                _("The Council is voting on '{title}'").format(title=decision.title),
                (
                    _(
                        "{voted} of {members} members have voted. Nothing in the report can "
                        "change while the vote is open."
                    )
                    if freezes
                    else _(
                        "{voted} of {members} members have voted. The report can still be edited."
                    )
                ).format(voted=_n(voted), members=_n(tally.members)),
                Page.council,
                _report_params(report, decision=decision.id),
                link=_("Follow the vote"),
                report=report.slug,
                kind="decision_under_way",
            )
        )
    return steps


def _mine_clause(person: Person):
    """Match the person's own comments: written in the app, or imported under their name."""
    return or_(
        ReviewComment.reviewer_id == person.id,
        and_(
            col(ReviewComment.reviewer_id).is_(None),
            ReviewComment.reviewer_name == person.name,
        ),
    )


def _answered():
    return and_(col(ReviewComment.disposition).is_not(None), col(ReviewComment.response) != "")


def _reviewer_steps(
    session: Session, person: Person, report: Report, today: date, since: datetime | None
) -> list[NextStep]:
    """Return a reviewer's steps: the open round and its date, their comments and responses."""
    steps: list[NextStep] = []
    new_response = and_(_answered(), col(ReviewComment.responded_at) > since) if since else false()
    counts = {
        round_id: (int(total), int(answered or 0), int(new or 0))
        for round_id, total, answered, new in session.exec(
            select(
                ReviewComment.round_id,
                func.count(),
                func.sum(case((_answered(), 1), else_=0)),
                func.sum(case((new_response, 1), else_=0)),
            )
            .join(ReviewRound, col(ReviewRound.id) == col(ReviewComment.round_id))
            .where(ReviewRound.report_id == report.id, _mine_clause(person))
            .group_by(col(ReviewComment.round_id))
        ).all()
    }
    for review_round in reviews.rounds(session, report_id=report.id):
        total, answered, new = counts.get(review_round.id, (0, 0, 0))
        params = _report_params(report, round=review_round.name)
        is_open = review_round.status == RoundStatus.open
        if is_open and review_round.opens_on <= today <= review_round.closes_on:
            left = (review_round.closes_on - today).days
            yours = (
                ngettext(
                    "You have made {n} comment in it so far; {answered} answered.",
                    "You have made {n} comments in it so far; {answered} answered.",
                    total,
                ).format(n=_n(total), answered=_n(answered))
                if total
                else _("You have made 0 comments in it so far.")
            )
            steps.append(
                NextStep(
                    Urgency.due_soon if left <= DUE_SOON_DAYS else Urgency.waiting,
                    _("{round} is open for your comments until {day} ({when})").format(
                        round=review_round.name,
                        day=day_text(review_round.closes_on),
                        when=_when(review_round.closes_on, today),
                    ),
                    yours,
                    Page.review,
                    params,
                    link=_("Comment"),
                    due=review_round.closes_on,
                    report=report.slug,
                    kind="round_open_for_comments",
                )
            )
        elif is_open and today < review_round.opens_on:
            steps.append(
                NextStep(
                    Urgency.to_do,
                    _("{round} opens for comments on {day}").format(
                        round=review_round.name, day=day_text(review_round.opens_on)
                    ),
                    _("It takes comments until {day}.").format(
                        day=day_text(review_round.closes_on)
                    ),
                    Page.review,
                    params,
                    link=_("See the round"),
                    due=review_round.opens_on,
                    report=report.slug,
                    kind="round_opens",
                )
            )
        if not total:
            continue
        since_words = _since(since)
        if new:
            steps.append(
                NextStep(
                    Urgency.new,
                    ngettext(
                        "{n} new response to your comments in {round}{since}",
                        "{n} new responses to your comments in {round}{since}",
                        new,
                    ).format(n=_n(new), round=review_round.name, since=since_words),
                    (
                        _("Your comment there has a response.")
                        if total == 1
                        else _("Every one of your {n} comments there has a response.").format(
                            n=_n(total)
                        )
                    )
                    if answered == total
                    else ngettext(
                        "{answered} of your {n} comment there have a response.",
                        "{answered} of your {n} comments there have a response.",
                        total,
                    ).format(answered=_n(answered), n=_n(total)),
                    Page.review,
                    params,
                    link=_("Read them") if new != 1 else _("Read it"),
                    report=report.slug,
                    kind="responses_new",
                )
            )
        else:
            steps.append(
                NextStep(
                    Urgency.update,
                    ngettext(
                        "Your {n} comment in {round}: {answered} answered so far",
                        "Your {n} comments in {round}: {answered} answered so far",
                        total,
                    ).format(n=_n(total), round=review_round.name, answered=_n(answered))
                    if answered < total
                    else (
                        _("Your comment in {round} has a response").format(round=review_round.name)
                        if total == 1
                        else _("Every one of your {n} comments in {round} has a response").format(
                            n=_n(total), round=review_round.name
                        )
                    ),
                    _("The authors answer each comment with a response and a disposition.")
                    if answered < total
                    else _("Read the authors' responses and dispositions."),
                    Page.review,
                    params,
                    link=_("Read the responses"),
                    report=report.slug,
                    kind="own_comments",
                )
            )
    return steps


def _review_editor_steps(
    session: Session, person: Person, report: Report, since: datetime | None
) -> list[NextStep]:
    """Return a Review Editor's steps: responses awaiting their sign-off, per round."""
    if not can(session, person, Action.sign_off_response, report.id):
        return []
    new = col(ReviewComment.responded_at) > since if since else false()
    rows = session.exec(
        select(ReviewRound.name, func.count(), func.sum(case((new, 1), else_=0)))
        .join(ReviewComment, col(ReviewComment.round_id) == col(ReviewRound.id))
        .where(
            ReviewRound.report_id == report.id,
            _answered(),
            col(ReviewComment.signed_off_at).is_(None),
            # A Review Editor never signs off a response they wrote.
            or_(
                col(ReviewComment.responded_by_id).is_(None),
                ReviewComment.responded_by_id != person.id,
            ),
        )
        .group_by(col(ReviewRound.id), col(ReviewRound.name))
        .order_by(col(ReviewRound.id))
    ).all()
    since_words = _since(since)
    check = _("Check that each comment got a fair response, then sign it off.")
    return [
        NextStep(
            Urgency.waiting,
            ngettext(
                "{n} response in {round} awaits your sign-off",
                "{n} responses in {round} await your sign-off",
                int(count),
            ).format(n=_n(int(count)), round=name),
            _("{n} of them new{since}. {check}").format(
                n=_n(int(fresh)), since=since_words, check=check
            )
            if fresh
            else check,
            Page.review,
            _report_params(report, round=name),
            link=_("Sign them off") if count != 1 else _("Sign it off"),
            report=report.slug,
            kind="responses_to_sign_off",
        )
        for name, count, fresh in rows
    ]


def awaiting_vote(session: Session, *, person: Person) -> list[CouncilDecision]:
    """Return the open decisions, in any report, awaiting this member's vote, oldest first.

    Awaiting means: open (and not void), the person is in its voting body (fixed
    when it opened), and they have not voted yet.
    """
    voted = select(CouncilVote.decision_id).where(CouncilVote.person_id == person.id)
    decisions = list(
        session.exec(
            select(CouncilDecision)
            .join(DecisionVoter, col(DecisionVoter.decision_id) == col(CouncilDecision.id))
            .where(
                DecisionVoter.person_id == person.id,
                CouncilDecision.status == DecisionStatus.open,
                col(CouncilDecision.id).not_in(voted),
            )
            .order_by(col(CouncilDecision.opened_at), col(CouncilDecision.id))
        ).all()
    )
    # A decision whose text changed since it opened is void: it takes no votes.
    statuses = council.decision_statuses(session, decisions)
    return [d for d in decisions if statuses[d.id] is DecisionStatus.open]


def version_text(text_hash: str) -> str:
    """Return how a decision's version is shown: 'Version' and the hash's first 12 digits."""
    return _("Version {hash}").format(hash=text_hash[:12])


def _council_steps(session: Session, person: Person) -> list[NextStep]:
    """Return a Council member's steps: the decisions awaiting their vote, oldest first."""
    decisions = awaiting_vote(session, person=person)
    if not decisions:
        return []
    report_ids = {d.report_id for d in decisions}
    found = session.exec(select(Report).where(col(Report.id).in_(report_ids))).all()
    by_id = {r.id: r for r in found}
    steps = []
    for decision in decisions:
        report = by_id[decision.report_id]
        tally = council.current_tally(session, decision)
        voted = tally.members - tally.not_voted
        steps.append(
            NextStep(
                Urgency.waiting,
                _("Your vote on '{title}'").format(title=decision.title),
                _(
                    "{kind} · {report} · {version} · opened {day} · {voted} of {members} "
                    "members have voted"
                ).format(
                    kind=_(DecisionKind(decision.kind).label),
                    report=report.title,
                    version=version_text(decision.text_hash),
                    day=day_text(decision.opened_at.date()),
                    voted=_n(voted),
                    members=_n(tally.members),
                ),
                Page.council,
                _report_params(report, decision=decision.id),
                link=_("Read and vote"),
                report=report.slug,
                kind="vote",
            )
        )
    return steps


def unsigned_authors(session: Session) -> dict[int, tuple[int, list[str]]]:
    """Return report id → (how many active authors have not signed the Code, the first names)."""
    signed = select(EthicsSignature.person_id).where(
        EthicsSignature.code_version == ETHICS_CODE_VERSION
    )
    pairs = (
        select(
            col(Membership.report_id).label("report_id"),
            col(Person.id).label("person_id"),
            col(Person.name).label("name"),
        )
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(
            col(Membership.report_id).is_not(None),
            col(Membership.role).in_(list(AUTHOR_ROLES)),
            Person.active == True,  # noqa: E712
            col(Person.id).not_in(signed),
        )
        .distinct()
        .subquery()
    )
    ranked = select(
        pairs.c.report_id,
        pairs.c.name,
        func.row_number()
        .over(partition_by=pairs.c.report_id, order_by=(pairs.c.name, pairs.c.person_id))
        .label("rank"),
        func.count().over(partition_by=pairs.c.report_id).label("total"),
    ).subquery()
    rows = session.exec(
        select(ranked.c.report_id, ranked.c.name, ranked.c.total)
        .where(ranked.c.rank <= MAX_NAMES)
        .order_by(ranked.c.report_id, ranked.c.rank)
    ).all()
    result: dict[int, tuple[int, list[str]]] = {}
    for report_id, name, total in rows:
        result.setdefault(report_id, (int(total), []))[1].append(name)
    return result


def _secretariat_steps(session: Session) -> list[NextStep]:
    """Return the Secretariat's steps: unsigned authors, votes to open, decisions to close."""
    steps: list[NextStep] = []
    every = {r.id: r for r in session.exec(select(Report).order_by(col(Report.slug))).all()}
    for report_id, (total, names) in sorted(
        unsigned_authors(session).items(), key=lambda item: every[item[0]].slug
    ):
        report = every[report_id]
        steps.append(
            NextStep(
                Urgency.to_do,
                ngettext(
                    "{n} author of {report} has not signed the Code of Ethics",
                    "{n} authors of {report} have not signed the Code of Ethics",
                    total,
                ).format(n=_n(total), report=report.title),
                _("{names}: they cannot edit anything until they sign it.").format(
                    names=_names(names, total)
                ),
                Page.team,
                _report_params(report),
                link=_("See the team"),
                report=report.slug,
                kind="unsigned_authors",
            )
        )
    at_council = [r for r in every.values() if Stage(r.stage) is Stage.council_review]
    if at_council:
        deciding = set(
            session.exec(
                select(CouncilDecision.report_id).where(
                    col(CouncilDecision.report_id).in_([r.id for r in at_council]),
                    CouncilDecision.kind == DecisionKind.report_approval,
                    col(CouncilDecision.status).in_([DecisionStatus.open, DecisionStatus.approved]),
                )
            ).all()
        )
        for report in at_council:
            if report.id in deciding:
                continue
            steps.append(
                NextStep(
                    Urgency.waiting,
                    _("{report} awaits the Council's vote").format(report=report.title),
                    _("The report is at council review, and no approval vote is open on it yet."),
                    Page.council,
                    _report_params(report),
                    link=_("Open the vote"),
                    report=report.slug,
                    kind="approval_to_open",
                )
            )
    open_decisions = session.exec(
        select(CouncilDecision)
        .where(CouncilDecision.status == DecisionStatus.open)
        .order_by(col(CouncilDecision.opened_at), col(CouncilDecision.id))
    ).all()
    statuses = council.decision_statuses(session, list(open_decisions))
    for decision in open_decisions:
        if statuses[decision.id] is not DecisionStatus.open:
            continue
        tally = council.current_tally(session, decision)
        if tally.outcome is DecisionStatus.open:
            continue
        report = every[decision.report_id]
        steps.append(
            NextStep(
                Urgency.waiting,
                _("'{title}' can be closed").format(title=decision.title),
                _("{report}: the votes settle it ({why})").format(
                    report=report.title, why=render(tally.explanation)
                ),
                Page.council,
                _report_params(report, decision=decision.id),
                link=_("Close it"),
                report=report.slug,
                kind="decision_ready",
            )
        )
    return steps


# --------------------------------------------------------------------------- every report


@dataclass(frozen=True)
class ReportOverview:
    """One report's line in the Secretariat's table of every report."""

    slug: str
    title: str
    stage: Stage
    due_date: date
    sections: int
    accepted: int
    words: int
    word_target: int
    overdue: int
    open_comments: int
    rounds: str
    decisions: str


def report_overview(session: Session, *, today: date | None = None) -> list[ReportOverview]:
    """Return every report with its stage, progress, review rounds and Council decisions."""
    today = today or utcnow().date()
    progress = reports.list_reports(session, today=today)
    by_report: dict[int, list[str]] = defaultdict(list)
    counts = dict(
        session.exec(
            select(ReviewComment.round_id, func.count()).group_by(col(ReviewComment.round_id))
        ).all()
    )
    for review_round in session.exec(
        select(ReviewRound).order_by(col(ReviewRound.opened_at), col(ReviewRound.id))
    ).all():
        total = counts.get(review_round.id, 0)
        if review_round.status == RoundStatus.open:
            # How many comments await an answer is the table's column of its own.
            words = (
                _("{round} open until {day}")
                if total
                else _("{round} open until {day} (no comments yet)")
            ).format(round=review_round.name, day=day_text(review_round.closes_on))
            # The open round is the one people ask about: it comes first.
            by_report[review_round.report_id].insert(0, words)
        else:
            by_report[review_round.report_id].append(
                _("{round} closed").format(round=review_round.name)
            )
    decisions: dict[int, dict[str, int]] = defaultdict(dict)
    for report_id, status, n in session.exec(
        select(CouncilDecision.report_id, CouncilDecision.status, func.count()).group_by(
            col(CouncilDecision.report_id), col(CouncilDecision.status)
        )
    ).all():
        decisions[report_id][_(DecisionStatus(status).label).lower()] = int(n)
    order = [_(s.label).lower() for s in DecisionStatus]
    return [
        ReportOverview(
            slug=p.slug,
            title=p.title,
            stage=p.stage,
            due_date=p.due_date,
            sections=p.sections,
            accepted=p.by_status.get(SectionStatus.accepted.value, 0),
            words=p.words,
            word_target=p.word_target,
            overdue=p.overdue,
            open_comments=p.open_comments,
            rounds=" · ".join(by_report.get(p.id, [])) or _("none yet"),
            decisions=", ".join(
                _("{n} {status}").format(n=_n(decisions[p.id][k]), status=k)
                for k in order
                if k in decisions.get(p.id, {})
            )
            or _("none"),
        )
        for p in progress
    ]
