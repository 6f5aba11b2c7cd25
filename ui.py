"""Shared Streamlit helpers for the pages: engine, signed-in person, report picker, errors.

Pages are straight-line scripts: they call :func:`page_context` to get the
signed-in person and the chosen report, read through services inside
``with ui.session() as s:``, and wrap every write in :func:`run_action`, which
turns a domain error into ``st.error`` (never a traceback), rolls the action
back, and clears cached views after a successful write. ``st.session_state``
holds ids and UI choices only, never database objects or sessions.

Text one person wrote and another reads goes into Markdown through three
helpers: :func:`md` (names, titles, codes, comments: shown as typed, never as
links, emphasis or images), :func:`md_text` (the same for several lines) and
:func:`no_images` (section texts and other Markdown that must render: images
become links, so reading never fetches from another host). Read-only tables go
to ``st.dataframe`` through :func:`safe_table`, so its "Download as CSV" never
carries a spreadsheet formula. ``unsafe_allow_html`` stays off for all of it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import streamlit as st
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.errors import StreamlitAPIException

from workbench import i18n, permissions, reports, sessions, textguard
from workbench.comment_table import neutralise
from workbench.db import database_url, make_engine, session_scope
from workbench.errors import WorkbenchError
from workbench.i18n import N_, Msg, _, ngettext
from workbench.models import AUTHOR_ROLES, Person, Question, Report, Role, Stage

T = TypeVar("T")
# How a section's part of the report is named in tables.
SHORT_PART = {
    Question.front: N_("Front"),
    Question.known: N_("Q1"),
    Question.desirable: N_("Q2"),
    Question.obstacles: N_("Q3"),
    Question.action: N_("Q4"),
    Question.cross_cutting: N_("Cross-cutting"),
}


def short_part(question: Question | str) -> str:
    """Return how a section's part is named in tables, in the current language ('Q1')."""
    return _(SHORT_PART[Question(question)])


PERSON_KEY = "person_id"
REPORT_KEY = "report_slug"
# The sign-in session (workbench.sessions) this tab belongs to, checked on every run.
SIGN_IN_KEY = "sign_in_session_id"
# Set when this tab signed out or was signed out (the value says why, "" for nothing to
# say): it is not signed in again from the cookie it opened with.
SIGNED_OUT_KEY = "_signed_out"
# Set once this tab has tried the cookie it opened with.
COOKIE_TRIED_KEY = "_session_cookie_tried"
# The session cookie to write in the browser in this run: a value, or "" to delete it.
COOKIE_KEY = "_session_cookie"
# The interface language chosen in this browser session (?lang= or the sign-in picker).
LANGUAGE_KEY = "interface_language"
# The ?lang= value already applied: a later choice (the picker, the profile) is not undone
# by the address still naming the old one.
LANGUAGE_PARAM_KEY = "_interface_language_param"
# The language the tab was in when it signed out: its sign-in form stays in it, but the
# next person to sign in gets their own choice.
SIGNED_OUT_LANGUAGE_KEY = "_signed_out_language"


def _browser_language() -> str | None:
    try:
        return i18n.interface_language(st.context.locale)
    except Exception:  # no browser connection (a test run)
        return None


def apply_language(person: Person | None) -> str:
    """Set this run's interface language and return it.

    In order: ``?lang=`` in the address (kept for the session), the language picked
    on the sign-in page in this session, the person's choice in their profile, the
    browser's language when it is one of the three, else English. Signed out, the
    language the tab was in before comes before the browser's.
    """
    param = st.query_params.get("lang")
    asked = i18n.interface_language(param)
    if asked and param != st.session_state.get(LANGUAGE_PARAM_KEY):
        st.session_state[LANGUAGE_PARAM_KEY] = param
        st.session_state[LANGUAGE_KEY] = asked
    chosen = st.session_state.get(LANGUAGE_KEY)
    if not chosen and person is not None:
        chosen = person.interface_language
    if not chosen and person is None:
        chosen = st.session_state.get(SIGNED_OUT_LANGUAGE_KEY)
    return i18n.set_language(chosen or _browser_language())


def choose_language(code: str | None) -> None:
    """Make ``code`` this browser session's interface language (None: no session choice).

    The address says it too (``?lang=``), so a reload or a bookmark keeps it; without a
    session choice the address names none.
    """
    if code is None:
        st.session_state.pop(LANGUAGE_KEY, None)
        st.query_params.pop("lang", None)
        st.session_state.pop(LANGUAGE_PARAM_KEY, None)
    else:
        chosen = i18n.interface_language(code) or i18n.SOURCE
        st.session_state[LANGUAGE_KEY] = chosen
        st.session_state[LANGUAGE_PARAM_KEY] = chosen
        st.query_params["lang"] = chosen
    i18n.set_language(st.session_state.get(LANGUAGE_KEY))


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    """Return the app's engine for the configured database (one per server process)."""
    return _engine(database_url())


