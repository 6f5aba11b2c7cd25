"""Synthesis Report Workbench — the Streamlit entry point.

Run with ``streamlit run app.py`` (``bash scripts/demo.sh`` does it on the demo
workspace). This file only routes: it sets the page, signs people in, lets them
pick a report, and builds a navigation holding the pages their roles can use.
Each page checks permissions again through the services, so a page reached by
its address still refuses what the person may not do.

Single sign-on: when an administrator configures OpenID Connect in
``.streamlit/secrets.toml`` (an ``[auth]`` section, see Streamlit's ``st.login``),
the sign-in page also offers "Sign in with your organisation"; the email the
provider returns must belong to a person in the workspace.
"""

from __future__ import annotations

import streamlit as st

import ui
from workbench import demo, people, permissions, reports
from workbench.models import Role

st.set_page_config(
    page_title="Synthesis Report Workbench",
    page_icon=":material/menu_book:",
    layout="wide",
    initial_sidebar_state="expanded",
)

DEMO_CLA = "amina.diallo@demo.ipsp.example"


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def sign_in_page() -> None:
    """Ask for an email and password (and offer single sign-on when configured)."""
    st.title("Synthesis Report Workbench")
    st.caption("Write, review and approve the Panel's Synthesis Reports.")
    left, _ = st.columns([1, 1])
    with left, st.form("sign-in"):
        st.subheader("Sign in")
        email = st.text_input("Email", key="signin_email")
        password = st.text_input("Password", type="password", key="signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with ui.session() as s:
            person = people.authenticate(s, email, password)
        if person is None:
            left.error("That email and password do not match an account. Check both and try again.")
        else:
            ui.sign_in(person)
            st.rerun()
    if _oidc_configured():
        if left.button("Sign in with your organisation"):
            st.login()
        if getattr(st.user, "is_logged_in", False):
            with ui.session() as s:
                try:
                    person = people.get_by_email(s, st.user.get("email", ""))
                except Exception:
                    left.error(
                        "Your organisation signed you in, but no person in the workspace has the "
                        "email it gave. Ask the Secretariat to add you."
                    )
                else:
                    ui.sign_in(person)
                    st.rerun()
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
    st.markdown(f"**{person.name}**  \n{role_names}")
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
    "Your work": [page("pages/dashboard.py", "Dashboard", ":material/home:")]
}
writing = []
if can_see(Role.cla):
    writing.append(page("pages/outline.py", "Outline & assignments", ":material/account_tree:"))
if can_see(*AUTHORS):
    writing.append(page("pages/write.py", "Write", ":material/edit_note:"))
if can_see(*EVERYONE):
    writing += [
        page("pages/evidence.py", "Evidence", ":material/library_books:"),
        page("pages/consensus.py", "Consensus & disagreement", ":material/balance:"),
        page("pages/recommendations.py", "Recommendations", ":material/route:"),
    ]
if writing:
    sections["Report"] = writing
approval = []
if can_see(*AUTHORS, Role.review_editor, Role.reviewer, Role.secretariat):
    approval.append(page("pages/review.py", "Review", ":material/rate_review:"))
if can_see(Role.council_member, Role.secretariat, Role.cla):
    approval.append(page("pages/council.py", "Council", ":material/account_balance:"))
if approval:
    sections["Review & approval"] = approval
team = []
if can_see(*EVERYONE):
    team.append(page("pages/team.py", "Team", ":material/groups:"))
if can_see(Role.secretariat, Role.cla, Role.lead_author):
    team.append(page("pages/translations.py", "Translations", ":material/translate:"))
if can_see(Role.secretariat):
    team.append(page("pages/admin.py", "Admin", ":material/admin_panel_settings:"))
if team:
    sections["People & languages"] = team

st.navigation(sections).run()
