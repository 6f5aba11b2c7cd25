"""Profile: the interface language, how each kind of notification reaches you, your calendar.

The interface language is English, French or Spanish, or "the browser's language"
(the default: the browser's when it is one of the three, else English); the choice is
kept in the person's account (``people.set_interface_language``), applies at once and
at every later sign-in.

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
from workbench import i18n, notifications, people
from workbench.i18n import N_, _
from workbench.models import DeliveryChoice

CHOICES = {
    DeliveryChoice.app: N_("In the app only"),
    DeliveryChoice.email: N_("In the app and by email at once"),
    DeliveryChoice.daily: N_("In the app and in a daily email digest"),
    DeliveryChoice.weekly: N_("In the app and in a weekly email digest"),
}
BROWSER = ""  # the choice "the browser's language" (no language kept in the account)


def _language(s, ctx: ui.PageContext) -> None:
    """Choose the interface language; saved in the account and applied at once."""
    st.header(_("Interface language"))
    options = [BROWSER, *i18n.INTERFACE_LANGUAGES]
    current = ctx.person.interface_language or BROWSER
    with st.form("profile_language"):
        chosen = st.radio(
            _("The language of the workbench's pages"),
            options,
            index=options.index(current) if current in options else 0,
            format_func=lambda code: (
                _("The browser's language") if code == BROWSER else i18n.INTERFACE_LANGUAGES[code]
            ),
            horizontal=True,
            key="profile_language_choice",
            help=_(
                "The browser's language is used when it is English, French or Spanish; "
                "otherwise the pages are in English. Texts people wrote stay as written."
            ),
        )
        saved = st.form_submit_button(_("Save my language"))
    if saved:
        done = ui.run_action(
            lambda: people.set_interface_language(
                session=s, actor=ctx.person, person_id=ctx.person.id, language=chosen or None
            )
        )
        if done is not None:
            ui.choose_language(chosen or None)
            # Said in the language just chosen.
            st.session_state[ui.FLASH] = _("Saved: the pages now speak {language}.").format(
                language=i18n.INTERFACE_LANGUAGES.get(chosen, _("the browser's language"))
            )
            st.rerun()


def _preferences(s, ctx: ui.PageContext) -> None:
    """Choose, per kind, how notifications reach the person; save them together."""
    st.header(_("Notifications"))
    st.caption(
        _(
            "Every notification shows in your inbox. Choose which also reach you by email: at "
            "once, or gathered in a daily or weekly digest. Unless you choose otherwise, "
            "mentions and Council decisions come by email at once and everything else in the "
            "daily digest."
        )
    )
    current = notifications.preferences(s, ctx.person.id)
    with st.form("profile_preferences"):
        chosen = {}
        for kind, description in notifications.DESCRIPTIONS.items():
            chosen[kind] = st.selectbox(
                _(description),
                list(CHOICES),
                index=list(CHOICES).index(current[kind]),
                format_func=lambda choice: _(CHOICES[choice]),
                key=f"profile_pref_{kind.value}",
            )
        saved = st.form_submit_button(_("Save my choices"), type="primary")
    if saved:
        done = ui.run_action(
            lambda: notifications.set_preferences(
                s, actor=ctx.person, person=ctx.person, choices=chosen
            ),
            success=_("Saved: notifications reach you as you chose."),
        )
        if done is not None:
            st.rerun()


FRESH_TOKEN = "_profile_calendar_fresh"  # the address just made, shown once


def _calendar(s, ctx: ui.PageContext) -> None:
    """Offer the person's deadlines as a calendar file and a private subscription address."""
    st.header(_("Your calendar"))
    if importlib.util.find_spec("workbench.calendars") is None:
        st.caption(_("Calendars are not available on this workspace yet."))
        return
    from workbench import calendars

    count = len(calendars.deadlines(s, ctx.person))
    st.caption(
        _(
            "Your deadlines: sections you lead or co-author falling due, and review rounds "
            "closing on reports you write or review ({count} now). Import the file into your "
            "calendar program, or subscribe to your private address so it stays up to date."
        ).format(count=i18n.format_number(count))
    )
    st.download_button(
        _("Download my deadlines (.ics)"),
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
            _("Subscribing by address is not set up on this workspace; download the file instead.")
        )
        return
    fresh = st.session_state.pop(FRESH_TOKEN, None)
    if fresh:
        st.success(
            _(
                'Your private calendar address. Copy it now into your calendar program ("subscribe '
                'by URL"): it is shown only this once, and anyone who has it can read your '
                "deadlines."
            ),
            icon=":material/key:",
        )
        st.code(calendars.subscription_url(fresh), language=None, wrap_lines=True)
    has_one = calendars.has_calendar_token(s, ctx.person)
    if has_one and not fresh:
        st.caption(
            _(
                "You have a private calendar address. It is not shown again; replace it if you "
                "lost it or shared it by mistake (the old one stops working)."
            )
        )
    label = _("Replace my calendar address") if has_one else _("Make my private calendar address")
    if st.button(label, key="profile_calendar_token", icon=":material/link:"):
        token = ui.run_action(lambda: calendars.calendar_token(s, ctx.person, rotate=has_one))
        if token:
            st.session_state[FRESH_TOKEN] = token
            st.rerun()


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title(_("Profile"))
    ui.flash()
    st.markdown(f"**{ui.md(ctx.person.name)}** · {ui.md(ctx.person.email)}")
    _language(s, ctx)
    _preferences(s, ctx)
    _calendar(s, ctx)
