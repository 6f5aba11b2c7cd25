"""Calendars: each person's deadlines as an iCalendar feed their calendar program follows.

Terms:

- A **deadline** (:class:`Deadline`) is a day by which something of the person's
  is due: a section they lead or co-author ("2.1 Living wages due"), or a review
  round closing on a report they author or review. (Council decisions have no
  closing date in the workbench, so they have no deadline.)
- The **feed** is a VCALENDAR with one all-day VEVENT per deadline. Each event's
  UID names the record it comes from (``section-12-due@…``), so a calendar
  program that reads the feed again updates the event rather than adding a
  second one when a date moves.
- The **calendar address** is private: it holds a secret token made for the
  person (:func:`calendar_token`). Only the token's SHA-256 is stored; the
  token itself is shown once, when it is made or replaced, and replacing it
  stops the old address from working. ``workbench calendar --serve`` answers
  the private addresses (:func:`feed_server`), published under
  ``WORKBENCH_CALENDAR_URL`` (:func:`subscription_url`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from icalendar import Calendar, Event
from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from workbench import audit
from workbench.mail import APP_NAME, absolute_link, base_url
from workbench.models import (
    AUTHOR_ROLES,
    CalendarFeed,
    Membership,
    Person,
    Report,
    ReviewRound,
    Role,
    RoundStatus,
    Section,
    SectionAuthor,
    utcnow,
)

CALENDAR_URL_ENV = "WORKBENCH_CALENDAR_URL"
UID_DOMAIN = "synthesis-report-workbench"
PRODID = f"-//IPSP//{APP_NAME}//EN"
#: Who follows a report's review rounds: its authors, Review Editors and reviewers.
ROUND_ROLES = frozenset(AUTHOR_ROLES | {Role.review_editor, Role.reviewer})


@dataclass(frozen=True)
class Deadline:
    """One day by which something of the person's is due."""

    uid: str
    day: date
    summary: str
    description: str
    link: str  # the app address (path and query)


def deadlines(session: Session, person: Person) -> list[Deadline]:
    """Return the person's deadlines by day: sections they lead or co-author, rounds closing."""
    found: list[Deadline] = []
    co_authored = select(SectionAuthor.section_id).where(SectionAuthor.person_id == person.id)
    sections = session.exec(
        select(Section, Report)
        .join(Report, Report.id == Section.report_id)
        .where(
            col(Section.due_date).is_not(None),
            or_(Section.lead_author_id == person.id, col(Section.id).in_(co_authored)),
        )
    ).all()
    for section, report in sections:
        role = "lead" if section.lead_author_id == person.id else "co-author"
        found.append(
            Deadline(
                uid=f"section-{section.id}-due@{UID_DOMAIN}",
                day=section.due_date,
                summary=f"{section.code} {section.title} due",
                description=(
                    f"Section {section.code} “{section.title}” of {report.title}, "
                    f"which you {role}, is due."
                ),
                link=f"/write?report={quote(report.slug)}&section={section.id}",
            )
        )
    report_ids = set(
        session.exec(
            select(Membership.report_id).where(
                Membership.person_id == person.id,
                col(Membership.role).in_(list(ROUND_ROLES)),
                col(Membership.report_id).is_not(None),
            )
        )
    ) | {section.report_id for section, _ in sections}
    if report_ids:
        rounds = session.exec(
            select(ReviewRound, Report)
            .join(Report, Report.id == ReviewRound.report_id)
            .where(
                col(ReviewRound.report_id).in_(sorted(report_ids)),
                ReviewRound.status == RoundStatus.open,
            )
        ).all()
        for review_round, report in rounds:
            found.append(
                Deadline(
                    uid=f"round-{review_round.id}-closes@{UID_DOMAIN}",
                    day=review_round.closes_on,
                    summary=f"{review_round.name} review of {report.title} closes",
                    description=(
                        f"The {review_round.name} review round of {report.title} closes: "
                        "comments and responses are due."
                    ),
                    link=f"/review?report={quote(report.slug)}&round={quote(review_round.name)}",
                )
            )
    return sorted(found, key=lambda d: (d.day, d.summary))


