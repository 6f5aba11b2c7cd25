"""Synthesis Report Workbench — the Streamlit entry point.

Run with ``streamlit run app.py`` (``bash scripts/demo.sh`` does it on the demo
workspace). This file only routes: it sets the page, signs people in, lets them
pick a report, and builds a navigation holding the pages their roles can use.
Each page checks permissions again through the services, so a page reached by
its address still refuses what the person may not do.

Single sign-on: when an administrator configures OpenID Connect in
``.streamlit/secrets.toml`` (an ``[auth]`` section, see Streamlit's ``st.login``),
the sign-in page also offers "Sign in with your organisation"; the provider must
say the email it returns is verified, and it must belong to an active person in
the workspace. Password sign-ins are throttled after repeated failures (see
``workbench.people``).
"""

from __future__ import annotations

import os

import streamlit as st

import ui
from workbench import demo, people, permissions, reports
from workbench.errors import WorkbenchError
from workbench.models import Role

st.set_page_config(
    page_title="Synthesis Report Workbench",
    page_icon=":material/menu_book:",
    layout="wide",
    initial_sidebar_state="expanded",
)

DEMO_CLA = "amina.diallo@demo.ipsp.example"


# Behind a reverse proxy every browser connects from the proxy's address; name the
# header in which the proxy passes on the browser's (e.g. X-Forwarded-For) to
# throttle sign-ins per browser rather than per proxy.
CLIENT_HEADER_ENV = "WORKBENCH_CLIENT_IP_HEADER"
PROVIDER_REFUSED_KEY = "_provider_refused"


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
                ui.sign_in(person)
                st.rerun()
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
    if oidc and getattr(st.user, "is_logged_in", False):
        provider_sign_in()
    st.title("Synthesis Report Workbench")
    st.caption("Write, review and approve the Panel's Synthesis Reports.")
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
                ui.sign_in(person)
                st.rerun()
    if oidc and left.button("Sign in with your organisation"):
        st.login()
    if _demo_loaded():
        _demo_hint(left)


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


def page(path: str, title: str, icon: str) -> st.Page:
    """Return a page of the navigation."""
    return st.Page(path, title=title, icon=icon)


with ui.session() as s:
    person = ui.current_person(s)
    if person is None:
        st.navigation([st.Page(sign_in_page, title="Sign in", icon=":material/login:")]).run()
        st.stop()
    available = reports.reports_for(s, person)
    report = ui.choose_report(s, person)
    roles = permissions.roles_of(s, person, report.id if report else None)
    role_names = ", ".join(r.label for r in sorted(roles, key=list(Role).index)) or "no role yet"

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
    if st.button("Sign out", key="sign_out"):
        ui.sign_out()
        if getattr(st.user, "is_logged_in", False):
            st.logout()
        st.rerun()


def can_see(*wanted: Role) -> bool:
    """Return True when the person holds one of these roles here or workspace-wide."""
    return bool(roles & set(wanted))


AUTHORS = (Role.cla, Role.lead_author, Role.contributing_author)
EVERYONE = tuple(Role)
sections: dict[str, list[st.Page]] = {
    "Your work": [page("views/dashboard.py", "Dashboard", ":material/home:")]
}
writing = []
if can_see(Role.cla):
    writing.append(page("views/outline.py", "Outline & assignments", ":material/account_tree:"))
if can_see(*AUTHORS):
    writing.append(page("views/write.py", "Write", ":material/edit_note:"))
if can_see(*EVERYONE):
    writing += [
        page("views/evidence.py", "Evidence", ":material/library_books:"),
        page("views/consensus.py", "Consensus & disagreement", ":material/balance:"),
        page("views/recommendations.py", "Recommendations", ":material/route:"),
    ]
if writing:
    sections["Report"] = writing
approval = []
if can_see(*AUTHORS, Role.review_editor, Role.reviewer, Role.secretariat):
    approval.append(page("views/review.py", "Review", ":material/rate_review:"))
if can_see(Role.council_member, Role.secretariat, Role.cla):
    approval.append(page("views/council.py", "Council", ":material/account_balance:"))
if approval:
    sections["Review & approval"] = approval
team = []
if can_see(*EVERYONE):
    team.append(page("views/team.py", "Team", ":material/groups:"))
if can_see(Role.secretariat, Role.cla, Role.lead_author):
    team.append(page("views/translations.py", "Translations", ":material/translate:"))
if can_see(Role.secretariat):
    team.append(page("views/admin.py", "Admin", ":material/admin_panel_settings:"))
if team:
    sections["People & languages"] = team

st.navigation(sections).run()
