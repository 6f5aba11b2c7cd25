"""Synthesis Report Workbench — the Streamlit entry point.

Run with ``streamlit run app.py`` (``bash scripts/demo.sh`` does it on the demo
workspace). This file only routes: it sets the page, signs people in, lets them
pick a report, and builds a navigation holding every page: the sidebar lists the
pages their roles can use; the others are registered too (hidden), so a link to
one opens the page itself, whose own gate says "Not permitted" and who may use it.
Each page checks permissions again through the services.

Signed out, every page's address shows the sign-in form (never "Page not found"),
and signing in lands on the page and query the address named. Signed in, a reload,
a bookmark or a second tab stays signed in through a session cookie (see
``workbench.sessions``) until the person signs out or the session is idle for
``WORKBENCH_SESSION_HOURS`` (12 by default).

Single sign-on: when an administrator configures OpenID Connect in
``.streamlit/secrets.toml`` (an ``[auth]`` section, see Streamlit's ``st.login``),
the sign-in page also offers "Sign in with your organisation"; the provider must
say the email it returns is verified, and it must belong to an active person in
the workspace. Password sign-ins are throttled after repeated failures (see
``workbench.people``).

Languages: the sign-in page has a picker naming English, French and Spanish each in
its own language; the choice holds for the browser session and survives signing in.
The sidebar, the navigation's page titles and every page speak the language chosen
(see ``ui.apply_language`` for the order: ``?lang=``, this session's choice, the
person's profile, the browser's language, English).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st

import ui
from workbench import demo, i18n, notifications, people, permissions, reports, sessions
from workbench.errors import WorkbenchError
from workbench.i18n import N_, _
from workbench.models import Role

st.set_page_config(
    page_title="Synthesis Report Workbench",
    # A file, not a Material icon: Streamlit fetches those favicons from Google Fonts,
    # which a workspace without internet access cannot reach.
    page_icon=str(Path(__file__).resolve().parent / "assets" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
)

DEMO_CLA = "amina.diallo@demo.ipsp.example"
DEMO_LEAD_AUTHOR = "wei.zhang@demo.ipsp.example"


# Behind a reverse proxy every browser connects from the proxy's address; name the
# header in which the proxy passes on the browser's (e.g. X-Forwarded-For) to
# throttle sign-ins per browser rather than per proxy.
CLIENT_HEADER_ENV = "WORKBENCH_CLIENT_IP_HEADER"
PROVIDER_REFUSED_KEY = "_provider_refused"
# The page and query a signed-out person asked for, opened once they have signed in.
WANTED_KEY = "_wanted_page"


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def _client_address() -> str | None:
    """Return the network address the browser connects from, when the app can tell."""
    header = os.environ.get(CLIENT_HEADER_ENV, "").strip()
    if header:
        try:
            value = st.context.headers.get(header) or ""
        except Exception:  # no browser connection (a test run): no header either
            value = ""
        # The right-most entry is the one the proxy itself added; the others the browser
        # could have written.
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if entries:
            return entries[-1]
    try:
        return st.context.ip_address
    except Exception:
        return None


def provider_sign_in() -> None:
    """Sign in the person the identity provider vouches for, or show why not and stop.

    A refusal is a page of its own with a way to sign out of the provider, and the
    script stops there: rerunning would ask the provider's cookie the same question
    again and again (a deactivated person once looped here thousands of times a second).
    """
    email = st.user.get("email")
    refused = st.session_state.get(PROVIDER_REFUSED_KEY)
    # Ask (and audit) once per browser session and address, not on every rerun.
    if refused is None or refused[0] != email:
        with ui.session() as s:
            try:
                person = people.sign_in_with_provider(
                    s,
                    email=email if isinstance(email, str) else None,
                    email_verified=st.user.get("email_verified"),
                    client=_client_address(),
                )
            except WorkbenchError as exc:
                refused = (email, exc.message)
                st.session_state[PROVIDER_REFUSED_KEY] = refused
            else:
                ui.sign_in(s, person)
                go_to_wanted_page()
    st.title(_("Synthesis Report Workbench"))
    st.error(refused[1])
    # A callback runs before the next run, which so starts signed out: the sign-in form.
    st.button(
        _("Sign out of your organisation's account"),
        key="provider_sign_out",
        on_click=_provider_sign_out,
    )
    st.stop()


def _provider_sign_out() -> None:
    st.session_state.pop(PROVIDER_REFUSED_KEY, None)
    st.logout()


def _pick_language(key: str) -> None:
    ui.choose_language(st.session_state.get(key))


def language_picker() -> None:
    """Offer the interface languages, each under its own name; a choice applies at once."""
    current = i18n.current_language()
    codes = list(i18n.INTERFACE_LANGUAGES)
    # A key per language shown: the picker starts on the language the page is in, wherever
    # that came from (?lang=, the browser, an earlier choice).
    key = f"signin_language_{current}"
    st.segmented_control(
        _("Language"),
        codes,
        default=current,
        format_func=i18n.INTERFACE_LANGUAGES.__getitem__,
        key=key,
        on_change=_pick_language,
        args=(key,),
        label_visibility="collapsed",
    )


def sign_in_page() -> None:
    """Ask for an email and password (and offer single sign-on when configured)."""
    oidc = _oidc_configured()
    # A tab signed out by another tab or by the Secretariat still holds the provider's old
    # answer (st.user is read once per tab): it signs in again only when asked to.
    if (
        oidc
        and getattr(st.user, "is_logged_in", False)
        and ui.SIGNED_OUT_KEY not in st.session_state
    ):
        provider_sign_in()
    language_picker()
    st.title(_("Synthesis Report Workbench"))
    st.caption(_("Write, review and approve the Panel's Synthesis Reports."))
    reason = ui.signed_out_reason()
    if reason:
        st.info(ui.md_message(reason), icon=":material/logout:")
    left, _right = st.columns([1, 1])
    with left, st.form("sign-in"):
        st.subheader(_("Sign in"))
        email = st.text_input(_("Email"), key="signin_email")
        password = st.text_input(_("Password"), type="password", key="signin_password")
        submitted = st.form_submit_button(_("Sign in"), type="primary")
    if submitted:
        try:
            with ui.session() as s:
                person = people.authenticate(s, email, password, client=_client_address())
        except WorkbenchError as exc:
            # Too many failures: the message says until when attempts are refused.
            left.error(exc.message)
        else:
            if person is None:
                left.error(
                    _("That email and password do not match an account. Check both and try again.")
                )
            else:
                with ui.session() as s:
                    ui.sign_in(s, person)
                go_to_wanted_page()
    if oidc and left.button(_("Sign in with your organisation")):
        st.login()
    left.caption(
        _(
            "You stay signed in on this browser, in every tab, until you sign out or after "
            "{hours} without using the workbench."
        ).format(hours=sessions.hours_text(sessions.idle_lifetime()))
    )
    if _demo_loaded():
        _demo_hint(left)


def go_to_wanted_page() -> None:
    """Open the page and query the person asked for before signing in (else this page)."""
    wanted = st.session_state.pop(WANTED_KEY, None)
    page = SIGNED_OUT_PAGES.get(wanted[0]) if wanted else None
    if page is None:
        st.rerun()
    st.switch_page(page, query_params=wanted[1])


def sign_in_gate(url_path: str) -> Callable[[], None]:
    """Return the sign-in page as served at a page's address, remembering what was asked for."""

    def gate() -> None:
        st.session_state[WANTED_KEY] = (url_path, st.query_params.to_dict())
        sign_in_page()

    return gate


