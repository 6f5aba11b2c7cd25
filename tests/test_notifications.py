"""Notifications: recorded once per person and event, the inbox, read marks, preferences."""

from __future__ import annotations

import pytest

from workbench import notifications
from workbench.errors import NotFound, ValidationError
from workbench.models import DeliveryChoice, NotificationKind
from workbench.notifications import Event


def event(key: str = "mention:1", **kw) -> Event:
    args = {
        "kind": NotificationKind.mention,
        "key": key,
        "title": "Ana mentions you in “Wage floors”",
        "link": "/write?report=test-report&thread=1",
    } | kw
    return Event(**args)


def test_an_event_recorded_twice_notifies_each_person_once(session, world):
    people = [world.la.id, world.cla.id]
    assert notifications.notify(session, people, event()) == 2
    session.commit()
    assert notifications.notify(session, people, event()) == 0
    session.commit()
    assert notifications.unread_count(session, world.la.id) == 1


def test_the_person_who_caused_an_event_is_not_told(session, world):
    assert notifications.notify(session, [world.la.id], event(actor_id=world.la.id)) == 0


def test_the_inbox_is_newest_first_and_read_marks_only_ones_own(session, world):
    for n in range(3):
        notifications.notify(session, [world.la.id], event(f"k{n}", title=f"Number {n}"))
        session.commit()
    page, total = notifications.inbox(session, world.la.id)
    assert total == 3 and page[0].title == "Number 2"
    with pytest.raises(NotFound):
        notifications.mark_read(session, person=world.cla, ids=[page[0].id])
    assert notifications.mark_read(session, person=world.la, ids=[page[0].id]) == 1
    assert notifications.unread_count(session, world.la.id) == 2
    assert notifications.mark_all_read(session, person=world.la) == 2
    assert notifications.inbox(session, world.la.id, unread_only=True) == ([], 0)


def test_the_quiet_default_and_a_persons_own_choices(session, world):
    chosen = notifications.preferences(session, world.la.id)
    assert chosen[NotificationKind.mention] is DeliveryChoice.email
    assert chosen[NotificationKind.review_comment] is DeliveryChoice.daily
    saved = notifications.set_preferences(
        session,
        actor=world.la,
        person=world.la,
        choices={NotificationKind.review_comment: "weekly", NotificationKind.mention: "app"},
    )
    assert saved[NotificationKind.review_comment] is DeliveryChoice.weekly
    assert saved[NotificationKind.mention] is DeliveryChoice.app
    with pytest.raises(ValidationError, match="Only the person themselves"):
        notifications.set_preferences(
            session, actor=world.cla, person=world.la, choices={NotificationKind.mention: "app"}
        )
    with pytest.raises(ValidationError, match="'hourly' is not a way"):
        notifications.set_preferences(
            session, actor=world.la, person=world.la, choices={NotificationKind.mention: "hourly"}
        )
