"""Council: the Coordination Council's decisions on a report, the votes, and the text they bind.

Council members read the report and vote on its approval and on reform
endorsements; the Secretariat opens and closes decisions; the report's CLAs
follow the tally and may withdraw an open decision, on the record, when the text
must change. A report approval is bound to the whole content it was opened on,
quoted as its **version** (the first 12 hex digits of the content's SHA-256, as the
exported document prints it); nothing of it can change while the vote is open. A
reform endorsement rests on findings that are checked again when it closes.

"Read the report" shows the report as the export prints it (the same document and
version id): a contents list that jumps to each part, the sections in question
order with citations rendered, the findings, consensus and false solutions as
tables, the recommendations, references and annexes; the Word or PDF file of that
very version is one click away.
"""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st
from sqlmodel import Session

import ui
from workbench import content, council, export, i18n, recommendations, reports, sections
from workbench.i18n import N_, _
from workbench.models import (
    Confidence,
    CouncilDecision,
    DecisionKind,
    DecisionRule,
    DecisionStatus,
    Role,
    Stage,
    Vote,
)
from workbench.permissions import Action

COUNCIL_ROLES = (Role.council_member, Role.secretariat, Role.cla)
VOID_WHY = N_("the report's content changed after it was opened")


# The cover's team lines, as the export titles them, in the reader's language.
TEAM_TITLES: dict[Role, str] = {
    Role.cla: N_("Coordinating Lead Authors"),
    Role.lead_author: N_("Lead Authors"),
    Role.contributing_author: N_("Contributing Authors"),
    Role.review_editor: N_("Review Editors"),
}


def team_title(role: Role) -> str:
    """Return the cover's title of a team role in the reader's language."""
    title = TEAM_TITLES.get(role)
    return _(title) if title else export.TEAM_TITLES.get(role, ui.label(role))


def short(text_hash: str) -> str:
    """Return the version id of a content hash (its first 12 hex digits, as the export)."""
    return text_hash[: export.VERSION_CHARS]


def long_date(moment: datetime | date) -> str:
    """Return a date written out ('01 December 2026'), in the reader's language."""
    return i18n.format_date(moment, format="dd MMMM y")


def status_words(status: DecisionStatus) -> str:
    """Return a decision's status in words, saying why when it is void."""
    if status is DecisionStatus.void:
        return _("Void — {why}").format(why=_(VOID_WHY))
    return ui.label(status)


def binds_text(decision: CouncilDecision) -> bool:
    """Return True for a report approval, which the report's content binds."""
    return DecisionKind(decision.kind) is DecisionKind.report_approval


def show_decision_table(
    decisions: list[CouncilDecision], statuses: dict[int, DecisionStatus]
) -> None:
    """Show the report's decisions with kind, rule, status, version and dates."""
    decision_, opened, closed = _("Decision"), _("Opened"), _("Closed")
    st.dataframe(
        ui.safe_table(
            [
                {
                    decision_: d.title,
                    _("Kind"): ui.label(DecisionKind(d.kind)),
                    _("Rule"): ui.label(DecisionRule(d.rule)),
                    _("Status"): status_words(statuses[d.id]),
                    _("Version"): short(d.text_hash),
                    opened: d.opened_at.date(),
                    closed: d.closed_at.date() if d.closed_at else None,
                }
                for d in decisions
            ]
        ),
        hide_index=True,
        column_config={
            opened: st.column_config.DateColumn(format="D MMM YYYY"),
            closed: st.column_config.DateColumn(format="D MMM YYYY"),
            decision_: st.column_config.TextColumn(width="large"),
        },
    )


