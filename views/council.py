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

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st
from sqlmodel import Session

import ui
from workbench import (
    content,
    council,
    export,
    i18n,
    recommendations,
    reports,
    sections,
    translations,
)
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


# A page of the reading shows one chapter, at most this many of its level-2 parts, and
# about this much Markdown (a chapter of one long part, such as the references of a large
# report, is split between its paragraphs and table rows), so a run sends a bounded amount.
PAGE_PARTS = 20
PAGE_CHARS = 300_000
PIECE_CHARS = 100_000
GOTO = "council_goto"  # where a click in the contents or the pager asks to go
_PAGE_NUMBER = re.compile(r"[0-9]{1,6}")
_TABLE_RULE = re.compile(r"^\|[\s:|-]+\|$")


@dataclass(frozen=True)
class Chapter:
    """A chapter of the reading: a level-1 part (or what comes before the first) and its parts."""

    anchor: str
    title: str
    parts: tuple[export.ReadingPart, ...]

    @property
    def sections(self) -> list[export.ReadingPart]:
        """Return the chapter's level-2 parts, in order."""
        return [p for p in self.parts if p.level == 2]


@dataclass(frozen=True)
class Piece:
    """What a page shows of a part: the whole of its text or a stretch of it."""

    part: export.ReadingPart
    markdown: str
    first: bool  # the stretch the part begins with, under its heading


def chapters_of(reading: export.Reading) -> list[Chapter]:
    """Return the reading's chapters: one per level-1 part, and one for any parts before."""
    groups: list[list[export.ReadingPart]] = []
    for part in reading.parts:
        if part.level == 1 or not groups:
            groups.append([])
        groups[-1].append(part)
    found = []
    for group in groups:
        head = next((p for p in group if p.title), group[0])
        found.append(Chapter(head.anchor or "start", head.title, tuple(group)))
    return found


def split_table(block: str, limit: int) -> list[str]:
    """Return a long table as tables of at most about ``limit`` characters, headed alike."""
    lines = block.split("\n")
    if len(block) <= limit or len(lines) < 3 or not _TABLE_RULE.match(lines[1].strip()):
        return [block]
    head, rows = lines[:2], lines[2:]
    chunks: list[list[str]] = [[]]
    size = 0
    for row in rows:
        if chunks[-1] and size + len(row) > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(row)
        size += len(row) + 1
    return ["\n".join(head + chunk) for chunk in chunks]


