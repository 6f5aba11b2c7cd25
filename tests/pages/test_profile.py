"""The Profile page: how each kind of notification reaches a person, and their calendar."""

from __future__ import annotations

from tests.pages.conftest import COUNCIL, LA, texts
from workbench import notifications, people
from workbench.models import DeliveryChoice, NotificationKind

PAGE = "views/profile.py"


def test_save_delivery_choices(open_page, db):
    at = open_page(PAGE, LA)
    assert not at.exception
    # The quiet default shows first: mentions by email at once, replies daily.
    assert at.selectbox(key="profile_pref_mention").value == DeliveryChoice.email
    assert at.selectbox(key="profile_pref_reply").value == DeliveryChoice.daily
    at.selectbox(key="profile_pref_reply").set_value(DeliveryChoice.app)
    at.selectbox(key="profile_pref_due_soon").set_value(DeliveryChoice.weekly)
    next(b for b in at.button if b.label == "Save my choices").click().run()
    assert not at.exception
    assert "Saved: notifications reach you as you chose." in texts(at)
    person = people.get_by_email(db, LA)
    chosen = notifications.preferences(db, person.id)
    assert chosen[NotificationKind.reply] == DeliveryChoice.app
    assert chosen[NotificationKind.due_soon] == DeliveryChoice.weekly
    assert chosen[NotificationKind.mention] == DeliveryChoice.email
    # Shown again as saved.
    at = open_page(PAGE, LA)
    assert at.selectbox(key="profile_pref_reply").value == DeliveryChoice.app


def test_every_kind_is_offered_to_everyone(open_page):
    at = open_page(PAGE, COUNCIL)
    assert not at.exception
    labels = [b.label for b in at.selectbox]
    for description in notifications.DESCRIPTIONS.values():
        assert description in labels
    assert "Your calendar" in texts(at)


def test_calendar_download(open_page):
    at = open_page(PAGE, LA)
    buttons = at.get("download_button")
    assert buttons, "the deadlines file is offered"
    assert "deadlines" in buttons[0].proto.label


def test_calendar_address_made_once_and_replaced(open_page, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CALENDAR_URL", "https://workbench.example.org/calendar")
    at = open_page(PAGE, LA)
    at.button(key="profile_calendar_token").click().run()
    assert not at.exception
    shown = [c.value for c in at.code]
    assert shown and shown[0].startswith("https://workbench.example.org/calendar/")
    assert "shown only this once" in texts(at)
    first = shown[0]
    at.button(key="profile_calendar_token").click().run()
    assert at.code[0].value != first
