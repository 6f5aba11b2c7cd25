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
from workbench import council, i18n, next_steps, reports, reviews, sections, teams
from workbench.i18n import N_, _, ngettext
from workbench.models import (
    AUTHOR_ROLES,
    DecisionStatus,
    Role,
    Section,
    SectionStatus,
    Stage,
    utcnow,
)
from workbench.next_steps import NextStep, Page, Urgency
from workbench.permissions import Action

# How each urgency looks: a coloured badge with a Material icon (no emoji font needed).
BADGES = {
    Urgency.blocking: N_(":red-badge[:material/block: First]"),
    Urgency.overdue: N_(":red-badge[:material/alarm: Overdue]"),
    Urgency.due_soon: N_(":orange-badge[:material/schedule: Due soon]"),
    Urgency.waiting: N_(":blue-badge[:material/hourglass_top: Waiting for you]"),
    Urgency.new: N_(":violet-badge[:material/fiber_new: New]"),
    Urgency.to_do: N_(":gray-badge[:material/checklist: To do]"),
    Urgency.update: N_(":green-badge[:material/info: Update]"),
}
# How a date is written: '05 Dec 2026' in tables and lines, '5 December 2026' in sentences.
SHORT_DATE = "dd MMM y"
LONG_DATE = "dd MMMM y"
OVERDUE_LISTED = 20  # overdue sections listed by name; the table has them all
CHART_SECTIONS = 80  # beyond this many sections, words against targets are shown by part

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
        return _("no due date")
    when = i18n.format_date(section.due_date, format=SHORT_DATE)
    if section.due_date < today and section.status != SectionStatus.accepted:
        days = (today - section.due_date).days
        return ngettext(
            ":red[**Overdue** — was due {when} ({n} day ago)]",
            ":red[**Overdue** — was due {when} ({n} days ago)]",
            days,
        ).format(when=when, n=i18n.format_number(days))
    return _("due {when}").format(when=when)


def words_text(section: Section) -> str:
    """Return 'words / target words' (or just the words when there is no target)."""
    if section.word_target:
        return _("{words} / {target} words").format(
            words=i18n.format_number(section.words),
            target=i18n.format_number(section.word_target),
        )
    return ngettext("{n} word (no target)", "{n} words (no target)", section.words).format(
        n=i18n.format_number(section.words)
    )


def my_work(s: Session, ctx: ui.PageContext, outline: list[Section], today: date) -> None:
    """Show the sections the signed-in person leads or co-authors (nothing for workspace roles)."""
    if not ctx.has(*AUTHOR_ROLES, Role.reviewer, Role.review_editor):
        return  # the Council and the Secretariat have no sections: their work follows
    st.header(_("My work"))
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
                _(
                    "You do not lead or co-author any section of this report yet. "
                    "A CLA assigns sections on the Outline & assignments page."
                )
            )
        else:
            st.info(_("You write no sections here. Review comments are on the Review page."))
            st.page_link(
                "views/review.py", label=_("Go to the Review page"), icon=":material/rate_review:"
            )
        return
    open_comments = reviews.open_comment_counts(s, report_id=ctx.report.id)
    may_write = ctx.has(*AUTHOR_ROLES)
    for sec in mine:
        role = (
            _("You are the lead author.")
            if sec.lead_author_id == ctx.person.id
            else _("You are a co-author.")
        )
        with st.container(border=True):
            left, middle, right = st.columns([3, 2, 1.3])
            left.markdown(f"**{ui.md(sec.code)} {ui.md(sec.title)}**  \n{role}")
            left.markdown(f"{ui.label(sec.status)} · {due_text(sec, today)}")
            target = sec.word_target or 0
            share = min(sec.words / target, 1.0) if target else 0.0
            middle.progress(share, text=words_text(sec))
            count = open_comments.get(sec.id, 0)
            middle.markdown(
                ngettext("{n} open review comment", "{n} open review comments", count).format(
                    n=i18n.format_number(count)
                )
                if count
                else _("No open review comments")
            )
            if may_write:
                with right:
                    st.page_link(
                        "views/write.py",
                        label=_("Write"),
                        icon=":material/edit_note:",
                        query_params={"report": ctx.report.slug, "section": str(sec.id)},
                    )


