"""Audit events: who did what to which record, and when, and through what.

Services call :func:`record` inside their transaction, so an event is stored
exactly when the change it describes is.

The **origin** says through what a change came. The command line sets it once
per command (``via: "cli"`` and the operating-system user who ran it), and
:func:`record` adds it to every event's detail, so a batch action an
administrator ran ``--as`` someone is never mistaken for that person's own
action in the app. The app sets none: an event without ``via`` came through the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlmodel import Session, col, func, select

from workbench.models import AuditEvent, Person

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


def _filtered(query: Any, entity: str | None, entity_id: int | None, report_id: int | None) -> Any:
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEvent.entity_id == entity_id)
    if report_id is not None:
        query = query.where(AuditEvent.report_id == report_id)
    return query


def events(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    report_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Return audit events newest first, optionally for one record or report, a page at a time."""
    query = _filtered(select(AuditEvent), entity, entity_id, report_id)
    query = query.order_by(col(AuditEvent.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query).all())


def count_events(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    report_id: int | None = None,
) -> int:
    """Return how many audit events :func:`events` would page through."""
    query = _filtered(select(func.count()).select_from(AuditEvent), entity, entity_id, report_id)
    return int(session.exec(query).one())