def data_version(s: Session) -> int:
    """Return the workspace's change stamp: the id of its newest audit event (0 when none).

    Several app servers share one database, and ``st.cache_data`` lives in one server
    process: clearing it after a write (:func:`run_action`) reaches only the server that
    wrote. So every cached read is keyed by this stamp as well. Every service that writes
    records an audit event in the same transaction, so the stamp moves when any server
    commits a change, and the next page run on every server misses the old entries. It
    is one primary-key lookup (the index's last entry), whatever the trail's size.

    On PostgreSQL two saves committing at the same moment can commit out of id order; a
    page run that read between them keeps the first one's counts until the next change or
    the cache's short time-to-live, whichever comes first.
    """
    from sqlmodel import func, select

    from workbench.models import AuditEvent

    return s.exec(select(func.max(AuditEvent.id))).one() or 0


# The sessions open in this script run (Streamlit runs each browser session's script in a
# thread of its own), so that run_action can roll back what a refused action left behind.
_open_sessions = threading.local()


def _sessions() -> list[Session]:
    if not hasattr(_open_sessions, "stack"):
        _open_sessions.stack = []
    return _open_sessions.stack


def _note_flush(s: Session, _context: Any) -> None:
    s.info[UNSAVED] = True


def _forget_flushes(s: Session, *_: Any) -> None:
    s.info.pop(UNSAVED, None)


UNSAVED = "ui_unsaved_writes"


@contextmanager
def session() -> Iterator[Session]:
    """Open a database session for one page run or one action."""
    with session_scope(engine()) as s:
        # Know whether a refused action left writes in the transaction (see run_action).
        event.listen(s, "after_flush", _note_flush)
        event.listen(s, "after_commit", _forget_flushes)
        event.listen(s, "after_rollback", _forget_flushes)
        _sessions().append(s)
        try:
            yield s
        finally:
            _sessions().remove(s)


def current_person(s: Session) -> Person | None:
    """Return the signed-in person, or None.

    A new tab (a reload, a bookmark, a link) is signed in from the browser's
    session cookie. Every run checks the tab's sign-in session, so signing out
    in another tab, a session idle too long and a deactivated account sign this
    tab out at its next action (the sign-in form says why).
    """
    person_id = st.session_state.get(PERSON_KEY)
    if person_id is None:
        return _resume_from_cookie(s)
    session_id = st.session_state.get(SIGN_IN_KEY)
    # Only the page tests' harness sets a person without a sign-in session.
    if session_id is not None:
        try:
            sessions.check(session=s, session_id=session_id, person_id=person_id)
        except WorkbenchError as exc:
            _signed_out_here(exc.msg)
            return None
    person = s.get(Person, person_id)
    if person is None or not person.active:
        _signed_out_here(Msg("You have been signed out: your account has been deactivated."))
        return None
    return person


def _session_cookie() -> str | None:
    try:
        value = st.context.cookies.get(sessions.COOKIE_NAME)
    except Exception:  # no browser connection (a test run): no cookies either
        return None
    return value if isinstance(value, str) else None


def _resume_from_cookie(s: Session) -> Person | None:
    # The cookie a tab opened with never changes during its life, so it is tried once:
    # trying it again could delete a cookie another tab has written since.
    if st.session_state.get(COOKIE_TRIED_KEY) or SIGNED_OUT_KEY in st.session_state:
        return None
    st.session_state[COOKIE_TRIED_KEY] = True
    cookie = _session_cookie()
    if not cookie:
        return None
    row = sessions.resume(session=s, cookie=cookie)
    person = s.get(Person, row.person_id) if row is not None else None
    if person is None:
        st.session_state[COOKIE_KEY] = ""  # forged, tampered or ended: delete it
        return None
    st.session_state[PERSON_KEY] = person.id
    st.session_state[SIGN_IN_KEY] = row.id
    return person


def _signed_out_here(message: Msg) -> None:
    # Kept as a message, not text: the sign-in page shows it in the language it is read in.
    sign_out()
    st.session_state[SIGNED_OUT_KEY] = message


def sign_in(s: Session, person: Person) -> None:
    """Start a sign-in session for the person: this tab, then the browser's other tabs."""
    new = sessions.start(session=s, person=person)
    for key in (SIGNED_OUT_KEY, COOKIE_TRIED_KEY):
        st.session_state.pop(key, None)
    st.session_state[PERSON_KEY] = person.id
    st.session_state[SIGN_IN_KEY] = new.id
    st.session_state[COOKIE_KEY] = sessions.cookie_value(new.token)


def sign_out(s: Session | None = None) -> None:
    """End this tab's sign-in session (every tab of the browser), forget the person and choices.

    The sign-in form that follows stays in the language the tab was in; the next
    person to sign in gets their own.
    """
    session_id = st.session_state.get(SIGN_IN_KEY)
    if s is not None and session_id is not None:
        sessions.end(session=s, session_id=session_id)
    keep = {
        key: st.session_state.get(key)
        for key in (LANGUAGE_PARAM_KEY,)
        if st.session_state.get(key) is not None
    }
    keep[SIGNED_OUT_LANGUAGE_KEY] = i18n.current_language()
    for key in list(st.session_state.keys()):
        st.session_state.pop(key, None)
    st.session_state.update(keep)
    st.session_state[PERSON_KEY] = None
    st.session_state[SIGNED_OUT_KEY] = ""
    st.session_state[COOKIE_KEY] = ""


def signed_out_reason() -> str:
    """Return why this tab was signed out without asking ('' when it signed out itself)."""
    return i18n.render(st.session_state.get(SIGNED_OUT_KEY) or "")