def report_progress(s: Session, ctx: ui.PageContext, outline: list[Section], today: date) -> None:
    """Show the report's progress for CLAs and the Secretariat."""
    report = ctx.report
    st.header(_("Report progress"))
    progress = reports.report_progress(s, report, today=today)
    if not outline:
        st.info(
            _(
                "This report has no outline yet. A CLA creates it from the template on the "
                "Outline & assignments page."
            )
        )
    cols = st.columns(4)
    cols[0].metric(
        _("Sections accepted"),
        _("{accepted} of {sections}").format(
            accepted=i18n.format_number(progress.by_status.get(SectionStatus.accepted.value, 0)),
            sections=i18n.format_number(progress.sections),
        ),
    )
    cols[1].metric(
        _("Words written"),
        i18n.format_number(progress.words),
        help=_("Target for the whole report: {n} words.").format(
            n=i18n.format_number(progress.word_target)
        ),
    )
    cols[2].metric(_("Overdue sections"), progress.overdue)
    cols[3].metric(_("Open review comments"), progress.open_comments)
    if not outline:
        return

    names = ui.people_names(s, [sec.lead_author_id for sec in outline])
    open_comments = reviews.open_comment_counts(s, report_id=report.id)
    part, due, words_col, target = _("Part"), _("Due"), _("Words"), _("Target")
    table = pd.DataFrame(
        [
            {
                _("Code"): sec.code,
                _("Title"): sec.title,
                part: ui.short_part(sec.question),
                _("Lead author"): names.get(sec.lead_author_id, _("— unassigned —")),
                _("Status"): ui.label(sec.status),
                due: sec.due_date,
                words_col: sec.words,
                target: sec.word_target,
                _("Open comments"): open_comments.get(sec.id, 0),
            }
            for sec in outline
        ]
    )

    st.subheader(_("Sections by status"))
    status_order = [ui.label(status) for status in SectionStatus]
    status_col, sections_col = _("Status"), _("Sections")
    counts = pd.DataFrame(
        {
            status_col: status_order,
            sections_col: [progress.by_status.get(status.value, 0) for status in SectionStatus],
        }
    )
    st.altair_chart(
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X(f"{sections_col}:Q", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(
                f"{status_col}:N",
                sort=status_order,
                title=None,
                axis=alt.Axis(labelOverlap=False),
            ),
            tooltip=[status_col, sections_col],
        )
        .properties(height=210),
        width="stretch",
    )
    st.dataframe(
        ui.safe_table(table),
        hide_index=True,
        width="stretch",
        column_config={
            part: st.column_config.TextColumn(
                help=_(
                    "Q1 What is known? · Q2 What is desirable? · Q3 What are the major "
                    "obstacles and opportunities? · Q4 What can be done, and by whom?"
                )
            ),
            due: st.column_config.DateColumn(format="D MMM YYYY"),
            words_col: st.column_config.NumberColumn(format="%d"),
            target: st.column_config.NumberColumn(format="%d"),
        },
        key="dash_sections",
    )

    st.subheader(_("The four synthesis questions"))
    coverage = sections.coverage(s, report.id)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    _("Question"): ui.label(cov.question),
                    _("Answered"): _("Yes") if cov.covered else _("Not yet"),
                    sections_col: cov.sections,
                    _("With text"): cov.with_text,
                    _("Accepted"): cov.accepted,
                    words_col: cov.words,
                    target: cov.word_target,
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
        st.success(_("Every synthesis question has at least one section with text."))

    st.subheader(_("Overdue"))
    overdue = [
        sec
        for sec in outline
        if sec.due_date and sec.due_date < today and sec.status != SectionStatus.accepted
    ]
    if overdue:
        # The longest overdue first; a large report's whole list is in the table above.
        overdue.sort(key=lambda sec: sec.due_date)
        lines = [
            _("- **{code} {title}** ({lead}, {status}) — {due}").format(
                code=ui.md(sec.code),
                title=ui.md(sec.title),
                lead=ui.md(names.get(sec.lead_author_id, _("unassigned"))),
                status=ui.label(sec.status).lower(),
                due=due_text(sec, today),
            )
            for sec in overdue[:OVERDUE_LISTED]
        ]
        st.markdown("\n".join(lines))
        if len(overdue) > OVERDUE_LISTED:
            more = len(overdue) - OVERDUE_LISTED
            st.caption(
                ngettext(
                    "And {n} more overdue section: sort the table above by its due date.",
                    "And {n} more overdue sections: sort the table above by their due date.",
                    more,
                ).format(n=i18n.format_number(more))
            )
    else:
        st.success(_("Nothing is overdue."))

    st.subheader(_("Words against targets"))
    section_col, measure_col = _("Section"), _("Measure")
    written, target_measure = _("Words written"), _("Target")
    by_part = len(outline) > CHART_SECTIONS
    if not by_part:
        bars = [(sec.code, sec.words, sec.word_target or 0) for sec in outline]
    else:
        # Hundreds of bars read as a smear: a large report's chart shows its parts.
        section_col = _("Part")
        by_part: dict[str, list[int]] = {}
        for sec in outline:
            totals = by_part.setdefault(ui.short_part(sec.question), [0, 0])
            totals[0] += sec.words
            totals[1] += sec.word_target or 0
        bars = [(name, done, aim) for name, (done, aim) in by_part.items()]
        st.caption(
            _(
                "With {n} sections the chart adds them up by part; the table above has each "
                "section's words and target."
            ).format(n=i18n.format_number(len(outline)))
        )
    words = pd.DataFrame(
        [{section_col: code, measure_col: written, words_col: done} for code, done, _aim in bars]
        + [
            {section_col: code, measure_col: target_measure, words_col: aim}
            for code, _done, aim in bars
        ]
    )
    order = [code for code, _done, _aim in bars]
    st.altair_chart(
        alt.Chart(words)
        .mark_bar()
        .encode(
            x=alt.X(
                f"{section_col}:N",
                sort=order,
                axis=alt.Axis(labelAngle=0) if by_part else alt.Undefined,
            ),
            xOffset=alt.XOffset(f"{measure_col}:N", sort=[written, target_measure]),
            y=alt.Y(f"{words_col}:Q"),
            color=alt.Color(
                f"{measure_col}:N",
                sort=[written, target_measure],
                scale=alt.Scale(range=["#1f6feb", "#c9d1d9"]),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=[section_col, measure_col, words_col],
        ),
        width="stretch",
    )

    st.subheader(_("Progress over time"))
    days = reports.progress_over_time(s, report.id)
    if not days:
        st.info(_("No text has been saved in this report yet."))
    elif len(days) == 1:
        st.markdown(
            _(
                "All {revisions} revisions so far were saved on {day}, for {words} words. The "
                "chart of progress over time appears once work has been saved on a second day."
            ).format(
                revisions=i18n.format_number(days[0].total_revisions),
                day=i18n.format_date(days[0].day, format=LONG_DATE),
                words=i18n.format_number(days[0].total_words),
            )
        )
    else:
        day_col, total_col = _("Day"), _("Words in the report")
        saved_col = _("Revisions saved that day")
        history = pd.DataFrame(
            [{day_col: d.day, total_col: d.total_words, saved_col: d.revisions} for d in days]
        )
        line = (
            alt.Chart(history)
            .mark_line(point=True)
            .encode(
                x=alt.X(f"{day_col}:T", title=None),
                y=alt.Y(f"{total_col}:Q"),
                tooltip=[f"{day_col}:T", total_col, saved_col],
            )
        )
        st.altair_chart(line, width="stretch")
        st.caption(
            _(
                "{revisions} revisions saved over {days} days; each point is the report's word "
                "count at the end of a day (UTC)."
            ).format(
                revisions=i18n.format_number(days[-1].total_revisions),
                days=i18n.format_number(len(days)),
            )
        )

    st.subheader(_("Team rules"))
    warnings = teams.team_warnings(s, report)
    for warning in warnings:
        st.warning(ui.md_message(warning))
    if not warnings:
        st.success(_("The team meets the Panel's rules."))


def show_step(step: NextStep) -> None:
    """Show one next step: how urgent, what, and a link to the page where it is done."""
    with st.container(border=True):
        left, right = st.columns([5, 1.3], vertical_alignment="center")
        left.markdown(f"{_(BADGES[step.urgency])} **{ui.md(i18n.render(step.title))}**")
        if step.detail:
            left.caption(ui.md(i18n.render(step.detail)))
        with right:
            try:
                st.page_link(
                    f"views/{step.page.value}.py",
                    label=step.link or ui.open_label(),
                    icon=PAGE_ICONS[step.page],
                    query_params=step.params,
                )
            except StreamlitAPIException:
                # The page is not in this person's navigation (their roles changed meanwhile).
                st.caption(_("On the {page} page").format(page=_(step.page.value.capitalize())))


def what_next(s: Session, ctx: ui.PageContext, today: date, since: datetime | None) -> None:
    """Show what the person should do now, most urgent first (or say kindly that nothing is)."""
    st.header(_("What next"))
    steps = next_steps.next_steps(s, person=ctx.person, report=ctx.report, today=today, since=since)
    if not steps:
        st.success(
            _(
                "Nothing needs you right now. Due dates, review comments and Council votes that "
                "concern you will appear here."
            ),
            icon=":material/task_alt:",
        )
        return
    for step in steps:
        show_step(step)


def every_report(s: Session, today: date) -> None:
    """Show the Secretariat every report in one table: stage, progress, rounds, decisions."""
    st.header(_("Every report"))
    rows = next_steps.report_overview(s, today=today)
    if not rows:
        st.info(_("There are no reports yet. Create the first one on the Admin page."))
        return
    report_col, due_col, accepted_col = _("Report"), _("Due"), _("Accepted")
    overdue_col, comments_col = _("Overdue"), _("Open comments")
    council_col, rounds_col = _("Council"), _("Review rounds")
    st.dataframe(
        ui.safe_table(
            pd.DataFrame(
                [
                    {
                        # The title before its colon: the subtitle would hide the other columns.
                        report_col: ui.shorten(row.title.split(":")[0], 48),
                        _("Stage"): ui.label(row.stage),
                        due_col: row.due_date,
                        accepted_col: _("{accepted} of {sections}").format(
                            accepted=i18n.format_number(row.accepted),
                            sections=i18n.format_number(row.sections),
                        ),
                        overdue_col: row.overdue,
                        comments_col: row.open_comments,
                        council_col: i18n.render(row.decisions),
                        rounds_col: i18n.render(row.rounds),
                    }
                    for row in rows
                ]
            )
        ),
        hide_index=True,
        width="stretch",
        column_config={
            report_col: st.column_config.TextColumn(width="medium", help=_("The report's title")),
            accepted_col: st.column_config.TextColumn(help=_("Sections accepted, of all sections")),
            overdue_col: st.column_config.NumberColumn(help=_("Sections past their due date")),
            comments_col: st.column_config.NumberColumn(
                help=_("Review comments without a disposition yet")
            ),
            council_col: st.column_config.TextColumn(help=_("The report's Council decisions")),
            rounds_col: st.column_config.TextColumn(
                width="large", help=_("The open round first, with its closing date")
            ),
            due_col: st.column_config.DateColumn(
                format="D MMM YYYY", help=_("The report's due date")
            ),
        },
        key="dash_every_report",
    )
    st.caption(_("Choose a report in the sidebar to see its progress below."))


def council_work(s: Session, ctx: ui.PageContext) -> None:
    """Show what is before the Council: reports at council review and the open decisions."""
    st.header(_("Before the Council"))
    every_report = reports.list_reports(s)
    at_review = [p for p in every_report if p.stage is Stage.council_review]
    every_decision = council.list_decisions(s)
    statuses = council.decision_statuses(s, every_decision)
    open_decisions = [d for d in every_decision if statuses[d.id] is DecisionStatus.open]
    if not at_review and not open_decisions:
        st.info(
            _("The Council has no open decision, and no report is at the council review stage.")
        )
        return
    for progress in at_review:
        st.markdown(
            _("- **{title}** is at the council review stage, due {due}").format(
                title=ui.md(progress.title),
                due=i18n.format_date(progress.due_date, format=LONG_DATE),
            )
        )
    if not at_review:
        st.caption(_("No report is at the council review stage."))
    mine = {d.id for d in next_steps.awaiting_vote(s, person=ctx.person)}
    titles = {p.id: p.title for p in every_report}
    if open_decisions:
        st.markdown("**{}**".format(_("Open decisions")))
        for decision in open_decisions:
            tally = council.current_tally(s, decision)
            voted = tally.members - tally.not_voted
            line = _(
                "- **{title}** ({kind}, {report}, {version}) — {voted} of {members} members have "
                "voted; rule: {rule}"
            ).format(
                title=ui.md(decision.title),
                kind=ui.label(decision.kind).lower(),
                report=ui.md(titles.get(decision.report_id, _("unknown report"))),
                version=i18n.render(next_steps.version_text(decision.text_hash)),
                voted=i18n.format_number(voted),
                members=i18n.format_number(tally.members),
                rule=ui.label(decision.rule),
            )
            if decision.id in mine:
                line = _("{line} — **awaiting your vote**").format(line=line)
            st.markdown(line)
        st.page_link(
            "views/council.py",
            label=_("Go to the Council page"),
            icon=":material/account_balance:",
        )


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title(_("Dashboard"))
    ui.frozen_notice(ctx, s)
    ui.flash()
    today = utcnow().date()
    if ctx.report is None:
        if ctx.has(Role.secretariat):
            st.info(_("There are no reports yet. Create the first one on the Admin page."))
        elif not ctx.has(Role.council_member):
            st.info(
                _(
                    "You are not part of any report yet. The Secretariat or a report's CLAs can "
                    "add you to a team."
                )
            )
        if ctx.has(Role.council_member, Role.secretariat):
            what_next(s, ctx, today, None)
    else:
        ui.require(ctx, s, Action.read_report)
        report = ctx.report
        # What is new since the last visit stays new for the whole of this visit.
        since = next_steps.record_visit(s, person=ctx.person, report=report)
        days_left = (report.due_date - today).days
        facts = _("**{title}** · stage: **{stage}** · due {due}").format(
            title=ui.md(report.title),
            stage=ui.label(report.stage),
            due=i18n.format_date(report.due_date, format=LONG_DATE),
        )
        if days_left >= 0:
            left = ngettext("{facts} ({n} day left)", "{facts} ({n} days left)", days_left)
            facts = left.format(facts=facts, n=i18n.format_number(days_left))
        else:
            facts = _("{facts} (past due)").format(facts=facts)
        st.markdown(facts)
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