def feed(
    session: Session, person: Person, *, base: str | None = None, now: datetime | None = None
) -> bytes:
    """Return the person's deadlines as an iCalendar file (one all-day event each)."""
    base = base_url() if base is None else base.rstrip("/")
    stamp = now or utcnow()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{APP_NAME}: {person.name}")
    calendar.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    for deadline in deadlines(session, person):
        link = absolute_link(base, deadline.link)
        event = Event()
        event.add("uid", deadline.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", deadline.day)
        event.add("dtend", deadline.day + timedelta(days=1))
        event.add("summary", deadline.summary)
        event.add("description", f"{deadline.description}\n{link}")
        event.add("url", link)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()


# --------------------------------------------------------------------------- the private address


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def has_calendar_token(session: Session, person: Person) -> bool:
    """Return True when the person has a private calendar address."""
    return session.get(CalendarFeed, person.id) is not None


def calendar_token(session: Session, person: Person, rotate: bool = False) -> str | None:
    """Make the person's secret calendar token, or replace it; return it (None: kept as it was).

    The token is returned only when it is made (the first time, or with
    ``rotate``): only its hash is stored, so it cannot be shown again. Replacing
    it makes the old address stop working.
    """
    row = session.get(CalendarFeed, person.id)
    if row is not None and not rotate:
        return None
    token = secrets.token_urlsafe(32)
    try:
        if row is None:
            row = CalendarFeed(person_id=person.id, token_hash=_digest(token))
            action = "calendar_address_created"
        else:
            row.token_hash = _digest(token)
            row.created_at = utcnow()
            action = "calendar_address_replaced"
        session.add(row)
        audit.record(session, person, action, "person", person.id)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return token


def person_for_token(session: Session, token: str) -> Person | None:
    """Return the active person whose calendar token this is, or None."""
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(CalendarFeed).where(CalendarFeed.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    person = session.get(Person, row.person_id)
    return person if person is not None and person.active else None


def feed_for_token(
    session: Session, token: str, *, base: str | None = None, now: datetime | None = None
) -> bytes | None:
    """Return the feed of the person whose calendar token this is; None for an unknown token."""
    person = person_for_token(session, token)
    return None if person is None else feed(session, person, base=base, now=now)


# --------------------------------------------------------------------------- serving the feeds


def subscription_url(token: str) -> str | None:
    """Return the private address of a token's feed; None when no feed server is published.

    ``WORKBENCH_CALENDAR_URL`` names where ``workbench calendar --serve`` is reachable
    (e.g. ``https://workbench.example.org/calendar`` behind the reverse proxy).
    """
    root = os.environ.get(CALENDAR_URL_ENV, "").strip().rstrip("/")
    return f"{root}/{token}.ics" if root else None


def feed_server(engine: Engine, host: str = "127.0.0.1", port: int = 8502) -> ThreadingHTTPServer:
    """Return an HTTP server answering ``GET …/TOKEN.ics`` with that token's feed (404 otherwise).

    The last part of the path is the token, so a reverse proxy may pass
    ``/calendar/TOKEN.ics`` on as it is. Tokens never reach the log.
    """

    class FeedHandler(BaseHTTPRequestHandler):
        server_version = "workbench-calendar"
        sys_version = ""

        def _answer(self, with_body: bool) -> None:
            name = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
            content = None
            if name.endswith(".ics"):
                with Session(engine) as session:
                    content = feed_for_token(session, name.removesuffix(".ics"))
            if content is None:
                self.send_response(404)
                body = b"No calendar at this address (it may have been replaced).\n"
                content_type = "text/plain; charset=utf-8"
            else:
                self.send_response(200)
                body = content
                content_type = "text/calendar; charset=utf-8"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "private, no-store")
            self.send_header("X-Robots-Tag", "noindex")
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer(True)

        def do_HEAD(self) -> None:
            self._answer(False)

        def log_message(self, format: str, *args: object) -> None:
            # The address holds the secret: log the answer, never the path.
            code = args[1] if len(args) > 1 else ""
            sys.stderr.write(f"{self.log_date_time_string()} calendar feed {code}\n")

    return ThreadingHTTPServer((host, port), FeedHandler)
