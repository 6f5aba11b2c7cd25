"""Email delivery against a real SMTP server (aiosmtpd on a free local port), read back.

Each test starts its own server, sends through it, and parses what arrived with
the ``email`` package: recipients, subjects, the items and their absolute links
in both parts, one message per person, nothing sent twice; a closed port leaves
everything pending. Time is passed explicitly (``now``) so digests can be timed.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select
from typer.testing import CliRunner

from tests.factories import count_queries, make_person
from workbench import mail, notifications
from workbench.cli import app
from workbench.db import make_engine
from workbench.errors import ValidationError
from workbench.models import (
    DeliveryChoice,
    MailState,
    Notification,
    NotificationKind,
    Person,
)
from workbench.notifications import Event

BASE = "https://workbench.example.org"
SENDER = "Synthesis Report Workbench <workbench@panel.example.org>"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
runner = CliRunner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the test SMTP server received."""

    port: int
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[EmailMessage]:
        return [msg for rcpts, msg in self.received if address in rcpts]


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """Run an SMTP server on a free local port for one test."""
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def record(session: Session, person: Person, key: str, kind=NotificationKind.mention, **kw):
    args = {
        "kind": kind,
        "key": key,
        "title": f"Ana mentions you ({key})",
        "link": f"/write?report=test-report&thread={key}",
    } | kw
    notifications.notify(session, [person.id], Event(**args))
    session.commit()


