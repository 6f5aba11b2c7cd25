"""Discussions: the everyday conversation of a report's authors beside the text.

Terms:

- A **thread** (``DiscussionThread``) is about one **target** of a report: a
  section (optionally a **line range** of its text as it stood when the thread
  was opened, kept as ``revision_id``), a finding, a consensus item, a
  recommendation or an initiative. Its first **message** is written with it.
- A **message** (``DiscussionMessage``) is Markdown; a **reply** answers another
  message of the same thread (``reply_to_id``).
- A **mention** names a person on the report: picked from the team
  (``mentions``) or written in the body as ``@email`` (``@amina@example.org``).
  A mentioned person is told (``NotificationKind.mention``); a new message also
  tells everyone else who **takes part** in the thread (started it, posted in it
  or was mentioned in it) that there is a reply (``NotificationKind.reply``).
- A thread is **open** or **resolved**; a resolved thread stays readable and
  takes no message until it is reopened.

Discussions are not review comments: they never enter the comment table, and
review rounds and Council votes do not freeze them (``Action.discuss`` is not a
frozen action). Every write is permission-checked, audited and done in one
transaction with its mentions and notifications.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, exists, func, or_
from sqlmodel import Session, col, select

from workbench import audit
from workbench.errors import NotFound, ValidationError
from workbench.limits import field_limit, text_problem
from workbench.models import (
    ConsensusItem,
    DiscussionMessage,
    DiscussionTarget,
    DiscussionThread,
    Finding,
    Initiative,
    Membership,
    Mention,
    NotificationKind,
    Person,
    Recommendation,
    Report,
    Section,
    utcnow,
)
from workbench.notifications import MENTION, REPLY, Event, notify
from workbench.permissions import Action, require
from workbench.sections import head_text, lines_of

MAX_TITLE_CHARS = field_limit(DiscussionThread, "title")
MAX_BODY_CHARS = field_limit(DiscussionMessage, "body")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

# ``@`` followed by an email address, not inside a word or another address.
_AT_EMAIL = re.compile(r"(?<![\w@.])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")

#: The model each target names, and the column that labels it.
_TARGET_MODELS: dict[DiscussionTarget, type] = {
    DiscussionTarget.section: Section,
    DiscussionTarget.finding: Finding,
    DiscussionTarget.consensus_item: ConsensusItem,
    DiscussionTarget.recommendation: Recommendation,
    DiscussionTarget.initiative: Initiative,
}

#: Where an item other than a section is read: the page and the query key naming the item.
_TARGET_PAGES: dict[DiscussionTarget, tuple[str, str]] = {
    DiscussionTarget.section: ("write", "section"),
    DiscussionTarget.finding: ("evidence", "finding"),
    DiscussionTarget.consensus_item: ("consensus", "item"),
    DiscussionTarget.recommendation: ("recommendations", "recommendation"),
    DiscussionTarget.initiative: ("recommendations", "initiative"),
}

STATUSES = ("open", "resolved")


@dataclass(frozen=True)
class ThreadSummary:
    """One thread as a list shows it: what it is about, how long, who takes part, where."""

    thread: DiscussionThread
    target_label: str
    message_count: int
    participants: tuple[str, ...]
    link: str
    lines: str = ""
    #: True when the section's text has changed since the lines were pointed at.
    lines_outdated: bool = False

    @property
    def resolved(self) -> bool:
        """Return True when the thread is resolved."""
        return self.thread.resolved_at is not None


@dataclass(frozen=True)
class MessageView:
    """One message as a thread shows it."""

    id: int
    author_id: int
    author_name: str
    body: str
    created_at: datetime
    reply_to_id: int | None
    mentioned: tuple[str, ...]


# --------------------------------------------------------------------------- writing


def open_thread(
    *,
    session: Session,
    actor: Person,
    report: Report,
    target: DiscussionTarget,
    target_id: int,
    title: str,
    body: str,
    from_line: int | None = None,
    to_line: int | None = None,
    mentions: Sequence[int] = (),
) -> DiscussionThread:
    """Open a thread on a section, finding, consensus item, recommendation or initiative."""
    require(session, actor, Action.discuss, report.id)
    target = _target_kind(target)
    item = _target_item(session, report, target, target_id)
    label = _label_of(target, item)
    revision_id = None
    if from_line is not None or to_line is not None:
        if target != DiscussionTarget.section:
            raise ValidationError(
                "A line range can only be given for a section; {kind} has no lines.", kind=label
            )
        from_line, to_line = _check_lines(session, item, from_line, to_line)
        revision_id = item.head_revision_id
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(
            "Give the discussion on {kind} a title: what is it about?", kind=label
        )
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError(
            "The title has {count} characters; at most {most} fit.",
            count=f"{len(title):,}",
            most=MAX_TITLE_CHARS,
        )
    problem = text_problem(title, max_chars=MAX_TITLE_CHARS)
    if problem:
        raise ValidationError("The title: {problem}.", problem=problem)
    body = _check_body(body, where=f"The first message of '{title}'")
    mentioned = _mentioned(session, report.id, body, mentions)
    try:
        now = utcnow()
        thread = DiscussionThread(
            report_id=report.id,
            target=target,
            target_id=target_id,
            from_line=from_line,
            to_line=to_line,
            revision_id=revision_id,
            title=title,
            created_by_id=actor.id,
            created_at=now,
            last_message_at=now,
        )
        session.add(thread)
        session.flush()
        message = DiscussionMessage(
            thread_id=thread.id, author_id=actor.id, body=body, created_at=now
        )
        session.add(message)
        session.flush()
        _store_mentions(session, message, mentioned)
        _notify_mentions(session, actor, thread, message, report.slug, mentioned)
        audit.record(
            session,
            actor,
            "open",
            "discussion_thread",
            thread.id,
            report_id=report.id,
            title=title,
            target=target.value,
            target_id=target_id,
            on=label,
            lines=f"{from_line}-{to_line}" if from_line is not None else "",
            message_id=message.id,
            mentioned=sorted(mentioned),
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return thread


def post(
    *,
    session: Session,
    actor: Person,
    thread: DiscussionThread,
    body: str,
    reply_to_id: int | None = None,
    mentions: Sequence[int] = (),
) -> DiscussionMessage:
    """Add a message to an open thread; tell those mentioned and those taking part."""
    require(session, actor, Action.discuss, thread.report_id)
    if thread.resolved_at is not None:
        raise _resolved_error(thread)
    if reply_to_id is not None:
        answered = session.get(DiscussionMessage, reply_to_id)
        if answered is None or answered.thread_id != thread.id:
            raise ValidationError(
                "The message you reply to (id {reply_to_id}) is not in the discussion '{title}'.",
                reply_to_id=reply_to_id,
                title=thread.title,
            )
    body = _check_body(body, where=f"Your message in '{thread.title}'")
    mentioned = _mentioned(session, thread.report_id, body, mentions)
    report = session.get(Report, thread.report_id)
    slug = report.slug if report else ""
    try:
        # Re-read under a row lock: someone may have resolved it since the page was drawn.
        thread = _locked(session, thread)
        if thread.resolved_at is not None:
            raise _resolved_error(thread)
        taking_part = _participant_ids(session, thread.id)
        message = DiscussionMessage(
            thread_id=thread.id, author_id=actor.id, reply_to_id=reply_to_id, body=body
        )
        session.add(message)
        thread.last_message_at = message.created_at
        session.add(thread)
        session.flush()
        _store_mentions(session, message, mentioned)
        _notify_mentions(session, actor, thread, message, slug, mentioned)
        # Those who left the report no longer hear of it.
        still_here = _member_ids(session, thread.report_id)
        notify(
            session,
            (taking_part & still_here) - set(mentioned),
            Event(
                kind=NotificationKind.reply,
                key=f"reply:{message.id}",
                title=REPLY.format(person=actor.name, title=thread.title),
                link=_link(thread, slug),
                detail=_excerpt(body),
                report_id=thread.report_id,
                actor_id=actor.id,
            ),
        )
        audit.record(
            session,
            actor,
            "post",
            "discussion_thread",
            thread.id,
            report_id=thread.report_id,
            title=thread.title,
            message_id=message.id,
            reply_to_id=reply_to_id,
            mentioned=sorted(mentioned),
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return message


def resolve(*, session: Session, actor: Person, thread: DiscussionThread) -> DiscussionThread:
    """Mark a thread resolved (it stays readable, takes no message until reopened); return it."""
    require(session, actor, Action.discuss, thread.report_id)
    if thread.resolved_at is not None:
        raise ValidationError("The discussion '{title}' is already resolved.", title=thread.title)
    return _set_resolved(session, actor, thread, resolved=True)


def reopen(*, session: Session, actor: Person, thread: DiscussionThread) -> DiscussionThread:
    """Reopen a resolved thread so that it takes messages again."""
    require(session, actor, Action.discuss, thread.report_id)
    if thread.resolved_at is None:
        raise ValidationError("The discussion '{title}' is open already.", title=thread.title)
    return _set_resolved(session, actor, thread, resolved=False)


def _set_resolved(
    session: Session, actor: Person, thread: DiscussionThread, *, resolved: bool
) -> DiscussionThread:
    try:
        thread = _locked(session, thread)
        if resolved and thread.resolved_at is not None:
            raise ValidationError(
                "The discussion '{title}' is already resolved.", title=thread.title
            )
        if not resolved and thread.resolved_at is None:
            raise ValidationError("The discussion '{title}' is open already.", title=thread.title)
        thread.resolved_at = utcnow() if resolved else None
        thread.resolved_by_id = actor.id if resolved else None
        session.add(thread)
        audit.record(
            session,
            actor,
            "resolve" if resolved else "reopen",
            "discussion_thread",
            thread.id,
            report_id=thread.report_id,
            title=thread.title,
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    return thread


# --------------------------------------------------------------------------- reading


def get_thread(
    session: Session, thread_id: int, *, actor: Person | None = None
) -> DiscussionThread:
    """Return the thread with this id, or raise NotFound (checks ``actor`` may read, if given)."""
    thread = session.get(DiscussionThread, thread_id)
    if thread is None:
        raise NotFound(
            "There is no discussion with id {thread_id}; it may have been removed.",
            thread_id=thread_id,
        )
    if actor is not None:
        require(session, actor, Action.read_report, thread.report_id)
    return thread


def threads(
    session: Session,
    *,
    report_id: int,
    target: DiscussionTarget | str | None = None,
    target_id: int | None = None,
    status: str | None = None,
    person_id: int | None = None,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    actor: Person | None = None,
) -> tuple[list[ThreadSummary], int]:
    """Return a page of a report's threads (open first, then resolved, each newest activity
    first) and how many match in all.

    ``person_id`` keeps the threads the person started, posted in or is mentioned in.
    When ``actor`` is given, they must be allowed to read the report.
    """
    if actor is not None:
        require(session, actor, Action.read_report, report_id)
    if status not in (None, "", *STATUSES):
        raise ValidationError(
            "'{status}' is not a status of discussions; use open or resolved.", status=status
        )
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, int(offset))
    conditions = [DiscussionThread.report_id == report_id]
    if target is not None and target != "":
        conditions.append(DiscussionThread.target == _target_kind(target))
    if target_id is not None:
        if target is None or target == "":
            raise ValidationError(
                "Say what the id names (a section, a finding…) to list its threads."
            )
        conditions.append(DiscussionThread.target_id == target_id)
    if status == "open":
        conditions.append(col(DiscussionThread.resolved_at).is_(None))
    elif status == "resolved":
        conditions.append(col(DiscussionThread.resolved_at).is_not(None))
    if person_id is not None:
        posted = exists().where(
            DiscussionMessage.thread_id == DiscussionThread.id,
            DiscussionMessage.author_id == person_id,
        )
        mentioned = exists().where(
            Mention.message_id == DiscussionMessage.id,
            DiscussionMessage.thread_id == DiscussionThread.id,
            Mention.person_id == person_id,
        )
        conditions.append(or_(DiscussionThread.created_by_id == person_id, posted, mentioned))
    total = session.exec(
        select(func.count()).select_from(DiscussionThread).where(*conditions)
    ).one()
    page = list(
        session.exec(
            select(DiscussionThread)
            .where(*conditions)
            .order_by(
                case((col(DiscussionThread.resolved_at).is_(None), 0), else_=1),
                col(DiscussionThread.last_message_at).desc(),
                col(DiscussionThread.id).desc(),
            )
            .limit(limit)
            .offset(offset)
        ).all()
    )
    if not page:
        return [], total
    ids = [t.id for t in page]
    counts = dict(
        session.exec(
            select(DiscussionMessage.thread_id, func.count())
            .where(col(DiscussionMessage.thread_id).in_(ids))
            .group_by(DiscussionMessage.thread_id)
        ).all()
    )
    # Participants in the order they first wrote (the starter first).
    people: dict[int, list[str]] = {tid: [] for tid in ids}
    for tid, name in session.exec(
        select(DiscussionMessage.thread_id, Person.name)
        .join(Person, col(Person.id) == col(DiscussionMessage.author_id))
        .where(col(DiscussionMessage.thread_id).in_(ids))
        .order_by(col(DiscussionMessage.created_at), col(DiscussionMessage.id))
    ):
        if name not in people[tid]:
            people[tid].append(name)
    labels = _target_labels(session, page)
    heads = _section_heads(session, page)
    report = session.get(Report, report_id)
    slug = report.slug if report else ""
    return [
        ThreadSummary(
            thread=t,
            target_label=labels.get((t.target, t.target_id), _gone(t.target, t.target_id)),
            message_count=counts.get(t.id, 0),
            participants=tuple(people[t.id]),
            link=_link(t, slug),
            lines=lines_label(t),
            lines_outdated=t.revision_id is not None
            and heads.get(t.target_id, t.revision_id) != t.revision_id,
        )
        for t in page
    ], total


def messages(session: Session, *, thread_id: int, actor: Person | None = None) -> list[MessageView]:
    """Return a thread's messages, oldest first, with their authors and who they mention."""
    get_thread(session, thread_id, actor=actor)
    rows = session.exec(
        select(DiscussionMessage, Person.name)
        .join(Person, col(Person.id) == col(DiscussionMessage.author_id))
        .where(DiscussionMessage.thread_id == thread_id)
        .order_by(col(DiscussionMessage.created_at), col(DiscussionMessage.id))
    ).all()
    named: dict[int, list[str]] = {}
    for message_id, name in session.exec(
        select(Mention.message_id, Person.name)
        .join(Person, col(Person.id) == col(Mention.person_id))
        .join(DiscussionMessage, col(DiscussionMessage.id) == col(Mention.message_id))
        .where(DiscussionMessage.thread_id == thread_id)
        .order_by(col(Person.name))
    ):
        named.setdefault(message_id, []).append(name)
    return [
        MessageView(
            id=m.id,
            author_id=m.author_id,
            author_name=name,
            body=m.body,
            created_at=m.created_at,
            reply_to_id=m.reply_to_id,
            mentioned=tuple(named.get(m.id, ())),
        )
        for m, name in rows
    ]