def show_status(s: Session, decision: CouncilDecision, status: DecisionStatus) -> None:
    """Say where the decision stands and whether the content is still the version it binds."""
    version = short(decision.text_hash)
    if status is DecisionStatus.void:
        current = short(content.current_hash(s, decision.report_id))
        st.error(
            _(
                "**Void:** {why} (it was opened on version {version}; the content is now version "
                "{current}). It takes no votes and approves nothing; the Secretariat can open a "
                "new decision on the current content."
            ).format(why=_(VOID_WHY), version=version, current=current)
        )
        return
    if status is DecisionStatus.withdrawn:
        who = ui.people_names(s, [decision.closed_by_id]).get(decision.closed_by_id or -1)
        why = ui.md((decision.closing_note or _("no reason recorded")).rstrip("."))
        when = long_date(decision.closed_at) if decision.closed_at else None
        if when and who:
            headline = _("**Withdrawn** on {date} by {name}: {why}.").format(
                date=when, name=ui.md(who), why=why
            )
        elif when:
            headline = _("**Withdrawn** on {date}: {why}.").format(date=when, why=why)
        elif who:
            headline = _("**Withdrawn** by {name}: {why}.").format(name=ui.md(who), why=why)
        else:
            headline = _("**Withdrawn**: {why}.").format(why=why)
        st.warning(
            headline
            + " "
            + _(
                "It takes no more votes; the Secretariat opens a new decision when the text is "
                "ready."
            )
        )
        return
    if binds_text(decision):
        matches = council.text_matches(s, decision)
        text_note = (
            _(
                "The report's content still matches the content it was opened on "
                "(version {version})."
            ).format(version=version)
            if matches
            else _(
                "The report's content has changed since it was opened on version {version}."
            ).format(version=version)
        )
    else:
        text_note = _(
            "A reform endorsement does not freeze the report; the findings it rests on are "
            "checked again when it closes (each must still have high or very high confidence)."
        )
    if status is DecisionStatus.open:
        frozen = (
            " " + _("Nothing in the report can change while the vote is open.")
            if binds_text(decision)
            else ""
        )
        st.info(_("**Open for votes.**") + f" {text_note}{frozen}")
        return
    approved = status is DecisionStatus.approved
    if decision.closed_at:
        headline = (
            _("**Approved** on {date}.") if approved else _("**Rejected** on {date}.")
        ).format(date=long_date(decision.closed_at))
    else:
        headline = _("**Approved**.") if approved else _("**Rejected**.")
    (st.success if approved else st.warning)(f"{headline} {text_note}")


def show_reform(s: Session, decision: CouncilDecision) -> None:
    """Show the reform put to the Council and the findings it rests on."""
    st.markdown(_("**The reform put to the Council**"))
    with st.container(border=True):
        st.markdown(ui.no_images(decision.reform) or _("_No reform text._"))
    found = sorted(
        council.decision_findings(s, decision), key=lambda f: sections.code_order(f.code)
    )
    st.markdown(_("**The Panel's findings it rests on**"))
    if not found:
        st.warning(_("No finding is linked to this reform."))
        return
    statement = _("Statement")
    st.dataframe(
        ui.safe_table(
            [
                {
                    _("Finding"): f.code,
                    statement: f.statement,
                    _("Confidence"): ui.label(Confidence(f.confidence)),
                }
                for f in found
            ]
        ),
        hide_index=True,
        column_config={statement: st.column_config.TextColumn(width="large")},
    )


def show_tally(s: Session, decision: CouncilDecision, status: DecisionStatus) -> None:
    """Show the counts of the votes under the decision's rule, and what they mean."""
    tally = council.current_tally(s, decision)
    st.markdown(_("**Tally**"))
    columns = st.columns(5)
    for column, (label, value) in zip(
        columns,
        [
            (_("Approve"), tally.approve),
            (_("Approve with changes"), tally.approve_with_changes),
            (_("Abstain"), tally.abstain),
            (_("Object"), tally.object),
            (_("Not voted"), tally.not_voted),
        ],
        strict=True,
    ):
        column.metric(label, i18n.format_number(value))
    rule = ui.label(DecisionRule(decision.rule))
    if status is DecisionStatus.void:
        st.caption(
            _("Counted for the record only: the decision is void. ({explanation})").format(
                explanation=i18n.render(tally.explanation)
            )
        )
        return
    st.caption(
        _(
            "Rule: {rule}, among the {members} members of its voting body (the Council "
            "members who are not authors of the report, fixed when the decision opened). "
            "Outcome under this rule: **{outcome}**. {explanation}"
        ).format(
            rule=rule,
            members=i18n.format_number(tally.members),
            outcome=ui.label(tally.outcome).lower(),
            explanation=i18n.render(tally.explanation),
        )
    )


