"""Review: a report's review rounds and their comment table, answered, signed off and counted.

Authors answer comments beside the frozen lines the comments cite; Review
Editors sign the answers off as fair; reviewers comment while a round is open,
on a section or on a part of the report (key findings, the registers,
recommendations, initiatives) or one item of a part (a finding, a row, a
recommendation), citing its lines as the review copy numbers them;
CLAs open and close rounds; CLAs and the Secretariat import and export the
IPCC comment table. The table is paged and filtered in the database.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import streamlit as st
from sqlmodel import Session

import ui
from workbench import docx_import, i18n, parts, reviews, sections
from workbench.comment_table import COLUMNS, MAX_TABLE_BYTES, REQUIRED_COLUMNS
from workbench.db import database_url
from workbench.errors import ImportFailed, WorkbenchError
from workbench.i18n import N_, _, ngettext
from workbench.models import (
    CommentKind,
    Disposition,
    Person,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    RoundStatus,
    Section,
    Stage,
)
from workbench.parts import Target
from workbench.permissions import Action
from workbench.phrasing import Sentence, listed

PAGE_SIZE = 50
REVIEW_ROLES = (
    Role.cla,
    Role.lead_author,
    Role.contributing_author,
    Role.review_editor,
    Role.reviewer,
    Role.secretariat,
)
# The round and the filters live in the address, so a link shares the view, and are kept
# while the person visits other pages (Streamlit forgets a widget's value otherwise).
KEEP: dict[str, Any] = {"bind": "query-params"}
# "Any" in a filter: not None, which a page shown again from the address draws as no choice.
ANY = ""
# Widget keys to forget at the start of the next run (after a successful write).
AWAITING = N_("Awaiting a response")
CHART_COLOURS = {
    Disposition.accepted.label: "#2e7d32",
    Disposition.taken_into_account.label: "#81c784",
    Disposition.noted.label: "#90a4ae",
    Disposition.rejected.label: "#e57373",
    AWAITING: "#ffb74d",
}
FORMATS = {"csv": "CSV (.csv)", "xlsx": "Excel (.xlsx)"}
# The tabs, by their English names (shown translated).
COMMENTS_TAB = N_("Comments")
BY_SECTION_TAB = N_("By section")
CHANGES_TAB = N_("What changed")
ADD_TAB = N_("Add a comment")
EXCHANGE_TAB = N_("Import & export")
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def lines_label(comment: ReviewComment) -> str:
    """Return 'line 4' or 'lines 4–6' for a comment's cited lines."""
    return lines_label_of(comment.from_line, comment.to_line)


def lines_label_of(first: int, last: int) -> str:
    """Return 'line 4' or 'lines 4–6'."""
    if first == last:
        return _("line {line}").format(line=first)
    return _("lines {first}–{last}").format(first=first, last=last)


def long_date(day: date) -> str:
    """Return a date written out: '03 December 2026' ('3 de diciembre de 2026' in Spanish)."""
    return i18n.format_date(day, format="dd MMMM y" if i18n.current_language() == "en" else "long")


def short_date(day: date) -> str:
    """Return a date briefly: '03 Dec 2026' ('3 déc. 2026', '3 dic 2026')."""
    return i18n.format_date(day, format="dd MMM y" if i18n.current_language() == "en" else "medium")


def numbered(lines: list[str], start: int) -> str:
    """Return lines prefixed with their numbers, for a code block."""
    width = len(str(start + len(lines) - 1))
    return "\n".join(f"{n:>{width}} │ {line}" for n, line in enumerate(lines, start=start))


