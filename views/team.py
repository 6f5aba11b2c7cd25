"""Team: who works on the report, in which role, and whether they signed the Code of Ethics.

Everyone in the report sees the members, the team's balance by gender, region,
sector and discipline (shown, never enforced) and the Panel-rule warnings. Anyone
who has not signed the current Code of Ethics can read and sign it here (authors
must, before they can change anything). CLAs and the Secretariat add people to the
team and take roles away; a Translator is added for one language of the report
("Translator (French)"), and again for each further language.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from sqlmodel import Session

import ui
from workbench import i18n, people, permissions, teams, translations
from workbench.i18n import N_, _
from workbench.models import AUTHOR_ROLES, Person, Report, Role
from workbench.permissions import Action

REPORT_ROLES = [role for role in Role if not role.workspace_wide]
BALANCE_TITLES = {
    "gender": N_("Gender"),
    "region": N_("Region"),
    "sector": N_("Sector"),
    "discipline": N_("Discipline"),
}


def role_text(role: Role, languages: list[str]) -> str:
    """Return a role as the team list shows it: 'Translator (French, Spanish)'."""
    if role is Role.translator and languages:
        return _("{role} ({languages})").format(
            role=ui.label(role),
            languages=i18n.format_list(translations.language_label(code) for code in languages),
        )
    return ui.label(role)


def ethics_panel(s: Session, ctx: ui.PageContext) -> None:
    """Show the Code of Ethics, with a button to sign it for those who have not."""
    version, code = teams.ethics_code()
    if permissions.has_signed_current_code(s, ctx.person):
        st.success(
            _("You have signed the Code of Ethics (version {version}).").format(version=version)
        )
        with st.expander(_("Read the Code of Ethics")):
            st.markdown(code)
        return
    is_author = ctx.has(*AUTHOR_ROLES)
    if is_author:
        st.warning(
            _(
                "You have not signed the Code of Ethics yet. Authors sign it before they can "
                "change anything in a report: read it below, then sign."
            )
        )
    with st.expander(
        _("Sign the Code of Ethics (version {version})").format(version=version),
        expanded=is_author,
    ):
        with st.container(height=320):
            st.markdown(code)
        if st.button(
            _("I have read the Code of Ethics and sign it"), type="primary", key="sign_ethics"
        ) and ui.run_action(
            lambda: teams.sign_ethics(session=s, actor=ctx.person),
            success=_("Thank you: you signed the Code of Ethics (version {version}).").format(
                version=version
            ),
        ):
            st.rerun()


def members_table(team: list[teams.Member]) -> None:
    """Show the team with roles, profile and ethics signature."""
    authors = [m for m in team if m.is_author]
    cols = st.columns(4)
    cols[0].metric(_("People in the team"), len(team))
    cols[1].metric(
        _("CLAs"), sum(Role.cla in m.roles for m in team), help=_("The Panel asks for 3.")
    )
    cols[2].metric(
        _("CLAs and Lead Authors"),
        sum(Role.cla in m.roles or Role.lead_author in m.roles for m in team),
        help=_("The Panel asks for 10–15."),
    )
    cols[3].metric(
        _("Signed the Code of Ethics"),
        _("{signed} of {total}").format(
            signed=i18n.format_number(sum(m.signed for m in authors)),
            total=i18n.format_number(len(authors)),
        ),
        help=_(
            "Authors (CLAs, Lead Authors and Contributing Authors) who signed the current code."
        ),
    )
    st.dataframe(
        ui.safe_table(
            pd.DataFrame(
                [
                    {
                        _("Name"): m.person.name,
                        _("Roles"): ", ".join(role_text(role, m.languages) for role in m.roles),
                        _("Code of Ethics"): (
                            _("Signed")
                            if m.signed
                            else (_("Not signed") if m.is_author else _("not required"))
                        ),
                        _("Affiliation"): m.person.affiliation,
                        _("Country"): m.person.country,
                        _("Region"): m.person.region,
                        _("Sector"): m.person.sector,
                        _("Discipline"): m.person.discipline,
                        _("Gender"): m.person.gender,
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
    st.subheader(_("Balance of the authors"))
    st.caption(
        _(
            "Counts the report's authors (CLAs, Lead Authors and Contributing Authors). The "
            "Panel aims for balanced teams; this is shown to guide choices, never enforced."
        )
    )
    balance = teams.team_balance(s, report.id)
    if not any(balance.values()):
        st.info(_("The team has no authors yet."))
        return
    columns = st.columns(2)
    for index, (attribute, counts) in enumerate(balance.items()):
        group, authors = _("Group"), _("Authors")
        data = pd.DataFrame({group: list(counts), authors: list(counts.values())})
        with columns[index % 2]:
            title = BALANCE_TITLES.get(attribute)
            st.markdown(f"**{_(title) if title else attribute.title()}**")
            st.altair_chart(
                alt.Chart(data)
                .mark_bar()
                .encode(
                    x=alt.X(f"{authors}:Q", axis=alt.Axis(tickMinStep=1)),
                    y=alt.Y(
                        f"{group}:N",
                        sort="-x",
                        title=None,
                        axis=alt.Axis(labelOverlap=False, labelLimit=220),
                    ),
                    tooltip=[group, authors],
                )
                .properties(height=26 * len(counts)),
                width="stretch",
                height=26 * len(counts) + 60,
            )


def add_member_panel(s: Session, actor: Person, report: Report) -> None:
    """Let CLAs and the Secretariat give a person a role in the report (a Translator's language)."""
    st.markdown(_("**Add a person to the team**"))
    role = st.selectbox(
        _("Role in this report"), REPORT_ROLES, format_func=ui.label, key="team_add_role"
    )
    language = None
    if role is Role.translator:
        targets = translations.target_languages(report)
        if not targets:
            st.info(
                _(
                    "The report has no language to translate into yet: the Secretariat sets "
                    "its languages on the Admin page."
                )
            )
            return
        language = st.selectbox(
            _("Translates into"),
            targets,
            format_func=translations.language_name,
            key="team_add_language",
            help=_("A Translator translates one language; add them again for another."),
        )
    search = st.text_input(
        _("Find a person by name, email or affiliation"),
        key="team_search",
        placeholder=_("e.g. Okafor, @university.edu, Lagos"),
    )
    found = teams.candidates(s, report.id, text=search, limit=25, role=role)
    if not found:
        st.info(
            _(
                "No one outside the team matches. Someone new to the workspace? "
                "The Secretariat adds people on the Admin page."
            )
        )
        return
    if len(found) == 25:
        st.caption(_("Showing the first 25 matches: type more of the name to narrow them down."))
    by_id = {p.id: p for p in found}
    chosen = st.selectbox(
        _("Person"),
        list(by_id),
        index=None,
        placeholder=_("Choose from the {count} people found").format(
            count=i18n.format_number(len(found))
        ),
        format_func=lambda pid: " · ".join(
            part for part in (by_id[pid].name, by_id[pid].affiliation, by_id[pid].email) if part
        ),
        key="team_add_person",
    )
    if chosen is None:
        success = None
    elif language:
        success = _("{name} is now {role} of this report, into {language}.").format(
            name=by_id[chosen].name,
            role=ui.label(role),
            language=translations.language_name(language),
        )
    else:
        success = _("{name} is now {role} of this report.").format(
            name=by_id[chosen].name, role=ui.label(role)
        )
    if st.button(
        _("Add to the team"), type="primary", key="team_add", disabled=chosen is None
    ) and ui.run_action(
        lambda: teams.add_member(
            session=s,
            actor=actor,
            report=report,
            person=people.get(s, chosen),
            role=role,
            language=language,
        ),
        success=success,
    ):
        st.rerun()


def remove_role_panel(s: Session, actor: Person, report: Report, team: list[teams.Member]) -> None:
    """Let CLAs and the Secretariat take a role in the report away from someone."""
    st.markdown(_("**Remove a role**"))
    pairs: list[tuple[int, Role, str]] = []
    for m in team:
        for role in m.roles:
            if role is Role.translator and m.languages:
                pairs += [(m.person.id, role, code) for code in m.languages]
            else:
                pairs.append((m.person.id, role, ""))
    if not pairs:
        st.caption(_("Nobody has a role in this report yet."))
        return
    names = {m.person.id: m.person.name for m in team}
    pair = st.selectbox(
        _("Person and role"),
        pairs,
        format_func=lambda p: f"{names[p[0]]} — {role_text(p[1], [p[2]] if p[2] else [])}",
        key="team_remove_pair",
    )
    held = role_text(pair[1], [pair[2]] if pair[2] else [])
    sure = st.checkbox(
        _("Yes, remove {name} as {role}").format(name=ui.md(names[pair[0]]), role=held),
        key=f"team_remove_confirm_{pair[0]}_{pair[1].value}" + (f"_{pair[2]}" if pair[2] else ""),
    )
    st.caption(
        _(
            "Someone who still leads sections keeps their author role until a CLA assigns those "
            "sections to someone else."
        )
    )
    if st.button(_("Remove the role"), key="team_remove", disabled=not sure) and ui.run_action(
        lambda: (
            teams.remove_member(
                session=s,
                actor=actor,
                report=report,
                person=people.get(s, pair[0]),
                role=pair[1],
                language=pair[2] or None,
            )
            or True
        ),
        success=_("{name} is no longer {role} of this report.").format(
            name=names[pair[0]], role=held
        ),
    ):
        st.rerun()


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title(_("Team"))
    ui.require(ctx, s, Action.read_report)
    ui.flash()
    report = ctx.report
    st.caption(ui.md(report.title))
    ethics_panel(s, ctx)
    team = teams.members(s, report.id)
    st.subheader(_("Members"))
    if team:
        members_table(team)
    else:
        st.info(_("Nobody has a role in this report yet."))
    st.subheader(_("Panel rules"))
    warnings = teams.team_warnings(s, report)
    for warning in warnings:
        st.warning(ui.md_message(warning))
    if not warnings:
        st.success(_("The team meets the Panel's rules."))
    balance_charts(s, report)
    if ui.allowed(ctx, s, Action.manage_team):
        st.subheader(_("Manage the team"))
        left, right = st.columns(2)
        with left, st.container(border=True):
            add_member_panel(s, ctx.person, report)
        with right, st.container(border=True):
            remove_role_panel(s, ctx.person, report, team)
