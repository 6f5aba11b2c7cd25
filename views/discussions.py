"""Discussions: a report's threads among its authors, filtered, read, answered and resolved.

Everyone who reads the report reads its discussions; its authors and Review Editors
(``Action.discuss``) start them, reply, mention people on the report (picked, or
written as ``@email``) and resolve or reopen them. The list is filtered in the
database by status (open, resolved), by person ("mine": started, posted in or
mentioned in) and by part (sections, findings, consensus, recommendations,
initiatives), open threads first; ``?thread=<id>`` opens one directly (the inbox and
mail link to the item's own page, whose panel does the same). Messages are the
authors' Markdown, shown with images as links and HTML as text. Discussions are not
review comments: they never enter the comment table.
"""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

import ui
from workbench import (
    consensus,
    discussions,
    findings,
    i18n,
    initiatives,
    recommendations,
    sections,
)
from workbench.errors import WorkbenchError
from workbench.i18n import N_, _, ngettext
from workbench.models import DiscussionTarget, DiscussionThread
from workbench.permissions import Action

PAGE_SIZE = 25
KEY = "disc"
STATUSES = {"open": N_("Open"), "resolved": N_("Resolved"), "": N_("Open and resolved")}
PARTS = {
    "": N_("All parts"),
    DiscussionTarget.section.value: N_("Sections"),
    DiscussionTarget.finding.value: N_("Findings"),
    DiscussionTarget.consensus_item.value: N_("Consensus"),
    DiscussionTarget.recommendation.value: N_("Recommendations"),
    DiscussionTarget.initiative.value: N_("Initiatives"),
}


def targets(s: Session, report_id: int) -> dict[tuple[DiscussionTarget, int], str]:
    """Return everything of the report a discussion can be about, in reading order."""
    out: dict[tuple[DiscussionTarget, int], str] = {}
    for sec in sections.list_sections(s, report_id):
        out[(DiscussionTarget.section, sec.id)] = _("Section {code} {title}").format(
            code=sec.code, title=sec.title
        )
    # Code and statement only: a report at IPCC scale has thousands of findings.
    for item in findings.finding_choices(s, report_id=report_id):
        out[(DiscussionTarget.finding, item.id)] = _("Finding {code} — {text}").format(
            code=item.code, text=ui.shorten(item.statement, 70)
        )
    for item in consensus.item_choices(s, report_id=report_id):
        out[(DiscussionTarget.consensus_item, item.id)] = _("Consensus item — {text}").format(
            text=ui.shorten(item.statement, 70)
        )
    for item in recommendations.recommendation_choices(s, report_id=report_id):
        out[(DiscussionTarget.recommendation, item.id)] = _(
            "Recommendation {code} — {text}"
        ).format(code=item.code, text=ui.shorten(item.text, 70))
    for item in initiatives.list_initiatives(s, report_id=report_id):
        out[(DiscussionTarget.initiative, item.id)] = _("Initiative — {text}").format(
            text=ui.shorten(item.name, 70)
        )
    return out


def _direct_thread(s: Session, ctx: ui.PageContext) -> DiscussionThread | None:
    """Return the thread ``?thread=<id>`` names when it belongs to this report (else say so)."""
    wanted = st.query_params.get(ui.THREAD_PARAM)
    if not wanted:
        return None
    if not wanted.isdigit():
        st.warning(
            _("The address names discussion {thread}, which does not exist.").format(
                thread=ui.md(wanted)
            )
        )
        return None
    try:
        thread = discussions.get_thread(s, int(wanted), actor=ctx.person)
    except WorkbenchError as exc:
        st.warning(ui.md_message(exc.message))
        return None
    if thread.report_id != ctx.report.id:
        st.warning(_("The discussion the address names belongs to another report."))
        return None
    return thread


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title(_("Discussions"))
    ui.require(ctx, s, Action.read_report)
    ui.flash()
    may_discuss = ui.allowed(ctx, s, Action.discuss)
    about = _(
        "The authors' conversations about the report's sections, findings, consensus items, "
        "recommendations and initiatives. They are not review comments: they never enter the "
        "comment table."
    )
    if not may_discuss:
        about = _("{about} You can read them; the authors and Review Editors write.").format(
            about=about
        )
    st.caption(about)
    direct = _direct_thread(s, ctx)
    status_col, part_col, mine_col = st.columns([1.2, 1.2, 1], vertical_alignment="bottom")
    status = status_col.segmented_control(
        _("Status"),
        list(STATUSES),
        format_func=lambda status: _(STATUSES[status]),
        default="open" if direct is None else "",
        key="disc_status",
    )
    part = part_col.selectbox(
        _("Part"), list(PARTS), format_func=lambda part: _(PARTS[part]), key="disc_part"
    )
    mine = mine_col.toggle(
        _("Only mine"),
        key="disc_mine",
        help=_("Discussions you started, wrote in or are mentioned in."),
    )
    filters = {
        "report_id": ctx.report.id,
        "status": status or None,
        "target": part or None,
        "person_id": ctx.person.id if mine else None,
        "actor": ctx.person,
    }
    _first, total = discussions.threads(s, **filters, limit=1)
    offset = ui.pager(total, key="disc_page", page_size=PAGE_SIZE)
    listed, total = discussions.threads(s, **filters, limit=PAGE_SIZE, offset=offset)
    ids = [x.thread.id for x in listed]
    if direct is not None and direct.id not in ids:
        # A link names a thread the filters hide: show it first anyway.
        same_item, _count = discussions.threads(
            s,
            report_id=ctx.report.id,
            target=direct.target,
            target_id=direct.target_id,
            limit=discussions.MAX_PAGE_SIZE,
            actor=ctx.person,
        )
        listed = [x for x in same_item if x.thread.id == direct.id] + listed
        ids = [x.thread.id for x in listed]
    opened = ui.chosen_thread(KEY, ids)
    if not listed:
        st.info(
            _("No discussion matches these filters.")
            if total == 0 and (status or part or mine)
            else _("No discussions yet.")
        )
    else:
        st.caption(
            ngettext(
                "{n} discussion matches; open ones first.",
                "{n} discussions match; open ones first.",
                total,
            ).format(n=i18n.format_number(total))
        )
    for summary in listed:
        with st.container(border=True, key=f"disc_row_{summary.thread.id}"):
            ui.thread_row(summary, key=KEY, opened=summary.thread.id == opened, show_target=True)
            if summary.thread.id == opened:
                page_and_query = ui.link_target(summary.link)
                if page_and_query is not None:
                    st.page_link(
                        page_and_query[0],
                        label=_("Go to {target}").format(target=summary.target_label),
                        query_params=page_and_query[1],
                        icon=":material/arrow_forward:",
                    )
                ui.thread_view(s, ctx, summary.thread.id, key=KEY)
    if may_discuss:
        st.divider()
        ui.new_thread_form(s, ctx, None, None, key=KEY, targets=targets(s, ctx.report.id))
