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


FRESH_TOKEN = "_profile_calendar_fresh"  # the address just made, shown once


def _calendar(s, ctx: ui.PageContext) -> None:
    """Offer the person's deadlines as a calendar file and a private subscription address."""
    st.header("Your calendar")
    if importlib.util.find_spec("workbench.calendars") is None:
        st.caption("Calendars are not available on this workspace yet.")
        return
    from workbench import calendars

    count = len(calendars.deadlines(s, ctx.person))
    st.caption(
        "Your deadlines: sections you lead or co-author falling due, and review rounds closing "
        f"on reports you write or review ({count} now). Import the file into your calendar "
        "program, or subscribe to your private address so it stays up to date."
    )
    st.download_button(
        "Download my deadlines (.ics)",
        data=calendars.feed(s, ctx.person),
        file_name="workbench-deadlines.ics",
        mime="text/calendar",
        icon=":material/event:",
        key="profile_calendar_download",
        on_click="ignore",
    )
    if calendars.subscription_url("probe") is None:
        # No feed server is published (WORKBENCH_CALENDAR_URL unset): the file is the way.
        st.caption(
            "Subscribing by address is not set up on this workspace; download the file instead."
        )
        return
    fresh = st.session_state.pop(FRESH_TOKEN, None)
    if fresh:
        st.success(
            'Your private calendar address. Copy it now into your calendar program ("subscribe '
            'by URL"): it is shown only this once, and anyone who has it can read your '
            "deadlines.",
            icon=":material/key:",
        )
        st.code(calendars.subscription_url(fresh), language=None, wrap_lines=True)
    has_one = calendars.has_calendar_token(s, ctx.person)
    if has_one and not fresh:
        st.caption(
            "You have a private calendar address. It is not shown again; replace it if you "
            "lost it or shared it by mistake (the old one stops working)."
        )
    label = "Replace my calendar address" if has_one else "Make my private calendar address"
    if st.button(label, key="profile_calendar_token", icon=":material/link:"):
        token = ui.run_action(lambda: calendars.calendar_token(s, ctx.person, rotate=has_one))
        if token:
            st.session_state[FRESH_TOKEN] = token
            st.rerun()


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title("Profile")
    ui.flash()
    st.markdown(f"**{ui.md(ctx.person.name)}** · {ui.md(ctx.person.email)}")
    _preferences(s, ctx)
    _calendar(s, ctx)
