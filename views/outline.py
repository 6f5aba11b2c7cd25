"""Outline & assignments: the CLAs build the report's outline and share out the work.

The outline is grouped under the four synthesis questions (plus the front
matter and cross-cutting parts). CLAs add sections, rename and re-brief them,
move them up and down within their question, delete empty ones, and edit the
lead author, due date, word target and status of many sections at once (saved
all together, or not at all). A report without sections starts from the
template of the four questions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

import ui
from workbench import i18n, permissions, sections, teams
from workbench.governance import SECTION_TRANSITIONS
from workbench.i18n import N_, _, ngettext
from workbench.models import (
    Person,
    Question,
    Report,
    Role,
    Section,
    SectionCreate,
    SectionStatus,
)
from workbench.permissions import Action
from workbench.words import listing

UNASSIGNED = N_("— unassigned —")
# How the date picker writes a date in each interface language (Streamlit's default in English).
DATE_INPUT = {"fr": "DD/MM/YYYY", "es": "DD/MM/YYYY"}
# The section whose edit form is open (one at a time: a form per section would make a
# 60-section outline slow to draw).
EDITING = "outline_editing"
EDITOR_VERSION = "outline_editor_version"
CARDS = 25  # section cards shown at a time under each question


def as_date(value: Any) -> date | None:
    """Return a cell of the date column as a date (None when empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    return date.fromisoformat(text[:10]) if text else None


def as_target(value: Any) -> int | None:
    """Return a cell of the word-target column as a whole number (None when empty)."""
    if value is None or pd.isna(value):
        return None
    return round(float(value))


def unassigned() -> str:
    """Return how a section without a lead author reads in the pickers and the grid."""
    return _(UNASSIGNED)


def listed(items: Any, *, conjunction: str = "and") -> str:
    """Return items as prose in the current language ('a, b and c'; 'a, b et c')."""
    words = [str(item) for item in items]
    if i18n.current_language() == i18n.SOURCE:
        return listing(words, conjunction=conjunction)
    return i18n.format_list(words, style="or" if conjunction == "or" else "standard")


def date_label(value: date) -> str:
    """Return a due date as the outline shows it ('05 Mar 2026')."""
    return i18n.format_date(value, format="dd MMM y")


def part_labels() -> dict[Question, str]:
    """Return each part of the report under its name in the current language (for pickers,
    whose labels are made while the page runs)."""
    return {question: ui.label(question) for question in Question}


def author_labels(authors: list[tuple[int, str, str]]) -> dict[int, str]:
    """Return person id → the label shown in pickers (the name, plus the email if names repeat)."""
    names = [name for _, name, _ in authors]
    return {
        pid: (f"{name} ({email})" if names.count(name) > 1 else name)
        for pid, name, email in authors
    }


def transitions_help() -> str:
    """Return the legal status moves in words: the way forward, then the ways back."""
    order = list(SectionStatus)
    moves = [(a, b) for a in order for b in order if b in SECTION_TRANSITIONS[a]]
    forward = list(pairwise(order))

    def move(a: SectionStatus, b: SectionStatus) -> str:
        return _("from {old} to {new}").format(old=ui.label(a), new=ui.label(b))

    if not set(forward) <= set(moves):  # no straight way through: list every move
        return _("A status moves {moves}.").format(moves=listed(move(a, b) for a, b in moves))
    back = [move(a, b) for a, b in moves if (a, b) not in forward]
    steps = " → ".join(ui.label(s) for s in order)
    if back:
        return _("A status moves one step at a time: {steps}; or back, {moves}.").format(
            steps=steps, moves=listed(back)
        )
    return _("A status moves one step at a time: {steps}.").format(steps=steps)


def column_width(texts: list[str], *, least: int = 60) -> int:
    """Return a width in pixels for a grid column that shows the longest of these texts whole."""
    longest = max((len(text) for text in texts), default=0)
    # About 6 pixels a character in the grid's font, plus the cell's padding.
    return min(max(round(longest * 6) + 28, least), 1800)


def act(action: Callable[[], object], *, success: str) -> None:
    """Run a write through ui.run_action and show the new state when it succeeded."""
    if ui.run_action(lambda: action() or True, success=success):
        st.rerun()


def section_card(
    s: Session,
    actor: Person,
    report: Report,
    group: list[Section],
    index: int,
    labels: dict[int, str],
    names: dict[int, str],
    coauthors: dict[int, list[int]],
) -> None:
    """Show one section of the outline with move buttons, its edit form and deletion."""
    sec = group[index]
    text, up, down, edit = st.columns([12, 1, 1, 1])
    co = ", ".join(ui.md(labels.get(pid, "?")) for pid in coauthors.get(sec.id, []))
    facts = [_("Lead: {name}").format(name=ui.md(names.get(sec.lead_author_id) or unassigned()))]
    if co:
        facts.append(_("co-authors: {names}").format(names=co))
    facts.append(ui.label(sec.status))
    facts.append(
        _("due {date}").format(date=date_label(sec.due_date)) if sec.due_date else _("no due date")
    )
    if sec.word_target:
        facts.append(
            ngettext("{n} of {target} word", "{n} of {target} words", sec.word_target).format(
                n=i18n.format_number(sec.words), target=i18n.format_number(sec.word_target)
            )
        )
    else:
        facts.append(
            ngettext("{n} word", "{n} words", sec.words).format(n=i18n.format_number(sec.words))
        )
    text.markdown(f"**{ui.md(sec.code)} {ui.md(sec.title)}**  \n" + " · ".join(facts))
    order = [g.id for g in group]
    for column, step, arrow, word, hint, done in (
        (
            up,
            -1,
            ":material/arrow_upward:",
            "up",
            _("Move {code} up"),
            _("Moved {code} up."),
        ),
        (
            down,
            1,
            ":material/arrow_downward:",
            "down",
            _("Move {code} down"),
            _("Moved {code} down."),
        ),
    ):
        other = index + step
        # Icon-only buttons (no label to translate); the help names the move in words.
        if column.button(
            "",
            icon=arrow,
            key=f"{word}_{sec.id}",
            disabled=not 0 <= other < len(group),
            help=hint.format(code=sec.code),
        ):
            order[index], order[other] = order[other], order[index]
            act(
                lambda: sections.reorder_sections(
                    session=s,
                    actor=actor,
                    report=report,
                    question=Question(sec.question),
                    ordered_ids=order,
                ),
                success=done.format(code=sec.code),
            )
    editing = st.session_state.get(EDITING) == sec.id
    if edit.button(
        "",
        icon=":material/close:" if editing else ":material/edit:",
        key=f"edit_toggle_{sec.id}",
        help=(_("Close the editor of {code}") if editing else _("Edit {code}")).format(
            code=sec.code
        ),
    ):
        st.session_state[EDITING] = None if editing else sec.id
        st.rerun()
    if not editing:
        return
    with st.container(border=True):
        st.markdown(
            _("**Edit {code}: title, brief, part, co-authors**").format(code=ui.md(sec.code))
        )
        edit_form(s, actor, sec, labels, coauthors.get(sec.id, []))
        if sec.head_revision_id is None:
            sure = st.checkbox(
                _("Yes, delete the empty section {code}").format(code=sec.code),
                key=f"confirm_delete_{sec.id}",
            )
            if st.button(
                _("Delete section"),
                key=f"delete_{sec.id}",
                disabled=not sure,
                help=_("Only sections without any text can be deleted."),
            ):
                act(
                    lambda: sections.delete_section(session=s, actor=actor, section=sec),
                    success=_("Deleted section {code}.").format(code=sec.code),
                )
        else:
            st.caption(
                _(
                    "This section has text, so it stays in the record: rename or re-brief it "
                    "instead of deleting it."
                )
            )


def edit_form(
    s: Session, actor: Person, sec: Section, labels: dict[int, str], current: list[int]
) -> None:
    """Show the form that renames, re-briefs or moves a section and sets its co-authors."""
    with st.form(f"edit_{sec.id}"):
        left, right = st.columns([1, 3])
        code = left.text_input(
            _("Section code"), value=sec.code, max_chars=20, key=f"code_{sec.id}"
        )
        part = right.selectbox(
            _("Part of the report"),
            list(Question),
            index=list(Question).index(Question(sec.question)),
            format_func=part_labels().__getitem__,
            key=f"question_{sec.id}",
        )
        title = st.text_input(_("Title"), value=sec.title, max_chars=300, key=f"title_{sec.id}")
        brief = st.text_area(
            _("Brief (what the section must cover; Markdown)"),
            value=sec.brief,
            key=f"brief_{sec.id}",
        )
        chosen = st.multiselect(
            _("Co-authors"),
            list(labels),
            default=[pid for pid in current if pid in labels],
            format_func=lambda pid: labels[pid],
            key=f"coauthors_{sec.id}",
            help=_(
                "Co-authors may write in the section. The lead author is set in the "
                "'Assignments & deadlines' tab."
            ),
        )
        if st.form_submit_button(_("Save changes")):
            act(
                lambda: sections.update_section(
                    session=s,
                    actor=actor,
                    section=sec,
                    code=code.strip(),
                    title=title,
                    question=part,
                    brief=brief,
                    coauthor_ids=chosen,
                ),
                success=_("Saved section {code}.").format(code=code.strip()),
            )


def outline_by_question(
    s: Session,
    actor: Person,
    report: Report,
    outline: list[Section],
    labels: dict[int, str],
    coauthors: dict[int, list[int]],
) -> None:
    """Show the outline grouped under the report's parts, in order."""
    names = ui.people_names(s, [sec.lead_author_id for sec in outline])
    by_question: dict[Question, list[Section]] = {q: [] for q in Question}
    for sec in outline:
        by_question[Question(sec.question)].append(sec)
    for question, group in by_question.items():
        st.subheader(ui.label(question))
        if not group:
            if question in (Question.front, Question.cross_cutting):
                st.caption(_("No section here."))
            else:
                st.warning(
                    _("No section answers this question yet: add one in the 'Add a section' tab.")
                )
            continue
        # A page of sections at a time under each question: every card carries buttons, and
        # a report can hold hundreds of sections (the cards' work grows with them).
        offset = ui.pager(len(group), key=f"outline_page_{question.value}", page_size=CARDS)
        for index in range(offset, min(offset + CARDS, len(group))):
            with st.container(border=True):
                section_card(s, actor, report, group, index, labels, names, coauthors)


def changed_fields(
    edited: pd.DataFrame,
    original: pd.DataFrame,
    outline: list[Section],
    ids_by_label: dict[str, int],
) -> dict[int, dict[str, Any]]:
    """Return section id → the fields the CLA changed in the editor, as the service takes them."""
    status_by_label = {ui.label(status): status for status in SectionStatus}
    by_id = {sec.id: sec for sec in outline}
    changes: dict[int, dict[str, Any]] = {}
    for section_id, row in edited.iterrows():
        sec = by_id[int(section_id)]
        fields: dict[str, Any] = {}
        lead = row["Lead author"] or unassigned()
        if lead != original.at[section_id, "Lead author"]:
            fields["lead_author_id"] = ids_by_label.get(lead)
        due = as_date(row["Due date"])
        if due != sec.due_date:
            fields["due_date"] = due
        target = as_target(row["Word target"])
        if target != sec.word_target:
            fields["word_target"] = target
        status = status_by_label.get(row["Status"], sec.status)
        if status != sec.status:
            fields["status"] = status
        if fields:
            changes[sec.id] = fields
    return changes


def bulk_editor(
    s: Session, actor: Person, report: Report, outline: list[Section], labels: dict[int, str]
) -> None:
    """Show the editor of leads, due dates, word targets and statuses, saved all at once."""
    st.markdown(
        _(
            "Edit the cells, then **Save all changes**: every change is saved together, or "
            "none is if one of them is refused. On a narrow screen the grid scrolls sideways."
        )
    )
    st.caption(transitions_help())
    if not labels:
        st.info(_("The team has no authors yet: add them on the Team page to assign sections."))
    # The grid's columns keep their English names (the code reads them back); the
    # column_config below gives each its label in the reader's language.
    original = pd.DataFrame(
        [
            {
                "Code": sec.code,
                "Part": _(ui.SHORT_PART[Question(sec.question)]),
                "Title": sec.title,
                "Lead author": labels.get(sec.lead_author_id) or unassigned(),
                "Status": ui.label(sec.status),
                "Due date": sec.due_date,
                "Word target": sec.word_target,
                "Words": sec.words,
            }
            for sec in outline
        ],
        index=[sec.id for sec in outline],
    )
    version = st.session_state.get(EDITOR_VERSION, 0)
    edited = st.data_editor(
        original,
        hide_index=True,
        num_rows="fixed",
        width="stretch",
        height=35 * (len(outline) + 1) + 3,
        disabled=["Code", "Title", "Part", "Words"],
        # No title or part is cut: the grid sizes other columns by the first rows it draws
        # and stops at 500 pixels, but the last part may be the longest (Cross-cutting) and
        # titles run to 300 characters, so these two are sized here. A grid wider than the
        # page scrolls sideways.
        column_config={
            "Code": st.column_config.TextColumn(_("Code")),
            "Title": st.column_config.TextColumn(
                _("Title"), width=column_width([sec.title for sec in outline], least=160)
            ),
            "Lead author": st.column_config.SelectboxColumn(
                _("Lead author"), options=[unassigned(), *labels.values()], required=True
            ),
            "Status": st.column_config.SelectboxColumn(
                _("Status"),
                options=[ui.label(status) for status in SectionStatus],
                required=True,
                help=_("Moves one step at a time; the save is refused otherwise."),
            ),
            "Due date": st.column_config.DateColumn(_("Due date"), format="D MMM YYYY"),
            "Word target": st.column_config.NumberColumn(
                _("Word target"), min_value=1, step=1, format="%d"
            ),
            "Words": st.column_config.NumberColumn(_("Words written"), format="%d"),
            "Part": st.column_config.TextColumn(
                _("Part"),
                width=column_width(list(original["Part"])),
                help=_(
                    "Q1 What is known? · Q2 What is desirable? · Q3 What are the major "
                    "obstacles and opportunities? · Q4 What can be done, and by whom?"
                ),
            ),
        },
        key=f"outline_editor_{version}",
    )
    if st.button(_("Save all changes"), type="primary", key="save_bulk"):
        ids_by_label = {label: pid for pid, label in labels.items()}
        changes = changed_fields(edited, original, outline, ids_by_label)
        if not changes:
            st.info(_("Nothing has changed yet: edit a cell first."))
            return
        count = ui.run_action(
            lambda: sections.bulk_update(session=s, actor=actor, report=report, changes=changes),
            success=ngettext(
                "Saved changes to {n} section.", "Saved changes to {n} sections.", len(changes)
            ).format(n=i18n.format_number(len(changes))),
        )
        if count is not None:
            st.session_state[EDITOR_VERSION] = version + 1
            st.rerun()


def add_section_form(s: Session, actor: Person, report: Report, labels: dict[int, str]) -> None:
    """Show the form that adds a section, last under its part."""
    with st.form("add_section"):
        left, right = st.columns([1, 3])
        code = left.text_input(
            _("Section code"), max_chars=20, placeholder=_("e.g. 2.3"), key="new_code"
        )
        question = right.selectbox(
            _("Part of the report"),
            list(Question),
            index=list(Question).index(Question.known),
            format_func=part_labels().__getitem__,
            key="new_question",
        )
        title = st.text_input(_("Title"), max_chars=300, key="new_title")
        brief = st.text_area(_("Brief (what the section must cover; Markdown)"), key="new_brief")
        left, middle, right = st.columns(3)
        lead = left.selectbox(
            _("Lead author"),
            [None, *labels],
            format_func={None: unassigned(), **labels}.__getitem__,
            key="new_lead",
        )
        due = middle.date_input(
            _("Due date"),
            value=report.due_date,
            format=DATE_INPUT.get(i18n.current_language(), "YYYY/MM/DD"),
            key="new_due",
        )
        target = right.number_input(
            _("Word target (0 for none)"), min_value=0, step=100, value=0, key="new_target"
        )
        if st.form_submit_button(_("Add the section"), type="primary"):
            act(
                lambda: sections.add_section(
                    session=s,
                    actor=actor,
                    report=report,
                    data=SectionCreate(
                        code=code,
                        question=question,
                        title=title,
                        brief=brief,
                        due_date=due,
                        word_target=int(target) or None,
                    ),
                    lead_author_id=lead,
                ),
                success=_("Added section {code}.").format(code=code.strip()),
            )


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title(_("Outline & assignments"))
    ui.frozen_notice(ctx, s)
    if ctx.has(Role.cla) and not permissions.has_signed_current_code(s, ctx.person):
        st.warning(
            _(
                "Sign the Code of Ethics first: CLAs sign it before they can change the outline "
                "or assignments. It takes a minute on the Team page."
            )
        )
        st.page_link(
            "views/team.py", label=_("Read and sign the Code of Ethics"), icon=":material/group:"
        )
        st.stop()
    ui.require(ctx, s, Action.edit_outline)
    ui.flash()
    report = ctx.report
    st.caption(
        _(
            "{report} · every report answers the four synthesis questions; each section sits "
            "under one of them, or in the front matter or a cross-cutting part."
        ).format(report=ui.md(report.title))
    )
    outline = sections.list_sections(s, report.id)
    if not outline:
        st.info(
            _(
                "This report has no outline yet. Start from the Panel's template: sections for "
                "each of the four synthesis questions, plus a Summary for Policymakers and a "
                "cross-cutting part. You can rename, add and remove sections afterwards."
            )
        )
        if st.button(
            _("Create the outline from the template"), type="primary", key="create_outline"
        ):
            act(
                lambda: sections.create_outline(session=s, actor=ctx.person, report=report),
                success=_("The outline was created from the template."),
            )
        st.stop()
    labels = author_labels(
        [
            (m.person.id, m.person.name, m.person.email)
            for m in teams.members(s, report.id)
            if m.is_author
        ]
    )
    coauthors = sections.coauthors_by_section(s, report.id)
    tab_outline, tab_bulk, tab_add = st.tabs(
        [_("Outline"), _("Assignments & deadlines"), _("Add a section")], key="outline_tab"
    )
    with tab_outline:
        outline_by_question(s, ctx.person, report, outline, labels, coauthors)
    with tab_bulk:
        bulk_editor(s, ctx.person, report, outline, labels)
    with tab_add:
        add_section_form(s, ctx.person, report, labels)