def deliver(session: Session, inbox: Inbox | None, now: datetime = NOW, port: int | None = None):
    url = inbox.url if inbox else f"smtp://127.0.0.1:{port}?timeout=5"
    return mail.deliver(
        session, settings=mail.smtp_settings(url), sender=SENDER, base=BASE, now=now
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return plain, html


def pending(session: Session, person: Person) -> int:
    session.expire_all()
    return len(
        session.exec(
            select(Notification.id).where(
                Notification.person_id == person.id, Notification.emailed_at.is_(None)
            )
        ).all()
    )


def test_each_person_gets_one_message_with_every_item_and_its_absolute_link(session, world, smtp):
    la, cla = world.la, world.cla
    record(session, la, "1", title="Ana mentions you in “Wage floors”")
    record(session, la, "2", kind=NotificationKind.review_comment, title="New comment on 1.1")
    record(session, cla, "3", title="<b>Bold</b> & <script>alert(1)</script>")

    result = deliver(session, smtp)

    assert len(result.sent) == 2 and not result.failed
    assert sorted(r[0] for r, _ in smtp.received) == sorted([la.email, cla.email])
    [to_la] = smtp.to(la.email)
    assert to_la["Subject"] == "Synthesis Report Workbench: 2 new items"
    assert to_la["To"].addresses[0].display_name == la.name
    assert to_la["List-Unsubscribe"] == f"<{BASE}/profile>"
    plain, html = parts(to_la)
    for text in (plain, html):
        assert la.name in text
        assert "Ana mentions you in “Wage floors”" in text
        assert "New comment on 1.1" in text
        assert f"{BASE}/write?report=test-report&amp;thread=1" in html
        assert f"{BASE}/profile" in text
    assert f"{BASE}/write?report=test-report&thread=1" in plain
    assert f"{BASE}/write?report=test-report&thread=2" in plain

    [to_cla] = smtp.to(cla.email)
    assert to_cla["Subject"] == "<b>Bold</b> & <script>alert(1)</script>"
    plain, html = parts(to_cla)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "<b>Bold</b> & <script>alert(1)</script>" in plain
    assert pending(session, la) == 0 and pending(session, cla) == 0


def test_a_second_run_sends_nothing_new_and_a_new_item_goes_alone(session, world, smtp):
    record(session, world.la, "1")
    deliver(session, smtp)
    assert len(smtp.received) == 1

    assert deliver(session, smtp, NOW + timedelta(minutes=5)).sent == []
    assert len(smtp.received) == 1

    record(session, world.la, "2", title="A second mention")
    result = deliver(session, smtp, NOW + timedelta(minutes=10))
    assert [m.total for m in result.sent] == [1]
    assert smtp.received[-1][1]["Subject"] == "A second mention"


def test_a_refused_connection_leaves_everything_pending_and_is_retried(session, world, smtp):
    record(session, world.la, "1")
    record(session, world.cla, "2")
    closed = free_port()

    result = deliver(session, None, port=closed)

    assert result.sent == [] and len(result.failed) == 2
    assert "connection refused" in result.failed[0][1]
    assert pending(session, world.la) == 1 and pending(session, world.cla) == 1
    state = session.get(MailState, world.la.id)
    assert "connection refused" in state.last_failure and state.last_failure_at is not None

    retried = deliver(session, smtp, NOW + timedelta(minutes=5))
    assert len(retried.sent) == 2 and len(smtp.received) == 2
    session.refresh(state)
    assert state.last_failure == ""


def test_daily_and_weekly_digests_wait_for_their_time(session, world, smtp):
    la = world.la
    notifications.set_preferences(
        session,
        actor=la,
        person=la,
        choices={NotificationKind.round_opened: DeliveryChoice.weekly},
    )
    # The first digests of each kind go at once: there was none before.
    record(session, la, "d1", kind=NotificationKind.review_comment, title="Daily one")
    record(session, la, "w1", kind=NotificationKind.round_opened, title="Weekly one")
    first = deliver(session, smtp)
    assert [m.total for m in first.sent] == [2]

    record(session, la, "d2", kind=NotificationKind.review_comment, title="Daily two")
    record(session, la, "w2", kind=NotificationKind.round_opened, title="Weekly two")
    record(session, la, "m1", title="Mention at once")
    # 23 hours later: only the mention is due.
    later = deliver(session, smtp, NOW + timedelta(hours=23))
    assert [[i.title for i in m.items] for m in later.sent] == [["Mention at once"]]
    # 24 hours after the first digest: the daily one, not yet the weekly one.
    day = deliver(session, smtp, NOW + timedelta(hours=24))
    assert [[i.title for i in m.items] for m in day.sent] == [["Daily two"]]
    assert deliver(session, smtp, NOW + timedelta(days=6)).sent == []
    week = deliver(session, smtp, NOW + timedelta(days=7))
    assert [[i.title for i in m.items] for m in week.sent] == [["Weekly two"]]
    assert len(smtp.to(la.email)) == 4


def test_app_only_kinds_and_read_items_are_never_emailed(session, world, smtp):
    la = world.la
    notifications.set_preferences(
        session, actor=la, person=la, choices={NotificationKind.mention: DeliveryChoice.app}
    )
    record(session, la, "1")
    record(session, world.cla, "2")
    page, _ = notifications.inbox(session, world.cla.id)
    notifications.mark_read(session, person=world.cla, ids=[page[0].id])

    assert deliver(session, smtp, NOW + timedelta(days=30)).sent == []
    assert smtp.received == []


def test_an_inactive_person_gets_no_mail(session, world, smtp):
    gone = make_person(session, "Gone Away")
    gone.active = False
    session.add(gone)
    session.commit()
    record(session, gone, "1")
    assert deliver(session, smtp).sent == []


def test_composing_reads_everyone_in_two_queries(session, world):
    for person in [world.la, world.cla, world.reviewer, *world.council]:
        record(session, person, f"m{person.id}")
        record(session, person, f"c{person.id}", kind=NotificationKind.review_comment)
    with count_queries(session) as statements:
        messages = mail.compose(session, now=NOW, base=BASE)
    assert len(messages) == 8 and len(statements) == 2


def test_smtp_urls_are_read_and_bad_ones_explained():
    s = mail.smtp_settings("smtp+starttls://ana%40panel.org:p%3Ass%2Fw@mail.example.org:2587")
    assert (s.scheme, s.host, s.port) == ("smtp+starttls", "mail.example.org", 2587)
    assert (s.username, s.password) == ("ana@panel.org", "p:ss/w")
    assert "p:ss" not in repr(s)
    assert mail.smtp_settings("smtps://u:p@mail.example.org").port == 465
    assert mail.smtp_settings("smtp://localhost?timeout=5").timeout == 5
    for bad, words in [
        ("", "Set WORKBENCH_SMTP_URL"),
        ("http://mail.example.org", "must start with smtp://"),
        ("smtp://mail.example.org:abc", "is not a number"),
        ("smtp://:25", "no server"),
        ("smtp://mail.example.org?tls=1", "unknown setting"),
    ]:
        with pytest.raises(ValidationError, match=words):
            mail.smtp_settings(bad)
    with pytest.raises(ValidationError, match="not a web address"):
        mail.base_url("workbench.example.org")
    with pytest.raises(ValidationError, match="WORKBENCH_BASE_URL"):
        mail.base_url("", required=True)
    assert mail.base_url("") == mail.DEFAULT_BASE_URL


# --------------------------------------------------------------------------- the command


@pytest.fixture
def workspace(tmp_path) -> Iterator[tuple[str, dict[str, Person]]]:
    """Return a SQLite workspace with two people and their pending notifications."""
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    result = runner.invoke(app, ["init"], env={"WORKBENCH_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        ana = make_person(session, "Ana Ortiz", email="ana@panel.example.org")
        ben = make_person(session, "Ben Okafor", email="ben@panel.example.org")
        record(session, ana, "1", title="Ben mentions you in “Wage floors”")
        record(session, ana, "2", kind=NotificationKind.review_comment, title="A comment on 2.1")
        record(session, ben, "3", title="Ana mentions you in “Care work”")
    engine.dispose()
    yield url, {"ana": ana, "ben": ben}


def notify(url: str, *args: str, smtp_url: str = "", base: str | None = BASE):
    env = {
        "WORKBENCH_DATABASE_URL": url,
        "WORKBENCH_SMTP_URL": smtp_url,
        "WORKBENCH_MAIL_FROM": SENDER,
        "WORKBENCH_BASE_URL": base,
    }
    return runner.invoke(app, ["notify", *args], env=env)


def pending_in(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        count = len(
            session.exec(select(Notification.id).where(Notification.emailed_at.is_(None))).all()
        )
    engine.dispose()
    return count


def test_notify_dry_run_json_lists_the_messages_and_marks_nothing(workspace):
    url, _ = workspace
    result = notify(url, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    by_to = {m["to"]: m for m in data["messages"]}
    assert set(by_to) == {"ana@panel.example.org", "ben@panel.example.org"}
    assert by_to["ana@panel.example.org"]["subject"] == "Synthesis Report Workbench: 2 new items"
    assert by_to["ben@panel.example.org"]["subject"] == "Ana mentions you in “Care work”"
    links = {i["link"] for i in by_to["ana@panel.example.org"]["items"]}
    assert links == {
        f"{BASE}/write?report=test-report&thread=1",
        f"{BASE}/write?report=test-report&thread=2",
    }
    assert pending_in(url) == 3

    summary = notify(url, "--dry-run")
    assert summary.exit_code == 0, summary.output
    assert "Dry run: 2 messages due (3 items); nothing sent, nothing marked" in summary.output
    assert pending_in(url) == 3


def test_notify_send_delivers_once_and_a_refused_server_fails_the_run(workspace, smtp):
    url, _ = workspace
    refused = notify(url, "--send", smtp_url=f"smtp://127.0.0.1:{free_port()}")
    assert refused.exit_code == 1
    assert "2 messages could not be sent" in refused.output
    assert "connection refused" in refused.output
    assert pending_in(url) == 3

    sent = notify(url, "--send", smtp_url=smtp.url)
    assert sent.exit_code == 0, sent.output
    assert "Sent 2 messages (3 items)" in sent.output
    assert sorted(r for r, _ in smtp.received) == [
        ["ana@panel.example.org"],
        ["ben@panel.example.org"],
    ]
    assert pending_in(url) == 0

    again = notify(url, "--send", smtp_url=smtp.url)
    assert again.exit_code == 0 and "Sent 0 messages" in again.output
    assert len(smtp.received) == 2


def test_notify_says_what_to_do_and_refuses_unusable_settings(workspace):
    url, _ = workspace
    bare = notify(url)
    assert bare.exit_code == 2 and "choose --dry-run" in bare.output
    bad = notify(url, "--send", smtp_url="smtp://mail.example.org:smtp")
    assert bad.exit_code == 1 and "is not a number" in bad.output
    no_base = notify(url, "--send", smtp_url="smtp://127.0.0.1:25", base="")
    assert no_base.exit_code == 1 and "Set WORKBENCH_BASE_URL" in no_base.output
    assert pending_in(url) == 3