def _demo_loaded() -> bool:
    """Return True when the demo accounts exist (the hint is useless anywhere else)."""
    with ui.session() as s:
        return people.find_by_email(s, DEMO_CLA) is not None


def _demo_hint(left) -> None:
    with left.expander(_("Trying the demo?")):
        st.write(
            _(
                "Every demo account uses the password `{password}`, for example `{cla}` "
                "(a CLA) or `{lead}` (a Lead Author). The README lists them all."
            ).format(password=demo.DEMO_PASSWORD, cla=DEMO_CLA, lead=DEMO_LEAD_AUTHOR)
        )


AUTHORS = (Role.cla, Role.lead_author, Role.contributing_author)
EVERYONE = tuple(Role)
YOUR_WORK = N_("Your work")
REPORT = N_("Report")
REVIEW = N_("Review & approval")
PEOPLE = N_("People & languages")
# Every page: its navigation group, file, title, icon, and the roles whose sidebar lists it
# (None: everyone signed in). Each page's own gate refuses the others, saying who may.
# Groups and titles are English messages, shown in the person's language.
PAGES = [
    (YOUR_WORK, "views/dashboard.py", N_("Dashboard"), ":material/home:", None),
    (YOUR_WORK, "views/inbox.py", N_("Inbox"), ":material/inbox:", None),
    (YOUR_WORK, "views/profile.py", N_("Profile"), ":material/manage_accounts:", None),
    (YOUR_WORK, "views/search.py", N_("Search"), ":material/search:", None),
    (
        REPORT,
        "views/outline.py",
        N_("Outline & assignments"),
        ":material/account_tree:",
        (Role.cla,),
    ),
    (REPORT, "views/write.py", N_("Write"), ":material/edit_note:", AUTHORS),
    (REPORT, "views/evidence.py", N_("Evidence"), ":material/library_books:", EVERYONE),
    (
        REPORT,
        "views/consensus.py",
        N_("Consensus & disagreement"),
        ":material/balance:",
        EVERYONE,
    ),
    (REPORT, "views/recommendations.py", N_("Recommendations"), ":material/route:", EVERYONE),
    (REPORT, "views/discussions.py", N_("Discussions"), ":material/forum:", EVERYONE),
    (
        REVIEW,
        "views/review.py",
        N_("Review"),
        ":material/rate_review:",
        (*AUTHORS, Role.review_editor, Role.reviewer, Role.secretariat),
    ),
    (
        REVIEW,
        "views/council.py",
        N_("Council"),
        ":material/account_balance:",
        (Role.council_member, Role.secretariat, Role.cla),
    ),
    (PEOPLE, "views/team.py", N_("Team"), ":material/groups:", EVERYONE),
    (
        PEOPLE,
        "views/translations.py",
        N_("Translations"),
        ":material/translate:",
        (Role.secretariat, Role.cla, Role.lead_author, Role.translator),
    ),
    (
        PEOPLE,
        "views/glossary.py",
        N_("Glossary"),
        ":material/menu_book:",
        (Role.secretariat, Role.cla, Role.lead_author, Role.translator),
    ),
    (
        PEOPLE,
        "views/admin.py",
        N_("Admin"),
        ":material/admin_panel_settings:",
        (Role.secretariat,),
    ),
]


