"""Profile: how each kind of notification reaches you, and your personal calendar.

Everyone signed in chooses, per kind of notification
(:data:`workbench.notifications.DESCRIPTIONS`), whether it stays in the app's inbox or
also comes by email at once, in a daily digest or in a weekly one; until they choose, the
quiet default applies (mentions and Council decisions by email at once, the rest daily).
Everything reaches the inbox whatever the choice. The calendar part offers the person's
deadlines as an iCalendar (.ics) file, and the private address a calendar program can
subscribe to, which can be replaced by a new one when it has been shared by mistake.
"""

from __future__ import annotations

import importlib.util

import streamlit as st

import ui
from workbench import notifications
from workbench.models import DeliveryChoice

CHOICES = {
    DeliveryChoice.app: "In the app only",
    DeliveryChoice.email: "In the app and by email at once",
    DeliveryChoice.daily: "In the app and in a daily email digest",
    DeliveryChoice.weekly: "In the app and in a weekly email digest",
}


def _preferences(s, ctx: ui.PageContext) -> None:
    """Choose, per kind, how notifications reach the person; save them together."""
    st.header("Notifications")
    st.caption(
        "Every notification shows in your inbox. Choose which also reach you by email: at "
        "once, or gathered in a daily or weekly digest. Unless you choose otherwise, mentions "
        "and Council decisions come by email at once and everything else in the daily digest."
    )
    current = notifications.preferences(s, ctx.person.id)
    with st.form("profile_preferences"):
        chosen = {}
        for kind, description in notifications.DESCRIPTIONS.items():
            chosen[kind] = st.selectbox(
                description,
                list(CHOICES),
                index=list(CHOICES).index(current[kind]),
                format_func=CHOICES.__getitem__,
                key=f"profile_pref_{kind.value}",
            )
        saved = st.form_submit_button("Save my choices", type="primary")
    if saved:
        done = ui.run_action(
            lambda: notifications.set_preferences(
                s, actor=ctx.person, person=ctx.person, choices=chosen
            ),
            success="Saved: notifications reach you as you chose.",
        )
        if done is not None:
            st.rerun()


def _calendar(s, ctx: ui.PageContext) -> None:
    """Offer the person's deadlines as a calendar file and a private subscription address."""
    st.header("Your calendar")
    if importlib.util.find_spec("workbench.calendars") is None:
        st.caption("Calendars are not available on this workspace yet.")
        return
    from workbench import calendars  # noqa: F401  (filled in with the calendar service)


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title("Profile")
    ui.flash()
    st.markdown(f"**{ui.md(ctx.person.name)}** · {ui.md(ctx.person.email)}")
    _preferences(s, ctx)
    _calendar(s, ctx)
