"""Inbox: what concerns the signed-in person, newest first, each one click from where it is handled.

Every notification (:mod:`workbench.notifications`) shows its title, what kind it is,
who caused it and when; unread ones carry a "New" badge. "Open" marks it read and goes
to the page where it is handled (a thread, a review round, a section); "Mark read" and
"Mark all read" do what they say. The list is paged in the database; the sidebar's
"Inbox (3)" counts the unread ones. Everyone signed in has an inbox, and sees only
their own.
"""

from __future__ import annotations

import streamlit as st

import ui
from workbench import i18n, notifications
from workbench.i18n import _, ngettext
from workbench.models import Notification

PAGE_SIZE = notifications.INBOX_PAGE


def _open(s, ctx: ui.PageContext, note: Notification) -> None:
    """Mark the notification read and go to where it is handled."""
    target = ui.link_target(note.link)
    if note.read_at is None:
        done = ui.run_action(lambda: notifications.mark_read(s, person=ctx.person, ids=[note.id]))
        if done is None:
            return
    if target is None:
        st.rerun()
    st.switch_page(target[0], query_params=target[1])


def _item(s, ctx: ui.PageContext, note: Notification, actors: dict[int, str]) -> None:
    """Show one notification with its controls."""
    unread = note.read_at is None
    with st.container(border=True, key=f"inbox_item_{note.id}"):
        text_col, buttons_col = st.columns([5, 1.4], vertical_alignment="center")
        badge = _(":blue-badge[:material/fiber_new: New] ") if unread else ""
        shown = ui.md(notifications.title_text(note.title))
        title = f"**{shown}**" if unread else shown
        text_col.markdown(f"{badge}{title}")
        facts = [ui.label(note.kind), ui.when(note.created_at)]
        if note.actor_id in actors:
            facts.insert(1, _("from {person}").format(person=ui.md(actors[note.actor_id])))
        text_col.caption(" · ".join(facts))
        if note.detail.strip():
            text_col.markdown(ui.md_text(ui.shorten(notifications.title_text(note.detail), 300)))
        with buttons_col:
            if ui.link_target(note.link) is not None and st.button(
                ui.open_label(),
                key=f"inbox_open_{note.id}",
                icon=":material/open_in_new:",
                type="primary" if unread else "secondary",
                help=_("Marks it read and opens the page where it is handled."),
                width="stretch",
            ):
                _open(s, ctx, note)
            if unread and st.button(
                _("Mark read"), key=f"inbox_read_{note.id}", icon=":material/done:", width="stretch"
            ):
                done = ui.run_action(
                    lambda: notifications.mark_read(s, person=ctx.person, ids=[note.id])
                )
                if done is not None:
                    st.rerun()


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title(_("Inbox"))
    ui.flash()
    unread = notifications.unread_count(s, ctx.person.id)
    top = st.container(horizontal=True, vertical_alignment="center")
    top.markdown(
        _("**{n} unread**").format(n=i18n.format_number(unread))
        if unread
        else _("Nothing unread."),
    )
    only_unread = top.toggle(_("Unread only"), key="inbox_unread_only")
    if top.button(
        _("Mark all read"), key="inbox_all_read", icon=":material/done_all:", disabled=not unread
    ):
        changed = ui.run_action(
            lambda: notifications.mark_all_read(s, person=ctx.person),
            success=_("Marked every notification read."),
        )
        if changed is not None:
            st.rerun()
    _first, total = notifications.inbox(s, ctx.person.id, unread_only=only_unread, limit=0)
    if total == 0:
        st.info(
            _("Nothing unread. New notifications show here.")
            if only_unread
            else _(
                "Your inbox is empty. You will find here mentions, replies in your discussions, "
                "review comments on your sections, deadlines and Council decisions that concern "
                "you. Choose which also reach you by email on your Profile page."
            ),
            icon=":material/inbox:",
        )
        st.page_link("views/profile.py", label=_("Profile: how notifications reach you"))
        st.stop()
    offset = ui.pager(total, key="inbox_page", page_size=PAGE_SIZE)
    page, _total = notifications.inbox(
        s, ctx.person.id, unread_only=only_unread, limit=PAGE_SIZE, offset=offset
    )
    actors = ui.people_names(s, [n.actor_id for n in page])
    counted = {"n": i18n.format_number(total)}
    if total > PAGE_SIZE:
        shown = ngettext(
            "{n} notification, newest first; showing {first}–{last}.",
            "{n} notifications, newest first; showing {first}–{last}.",
            total,
        ).format(
            **counted,
            first=i18n.format_number(offset + 1),
            last=i18n.format_number(offset + len(page)),
        )
    else:
        shown = ngettext(
            "{n} notification, newest first.", "{n} notifications, newest first.", total
        ).format(**counted)
    st.caption(shown)
    for note in page:
        _item(s, ctx, note, actors)
    st.page_link(
        "views/profile.py",
        label=_("Choose which notifications also reach you by email"),
        icon=":material/tune:",
    )
