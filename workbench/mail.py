"""Mail: notifications delivered by email, at once or in daily and weekly digests.

Terms:

- A notification is **due** for email when it has not been emailed yet
  (``emailed_at`` is empty), is still unread in the app, and the person's choice
  for its kind (:func:`workbench.notifications.preferences`, the quiet default
  otherwise) says: ``email`` (due at once), ``daily`` (due once the person's last
  daily digest is 24 hours old, or there was none), ``weekly`` (7 days). ``app``
  is never emailed.
- A **message** (:class:`Message`) is the one email a person gets in a run: every
  item due for them, with a plain-text and an HTML part, each item's title and
  absolute link, and a link to their preferences (the profile page).
- **Delivery** (:func:`deliver`) composes the messages and sends them through
  SMTP; a person's items are marked emailed (and their digest times moved on)
  only once the server accepted that person's message, so a run repeated sends
  nothing new and a failed send is retried at the next run.

Settings: ``WORKBENCH_SMTP_URL`` (``smtp://host:port``,
``smtp+starttls://user:password@host:port``, ``smtps://user:password@host:port``;
URL-encoded user and password; ``?timeout=SECONDS``, 30 by default),
``WORKBENCH_MAIL_FROM`` (the sender) and ``WORKBENCH_BASE_URL`` (the address
people open the workbench at; links are built on it). The app never sends mail
itself: ``workbench notify --send`` does, from cron or a systemd timer.
"""

from __future__ import annotations

import html
import os
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from sqlalchemy import String, and_, or_, type_coerce, update
from sqlmodel import Session, col, select

from workbench.errors import ValidationError
from workbench.models import (
    DeliveryChoice,
    MailState,
    Notification,
    NotificationKind,
    NotificationPreference,
    Person,
    utcnow,
)
from workbench.notifications import DEFAULTS

SMTP_URL_ENV = "WORKBENCH_SMTP_URL"
MAIL_FROM_ENV = "WORKBENCH_MAIL_FROM"
BASE_URL_ENV = "WORKBENCH_BASE_URL"
#: Where links point when ``WORKBENCH_BASE_URL`` is unset (a dry run on one's own machine).
DEFAULT_BASE_URL = "http://127.0.0.1:8501"
PROFILE_PATH = "/profile"
APP_NAME = "Synthesis Report Workbench"

DAILY = timedelta(hours=24)
WEEKLY = timedelta(days=7)
#: Items listed in one message; the others are counted ("… and 12 more in your inbox").
MAX_ITEMS = 50
MAX_DETAIL = 300
SMTP_TIMEOUT = 30.0
SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
# Ids per UPDATE … WHERE id IN (…): far below every backend's limit on parameters.
ID_CHUNK = 1_000


# --------------------------------------------------------------------------- settings


def base_url(value: str | None = None, *, required: bool = False) -> str:
    """Return the workbench's address for links (``WORKBENCH_BASE_URL``), without a final slash."""
    raw = (value if value is not None else os.environ.get(BASE_URL_ENV, "")).strip()
    if not raw:
        if required:
            raise ValidationError(
                "Set {name} to the address people open the workbench at "
                "(e.g. https://workbench.example.org), so that the links in the emails work.",
                name=BASE_URL_ENV,
            )
        return DEFAULT_BASE_URL
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValidationError(
            "{name}={value} is not a web address: write it as "
            "https://host[:port][/path], without a query.",
            name=BASE_URL_ENV,
            value=repr(raw),
        )
    return raw.rstrip("/")


