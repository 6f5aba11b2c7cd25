"""Calendars: a person's deadlines as an iCalendar feed, and the private address's token."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar
from sqlmodel import Session, select
from typer.testing import CliRunner

from tests.factories import make_person
from workbench import calendars
from workbench.cli import app
from workbench.db import make_engine
from workbench.models import (
    AuditEvent,
    CalendarFeed,
    ReviewRound,
    RoundStatus,
    SectionAuthor,
    Stage,
)

BASE = "https://workbench.example.org"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
runner = CliRunner()


def events(content: bytes) -> dict[str, dict]:
    """Return the feed's events by UID: summary, description, start, url."""
    parsed = Calendar.from_ical(content)
    return {
        str(e["UID"]): {
            "summary": str(e["SUMMARY"]),
            "description": str(e["DESCRIPTION"]),
            "start": e.decoded("DTSTART"),
            "end": e.decoded("DTEND"),
            "url": str(e["URL"]),
        }
        for e in parsed.walk("VEVENT")
    }


def with_deadlines(session: Session, world) -> ReviewRound:
    """Give the first two sections due dates, a co-author on the first, and open a round."""
    first, second, *_ = world.sections
    first.due_date = date(2027, 2, 15)
    first.title = "Living wages"
    second.due_date = date(2027, 3, 1)
    session.add_all(
        [first, second, SectionAuthor(section_id=first.id, person_id=world.contributor.id)]
    )
    review_round = ReviewRound(
        report_id=world.report.id,
        name="SOD",
        stage=Stage.second_order_draft,
        opens_on=date(2027, 1, 4),
        closes_on=date(2027, 2, 26),
    )
    session.add(review_round)
    session.commit()
    return review_round


def test_a_lead_author_sees_their_section_due_and_the_round_closing(session, world):
    review_round = with_deadlines(session, world)
    first = world.sections[0]
    feed = events(calendars.feed(session, world.la, base=BASE, now=NOW))
    assert set(feed) == {
        f"section-{first.id}-due@synthesis-report-workbench",
        f"round-{review_round.id}-closes@synthesis-report-workbench",
    }
    due = feed[f"section-{first.id}-due@synthesis-report-workbench"]
    assert due["summary"] == "1.1 Living wages due"
    assert due["start"] == date(2027, 2, 15) and due["end"] == date(2027, 2, 16)
    link = f"{BASE}/write?report=test-report&section={first.id}"
    assert link in due["description"] and due["url"] == link
    closing = feed[f"round-{review_round.id}-closes@synthesis-report-workbench"]
    assert closing["start"] == date(2027, 2, 26)
    assert closing["summary"] == "SOD review of Living wages for all workers closes"
    assert closing["url"] == f"{BASE}/review?report=test-report&round=SOD"


def test_co_authors_and_reviewers_get_their_own_deadlines_only(session, world):
    review_round = with_deadlines(session, world)
    round_uid = f"round-{review_round.id}-closes@synthesis-report-workbench"
    co_author = events(calendars.feed(session, world.contributor, base=BASE))
    assert f"section-{world.sections[0].id}-due@synthesis-report-workbench" in co_author
    assert f"section-{world.sections[1].id}-due@synthesis-report-workbench" not in co_author
    assert set(events(calendars.feed(session, world.reviewer, base=BASE))) == {round_uid}
    assert events(calendars.feed(session, world.outsider, base=BASE)) == {}
    # A closed round is no longer a deadline.
    review_round.status = RoundStatus.closed
    session.add(review_round)
    session.commit()
    assert events(calendars.feed(session, world.reviewer, base=BASE)) == {}


def test_the_same_deadline_keeps_its_uid_when_its_date_moves(session, world):
    with_deadlines(session, world)
    before = events(calendars.feed(session, world.la, base=BASE))
    world.sections[0].due_date = date(2027, 2, 20)
    session.add(world.sections[0])
    session.commit()
    after = events(calendars.feed(session, world.la, base=BASE))
    assert set(before) == set(after)
    uid = f"section-{world.sections[0].id}-due@synthesis-report-workbench"
    assert after[uid]["start"] == date(2027, 2, 20)


def test_the_token_finds_the_feed_and_only_its_hash_is_kept(session, world):
    with_deadlines(session, world)
    token = calendars.calendar_token(session, world.la)
    assert token and len(token) >= 40
    stored = session.get(CalendarFeed, world.la.id)
    assert stored.token_hash != token and token not in stored.token_hash
    # Asking again does not show or change it: only its hash is kept.
    assert calendars.calendar_token(session, world.la) is None
    assert calendars.has_calendar_token(session, world.la)
    content = calendars.feed_for_token(session, token, base=BASE)
    assert content is not None and len(events(content)) == 2
    assert (
        calendars.feed_for_token(session, token[:-1] + ("x" if token[-1] != "x" else "y")) is None
    )
    assert calendars.feed_for_token(session, "") is None
    assert not calendars.has_calendar_token(session, world.cla)


def test_replacing_the_token_invalidates_the_old_address(session, world):
    old = calendars.calendar_token(session, world.la)
    new = calendars.calendar_token(session, world.la, rotate=True)
    assert new and new != old
    assert calendars.feed_for_token(session, old) is None
    assert calendars.feed_for_token(session, new) is not None
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.entity_id == world.la.id)
    ).all()
    assert {"calendar_address_created", "calendar_address_replaced"} <= set(actions)


def test_an_inactive_persons_address_stops_working(session, world):
    token = calendars.calendar_token(session, world.la)
    world.la.active = False
    session.add(world.la)
    session.commit()
    assert calendars.feed_for_token(session, token) is None


def test_the_calendar_command_writes_a_persons_feed(tmp_path):
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    env = {"WORKBENCH_DATABASE_URL": url, "WORKBENCH_BASE_URL": BASE}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        from tests.factories import make_world

        world = make_world(session)
        with_deadlines(session, world)
        make_person(session, "Nobody", email="nobody@panel.example.org")
    engine.dispose()
    out = tmp_path / "la.ics"
    result = runner.invoke(app, ["calendar", "--person", world.la.email, "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: 2 deadlines for {world.la.name}." in result.output
    assert len(events(out.read_bytes())) == 2
    unknown = runner.invoke(app, ["calendar", "--person", "who@x.org", "-o", str(out)], env=env)
    assert unknown.exit_code == 1 and unknown.output.startswith("error:")


def test_the_feed_server_answers_a_token_and_refuses_others(session, world, monkeypatch):
    import threading
    import urllib.error
    import urllib.request

    with_deadlines(session, world)
    token = calendars.calendar_token(session, world.la)
    monkeypatch.setenv("WORKBENCH_BASE_URL", BASE)
    server = calendars.feed_server(session.get_bind(), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root = f"http://127.0.0.1:{server.server_port}"
    try:
        with urllib.request.urlopen(f"{root}/calendar/{token}.ics", timeout=10) as answer:
            assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
            assert len(events(answer.read())) == 2
        for wrong in (f"{root}/calendar/{token[:-2]}.ics", f"{root}/{token}"):
            try:
                urllib.request.urlopen(wrong, timeout=10)
                raise AssertionError(f"{wrong} answered")
            except urllib.error.HTTPError as refused:
                assert refused.code == 404
    finally:
        server.shutdown()
        server.server_close()
    monkeypatch.setenv("WORKBENCH_CALENDAR_URL", "https://workbench.example.org/calendar/")
    assert calendars.subscription_url("abc") == "https://workbench.example.org/calendar/abc.ics"
    monkeypatch.delenv("WORKBENCH_CALENDAR_URL")
    assert calendars.subscription_url("abc") is None
