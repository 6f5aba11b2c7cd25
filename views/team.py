"""Team: who works on the report, in which role, and whether they signed the Code of Ethics.

Everyone in the report sees the members, the team's balance by gender, region,
sector and discipline (shown, never enforced) and the Panel-rule warnings. Anyone
who has not signed the current Code of Ethics can read and sign it here (authors
must, before they can change anything). CLAs and the Secretariat add people to the
team and take roles away.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from sqlmodel import Session

import ui
from workbench import people, permissions, teams
from workbench.models import AUTHOR_ROLES, Person, Report, Role
from workbench.permissions import Action

REPORT_ROLES = [role for role in Role if not role.workspace_wide]
BALANCE_TITLES = {
    "gender": "Gender",
    "region": "Region",
    "sector": "Sector",
    "discipline": "Discipline",
}


def ethics_panel(s: Session, ctx: ui.PageContext) -> None:
    """Show the Code of Ethics, with a button to sign it for those who have not."""
    version, code = teams.ethics_code()
    if permissions.has_signed_current_code(s, ctx.person):
        st.success(f"You have signed the Code of Ethics (version {version}).")
        with st.expander("Read the Code of Ethics"):
            st.markdown(code)
        return
    is_author = ctx.has(*AUTHOR_ROLES)
    if is_author:
        st.warning(
            "You have not signed the Code of Ethics yet. Authors sign it before they can change "
            "anything in a report: read it below, then sign."
        )
    with st.expander(f"Sign the Code of Ethics (version {version})", expanded=is_author):
        with st.container(height=320):
            st.markdown(code)
        if st.button(
            "I have read the Code of Ethics and sign it", type="primary", key="sign_ethics"
        ) and ui.run_action(
            lambda: teams.sign_ethics(session=s, actor=ctx.person),
            success=f"Thank you: you signed the Code of Ethics (version {version}).",
        ):
            st.rerun()


def members_table(team: list[teams.Member]) -> None:
    """Show the team with roles, profile and ethics signature."""
    authors = [m for m in team if m.is_author]
    cols = st.columns(4)
    cols[0].metric("People in the team", len(team))
    cols[1].metric("CLAs", sum(Role.cla in m.roles for m in team), help="The Panel asks for 3.")
    cols[2].metric(
        "CLAs and Lead Authors",
        sum(Role.cla in m.roles or Role.lead_author in m.roles for m in team),
        help="The Panel asks for 10–15.",
    )
    cols[3].metric(
        "Signed the Code of Ethics",
        f"{sum(m.signed for m in authors)} of {len(authors)}",
        help="Authors (CLAs, Lead Authors and Contributing Authors) who signed the current code.",
    )
    st.dataframe(
        ui.safe_table(
            pd.DataFrame(
                [
                    {
                        "Name": m.person.name,
                        "Roles": ", ".join(role.label for role in m.roles),
                        "Code of Ethics": (
                            "Signed"
                            if m.signed
                            else ("Not signed" if m.is_author else "not required")
                        ),
                        "Affiliation": m.person.affiliation,
                        "Country": m.person.country,
                        "Region": m.person.region,
                        "Sector": m.person.sector,
                        "Discipline": m.person.discipline,
                        "Gender": m.person.gender,
                    }
                    for m in team
                ]
            )
        ),
        hide_index=True,
        width="stretch",
        key="team_members",
    )


def balance_charts(s: Session, report: Report) -> None:
    """Show the authors' balance by gender, region, sector and discipline."""
    st.subheader("Balance of the authors")
    st.caption(
        "Counts the report's authors (CLAs, Lead Authors and Contributing Authors). The Panel "
        "aims for balanced teams; this is shown to guide choices, never enforced."
    )
    balance = teams.team_balance(s, report.id)
    if not any(balance.values()):
        st.info("The team has no authors yet.")
        return
    columns = st.columns(2)
    for index, (attribute, counts) in enumerate(balance.items()):
        data = pd.DataFrame({"Group": list(counts), "Authors": list(counts.values())})
        with columns[index % 2]:
            st.markdown(f"**{BALANCE_TITLES.get(attribute, attribute.title())}**")
            st.altair_chart(
                alt.Chart(data)
                .mark_bar()
                .encode(
                    x=alt.X("Authors:Q", axis=alt.Axis(tickMinStep=1)),
                    y=alt.Y(
                        "Group:N",
                        sort="-x",
                        title=None,
                        axis=alt.Axis(labelOverlap=False, labelLimit=220),
                    ),
                    tooltip=["Group", "Authors"],
                )
                .properties(height=26 * len(counts)),
                width="stretch",
                height=26 * len(counts) + 60,
            )