def url_path(path: str) -> str:
    """Return a page's address, e.g. 'write' for views/write.py (as Streamlit names it)."""
    return path.rsplit("/", 1)[-1].removesuffix(".py")


try:
    sessions.idle_lifetime()
except WorkbenchError as exc:  # a mistyped WORKBENCH_SESSION_HOURS: say so, sign nobody in
    st.error(exc.message)
    st.stop()

with ui.session() as s:
    person = ui.current_person(s)
    ui.apply_language(person)
    st.set_page_config(page_title=_("Synthesis Report Workbench"))
    if person is None:
        # Every page's address shows the sign-in form: a link or a bookmark to a page is
        # kept (and opened after signing in), never answered with "Page not found".
        SIGNED_OUT_PAGES = {
            url_path(path): st.Page(
                sign_in_gate(url_path(path)),
                title=_("Sign in"),
                icon=":material/login:",
                url_path=url_path(path),
                default=path == "views/dashboard.py",
            )
            for _group, path, _title, _icon, _wanted in PAGES
        }
        current = st.navigation(list(SIGNED_OUT_PAGES.values()), position="hidden")
        current.run()
        # Below the form: an element above it would push the page down.
        ui.write_session_cookie()
        st.stop()
    available = reports.reports_for(s, person)
    report = ui.choose_report(s, person)
    roles = permissions.roles_of(s, person, report.id if report else None)
    role_names = ", ".join(ui.label(r) for r in sorted(roles, key=list(Role).index)) or _(
        "no role yet"
    )
    unread = notifications.unread_count(s, person.id)

SEARCH_BOX = "sidebar_search"
SEARCH_WANTED = "sidebar_search_wanted"


def remember_search() -> None:
    """Keep what was typed in the sidebar's box for this run, and empty the box."""
    typed = (st.session_state.get(SEARCH_BOX) or "").strip()
    st.session_state[SEARCH_BOX] = ""
    if typed:
        st.session_state[SEARCH_WANTED] = typed


with st.sidebar:
    st.markdown(f"**{ui.md(person.name)}**  \n{role_names}")
    if available:
        slugs = [r.slug for r in available]
        titles = {r.slug: r.title for r in available}
        chosen = st.selectbox(
            _("Report"),
            slugs,
            index=slugs.index(report.slug) if report else 0,
            format_func=lambda slug: titles[slug],
            key="report_choice",
        )
        if report is None or chosen != report.slug:
            st.session_state[ui.REPORT_KEY] = chosen
            st.query_params["report"] = chosen
            st.rerun()
    # The workspace search: Enter opens the Search page at /search?q=… (remember_search,
    # then the switch below the navigation).
    st.text_input(
        _("Search"),
        key=SEARCH_BOX,
        placeholder=_("Search the workspace"),
        icon=":material/search:",
        on_change=remember_search,
    )
    if st.button(_("Sign out"), key="sign_out", icon=":material/logout:"):
        with ui.session() as s:
            ui.sign_out(s)
        if getattr(st.user, "is_logged_in", False):
            st.logout()
        st.rerun()
    ui.write_session_cookie()


def may_use(wanted: tuple[Role, ...] | None) -> bool:
    """Return True when the sidebar lists a page for the person (any of its roles here)."""
    return wanted is None or bool(roles & set(wanted))


def page_title(path: str, title: str) -> str:
    """Return the title the sidebar shows: the inbox carries its unread count, 'Inbox (3)'."""
    if path == INBOX and unread:
        return _("{page} ({count})").format(page=_(title), count=i18n.format_number(unread))
    return _(title)


INBOX = "views/inbox.py"
sections: dict[str, list[st.Page]] = {}
for group, path, title, icon, wanted in PAGES:
    # A page the person may not use is still registered, hidden: its address opens the
    # page's own "Not permitted", not Streamlit's "Page not found".
    sections.setdefault(_(group), []).append(
        st.Page(
            path,
            title=page_title(path, title),
            icon=icon,
            visibility="visible" if may_use(wanted) else "hidden",
        )
    )

# Every page one may use stays listed: Streamlit folds a long menu after ten pages behind
# "View more", which hid Team, Translations and Council from CLAs and the Secretariat.
current = st.navigation(sections, expanded=True)
wanted_search = st.session_state.pop(SEARCH_WANTED, None)
if wanted_search:
    st.switch_page("views/search.py", query_params={"q": wanted_search})
current.run()