def absolute_link(base: str, link: str) -> str:
    """Return the app address ``link`` (a path and query) on the workbench at ``base``."""
    link = (link or "").strip()
    if not link.startswith("/"):
        link = "/" + link
    return base + link


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand messages over: from ``WORKBENCH_SMTP_URL``."""

    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = SMTP_TIMEOUT

    @property
    def address(self) -> str:
        """Return the server as messages name it (never the password)."""
        return f"{self.scheme}://{self.host}:{self.port}"


def smtp_settings(url: str | None = None) -> SmtpSettings:
    """Return the SMTP server named by ``url`` (default: ``WORKBENCH_SMTP_URL``)."""
    raw = (url if url is not None else os.environ.get(SMTP_URL_ENV, "")).strip()
    if not raw:
        raise ValidationError(
            "Set {name} to your mail server, e.g. smtp://localhost:25, "
            "smtp+starttls://user:password@mail.example.org:587 or "
            "smtps://user:password@mail.example.org:465.",
            name=SMTP_URL_ENV,
        )
    shown = raw.split("@")[-1]
    parts = urlsplit(raw)
    if parts.scheme not in SCHEMES:
        raise ValidationError(
            "{name} must start with smtp://, smtp+starttls:// or smtps:// "
            "(it starts with {scheme}: …@{server}).",
            name=SMTP_URL_ENV,
            scheme=repr(parts.scheme or "nothing"),
            server=shown,
        )
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError:
        raise ValidationError(
            "{name}: the port in …@{server} is not a number.", name=SMTP_URL_ENV, server=shown
        ) from None
    if not parts.hostname:
        raise ValidationError(
            "{name}: no server is named in {scheme}://…", name=SMTP_URL_ENV, scheme=parts.scheme
        )
    timeout = SMTP_TIMEOUT
    for pair in filter(None, parts.query.split("&")):
        name, _, value = pair.partition("=")
        if name != "timeout":
            raise ValidationError(
                "{name}: unknown setting {setting} (only timeout=).",
                name=SMTP_URL_ENV,
                setting=repr(name),
            )
        try:
            timeout = float(value)
        except ValueError:
            raise ValidationError(
                "{name}: timeout={value} is not seconds.", name=SMTP_URL_ENV, value=repr(value)
            ) from None
        if timeout <= 0:
            raise ValidationError("{name}: timeout must be more than 0 seconds.", name=SMTP_URL_ENV)
    if parts.password is not None and not parts.username:
        raise ValidationError("{name}: a password without a user name.", name=SMTP_URL_ENV)
    return SmtpSettings(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        timeout=timeout,
    )


def mail_from(value: str | None = None) -> str:
    """Return the sender of the messages (``WORKBENCH_MAIL_FROM``)."""
    raw = (value if value is not None else os.environ.get(MAIL_FROM_ENV, "")).strip()
    _, address = parseaddr(raw)
    if not raw:
        raise ValidationError(
            "Set {name} to the address the messages come from, e.g. "
            "'Synthesis Report Workbench <workbench@panel.example.org>'.",
            name=MAIL_FROM_ENV,
        )
    if "@" not in address or "\n" in raw or "\r" in raw:
        raise ValidationError(
            "{name}={value} is not an email address.", name=MAIL_FROM_ENV, value=repr(raw)
        )
    return raw


# --------------------------------------------------------------------------- composing


@dataclass(frozen=True)
class Item:
    """One notification in a message."""

    id: int
    kind: NotificationKind
    delivery: DeliveryChoice
    title: str
    detail: str
    link: str  # absolute
    created_at: datetime


@dataclass
class Message:
    """The one email due for a person in this run.

    ``ids`` are all the notifications it delivers (marked emailed once it is
    sent); ``items`` the ones it lists, newest first (at most :data:`MAX_ITEMS`).
    """

    person_id: int
    to: str
    name: str
    ids: list[int]
    items: list[Item]
    preferences_link: str
    includes_daily: bool = False
    includes_weekly: bool = False

    @property
    def total(self) -> int:
        """Return how many notifications the message delivers."""
        return len(self.ids)

    @property
    def subject(self) -> str:
        """Return the subject: the single item's title, or how many items there are."""
        if self.total == 1:
            return self.items[0].title
        return f"{APP_NAME}: {self.total} new items"

    def as_json(self) -> dict:
        """Return what the message says, for ``workbench notify --dry-run --json``."""
        digests = [("daily", self.includes_daily), ("weekly", self.includes_weekly)]
        return {
            "to": self.to,
            "name": self.name,
            "subject": self.subject,
            "items_total": self.total,
            "digests": [name for name, included in digests if included],
            "items": [
                {
                    "id": item.id,
                    "kind": item.kind.value,
                    "delivery": item.delivery.value,
                    "title": item.title,
                    "link": item.link,
                    "created_at": item.created_at.isoformat(),
                }
                for item in self.items
            ],
            "preferences": self.preferences_link,
        }

    def text(self) -> str:
        """Return the plain-text part."""
        lines = [f"Dear {self.name},", "", _opening(self.total), ""]
        for item in self.items:
            lines.append(f"* {item.title}")
            if item.detail:
                lines.append(f"  {_short(item.detail)}")
            lines.append(f"  {item.link}")
            lines.append("")
        more = self.total - len(self.items)
        if more:
            lines += [f"… and {more} more in your inbox in the workbench.", ""]
        lines += [
            "-- ",
            f"{APP_NAME}. You receive this email because of your notification settings.",
            f"Choose what reaches you by email, or stop these emails: {self.preferences_link}",
        ]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        """Return the HTML part: every text escaped, no images, no scripts."""
        e = html.escape
        rows = []
        for item in self.items:
            detail = f'<br><span style="color:#555">{e(_short(item.detail))}</span>'
            rows.append(
                f'<li style="margin-bottom:0.8em"><a href="{e(item.link)}">{e(item.title)}</a>'
                f"{detail if item.detail else ''}</li>"
            )
        more = self.total - len(self.items)
        more_html = f"<p>… and {more} more in your inbox in the workbench.</p>" if more else ""
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            f"<title>{e(self.subject)}</title></head>"
            '<body style="font-family:sans-serif;line-height:1.4">'
            f"<p>Dear {e(self.name)},</p><p>{e(_opening(self.total))}</p>"
            f"<ul>{''.join(rows)}</ul>{more_html}"
            '<hr><p style="color:#555;font-size:small">'
            f"{APP_NAME}. You receive this email because of your notification settings. "
            f'<a href="{e(self.preferences_link)}">Choose what reaches you by email, '
            "or stop these emails</a>.</p></body></html>\n"
        )

    def email(self, sender: str, *, now: datetime | None = None) -> EmailMessage:
        """Return the message as an email with a plain-text and an HTML part."""
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = formataddr((self.name, self.to))
        msg["Subject"] = self.subject
        msg["Date"] = format_datetime(now or utcnow())
        domain = parseaddr(sender)[1].rpartition("@")[2] or None
        msg["Message-ID"] = make_msgid(domain=domain)
        msg["List-Unsubscribe"] = f"<{self.preferences_link}>"
        # Tells vacation responders and mail filters that no person wrote it.
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(self.text())
        msg.add_alternative(self.html(), subtype="html")
        return msg