def split_markdown(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """Return the Markdown in stretches of about ``limit`` characters, split between blocks."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for block in translations.paragraphs(text):  # code, tables and lists kept whole
        for chunk in split_table(block, limit) if block.startswith("|") else [block]:
            if current and size + len(chunk) > limit:
                pieces.append("\n\n".join(current))
                current, size = [], 0
            current.append(chunk)
            size += len(chunk) + 2
    if current:
        pieces.append("\n\n".join(current))
    return pieces or [text]


def chapter_pages(chapter: Chapter) -> list[list[Piece]]:
    """Return the chapter's pages: at most PAGE_PARTS level-2 parts and about PAGE_CHARS each."""
    pages: list[list[Piece]] = [[]]
    parts = size = 0
    for part in chapter.parts:
        for index, text in enumerate(split_markdown(part.markdown)):
            begins = index == 0 and part.level == 2
            if pages[-1] and ((begins and parts >= PAGE_PARTS) or size + len(text) > PAGE_CHARS):
                pages.append([])
                parts = size = 0
            pages[-1].append(Piece(part, text, index == 0))
            parts += begins
            size += len(text)
    return pages


def page_of(pages: list[list[Piece]], anchor: str) -> int:
    """Return the number (from 1) of the page on which the part with this anchor begins."""
    for number, page in enumerate(pages, start=1):
        if any(piece.first and piece.part.anchor == anchor for piece in page):
            return number
    return 1


def sections_word(chapter: Chapter, first: int, last: int, total: int) -> str:
    """Return 'sections 21–40 of 275' (or 'parts …' in a chapter of other things)."""
    counts = {
        "first": i18n.format_number(first),
        "last": i18n.format_number(last),
        "total": i18n.format_number(total),
    }
    if all(p.anchor.startswith("sec-") for p in chapter.sections):
        if first == last:
            return _("section {first} of {total}").format(**counts)
        return _("sections {first}–{last} of {total}").format(**counts)
    if first == last:
        return _("part {first} of {total}").format(**counts)
    return _("parts {first}–{last} of {total}").format(**counts)


def page_span(chapter: Chapter, page: list[Piece]) -> str:
    """Return which of the chapter's level-2 parts a page shows, in words ('' for none)."""
    order = {p.anchor: n for n, p in enumerate(chapter.sections, start=1)}
    shown = [order[piece.part.anchor] for piece in page if piece.part.anchor in order]
    if not shown:
        return ""
    return sections_word(chapter, min(shown), max(shown), len(order))


def addressed_place(chapters: list[Chapter]) -> tuple[Chapter, int, str]:
    """Return the chapter, page and anchor to show: the click's, else the address's.

    Anything in the address that names no chapter or page of this report (a stale link,
    a typing slip, a hostile value) falls back to the first chapter or page.
    """
    by_anchor = {c.anchor: c for c in chapters}
    goto = st.session_state.pop(GOTO, None)
    if goto is not None:
        wanted, number, jump = goto
    else:
        wanted, number, jump = st.query_params.get("chapter", ""), None, ""
        raw = str(st.query_params.get("page", "1"))
        number = int(raw) if _PAGE_NUMBER.fullmatch(raw) else 1
    chapter = by_anchor.get(str(wanted), chapters[0])
    return chapter, int(number or 1), jump


def go_to(chapter: str, page: int, jump: str) -> None:
    """Ask the next run to show this chapter and page and to scroll to this anchor."""
    st.session_state[GOTO] = (chapter, page, jump)


def chosen_chapter() -> None:
    """Go to the chapter picked in the contents (its first page)."""
    anchor = str(st.session_state.get("council_chapter", ""))
    go_to(anchor, 1, anchor)


def chosen_section(key: str, chapter: Chapter, pages: list[list[Piece]]) -> None:
    """Go to the page of the section picked in the contents, and to the section."""
    anchor = st.session_state.get(key)
    if anchor:
        go_to(chapter.anchor, page_of(pages, anchor), anchor)


def scroll_to(anchor: str) -> None:
    """Scroll the browser to the heading with this anchor once it is on the page."""
    st.session_state["council_scrolls"] = st.session_state.get("council_scrolls", 0) + 1
    # The count makes each script new, so the browser runs it again for the same anchor.
    st.html(
        "<script>(() => {"
        f"const id = {json.dumps(anchor)}; let tries = 0;"
        "const go = () => { const el = document.getElementById(id);"
        " if (el) { el.scrollIntoView({block: 'start'}); }"
        " else if (tries++ < 50) { setTimeout(go, 100); } };"
        f"setTimeout(go, 50); }})(); /* {st.session_state['council_scrolls']} */</script>",
        unsafe_allow_javascript=True,
        width="content",
    )


def show_contents(
    chapters: list[Chapter], chapter: Chapter, pages: list[list[Piece]], number: int
) -> None:
    """Show the chapters to choose from and the chosen chapter's parts, each a jump."""
    st.subheader(_("Contents"), anchor="contents")
    with st.container(border=True):
        st.caption(
            _(
                "The report is shown one chapter at a time: choose a chapter here, or go on "
                "with the buttons at the end of the chapter. A long chapter is shown "
                "{n} sections at a time."
            ).format(n=i18n.format_number(PAGE_PARTS))
        )
        left, right = st.columns(2)
        titles = {c.anchor: c.title for c in chapters}
        st.session_state["council_chapter"] = chapter.anchor
        left.radio(
            _("Chapters"),
            list(titles),
            format_func=lambda anchor: ui.md(titles[anchor]),
            key="council_chapter",
            on_change=chosen_chapter,
        )
        here = {piece.part.anchor for piece in pages[number - 1] if piece.first}
        listed = [p for p in chapter.sections if p.anchor != chapter.anchor]
        if not listed:
            return
        right.markdown(_("**In this chapter**"))
        on_page = [p for p in listed if p.anchor in here]
        if on_page:
            right.markdown("\n".join(f"- [{ui.md(p.title)}](#{p.anchor})" for p in on_page))
        elsewhere = [p for p in listed if p.anchor not in here]
        if elsewhere:
            names = {p.anchor: p.title for p in elsewhere}
            # One picker per page, so that it is empty whenever a page opens.
            key = f"council_section_{chapter.anchor}_{number}"
            right.selectbox(
                _("Go to a section on another page of this chapter"),
                list(names),
                index=None,
                format_func=lambda anchor: names[anchor],
                placeholder=_("Choose a section"),
                key=key,
                on_change=chosen_section,
                args=(key, chapter, pages),
            )


def show_heading(part: export.ReadingPart, title: str, anchor: str | bool) -> None:
    """Show a part's heading at its level (a chapter's with a rule under it)."""
    if part.level == 1:
        st.header(title, anchor=anchor, divider="gray")
    elif part.level == 2:
        st.subheader(title, anchor=anchor)


def show_piece(piece: Piece, top: bool) -> None:
    """Show a stretch of a part, under the part's heading where the part begins."""
    part = piece.part
    if piece.first:
        show_heading(part, ui.md(part.title), part.anchor)
    elif top:
        show_heading(part, _("{title} (continued)").format(title=ui.md(part.title)), False)
    show_text(piece)


def show_text(piece: Piece) -> None:
    """Show a stretch of a part's text."""
    if piece.markdown.strip():
        # Rendered without HTML; images become links, so reading fetches nothing elsewhere.
        st.markdown(ui.no_images(piece.markdown))
    elif piece.first and piece.part.anchor == "references":
        st.caption(_("The sections cite no sources yet."))


def pager_button(label: str, key: str, chapter: str, page: int) -> None:
    """Show a button that goes to this chapter's page (and to the top of it)."""
    st.button(label, key=key, on_click=go_to, args=(chapter, page, chapter))


def show_pager(
    chapters: list[Chapter], chapter: Chapter, pages: list[list[Piece]], number: int
) -> None:
    """Show Previous and Next: the chapter's other pages, then the chapters around it."""
    index = chapters.index(chapter)
    left, right = st.columns(2)
    with left:
        if number > 1:
            span = page_span(chapter, pages[number - 2])
            pager_button(
                _("← Previous page ({span})").format(span=span) if span else _("← Previous page"),
                "council_previous",
                chapter.anchor,
                number - 1,
            )
        elif index > 0:
            before = chapters[index - 1]
            pager_button(
                _("← Previous chapter: {title}").format(title=ui.md(before.title)),
                "council_previous",
                before.anchor,
                1,
            )
    with right.container(horizontal_alignment="right"):
        if number < len(pages):
            span = page_span(chapter, pages[number])
            pager_button(
                _("Next page ({span}) →").format(span=span) if span else _("Next page →"),
                "council_next",
                chapter.anchor,
                number + 1,
            )
        elif index + 1 < len(chapters):
            after = chapters[index + 1]
            pager_button(
                _("Next chapter: {title} →").format(title=ui.md(after.title)),
                "council_next",
                after.anchor,
                1,
            )


def place_caption(
    chapters: list[Chapter], chapter: Chapter, pages: list[list[Piece]], number: int
) -> str:
    """Return where the reader is: the chapter's number and, in a long one, the page."""
    where = _("Chapter {n} of {total}").format(
        n=i18n.format_number(chapters.index(chapter) + 1),
        total=i18n.format_number(len(chapters)),
    )
    if len(pages) == 1:
        return where
    span = page_span(chapter, pages[number - 1])
    page = _("page {n} of {total}").format(
        n=i18n.format_number(number), total=i18n.format_number(len(pages))
    )
    return " · ".join([where, page, span] if span else [where, page])


def show_chapter(
    chapters: list[Chapter], chapter: Chapter, pages: list[list[Piece]], number: int
) -> None:
    """Show one page of the chosen chapter, with where it is and the way on."""
    page = pages[number - 1]
    # The chapter's heading on every page of it, then where in the report the reader is.
    head = next((p for p in chapter.parts if p.anchor == chapter.anchor), chapter.parts[0])
    show_heading(head, ui.md(chapter.title), chapter.anchor)
    st.caption(place_caption(chapters, chapter, pages, number))
    for index, piece in enumerate(page):
        if piece.part is head:
            show_text(piece)
        else:
            show_piece(piece, top=index == 0)
    st.divider()
    if len(pages) > 1:
        st.caption(place_caption(chapters, chapter, pages, number))
    show_pager(chapters, chapter, pages, number)
    st.markdown(_("[Back to the contents](#contents)"))


def read_tab(
    s: Session,
    ctx: ui.PageContext,
    decision: CouncilDecision | None,
    status: DecisionStatus | None,
) -> None:
    """Show the report as the export prints it, one chapter at a time, and its Word and PDF."""
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
    chapters = chapters_of(reading)
    if not chapters:
        st.info(_("The report has no text yet."))
        return
    chapter, number, jump = addressed_place(chapters)
    pages = chapter_pages(chapter)
    if not 1 <= number <= len(pages):
        number = 1
    # In the address, so that a reload, Back or a shared link opens the same place.
    st.query_params["chapter"] = chapter.anchor
    if number > 1:
        st.query_params["page"] = str(number)
    else:
        st.query_params.pop("page", None)
    show_contents(chapters, chapter, pages, number)
    show_chapter(chapters, chapter, pages, number)
    if jump:
        scroll_to(jump)


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


# The choices made on each tab (their widgets' keys begin so), kept while another tab is open.
TAB_KEYS = {
    "decisions": ("council_decision", "council_vote_", "council_reason_", "council_withdraw_"),
    "read": ("council_export_",),
    "open": ("council_new_",),
}


def keep_choices(prefixes: tuple[str, ...]) -> None:
    """Keep what was chosen or typed in a tab that is not drawn in this run.

    Streamlit forgets the value of a widget that a run does not draw; a vote's reason
    half typed must survive a look at the report.
    """
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(prefixes):
            st.session_state[key] = st.session_state[key]


def picked(decisions: list[CouncilDecision]) -> CouncilDecision | None:
    """Return the decision chosen on the Decisions tab (or named in the address), if any."""
    by_id = {d.id: d for d in decisions}
    chosen = st.session_state.get("council_decision")
    if chosen in by_id:
        return by_id[chosen]
    wanted = str(st.query_params.get("decision", ""))
    return by_id.get(int(wanted)) if wanted.isdigit() else None


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
    # Only the open tab runs (the whole report is read only on "Read the report"); the tab
    # is kept in the address, so a reload or Back comes back to it.
    tabs = dict(zip(keys, st.tabs(names, key="tab", bind="query-params"), strict=True))
    for name in keys:
        if not tabs[name].open:
            keep_choices(TAB_KEYS[name])
    chosen: CouncilDecision | None = None
    if tabs["decisions"].open:
        with tabs["decisions"]:
            chosen = decisions_tab(s, ctx, decisions, statuses)
    if tabs["read"].open:
        with tabs["read"]:
            approval = approval_in_question(decisions, statuses, chosen or picked(decisions))
            read_tab(s, ctx, approval, statuses.get(approval.id) if approval else None)
    if may_open and tabs["open"].open:
        with tabs["open"]:
            open_tab(s, ctx)