def mentionable(session: Session, report_id: int) -> list[Person]:
    """Return the people a message on this report may mention (its active team), by name."""
    return list(
        session.exec(
            select(Person)
            .where(
                col(Person.id).in_(
                    select(Membership.person_id).where(Membership.report_id == report_id)
                ),
                col(Person.active).is_(True),
            )
            .order_by(col(Person.name), col(Person.id))
        ).all()
    )


def open_counts(
    session: Session, *, report_id: int, target: DiscussionTarget | str
) -> dict[int, int]:
    """Return target id → number of open threads, for every item of one kind in a report."""
    target = _target_kind(target)
    return dict(
        session.exec(
            select(DiscussionThread.target_id, func.count())
            .where(
                DiscussionThread.report_id == report_id,
                DiscussionThread.target == target,
                col(DiscussionThread.resolved_at).is_(None),
            )
            .group_by(DiscussionThread.target_id)
        ).all()
    )


def target_label(session: Session, thread: DiscussionThread) -> str:
    """Return what a thread is about, as people say it ("Section 2.1 Living wages")."""
    labels = _target_labels(session, [thread])
    return labels.get((thread.target, thread.target_id), _gone(thread.target, thread.target_id))


def link(thread: DiscussionThread, session: Session | None = None) -> str:
    """Return the app address where a thread is read (path and query, no host).

    The report's short name is looked up through the thread's session (or ``session``).
    """
    from sqlalchemy.orm import object_session

    owner = session or object_session(thread)
    report = owner.get(Report, thread.report_id) if owner is not None else None
    return _link(thread, report.slug if report else str(thread.report_id))


