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
from workbench import consensus, discussions, findings, initiatives, recommendations, sections
from workbench.errors import WorkbenchError
from workbench.models import DiscussionTarget, DiscussionThread
from workbench.permissions import Action

PAGE_SIZE = 25
KEY = "disc"
STATUSES = {"open": "Open", "resolved": "Resolved", "": "Open and resolved"}
PARTS = {
    "": "All parts",
    DiscussionTarget.section.value: "Sections",
    DiscussionTarget.finding.value: "Findings",
    DiscussionTarget.consensus_item.value: "Consensus",
    DiscussionTarget.recommendation.value: "Recommendations",
    DiscussionTarget.initiative.value: "Initiatives",
}


def targets(s: Session, report_id: int) -> dict[tuple[DiscussionTarget, int], str]:
    """Return everything of the report a discussion can be about, in reading order."""
    out: dict[tuple[DiscussionTarget, int], str] = {}
    for sec in sections.list_sections(s, report_id):
        out[(DiscussionTarget.section, sec.id)] = f"Section {sec.code} {sec.title}"
    for item in findings.list_findings(s, report_id=report_id):
        out[(DiscussionTarget.finding, item.id)] = (
            f"Finding {item.code} — {ui.shorten(item.statement, 70)}"
        )
    for item in consensus.list_items(s, report_id=report_id):
        out[(DiscussionTarget.consensus_item, item.id)] = (
            f"Consensus item — {ui.shorten(item.statement, 70)}"
        )
    for item in recommendations.list_recommendations(s, report_id=report_id):
        out[(DiscussionTarget.recommendation, item.id)] = (
            f"Recommendation {item.code} — {ui.shorten(item.text, 70)}"
        )
    for item in initiatives.list_initiatives(s, report_id=report_id):
        out[(DiscussionTarget.initiative, item.id)] = f"Initiative — {ui.shorten(item.name, 70)}"
    return out


def _direct_thread(s: Session, ctx: ui.PageContext) -> DiscussionThread | None:
    """Return the thread ``?thread=<id>`` names when it belongs to this report (else say so)."""
    wanted = st.query_params.get(ui.THREAD_PARAM)
    if not wanted:
        return None
    if not wanted.isdigit():
        st.warning(f"The address names discussion {ui.md(wanted)}, which does not exist.")
        return None
    try:
        thread = discussions.get_thread(s, int(wanted), actor=ctx.person)
    except WorkbenchError as exc:
        st.warning(ui.md_message(exc.message))
        return None
    if thread.report_id != ctx.report.id:
        st.warning("The discussion the address names belongs to another report.")
        return None
    return thread


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title("Discussions")
    ui.require(ctx, s, Action.read_report)
    ui.flash()
    may_discuss = ui.allowed(ctx, s, Action.discuss)
    st.caption(
        "The authors' conversations about the report's sections, findings, consensus items, "
        "recommendations and initiatives. They are not review comments: they never enter the "
        "comment table."
        + ("" if may_discuss else " You can read them; the authors and Review Editors write.")
    )
    direct = _direct_thread(s, ctx)
    status_col, part_col, mine_col = st.columns([1.2, 1.2, 1], vertical_alignment="bottom")
    status = status_col.segmented_control(
        "Status",
        list(STATUSES),
        format_func=STATUSES.__getitem__,
        default="open" if direct is None else "",
        key="disc_status",
    )
    part = part_col.selectbox("Part", list(PARTS), format_func=PARTS.__getitem__, key="disc_part")
    mine = mine_col.toggle(
        "Only mine",
        key="disc_mine",
        help="Discussions you started, wrote in or are mentioned in.",
    )
    filters = {
        "report_id": ctx.report.id,
        "status": status or None,
        "target": part or None,
        "person_id": ctx.person.id if mine else None,
        "actor": ctx.person,
    }
    _, total = discussions.threads(s, **filters, limit=1)
    offset = ui.pager(total, key="disc_page", page_size=PAGE_SIZE)
    listed, total = discussions.threads(s, **filters, limit=PAGE_SIZE, offset=offset)
    ids = [x.thread.id for x in listed]
    if direct is not None and direct.id not in ids:
        # A link names a thread the filters hide: show it first anyway.
        same_item, _ = discussions.threads(
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
            "No discussion matches these filters."
            if total == 0 and (status or part or mine)
            else "No discussions yet."
        )
    else:
        st.caption(f"{total:,} discussion{'s' if total != 1 else ''} match; open ones first.")
    for summary in listed:
        with st.container(border=True, key=f"disc_row_{summary.thread.id}"):
            ui.thread_row(summary, key=KEY, opened=summary.thread.id == opened, show_target=True)
            if summary.thread.id == opened:
                page_and_query = ui.link_target(summary.link)
                if page_and_query is not None:
                    st.page_link(
                        page_and_query[0],
                        label=f"Go to {summary.target_label}",
                        query_params=page_and_query[1],
                        icon=":material/arrow_forward:",
                    )
                ui.thread_view(s, ctx, summary.thread.id, key=KEY)
    if may_discuss:
        st.divider()
        ui.new_thread_form(s, ctx, None, None, key=KEY, targets=targets(s, ctx.report.id))
