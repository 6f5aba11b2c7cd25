"""Shared Streamlit helpers for the pages: engine, signed-in person, report picker, errors.

Pages are straight-line scripts: they call :func:`page_context` to get the
signed-in person and the chosen report, read through services inside
``with ui.session() as s:``, and wrap every write in :func:`run_action`, which
turns a domain error into ``st.error`` (never a traceback) and clears cached
views after a successful write. ``st.session_state`` holds ids and UI choices
only, never database objects or sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.errors import StreamlitAPIException

from workbench import permissions, reports
from workbench.db import database_url, make_engine, session_scope
from workbench.errors import WorkbenchError
from workbench.models import Person, Question, Report, Role, Stage

T = TypeVar("T")
# How a section's part of the report is named in tables.
SHORT_PART = {
    Question.front: "Front",
    Question.known: "Q1",
    Question.desirable: "Q2",
    Question.obstacles: "Q3",
    Question.action: "Q4",
    Question.cross_cutting: "Cross-cutting",
}
PERSON_KEY = "person_id"
REPORT_KEY = "report_slug"


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    """Return the app's engine for the configured database (one per server process)."""
    return _engine(database_url())


@contextmanager
def session() -> Iterator[Session]:
    """Open a database session for one page run or one action."""
    with session_scope(engine()) as s:
        yield s


def current_person(s: Session) -> Person | None:
    """Return the signed-in person, or None."""
    person_id = st.session_state.get(PERSON_KEY)
    if person_id is None:
        return None
    person = s.get(Person, person_id)
    if person is None or not person.active:
        st.session_state.pop(PERSON_KEY, None)
        return None
    return person


def sign_in(person: Person) -> None:
    """Remember the signed-in person for this browser session."""
    st.session_state[PERSON_KEY] = person.id


def sign_out() -> None:
    """Forget the signed-in person and their choices."""
    for key in list(st.session_state.keys()):
        st.session_state.pop(key, None)
    st.session_state[PERSON_KEY] = None


@dataclass
class PageContext:
    """Who is looking, at which report, with which roles there."""

    person: Person
    report: Report | None
    roles: set[Role]

    def has(self, *roles: Role) -> bool:
        """Return True when the person holds any of these roles here."""
        return bool(self.roles & set(roles))


def choose_report(s: Session, person: Person) -> Report | None:
    """Return the report chosen in the sidebar (by default the one furthest along)."""
    options = reports.reports_for(s, person)
    if not options:
        return None
    slugs = [r.slug for r in options]
    wanted = st.query_params.get("report") or st.session_state.get(REPORT_KEY)
    if wanted not in slugs:
        # Default to the report furthest along: it is the one most work waits on.
        stages = list(Stage)
        wanted = max(options, key=lambda r: (stages.index(Stage(r.stage)), r.slug)).slug
    st.session_state[REPORT_KEY] = wanted
    return next(r for r in options if r.slug == wanted)


def page_context(s: Session, *, need_report: bool = True) -> PageContext:
    """Return the page's context, or stop the page with a clear message."""
    apply_resets()
    person = current_person(s)
    if person is None:
        st.warning("Please sign in first.")
        st.stop()
    report = choose_report(s, person)
    if need_report and report is None:
        st.info(
            "You are not part of any report yet. The Secretariat or a report's CLAs can add you "
            "to a team."
        )
        st.stop()
    roles = permissions.roles_of(s, person, report.id if report else None)
    return PageContext(person=person, report=report, roles=roles)


def require(ctx: PageContext, s: Session, action: permissions.Action) -> None:
    """Stop the page with 'not permitted' unless the person may do ``action`` here."""
    try:
        permissions.require(s, ctx.person, action, ctx.report.id if ctx.report else None)
    except WorkbenchError as exc:
        st.error(f"Not permitted. {exc.message}")
        st.stop()


def allowed(ctx: PageContext, s: Session, action: permissions.Action) -> bool:
    """Return True when the person may do ``action`` in the current report."""
    return permissions.can(s, ctx.person, action, ctx.report.id if ctx.report else None)


def run_action(action: Callable[[], T], *, success: str | None = None) -> T | None:
    """Run a write; show its domain error as ``st.error``; clear cached views on success."""
    try:
        result = action()
    except WorkbenchError as exc:
        st.error(exc.message)
        return None
    st.cache_data.clear()
    if success:
        st.toast(success, icon="✅")
        st.session_state["_flash"] = success
    return result


def flash() -> None:
    """Show the success message of the action that caused this rerun, once."""
    message = st.session_state.pop("_flash", None)
    if message:
        st.success(message)


