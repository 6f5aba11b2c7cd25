"""Audit events: who did what to which record, and when, and through what.

Services call :func:`record` inside their transaction, so an event is stored
exactly when the change it describes is.

The **origin** says through what a change came. The command line sets it once
per command (``via: "cli"`` and the operating-system user who ran it), and
:func:`record` adds it to every event's detail, so a batch action an
administrator ran ``--as`` someone is never mistaken for that person's own
action in the app. The app sets none: an event without ``via`` came through the app.

Reading the trail: an event's **kind** is its record type and action
(``("section", "save_revision")``, in words "Section text saved"). A page of
events becomes :class:`AuditEntry` rows with a readable sentence each
(:func:`describe`: "Amina Diallo saved section 2.1 'Living wages defined'
(revision 4, 512 words)."), naming people, sections, rounds and reports instead
of ids, in a fixed number of queries per page. The trail filters by person,
report and kind in SQL, and :func:`export_csv` writes every matching event,
formula-safe, for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from workbench.comment_table import neutralise
from workbench.i18n import N_
from workbench.models import (
    Actor,
    ActorType,
    AuditEvent,
    Classification,
    Confidence,
    ConsensusItem,
    CouncilDecision,
    DecisionKind,
    DecisionStatus,
    DiscussionThread,
    Disposition,
    Finding,
    Initiative,
    InitiativeStatus,
    Person,
    Question,
    Recommendation,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    Section,
    SectionStatus,
    Source,
    Stage,
    Stance,
    Translation,
    TranslationStatus,
    Vote,
)
from workbench.permissions import Action, require
from workbench.words import listing, noun, plural

_origin: ContextVar[dict[str, str] | None] = ContextVar("workbench_audit_origin", default=None)


@contextmanager
def origin(via: str, **detail: str) -> Iterator[None]:
    """Mark every event recorded inside the block as coming ``via`` this channel."""
    token = _origin.set({"via": via, **detail})
    try:
        yield
    finally:
        _origin.reset(token)


def current_origin() -> dict[str, str]:
    """Return the origin :func:`record` adds to events now (empty in the app)."""
    return dict(_origin.get() or {})


def origin_label(event: AuditEvent) -> str:
    """Return through what an event's change came, in words ("app", "command line (os user …)")."""
    detail = event.detail or {}
    if detail.get("via") == "cli":
        user = detail.get("os_user")
        return f"command line (os user {user})" if user else "command line"
    return str(detail.get("via") or "app")