def show_votes(s: Session, decision: CouncilDecision) -> None:
    """Show who voted what and why, and who has not voted yet."""
    votes = council.votes_of(s, decision)
    members = council.voting_body(s, decision) or council.council_members(s)
    names = ui.people_names(s, [v.person_id for v in votes]) | {m.id: m.name for m in members}
    st.markdown(_("**Votes**"))
    if votes:
        reason, cast = _("Reason"), _("Cast")
        st.dataframe(
            ui.safe_table(
                [
                    {
                        _("Member"): names.get(v.person_id, _("Former member")),
                        _("Vote"): ui.label(Vote(v.vote)),
                        reason: v.reason,
                        cast: v.cast_at,
                    }
                    for v in votes
                ]
            ),
            hide_index=True,
            column_config={
                reason: st.column_config.TextColumn(width="large"),
                cast: st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
            },
        )
    else:
        st.caption(_("No votes yet."))
    voted = {v.person_id for v in votes}
    waiting = [m.name for m in members if m.id not in voted]
    if waiting:
        st.caption(
            _("Not voted yet: {names}.").format(names=", ".join(ui.md(name) for name in waiting))
        )


def vote_form(s: Session, ctx: ui.PageContext, decision: CouncilDecision) -> None:
    """Let a Council member vote (again) with a reason."""
    st.markdown(_("**Your vote**"))
    mine = next((v for v in council.votes_of(s, decision) if v.person_id == ctx.person.id), None)
    if mine is not None:
        st.caption(
            _("You voted '{vote}' on {date}. Voting again replaces that vote.").format(
                vote=ui.label(Vote(mine.vote)).lower(), date=long_date(mine.cast_at)
            )
        )
    options = list(Vote)
    vote = st.radio(
        _("Your choice"),
        options,
        index=options.index(Vote(mine.vote)) if mine else None,
        format_func=ui.label,
        horizontal=True,
        key=f"council_vote_{decision.id}",
    )
    reason = st.text_area(
        _("Reason"),
        value=mine.reason if mine else "",
        key=f"council_reason_{decision.id}",
        help=_("Objecting or approving with changes needs a reason; the Council reads it."),
        placeholder=_("Why you vote this way (needed to object or to ask for changes)."),
    )
    if st.button(_("Cast my vote"), type="primary", key="council_cast"):
        if vote is None:
            st.error(_("Choose a vote: approve, approve with changes, abstain or object."))
            return
        cast = ui.run_action(
            lambda: council.cast_vote(
                session=s, actor=ctx.person, decision=decision, vote=vote, reason=reason
            ),
            success=_("Your vote on '{title}' was recorded.").format(title=decision.title),
        )
        if cast is not None:
            st.rerun()


def close_control(s: Session, ctx: ui.PageContext, decision: CouncilDecision) -> None:
    """Let the Secretariat close an open decision once the votes settle it."""
    st.markdown(_("**Close the decision**"))
    st.caption(
        _("Closing records the outcome the rule gives. It is refused while the outcome is open.")
    )
    if st.button(_("Close and record the outcome"), key="council_close"):
        closed = ui.run_action(
            lambda: council.close_decision(session=s, actor=ctx.person, decision=decision),
            success=_("'{title}' is closed.").format(title=decision.title),
        )
        if closed is not None:
            st.rerun()


def withdraw_control(s: Session, ctx: ui.PageContext, decision: CouncilDecision) -> None:
    """Let a CLA or the Secretariat withdraw an open decision, with a reason, on the record."""
    with st.expander(_("Withdraw this decision")):
        st.caption(
            _(
                "Withdrawing ends the vote without an outcome, so that the authors can change the "
                "text. It is recorded with your name and reason, and the Council sees it. A new "
                "decision is opened on the changed text."
            )
        )
        reason = st.text_area(
            _("Why the decision is withdrawn"),
            key=f"council_withdraw_reason_{decision.id}",
            placeholder=_("What must change in the text, and why"),
        )
        if st.button(_("Withdraw the decision"), key="council_withdraw"):
            done = ui.run_action(
                lambda: council.withdraw_decision(
                    session=s, actor=ctx.person, decision=decision, reason=reason
                ),
                success=_("'{title}' was withdrawn; the report can be edited again.").format(
                    title=decision.title
                ),
            )
            if done is not None:
                st.rerun()