def pager(total: int, *, key: str, page_size: int = 50) -> int:
    """Show page controls for ``total`` rows; return the offset of the page chosen."""
    pages = max((total - 1) // page_size + 1, 1)
    if pages == 1:
        return 0
    page = st.number_input(
        f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1, key=key
    )
    return (int(page) - 1) * page_size


def label(value: Any) -> str:
    """Return an enum member's human label, or the value as text."""
    return getattr(value, "label", None) or ("" if value is None else str(value))


def people_names(s: Session, ids: list[int | None]) -> dict[int, str]:
    """Return id → name for the given person ids, in one query."""
    from sqlmodel import col, select

    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return {p.id: p.name for p in s.exec(select(Person).where(col(Person.id).in_(wanted))).all()}


def shorten(text: str, length: int = 90) -> str:
    """Return text on one line, cut to ``length`` characters with an ellipsis when cut."""
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


RESETS = "_ui_pending_resets"


def reset_keys(*keys: str) -> None:
    """Show these widgets empty (text blank, ticks off, choices at their default).

    Before the widget is drawn in this run that happens at once. A widget already
    drawn cannot be changed in the same run, and only forgetting its key would
    leave the old value in the browser, which sends it back; so its reset waits
    for the start of the next run (see :func:`apply_resets`).
    """
    pending = st.session_state.setdefault(RESETS, {})
    for key in keys:
        if key not in st.session_state:
            continue
        value = st.session_state[key]
        empty = False if isinstance(value, bool) else "" if isinstance(value, str) else None
        try:
            st.session_state[key] = value  # refused once the widget is on the page
        except StreamlitAPIException:
            pending[key] = empty
            continue
        if empty is None:
            del st.session_state[key]
        else:
            st.session_state[key] = empty


def apply_resets() -> None:
    """Carry out the resets asked for in the previous run (before any widget is drawn)."""
    for key, value in st.session_state.pop(RESETS, {}).items():
        if value is None:
            st.session_state.pop(key, None)
        else:
            st.session_state[key] = value


def export_panel(s: Session, ctx: PageContext, *, key: str) -> None:
    """Offer the report as a Word or Markdown document, with progress and a download."""
    from workbench import export, translations

    report = ctx.report
    with st.expander(
        "Export the report as a Word or Markdown document", icon=":material/download:"
    ):
        st.caption(
            "One document: cover, contents, the sections in the order of the four questions, "
            "findings, consensus, false solutions, recommendations, references and annexes. "
            "While a review round is open it is the draft under review, with line numbers and "
            "the open comments (in Word, as comments in the margin)."
        )
        left, middle = st.columns(2)
        fmt = left.radio(
            "Format",
            ["docx", "md"],
            format_func=lambda f: "Word (.docx)" if f == "docx" else "Markdown (.md)",
            horizontal=True,
            key=f"{key}_format",
        )
        languages = [c for c in translations.report_languages(report) if c.lower() != "en"]
        language = middle.selectbox(
            "Language",
            [None, *languages],
            format_func=lambda c: (
                "Original (English)" if c is None else translations.language_name(c)
            ),
            key=f"{key}_language",
            help="Sections not yet translated keep their original text, with a note.",
        )
        keep = st.checkbox(
            "Keep citations as [@key] and add the library as CSL-JSON (for editing with pandoc)",
            key=f"{key}_keep",
            disabled=fmt != "md",
        )
        if st.button("Prepare the document", type="primary", key=f"{key}_go"):
            bar = st.progress(0.0, text="Starting…")
            result = run_action(
                lambda: export.export_report(
                    session=s,
                    actor=ctx.person,
                    report=report,
                    fmt=fmt,
                    language=language,
                    keep_citations=keep and fmt == "md",
                    progress=lambda fraction, message: bar.progress(fraction, text=message),
                )
            )
            bar.empty()
            if result is not None:
                st.session_state[f"{key}_file"] = result
        result = st.session_state.get(f"{key}_file")
        if result is None:
            return
        st.success(f"Ready: {result.filename} (version {result.version}).")
        for warning in result.warnings:
            st.warning(warning)
        mime = (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            if result.filename.endswith(".docx")
            else "text/markdown"
        )
        st.download_button(
            f"Download {result.filename}",
            result.content,
            file_name=result.filename,
            mime=mime,
            key=f"{key}_download",
        )
        if result.csl_json:
            st.download_button(
                f"Download {report.slug}-references.json",
                result.csl_json,
                file_name=f"{report.slug}-references.json",
                mime="application/json",
                key=f"{key}_download_csl",
            )


def diff_view(old: str, new: str, *, key: str, height: int = 520) -> None:
    """Show a word-level diff with a legend, the texts escaped (never rendered)."""
    from workbench import diffing

    changes = diffing.word_diff(old, new)
    stats = diffing.diff_stats(changes)
    if all(c.op == "equal" for c in changes):
        st.info("The two texts are the same.")
        return
    st.markdown(
        f":green-background[**+{stats.words_added:,} words added**] · "
        f":red-background[~~−{stats.words_deleted:,} words removed~~]"
    )
    st.caption(
        "Struck through on red: removed. Bold on green: added. The text is shown as typed "
        "(Markdown signs are not applied), one line per line of the text."
    )
    with st.container(height=height, border=True, key=key):
        st.markdown(diffing.diff_markdown(changes))