def write_session_cookie() -> None:
    """Set (or delete) the browser's session cookie when this run has one to write.

    Streamlit reads cookies (``st.context.cookies``) but cannot set them, so a
    short script does it. It cannot be HttpOnly for that reason; it is
    SameSite=Lax, Secure when the app is served over HTTPS, and holds only a
    signed, revocable token.
    """
    value = st.session_state.pop(COOKIE_KEY, None)
    if value is None:
        return
    if value and not sessions.COOKIE_VALUE.match(value):
        return  # never put anything but a signed token into the script
    age = int(sessions.MAX_AGE.total_seconds()) if value else 0
    st.html(
        "<script>(() => {"
        'const secure = window.location.protocol === "https:" ? "; Secure" : "";'
        f'document.cookie = "{sessions.COOKIE_NAME}={value}; Path=/; Max-Age={age}; '
        'SameSite=Lax" + secure;'
        "})();</script>",
        unsafe_allow_javascript=True,
        width="content",
    )


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
    # In the address too, so a link or a bookmark opens the same report.
    if st.query_params.get("report") != wanted:
        st.query_params["report"] = wanted
    return next(r for r in options if r.slug == wanted)


def page_context(s: Session, *, need_report: bool = True) -> PageContext:
    """Return the page's context, or stop the page with a clear message."""
    apply_resets()
    person = current_person(s)
    apply_language(person)
    if person is None:
        st.warning(_("Please sign in first."))
        st.stop()
    report = choose_report(s, person)
    if need_report and report is None:
        st.info(
            _(
                "You are not part of any report yet. The Secretariat or a report's CLAs can "
                "add you to a team."
            )
        )
        st.stop()
    roles = permissions.roles_of(s, person, report.id if report else None)
    return PageContext(person=person, report=report, roles=roles)


def require(ctx: PageContext, s: Session, action: permissions.Action) -> None:
    """Stop the page with 'not permitted' unless the person may do ``action`` here."""
    try:
        permissions.require(s, ctx.person, action, ctx.report.id if ctx.report else None)
    except WorkbenchError as exc:
        st.error(_("Not permitted. {reason}").format(reason=md_message(exc.message)))
        st.stop()


def frozen_notice(ctx: PageContext, s: Session) -> None:
    """Tell the report's authors, CLAs and the Secretariat when its content cannot change now."""
    if ctx.report is None or not ctx.roles & (AUTHOR_ROLES | {Role.secretariat}):
        return
    reason = permissions.frozen_reason(s, ctx.report.id)
    if reason:
        st.info(md_message(reason), icon=":material/lock:")


def allowed(ctx: PageContext, s: Session, action: permissions.Action) -> bool:
    """Return True when the person may do ``action`` in the current report."""
    return permissions.can(s, ctx.person, action, ctx.report.id if ctx.report else None)


def _roll_back_open_sessions() -> None:
    """Discard what a refused action left in the page's sessions (nothing of it is kept).

    Only a session holding such leftovers is rolled back: a refused text stays
    pending (and would be refused again by every later query of the run), rows
    written before the refusal would be committed by the next write. Others
    are left alone, so the objects the page shows stay loaded.
    """
    for s in _sessions():
        if s.new or s.dirty or s.deleted or s.info.get(UNSAVED):
            s.rollback()


def run_action(action: Callable[[], T], *, success: str | None = None) -> T | None:
    """Run a write; show its domain error as ``st.error``; clear cached views on success.

    A refused action is rolled back in every session the page has open, so a
    later write in the same run can never commit half of it. ``success`` is
    shown once, as typed (see :func:`md_message`): as a banner at the top of
    the page by :func:`flash`, after the ``st.rerun()`` that shows the new state.
    """
    try:
        result = action()
    except WorkbenchError as exc:
        _roll_back_open_sessions()
        st.error(md_message(exc.message))
        return None
    except PydanticValidationError as exc:  # a *Create model refused a form's value
        _roll_back_open_sessions()
        st.error(md_message(textguard.input_message(exc)))
        return None
    st.cache_data.clear()
    if success:
        # One confirmation, not a toast and a banner: the banner survives the page's
        # st.rerun() and stays on screen until the page runs again (a toast fades away).
        st.session_state[FLASH] = md_message(success)
    return result


FLASH = "_flash"


def flash() -> None:
    """Show the success message of the action that caused this rerun, once.

    The message is forgotten only once it is drawn: a second click of a double click
    can stop this run before it draws anything, and the next run must still say it.
    """
    message = st.session_state.get(FLASH)
    if message:
        st.session_state[FLASH_SHOWN] = message
        st.success(message, icon=":material/check_circle:")
        st.session_state.pop(FLASH, None)


FLASH_SHOWN = "_flash_shown"


def flash_again() -> None:
    """Show the last success message again (after a second click that did nothing)."""
    message = st.session_state.get(FLASH_SHOWN)
    if message:
        st.session_state[FLASH] = message
        st.rerun()