def open_elsewhere(s: Session, ctx: ui.PageContext) -> list[str]:
    """Return 'decision (report)' for the open decisions on the person's other reports."""
    titles = {r.id: r.title for r in reports.reports_for(s, ctx.person)}
    others = [
        d
        for d in council.list_decisions(s)
        if d.report_id != ctx.report.id and d.report_id in titles
    ]
    statuses = council.decision_statuses(s, others)
    return [
        f"'{ui.md(d.title)}' ({ui.md(titles[d.report_id])})"
        for d in others
        if statuses[d.id] is DecisionStatus.open
    ]


def decisions_tab(
    s: Session,
    ctx: ui.PageContext,
    decisions: list[CouncilDecision],
    statuses: dict[int, DecisionStatus],
) -> CouncilDecision | None:
    """Show the decisions and the chosen one in full; return the chosen decision."""
    if not decisions:
        st.info(
            _(
                "The Council has no decision on this report yet. The Secretariat opens one: the "
                "report's approval once it reaches council review, or the endorsement of a reform "
                "that rests on the report's high-confidence findings."
            )
        )
        elsewhere = open_elsewhere(s, ctx)
        if elsewhere:
            st.warning(
                _(
                    "Open for the Council's votes on other reports: {decisions}. Choose the "
                    "report in the sidebar's Report list."
                ).format(decisions="; ".join(elsewhere))
            )
        return None
    show_decision_table(decisions, statuses)
    by_id = {d.id: d for d in decisions}
    ids = list(by_id)
    default = next((i for i in ids if statuses[i] is DecisionStatus.open), ids[0])
    # A link names the decision (the dashboard's "Read and vote": ?decision=<id>).
    wanted = str(st.query_params.get("decision", ""))
    if wanted.isdigit() and int(wanted) in by_id:
        default = int(wanted)
    chosen = st.selectbox(
        _("Decision"),
        ids,
        index=ids.index(default),
        format_func=lambda i: f"{by_id[i].title} ({status_words(statuses[i]).lower()})",
        key="council_decision",
    )
    decision = by_id[chosen]
    status = statuses[chosen]
    st.subheader(ui.md(decision.title))
    opener = ui.people_names(s, [decision.opened_by_id]).get(decision.opened_by_id or -1)
    kind = ui.label(DecisionKind(decision.kind))
    opened = long_date(decision.opened_at)
    version = short(decision.text_hash)
    st.caption(
        _("{kind} · opened {date} by {name} · version {version}").format(
            kind=kind, date=opened, name=ui.md(opener), version=version
        )
        if opener
        else _("{kind} · opened {date} · version {version}").format(
            kind=kind, date=opened, version=version
        )
    )
    show_status(s, decision, status)
    if DecisionKind(decision.kind) is DecisionKind.reform_endorsement:
        show_reform(s, decision)
    show_tally(s, decision, status)
    show_votes(s, decision)
    if status is DecisionStatus.open:
        if ui.allowed(ctx, s, Action.vote):
            vote_form(s, ctx, decision)
        if ui.allowed(ctx, s, Action.open_decision):
            close_control(s, ctx, decision)
        if ui.allowed(ctx, s, Action.withdraw_decision):
            withdraw_control(s, ctx, decision)
    elif ctx.has(Role.council_member):
        st.caption(_("This decision takes no more votes."))
    return decision


LIVE = (DecisionStatus.open, DecisionStatus.approved, DecisionStatus.void)


def approval_in_question(
    decisions: list[CouncilDecision],
    statuses: dict[int, DecisionStatus],
    chosen: CouncilDecision | None,
) -> CouncilDecision | None:
    """Return the report approval the reader should measure the text against, if any.

    The decision chosen on the Decisions tab when it is a report approval; otherwise
    the newest approval that is open, approved or void (a void one above all must be
    said), so choosing a reform endorsement does not hide it.
    """
    if chosen is not None and binds_text(chosen):
        return chosen
    return next((d for d in decisions if binds_text(d) and statuses[d.id] in LIVE), None)


