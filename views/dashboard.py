"""Dashboard: what to do next first, then my work, the report's progress and the Council.

It opens with the person's next steps (:mod:`workbench.next_steps`), most urgent
first, each one click from the page where it is done; opening it records a visit
to the chosen report, so "new since your last visit" means something. Then
everyone sees the sections they lead or co-author in the chosen report. CLAs and
the Secretariat also see the report's progress: sections by status, the four
synthesis questions' coverage, overdue sections, words against targets, progress
over time and the team's rule warnings. The Secretariat sees every report in one
table; Council members and the Secretariat see what is before the Council.
"""

from __future__ import annotations

from datetime import date, datetime

import altair as alt
import pandas as pd
import streamlit as st
from sqlmodel import Session
from streamlit.errors import StreamlitAPIException

import ui
from workbench import council, next_steps, reports, reviews, sections, teams
from workbench.models import (
    AUTHOR_ROLES,
    DecisionStatus,
    Question,
    Role,
    Section,
    SectionStatus,
    Stage,
    utcnow,
)
from workbench.next_steps import NextStep, Page, Urgency
from workbench.permissions import Action

STATUS_ORDER = [status.label for status in SectionStatus]
# How each urgency looks: a coloured badge with a Material icon (no emoji font needed).
BADGES = {
    Urgency.blocking: ":red-badge[:material/block: First]",
    Urgency.overdue: ":red-badge[:material/alarm: Overdue]",
    Urgency.due_soon: ":orange-badge[:material/schedule: Due soon]",
    Urgency.waiting: ":blue-badge[:material/hourglass_top: Waiting for you]",
    Urgency.new: ":violet-badge[:material/fiber_new: New]",
    Urgency.to_do: ":gray-badge[:material/checklist: To do]",
    Urgency.update: ":green-badge[:material/info: Update]",
}
PAGE_ICONS = {
    Page.dashboard: ":material/home:",
    Page.write: ":material/edit_note:",
    Page.outline: ":material/account_tree:",
    Page.review: ":material/rate_review:",
    Page.council: ":material/account_balance:",
    Page.team: ":material/groups:",
    Page.admin: ":material/admin_panel_settings:",
}


def due_text(section: Section, today: date) -> str:
    """Return the section's due date as words, in red when it is overdue."""
    if section.due_date is None:
        return "no due date"
    when = f"{section.due_date:%d %b %Y}"
    if section.due_date < today and section.status != SectionStatus.accepted:
        days = (today - section.due_date).days
        return f":red[**Overdue** — was due {when} ({days} days ago)]"
    return f"due {when}"


def words_text(section: Section) -> str:
    """Return 'words / target words' (or just the words when there is no target)."""
    if section.word_target:
        return f"{section.words:,} / {section.word_target:,} words"
    return f"{section.words:,} words (no target)"


def my_work(s: Session, ctx: ui.PageContext, outline: list[Section], today: date) -> None:
    """Show the sections the signed-in person leads or co-authors (nothing for workspace roles)."""
    if not ctx.has(*AUTHOR_ROLES, Role.reviewer, Role.review_editor):
        return  # the Council and the Secretariat have no sections: their work follows
    st.header("My work")
    # An unsigned Code of Ethics is the first of the next steps (see what_next).
    coauthors = sections.coauthors_by_section(s, ctx.report.id)
    mine = [
        sec
        for sec in outline
        if sec.lead_author_id == ctx.person.id or ctx.person.id in coauthors.get(sec.id, [])
    ]
    if not mine:
        if ctx.has(*AUTHOR_ROLES):
            st.info(
                "You do not lead or co-author any section of this report yet. "
                "A CLA assigns sections on the Outline & assignments page."
            )
        else:
            st.info("You write no sections here. Review comments are on the Review page.")
            st.page_link(
                "views/review.py", label="Go to the Review page", icon=":material/rate_review:"
            )
        return
    open_comments = reviews.open_comment_counts(s, report_id=ctx.report.id)
    may_write = ctx.has(*AUTHOR_ROLES)
    for sec in mine:
        role = "the lead author" if sec.lead_author_id == ctx.person.id else "a co-author"
        with st.container(border=True):
            left, middle, right = st.columns([3, 2, 1.3])
            left.markdown(f"**{ui.md(sec.code)} {ui.md(sec.title)}**  \nYou are {role}.")
            left.markdown(f"{ui.label(sec.status)} · {due_text(sec, today)}")
            target = sec.word_target or 0
            share = min(sec.words / target, 1.0) if target else 0.0
            middle.progress(share, text=words_text(sec))
            count = open_comments.get(sec.id, 0)
            middle.markdown(
                f"{count} open review comment{'s' if count != 1 else ''}"
                if count
                else "No open review comments"
            )
            if may_write:
                with right:
                    st.page_link(
                        "views/write.py",
                        label="Write",
                        icon=":material/edit_note:",
                        query_params={"report": ctx.report.slug, "section": str(sec.id)},
                    )