def _opening(count: int) -> str:
    return (
        "There is 1 new item for you in the workbench:"
        if count == 1
        else f"There are {count} new items for you in the workbench:"
    )


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_DETAIL else flat[: MAX_DETAIL - 1] + "…"


def _due(last: datetime | None, now: datetime, every: timedelta) -> bool:
    return last is None or now - _aware(last) >= every


def _moment(value: datetime | str) -> datetime:
    # Read raw: PostgreSQL's driver gives a datetime, SQLite the stored text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _aware(value)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for values stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def compose(
    session: Session, *, now: datetime | None = None, base: str | None = None
) -> list[Message]:
    """Return the message due for each active person at ``now``, in the order of their ids.

    One query reads every pending notification with its person and their choice
    for its kind, a second everyone's digest times; the rest happens here (no
    query per person). Values are read raw and turned into objects only for the
    items a message lists: 200,000 pending notifications take seconds, not minutes.
    """
    now = now or utcnow()
    base = base_url() if base is None else base.rstrip("/")
    preferences_link = absolute_link(base, PROFILE_PATH)
    pref = NotificationPreference
    pending = (
        select(
            Notification.id,
            Notification.person_id,
            type_coerce(Notification.kind, String),
            type_coerce(pref.delivery, String),
            Notification.title,
            Notification.detail,
            Notification.link,
            type_coerce(Notification.created_at, String),
            Person.email,
            Person.name,
        )
        .join(Person, Person.id == Notification.person_id)
        .outerjoin(
            pref,
            and_(pref.person_id == Notification.person_id, pref.kind == Notification.kind),
        )
        .where(
            col(Notification.emailed_at).is_(None),
            col(Notification.read_at).is_(None),
            col(Person.active).is_(True),
            or_(col(pref.delivery).is_(None), pref.delivery != DeliveryChoice.app),
        )
        .order_by(col(Notification.person_id), col(Notification.created_at), col(Notification.id))
    )
    # Core rows: the ORM's per-row bookkeeping would cost more than the query.
    rows = session.connection().execute(pending).all()
    digests = {
        person_id: (daily, weekly)
        for person_id, daily, weekly in session.exec(
            select(MailState.person_id, MailState.last_daily_at, MailState.last_weekly_at)
        )
    }
    kinds = {kind.value: kind for kind in NotificationKind}
    choices = {choice.value: choice for choice in DeliveryChoice}
    defaults = {kind.value: choice for kind, choice in DEFAULTS.items()}
    due_by_person: dict[int, dict[DeliveryChoice, bool]] = {}
    grouped: dict[int, list] = {}
    for row in rows:
        person_id, kind, chosen = row[1], row[2], row[3]
        choice = choices[chosen] if chosen is not None else defaults[kind]
        due = due_by_person.get(person_id)
        if due is None:
            daily, weekly = digests.get(person_id, (None, None))
            due = due_by_person[person_id] = {
                DeliveryChoice.email: True,
                DeliveryChoice.daily: _due(daily, now, DAILY),
                DeliveryChoice.weekly: _due(weekly, now, WEEKLY),
                DeliveryChoice.app: False,
            }
        if due[choice] and row[8]:
            grouped.setdefault(person_id, []).append((row, choice))
    messages = []
    for person_id, due_rows in grouped.items():
        listed = due_rows[-MAX_ITEMS:][::-1]
        first = due_rows[0][0]
        messages.append(
            Message(
                person_id=person_id,
                to=first[8],
                name=first[9],
                ids=[row[0] for row, _ in due_rows],
                items=[
                    Item(
                        id=row[0],
                        kind=kinds[row[2]],
                        delivery=choice,
                        title=row[4],
                        detail=row[5],
                        link=absolute_link(base, row[6]),
                        created_at=_moment(row[7]),
                    )
                    for row, choice in listed
                ],
                preferences_link=preferences_link,
                includes_daily=any(c is DeliveryChoice.daily for _, c in due_rows),
                includes_weekly=any(c is DeliveryChoice.weekly for _, c in due_rows),
            )
        )
    return messages