def lines_label(thread: DiscussionThread) -> str:
    """Return the lines a thread points at ("line 3", "lines 3–5"), or '' for none."""
    if thread.from_line is None:
        return ""
    if thread.to_line is None or thread.to_line == thread.from_line:
        return f"line {thread.from_line}"
    return f"lines {thread.from_line}–{thread.to_line}"


# --------------------------------------------------------------------------- helpers


def _resolved_error(thread: DiscussionThread) -> ValidationError:
    return ValidationError(
        "The discussion '{title}' is resolved; reopen it to write in it again.", title=thread.title
    )


def _locked(session: Session, thread: DiscussionThread) -> DiscussionThread:
    """Return the thread as stored now, locked for this transaction (PostgreSQL)."""
    current = session.get(DiscussionThread, thread.id, with_for_update=True, populate_existing=True)
    if current is None:
        raise NotFound("The discussion '{title}' no longer exists.", title=thread.title)
    return current


def _target_kind(target: DiscussionTarget | str) -> DiscussionTarget:
    try:
        return DiscussionTarget(target)
    except ValueError:
        raise ValidationError(
            "'{target}' is not something a discussion can be about; use one of {kinds}.",
            target=target,
            kinds=", ".join(t.label for t in DiscussionTarget),
        ) from None


def _target_item(session: Session, report: Report, target: DiscussionTarget, target_id: int):
    model = _TARGET_MODELS[target]
    item = session.get(model, target_id) if target_id is not None else None
    if item is None or item.report_id != report.id:
        raise NotFound(
            "There is no {kind} with id {target_id} in the report '{title}'.",
            kind=target.label.lower(),
            target_id=target_id,
            title=report.title,
        )
    return item


