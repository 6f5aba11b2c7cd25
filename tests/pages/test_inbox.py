"""The inbox: the sidebar's unread count, notifications newest first, mark read, mark all read."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import delete, select

from tests.pages.conftest import CONTRIBUTOR, LA, texts
from workbench import notifications, people
from workbench.models import Notification, NotificationKind, utcnow

PAGE = "views/inbox.py"


def _fresh_inbox(db, email: str, count: int = 3) -> list[int]:
    """Give the person exactly ``count`` unread notifications (oldest first); return their ids."""
    person = people.get_by_email(db, email)
    actor = people.get_by_email(db, CONTRIBUTOR)
    db.exec(delete(Notification).where(Notification.person_id == person.id))
    now = utcnow()
    for i in range(count):
        notifications.notify(
            db,
            [person.id],
            notifications.Event(
                kind=NotificationKind.mention,
                key=f"test:{i}",
                title=f"Alex mentions you in *thread* {i}",
                link=f"/review?report=living-wages&n={i}",
                detail="Could you look at [this](http://evil.example)?",
                actor_id=actor.id,
            ),
        )
    db.flush()
    rows = db.exec(
        select(Notification).where(Notification.person_id == person.id).order_by(Notification.id)
    ).all()
    for i, row in enumerate(rows):
        row.created_at = now - timedelta(hours=count - i)
        db.add(row)
    db.commit()
    return [row.id for row in rows]


def _sidebar_inbox(at) -> str:
    """Return the title of the sidebar's Inbox entry as the navigation holds it."""
    pages = at._registered_pages.values()  # what st.navigation registered in the last run
    return next(p["page_name"] for p in pages if p["url_pathname"] == "inbox")


def test_badge_counts_unread_and_list_is_newest_first(open_page, db):
    _fresh_inbox(db, LA)
    at = open_page(PAGE, LA)
    assert not at.exception
    assert _sidebar_inbox(at) == "Inbox (3)"
    shown = [m.value for m in at.markdown if "mentions you" in m.value]
    assert [s.split("thread")[-1].strip(" \\*") for s in shown] == ["2", "1", "0"]
    # Escaped: the title's emphasis and the detail's link are shown as typed.
    assert "\\*thread\\*" in shown[0]
    assert "\\[this\\]" in texts(at)
    assert "3 unread" in texts(at)


def test_mark_read_one_then_all(open_page, db):
    ids = _fresh_inbox(db, LA)
    at = open_page(PAGE, LA)
    at.button(key=f"inbox_read_{ids[2]}").click().run()
    assert not at.exception
    assert _sidebar_inbox(at) == "Inbox (2)"
    assert "2 unread" in texts(at)
    db.expire_all()
    assert db.get(Notification, ids[2]).read_at is not None
    assert db.get(Notification, ids[0]).read_at is None
    at.button(key="inbox_all_read").click().run()
    assert _sidebar_inbox(at) == "Inbox"
    assert "Marked every notification read." in texts(at)
    assert "Nothing unread." in texts(at)
    db.expire_all()
    assert all(db.get(Notification, i).read_at is not None for i in ids)


def test_open_marks_read_and_goes_to_the_page(open_page, db):
    ids = _fresh_inbox(db, LA, count=1)
    at = open_page(PAGE, LA)
    at.button(key=f"inbox_open_{ids[0]}").click().run()
    assert not at.exception
    db.expire_all()
    assert db.get(Notification, ids[0]).read_at is not None
    assert at.query_params.get("n") == "0"
    assert "Review" in [t.value for t in at.title]


def test_unread_only_and_empty_state(open_page, db):
    ids = _fresh_inbox(db, LA, count=1)
    at = open_page(PAGE, LA)
    at.button(key=f"inbox_read_{ids[0]}").click().run()
    at.toggle(key="inbox_unread_only").set_value(True).run()
    assert "Nothing unread. New notifications show here." in texts(at)
    db.exec(delete(Notification).where(Notification.id == ids[0]))
    db.commit()
    at.toggle(key="inbox_unread_only").set_value(False).run()
    assert "Your inbox is empty." in texts(at)
    assert at.button(key="inbox_all_read").disabled