_EMPHASIS = re.compile(r"(\*{1,3})(?=\S)(.+?)(?<=\S)\1")
_CELL_BREAK = re.compile(r"(?<!\\)\|")
_PART_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.*?)(?:\s*\{#[\w-]+\})?\s*$")


def is_table_rule(line: str) -> bool:
    """Return True for a pipe table's rule line (``|----|:---:|``)."""
    stripped = line.strip()
    return "|" in stripped and "---" in stripped and set(stripped) <= set("|-: ")


def readable(line: str) -> str:
    """Return a line of a part as a reader sees it: a table row's cells joined by ' · '.

    Markdown emphasis and heading marks go; the consensus register's positions,
    one per line in Word, are separated by '; '.
    """
    text = line.replace(parts.POSITION_BREAK, "; ")
    stripped = text.strip()
    if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
        cells = _CELL_BREAK.split(stripped[1:-1])
        text = " · ".join(c.strip().replace("\\|", "|") for c in cells)
    elif heading := _PART_HEADING.match(stripped):
        text = heading.group("title")
    return _EMPHASIS.sub(r"\2", text)


def part_view(lines: list[str], start: int = 1, end: int | None = None) -> str:
    """Return lines ``start``–``end`` of a frozen part, numbered as the review copy prints them.

    Every line counts, but blank lines, table rules and a table's header row carry
    no number (the rules are left out here); table rows read as their cells.
    """
    end = len(lines) if end is None else end
    width = len(str(end))
    out: list[str] = []
    for number in range(start, end + 1):
        line = lines[number - 1]
        if is_table_rule(line):
            continue
        header = number < len(lines) and is_table_rule(lines[number]) and line.strip()
        if not line.strip() or header:
            out.append(f"{'':>{width}} │ {readable(line)}".rstrip())
        else:
            out.append(f"{number:>{width}} │ {readable(line)}")
    return "\n".join(out)


def target_label(target: Target) -> str:
    """Return how a choice of what to comment on reads: '2.1 Title', 'F6 — Finding F6'."""
    if target.kind == "section":
        return target.title.removeprefix("Section ")
    return f"{target.code} — {parts.item_title(target.title)}"


def part_title(code: str) -> str:
    """Return a part's title in the reader's language ('Key findings')."""
    return _(parts.SPEC_BY_CODE[code].title)


def ordered_targets(found: dict[str, Target], section_list: list[Section]) -> list[Target]:
    """Return what can be commented on: the sections in reading order, then each part and
    its items in print order."""
    by_section = {t.section_id: t for t in found.values() if t.kind == "section"}
    ordered = [by_section[sec.id] for sec in section_list if sec.id in by_section]
    for part in (t for t in found.values() if t.kind == "part"):
        ordered.append(part)
        ordered += [t for t in found.values() if t.kind == "item" and t.part == part.code]
    return ordered


def frozen_lines(s: Session, review_round: ReviewRound, target: Target) -> list[str]:
    """Return the frozen lines a target's numbers count in: its section's, or its part's."""
    if target.kind == "section" and target.section_id is not None:
        return sections.lines_of(
            reviews.frozen_text(s, round_id=review_round.id, section_id=target.section_id)
        )
    part = next((p for p in parts.frozen(s, review_round.id) if p.code == target.part), None)
    return sections.lines_of(part.markdown) if part is not None else []


def on_label(comment: ReviewComment, codes: dict[int, str]) -> str:
    """Return what a comment is on: its section's code, or its part's or item's code."""
    if comment.section_id is not None:
        return codes.get(comment.section_id, "?")
    return comment.part or "?"


def is_answered(comment: ReviewComment) -> bool:
    """Return True when a comment has both a response and a disposition."""
    return bool(comment.response.strip()) and comment.disposition is not None


def status_of(comment: ReviewComment) -> str:
    """Return a comment's state in words."""
    if comment.signed_off_at is not None:
        return _("signed off")
    return _("answered") if is_answered(comment) else _("open")


@st.cache_data(show_spinner=False, max_entries=4, ttl=120)
def comment_table_file(
    url: str,
    version: int,
    round_id: int,
    fmt: str,
    person_id: int,
    _session: Session,
    _actor: Person,
    _report: Report,
    _round: ReviewRound,
) -> bytes:
    """Return a round's comment table as a file (cached briefly, and until the next change).

    ``version`` is :func:`ui.data_version`: a change saved through any app server makes
    the next run prepare the file again.
    """
    return reviews.export_comments(_session, actor=_actor, report=_report, round=_round, fmt=fmt)


def round_summaries(s: Session, report_id: int) -> list[reviews.RoundSummary]:
    """Return the report's rounds with their comment counts.

    Not cached: the counts are maintained by the database (migration 0009), so reading
    them costs a few milliseconds at any size, and a count written through another app
    server shows at once.
    """
    return reviews.round_summaries(s, report_id=report_id)


def show_rounds(summaries: list[reviews.RoundSummary]) -> None:
    """Show the report's review rounds with their dates and comment counts."""
    opens, closes = _("Opens"), _("Closes")
    rows = [
        {
            _("Round"): r.round.name,
            _("Stage"): ui.label(Stage(r.round.stage)),
            opens: r.round.opens_on,
            closes: r.round.closes_on,
            _("Status"): round_status(r.round),
            _("Comments"): r.comments,
            _(AWAITING): r.open,
            _("Signed off"): r.signed_off,
        }
        for r in summaries
    ]
    st.dataframe(
        ui.safe_table(rows),
        hide_index=True,
        column_config={
            opens: st.column_config.DateColumn(format="D MMM YYYY"),
            closes: st.column_config.DateColumn(format="D MMM YYYY"),
        },
    )


def round_choice(review_round: ReviewRound) -> str:
    """Return how a round reads in the round picker: 'SOD (open)', 'FOD (closed)'."""
    if review_round.status == RoundStatus.open:
        return _("{round} (open)").format(round=review_round.name)
    return _("{round} (closed)").format(round=review_round.name)


def round_status(review_round: ReviewRound) -> str:
    """Return 'Open', 'Closed' or 'Closed on 03 Dec 2026'."""
    if review_round.status == RoundStatus.open:
        return _("Open")
    if review_round.closed_at is None:
        return _("Closed")
    return _("Closed on {date}").format(date=short_date(review_round.closed_at))


def manage_rounds(s: Session, ctx: ui.PageContext, summaries: list[reviews.RoundSummary]) -> None:
    """Let a CLA (or the Secretariat) close the open round or open a new one."""
    report = ctx.report
    still_open = [r for r in summaries if r.round.status == RoundStatus.open]
    with st.expander(_("Open or close a review round"), expanded=not summaries):
        if still_open:
            current = still_open[0]
            name = ui.md(current.round.name)
            st.markdown("**" + _("Close {round}").format(round=name) + "**")
            st.write(
                ngettext(
                    "Closing ends commenting and makes the responses final. Every comment needs "
                    "a response and a disposition first ({n} still needs one).",
                    "Closing ends commenting and makes the responses final. Every comment needs "
                    "a response and a disposition first ({n} still need one).",
                    current.open,
                ).format(n=i18n.format_number(current.open))
            )
            sure = st.checkbox(
                _("I want to close {round} now").format(round=name), key="review_close_confirm"
            )
            if st.button(
                _("Close {round}").format(round=name), key="review_close", disabled=not sure
            ):
                done = ui.run_action(
                    lambda: reviews.close_round(session=s, actor=ctx.person, round=current.round),
                    success=_(
                        "{round} is closed; sections in review are now being revised."
                    ).format(round=current.round.name),
                )
                if done is not None:
                    ui.reset_keys("review_close_confirm", "review_round")
                    st.rerun()
            return
        stage = Stage(report.stage)
        st.markdown("**" + _("Open a new review round") + "**")
        st.caption(
            _(
                "Opening a round freezes the current text of every section: reviewers cite lines "
                "of that frozen text, whatever the authors write afterwards. Rounds open only at "
                "the first-order or second-order draft stage; this report is at the {stage} stage."
            ).format(stage=ui.label(stage).lower())
        )
        suggested = {Stage.first_order_draft: "FOD", Stage.second_order_draft: "SOD"}.get(stage, "")
        with st.form("review_open_form", border=False):
            name = st.text_input(
                _("Round name"),
                value=suggested,
                placeholder=_("FOD or SOD"),
                key="review_open_name",
            )
            left, right = st.columns(2)
            opens_on = left.date_input(
                _("Takes comments from"),
                value=date.today(),
                key="review_open_from",
            )
            closes_on = right.date_input(
                _("Until"),
                value=date.today() + timedelta(weeks=8),
                key="review_open_until",
            )
            submitted = st.form_submit_button(_("Open the round"), type="primary")
        if submitted:
            opened = ui.run_action(
                lambda: reviews.open_round(
                    session=s,
                    actor=ctx.person,
                    report=report,
                    name=name,
                    opens_on=opens_on,
                    closes_on=closes_on,
                ),
                success=_("Review round {round} is open; the current text is frozen.").format(
                    round=name.strip()
                ),
            )
            if opened is not None:
                ui.reset_keys("review_round")
                st.rerun()


def follow_link(by_id: dict[int, ReviewRound], section_list: list[Section]) -> None:
    """Open the round and section a link names (``?round=SOD&section=12``), then forget them.

    Links from the Dashboard name a round by its name and a section by its id (or
    a part by its code, ``section=KF``); the page's own widgets keep their state
    in the address under their keys.
    """
    wanted_round = st.query_params.pop("round", None)
    wanted_section = st.query_params.pop("section", None)
    by_name = {r.name.lower(): r.id for r in by_id.values()}
    if wanted_round and wanted_round.lower() in by_name:
        st.session_state["review_round"] = by_name[wanted_round.lower()]
    ids = {str(sec.id): sec.id for sec in section_list}
    if wanted_section in ids:
        st.session_state["review_filter_section"] = ids[wanted_section]
    elif wanted_section and wanted_section.upper() in parts.SPEC_BY_CODE:
        st.session_state["review_filter_section"] = wanted_section.upper()


def comment_filters(
    ctx: ui.PageContext,
    section_list: list[Section],
    answerable: set[int],
    found: dict[str, Target],
    answerable_parts: set[str],
) -> dict[str, Any]:
    """Show the comment table's filters; return them as list_comments arguments.

    The "Section or part" filter offers the sections, then the parts: a part keeps the
    comments on it and on its items (KF: the comments on KF, F1, F2…).
    """
    codes: dict[int | str, str] = {sec.id: sec.code for sec in section_list}
    codes |= {t.code: f"{t.code} {part_title(t.code)}" for t in found.values() if t.kind == "part"}
    top = st.columns(4)
    chosen = top[0].selectbox(
        _("Section or part"),
        [ANY, *codes],
        format_func=lambda i: _("All sections and parts") if i == ANY else codes.get(i, str(i)),
        key="review_filter_section",
        **KEEP,
    )
    kind = top[1].selectbox(
        _("Kind"),
        [ANY, *CommentKind],
        format_func=lambda k: _("Any kind") if k == ANY else ui.label(k),
        key="review_filter_kind",
        **KEEP,
    )
    disposition = top[2].selectbox(
        _("Disposition"),
        [ANY, *Disposition],
        format_func=lambda d: _("Any disposition") if d == ANY else ui.label(d),
        key="review_filter_disposition",
        **KEEP,
    )
    signed_choices = {ANY: N_("Any"), True: N_("Signed off"), False: N_("Not signed off yet")}
    signed = top[3].selectbox(
        _("Review Editor sign-off"),
        [ANY, True, False],
        format_func=lambda v: _(signed_choices[v]),
        key="review_filter_signed",
        **KEEP,
    )
    bottom = st.columns([2, 2, 1.4])
    text = bottom[0].text_input(
        _("Search comments, suggestions and responses"), key="review_filter_text", **KEEP
    )
    reviewer: int | str | None = bottom[1].text_input(
        _("Reviewer's name contains"), key="review_filter_reviewer", **KEEP
    )
    open_only = bottom[2].checkbox(
        _("Awaiting a response only"),
        key="review_filter_open",
        **KEEP,
        help=_("Comments without a response or a disposition."),
    )
    section_id = chosen if isinstance(chosen, int) else None
    part_codes: set[str] | None = None
    if isinstance(chosen, str) and chosen != ANY:
        part_codes = {t.code for t in found.values() if t.kind != "section" and t.part == chosen}
    section_ids = None
    if ctx.has(Role.reviewer):
        if bottom[2].checkbox(_("My comments only"), key="review_filter_mine", **KEEP):
            reviewer = ctx.person.id
    elif answerable and len(answerable) < len(section_list):
        mine = bottom[2].checkbox(
            _("My sections only"),
            key="review_filter_mine_sections",
            **KEEP,
            help=_(
                "Comments on the sections you lead or co-author, and on the findings, "
                "register rows and recommendations that belong to them."
            ),
        )
        if mine and part_codes is not None:
            part_codes &= answerable_parts
        elif mine:
            section_ids = sorted(answerable)
            if section_id is None:
                part_codes = set(answerable_parts)
    return {
        "section_id": section_id,
        "section_ids": section_ids,
        "part_codes": sorted(part_codes) if part_codes is not None else None,
        "reviewer": reviewer or None,
        "kind": None if kind == ANY else kind,
        "disposition": None if disposition == ANY else disposition,
        "open_only": open_only,
        "signed_off": None if signed == ANY else signed,
        "text": text or None,
    }


def show_table(page: list[ReviewComment], codes: dict[int, str]) -> None:
    """Show one page of comments in the IPCC comment-table columns."""
    # The page's column names; the comment-table file keeps the IPCC's English headers.
    col = {
        name: _(name)
        for name in (
            N_("No"),
            N_("Section"),
            N_("Lines"),
            N_("Reviewer"),
            N_("Affiliation"),
            N_("Kind"),
            N_("Comment"),
            N_("Suggested change"),
            N_("Response"),
            N_("Disposition"),
            N_("Signed off"),
        )
    }
    rows = [
        {
            col["No"]: c.number,
            col["Section"]: on_label(c, codes),
            col["Lines"]: f"{c.from_line}–{c.to_line}"
            if c.to_line != c.from_line
            else str(c.from_line),
            col["Reviewer"]: c.reviewer_name,
            col["Affiliation"]: c.affiliation,
            col["Kind"]: ui.label(CommentKind(c.kind)),
            col["Comment"]: c.comment,
            col["Suggested change"]: c.suggested_change,
            col["Response"]: c.response,
            col["Disposition"]: ui.label(Disposition(c.disposition)) if c.disposition else "—",
            col["Signed off"]: c.signed_off_at is not None,
        }
        for c in page
    ]
    st.dataframe(
        ui.safe_table(rows),
        hide_index=True,
        column_config={
            col["No"]: st.column_config.NumberColumn(width="small"),
            col["Section"]: st.column_config.TextColumn(
                width="small",
                help=_(
                    "The section, or the part (KF, CR, FS, REC, IN) or item "
                    "(a finding's code, CR8, R4…) the comment is on."
                ),
            ),
            col["Lines"]: st.column_config.TextColumn(width="small"),
            col["Reviewer"]: st.column_config.TextColumn(width="medium"),
            col["Affiliation"]: st.column_config.TextColumn(width="small"),
            col["Comment"]: st.column_config.TextColumn(width="large"),
            col["Suggested change"]: st.column_config.TextColumn(width="medium"),
            col["Response"]: st.column_config.TextColumn(width="large"),
            col["Signed off"]: st.column_config.CheckboxColumn(),
        },
    )


def show_cited_lines(
    s: Session, review_round: ReviewRound, comment: ReviewComment, target: Target | None
) -> None:
    """Show the frozen lines a comment cites, with their numbers, and the whole frozen text."""
    if target is None:
        st.warning(
            _("What comment {number} is on was not frozen for this round.").format(
                number=comment.number
            )
        )
        return
    try:
        frozen = frozen_lines(s, review_round, target)
    except WorkbenchError as exc:
        st.warning(ui.md_message(exc.message))
        return
    name = ui.md(review_round.name)
    where = (
        _("Section {code}").format(code=target.code)
        if target.kind == "section"
        else target_label(target)
    )
    st.caption(
        _("{where}, {lines}, as frozen for {round}").format(
            where=ui.md(where), lines=lines_label(comment), round=name
        )
    )
    cited = frozen[comment.from_line - 1 : comment.to_line]
    if not cited:
        st.warning(_("The frozen text has no such lines."))
    elif target.kind == "section":
        st.code(numbered(cited, comment.from_line), language=None, wrap_lines=True)
    else:
        st.code(
            part_view(frozen, comment.from_line, comment.to_line), language=None, wrap_lines=True
        )
    if target.kind == "section":
        with st.expander(
            _("Whole section {code} as frozen for {round}").format(
                code=ui.md(target.code), round=name
            )
        ):
            st.code("\n".join(frozen), language=None, line_numbers=True, wrap_lines=True)
    else:
        title = part_title(target.part)
        with st.expander(
            _("Whole part {code} ({title}) as frozen for {round}").format(
                code=target.part, title=ui.md(title), round=name
            )
        ):
            st.code(part_view(frozen), language=None, wrap_lines=True)


def respond_panel(
    s: Session,
    ctx: ui.PageContext,
    review_round: ReviewRound,
    page: list[ReviewComment],
    answerable: set[int],
    answerable_parts: set[str],
    codes: dict[int, str],
    found: dict[str, Target],
) -> None:
    """Let an author answer one comment of the page that they may answer."""
    st.subheader(_("Answer a comment"))
    if review_round.status != RoundStatus.open:
        st.caption(
            _("{round} is closed; its responses are final.").format(round=ui.md(review_round.name))
        )
        return
    choices = [
        c
        for c in page
        if (c.section_id in answerable if c.section_id is not None else c.part in answerable_parts)
    ]
    if not choices:
        mine = ", ".join(sorted(codes[i] for i in answerable if i in codes))
        st.info(
            _(
                "None of the comments shown is on a section you lead or co-author "
                "({sections}) or on a finding, register row or recommendation of one. Tick "
                "'{mine}' or choose one of your sections above. The CLAs answer the "
                "comments on the other parts of the report."
            ).format(sections=mine, mine=_("My sections only"))
        )
        return
    by_number = {c.number: c for c in choices}
    first_open = next((i for i, c in enumerate(choices) if not is_answered(c)), 0)
    number = st.selectbox(
        _("Comment to answer"),
        list(by_number),
        index=first_open,
        format_func=lambda n: answer_choice(by_number[n], codes),
        key="review_respond_pick",
        help=_("The comments on this page of the table that you may answer."),
    )
    comment = by_number[number]
    target = parts.resolve(found, on_label(comment, codes))
    left, right = st.columns([3, 2], gap="large")
    with left:
        who = comment.reviewer_name + (f" ({comment.affiliation})" if comment.affiliation else "")
        st.markdown(
            "**"
            + _("Comment {number}").format(number=comment.number)
            + f"** · {ui.label(CommentKind(comment.kind))} · {ui.md(who)}"
        )
        # A comment is shown as the reviewer typed it: never as links, images or formatting.
        st.markdown(ui.md_text(comment.comment))
        if comment.suggested_change.strip():
            st.markdown("**" + _("Suggested change") + "**")
            st.markdown(ui.md_text(comment.suggested_change))
        show_cited_lines(s, review_round, comment, target)
    with right:
        if not reviews.may_answer(s, ctx.person, comment):
            st.info(_("You may not answer this comment: ask a CLA."))
            return
        response = st.text_area(
            _("Response"),
            value=comment.response,
            height=180,
            key=f"review_response_{comment.id}",
            help=_("Say what changed in the text, or why it did not."),
        )
        options = list(Disposition)
        disposition = st.selectbox(
            _("Disposition"),
            options,
            index=options.index(Disposition(comment.disposition)) if comment.disposition else None,
            format_func=ui.label,
            placeholder=_("Choose a disposition"),
            key=f"review_disposition_{comment.id}",
        )
        st.caption(
            _("'{noted}' and '{rejected}' need a response that gives the reason.").format(
                noted=ui.label(Disposition.noted), rejected=ui.label(Disposition.rejected)
            )
        )
        if comment.signed_off_at is not None:
            st.caption(
                _(
                    "A Review Editor has signed this response off; changing it withdraws the "
                    "sign-off."
                )
            )
        if st.button(_("Save response"), type="primary", key="review_respond_save"):
            if disposition is None:
                st.error(
                    _("Choose a disposition: accepted, taken into account, noted or rejected.")
                )
            else:
                saved = ui.run_action(
                    lambda: reviews.respond(
                        session=s,
                        actor=ctx.person,
                        comment=comment,
                        response=response,
                        disposition=disposition,
                    ),
                    success=_("Response to comment {number} saved.").format(number=comment.number),
                )
                if saved is not None:
                    st.rerun()


def answer_choice(comment: ReviewComment, codes: dict[int, str]) -> str:
    """Return how a comment to answer reads in the list: 'No 4 · section 2.1, line 3 · open'."""
    where = on_label(comment, codes)
    if comment.section_id:
        where = _("section {code}").format(code=where)
    return _("No {number} · {where}, {lines} · {status}").format(
        number=comment.number, where=where, lines=lines_label(comment), status=status_of(comment)
    )


def show_answer(comment: ReviewComment) -> None:
    """Show a comment and its response in full, for the Review Editor to judge."""
    with st.container(border=True):
        st.markdown(
            "**"
            + _("Comment {number}").format(number=comment.number)
            + f"** · {ui.md(comment.reviewer_name)} · {ui.label(CommentKind(comment.kind))}"
        )
        st.markdown(ui.md_text(comment.comment))
        if comment.suggested_change.strip():
            st.markdown("*" + _("Suggested change:") + "* " + ui.md_text(comment.suggested_change))
        disposition = ui.label(Disposition(comment.disposition)) if comment.disposition else "—"
        st.markdown("**" + _("Response") + f"** ({disposition})")
        st.markdown(ui.md_text(comment.response))


def comment_number(number: int) -> str:
    """Return 'No 4', a comment's number as a choice reads."""
    return _("No {number}").format(number=number)


def sign_off_panel(s: Session, ctx: ui.PageContext, page: list[ReviewComment]) -> None:
    """Let a Review Editor sign off answered comments of the page, or withdraw a sign-off."""
    st.subheader(_("Sign off responses"))
    waiting = {c.number: c for c in page if is_answered(c) and c.signed_off_at is None}
    signed = {c.number: c for c in page if c.signed_off_at is not None}
    if not waiting and not signed:
        st.info(
            _(
                "No comment shown has an answer to sign off yet. Comments awaiting a response "
                "appear here once the authors answer them."
            )
        )
        return
    left, right = st.columns(2, gap="large")
    with left:
        if waiting:
            chosen = st.multiselect(
                _("Answered comments to sign off as fair"),
                list(waiting),
                format_func=comment_number,
                placeholder=_("Choose comment numbers"),
                key="review_signoff_pick",
                help=_(
                    "Signing off says the response answers the comment fairly. The comments "
                    "you choose are shown in full below."
                ),
            )
            count = len(chosen)
            if st.button(
                ngettext("Sign off {n} response", "Sign off {n} responses", count).format(
                    n=i18n.format_number(count)
                )
                if count
                else _("Sign off"),
                type="primary",
                disabled=not chosen,
                key="review_signoff",
            ):
                done = ui.run_action(
                    lambda: reviews.sign_off(
                        session=s, actor=ctx.person, comments=[waiting[n] for n in chosen]
                    ),
                    success=ngettext(
                        "Signed off comment {numbers}.", "Signed off comments {numbers}.", count
                    ).format(numbers=listed(chosen)),
                )
                if done is not None:
                    ui.reset_keys("review_signoff_pick")
                    st.rerun()
            for number in chosen:
                show_answer(waiting[number])
        else:
            st.caption(_("Every answered comment shown is signed off."))
    with right:
        if signed:
            withdraw = st.multiselect(
                _("Signed-off comments to withdraw"),
                list(signed),
                format_func=comment_number,
                placeholder=_("Choose comment numbers"),
                key="review_withdraw_pick",
            )
            if st.button(_("Withdraw sign-off"), disabled=not withdraw, key="review_withdraw"):
                done = ui.run_action(
                    lambda: reviews.withdraw_sign_off(
                        session=s, actor=ctx.person, comments=[signed[n] for n in withdraw]
                    ),
                    success=ngettext(
                        "Sign-off withdrawn from comment {numbers}.",
                        "Sign-off withdrawn from comments {numbers}.",
                        len(withdraw),
                    ).format(numbers=listed(withdraw)),
                )
                if done is not None:
                    ui.reset_keys("review_withdraw_pick")
                    st.rerun()


def comments_tab(
    s: Session,
    ctx: ui.PageContext,
    review_round: ReviewRound,
    section_list: list[Section],
    answerable: set[int],
) -> None:
    """Show the filtered, paged comment table and the actions on its comments."""
    codes = {sec.id: sec.code for sec in section_list}
    # What comments are on and who answers them; the lines are read for one comment at a time.
    found = parts.targets(s, review_round.id, section_lines=False)
    answerable_parts = (
        reviews.answerable_part_codes(
            s, person=ctx.person, report_id=review_round.report_id, round_id=review_round.id
        )
        if answerable
        else set()
    )
    filters = comment_filters(ctx, section_list, answerable, found, answerable_parts)
    pager_key = f"review_pager_{review_round.id}_{sorted(filters.items())}"
    # One query for the page and the count: the page wanted is known before the pager is drawn.
    offset = (int(st.session_state.get(pager_key, 1) or 1) - 1) * PAGE_SIZE
    page, total = reviews.list_comments(
        s, round_id=review_round.id, limit=PAGE_SIZE, offset=offset, **filters
    )
    if offset and offset >= total:
        ui.reset_keys(pager_key)
        offset = 0
        page, total = reviews.list_comments(
            s, round_id=review_round.id, limit=PAGE_SIZE, offset=0, **filters
        )
    filtered = any(v not in (None, False) for v in filters.values())
    if total == 0:
        if filtered:
            st.info(_("No comment matches these filters. Clear a filter to see more."))
        elif ui.allowed(ctx, s, Action.comment):
            st.info(
                _("{round} has no comments yet. Add yours in the '{tab}' tab.").format(
                    round=ui.md(review_round.name), tab=_(ADD_TAB)
                )
            )
        else:
            st.info(_("{round} has no comments yet.").format(round=ui.md(review_round.name)))
        return
    # A common word's matches are counted up to a limit, and paged up to it.
    ui.pager(min(total, reviews.TEXT_MATCHES_COUNTED), key=pager_key, page_size=PAGE_SIZE)
    number = i18n.format_number
    if total > reviews.TEXT_MATCHES_COUNTED:
        said = _(
            "More than {n} comments match; showing {first}–{last} of the first {n} by number. "
            "Add a word or a filter to narrow them down. Hover over a cell to read all of it."
        ).format(
            n=number(reviews.TEXT_MATCHES_COUNTED),
            first=number(offset + 1),
            last=number(offset + len(page)),
        )
    elif total > PAGE_SIZE:
        said = ngettext(
            "{n} comment matches; showing {first}–{last}. Hover over a cell to read all of it.",
            "{n} comments match; showing {first}–{last}. Hover over a cell to read all of it.",
            total,
        ).format(n=number(total), first=number(offset + 1), last=number(offset + len(page)))
    else:
        said = ngettext(
            "{n} comment matches. Hover over a cell to read all of it.",
            "{n} comments match. Hover over a cell to read all of it.",
            total,
        ).format(n=number(total))
    st.caption(said)
    show_table(page, codes)
    if answerable:
        respond_panel(s, ctx, review_round, page, answerable, answerable_parts, codes, found)
    elif ctx.has(Role.cla, Role.lead_author):
        if ui.allowed(ctx, s, Action.respond_to_comment):
            st.caption(_("You lead or co-author no section yet, so no comment awaits your answer."))
        else:
            st.info(
                _(
                    "Sign the Panel's Code of Ethics first: until then you can read the comments "
                    "but not answer them."
                )
            )
    elif ctx.has(Role.contributing_author):
        st.caption(
            _(
                "The section's Lead Author, its co-authoring Lead Authors or a CLA answer the "
                "comments."
            )
        )
    if ui.allowed(ctx, s, Action.sign_off_response):
        sign_off_panel(s, ctx, page)


def by_section_tab(s: Session, review_round: ReviewRound) -> None:
    """Show the comments of each disposition per section, as a table and a stacked bar chart."""
    counts = reviews.disposition_counts(s, round_id=review_round.id)
    if not counts:
        st.info(
            _("{round} has no comments yet, so there is nothing to count.").format(
                round=ui.md(review_round.name)
            )
        )
        return
    section_col, comments_col, disposition_col = _("Section"), _("Comments"), _("Disposition")
    table = []
    long: list[dict[str, Any]] = []
    for row in counts:
        decided = sum(row[d.value] for d in Disposition)
        entry: dict[str, Any] = {section_col: row["section"], comments_col: row["total"]}
        for d in Disposition:
            entry[ui.label(d)] = row[d.value]
        entry[_(AWAITING)] = row["open"]
        entry[_("Signed off")] = row["signed_off"]
        table.append(entry)
        shares = [(ui.label(d), row[d.value]) for d in Disposition]
        shares.append((_(AWAITING), row["total"] - decided))
        for rank, (label, n) in enumerate(shares):
            if n:
                long.append(
                    {
                        section_col: row["section"],
                        disposition_col: label,
                        comments_col: n,
                        "rank": rank,
                    }
                )
    st.dataframe(ui.safe_table(table), hide_index=True)
    order = [row["section"] for row in counts]
    # A plain Vega-Lite spec: building it through Altair validates it against the whole
    # schema on every run, which costs more than the rest of this tab.
    spec = {
        "data": {"values": long},
        "mark": "bar",
        "height": 320,
        "encoding": {
            "x": {
                "field": section_col,
                "type": "nominal",
                "sort": order,
                "axis": {"labelAngle": 0},
            },
            "y": {
                "field": comments_col,
                "type": "quantitative",
                "stack": "zero",
                "axis": {"format": "d", "tickMinStep": 1},
            },
            "color": {
                "field": disposition_col,
                "type": "nominal",
                "scale": {
                    "domain": [_(label) for label in CHART_COLOURS],
                    "range": list(CHART_COLOURS.values()),
                },
                "legend": {"orient": "bottom", "title": None},
            },
            "order": {"field": "rank", "type": "quantitative"},
            "tooltip": [
                {"field": section_col, "type": "nominal"},
                {"field": disposition_col, "type": "nominal"},
                {"field": comments_col, "type": "quantitative"},
            ],
        },
    }
    st.vega_lite_chart(spec=spec, width="stretch")


def add_comment_tab(
    s: Session, ctx: ui.PageContext, review_round: ReviewRound, section_list: list[Section]
) -> None:
    """Let a reviewer comment on lines of a frozen section or part while the round is open."""
    name = ui.md(review_round.name)
    if review_round.status != RoundStatus.open:
        st.info(_("{round} is closed; it no longer takes comments.").format(round=name))
        return
    today = date.today()
    if not review_round.opens_on <= today <= review_round.closes_on:
        st.info(
            _("{round} takes comments from {opens} to {closes}; today it does not.").format(
                round=name,
                opens=long_date(review_round.opens_on),
                closes=long_date(review_round.closes_on),
            )
        )
        return
    # The chosen section's lines are read below (frozen_lines), not every section's here.
    listed = parts.targets(s, review_round.id, section_lines=False)
    choices = {t.code: t for t in ordered_targets(listed, section_list)}
    if not choices:
        st.info(
            _("{round} froze no section, so there is nothing to comment on.").format(round=name)
        )
        return
    st.caption(
        _(
            "Comment on the text as frozen for {round} (until {closes}): a section, or a part "
            "of the report — the key findings, the registers, the recommendations, the "
            "initiatives — or one item of it, such as a finding or a recommendation. Cite the "
            "lines your comment is about by their numbers, as the review copy prints them."
        ).format(round=name, closes=long_date(review_round.closes_on))
    )
    code = st.selectbox(
        _("What your comment is on"),
        list(choices),
        format_func=lambda c: target_label(choices[c]),
        key="review_new_target",
        help=_(
            "The sections come first, then each part of the report followed by its items. "
            "Lines are numbered from 1 in each section and each part."
        ),
    )
    target = choices[code]
    lines = frozen_lines(s, review_round, target)
    if target.kind == "section":  # listed without reading every section: count its lines now
        target = replace(target, line_count=len(lines))
    count = max(len(lines), 1)
    first, last = target.lines or (1, 1)
    if target.kind == "section":
        st.code("\n".join(lines), language=None, line_numbers=True, wrap_lines=True, height=360)
    else:
        title = ui.md(part_title(target.part))
        if target.lines:
            st.caption(
                _("{part} ({code}) as frozen for {round}; {item} is on {lines}.").format(
                    part=title,
                    code=target.part,
                    round=name,
                    item=ui.md(parts.item_title(target.title)),
                    lines=lines_label_of(first, last),
                )
            )
        else:
            st.caption(
                _("{part} ({code}) as frozen for {round}.").format(
                    part=title, code=target.part, round=name
                )
            )
        st.code(part_view(lines), language=None, wrap_lines=True, height=360)
    left, right, kind_col = st.columns(3)
    from_line = int(
        left.number_input(
            _("From line"),
            min_value=1,
            max_value=count,
            value=min(first, count),
            key=f"review_new_from_{code}",
        )
    )
    to_line = int(
        right.number_input(
            _("To line"),
            min_value=1,
            max_value=count,
            value=min(max(last, from_line), count),
            key=f"review_new_to_{code}",
        )
    )
    kind = kind_col.selectbox(
        _("Kind"),
        list(CommentKind),
        index=list(CommentKind).index(CommentKind.substantive),
        format_func=ui.label,
        key="review_new_kind",
    )
    problem = target.line_problem(review_round.name, from_line, to_line)
    if problem is not None:
        st.warning(ui.md_message(Sentence(problem).render()))
    else:
        st.caption(_("The lines you cite:"))
        cited = (
            numbered(lines[from_line - 1 : to_line], from_line)
            if target.kind == "section"
            else part_view(lines, from_line, to_line)
        )
        st.code(cited, language=None, wrap_lines=True)
    comment = st.text_area(
        _("Comment"),
        key="review_new_comment",
        placeholder=_("What should change, and why?"),
        height=140,
    )
    suggestion = st.text_area(
        _("Suggested change (optional)"), key="review_new_suggestion", height=100
    )
    where = (
        _("section {code}").format(code=target.code)
        if target.kind == "section"
        else target_label(target)
    )
    if st.button(_("Add comment"), type="primary", key="review_new_add"):
        added = ui.run_action(
            lambda: reviews.add_comment(
                session=s,
                actor=ctx.person,
                round=review_round,
                section_id=target.section_id if target.kind == "section" else None,
                part=target.stored_part,
                from_line=from_line,
                to_line=to_line,
                comment=comment,
                kind=kind,
                suggested_change=suggestion,
            ),
            success=_("Your comment on {where} was added to {round}.").format(
                where=where, round=review_round.name
            ),
        )
        if added is not None:
            ui.reset_keys("review_new_comment", "review_new_suggestion")
            st.rerun()


def changes_tab(s: Session, review_round: ReviewRound, section_list: list[Section]) -> None:
    """Show, per section, what changed since the previous review round."""
    st.caption(
        _(
            "What the authors changed in a section since the previous review round: the text "
            "that round froze beside the text under review now, word by word."
        )
    )
    chosen = st.selectbox(
        _("Section to compare"),
        [x.id for x in section_list],
        format_func={x.id: f"{x.code} {x.title}" for x in section_list}.__getitem__,
        key="review_changes_section",
    )
    change = reviews.changes_since_last_round(s, section_id=chosen)
    if change is None:
        st.info(
            _(
                "There is no earlier review round for this section yet, so there is nothing to "
                "compare: its whole text is new to reviewers."
            )
        )
        return
    st.markdown(f"**{ui.md(change.before_label)} → {ui.md(change.after_label)}**")
    ui.diff_view(change.before_text, change.after_text, key="review_changes_diff")


def import_export_tab(s: Session, ctx: ui.PageContext, review_round: ReviewRound) -> None:
    """Import a comment table into the open round; export the round's comment table."""
    report = ctx.report
    name = ui.md(review_round.name)
    st.markdown("**" + _("Import a comment table") + "**")
    if review_round.status != RoundStatus.open:
        st.caption(
            _("{round} is closed: comments can be imported only into an open round.").format(
                round=name
            )
        )
    else:
        st.caption(
            _(
                "One row per comment, with the columns {columns} (required: {required}). "
                "'Section' holds a section's code or a part's (KF, CR, FS, REC, IN) or an "
                "item's (F3, CR2, R3, IN1…). Leave 'No' empty to number rows automatically. Or "
                "a Word document: the report exported for this round (Dashboard → Export) on "
                "which a reviewer left comments in Word's margin; each comment comes back on its "
                "section, part or item and lines, and comments imported before are skipped. The "
                "import is all or nothing: if a row or comment is wrong, nothing is added and "
                "every problem is listed."
            ).format(columns=", ".join(COLUMNS), required=", ".join(REQUIRED_COLUMNS))
        )
        generation = st.session_state.get("review_import_generation", 0)
        upload = st.file_uploader(
            _(
                "Comment table or commented Word draft for {round} (.csv, .xlsx or .docx, "
                "up to {size} MB)"
            ).format(round=name, size=MAX_TABLE_BYTES // 2**20),
            type=["csv", "xlsx", "docx"],
            key=f"review_import_file_{generation}",
        )
        if st.button(
            _("Import into {round}").format(round=name),
            disabled=upload is None,
            key="review_import",
        ):
            problems: list[Any] = []
            bar = st.progress(0.0, text=_("Checking the table…"))

            def progress(done: int, total: int) -> None:
                bar.progress(
                    done / total if total else 1.0,
                    text=_("{done} of {total} written").format(
                        done=i18n.format_number(done), total=i18n.format_number(total)
                    ),
                )

            def run_import() -> int | docx_import.CommentImport:
                importer = (
                    docx_import.import_comments_docx
                    if upload.name.lower().endswith(".docx")
                    else reviews.import_comments
                )
                try:
                    return importer(
                        session=s,
                        actor=ctx.person,
                        report=report,
                        round=review_round,
                        filename=upload.name,
                        content=upload.getvalue(),
                        progress=progress,
                    )
                except ImportFailed as exc:
                    problems.extend(exc.problems)
                    raise ImportFailed(exc.msg) from None

            added = ui.run_action(
                run_import,
                success=_("Imported {file} into {round}.").format(
                    file=upload.name, round=review_round.name
                ),
            )
            if isinstance(added, docx_import.CommentImport) and added.skipped:
                st.session_state[ui.FLASH] = ui.md_message(added.summary(review_round.name))
            bar.empty()
            if problems:
                st.dataframe(
                    ui.safe_table({_("Problem"): [i18n.render(p) for p in problems]}),
                    hide_index=True,
                )
            if added is not None:
                st.session_state["review_import_generation"] = generation + 1
                st.rerun()
    st.divider()
    st.markdown("**" + _("Export the comment table") + "**")
    st.caption(_("Every comment of {round}, in the IPCC comment-table columns.").format(round=name))
    fmt = st.radio(
        _("File format"),
        list(FORMATS),
        format_func=FORMATS.get,
        horizontal=True,
        key="review_export_fmt",
    )
    ready_key = (review_round.id, fmt)

    def file_data() -> bytes:
        return comment_table_file(
            database_url(),
            ui.data_version(s),
            review_round.id,
            fmt,
            ctx.person.id,
            s,
            ctx.person,
            report,
            review_round,
        )

    if st.button(_("Prepare the file"), key="review_export_prepare"):
        with st.status(_("Preparing the comment table of {round}…").format(round=name)) as status:
            try:
                file_data()
            except WorkbenchError as exc:
                status.update(label=_("The comment table could not be prepared"), state="error")
                st.error(ui.md_message(exc.message))
            else:
                status.update(label=_("The comment table is ready"), state="complete")
                st.session_state["review_export_ready"] = ready_key
    if st.session_state.get("review_export_ready") == ready_key:
        st.download_button(
            _("Download {format}").format(format=FORMATS[fmt]),
            data=file_data(),
            file_name=f"{report.slug}-{review_round.name}-comments.{fmt}",
            mime=MIME[fmt],
            type="primary",
            key="review_export_download",
        )


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title(_("Review"))
    ui.frozen_notice(ctx, s)
    ui.require(ctx, s, Action.read_report)
    if not ctx.has(*REVIEW_ROLES):
        st.error(
            _(
                "Not permitted. The Review page is for the report's authors, Review Editors and "
                "reviewers, and for the Secretariat."
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

    summaries = round_summaries(s, report.id)
    if summaries:
        show_rounds(summaries)
    if ui.allowed(ctx, s, Action.manage_review_round):
        manage_rounds(s, ctx, summaries)
    if not summaries:
        st.info(
            _(
                "This report has no review round yet. Its CLAs open one when the report reaches "
                "the first-order or second-order draft stage; reviewers can then comment."
            )
        )
        st.stop()

    by_id = {r.round.id: r.round for r in summaries}
    open_ids = [r.round.id for r in summaries if r.round.status == RoundStatus.open]
    default = open_ids[0] if open_ids else summaries[-1].round.id
    round_ids = list(by_id)
    follow_link(by_id, sections.list_sections(s, report.id))
    round_id = st.selectbox(
        _("Review round"),
        round_ids,
        index=round_ids.index(default),
        format_func=lambda i: round_choice(by_id[i]),
        key="review_round",
        **KEEP,
    )
    review_round = by_id[round_id]
    section_list = sections.list_sections(s, report.id)
    answerable = reviews.answerable_section_ids(s, person=ctx.person, report_id=report.id)

    names = [COMMENTS_TAB, BY_SECTION_TAB, CHANGES_TAB]
    may_comment = ui.allowed(ctx, s, Action.comment)
    may_exchange = ui.allowed(ctx, s, Action.import_comments)
    if may_comment:
        names.append(ADD_TAB)
    if may_exchange:
        names.append(EXCHANGE_TAB)
    tabs = dict(zip(names, st.tabs([_(n) for n in names]), strict=True))
    with tabs[COMMENTS_TAB]:
        comments_tab(s, ctx, review_round, section_list, answerable)
    with tabs[BY_SECTION_TAB]:
        by_section_tab(s, review_round)
    with tabs[CHANGES_TAB]:
        changes_tab(s, review_round, section_list)
    if may_comment:
        with tabs[ADD_TAB]:
            add_comment_tab(s, ctx, review_round, section_list)
    if may_exchange:
        with tabs[EXCHANGE_TAB]:
            import_export_tab(s, ctx, review_round)