# --------------------------------------------------------------------------- sending


@dataclass
class Delivery:
    """What a run of :func:`deliver` did."""

    messages: list[Message]
    sent: list[Message] = field(default_factory=list)
    failed: list[tuple[Message, str]] = field(default_factory=list)

    @property
    def items_sent(self) -> int:
        return sum(m.total for m in self.sent)


class _Connection:
    """One SMTP connection for a run, opened when first needed and again after a drop."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        s = self.settings
        if self.client is not None:
            return self.client
        if s.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
        if s.username:
            client.login(s.username, s.password)
        self.client = client
        return client

    def drop(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()
        self.client = None


def _reason(exc: BaseException, settings: SmtpSettings) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = "; ".join(
            f"{code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for code, msg in exc.recipients.values()
        )
        return f"the mail server refused the recipient ({codes})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the mail server at {settings.address} refused the user name or password"
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"the mail server at {settings.address} answered {exc.smtp_code} {text}"
    if isinstance(exc, ConnectionRefusedError):
        return f"no mail server answers at {settings.address} (connection refused)"
    if isinstance(exc, TimeoutError):
        return f"the mail server at {settings.address} did not answer in {settings.timeout:g} s"
    return f"sending through {settings.address} failed: {exc.__class__.__name__}: {exc}"


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def _mark_sent(session: Session, message: Message, now: datetime) -> None:
    for chunk in _chunks(message.ids):
        session.exec(
            update(Notification)
            .where(col(Notification.id).in_(chunk), col(Notification.emailed_at).is_(None))
            .values(emailed_at=now)
        )
    state = session.get(MailState, message.person_id) or MailState(person_id=message.person_id)
    if message.includes_daily:
        state.last_daily_at = now
    if message.includes_weekly:
        state.last_weekly_at = now
    state.last_failure = ""
    state.last_failure_at = None
    session.add(state)


def _mark_failed(session: Session, message: Message, reason: str, now: datetime) -> None:
    state = session.get(MailState, message.person_id) or MailState(person_id=message.person_id)
    state.last_failure = reason[:500]
    state.last_failure_at = now
    session.add(state)


def deliver(
    session: Session,
    *,
    settings: SmtpSettings,
    sender: str,
    base: str,
    now: datetime | None = None,
) -> Delivery:
    """Send each person's due message; mark their items emailed once the server accepts it.

    A person whose message fails keeps their items pending (the next run tries
    again) and their ``MailState`` records why; the others are still sent. When
    the server cannot be reached at all, nobody else is tried in this run.
    """
    now = now or utcnow()
    result = Delivery(messages=compose(session, now=now, base=base))
    connection = _Connection(settings)
    unreachable: str | None = None
    try:
        for message in result.messages:
            reason = unreachable
            if reason is None:
                try:
                    client = connection.open()
                except (smtplib.SMTPException, OSError) as exc:
                    reason = unreachable = _reason(exc, settings)
                else:
                    try:
                        client.send_message(message.email(sender, now=now))
                    except smtplib.SMTPServerDisconnected as exc:
                        reason = _reason(exc, settings)
                        connection.drop()
                    # ValueError: a header the email package refuses to write.
                    except (smtplib.SMTPException, OSError, ValueError) as exc:
                        reason = _reason(exc, settings)
                        if isinstance(exc, OSError):
                            connection.drop()
                        else:
                            _reset(connection)
            try:
                if reason is None:
                    _mark_sent(session, message, now)
                    result.sent.append(message)
                else:
                    _mark_failed(session, message, reason, now)
                    result.failed.append((message, reason))
                # Each person on their own: a crash later in the run never resends what went.
                session.commit()
            except Exception:
                session.rollback()
                raise
    finally:
        connection.drop()
    return result


def _reset(connection: _Connection) -> None:
    # After a refused message the transaction on the server must be reset before the next.
    if connection.client is not None:
        try:
            connection.client.rset()
        except (smtplib.SMTPException, OSError):
            connection.drop()
