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
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st

import ui
from workbench import demo, notifications, people, permissions, reports, sessions
from workbench.errors import WorkbenchError
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
    st.title("Synthesis Report Workbench")
    st.error(refused[1])
    # A callback runs before the next run, which so starts signed out: the sign-in form.
    st.button(
        "Sign out of your organisation's account",
        key="provider_sign_out",
        on_click=_provider_sign_out,
    )
    st.stop()


def _provider_sign_out() -> None:
    st.session_state.pop(PROVIDER_REFUSED_KEY, None)
    st.logout()


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
    st.title("Synthesis Report Workbench")
    st.caption("Write, review and approve the Panel's Synthesis Reports.")
    reason = ui.signed_out_reason()
    if reason:
        st.info(ui.md_message(reason), icon=":material/logout:")
    left, _ = st.columns([1, 1])
    with left, st.form("sign-in"):
        st.subheader("Sign in")
        email = st.text_input("Email", key="signin_email")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
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
                    "That email and password do not match an account. Check both and try again."
                )
            else:
                with ui.session() as s:
                    ui.sign_in(s, person)
                go_to_wanted_page()
    if oidc and left.button("Sign in with your organisation"):
        st.login()
    left.caption(
        "You stay signed in on this browser, in every tab, until you sign out or after "
        f"{sessions.hours_text(sessions.idle_lifetime())} without using the workbench."
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
    with left.expander("Trying the demo?"):
        st.write(
            f"Every demo account uses the password `{demo.DEMO_PASSWORD}`, for example "
            f"`{DEMO_CLA}` (a CLA) or `wei.zhang@demo.ipsp.example` "
            "(a Lead Author). The README lists them all."
        )


AUTHORS = (Role.cla, Role.lead_author, Role.contributing_author)
EVERYONE = tuple(Role)
# Every page: its navigation group, file, title, icon, and the roles whose sidebar lists it
# (None: everyone signed in). Each page's own gate refuses the others, saying who may.
PAGES = [
    ("Your work", "views/dashboard.py", "Dashboard", ":material/home:", None),
    ("Your work", "views/inbox.py", "Inbox", ":material/inbox:", None),
    ("Your work", "views/profile.py", "Profile", ":material/manage_accounts:", None),
    ("Report", "views/outline.py", "Outline & assignments", ":material/account_tree:", (Role.cla,)),
    ("Report", "views/write.py", "Write", ":material/edit_note:", AUTHORS),
    ("Report", "views/evidence.py", "Evidence", ":material/library_books:", EVERYONE),
    ("Report", "views/consensus.py", "Consensus & disagreement", ":material/balance:", EVERYONE),
    ("Report", "views/recommendations.py", "Recommendations", ":material/route:", EVERYONE),
    ("Report", "views/discussions.py", "Discussions", ":material/forum:", EVERYONE),
    (
        "Review & approval",
        "views/review.py",
        "Review",
        ":material/rate_review:",
        (*AUTHORS, Role.review_editor, Role.reviewer, Role.secretariat),
    ),
    (
        "Review & approval",
        "views/council.py",
        "Council",
        ":material/account_balance:",
        (Role.council_member, Role.secretariat, Role.cla),
    ),
    ("People & languages", "views/team.py", "Team", ":material/groups:", EVERYONE),
    (
        "People & languages",
        "views/translations.py",
        "Translations",
        ":material/translate:",
        (Role.secretariat, Role.cla, Role.lead_author, Role.translator),
    ),
    (
        "People & languages",
        "views/admin.py",
        "Admin",
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
    if person is None:
        # Every page's address shows the sign-in form: a link or a bookmark to a page is
        # kept (and opened after signing in), never answered with "Page not found".
        SIGNED_OUT_PAGES = {
            url_path(path): st.Page(
                sign_in_gate(url_path(path)),
                title="Sign in",
                icon=":material/login:",
                url_path=url_path(path),
                default=path == "views/dashboard.py",
            )
            for _, path, _, _, _ in PAGES
        }
        current = st.navigation(list(SIGNED_OUT_PAGES.values()), position="hidden")
        current.run()
        # Below the form: an element above it would push the page down.
        ui.write_session_cookie()
        st.stop()
    available = reports.reports_for(s, person)
    report = ui.choose_report(s, person)
    roles = permissions.roles_of(s, person, report.id if report else None)
    role_names = ", ".join(r.label for r in sorted(roles, key=list(Role).index)) or "no role yet"
    unread = notifications.unread_count(s, person.id)

with st.sidebar:
    st.markdown(f"**{ui.md(person.name)}**  \n{role_names}")
    if available:
        slugs = [r.slug for r in available]
        titles = {r.slug: r.title for r in available}
        chosen = st.selectbox(
            "Report",
            slugs,
            index=slugs.index(report.slug) if report else 0,
            format_func=lambda slug: titles[slug],
            key="report_choice",
        )
        if report is None or chosen != report.slug:
            st.session_state[ui.REPORT_KEY] = chosen
            st.query_params["report"] = chosen
            st.rerun()
    if st.button("Sign out", key="sign_out", icon=":material/logout:"):
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
    return f"{title} ({unread:,})" if path == INBOX and unread else title


INBOX = "views/inbox.py"
sections: dict[str, list[st.Page]] = {}
for group, path, title, icon, wanted in PAGES:
    # A page the person may not use is still registered, hidden: its address opens the
    # page's own "Not permitted", not Streamlit's "Page not found".
    sections.setdefault(group, []).append(
        st.Page(
            path,
            title=page_title(path, title),
            icon=icon,
            visibility="visible" if may_use(wanted) else "hidden",
        )
    )

# Every page one may use stays listed: Streamlit folds a long menu after ten pages behind
# "View more", which hid Team, Translations and Council from CLAs and the Secretariat.
st.navigation(sections, expanded=True).run()
