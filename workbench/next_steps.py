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
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, false, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from workbench import council, reports, reviews, sections, teams
from workbench.governance import ETHICS_CODE_VERSION
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
        return {
            Urgency.blocking: "First",
            Urgency.overdue: "Overdue",
            Urgency.due_soon: "Due soon",
            Urgency.waiting: "Waiting for you",
            Urgency.new: "New",
            Urgency.to_do: "To do",
            Urgency.update: "Update",
        }[self]


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
    link: str = "Open"
    due: date | None = None
    report: str | None = None  # the report's slug, when the step belongs to one
    kind: str = ""  # what sort of step this is (stable, for tests and styling)

    @property
    def address(self) -> str:
        """Return the step's address in the app, such as ``/write?report=x&section=12``."""
        query = "&".join(f"{key}={value}" for key, value in self.params.items())
        return f"/{self.page.value}" + (f"?{query}" if query else "")


# --------------------------------------------------------------------------- words


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def day_text(day: date) -> str:
    """Return a date as people write it: '5 Dec 2026'."""
    return f"{day.day} {day:%b %Y}"


def _when(day: date, today: date) -> str:
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def _names(names: list[str], total: int) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    more = total - min(len(names), MAX_NAMES)
    return shown + (f" and {more:,} more" if more > 0 else "")


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
            f"{_plural(still_open, 'review comment')} on the report's findings, registers or "
            f"recommendations {'awaits' if still_open == 1 else 'await'} your answer",
            f"In {current.name}, on {on}. "
            f"{'It' if still_open == 1 else 'Each'} needs a response and a disposition.",
            Page.review,
            _report_params(report, round=current.name),
            link="Answer them" if still_open != 1 else "Answer it",
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
                "Sign the Code of Ethics",
                "Authors sign it before they can change anything in the report.",
                Page.team,
                _report_params(report),
                link="Read and sign it",
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
    since_words = f" since your last visit ({day_text(since.date())})" if since else ""
    for section_id in sorted(mine, key=lambda i: sections.code_order(codes[i])):
        name = f"{codes[section_id]} {titles[section_id]}"
        still_open = open_counts.get(section_id, 0)
        new = sum(n for (_, sid), n in new_counts.items() if sid == section_id)
        params = _report_params(report, section=section_id)
        if current is not None:
            params = _report_params(report, round=current.name, section=section_id)
        if still_open and section_id in answerable:
            parts = [f"{'It' if still_open == 1 else 'Each'} needs a response and a disposition."]
            if current is not None:
                parts.insert(0, f"In {current.name}.")
            if new:
                verb = "is" if new == 1 else "are"
                parts.append(f"{_plural(new, 'comment')} on it {verb} new{since_words}.")
            detail = " ".join(parts)
            steps.append(
                NextStep(
                    Urgency.waiting,
                    f"{_plural(still_open, 'review comment')} on {name} "
                    f"{'awaits' if still_open == 1 else 'await'} your answer",
                    detail,
                    Page.review,
                    params,
                    link="Answer them" if still_open != 1 else "Answer it",
                    report=report.slug,
                    kind="comments_to_answer",
                )
            )
        elif new:
            steps.append(
                NextStep(
                    Urgency.new,
                    f"{_plural(new, 'new review comment')} on {name}{since_words}",
                    "Read what the reviewers said.",
                    Page.review,
                    params,
                    link="Read them" if new != 1 else "Read it",
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
            "Your section"
            if own
            else f"Section (lead: {leads.get(section.lead_author_id, 'no lead author yet')})"
        )
        state = "is overdue" if overdue else "is due"
        steps.append(
            NextStep(
                Urgency.overdue if overdue else Urgency.due_soon,
                f"{section.code} {section.title} {state}",
                f"{whose} · {SectionStatus(section.status).label} · "
                f"{_plural(section.words, 'word')}"
                + (f" of {section.word_target:,}" if section.word_target else "")
                + f" · due {day_text(section.due_date)} ({_when(section.due_date, today)})",
                Page.write,
                _report_params(report, section=section.id),
                link="Write" if own else "Open it",
                due=section.due_date,
                report=report.slug,
                kind="section_overdue" if overdue else "section_due_soon",
            )
        )
    if total > len(due):
        steps.append(
            NextStep(
                Urgency.due_soon,
                f"{_plural(total - len(due), 'more section')} due within {DUE_SOON_DAYS} days "
                "or overdue",
                "The outline lists every section with its due date.",
                Page.outline if is_cla else Page.write,
                _report_params(report),
                link="See them all",
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
                    f"{_plural(summary.open, 'review comment')} in {review_round.name} "
                    f"{'awaits' if summary.open == 1 else 'await'} a response and a disposition",
                    f"{summary.comments:,} comments in all; reviewers comment until "
                    f"{day_text(review_round.closes_on)}. The round closes once every comment "
                    "is answered.",
                    Page.review,
                    params,
                    link="See the comments",
                    report=report.slug,
                    kind="round_open_comments",
                )
            )
        elif review_round.closes_on < today:
            steps.append(
                NextStep(
                    Urgency.to_do,
                    f"{review_round.name} is ready to close",
                    f"Every one of its {_plural(summary.comments, 'comment')} has a response "
                    f"and a disposition, and its comment period ended on "
                    f"{day_text(review_round.closes_on)}.",
                    Page.review,
                    params,
                    link="Close the round",
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
                f"{_plural(len(codes), 'section has', 'sections have')} no lead author",
                "Assign a lead author to " + _names(list(codes), len(codes)) + ".",
                Page.outline,
                _report_params(report),
                link="Assign them" if len(codes) != 1 else "Assign one",
                report=report.slug,
                kind="sections_without_lead",
            )
        )
    for warning in teams.team_warnings(session, report):
        steps.append(
            NextStep(
                Urgency.to_do,
                "Team rule: " + warning,
                "A Panel rule that warns rather than blocks.",
                Page.team,
                _report_params(report),
                link="See the team",
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
                f"The Council is voting on '{decision.title}'",
                f"{voted} of {tally.members} members have voted. "
                + (
                    "Nothing in the report can change while the vote is open."
                    if freezes
                    else "The report can still be edited."
                ),
                Page.council,
                _report_params(report, decision=decision.id),
                link="Follow the vote",
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
            yours = f"You have made {_plural(total, 'comment')} in it so far" + (
                f"; {answered:,} answered." if total else "."
            )
            steps.append(
                NextStep(
                    Urgency.due_soon if left <= DUE_SOON_DAYS else Urgency.waiting,
                    f"{review_round.name} is open for your comments until "
                    f"{day_text(review_round.closes_on)} ({_when(review_round.closes_on, today)})",
                    yours,
                    Page.review,
                    params,
                    link="Comment",
                    due=review_round.closes_on,
                    report=report.slug,
                    kind="round_open_for_comments",
                )
            )
        elif is_open and today < review_round.opens_on:
            steps.append(
                NextStep(
                    Urgency.to_do,
                    f"{review_round.name} opens for comments on {day_text(review_round.opens_on)}",
                    f"It takes comments until {day_text(review_round.closes_on)}.",
                    Page.review,
                    params,
                    link="See the round",
                    due=review_round.opens_on,
                    report=report.slug,
                    kind="round_opens",
                )
            )
        if not total:
            continue
        since_words = f" since your last visit ({day_text(since.date())})" if since else ""
        if new:
            steps.append(
                NextStep(
                    Urgency.new,
                    f"{_plural(new, 'new response')} to your comments in {review_round.name}"
                    f"{since_words}",
                    (
                        "Your comment there has a response."
                        if total == 1
                        else f"Every one of your {total:,} comments there has a response."
                    )
                    if answered == total
                    else f"{answered:,} of your {_plural(total, 'comment')} there have a response.",
                    Page.review,
                    params,
                    link="Read them" if new != 1 else "Read it",
                    report=report.slug,
                    kind="responses_new",
                )
            )
        else:
            steps.append(
                NextStep(
                    Urgency.update,
                    (
                        f"Your {_plural(total, 'comment')} in {review_round.name}: "
                        f"{answered:,} answered so far"
                    )
                    if answered < total
                    else (
                        f"Your comment in {review_round.name} has a response"
                        if total == 1
                        else f"Every one of your {total:,} comments in {review_round.name} "
                        "has a response"
                    ),
                    "The authors answer each comment with a response and a disposition."
                    if answered < total
                    else "Read the authors' responses and dispositions.",
                    Page.review,
                    params,
                    link="Read the responses",
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
    since_words = f" since your last visit ({day_text(since.date())})" if since else ""
    return [
        NextStep(
            Urgency.waiting,
            f"{_plural(int(count), 'response')} in {name} "
            f"{'awaits' if count == 1 else 'await'} your sign-off",
            (f"{int(fresh):,} of them new{since_words}. " if fresh else "")
            + "Check that each comment got a fair response, then sign it off.",
            Page.review,
            _report_params(report, round=name),
            link="Sign them off" if count != 1 else "Sign it off",
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
    return f"Version {text_hash[:12]}"


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
                f"Your vote on '{decision.title}'",
                f"{DecisionKind(decision.kind).label} · {report.title} · "
                f"{version_text(decision.text_hash)} · opened {day_text(decision.opened_at.date())}"
                f" · {voted} of {tally.members} members have voted",
                Page.council,
                _report_params(report, decision=decision.id),
                link="Read and vote",
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
                f"{_plural(total, 'author')} of {report.title} "
                f"{'has' if total == 1 else 'have'} not signed the Code of Ethics",
                f"{_names(names, total)}: they cannot edit anything until they sign it.",
                Page.team,
                _report_params(report),
                link="See the team",
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
                    f"{report.title} awaits the Council's vote",
                    "The report is at council review, and no approval vote is open on it yet.",
                    Page.council,
                    _report_params(report),
                    link="Open the vote",
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
                f"'{decision.title}' can be closed",
                f"{report.title}: the votes settle it ({tally.explanation})",
                Page.council,
                _report_params(report, decision=decision.id),
                link="Close it",
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
            words = f"{review_round.name} open until {day_text(review_round.closes_on)}"
            words += "" if total else " (no comments yet)"
            # The open round is the one people ask about: it comes first.
            by_report[review_round.report_id].insert(0, words)
        else:
            by_report[review_round.report_id].append(f"{review_round.name} closed")
    decisions: dict[int, dict[str, int]] = defaultdict(dict)
    for report_id, status, n in session.exec(
        select(CouncilDecision.report_id, CouncilDecision.status, func.count()).group_by(
            col(CouncilDecision.report_id), col(CouncilDecision.status)
        )
    ).all():
        decisions[report_id][DecisionStatus(status).label.lower()] = int(n)
    order = [s.label.lower() for s in DecisionStatus]
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
            rounds=" · ".join(by_report.get(p.id, [])) or "none yet",
            decisions=", ".join(
                f"{decisions[p.id][k]} {k}" for k in order if k in decisions.get(p.id, {})
            )
            or "none",
        )
        for p in progress
    ]
