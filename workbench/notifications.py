"""Notifications: what concerns a person, in their inbox and, as they choose, by email.

Terms:

- A **notification** (``Notification``) records one event for one person: a
  mention, a reply, a review comment on their section… (``NotificationKind``).
  Its ``key`` names the event, so that recording the same event twice (a job
  run twice, two app servers) notifies the person once: the pair (person, key)
  is unique in the database.
- Its **link** is the app address where the thing is handled (a path with its
  query, such as ``/review?report=living-wages&round=SOD``); mail adds the
  workbench's base address (``WORKBENCH_BASE_URL``).
- A person's **preference** per kind (``NotificationPreference``) says how it
  reaches them: in the app only, in the app and by email at once, or in a daily
  or weekly digest. Without one, the **quiet default** applies: mentions and
  Council decisions by email at once, everything else in the daily digest.
- The **inbox** lists a person's notifications newest first; reading one (or
  all) marks it read. Only the person sees their own notifications.

Recording never fails the action that caused it for a reason of its own: the
caller passes its session, the rows join the caller's transaction, and a
duplicate key is skipped.

**Events.** The services record what concerns people as they act, in the same
transaction (a refused action records nothing):

- ``review_comment``: a new review comment (:func:`review_comment_added`), or
  one summary per person for an import (:func:`review_comments_imported`), to
  the lead author and co-authors of the section it is on (for an item of a
  part, the section the item belongs to); the CLAs when no section answers.
- ``comment_response`` to the reviewer who wrote the comment, and
  ``sign_off_awaited`` to the report's Review Editors
  (:func:`comment_responded`).
- ``section_assigned`` to a new lead author or co-author, ``due_date_changed``
  to the section's authors (:func:`section_changed`).
- ``round_opened`` to the report's reviewers and authors (:func:`round_opened`).
- ``decision_opened`` to its voting body, ``decision_closed`` to the CLAs,
  ``approval_withdrawn`` (withdrawn or void) to the CLAs and the members who
  voted (:func:`decision_opened`, :func:`decision_closed`,
  :func:`decision_ended`).

Nothing triggers the **scheduled** ones; :func:`scan` records them for a day:
``due_soon`` (a section due in 7 days or tomorrow), ``overdue`` (once per due
date) and ``round_closing`` (an open round closing in 3 days).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sqlalchemy import func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workbench import i18n
from workbench.errors import NotFound, ValidationError
from workbench.i18n import N_

if TYPE_CHECKING:
    from workbench.parts import Target
from workbench.models import (
    AUTHOR_ROLES,
    LABELS_FOR_TRANSLATION,
    CouncilDecision,
    CouncilVote,
    DecisionStatus,
    DecisionVoter,
    DeliveryChoice,
    Membership,
    Notification,
    NotificationKind,
    NotificationPreference,
    Person,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Section,
    SectionAuthor,
    SectionStatus,
    Stage,
    utcnow,
)

#: How each kind reaches a person who has not chosen (the quiet default).
DEFAULTS: dict[NotificationKind, DeliveryChoice] = {
    kind: DeliveryChoice.daily for kind in NotificationKind
} | {
    NotificationKind.mention: DeliveryChoice.email,
    NotificationKind.decision_opened: DeliveryChoice.email,
    NotificationKind.decision_closed: DeliveryChoice.email,
    NotificationKind.approval_withdrawn: DeliveryChoice.email,
}

#: What each kind means, as the profile page and the digests say it.
DESCRIPTIONS: dict[NotificationKind, str] = {
    NotificationKind.mention: N_("Someone mentions you in a discussion"),
    NotificationKind.reply: N_("A reply in a discussion you take part in"),
    NotificationKind.review_comment: N_("A new review comment on a section you lead or co-author"),
    NotificationKind.comment_response: N_("The authors respond to your review comment"),
    NotificationKind.sign_off_awaited: N_("A response awaits your sign-off (Review Editors)"),
    NotificationKind.section_assigned: N_("A section is assigned to you"),
    NotificationKind.due_date_changed: N_("The due date of your section changes"),
    NotificationKind.due_soon: N_("Your section is due in 7 days, or tomorrow"),
    NotificationKind.overdue: N_("Your section is overdue"),
    NotificationKind.round_opened: N_("A review round opens on a report of yours"),
    NotificationKind.round_closing: N_("A review round closes in 3 days"),
    NotificationKind.decision_opened: N_("The Council opens a decision (members)"),
    NotificationKind.decision_closed: N_("A Council decision is closed (CLAs)"),
    NotificationKind.approval_withdrawn: N_("An approval is withdrawn or void"),
}

# The titles the events write, as English templates. A title is stored in English (the
# mail and the command line are English); :func:`title_text` reads a stored title back
# into its template and parameters and shows it in the reader's language.
MENTION = N_("{person} mentions you in “{title}”")
REPLY = N_("{person} replies in “{title}”")
REVIEW_COMMENT = N_("New review comment {number} on {target} ({round})")
IMPORTED_ONE = N_("{count} new review comment on {on} ({round}, imported from {source})")
IMPORTED_MANY = N_("{count} new review comments on {on} ({round}, imported from {source})")
PARTS = N_("{count} sections and parts")
SIGN_OFF = N_("A response awaits your sign-off: comment {number} on {target} ({round})")
RESPONDED = N_(
    "The authors responded to your comment {number} on {target} ({round}): {disposition}"
)
ROUND_OPENED = N_("Review round {round} is open on “{report}” until {day}")
LEAD = N_("You are now the lead author of {name}")
LEAD_DUE = N_("You are now the lead author of {name} (due {day})")
COAUTHOR = N_("You are now a co-author of {name}")
COAUTHOR_DUE = N_("You are now a co-author of {name} (due {day})")
DUE_CHANGED = N_("{name} is now due on {day}")
DUE_REMOVED = N_("{name} no longer has a due date")
DECISION_OPENED = N_("The Council awaits your vote: {title}")
DECISION_CLOSED = N_("Council decision closed ({status}): {title}")
DECISION_VOID = N_("Council decision void, the text changed: {title}")
DECISION_WITHDRAWN = N_("Council decision withdrawn: {title}")
OVERDUE = N_("{name} is overdue: it was due on {day}")
DUE_TOMORROW = N_("{name} is due tomorrow, on {day}")
DUE_IN = N_("{name} is due in {days} days, on {day}")
ROUND_CLOSING = N_("Review round {round} on “{report}” closes in {days} days, on {day}")
LATE = N_("{days} day late on {day}.")
LATE_MANY = N_("{days} days late on {day}.")
# Most specific first: a title is read back with the first template it matches.
TITLES = (
    IMPORTED_MANY,
    IMPORTED_ONE,
    REVIEW_COMMENT,
    SIGN_OFF,
    RESPONDED,
    ROUND_CLOSING,
    ROUND_OPENED,
    LEAD_DUE,
    LEAD,
    COAUTHOR_DUE,
    COAUTHOR,
    DECISION_VOID,
    DECISION_WITHDRAWN,
    DECISION_CLOSED,
    DECISION_OPENED,
    DUE_TOMORROW,
    DUE_IN,
    DUE_CHANGED,
    DUE_REMOVED,
    OVERDUE,
    MENTION,
    REPLY,
    LATE,
    LATE_MANY,
)
_PATTERNS: list[tuple[str, re.Pattern[str]]] = []
_DAY = re.compile(r"^(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})$")
_LABELS = {label.lower(): label for label in LABELS_FOR_TRANSLATION}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
        for index, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


def _shown_value(name: str, value: str) -> str:
    """Return one parameter of a stored title in the current language, where it can tell."""
    day = _DAY.match(value)
    if day and name == "day":
        try:
            parsed = datetime.strptime(value, "%d %b %Y").date()
        except ValueError:
            return value
        return i18n.format_date(parsed, format="d MMM y")
    if name in {"disposition", "status"} and value in _LABELS:
        return i18n.gettext(_LABELS[value]).lower()
    if name == "on":
        found = _PARTS_PATTERN.match(value)
        if found:
            return i18n.gettext(PARTS).format(count=found.group("count"))
    return value


_PARTS_PATTERN = _pattern(PARTS)


def title_text(stored: str) -> str:
    """Return a notification's stored (English) title or detail in the current language.

    A text the events wrote from one of :data:`TITLES` is shown from the template's
    translation; any other text (a thread's title, a comment) is shown as stored.
    """
    if i18n.current_language() == i18n.SOURCE or not stored:
        return stored
    if not _PATTERNS:
        _PATTERNS.extend((template, _pattern(template)) for template in TITLES)
    for template, pattern in _PATTERNS:
        found = pattern.match(stored)
        if found is None:
            continue
        values = {k: _shown_value(k, v) for k, v in found.groupdict().items()}
        try:
            return i18n.gettext(template).format(**values)
        except (KeyError, IndexError, ValueError):
            return stored
    return stored


MAX_TITLE = 300
MAX_DETAIL = 2_000
INBOX_PAGE = 50


@dataclass(frozen=True)
class Event:
    """One event to record for some people (see :func:`notify`)."""

    kind: NotificationKind
    key: str
    title: str
    link: str = ""
    detail: str = ""
    report_id: int | None = None
    actor_id: int | None = None


def notify(session: Session, people: Iterable[int], event: Event) -> int:
    """Record ``event`` for each person (once per person and key); return how many are new.

    Adds to the caller's transaction without committing. The person who caused
    the event (``actor_id``) is not told about it. Keys already recorded for a
    person are skipped, so an event recorded twice notifies once.
    """
    return _record_many(session, [(people, event)])


# --------------------------------------------------------------------------- preferences


def preferences(session: Session, person_id: int) -> dict[NotificationKind, DeliveryChoice]:
    """Return how each kind reaches this person: their choices over the quiet default."""
    chosen = dict(
        session.exec(
            select(NotificationPreference.kind, NotificationPreference.delivery).where(
                NotificationPreference.person_id == person_id
            )
        ).all()
    )
    return {kind: chosen.get(kind, DEFAULTS[kind]) for kind in NotificationKind}


def set_preferences(
    session: Session,
    *,
    actor: Person,
    person: Person,
    choices: dict[NotificationKind, DeliveryChoice | str],
) -> dict[NotificationKind, DeliveryChoice]:
    """Save a person's choices (only the person themselves may); return them all."""
    if actor.id != person.id:
        raise ValidationError("Only the person themselves chooses how notifications reach them.")
    cleaned: dict[NotificationKind, DeliveryChoice] = {}
    for kind, delivery in choices.items():
        try:
            cleaned[NotificationKind(kind)] = DeliveryChoice(delivery)
        except ValueError:
            raise ValidationError(
                "'{delivery}' is not a way to receive '{kind}': choose one of {choices}.",
                delivery=delivery,
                kind=kind,
                choices=", ".join(d.value for d in DeliveryChoice),
            ) from None
    try:
        for kind, delivery in cleaned.items():
            row = session.get(NotificationPreference, {"person_id": person.id, "kind": kind})
            if row is None:
                row = NotificationPreference(person_id=person.id, kind=kind, delivery=delivery)
            row.delivery = delivery
            session.add(row)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return preferences(session, person.id)


# --------------------------------------------------------------------------- the inbox


def unread_count(session: Session, person_id: int) -> int:
    """Return how many of the person's notifications are unread (the sidebar badge)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(Notification.person_id == person_id, col(Notification.read_at).is_(None))
        ).one()
    )


def inbox(
    session: Session,
    person_id: int,
    *,
    unread_only: bool = False,
    limit: int = INBOX_PAGE,
    offset: int = 0,
) -> tuple[list[Notification], int]:
    """Return one page of the person's notifications, newest first, and how many match."""
    conditions = [Notification.person_id == person_id]
    if unread_only:
        conditions.append(col(Notification.read_at).is_(None))
    total = session.exec(select(func.count()).select_from(Notification).where(*conditions)).one()
    page = session.exec(
        select(Notification)
        .where(*conditions)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(max(limit, 0))
        .offset(max(offset, 0))
    ).all()
    return list(page), int(total)


def mark_read(session: Session, *, person: Person, ids: Sequence[int]) -> int:
    """Mark these notifications of the person read; return how many changed."""
    if not ids:
        return 0
    found = session.exec(
        select(Notification.id, Notification.person_id).where(col(Notification.id).in_(ids))
    ).all()
    if any(owner != person.id for _, owner in found) or len(found) != len(set(ids)):
        raise NotFound("That notification is not in your inbox.")
    return _set_read(session, person, col(Notification.id).in_(ids))


def mark_all_read(session: Session, *, person: Person) -> int:
    """Mark every unread notification of the person read; return how many changed."""
    return _set_read(session, person, True)


def _set_read(session: Session, person: Person, condition: object) -> int:
    try:
        result = session.exec(
            update(Notification)
            .where(
                Notification.person_id == person.id,
                col(Notification.read_at).is_(None),
                condition,
            )
            .values(read_at=utcnow())
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return int(result.rowcount or 0)


# --------------------------------------------------------------------------- events

#: Days before a section's due date when its authors are reminded.
DUE_SOON_DAYS = (7, 1)
#: Days before an open review round closes when its reviewers and authors are reminded.
ROUND_CLOSING_DAYS = 3
# Reports past these stages have nothing left to write, so nothing is due or overdue.
_FINISHED = (Stage.approved, Stage.published)
_KEY_CHUNK = 500


def link(page: str, **params: object) -> str:
    """Return the app address of a page and its query, such as ``/write?report=x&section=3``."""
    query = urlencode({k: v for k, v in params.items() if v is not None and v != ""})
    return f"/{page}" + (f"?{query}" if query else "")


def day_text(day: date) -> str:
    """Return a date as people write it: '5 Dec 2026'."""
    return f"{day.day} {day:%b %Y}"


def report_members(
    session: Session, report_ids: Collection[int], roles: Collection[Role]
) -> dict[int, set[int]]:
    """Return report id → the active people holding any of these roles in it."""
    found: dict[int, set[int]] = defaultdict(set)
    if not report_ids:
        return found
    rows = session.exec(
        select(Membership.report_id, Membership.person_id)
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(
            col(Membership.report_id).in_(sorted(report_ids)),
            col(Membership.role).in_(list(roles)),
            Person.active == True,  # noqa: E712
        )
    ).all()
    for report_id, person_id in rows:
        found[report_id].add(person_id)
    return found


def section_authors(session: Session, section_ids: Iterable[int | None]) -> dict[int, set[int]]:
    """Return section id → its lead author and co-authors who are active, in two queries."""
    ids = sorted({i for i in section_ids if i is not None})
    found: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return found
    leads = session.exec(
        select(Section.id, Section.lead_author_id)
        .join(Person, col(Person.id) == col(Section.lead_author_id))
        .where(col(Section.id).in_(ids), Person.active == True)  # noqa: E712
    ).all()
    coauthors = session.exec(
        select(SectionAuthor.section_id, SectionAuthor.person_id)
        .join(Person, col(Person.id) == col(SectionAuthor.person_id))
        .where(col(SectionAuthor.section_id).in_(ids), Person.active == True)  # noqa: E712
    ).all()
    for section_id, person_id in [*leads, *coauthors]:
        found[section_id].add(person_id)
    return found


def _answerers(
    session: Session, report_id: int, section_ids: Iterable[int | None]
) -> dict[int | None, set[int]]:
    """Return who answers comments on each section (None: no section): its authors, or the CLAs.

    A section nobody writes yet falls to the CLAs too, so that no comment goes unseen.
    """
    wanted = set(section_ids)
    authors = section_authors(session, wanted)
    clas: set[int] | None = None
    found: dict[int | None, set[int]] = {}
    for section_id in wanted:
        people = authors.get(section_id, set()) if section_id is not None else set()
        if not people:
            if clas is None:
                clas = report_members(session, [report_id], [Role.cla])[report_id]
            people = clas
        found[section_id] = people
    return found


def _record_many(session: Session, events: Iterable[tuple[Iterable[int], Event]]) -> int:
    """Record several events, each for its people, looking up the keys known in few queries."""
    wanted: dict[tuple[int, str], Event] = {}
    for people, event in events:
        key = event.key[:200]
        for person_id in people:
            if person_id is not None and person_id != event.actor_id:
                wanted.setdefault((person_id, key), event)
    if not wanted:
        return 0
    session.flush()
    keys = sorted({key for _, key in wanted})
    people_ids = sorted({person_id for person_id, _ in wanted})
    known: set[tuple[int, str]] = set()
    for start in range(0, len(keys), _KEY_CHUNK):
        for at in range(0, len(people_ids), _KEY_CHUNK):
            known.update(
                session.exec(
                    select(Notification.person_id, Notification.key).where(
                        col(Notification.key).in_(keys[start : start + _KEY_CHUNK]),
                        col(Notification.person_id).in_(people_ids[at : at + _KEY_CHUNK]),
                    )
                ).all()
            )
    now = utcnow()
    rows = [
        {
            "person_id": person_id,
            "report_id": event.report_id,
            "kind": event.kind,
            "key": key,
            "title": " ".join(event.title.split())[:MAX_TITLE],
            "detail": event.detail.strip()[:MAX_DETAIL],
            "link": event.link[:500],
            "actor_id": event.actor_id,
            "created_at": now,
            "read_at": None,
            "emailed_at": None,
        }
        for (person_id, key), event in wanted.items()
        if (person_id, key) not in known
    ]
    # One statement for them all: a scan may record thousands.
    for start in range(0, len(rows), _KEY_CHUNK):
        session.exec(insert(Notification), params=rows[start : start + _KEY_CHUNK])
    return len(rows)


def _slug(session: Session, report_id: int) -> str:
    report = session.get(Report, report_id)
    return report.slug if report is not None else ""


def target_label(target: Target) -> str:
    """Return what a comment is on as a person reads it: '2.1 Living wages', 'F3 …', 'KF …'."""
    if target.kind == "section":
        return target.title.removeprefix("Section ")
    return target.title if target.code in target.title else f"{target.code} {target.title}"


def _review_link(slug: str, round: ReviewRound, target: Target | None = None) -> str:
    where: object = None
    if target is not None:
        where = target.section_id if target.kind == "section" else target.code
    return link("review", report=slug, round=round.name, section=where)


# --------------------------------------------------------------------------- review events


def review_comment_added(
    session: Session,
    *,
    comment: ReviewComment,
    round: ReviewRound,
    target: Target,
    actor_id: int | None,
) -> int:
    """Tell the authors who answer a new review comment (the CLAs on a part without a section)."""
    people = _answerers(session, round.report_id, [target.answer_section_id])
    event = Event(
        kind=NotificationKind.review_comment,
        key=f"review_comment:{comment.id}",
        title=REVIEW_COMMENT.format(
            number=comment.number, target=target_label(target), round=round.name
        ),
        link=_review_link(_slug(session, round.report_id), round, target),
        detail=comment.comment[:500],
        report_id=round.report_id,
        actor_id=actor_id,
    )
    return _record_many(session, [(people[target.answer_section_id], event)])


def review_comments_imported(
    session: Session,
    *,
    round: ReviewRound,
    targets: Sequence[Target],
    source: str,
    at: datetime,
    actor_id: int | None,
) -> int:
    """Tell each person who answers imported comments how many concern them, in one notification.

    ``targets`` holds what each imported comment is on (one entry per comment);
    ``at`` is when the import wrote them (it names the event).
    """
    if not targets:
        return 0
    per_section: dict[int | None, list[Target]] = defaultdict(list)
    for target in targets:
        per_section[target.answer_section_id].append(target)
    answerers = _answerers(session, round.report_id, per_section)
    mine: dict[int, list[Target]] = defaultdict(list)
    for section_id, people in answerers.items():
        for person_id in people:
            mine[person_id].extend(per_section[section_id])
    slug = _slug(session, round.report_id)
    events = []
    for person_id, theirs in mine.items():
        labels = list(dict.fromkeys(target_label(t) for t in theirs))
        count = len(theirs)
        on = labels[0] if len(labels) == 1 else PARTS.format(count=len(labels))
        events.append(
            (
                [person_id],
                Event(
                    kind=NotificationKind.review_comment,
                    key=f"review_import:{round.id}:{at.isoformat()}",
                    title=(IMPORTED_ONE if count == 1 else IMPORTED_MANY).format(
                        count=count, on=on, round=round.name, source=source
                    ),
                    link=_review_link(slug, round, theirs[0] if len(labels) == 1 else None),
                    detail=", ".join(labels[:20]) + (" …" if len(labels) > 20 else ""),
                    report_id=round.report_id,
                    actor_id=actor_id,
                ),
            )
        )
    return _record_many(session, events)


def comment_responded(
    session: Session,
    *,
    comment: ReviewComment,
    round: ReviewRound,
    target: Target,
    actor_id: int | None,
) -> int:
    """Tell the reviewer their comment was answered, and the Review Editors a sign-off awaits."""
    slug = _slug(session, round.report_id)
    when = (comment.responded_at or utcnow()).isoformat()
    on = {"number": comment.number, "target": target_label(target), "round": round.name}
    where = _review_link(slug, round, target)
    disposition = comment.disposition.label if comment.disposition is not None else ""
    editors = report_members(session, [round.report_id], [Role.review_editor])[round.report_id]
    events = [
        (
            sorted(editors),
            Event(
                kind=NotificationKind.sign_off_awaited,
                key=f"sign_off_awaited:{comment.id}:{when}",
                title=SIGN_OFF.format(**on),
                link=where,
                detail=f"{disposition}: {comment.response[:500]}",
                report_id=round.report_id,
                actor_id=actor_id,
            ),
        )
    ]
    if comment.reviewer_id is not None:
        events.append(
            (
                [comment.reviewer_id],
                Event(
                    kind=NotificationKind.comment_response,
                    key=f"comment_response:{comment.id}:{when}",
                    title=RESPONDED.format(**on, disposition=disposition.lower()),
                    link=where,
                    detail=comment.response[:500],
                    report_id=round.report_id,
                    actor_id=actor_id,
                ),
            )
        )
    return _record_many(session, events)


def round_opened(session: Session, *, round: ReviewRound, actor_id: int | None) -> int:
    """Tell the report's reviewers and authors that a review round is open."""
    report = session.get(Report, round.report_id)
    people = report_members(session, [round.report_id], {Role.reviewer, *AUTHOR_ROLES})
    event = Event(
        kind=NotificationKind.round_opened,
        key=f"round_opened:{round.id}",
        title=ROUND_OPENED.format(
            round=round.name,
            report=report.title if report else "",
            day=day_text(round.closes_on),
        ),
        link=_review_link(report.slug if report else "", round),
        report_id=round.report_id,
        actor_id=actor_id,
    )
    return _record_many(session, [(people[round.report_id], event)])


# --------------------------------------------------------------------------- section events


def section_changed(
    session: Session,
    *,
    section: Section,
    before_lead: int | None,
    before_coauthors: Collection[int],
    coauthors: Collection[int],
    changed: Collection[str],
    actor_id: int | None,
) -> int:
    """Tell new authors a section is theirs, and its authors that its due date changed.

    ``changed`` names the fields changed (as the outline services list them);
    ``coauthors`` are the co-authors after the change.
    """
    if not {"lead_author_id", "coauthor_ids", "due_date"} & set(changed):
        return 0
    slug = _slug(session, section.report_id)
    where = link("write", report=slug, section=section.id)
    name = f"{section.code} {section.title}"
    stamp = section.updated_at.isoformat()
    events: list[tuple[Iterable[int], Event]] = []
    due = {"day": day_text(section.due_date)} if section.due_date else {}
    if "lead_author_id" in changed and section.lead_author_id is not None:
        events.append(
            (
                [section.lead_author_id],
                Event(
                    kind=NotificationKind.section_assigned,
                    key=f"section_assigned:{section.id}:lead:{stamp}",
                    title=(LEAD_DUE if due else LEAD).format(name=name, **due),
                    link=where,
                    report_id=section.report_id,
                    actor_id=actor_id,
                ),
            )
        )
    new_coauthors = set(coauthors) - set(before_coauthors) - {before_lead, section.lead_author_id}
    if "coauthor_ids" in changed and new_coauthors:
        events.append(
            (
                sorted(new_coauthors),
                Event(
                    kind=NotificationKind.section_assigned,
                    key=f"section_assigned:{section.id}:coauthor:{stamp}",
                    title=(COAUTHOR_DUE if due else COAUTHOR).format(name=name, **due),
                    link=where,
                    report_id=section.report_id,
                    actor_id=actor_id,
                ),
            )
        )
    if "due_date" in changed:
        authors = {section.lead_author_id, *coauthors} - {None}
        active = set(
            session.exec(
                select(Person.id).where(
                    col(Person.id).in_(sorted(authors)),
                    Person.active == True,  # noqa: E712
                )
            ).all()
        )
        changed_title = (
            DUE_CHANGED.format(name=name, day=day_text(section.due_date))
            if section.due_date
            else DUE_REMOVED.format(name=name)
        )
        events.append(
            (
                sorted(active),
                Event(
                    kind=NotificationKind.due_date_changed,
                    key=f"due_date_changed:{section.id}:{stamp}",
                    title=changed_title,
                    link=where,
                    report_id=section.report_id,
                    actor_id=actor_id,
                ),
            )
        )
    return _record_many(session, events)


# --------------------------------------------------------------------------- council events


def _council_link(session: Session, decision: CouncilDecision) -> str:
    return link("council", report=_slug(session, decision.report_id), decision=decision.id)


def decision_opened(session: Session, *, decision: CouncilDecision, actor_id: int | None) -> int:
    """Tell the decision's voting body that the Council is waiting for their vote."""
    session.flush()
    body = session.exec(
        select(DecisionVoter.person_id).where(DecisionVoter.decision_id == decision.id)
    ).all()
    event = Event(
        kind=NotificationKind.decision_opened,
        key=f"decision_opened:{decision.id}",
        title=DECISION_OPENED.format(title=decision.title),
        link=_council_link(session, decision),
        detail=decision.reform,
        report_id=decision.report_id,
        actor_id=actor_id,
    )
    return _record_many(session, [(body, event)])


def decision_closed(session: Session, *, decision: CouncilDecision, actor_id: int | None) -> int:
    """Tell the report's CLAs how a Council decision closed."""
    clas = report_members(session, [decision.report_id], [Role.cla])[decision.report_id]
    event = Event(
        kind=NotificationKind.decision_closed,
        key=f"decision_closed:{decision.id}",
        title=DECISION_CLOSED.format(status=decision.status.label.lower(), title=decision.title),
        link=_council_link(session, decision),
        report_id=decision.report_id,
        actor_id=actor_id,
    )
    return _record_many(session, [(clas, event)])


def decision_ended(
    session: Session, *, decision: CouncilDecision, why: str, actor_id: int | None
) -> int:
    """Tell the CLAs and the members who voted that a decision was withdrawn or is void."""
    session.flush()
    clas = report_members(session, [decision.report_id], [Role.cla])[decision.report_id]
    voters = session.exec(
        select(CouncilVote.person_id).where(CouncilVote.decision_id == decision.id)
    ).all()
    void = DecisionStatus(decision.status) is DecisionStatus.void
    event = Event(
        kind=NotificationKind.approval_withdrawn,
        key=f"approval_withdrawn:{decision.id}",
        title=(DECISION_VOID if void else DECISION_WITHDRAWN).format(title=decision.title),
        link=_council_link(session, decision),
        detail=why,
        report_id=decision.report_id,
        actor_id=actor_id,
    )
    return _record_many(session, [({*clas, *voters}, event)])


# --------------------------------------------------------------------------- scheduled


def scan(session: Session, today: date) -> int:
    """Record the day's reminders (due soon, overdue, round closing), commit; return how many.

    Run daily (``workbench notify`` does); running it again on the same day, or
    from two servers, records nothing new. A fixed number of queries, whatever
    the number of sections.
    """
    for attempt in (1, 2):
        try:
            added = _record_many(session, _scheduled(session, today))
            session.commit()
            return added
        except IntegrityError:
            # Another scan recorded the same reminders at the same moment; look again.
            session.rollback()
            if attempt == 2:
                raise
        except Exception:
            session.rollback()
            raise
    raise AssertionError("unreachable")


def _scheduled(session: Session, today: date) -> list[tuple[Iterable[int], Event]]:
    soon = {today + timedelta(days=d): d for d in DUE_SOON_DAYS}
    due = session.exec(
        select(Section, Report.slug)
        .join(Report, col(Report.id) == col(Section.report_id))
        .where(
            col(Section.due_date).is_not(None),
            or_(col(Section.due_date).in_(list(soon)), col(Section.due_date) < today),
            Section.status != SectionStatus.accepted,
            col(Report.stage).not_in(list(_FINISHED)),
        )
    ).all()
    authors = section_authors(session, [section.id for section, _ in due])
    events: list[tuple[Iterable[int], Event]] = []
    for section, slug in due:
        assert section.due_date is not None
        name = f"{section.code} {section.title}"
        where = link("write", report=slug, section=section.id)
        if section.due_date < today:
            late = (today - section.due_date).days
            event = Event(
                kind=NotificationKind.overdue,
                key=f"overdue:{section.id}:{section.due_date.isoformat()}",
                title=OVERDUE.format(name=name, day=day_text(section.due_date)),
                detail=(LATE if late == 1 else LATE_MANY).format(days=late, day=day_text(today)),
                link=where,
                report_id=section.report_id,
            )
        else:
            days = soon[section.due_date]
            event = Event(
                kind=NotificationKind.due_soon,
                key=f"due_soon:{section.id}:{section.due_date.isoformat()}:{days}",
                title=(DUE_TOMORROW if days == 1 else DUE_IN).format(
                    name=name, days=days, day=day_text(section.due_date)
                ),
                link=where,
                report_id=section.report_id,
            )
        events.append((authors.get(section.id, set()), event))
    closing = today + timedelta(days=ROUND_CLOSING_DAYS)
    rounds = session.exec(
        select(ReviewRound, Report.slug, Report.title)
        .join(Report, col(Report.id) == col(ReviewRound.report_id))
        .where(ReviewRound.status == RoundStatus.open, ReviewRound.closes_on == closing)
    ).all()
    people = report_members(
        session, {r.report_id for r, _, _ in rounds}, {Role.reviewer, *AUTHOR_ROLES}
    )
    for review_round, slug, title in rounds:
        events.append(
            (
                people.get(review_round.report_id, set()),
                Event(
                    kind=NotificationKind.round_closing,
                    key=f"round_closing:{review_round.id}:{review_round.closes_on.isoformat()}",
                    title=ROUND_CLOSING.format(
                        round=review_round.name,
                        report=title,
                        days=ROUND_CLOSING_DAYS,
                        day=day_text(review_round.closes_on),
                    ),
                    link=_review_link(slug, review_round),
                    report_id=review_round.report_id,
                ),
            )
        )
    return events