def pager(total: int, *, key: str, page_size: int = 50) -> int:
    """Show page controls for ``total`` rows; return the offset of the page chosen."""
    pages = max((total - 1) // page_size + 1, 1)
    if pages == 1:
        return 0
    page = st.number_input(
        _("Page (of {pages})").format(pages=i18n.format_number(pages)),
        min_value=1,
        max_value=pages,
        value=1,
        step=1,
        key=key,
    )
    return (int(page) - 1) * page_size


def label(value: Any) -> str:
    """Return an enum member's human label in the current language, or the value as text."""
    words = getattr(value, "label", None)
    if words:
        return i18n.label(words)
    return "" if value is None else str(value)


def people_names(s: Session, ids: list[int | None]) -> dict[int, str]:
    """Return id → name for the given person ids, in one query."""
    from sqlmodel import col, select

    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return {p.id: p.name for p in s.exec(select(Person).where(col(Person.id).in_(wanted))).all()}


# --------------------------------------------------------------------------- safe text

# Characters that make Markdown (and Streamlit's additions to it: colours, maths) out of
# plain text anywhere in a line: links and images need [ ], autolinks and HTML need <.
_MD_INLINE = re.compile(r"([\\`*_\[\]<~$])")
# Bare addresses GitHub-flavoured Markdown turns into links by itself.
WORD_JOINER = "\u2060"
_MD_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<=\bwww)(\.)")
# What starts a heading, quote, list or rule at the beginning of a line.
_MD_LINE_START = re.compile(r"^(\s*)([#>+=|-]|\d{1,9}[.)](?=\s|$))")


def _escape_line(line: str) -> str:
    line = _MD_INLINE.sub(r"\\\1", line)
    # Streamlit's Markdown turns bare addresses into links after escapes are read, so a
    # backslash does not stop it: an invisible word joiner inside "://" and "www." does.
    line = _MD_AUTOLINK.sub(lambda m: (m.group(1) or m.group(2)) + WORD_JOINER, line)
    return _MD_LINE_START.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), line)


def _escape_marker(marker: str) -> str:
    return marker[:-1] + "\\" + marker[-1] if marker[-1] in ".)" else "\\" + marker


def md(value: Any) -> str:
    """Return a name, title, code or comment to put inside Markdown, shown exactly as typed.

    On one line: links, images, emphasis, code, HTML, maths and headings in it
    are shown as their characters, never rendered, so one person's text cannot
    become a link or an image in another person's page.
    """
    text = " ".join(("" if value is None else str(value)).split())
    return _escape_line(text)


def md_text(value: Any) -> str:
    """Return a text of several lines (a comment, a reason) for Markdown, shown as typed."""
    lines = ("" if value is None else str(value)).splitlines()
    return "  \n".join(_escape_line(line.rstrip()) for line in lines)


def md_message(message: str) -> str:
    """Return a message (an error naming records, a success) for Markdown, shown as typed.

    Lines starting with "- " stay list items, as :class:`ImportFailed` writes
    its problems; everything else is escaped like :func:`md`.
    """
    lines = []
    for line in message.splitlines():
        if line.startswith("- "):
            lines.append("- " + _escape_line(line[2:]))
        else:
            lines.append(_escape_line(line))
    return "\n".join(lines)


# An image is "![" in Markdown (inline, reference or shortcut form alike): without the "!",
# it is a link. Raw <img> tags are not rendered (unsafe_allow_html stays off) but are
# rewritten anyway, so no future setting can make them fetch.
_MD_IMAGE = re.compile(r"!\[")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_HTML_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def _image_tag(match: re.Match[str]) -> str:
    alt = _HTML_ALT.search(match.group())
    words = next((g for g in alt.groups() if g is not None), "") if alt else ""
    return f"\\[image{': ' + md(words) if words else ''}\\]"


def no_images(markdown: str) -> str:
    """Return Markdown (a section, a translation, a brief) with every image made a link.

    ``![alt](url)`` becomes the link ``[image: alt](url)``, so the text still
    says where the picture is, but the app never fetches it: reading a
    section cannot tell another host who read it, or when.
    """
    markdown = _HTML_IMAGE.sub(_image_tag, markdown)
    return _MD_IMAGE.sub("[image: ", markdown)