def _label_of(target: DiscussionTarget, item) -> str:
    if target == DiscussionTarget.section:
        return f"Section {item.code} {item.title}"
    if target == DiscussionTarget.finding:
        return f"Finding {item.code}"
    if target == DiscussionTarget.recommendation:
        return f"Recommendation {item.code}"
    if target == DiscussionTarget.consensus_item:
        return f"Consensus item: {_short(item.statement)}"
    return f"Initiative: {_short(item.name)}"


def _gone(target: DiscussionTarget, target_id: int) -> str:
    return f"A deleted {target.label.lower()} (id {target_id})"


def _target_labels(
    session: Session, page: Sequence[DiscussionThread]
) -> dict[tuple[DiscussionTarget, int], str]:
    """Return the label of every target a page of threads names: one query per kind."""
    out: dict[tuple[DiscussionTarget, int], str] = {}
    for target, model in _TARGET_MODELS.items():
        wanted = {t.target_id for t in page if t.target == target}
        if wanted:
            for item in session.exec(select(model).where(col(model.id).in_(wanted))):
                out[(target, item.id)] = _label_of(target, item)
    return out


def _section_heads(session: Session, page: Sequence[DiscussionThread]) -> dict[int, int | None]:
    """Return section id → head revision id for the sections a page's line ranges point into."""
    wanted = {t.target_id for t in page if t.target == DiscussionTarget.section and t.revision_id}
    if not wanted:
        return {}
    return dict(
        session.exec(
            select(Section.id, Section.head_revision_id).where(col(Section.id).in_(wanted))
        ).all()
    )