def version_notice(
    decision: CouncilDecision | None, status: DecisionStatus | None, reading: export.Reading
) -> None:
    """Say whether what is shown is the version a report approval was opened on."""
    if decision is None:
        return
    title = ui.md(decision.title)
    opened, now = short(decision.text_hash), reading.draft.version
    if decision.text_hash == reading.draft.text_hash:
        st.success(
            _("This is the content '{title}' was opened on: version {version}.").format(
                title=title, version=opened
            )
        )
    elif status is DecisionStatus.void:
        st.error(
            _(
                "**This is not the content the Council is asked to approve.** '{title}' was "
                "opened on version {version}; the report's content has changed since, so that "
                "decision is void: it takes no votes and approves nothing. What follows is the "
                "current content, version {current}."
            ).format(title=title, version=opened, current=now)
        )
    else:
        st.warning(
            _(
                "The report's content has changed since '{title}' was opened on version "
                "{version}. What follows is the current content, version {current}."
            ).format(title=title, version=opened, current=now)
        )


def show_cover(reading: export.Reading) -> None:
    """Show the cover's facts: title, theme, stage, date, version, standing and team."""
    draft = reading.draft
    with st.container(border=True):
        st.caption(_("Synthesis Report"))
        st.markdown(f"**{ui.md(draft.title)}**")
        facts = [_("Theme: {theme}").format(theme=ui.md(draft.theme))] if draft.theme else []
        facts += [
            _("Stage: {stage}").format(stage=ui.md(draft.stage_line)),
            i18n.format_date(draft.date, format="d MMMM y"),
        ]
        st.caption(" · ".join(facts))
        standing = (
            f":red[{draft.stamp}]"
            if draft.stamp
            else ":green[" + _("Approved by the Coordination Council") + "]"
        )
        st.markdown(
            _("**Version {version}** · {standing}").format(version=draft.version, standing=standing)
        )
        team = "  \n".join(
            f"{team_title(role)}: {', '.join(ui.md(name) for name in names)}"
            for role, names in draft.team.items()
        )
        if team:
            st.caption(team)


def show_contents(reading: export.Reading) -> None:
    """Show the contents, each entry a link to its part below."""
    st.subheader(_("Contents"), anchor="contents")
    lines = [
        f"{'    ' * (entry.level - 1)}- [{ui.md(entry.title)}](#{entry.anchor})"
        for entry in reading.toc
    ]
    with st.container(border=True):
        st.markdown("\n".join(lines))


def read_tab(
    s: Session,
    ctx: ui.PageContext,
    decision: CouncilDecision | None,
    status: DecisionStatus | None,
) -> None:
    """Show the report as the export prints it, with contents, and its Word and PDF files."""
    # In the reader's language when the report is published in it (the words the document
    # writes itself, and the finished translations); the version is the same either way.
    language = i18n.current_language()
    if language not in export.document_languages(s, ctx.report):
        language = "en"
    reading = ui.run_action(
        lambda: export.reading_copy(
            session=s, actor=ctx.person, report=ctx.report, language=language
        )
    )
    if reading is None:
        return
    version_notice(decision, status, reading)
    show_cover(reading)
    # The Council reads and downloads what a decision binds: the current content.
    ui.export_panel(
        s, ctx, key="council_export", version=reading.draft.version, default_text="current"
    )
    for warning in reading.draft.warnings:
        st.warning(ui.md_message(warning))
    show_contents(reading)
    back = _("[Back to the contents](#contents)")
    first = True
    for part in reading.parts:
        if part.level == 1:
            if not first:
                st.markdown(back)
            first = False
            st.header(ui.md(part.title), anchor=part.anchor, divider="gray")
        elif part.level == 2:
            st.subheader(ui.md(part.title), anchor=part.anchor)
        if part.markdown.strip():
            # Rendered without HTML; images become links, so reading fetches nothing elsewhere.
            st.markdown(ui.no_images(part.markdown))
        elif part.anchor == "references":
            st.caption(_("The sections cite no sources yet."))
    st.markdown(back)