def _safe_cell(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def safe_table(data: Any) -> Any:
    """Return read-only table data with formula-like texts neutralised (for ``st.dataframe``).

    A text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets one leading apostrophe, as in the comment-table export, so the table's
    "Download as CSV" never runs as a formula in a spreadsheet. Never for
    ``st.data_editor``: its cells are saved back.
    """
    # Column names go into the CSV too (a language code, a person's name can be one).
    if isinstance(data, pd.DataFrame):
        return data.map(_safe_cell).rename(columns=_safe_cell)
    if isinstance(data, dict):
        return {_safe_cell(key): [_safe_cell(v) for v in column] for key, column in data.items()}
    if isinstance(data, list):
        return [
            {_safe_cell(key): _safe_cell(v) for key, v in row.items()}
            if isinstance(row, dict)
            else row
            for row in data
        ]
    return data


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


def export_panel(
    s: Session,
    ctx: PageContext,
    *,
    key: str,
    version: str | None = None,
    default_text: str = "review",
) -> None:
    """Offer the report as a Word, PDF or Markdown document, with progress and a download.

    With ``version`` (the version id the page shows), a file prepared earlier for
    another version is not offered: the content has changed since. While a review
    round is open, ``default_text`` is the text offered first: the review copy, or
    the current drafts (the Council page: what a decision binds).
    """
    from workbench import export, translations

    formats = {"docx": N_("Word (.docx)"), "pdf": N_("PDF"), "md": N_("Markdown (.md)")}
    report = ctx.report
    with st.expander(_("Download the report as Word, PDF or Markdown"), icon=":material/download:"):
        st.caption(
            _(
                "One document: cover, contents, the sections in the order of the four "
                "questions, findings, consensus, false solutions, recommendations, references "
                "and annexes. While a review round is open it is the draft under review, with "
                "line numbers and the open comments (in Word, as comments in the margin). The "
                "PDF is the Word document as printed."
            )
        )
        left, middle = st.columns(2)
        fmt = left.radio(
            _("Format"),
            list(formats),
            format_func=lambda code: _(formats[code]),
            horizontal=True,
            key=f"{key}_format",
        )
        language = middle.selectbox(
            _("Language"),
            [None, *_document_languages(s, report)],
            format_func=lambda c: (
                _("Original (English)") if c is None else translations.language_name(c)
            ),
            key=f"{key}_language",
            help=_("Sections not yet translated keep their original text, with a note."),
        )
        keep = st.checkbox(
            _("Keep citations as [@key] and add the library as CSL-JSON (for editing with pandoc)"),
            key=f"{key}_keep",
            disabled=fmt != "md",
        )
        text = "review"
        under_review = export.round_under_review(s, report.id)
        if under_review is not None:
            # CLAs circulate work in progress while reviewers read the frozen copy.
            text = st.radio(
                _("Text"),
                list(export.TEXTS),
                format_func={
                    "review": _(
                        "Review copy of the {draft} draft (line numbers, open comments)"
                    ).format(draft=under_review.name),
                    "current": _("Current drafts (work in progress)"),
                }.get,
                horizontal=True,
                index=list(export.TEXTS).index(default_text),
                key=f"{key}_text",
            )
        if st.button(_("Prepare the document"), type="primary", key=f"{key}_go"):
            bar = st.progress(0.0, text=_("Starting…"))
            result = run_action(
                lambda: export.export_report(
                    session=s,
                    actor=ctx.person,
                    report=report,
                    fmt=fmt,
                    language=language,
                    keep_citations=keep and fmt == "md",
                    progress=lambda fraction, message: bar.progress(fraction, text=message),
                    text=text,
                )
            )
            bar.empty()
            if result is not None:
                st.session_state[f"{key}_file"] = result
        result = st.session_state.get(f"{key}_file")
        if result is None:
            return
        # ``version`` is that of the page's text (the one offered first).
        if version is not None and result.text == default_text and result.version != version:
            # Never hand out a file of another version than the one on the page.
            del st.session_state[f"{key}_file"]
            st.info(
                _(
                    "The report has changed since {file} was prepared (version {old}; it is "
                    "now version {new}). Prepare the document again."
                ).format(file=md(result.filename), old=result.version, new=version)
            )
            return
        st.success(
            _("Ready: {file} (version {version}).").format(
                file=md(result.filename), version=result.version
            )
        )
        for warning in result.warnings:
            st.warning(md_message(warning))
        st.download_button(
            _("Download {file}").format(file=result.filename),
            result.content,
            file_name=result.filename,
            mime=export.MIME_TYPES.get(result.filename.rsplit(".", 1)[-1], "text/markdown"),
            icon=":material/download:",
            key=f"{key}_download",
        )
        if result.csl_json:
            st.download_button(
                _("Download {file}").format(file=f"{report.slug}-references.json"),
                result.csl_json,
                file_name=f"{report.slug}-references.json",
                mime="application/json",
                key=f"{key}_download_csl",
            )


def _document_languages(s: Session, report: Report) -> list[str]:
    """Return the languages (besides the original) the report can be exported in.

    Those whose document words (cover, headings, labels) the glossary holds, when the
    export knows them; else every translated language of the report.
    """
    from workbench import export, translations

    if hasattr(export, "document_languages"):
        codes = list(export.document_languages(s, report))
    else:
        codes = list(translations.report_languages(report))
    source = getattr(translations, "is_source_language", lambda c: c.lower() == "en")
    return [c for c in codes if c and not source(c)]


def diff_view(old: str, new: str, *, key: str, height: int = 520) -> None:
    """Show a word-level diff with a legend, the texts escaped (never rendered)."""
    from workbench import diffing

    changes = diffing.word_diff(old, new)
    stats = diffing.diff_stats(changes)
    if all(c.op == "equal" for c in changes):
        st.info(_("The two texts are the same."))
        return
    added = ngettext("+{n} word added", "+{n} words added", stats.words_added).format(
        n=i18n.format_number(stats.words_added)
    )
    removed = ngettext("−{n} word removed", "−{n} words removed", stats.words_deleted).format(
        n=i18n.format_number(stats.words_deleted)
    )
    st.markdown(f":green-background[**{added}**] · :red-background[~~{removed}~~]")
    st.caption(
        _(
            "Struck through on red: removed. Bold on green: added. The text is shown as typed "
            "(Markdown signs are not applied), one line per line of the text."
        )
    )
    with st.container(height=height, border=True, key=key):
        st.markdown(diffing.diff_markdown(changes))


# --------------------------------------------------------------------------- working together

# A notification's or a mail's link names a page by its address ("/discussions?thread=4").
_PAGE_ADDRESS = re.compile(r"^/?([a-z_]+)$")
VIEWS = Path(__file__).resolve().parent / "views"


def link_target(link: str) -> tuple[str, dict[str, str]] | None:
    """Return the page file and query an app link names, or None when it names no page."""
    parts = urlsplit(link or "")
    if parts.scheme or parts.netloc:
        return None  # only addresses inside the app are followed
    match = _PAGE_ADDRESS.match(parts.path)
    if match is None or not (VIEWS / f"{match.group(1)}.py").is_file():
        return None
    return f"views/{match.group(1)}.py", dict(parse_qsl(parts.query))


def when(moment: datetime | None, *, now: datetime | None = None) -> str:
    """Return a time as people say it: 'just now', '5 minutes ago', '3 days ago · 2 Nov 2026'."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite hands UTC back without its zone
        moment = moment.replace(tzinfo=UTC)
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    stamp = _("{moment} UTC").format(moment=i18n.format_datetime(moment, format="dd MMM y HH:mm"))
    if seconds < 60:
        return _("just now · {stamp}").format(stamp=stamp)
    if seconds >= 86_400:
        count = seconds // 86_400
        ago = ngettext("{n} day ago · {stamp}", "{n} days ago · {stamp}", count)
    elif seconds >= 3_600:
        count = seconds // 3_600
        ago = ngettext("{n} hour ago · {stamp}", "{n} hours ago · {stamp}", count)
    else:
        count = seconds // 60
        ago = ngettext("{n} minute ago · {stamp}", "{n} minutes ago · {stamp}", count)
    return ago.format(n=i18n.format_number(count), stamp=stamp)


# --------------------------------------------------------------------------- discussions

# A thread "Post" or "Start" clicked twice sends its text twice (or, once the form was
# emptied, nothing): the second within this many seconds is ignored.
DOUBLE_CLICK_SECONDS = 5.0
THREAD_PARAM = "thread"


def open_label() -> str:
    """Return the verb "Open" of buttons, from this file's catalogue.

    "Open" alone is also a status (a round, a decision, a discussion), which other
    languages write differently: asked here, the button's translation is the one found.
    """
    return _("Open")


STATUS_BADGES = {
    False: N_(":green-badge[:material/forum: Open]"),
    True: N_(":gray-badge[:material/check: Resolved]"),
}


def _repeated(key: str, value: Any) -> bool:
    """Return True when the same submission (or an empty one) just came: a double click."""
    import time

    last = st.session_state.get(f"_last_{key}")
    now = time.monotonic()
    if last is not None and now - last[1] < DOUBLE_CLICK_SECONDS and value in (last[0], None):
        return True
    st.session_state[f"_last_{key}"] = (value, now)
    return False


def chosen_thread(key: str, ids: list[int]) -> int | None:
    """Return the thread open in a list: ``?thread=<id>`` when it is one of ``ids``, else the
    one the person opened here (kept in the address so a reload or a link keeps it)."""
    state = f"{key}_open"
    seen = f"{key}_open_param"
    wanted = st.query_params.get(THREAD_PARAM)
    if wanted and wanted != st.session_state.get(seen):
        st.session_state[seen] = wanted
        if wanted.isdigit() and int(wanted) in ids:
            st.session_state[state] = int(wanted)
    chosen = st.session_state.get(state)
    return chosen if chosen in ids else None


def _toggle_thread(key: str, thread_id: int, opened: bool) -> None:
    st.session_state[f"{key}_open"] = None if opened else thread_id
    if opened:
        st.query_params.pop(THREAD_PARAM, None)
        st.session_state[f"{key}_open_param"] = None
    else:
        st.query_params[THREAD_PARAM] = str(thread_id)
        st.session_state[f"{key}_open_param"] = str(thread_id)


def report_people(s: Session, ctx: PageContext) -> dict[int, str]:
    """Return id → name of the people on the report (whom a message may mention), but you."""
    from workbench import teams

    return {
        m.person.id: m.person.name
        for m in teams.members(s, ctx.report.id)
        if m.person.id != ctx.person.id and m.person.active
    }


def thread_row(summary: Any, *, key: str, opened: bool, show_target: bool = False) -> None:
    """Show one thread in a list: status, title, lines, who takes part; a button opens it."""
    thread = summary.thread
    left, right = st.columns([5, 1], vertical_alignment="center")
    where = []
    if show_target:
        where.append(md(summary.target_label))
    if summary.lines:
        where.append(f":orange-badge[{md(summary.lines)}]")
    left.markdown(
        f"{_(STATUS_BADGES[summary.resolved])} **{md(thread.title)}**"
        + (" · " + " · ".join(where) if where else "")
    )
    count = summary.message_count
    left.caption(
        ngettext(
            "{n} message · {people} · last {when}", "{n} messages · {people} · last {when}", count
        ).format(
            n=i18n.format_number(count),
            people=md(i18n.format_list(summary.participants)),
            when=when(thread.last_message_at).split(" · ")[0],
        )
    )
    if right.button(
        _("Close") if opened else open_label(),
        key=f"{key}_toggle_{thread.id}",
        icon=":material/expand_less:" if opened else ":material/expand_more:",
        width="stretch",
    ):
        _toggle_thread(key, thread.id, opened)
        st.rerun()


def thread_view(s: Session, ctx: PageContext, thread_id: int, *, key: str) -> None:
    """Show a thread's messages (Markdown, images as links), and to those who may discuss:
    reply (with mentions), resolve and reopen."""
    from workbench import discussions

    thread = discussions.get_thread(s, thread_id, actor=ctx.person)
    rows = discussions.messages(s, thread_id=thread_id, actor=ctx.person)
    authors = {m.id: m.author_name for m in rows}
    resolved = thread.resolved_at is not None
    with st.container(border=True, key=f"{key}_thread_{thread_id}"):
        if resolved:
            who = people_names(s, [thread.resolved_by_id]).get(thread.resolved_by_id, "")
            resolved_when = when(thread.resolved_at).split(" · ")[0]
            st.caption(
                (
                    _(
                        "Resolved {when} by {person}. It stays readable; reopen it to write "
                        "in it again."
                    )
                    if who
                    else _("Resolved {when}. It stays readable; reopen it to write in it again.")
                ).format(when=resolved_when, person=md(who))
            )
        for message in rows:
            with st.container(key=f"{key}_message_{message.id}"):
                facts = [f"**{md(message.author_name)}**", when(message.created_at)]
                if message.reply_to_id in authors:
                    facts.append(
                        _("replying to {person}").format(person=md(authors[message.reply_to_id]))
                    )
                st.markdown(" · ".join(facts))
                # The author's Markdown renders; HTML stays text, images become links.
                st.markdown(no_images(message.body))
                if message.mentioned:
                    st.caption(
                        _("Mentions {people}").format(
                            people=md(i18n.format_list(message.mentioned))
                        )
                    )
        if not permissions.can(s, ctx.person, permissions.Action.discuss, thread.report_id):
            st.caption(
                _(
                    "You can read this discussion. The report's authors and Review Editors "
                    "write in it."
                )
            )
            return
        if resolved:
            # Drawn only while it is resolved: a second click meets the Resolve button's key.
            if st.button(_("Reopen"), key=f"{key}_reopen_{thread_id}", icon=":material/replay:"):
                done = run_action(
                    lambda: discussions.reopen(session=s, actor=ctx.person, thread=thread),
                    success=_("Reopened '{title}'.").format(title=thread.title),
                )
                if done is not None:
                    st.rerun()
            return
        _reply_form(s, ctx, thread, rows, key=key)
        if (
            st.button(
                _("Resolve"),
                key=f"{key}_resolve_{thread_id}",
                icon=":material/task_alt:",
                help=_("Mark the discussion settled. It stays readable and can be reopened."),
            )
            and thread.resolved_at is None
        ):  # a second click finds it resolved already
            done = run_action(
                lambda: discussions.resolve(session=s, actor=ctx.person, thread=thread),
                success=_("Resolved '{title}'.").format(title=thread.title),
            )
            if done is not None:
                st.rerun()


def _reply_form(s: Session, ctx: PageContext, thread: Any, rows: list[Any], *, key: str) -> None:
    """A reply to a thread, perhaps to one of its messages, mentioning people on the report."""
    from workbench import discussions

    names = report_people(s, ctx)
    answers = {m.id: f"{m.author_name}: {shorten(m.body, 60)}" for m in rows}
    # Emptied after a post (reset_keys), not on submit: a second click of a double click
    # then sends the same text, which is recognised, rather than an empty form.
    with st.form(f"{key}_reply_form_{thread.id}", border=False):
        body = st.text_area(
            _("Your reply (Markdown)"),
            key=f"{key}_reply_{thread.id}",
            height=110,
            placeholder=_("Write @ and an email address to mention someone, or pick them below."),
        )
        left, right = st.columns(2)
        mentions = left.multiselect(
            _("Mention"),
            list(names),
            format_func=names.__getitem__,
            key=f"{key}_reply_mentions_{thread.id}",
            placeholder=_("People on the report"),
            select_all=False,  # never everyone at once
            help=_("They are told in their inbox (and by email, as they choose)."),
        )
        reply_to = right.selectbox(
            _("In reply to"),
            [None, *answers],
            format_func=lambda i: (
                _("The whole discussion") if i is None else shorten(answers[i], 70)
            ),
            key=f"{key}_reply_to_{thread.id}",
        )
        sent = st.form_submit_button(_("Post reply"), type="primary", icon=":material/send:")
    if sent and _repeated(f"{key}_post_{thread.id}", body.strip() or None):
        flash_again()  # the first click's confirmation, which this run would hide
    elif sent:
        done = run_action(
            lambda: discussions.post(
                session=s,
                actor=ctx.person,
                thread=thread,
                body=body,
                reply_to_id=reply_to,
                mentions=mentions,
            ),
            success=_("Posted your reply in '{title}'.").format(title=thread.title),
        )
        if done is not None:
            reset_keys(
                f"{key}_reply_{thread.id}",
                f"{key}_reply_mentions_{thread.id}",
                f"{key}_reply_to_{thread.id}",
            )
            st.rerun()


def new_thread_form(
    s: Session,
    ctx: PageContext,
    target: Any,
    target_id: int | None,
    *,
    key: str,
    line_count: int = 0,
    targets: dict[tuple[Any, int], str] | None = None,
) -> None:
    """A form to start a discussion on one item (or, with ``targets``, on a chosen one);
    a section's discussion may point at a range of its lines (``line_count`` of them)."""
    from workbench import discussions
    from workbench.models import DiscussionTarget

    names = report_people(s, ctx)
    with st.form(f"{key}_new_form"):
        st.markdown("**{}**".format(_("Start a discussion")))
        chosen = (target, target_id)
        if targets is not None:
            chosen = st.selectbox(
                _("About"),
                list(targets),
                format_func=targets.__getitem__,
                key=f"{key}_new_target",
            )
        title = st.text_input(_("Title"), key=f"{key}_new_title", max_chars=200)
        body = st.text_area(
            _("First message (Markdown)"),
            key=f"{key}_new_body",
            height=110,
            placeholder=_("What should the co-authors look at? @email mentions someone."),
        )
        from_line = to_line = None
        if line_count or (targets is not None):
            first, last = st.columns(2)
            from_line = first.number_input(
                _("From line (optional)"),
                min_value=1,
                max_value=max(line_count, 10_000) if targets is not None else line_count,
                value=None,
                step=1,
                key=f"{key}_new_from",
                help=_(
                    "Point at lines of the section's saved text; leave empty for the whole section."
                ),
            )
            to_line = last.number_input(
                _("To line (optional)"),
                min_value=1,
                max_value=max(line_count, 10_000) if targets is not None else line_count,
                value=None,
                step=1,
                key=f"{key}_new_to",
            )
        mentions = st.multiselect(
            _("Mention"),
            list(names),
            format_func=names.__getitem__,
            key=f"{key}_new_mentions",
            placeholder=_("People on the report"),
            select_all=False,  # never everyone at once
        )
        sent = st.form_submit_button(_("Start the discussion"), icon=":material/add_comment:")
    if not sent or chosen is None:
        return
    if _repeated(f"{key}_new", (title.strip(), body.strip()) if body.strip() else None):
        flash_again()  # the first click's confirmation, which this run would hide
        return
    kind, item_id = chosen
    if kind != DiscussionTarget.section:
        from_line = to_line = None
    thread = run_action(
        lambda: discussions.open_thread(
            session=s,
            actor=ctx.person,
            report=ctx.report,
            target=kind,
            target_id=item_id,
            title=title,
            body=body,
            from_line=int(from_line) if from_line is not None else None,
            to_line=int(to_line) if to_line is not None else None,
            mentions=mentions,
        ),
        success=_("Started the discussion '{title}'.").format(title=" ".join(title.split())),
    )
    if thread is not None:
        _toggle_thread(key, thread.id, False)
        reset_keys(
            f"{key}_new_show",
            f"{key}_new_title",
            f"{key}_new_body",
            f"{key}_new_from",
            f"{key}_new_to",
            f"{key}_new_mentions",
        )
        st.rerun()


def discussion_panel(
    s: Session,
    ctx: PageContext,
    target: Any,
    target_id: int,
    *,
    key: str,
    line_count: int = 0,
    limit: int = 20,
) -> list[Any]:
    """Show the discussions on one item (open ones first), the one opened with its messages,
    and, for those who may discuss, a form to start one; return the threads listed."""
    from workbench import discussions

    summaries, total = discussions.threads(
        s,
        report_id=ctx.report.id,
        target=target,
        target_id=target_id,
        limit=limit,
        actor=ctx.person,
    )
    opened = chosen_thread(key, [x.thread.id for x in summaries])
    if not summaries:
        st.caption(_("No discussions here yet."))
    for summary in summaries:
        with st.container(border=True, key=f"{key}_row_{summary.thread.id}"):
            thread_row(summary, key=key, opened=summary.thread.id == opened)
            if summary.thread.id == opened:
                thread_view(s, ctx, summary.thread.id, key=key)
    if total > len(summaries):
        st.caption(
            _(
                "The {shown} most recent of {total} discussions; the Discussions page lists "
                "them all."
            ).format(shown=i18n.format_number(len(summaries)), total=i18n.format_number(total))
        )
    # The form waits behind a switch: a column of threads stays short, and a page read
    # only by others shows no text box of its own.
    if permissions.can(s, ctx.person, permissions.Action.discuss, ctx.report.id) and st.toggle(
        _("Start a discussion"), key=f"{key}_new_show"
    ):
        new_thread_form(s, ctx, target, target_id, key=key, line_count=line_count)
    return summaries


def discussion_expander(
    s: Session, ctx: PageContext, target: Any, target_id: int, *, key: str
) -> None:
    """Show an item's discussions in an expander, drawn only while it is open (a page of
    findings or recommendations holds many); open at once when ``?thread=`` names one of its
    threads (the inbox's links)."""
    from workbench import discussions
    from workbench.errors import WorkbenchError

    wanted = st.query_params.get(THREAD_PARAM)
    linked = False
    if wanted and wanted.isdigit():
        try:
            thread = discussions.get_thread(s, int(wanted))
        except WorkbenchError:
            thread = None
        linked = thread is not None and (thread.target, thread.target_id) == (target, target_id)
    box = st.expander(
        _("Discussions"),
        expanded=linked,
        key=f"{key}_expander",
        icon=":material/forum:",
        on_change="rerun",
    )
    if box.open is False and not linked:
        return
    with box:
        discussion_panel(s, ctx, target, target_id, key=key)