def record(
    session: Session,
    actor: Person | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    *,
    report_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the session's transaction (the caller commits)."""
    event = AuditEvent(
        person_id=actor.id if actor else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        report_id=report_id,
        # The origin goes in last, so no detail a service passes can override it.
        detail={**{k: _plain(v) for k, v in detail.items()}, **current_origin()},
    )
    session.add(event)
    return event


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


# --------------------------------------------------------------------------- reading

# Filter value for events no person caused (the system, failed sign-ins).
SYSTEM = -1
Kind = tuple[str, str]  # (entity, action)


def _filtered(
    query: Any,
    entity: str | None,
    entity_id: int | None,
    report_id: int | None,
    person_id: int | None = None,
    kind: Kind | None = None,
) -> Any:
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if report_id is not None:
        query = query.where(AuditEvent.report_id == report_id)
    if person_id == SYSTEM:
        query = query.where(col(AuditEvent.person_id).is_(None))
    elif person_id is not None:
        query = query.where(AuditEvent.person_id == person_id)
    if kind is not None:
        query = query.where(AuditEvent.entity == kind[0], AuditEvent.action == kind[1])
    return query


def events(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    report_id: int | None = None,
    person_id: int | None = None,
    kind: Kind | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Return audit events newest first, a page at a time, by record, report, person or kind.

    ``person_id`` :data:`SYSTEM` keeps the events no person caused.
    """
    query = _filtered(select(AuditEvent), entity, entity_id, report_id, person_id, kind)
    query = query.order_by(col(AuditEvent.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query).all())


def count_events(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    report_id: int | None = None,
    person_id: int | None = None,
    kind: Kind | None = None,
) -> int:
    """Return how many audit events :func:`events` would page through."""
    query = _filtered(
        select(func.count()).select_from(AuditEvent),
        entity,
        entity_id,
        report_id,
        person_id,
        kind,
    )
    return int(session.exec(query).one())


def kinds(session: Session) -> list[Kind]:
    """Return the kinds of event in the trail, in the order of their labels."""
    found = session.exec(select(AuditEvent.entity, AuditEvent.action).distinct()).all()
    return sorted({(entity, action) for entity, action in found}, key=kind_label)


def people_in_trail(session: Session) -> list[tuple[int, str]]:
    """Return (id, name) of everyone who caused an event, by name.

    Asked person by person (``EXISTS``, through ``ix_auditevent_person``), so the work
    grows with the number of people, not with the length of the trail.
    """
    caused = select(AuditEvent.id).where(col(AuditEvent.person_id) == col(Person.id)).exists()
    rows = session.exec(
        select(Person.id, Person.name).where(caused).order_by(col(Person.name))
    ).all()
    return [(int(pid), name) for pid, name in rows]


# What each kind of event is called, in the filter and the table (English here and in the
# CSV; the Admin page shows them in the reader's language).
KIND_LABELS: dict[Kind, str] = {
    ("section", "create"): N_("Section added"),
    ("section", "update"): N_("Section changed"),
    ("section", "delete"): N_("Section deleted"),
    ("section", "set_status"): N_("Section status changed"),
    ("section", "save_revision"): N_("Section text saved"),
    ("report", "create"): N_("Report created"),
    ("report", "update"): N_("Report changed"),
    ("report", "advance_stage"): N_("Report stage changed"),
    ("report", "new_edition"): N_("New edition started"),
    ("report", "add_member"): N_("Team member added"),
    ("report", "remove_member"): N_("Team member removed"),
    ("report", "create_outline"): N_("Outline created"),
    ("report", "reorder"): N_("Sections reordered"),
    ("report", "import_sources"): N_("Sources imported"),
    ("person", "create"): N_("Person added"),
    ("person", "bootstrap"): N_("First account created"),
    ("person", "update"): N_("Person changed"),
    ("person", "set_password"): N_("Password changed"),
    ("person", "sign_ethics"): N_("Code of Ethics signed"),
    ("person", "sign_in"): N_("Signed in"),
    ("person", "sign_out"): N_("Signed out"),
    ("person", "sign_in_failed"): N_("Sign-in failed"),
    ("person", "sign_in_locked"): N_("Sign-in locked"),
    ("person", "sign_in_refused"): N_("Single sign-on refused"),
    ("reviewround", "open_review_round"): N_("Review round opened"),
    ("reviewround", "close_review_round"): N_("Review round closed"),
    ("reviewround", "import_review_comments"): N_("Review comments imported"),
    ("reviewcomment", "add_review_comment"): N_("Review comment added"),
    ("reviewcomment", "respond_to_comment"): N_("Review comment answered"),
    ("reviewcomment", "sign_off_responses"): N_("Responses signed off"),
    ("reviewcomment", "withdraw_sign_off"): N_("Sign-off withdrawn"),
    ("source", "add_source"): N_("Source added"),
    ("source", "update_source"): N_("Source changed"),
    ("source", "delete_source"): N_("Source deleted"),
    ("finding", "add"): N_("Finding recorded"),
    ("finding", "update"): N_("Finding changed"),
    ("finding", "link_sources"): N_("Finding's sources changed"),
    ("actor", "add"): N_("Actor added"),
    ("consensus_item", "add"): N_("Consensus item added"),
    ("consensus_item", "update"): N_("Consensus item changed"),
    ("consensus_item", "set_position"): N_("Actor position recorded"),
    ("consensus_item", "remove_position"): N_("Actor position removed"),
    ("initiative", "add"): N_("Initiative proposed"),
    ("initiative", "update"): N_("Initiative changed"),
    ("initiative", "review"): N_("Initiative reviewed"),
    ("recommendation", "add"): N_("Recommendation added"),
    ("recommendation", "update"): N_("Recommendation changed"),
    ("translation", "set_translation"): N_("Translation status recorded"),
    ("translation", "save_translation"): N_("Translation saved"),
    ("council_decision", "open"): N_("Council decision opened"),
    ("council_decision", "vote"): N_("Council vote cast"),
    ("council_decision", "close"): N_("Council decision closed"),
    ("council_decision", "withdraw"): N_("Council decision withdrawn"),
    ("council_decision", "void"): N_("Council decision void"),
    ("theme", "seed_themes"): N_("Themes loaded"),
    ("discussion_thread", "open"): N_("Discussion opened"),
    ("discussion_thread", "post"): N_("Discussion message posted"),
    ("discussion_thread", "resolve"): N_("Discussion resolved"),
    ("discussion_thread", "reopen"): N_("Discussion reopened"),
}
ENTITY_WORDS = {
    "reviewround": "review round",
    "reviewcomment": "review comment",
    "consensus_item": "consensus item",
    "council_decision": "Council decision",
    "discussion_thread": "discussion",
}
_DISCUSSION_VERBS = {
    "open": "opened",
    "post": "wrote in",
    "resolve": "resolved",
    "reopen": "reopened",
}
# The words for a record's fields, where "changed the ... of" names them.
FIELD_WORDS = {
    "lead_author_id": "lead author",
    "coauthor_ids": "co-authors",
    "question": "part of the report",
    "due_date": "due date",
    "word_target": "word target",
    "theme_id": "theme",
    "start_date": "start date",
    "active": "account (active or not)",
    "csl": "bibliographic record",
    "certainty_note": "certainty note",
    "why_false": "reason it is a false solution",
    "section_id": "section",
    "finding_ids": "findings",
    "initiative_ids": "initiatives",
    "source_ids": "sources",
    "traceable_account": "traceable account",
    "context_conditions": "context conditions",
    "normative_assumptions": "normative assumptions",
}


def kind_label(kind: Kind) -> str:
    """Return what a kind of event is called ("Section text saved")."""
    entity, action = kind
    if kind in KIND_LABELS:
        return KIND_LABELS[kind]
    what = ENTITY_WORDS.get(entity, entity.replace("_", " "))
    return f"{what[:1].upper()}{what[1:]}: {action.replace('_', ' ')}"


@dataclass(frozen=True)
class AuditEntry:
    """One audit event as a person reads it."""

    id: int
    at: datetime
    who: str
    kind: str
    what: str
    report: str
    origin: str
    record: str
    detail: dict[str, Any]


@dataclass
class _Names:
    """Names, codes and titles of the records a page of events mentions."""

    people: dict[int, str] = field(default_factory=dict)
    people_by_email: dict[str, str] = field(default_factory=dict)
    reports: dict[int, str] = field(default_factory=dict)
    sections: dict[int, str] = field(default_factory=dict)
    translations: dict[int, tuple[str, str]] = field(default_factory=dict)
    rounds: dict[int, str] = field(default_factory=dict)
    comments: dict[int, str] = field(default_factory=dict)
    records: dict[tuple[str, int], str] = field(default_factory=dict)


def _quoted(text: str, length: int = 60) -> str:
    text = " ".join(str(text).split())
    return "'" + (text if len(text) <= length else text[: length - 1].rstrip() + "…") + "'"


def _section_ref(code: str, title: str) -> str:
    return f"section {code} {_quoted(title, 100)}"


def _names(session: Session, page: list[AuditEvent]) -> _Names:
    """Look up everything a page of events mentions: one query per kind of record."""
    names = _Names()

    def ids(entity: str) -> list[int]:
        return sorted({e.entity_id for e in page if e.entity == entity and e.entity_id})

    person_ids = {e.person_id for e in page if e.person_id is not None} | set(ids("person"))
    emails = {
        str(e.detail.get("person")).lower()
        for e in page
        if e.entity == "report" and e.detail.get("person")
    }
    if person_ids or emails:
        rows = session.exec(
            select(Person.id, Person.name, Person.email).where(
                or_(col(Person.id).in_(person_ids), col(Person.email).in_(emails))
            )
        ).all()
        names.people = {pid: name for pid, name, _ in rows}
        names.people_by_email = {email.lower(): name for _, name, email in rows}
    report_ids = {e.report_id for e in page if e.report_id} | set(ids("report"))
    if report_ids:
        names.reports = dict(
            session.exec(select(Report.id, Report.slug).where(col(Report.id).in_(report_ids))).all()
        )
    translation_rows = []
    if ids("translation"):
        translation_rows = session.exec(
            select(Translation.id, Translation.section_id, Translation.language).where(
                col(Translation.id).in_(ids("translation"))
            )
        ).all()
    comment_rows = []
    if ids("reviewcomment"):
        comment_rows = session.exec(
            select(ReviewComment.id, ReviewComment.number, ReviewComment.round_id).where(
                col(ReviewComment.id).in_(ids("reviewcomment"))
            )
        ).all()
    section_ids = set(ids("section")) | {sid for _, sid, _ in translation_rows}
    if section_ids:
        names.sections = {
            sid: _section_ref(code, title)
            for sid, code, title in session.exec(
                select(Section.id, Section.code, Section.title).where(
                    col(Section.id).in_(section_ids)
                )
            )
        }
    names.translations = {
        tid: (names.sections.get(sid, "a deleted section"), language)
        for tid, sid, language in translation_rows
    }
    round_ids = set(ids("reviewround")) | {rid for _, _, rid in comment_rows}
    if round_ids:
        names.rounds = dict(
            session.exec(
                select(ReviewRound.id, ReviewRound.name).where(col(ReviewRound.id).in_(round_ids))
            ).all()
        )
    names.comments = {
        cid: f"comment {number} of {names.rounds.get(rid, 'a review round')}"
        for cid, number, rid in comment_rows
    }
    stakeholder_ids = set(ids("actor")) | {
        int(e.detail["actor_id"])
        for e in page
        if e.action == "remove_position" and isinstance(e.detail.get("actor_id"), int)
    }
    lookups: list[tuple[str, Any, Any, set[int]]] = [
        ("source", Source, Source.key, set(ids("source"))),
        ("finding", Finding, Finding.code, set(ids("finding"))),
        ("recommendation", Recommendation, Recommendation.code, set(ids("recommendation"))),
        ("initiative", Initiative, Initiative.name, set(ids("initiative"))),
        ("consensus_item", ConsensusItem, ConsensusItem.statement, set(ids("consensus_item"))),
        ("actor", Actor, Actor.name, stakeholder_ids),
        ("council_decision", CouncilDecision, CouncilDecision.title, set(ids("council_decision"))),
        (
            "discussion_thread",
            DiscussionThread,
            DiscussionThread.title,
            set(ids("discussion_thread")),
        ),
    ]
    for entity, model, column, wanted in lookups:
        if wanted:
            for rid, value in session.exec(
                select(model.id, column).where(col(model.id).in_(wanted))
            ):
                names.records[(entity, rid)] = value
    return names


def _label(enum_cls: type, value: Any) -> str:
    """Return an enum value's label ("Ready for review"), or the value in words."""
    try:
        return enum_cls(value).label
    except (ValueError, TypeError):
        return str(value).replace("_", " ") if value is not None else "none"


def _fields(detail: dict[str, Any]) -> str:
    fields = detail.get("fields") or []
    words = [FIELD_WORDS.get(str(f), str(f).replace("_", " ")) for f in fields]
    return listing(words) or "details"


def _sentence(event: AuditEvent, who: str, names: _Names) -> str:
    """Return what an event did, in one sentence that names its records."""
    d = event.detail or {}
    entity, action, rid = event.entity, event.action, event.entity_id
    record = names.records.get((entity, rid)) if rid is not None else None
    report = names.reports.get(event.report_id or 0) or names.reports.get(rid or 0, "")
    the_report = f"the report {report}" if report else "the report"
    section = names.sections.get(rid or 0) or (
        f"section {d['code']}" if d.get("code") else f"a deleted section (id {rid})"
    )
    person = names.people.get(rid or 0) or d.get("email") or "an unknown account"
    decision = _quoted(record or f"decision {rid}")
    item = f"consensus item {_quoted(record or str(rid))}"
    key: Kind = (entity, action)

    if entity == "section":
        if action == "save_revision":
            extra = f"revision {d.get('revision', '?')}"
            if isinstance(d.get("words"), int):
                extra += f", {plural(d['words'], 'word')}"
            unknown = d.get("unknown_keys") or []
            if unknown:
                extra += f"; unknown citation {noun(len(unknown), 'key')}: {listing(unknown)}"
            return f"{who} saved {section} ({extra})."
        if action == "set_status":
            return (
                f"{who} moved {section} from {_label(SectionStatus, d.get('old'))} to "
                f"{_label(SectionStatus, d.get('new'))}."
            )
        if action == "create":
            return f"{who} added {section}."
        if action == "update":
            return f"{who} changed the {_fields(d)} of {section}."
        if action == "delete":
            return f"{who} deleted section {d.get('code', rid)}."
    if entity == "report":
        if action == "create":
            return f"{who} created {the_report}."
        if action == "update":
            return f"{who} changed the {_fields(d)} of {the_report}."
        if action == "advance_stage":
            return (
                f"{who} moved {the_report} from {_label(Stage, d.get('old'))} to "
                f"{_label(Stage, d.get('new'))}."
            )
        if action == "new_edition":
            was = d.get("previous_stage")
            return (
                f"{who} started edition {d.get('edition', '?')} of {the_report}"
                + (f" (it was {_label(Stage, was).lower()})" if was else "")
                + (f": {d['reason']}" if d.get("reason") else "")
                + "."
            )
        if action in ("add_member", "remove_member"):
            member = names.people_by_email.get(str(d.get("person", "")).lower()) or d.get(
                "person", "someone"
            )
            role = _label(Role, d.get("role"))
            if action == "add_member":
                return f"{who} made {member} {role} of {the_report}."
            return f"{who} removed {member} as {role} of {the_report}."
        if action == "create_outline":
            count = len(d.get("sections") or [])
            sections = plural(count, "section")
            return f"{who} created the outline of {the_report} from the template ({sections})."
        if action == "reorder":
            part = _quoted(_label(Question, d.get("question")))
            return f"{who} reordered the sections under {part}."
        if action == "import_sources":
            text = f"{who} imported {plural(int(d.get('added') or 0), 'source')}"
            if d.get("filename"):
                text += f" from {d['filename']}"
            if d.get("skipped"):
                text += f" ({plural(int(d['skipped']), 'duplicate')} skipped)"
            return text + "."
    if entity == "person":
        if action == "sign_ethics":
            return f"{who} signed the Code of Ethics (version {d.get('version', '?')})."
        if action == "create":
            roles = [_label(Role, r) for r in d.get("roles") or []]
            return f"{who} added {person}" + (f" as {listing(roles)}" if roles else "") + "."
        if action == "bootstrap":
            return f"The first Secretariat account was created: {person}."
        if action == "set_password":
            if event.person_id is not None and event.person_id == rid:
                return f"{who} changed their own password."
            return f"{who} set a new password for {person}."
        if action == "update":
            return f"{who} changed the {_fields(d)} of {person}."
        if action in ("sign_in_failed", "sign_in_locked", "sign_in_refused"):
            account = d.get("email") or person
            client = f" from {d['client']}" if d.get("client") else ""
            if action == "sign_in_failed":
                return f"A sign-in as {account}{client} failed."
            if action == "sign_in_locked":
                until = str(d.get("until", "")).replace("T", " ")
                return f"Sign-in as {account}{client} was locked until {until} (UTC)."
            reason = f": {d['reason']}" if d.get("reason") else ""
            return f"Single sign-on refused {account}{client}{reason}."
        if action == "sign_in":
            return f"{who} signed in."
        if action == "sign_out":
            return f"{who} signed out."
    if entity == "reviewround":
        name = names.rounds.get(rid or 0) or d.get("name") or d.get("round") or "a review round"
        if action == "open_review_round":
            stage = f", {_label(Stage, d['stage']).lower()}" if d.get("stage") else ""
            dates = (
                f", {d['opens_on']} to {d['closes_on']}"
                if d.get("opens_on") and d.get("closes_on")
                else ""
            )
            return f"{who} opened review round {name}{stage}{dates}."
        if action == "close_review_round":
            back = d.get("sections_revising") or []
            return f"{who} closed review round {name}" + (
                f"; {noun(len(back), 'section')} {listing(back)} went back to revising."
                if back
                else "."
            )
        if action == "import_review_comments":
            count = int(d.get("comments") or 0)
            source = f" from {d['file']}" if d.get("file") else ""
            return f"{who} imported {plural(count, 'review comment')}{source} into {name}."
    if entity == "reviewcomment":
        comment = names.comments.get(rid or 0) or (
            f"comment {d.get('number')} of {d.get('round')}" if d.get("number") else "a comment"
        )
        if action == "add_review_comment":
            lines = f", lines {d['lines']}" if d.get("lines") else ""
            return f"{who} wrote {comment} on section {d.get('section', '?')}{lines}."
        if action == "respond_to_comment":
            answer = _label(Disposition, d.get("disposition")).lower()
            cleared = "; its sign-off was withdrawn" if d.get("sign_off_cleared") else ""
            return f"{who} answered {comment} ({answer}){cleared}."
        if action in ("sign_off_responses", "withdraw_sign_off"):
            numbers = d.get("numbers") or []
            listed = f"{noun(len(numbers), 'comment')} {listing(numbers)}"
            if action == "sign_off_responses":
                return f"{who} signed off the responses to {listed}."
            return f"{who} withdrew the sign-off from {listed}."
    if entity == "source":
        ref = f"source {_quoted(record or d.get('key') or rid)}"
        if action == "add_source":
            return f"{who} added {ref} to the library."
        if action == "update_source":
            changed = [k for k in d if k not in ("via", "os_user")]
            return (
                f"{who} changed {ref}"
                + (
                    f" ({listing(FIELD_WORDS.get(k, k.replace('_', ' ')) for k in changed)})"
                    if changed
                    else ""
                )
                + "."
            )
        if action == "delete_source":
            return (
                f"{who} deleted source {_quoted(d.get('key') or record or rid)} from the library."
            )
    if entity == "finding":
        ref = f"finding {record or d.get('code') or rid}"
        if action == "add":
            confidence = _label(Confidence, d.get("confidence")).lower()
            return f"{who} recorded {ref} ({confidence} confidence)."
        if action == "update":
            return f"{who} changed the {_fields(d)} of {ref}."
        if action == "link_sources":
            return f"{who} linked {plural(len(d.get('sources') or []), 'source')} to {ref}."
    if entity == "recommendation":
        ref = f"recommendation {record or d.get('code') or rid}"
        if action == "add":
            return f"{who} added {ref} to the roadmap."
        if action == "update":
            return f"{who} changed the {_fields(d)} of {ref}."
    if entity == "initiative":
        ref = f"initiative {_quoted(record or d.get('name') or rid)}"
        if action == "add":
            return f"{who} proposed {ref}."
        if action == "update":
            return f"{who} changed the {_fields(d)} of {ref}."
        if action == "review":
            return (
                f"{who} moved {ref} from {_label(InitiativeStatus, d.get('old')).lower()} to "
                f"{_label(InitiativeStatus, d.get('new')).lower()}."
            )
    if entity == "actor" and action == "add":
        kind = _label(ActorType, d.get("type")).lower()
        return f"{who} added the actor {_quoted(record or d.get('name') or rid)} ({kind})."
    if entity == "consensus_item":
        if action == "add":
            kind = _label(Classification, d.get("classification")).lower()
            return f"{who} added {item} ({kind})."
        if action == "update":
            return f"{who} changed the {_fields(d)} of {item}."
        if action == "set_position":
            stance = _label(Stance, d.get("stance")).lower()
            stakeholder = d.get("actor_name") or "an actor"
            return f"{who} recorded the position of {stakeholder} on {item}: {stance}."
        if action == "remove_position":
            stakeholder = names.records.get(("actor", d.get("actor_id") or 0), "an actor")
            return f"{who} removed the position of {stakeholder} on {item}."
    if entity == "translation" and action == "save_translation":
        where, language = names.translations.get(rid or 0, (f"section {d.get('section')}", ""))
        language = language or str(d.get("language", ""))
        from workbench.translations import language_name  # translations imports this module

        via = " from an XLIFF file" if d.get("origin") == "xliff" else ""
        return (
            f"{who} saved version {d.get('version')} of the {language_name(language)} "
            f"translation of {where}{via}."
        )
    if entity == "translation" and action == "set_translation":
        where, language = names.translations.get(rid or 0, (f"section {d.get('section')}", ""))
        language = language or str(d.get("language", ""))
        from workbench.translations import language_name  # translations imports this module

        new = _label(TranslationStatus, d.get("new")).lower()
        old = d.get("old")
        was = (
            f" (was {_label(TranslationStatus, old).lower()})"
            if old and old != d.get("new")
            else ""
        )
        return f"{who} marked the {language_name(language)} translation of {where} {new}{was}."
    if entity == "council_decision":
        if action == "open":
            kind = _label(DecisionKind, d.get("kind")).lower()
            return f"{who} opened the Council decision {decision} ({kind})."
        if action == "vote":
            replaced = (
                f", replacing an earlier {_label(Vote, d['replaces']).lower()}"
                if d.get("replaces")
                else ""
            )
            return f"{who} voted {_label(Vote, d.get('vote')).lower()} on {decision}{replaced}."
        if action == "close":
            outcome = _label(DecisionStatus, d.get("outcome")).lower()
            return f"{who} closed {decision}: {outcome}."
        if action == "withdraw":
            reason = f": {d['reason']}" if d.get("reason") else ""
            return f"{who} withdrew {decision}{reason}."
        if action == "void":
            why = f" ({d['why']})" if d.get("why") else ""
            return f"The Council decision {decision} became void{why}."
    if key == ("theme", "seed_themes"):
        return (
            f"The themes were loaded: {plural(int(d.get('themes_created') or 0), 'new theme')}, "
            f"{int(d.get('themes_updated') or 0):,} updated."
        )
    if entity == "discussion_thread":
        verb = _DISCUSSION_VERBS.get(action, action.replace("_", " "))
        return f"{who} {verb} the discussion {_quoted(record or d.get('title') or str(rid))}."
    # A kind this module does not know yet: still say who did what to which record.
    what = ENTITY_WORDS.get(entity, entity.replace("_", " "))
    named = {
        "section": names.sections.get(rid or 0),
        "report": f"the report {report}" if report else None,
        "person": names.people.get(rid or 0),
        "reviewround": names.rounds.get(rid or 0),
        "reviewcomment": names.comments.get(rid or 0),
    }.get(entity)
    if named is None and record is not None:
        named = f"{what} {_quoted(record)}"
    if named is None:
        named = what if rid is None else f"{what} (id {rid})"
    return f"{who}: {action.replace('_', ' ')}, {named}."


def describe(session: Session, page: list[AuditEvent]) -> list[AuditEntry]:
    """Return a page of events as readable rows: names, codes and one sentence each."""
    names = _names(session, page)
    entries = []
    for event in page:
        if event.person_id is None:
            who = "The system"
        else:
            who = names.people.get(event.person_id) or f"A deleted account (id {event.person_id})"
        entity_words = ENTITY_WORDS.get(event.entity, event.entity.replace("_", " "))
        entries.append(
            AuditEntry(
                id=event.id or 0,
                at=event.at,
                who="the system" if event.person_id is None else who,
                kind=kind_label((event.entity, event.action)),
                what=_sentence(event, who, names),
                report=names.reports.get(event.report_id or 0, ""),
                origin=origin_label(event),
                record=f"{entity_words} {event.entity_id}"
                if event.entity_id is not None
                else entity_words,
                detail=dict(event.detail or {}),
            )
        )
    return entries


CSV_COLUMNS = ["When (UTC)", "Who", "What happened", "Kind", "Report", "From", "Record", "Details"]


def export_csv(
    session: Session,
    *,
    actor: Person,
    report_id: int | None = None,
    person_id: int | None = None,
    kind: Kind | None = None,
    batch: int = 1000,
) -> bytes:
    """Return every event the filters keep as CSV (UTF-8 with BOM), newest first.

    The Secretariat's. Read in batches of ``batch`` events, so memory holds one
    batch of rows and their names at a time, not the whole trail. Every cell is
    formula-safe (:func:`workbench.comment_table.neutralise`): a name or a
    comment starting with ``=`` stays text in a spreadsheet.
    """
    require(session, actor, Action.manage_people)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    last_id: int | None = None
    while True:
        query = _filtered(select(AuditEvent), None, None, report_id, person_id, kind)
        if last_id is not None:
            query = query.where(col(AuditEvent.id) < last_id)
        page = list(session.exec(query.order_by(col(AuditEvent.id).desc()).limit(batch)).all())
        if not page:
            break
        for entry in describe(session, page):
            writer.writerow(
                neutralise(str(cell))
                for cell in (
                    entry.at.strftime("%Y-%m-%d %H:%M:%S"),
                    entry.who,
                    entry.what,
                    entry.kind,
                    entry.report,
                    entry.origin,
                    entry.record,
                    json.dumps(entry.detail, ensure_ascii=False, sort_keys=True)
                    if entry.detail
                    else "",
                )
            )
        last_id = page[-1].id
    return ("\ufeff" + out.getvalue()).encode("utf-8")