def _short(text: str, length: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _excerpt(body: str) -> str:
    return _short(body, 300)


def _link(thread: DiscussionThread, slug: str) -> str:
    page, key = _TARGET_PAGES[DiscussionTarget(thread.target)]
    return f"/{page}?report={slug}&{key}={thread.target_id}&thread={thread.id}"


def _check_lines(
    session: Session, section: Section, from_line: int | None, to_line: int | None
) -> tuple[int, int]:
    where = f"section {section.code}"
    if from_line is None:
        raise ValidationError(
            "Give the first line of the range in {where}, or no range at all.", where=where
        )
    if to_line is None:
        to_line = from_line
    count = len(lines_of(head_text(session, section)))
    if count == 0:
        raise ValidationError(
            "Section {code} has no text yet, so no lines to point at.", code=section.code
        )
    if not 1 <= from_line <= count or not 1 <= to_line <= count:
        raise ValidationError(
            "Lines {from_line}–{to_line} are not in {where}: its text has lines 1 to {count}.",
            from_line=from_line,
            to_line=to_line,
            where=where,
            count=count,
        )
    if from_line > to_line:
        raise ValidationError(
            "The range {from_line}–{to_line} in {where} ends before it starts; "
            "give the first line first.",
            from_line=from_line,
            to_line=to_line,
            where=where,
        )
    return from_line, to_line


def _check_body(body: str, *, where: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError("{where} is empty: write something.", where=where)
    problem = text_problem(body, max_chars=MAX_BODY_CHARS)
    if problem:
        raise ValidationError("{where}: {problem}.", where=where, problem=problem)
    return body


def _member_ids(session: Session, report_id: int) -> set[int]:
    return set(
        session.exec(
            select(Membership.person_id).where(Membership.report_id == report_id).distinct()
        ).all()
    )


def _mentioned(
    session: Session, report_id: int, body: str, picked: Sequence[int]
) -> dict[int, str]:
    """Return person id → name of everyone a message mentions; refuse anyone not on the report."""
    picked_ids = {int(p) for p in picked if p is not None}
    emails = {e.rstrip(".").lower() for e in _AT_EMAIL.findall(body)}
    if not picked_ids and not emails:
        return {}
    members = _member_ids(session, report_id)
    people = session.exec(
        select(Person).where(
            or_(col(Person.id).in_(picked_ids), func.lower(Person.email).in_(emails))
        )
    ).all()
    by_id = {p.id: p for p in people}
    by_email = {p.email.lower(): p for p in people}
    refused: list[str] = []
    for pid in sorted(picked_ids):
        person = by_id.get(pid)
        if person is None:
            refused.append(f"an unknown person (id {pid})")
        elif pid not in members:
            refused.append(person.name)
        elif not person.active:
            refused.append(f"{person.name} (the account is inactive)")
    for email in sorted(emails):
        person = by_email.get(email)
        if person is None:
            refused.append(f"@{email} (nobody has this address)")
        elif person.id in picked_ids and (person.id not in members or not person.active):
            continue  # already named above
        elif person.id not in members:
            refused.append(f"{person.name} (@{email})")
        elif not person.active:
            refused.append(f"{person.name} (@{email}; the account is inactive)")
    if refused:
        who = ", ".join(refused)
        raise ValidationError(
            "Only people on this report can be mentioned; not {who}. Nothing was posted.", who=who
        )
    found = {pid: by_id[pid].name for pid in picked_ids}
    for email in emails:
        found[by_email[email].id] = by_email[email].name
    return found


def _store_mentions(
    session: Session, message: DiscussionMessage, mentioned: dict[int, str]
) -> None:
    for person_id in sorted(mentioned):
        session.add(Mention(message_id=message.id, person_id=person_id))


def _notify_mentions(
    session: Session,
    actor: Person,
    thread: DiscussionThread,
    message: DiscussionMessage,
    slug: str,
    mentioned: dict[int, str],
) -> None:
    notify(
        session,
        mentioned,
        Event(
            kind=NotificationKind.mention,
            key=f"mention:{message.id}",
            title=MENTION.format(person=actor.name, title=thread.title),
            link=_link(thread, slug),
            detail=_excerpt(message.body),
            report_id=thread.report_id,
            actor_id=actor.id,
        ),
    )


def _participant_ids(session: Session, thread_id: int) -> set[int]:
    """Return who takes part in a thread: its starter, its authors and those mentioned in it."""
    started = session.exec(
        select(DiscussionThread.created_by_id).where(DiscussionThread.id == thread_id)
    ).all()
    wrote = session.exec(
        select(DiscussionMessage.author_id).where(DiscussionMessage.thread_id == thread_id)
    ).all()
    named = session.exec(
        select(Mention.person_id)
        .join(DiscussionMessage, col(DiscussionMessage.id) == col(Mention.message_id))
        .where(DiscussionMessage.thread_id == thread_id)
    ).all()
    return set(started) | set(wrote) | set(named)
