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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from workbench.errors import NotFound, ValidationError
from workbench.models import (
    DeliveryChoice,
    Notification,
    NotificationKind,
    NotificationPreference,
    Person,
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
    NotificationKind.mention: "Someone mentions you in a discussion",
    NotificationKind.reply: "A reply in a discussion you take part in",
    NotificationKind.review_comment: "A new review comment on a section you lead or co-author",
    NotificationKind.comment_response: "The authors respond to your review comment",
    NotificationKind.sign_off_awaited: "A response awaits your sign-off (Review Editors)",
    NotificationKind.section_assigned: "A section is assigned to you",
    NotificationKind.due_date_changed: "The due date of your section changes",
    NotificationKind.due_soon: "Your section is due in 7 days, or tomorrow",
    NotificationKind.overdue: "Your section is overdue",
    NotificationKind.round_opened: "A review round opens on a report of yours",
    NotificationKind.round_closing: "A review round closes in 3 days",
    NotificationKind.decision_opened: "The Council opens a decision (members)",
    NotificationKind.decision_closed: "A Council decision is closed (CLAs)",
    NotificationKind.approval_withdrawn: "An approval is withdrawn or void",
}

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
    wanted = sorted({p for p in people if p is not None and p != event.actor_id})
    if not wanted:
        return 0
    session.flush()
    known = set(
        session.exec(
            select(Notification.person_id).where(
                col(Notification.person_id).in_(wanted), Notification.key == event.key
            )
        )
    )
    title = " ".join(event.title.split())[:MAX_TITLE]
    detail = event.detail.strip()[:MAX_DETAIL]
    added = 0
    for person_id in wanted:
        if person_id in known:
            continue
        session.add(
            Notification(
                person_id=person_id,
                report_id=event.report_id,
                kind=event.kind,
                key=event.key[:200],
                title=title,
                detail=detail,
                link=event.link[:500],
                actor_id=event.actor_id,
            )
        )
        added += 1
    return added


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
                f"'{delivery}' is not a way to receive '{kind}': choose one of "
                + ", ".join(d.value for d in DeliveryChoice)
                + "."
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