def add_member_panel(s: Session, actor: Person, report: Report) -> None:
    """Let CLAs and the Secretariat give a person outside the team a role in the report."""
    st.markdown("**Add a person to the team**")
    search = st.text_input(
        "Find a person by name, email or affiliation",
        key="team_search",
        placeholder="e.g. Okafor, @university.edu, Lagos",
    )
    found = teams.candidates(s, report.id, text=search, limit=25)
    if not found:
        st.info(
            "No one outside the team matches. Someone new to the workspace? "
            "The Secretariat adds people on the Admin page."
        )
        return
    if len(found) == 25:
        st.caption("Showing the first 25 matches: type more of the name to narrow them down.")
    by_id = {p.id: p for p in found}
    left, right = st.columns([3, 2])
    chosen = left.selectbox(
        "Person",
        list(by_id),
        index=None,
        placeholder=f"Choose from the {len(found)} people found",
        format_func=lambda pid: " · ".join(
            part for part in (by_id[pid].name, by_id[pid].affiliation, by_id[pid].email) if part
        ),
        key="team_add_person",
    )
    role = right.selectbox(
        "Role in this report", REPORT_ROLES, format_func=ui.label, key="team_add_role"
    )
    if st.button(
        "Add to the team", type="primary", key="team_add", disabled=chosen is None
    ) and ui.run_action(
        lambda: teams.add_member(
            session=s, actor=actor, report=report, person=people.get(s, chosen), role=role
        ),
        success=f"{by_id[chosen].name} is now {ui.label(role)} of this report.",
    ):
        st.rerun()


def remove_role_panel(s: Session, actor: Person, report: Report, team: list[teams.Member]) -> None:
    """Let CLAs and the Secretariat take a role in the report away from someone."""
    st.markdown("**Remove a role**")
    pairs = [(m.person.id, role) for m in team for role in m.roles]
    if not pairs:
        st.caption("Nobody has a role in this report yet.")
        return
    names = {m.person.id: m.person.name for m in team}
    pair = st.selectbox(
        "Person and role",
        pairs,
        format_func=lambda p: f"{names[p[0]]} — {ui.label(p[1])}",
        key="team_remove_pair",
    )
    sure = st.checkbox(
        f"Yes, remove {ui.md(names[pair[0]])} as {ui.label(pair[1])}",
        key=f"team_remove_confirm_{pair[0]}_{pair[1].value}",
    )
    st.caption(
        "Someone who still leads sections keeps their author role until a CLA assigns those "
        "sections to someone else."
    )
    if st.button("Remove the role", key="team_remove", disabled=not sure) and ui.run_action(
        lambda: (
            teams.remove_member(
                session=s, actor=actor, report=report, person=people.get(s, pair[0]), role=pair[1]
            )
            or True
        ),
        success=f"{names[pair[0]]} is no longer {ui.label(pair[1])} of this report.",
    ):
        st.rerun()


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title("Team")
    ui.require(ctx, s, Action.read_report)
    ui.flash()
    report = ctx.report
    st.caption(ui.md(report.title))
    ethics_panel(s, ctx)
    team = teams.members(s, report.id)
    st.subheader("Members")
    if team:
        members_table(team)
    else:
        st.info("Nobody has a role in this report yet.")
    st.subheader("Panel rules")
    warnings = teams.team_warnings(s, report)
    for warning in warnings:
        st.warning(ui.md_message(warning))
    if not warnings:
        st.success("The team meets the Panel's rules.")
    balance_charts(s, report)
    if ui.allowed(ctx, s, Action.manage_team):
        st.subheader("Manage the team")
        left, right = st.columns(2)
        with left, st.container(border=True):
            add_member_panel(s, ctx.person, report)
        with right, st.container(border=True):
            remove_role_panel(s, ctx.person, report, team)