def report_progress(s: Session, ctx: ui.PageContext, outline: list[Section], today: date) -> None:
    """Show the report's progress for CLAs and the Secretariat."""
    report = ctx.report
    st.header("Report progress")
    progress = reports.report_progress(s, report, today=today)
    if not outline:
        st.info(
            "This report has no outline yet. A CLA creates it from the template on the "
            "Outline & assignments page."
        )
    cols = st.columns(4)
    cols[0].metric(
        "Sections accepted",
        f"{progress.by_status.get(SectionStatus.accepted.value, 0)} of {progress.sections}",
    )
    cols[1].metric(
        "Words written",
        f"{progress.words:,}",
        help=f"Target for the whole report: {progress.word_target:,} words.",
    )
    cols[2].metric("Overdue sections", progress.overdue)
    cols[3].metric("Open review comments", progress.open_comments)
    if not outline:
        return

    names = ui.people_names(s, [sec.lead_author_id for sec in outline])
    open_comments = reviews.open_comment_counts(s, report_id=report.id)
    table = pd.DataFrame(
        [
            {
                "Code": sec.code,
                "Title": sec.title,
                "Part": ui.SHORT_PART[Question(sec.question)],
                "Lead author": names.get(sec.lead_author_id, "— unassigned —"),
                "Status": ui.label(sec.status),
                "Due": sec.due_date,
                "Words": sec.words,
                "Target": sec.word_target,
                "Open comments": open_comments.get(sec.id, 0),
            }
            for sec in outline
        ]
    )

    st.subheader("Sections by status")
    counts = pd.DataFrame(
        {
            "Status": STATUS_ORDER,
            "Sections": [progress.by_status.get(status.value, 0) for status in SectionStatus],
        }
    )
    st.altair_chart(
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("Sections:Q", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("Status:N", sort=STATUS_ORDER, title=None, axis=alt.Axis(labelOverlap=False)),
            tooltip=["Status", "Sections"],
        )
        .properties(height=210),
        width="stretch",
    )
    st.dataframe(
        ui.safe_table(table),
        hide_index=True,
        width="stretch",
        column_config={
            "Part": st.column_config.TextColumn(
                help="Q1 What is known? · Q2 What is desirable? · Q3 What are the major "
                "obstacles and opportunities? · Q4 What can be done, and by whom?"
            ),
            "Due": st.column_config.DateColumn(format="D MMM YYYY"),
            "Words": st.column_config.NumberColumn(format="%d"),
            "Target": st.column_config.NumberColumn(format="%d"),
        },
        key="dash_sections",
    )

    st.subheader("The four synthesis questions")
    coverage = sections.coverage(s, report.id)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Question": cov.question.label,
                    "Answered": "Yes" if cov.covered else "Not yet",
                    "Sections": cov.sections,
                    "With text": cov.with_text,
                    "Accepted": cov.accepted,
                    "Words": cov.words,
                    "Target": cov.word_target,
                }
                for cov in coverage
            ]
        ),
        hide_index=True,
        width="stretch",
        key="dash_coverage",
    )
    gaps = sections.coverage_gaps(s, report.id)
    for gap in gaps:
        st.warning(ui.md_message(gap))
    if not gaps:
        st.success("Every synthesis question has at least one section with text.")

    st.subheader("Overdue")
    overdue = [
        sec
        for sec in outline
        if sec.due_date and sec.due_date < today and sec.status != SectionStatus.accepted
    ]
    if overdue:
        for sec in overdue:
            st.markdown(
                f"- **{ui.md(sec.code)} {ui.md(sec.title)}** "
                f"({ui.md(names.get(sec.lead_author_id, 'unassigned'))}, "
                f"{ui.label(sec.status).lower()}) — {due_text(sec, today)}"
            )
    else:
        st.success("Nothing is overdue.")

    st.subheader("Words against targets")
    words = pd.DataFrame(
        [{"Section": sec.code, "Measure": "Words written", "Words": sec.words} for sec in outline]
        + [
            {"Section": sec.code, "Measure": "Target", "Words": sec.word_target or 0}
            for sec in outline
        ]
    )
    order = [sec.code for sec in outline]
    st.altair_chart(
        alt.Chart(words)
        .mark_bar()
        .encode(
            x=alt.X("Section:N", sort=order),
            xOffset=alt.XOffset("Measure:N", sort=["Words written", "Target"]),
            y=alt.Y("Words:Q"),
            color=alt.Color(
                "Measure:N",
                sort=["Words written", "Target"],
                scale=alt.Scale(range=["#1f6feb", "#c9d1d9"]),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=["Section", "Measure", "Words"],
        ),
        width="stretch",
    )

    st.subheader("Progress over time")
    days = reports.progress_over_time(s, report.id)
    if not days:
        st.info("No text has been saved in this report yet.")
    elif len(days) == 1:
        st.markdown(
            f"All {days[0].total_revisions:,} revisions so far were saved on "
            f"{days[0].day:%d %B %Y}, for {days[0].total_words:,} words. The chart of progress "
            "over time appears once work has been saved on a second day."
        )
    else:
        history = pd.DataFrame(
            [
                {
                    "Day": d.day,
                    "Words in the report": d.total_words,
                    "Revisions saved that day": d.revisions,
                }
                for d in days
            ]
        )
        line = (
            alt.Chart(history)
            .mark_line(point=True)
            .encode(
                x=alt.X("Day:T", title=None),
                y=alt.Y("Words in the report:Q"),
                tooltip=["Day:T", "Words in the report", "Revisions saved that day"],
            )
        )
        st.altair_chart(line, width="stretch")
        st.caption(
            f"{days[-1].total_revisions:,} revisions saved over {len(days)} days; "
            "each point is the report's word count at the end of a day (UTC)."
        )

    st.subheader("Team rules")
    warnings = teams.team_warnings(s, report)
    for warning in warnings:
        st.warning(ui.md_message(warning))
    if not warnings:
        st.success("The team meets the Panel's rules.")


def show_step(step: NextStep) -> None:
    """Show one next step: how urgent, what, and a link to the page where it is done."""
    with st.container(border=True):
        left, right = st.columns([5, 1.3], vertical_alignment="center")
        left.markdown(f"{BADGES[step.urgency]} **{ui.md(step.title)}**")
        if step.detail:
            left.caption(ui.md(step.detail))
        with right:
            try:
                st.page_link(
                    f"views/{step.page.value}.py",
                    label=step.link,
                    icon=PAGE_ICONS[step.page],
                    query_params=step.params,
                )
            except StreamlitAPIException:
                # The page is not in this person's navigation (their roles changed meanwhile).
                st.caption(f"On the {step.page.value.capitalize()} page")


def what_next(s: Session, ctx: ui.PageContext, today: date, since: datetime | None) -> None:
    """Show what the person should do now, most urgent first (or say kindly that nothing is)."""
    st.header("What next")
    steps = next_steps.next_steps(s, person=ctx.person, report=ctx.report, today=today, since=since)
    if not steps:
        st.success(
            "Nothing needs you right now. Due dates, review comments and Council votes that "
            "concern you will appear here.",
            icon=":material/task_alt:",
        )
        return
    for step in steps:
        show_step(step)


def every_report(s: Session, today: date) -> None:
    """Show the Secretariat every report in one table: stage, progress, rounds, decisions."""
    st.header("Every report")
    rows = next_steps.report_overview(s, today=today)
    if not rows:
        st.info("There are no reports yet. Create the first one on the Admin page.")
        return
    st.dataframe(
        ui.safe_table(
            pd.DataFrame(
                [
                    {
                        # The title before its colon: the subtitle would hide the other columns.
                        "Report": ui.shorten(row.title.split(":")[0], 48),
                        "Stage": row.stage.label,
                        "Due": row.due_date,
                        "Accepted": f"{row.accepted} of {row.sections}",
                        "Overdue": row.overdue,
                        "Open comments": row.open_comments,
                        "Council": row.decisions,
                        "Review rounds": row.rounds,
                    }
                    for row in rows
                ]
            )
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Report": st.column_config.TextColumn(width="medium", help="The report's title"),
            "Accepted": st.column_config.TextColumn(help="Sections accepted, of all sections"),
            "Overdue": st.column_config.NumberColumn(help="Sections past their due date"),
            "Open comments": st.column_config.NumberColumn(
                help="Review comments without a disposition yet"
            ),
            "Council": st.column_config.TextColumn(help="The report's Council decisions"),
            "Review rounds": st.column_config.TextColumn(
                width="large", help="The open round first, with its closing date"
            ),
            "Due": st.column_config.DateColumn(format="D MMM YYYY", help="The report's due date"),
        },
        key="dash_every_report",
    )
    st.caption("Choose a report in the sidebar to see its progress below.")


def council_work(s: Session, ctx: ui.PageContext) -> None:
    """Show what is before the Council: reports at council review and the open decisions."""
    st.header("Before the Council")
    every_report = reports.list_reports(s)
    at_review = [p for p in every_report if p.stage is Stage.council_review]
    every_decision = council.list_decisions(s)
    statuses = council.decision_statuses(s, every_decision)
    open_decisions = [d for d in every_decision if statuses[d.id] is DecisionStatus.open]
    if not at_review and not open_decisions:
        st.info("The Council has no open decision, and no report is at the council review stage.")
        return
    for progress in at_review:
        st.markdown(
            f"- **{ui.md(progress.title)}** is at the council review stage, "
            f"due {progress.due_date:%d %B %Y}"
        )
    if not at_review:
        st.caption("No report is at the council review stage.")
    mine = {d.id for d in next_steps.awaiting_vote(s, person=ctx.person)}
    titles = {p.id: p.title for p in every_report}
    if open_decisions:
        st.markdown("**Open decisions**")
        for decision in open_decisions:
            tally = council.current_tally(s, decision)
            voted = tally.members - tally.not_voted
            st.markdown(
                f"- **{ui.md(decision.title)}** ({ui.label(decision.kind).lower()}, "
                f"{ui.md(titles.get(decision.report_id, 'unknown report'))}, "
                f"{next_steps.version_text(decision.text_hash)}) — "
                f"{voted} of {tally.members} members have voted; rule: {ui.label(decision.rule)}"
                + (" — **awaiting your vote**" if decision.id in mine else "")
            )
        st.page_link(
            "views/council.py", label="Go to the Council page", icon=":material/account_balance:"
        )


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title("Dashboard")
    ui.frozen_notice(ctx, s)
    ui.flash()
    today = utcnow().date()
    if ctx.report is None:
        if ctx.has(Role.secretariat):
            st.info("There are no reports yet. Create the first one on the Admin page.")
        elif not ctx.has(Role.council_member):
            st.info(
                "You are not part of any report yet. The Secretariat or a report's CLAs can "
                "add you to a team."
            )
        if ctx.has(Role.council_member, Role.secretariat):
            what_next(s, ctx, today, None)
    else:
        ui.require(ctx, s, Action.read_report)
        report = ctx.report
        # What is new since the last visit stays new for the whole of this visit.
        since = next_steps.record_visit(s, person=ctx.person, report=report)
        days_left = (report.due_date - today).days
        st.markdown(
            f"**{ui.md(report.title)}** · stage: **{ui.label(report.stage)}** · "
            f"due {report.due_date:%d %B %Y}"
            + (f" ({days_left} days left)" if days_left >= 0 else " (past due)")
        )
        what_next(s, ctx, today, since)
        if ctx.has(Role.secretariat):
            every_report(s, today)
        ui.export_panel(s, ctx, key="dash_export")
        outline = sections.list_sections(s, report.id)
        my_work(s, ctx, outline, today)
        if ctx.has(Role.cla, Role.secretariat):
            report_progress(s, ctx, outline, today)
    if ctx.has(Role.council_member, Role.secretariat):
        council_work(s, ctx)