def open_tab(s: Session, ctx: ui.PageContext) -> None:
    """Let the Secretariat open a report approval or a reform endorsement."""
    report = ctx.report
    kinds = list(DecisionKind)
    at_council_review = Stage(report.stage) is Stage.council_review
    kind = st.radio(
        _("What should the Council decide?"),
        kinds,
        # Approval is only possible at council review; before that, offer a reform first.
        index=kinds.index(
            DecisionKind.report_approval if at_council_review else DecisionKind.reform_endorsement
        ),
        format_func=ui.label,
        horizontal=True,
        key="council_new_kind",
    )
    title = st.text_input(
        _("Title"), key="council_new_title", placeholder=_("What the Council decides")
    )
    rule: DecisionRule | None = None
    reform = ""
    finding_ids: list[int] = []
    recommendation_id: int | None = None
    if kind is DecisionKind.report_approval:
        stage = Stage(report.stage)
        if stage is not Stage.council_review:
            st.warning(
                _(
                    "The report is at the {stage} stage. The Council decides on approval only at "
                    "council review, so opening an approval is refused until then."
                ).format(stage=ui.label(stage).lower())
            )
        rules = list(DecisionRule)
        rule = st.selectbox(
            _("Rule"),
            rules,
            index=rules.index(DecisionRule.majority_no_objection),
            format_func=ui.label,
            key="council_new_rule",
        )
    else:
        st.caption(
            _(
                "Endorsing a reform needs a unanimous Council vote and must rest on at least one "
                "finding of high or very high confidence from this report."
            )
        )
        reform = st.text_area(
            _("The reform"), key="council_new_reform", placeholder=_("Which reform, in whose hands")
        )
        candidates = {
            f.id: f
            for f in sorted(
                council.endorsable_findings(s, report_id=report.id),
                key=lambda f: sections.code_order(f.code),
            )
        }
        if not candidates:
            st.warning(
                _(
                    "This report has no finding of high or very high confidence yet, so no reform "
                    "can be put to the Council. Record the findings on the Evidence page first."
                )
            )
        finding_ids = st.multiselect(
            _("Findings it rests on (high or very high confidence)"),
            list(candidates),
            format_func=lambda i: (
                f"{candidates[i].code} ({ui.label(Confidence(candidates[i].confidence)).lower()}) "
                f"— {candidates[i].statement[:90]}"
            ),
            placeholder=_("Choose one or more findings"),
            key="council_new_findings",
        )
        recs = {r.id: r for r in recommendations.list_recommendations(s, report_id=report.id)}
        recommendation_id = st.selectbox(
            _("Recommendation it comes from (optional)"),
            [None, *recs],
            format_func=lambda i: (
                _("None") if i is None else f"{recs[i].code} — {recs[i].text[:90]}"
            ),
            key="council_new_recommendation",
        )
    if st.button(_("Open the decision"), type="primary", key="council_open"):
        opened = ui.run_action(
            lambda: council.open_decision(
                session=s,
                actor=ctx.person,
                report=report,
                kind=kind,
                title=title,
                rule=rule,
                finding_ids=finding_ids,
                reform=reform,
                recommendation_id=recommendation_id,
            ),
            success=_("'{title}' is open for the Council's votes.").format(title=title.strip()),
        )
        if opened is not None:
            ui.reset_keys(
                "council_decision",
                "council_new_title",
                "council_new_reform",
                "council_new_findings",
                "council_new_recommendation",
            )
            st.rerun()


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title(_("Council"))
    ui.require(ctx, s, Action.read_report)
    if not ctx.has(*COUNCIL_ROLES):
        st.error(
            _(
                "Not permitted. The Council page is for Council members, the Secretariat and the "
                "report's Coordinating Lead Authors."
            )
        )
        st.stop()
    ui.flash()
    report = ctx.report
    st.caption(
        _("{title} · stage: {stage}").format(
            title=ui.md(report.title), stage=ui.label(Stage(report.stage))
        )
    )
    decisions = council.list_decisions(s, report_id=report.id)
    statuses = council.decision_statuses(s, decisions)
    may_open = ui.allowed(ctx, s, Action.open_decision)
    keys = ["decisions", "read"] + (["open"] if may_open else [])
    names = [_("Decisions"), _("Read the report")] + ([_("Open a decision")] if may_open else [])
    tabs = dict(zip(keys, st.tabs(names), strict=True))
    with tabs["decisions"]:
        chosen = decisions_tab(s, ctx, decisions, statuses)
    with tabs["read"]:
        approval = approval_in_question(decisions, statuses, chosen)
        read_tab(s, ctx, approval, statuses.get(approval.id) if approval else None)
    if may_open:
        with tabs["open"]:
            open_tab(s, ctx)
