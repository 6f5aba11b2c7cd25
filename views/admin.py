"""Admin: the Secretariat's desk for people, reports, themes, backups and the audit trail.

- **People**: search and page through everyone the workspace knows, add a person
  (with workspace roles such as Council member), reset a password, deactivate or
  reactivate an account.
- **Reports**: every report with its progress; create a new one (the Panel's
  6–18 month horizon is checked and warned about, never blocked).
- **Themes**: the 14 transversal themes by cluster and their interlinkages.
- **Backup**: write every table to one file and download it.
- **Audit**: who did what, newest first, one sentence per event naming people, sections
  and reports; filtered by person, report and kind of event; downloadable as CSV.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st
from sqlmodel import Session

import ui
from workbench import audit, backup, people, reports, themes
from workbench.db import database_url, session_scope
from workbench.governance import add_months
from workbench.models import Person, PersonCreate, ReportCreate, Role, Stage, utcnow
from workbench.permissions import Action
from workbench.words import plural

PAGE_SIZE = 25
WORKSPACE_ROLES = [role for role in Role if role.workspace_wide]
LANGUAGES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "ar": "Arabic",
    "zh": "Chinese",
    "ru": "Russian",
    "pt": "Portuguese",
    "de": "German",
    "hi": "Hindi",
    "sw": "Swahili",
    "ja": "Japanese",
    "id": "Indonesian",
}
REPORT_WARNINGS = "admin_report_warnings"


# --------------------------------------------------------------------------- people


def people_tab(s: Session, actor: Person) -> None:
    """List people (searched and paged in SQL) and let the Secretariat manage their accounts."""
    with st.expander("Add a person"):
        add_person_form(s, actor)
    left, right = st.columns([3, 1])
    search = left.text_input(
        "Search people by name, email or affiliation",
        key="admin_people_search",
        placeholder="e.g. Diallo, @demo.ipsp.example, University of Ghana",
    )
    _, total = people.search_people(s, search, limit=0)
    with right:
        offset = ui.pager(
            total, key=f"admin_people_page_{search.strip().lower()}", page_size=PAGE_SIZE
        )
    rows, total = people.search_people(s, search, limit=PAGE_SIZE, offset=offset)
    if not rows:
        st.info(
            "Nobody matches that search. Check the spelling, or add the person above."
            if search.strip()
            else "The workspace has no people yet: add the first with 'Add a person' above."
        )
    else:
        st.caption(f"Showing {offset + 1}–{offset + len(rows)} of {total} people.")
        st.dataframe(
            ui.safe_table(
                pd.DataFrame(
                    [
                        {
                            "Name": row.person.name,
                            "Email": row.person.email,
                            "Affiliation": row.person.affiliation,
                            "Roles": row.roles_text() or "no role yet",
                            "Account": (
                                ("active" if row.person.password_hash else "no password")
                                if row.person.active
                                else "deactivated"
                            ),
                        }
                        for row in rows
                    ]
                )
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Affiliation": st.column_config.TextColumn(width="medium"),
                "Roles": st.column_config.TextColumn(width="large"),
            },
        )
        manage_person(s, actor, {row.person.id: row.person for row in rows})


def manage_person(s: Session, actor: Person, shown: dict[int, Person]) -> None:
    """Reset a password, or deactivate or reactivate an account, of someone on this page."""
    with st.container(border=True):
        st.markdown("**Manage an account** (someone on this page)")
        person_id = st.selectbox(
            "Person",
            list(shown),
            format_func=lambda pid: f"{shown[pid].name} <{shown[pid].email}>",
            key="admin_person",
        )
        person = shown[person_id]
        left, right = st.columns(2)
        with left:
            password = st.text_input(
                f"New password for {ui.md(person.name)}",
                type="password",
                key=f"admin_password_{person_id}",
                help=f"At least {people.MIN_PASSWORD_LENGTH} characters. Tell the person "
                "through a safe channel.",
            )
            if st.button("Set the new password", key="admin_set_password") and ui.run_action(
                lambda: (
                    people.set_password(session=s, actor=actor, person=person, password=password)
                    or True
                ),
                success=f"The password of {person.name} was changed.",
            ):
                st.rerun()
        with right:
            if person.id == actor.id:
                st.caption("You cannot deactivate your own account.")
            elif person.active:
                st.caption(
                    "A deactivated account cannot sign in; its work and history stay in place."
                )
                if st.button(f"Deactivate {ui.md(person.name)}", key="admin_deactivate") and (
                    ui.run_action(
                        lambda: people.update_person(
                            session=s, actor=actor, person=person, active=False
                        ),
                        success=f"{person.name} can no longer sign in.",
                    )
                ):
                    st.rerun()
            else:
                st.caption(f"{ui.md(person.name)}'s account is deactivated.")
                if st.button(f"Reactivate {ui.md(person.name)}", key="admin_reactivate") and (
                    ui.run_action(
                        lambda: people.update_person(
                            session=s, actor=actor, person=person, active=True
                        ),
                        success=f"{person.name} can sign in again.",
                    )
                ):
                    st.rerun()


def add_person_form(s: Session, actor: Person) -> None:
    """Show the form that adds a person, optionally with workspace-wide roles."""
    with st.form("admin_add_person"):
        left, right = st.columns(2)
        name = left.text_input("Name", max_chars=200, key="new_person_name")
        email = right.text_input("Email", max_chars=320, key="new_person_email")
        affiliation = left.text_input("Affiliation", max_chars=300, key="new_person_affiliation")
        country = right.text_input("Country", max_chars=80, key="new_person_country")
        region = left.text_input(
            "Region", max_chars=80, key="new_person_region", placeholder="e.g. Africa"
        )
        sector = right.text_input(
            "Sector", max_chars=80, key="new_person_sector", placeholder="e.g. academia"
        )
        discipline = left.text_input("Discipline", max_chars=120, key="new_person_discipline")
        gender = right.text_input("Gender", max_chars=40, key="new_person_gender")
        password = left.text_input(
            "Password (optional)",
            type="password",
            key="new_person_password",
            help="Leave empty for someone who does not sign in (say, a reviewer named in an "
            "imported comment table); you can set one later.",
        )
        roles = right.multiselect(
            "Workspace roles",
            WORKSPACE_ROLES,
            format_func=ui.label,
            key="new_person_roles",
            help="Roles in one report (author, reviewer…) are given on that report's Team page.",
        )
        if st.form_submit_button("Add the person", type="primary") and ui.run_action(
            lambda: people.create_person(
                session=s,
                actor=actor,
                data=PersonCreate(
                    name=name,
                    email=email,
                    affiliation=affiliation.strip(),
                    country=country.strip(),
                    region=region.strip(),
                    sector=sector.strip(),
                    discipline=discipline.strip(),
                    gender=gender.strip(),
                    password=password or None,
                ),
                roles=roles,
            ),
            success=f"Added {name.strip()}.",
        ):
            st.rerun()


# --------------------------------------------------------------------------- reports


def reports_tab(s: Session, actor: Person) -> None:
    """List every report with its progress, and create a new one."""
    for warning in st.session_state.pop(REPORT_WARNINGS, []):
        st.warning(ui.md_message(warning))
    progress = reports.list_reports(s)
    with st.expander("Create a report", expanded=not progress):
        create_report_form(s, actor)
    new_edition_form(s, actor, progress)
    if not progress:
        st.info("There are no reports yet: create the first one with 'Create a report' above.")
        return
    st.dataframe(
        ui.safe_table(
            pd.DataFrame(
                [
                    {
                        "Report": p.title,
                        "Stage": p.stage.label,
                        "Due": p.due_date,
                        "Accepted": p.accepted_share,
                        "Sections": p.sections,
                        "Words": f"{p.words:,} of {p.word_target:,}",
                        "Overdue": p.overdue,
                        "Open comments": p.open_comments,
                        "Authors": p.authors,
                        "Start": p.start_date,
                        "Slug": p.slug,
                    }
                    for p in progress
                ]
            )
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Report": st.column_config.TextColumn(width="medium"),
            "Start": st.column_config.DateColumn(format="D MMM YYYY"),
            "Due": st.column_config.DateColumn(format="D MMM YYYY"),
            "Accepted": st.column_config.ProgressColumn(
                "Sections accepted", min_value=0.0, max_value=1.0, format="percent"
            ),
            "Words": st.column_config.TextColumn("Words (of target)"),
            "Overdue": st.column_config.NumberColumn("Overdue sections"),
            "Open comments": st.column_config.NumberColumn("Open review comments"),
            "Authors": st.column_config.NumberColumn(help="CLAs and Lead Authors."),
        },
    )


def new_edition_form(s: Session, actor: Person, progress: list) -> None:
    """Let the Secretariat start a corrigendum of an approved or published report."""
    final = [p for p in progress if p.stage in (Stage.approved, Stage.published)]
    with st.expander("Start a new edition (corrigendum)"):
        if not final:
            st.caption("No report is approved or published yet.")
            return
        st.caption(
            "An approved or published text is final. To correct it, start its next edition: "
            "the report goes back to the final draft stage, its authors make the correction, "
            "and the Council approves the new text. The approved edition stays on record."
        )
        slugs = {p.slug: p.title for p in final}
        slug = st.selectbox(
            "Report", list(slugs), format_func=lambda x: slugs[x], key="admin_edition_report"
        )
        reason = st.text_area(
            "What the new edition corrects", key="admin_edition_reason", placeholder="Why"
        )
        if st.button("Start the new edition", key="admin_edition_start"):
            done = ui.run_action(
                lambda: reports.start_new_edition(
                    session=s,
                    actor=actor,
                    report=reports.get_report(s, slug),
                    reason=reason,
                ),
                success=f"'{slugs[slug]}' is at the final draft stage as its next edition.",
            )
            if done is not None:
                ui.reset_keys("admin_edition_reason")
                st.rerun()


def create_report_form(s: Session, actor: Person) -> None:
    """Show the form that creates a report at the scoping stage."""
    theme_list = themes.list_themes(s)
    names = {t.id: f"{t.name} ({t.cluster})" for t in theme_list}
    today = utcnow().date()
    with st.form("admin_create_report"):
        left, right = st.columns([1, 2])
        slug = left.text_input(
            "Slug (short name in addresses)",
            max_chars=80,
            placeholder="e.g. care-work",
            key="new_report_slug",
            help="Lower-case letters, digits and hyphens.",
        )
        title = right.text_input("Title", max_chars=300, key="new_report_title")
        theme_id = st.selectbox(
            "Theme",
            [None, *names],
            format_func=lambda tid: "— no theme —" if tid is None else names[tid],
            key="new_report_theme",
        )
        left, right = st.columns(2)
        start = left.date_input("Start date", value=today, key="new_report_start")
        due = right.date_input(
            "Due date",
            value=add_months(today, 12),
            key="new_report_due",
            help="The Panel plans reports over 6–18 months.",
        )
        languages = st.multiselect(
            "Languages of publication (English is always included)",
            list(LANGUAGES),
            default=["en"],
            format_func=lambda code: f"{LANGUAGES[code]} ({code})",
            key="new_report_languages",
            max_selections=10,
        )
        summary = st.text_area("Summary (optional, Markdown)", key="new_report_summary")
        if st.form_submit_button("Create the report", type="primary"):
            created = ui.run_action(
                lambda: reports.create_report(
                    session=s,
                    actor=actor,
                    data=ReportCreate(
                        slug=slug.strip(),
                        title=title,
                        theme_id=theme_id,
                        start_date=start,
                        due_date=due,
                        languages=languages,
                        summary=summary,
                    ),
                ),
                success=f"Created the report '{title.strip()}' at the scoping stage. Next: choose "
                "it in the sidebar and add its CLAs on the Team page.",
            )
            if created is not None:
                st.session_state[REPORT_WARNINGS] = created[1]
                st.rerun()


# --------------------------------------------------------------------------- themes


def themes_tab(s: Session) -> None:
    """Show the themes by cluster and their interlinkages as a graph and a table."""
    theme_list = themes.list_themes(s)
    if not theme_list:
        st.info("No themes yet. Run `workbench init` to load the Panel's 14 themes.")
        return
    st.caption(
        f"{len(theme_list)} transversal themes in "
        f"{len({t.cluster for t in theme_list})} clusters; lines show interlinkages."
    )
    st.graphviz_chart(themes.interlinkage_dot(s), width="stretch")
    links = themes.theme_links(s)
    st.markdown("**Interlinkages**")
    if links:
        # st.table renders its cells as Markdown: the texts are escaped.
        st.table(
            pd.DataFrame(
                [
                    {"Theme": ui.md(a.name), "Linked theme": ui.md(b.name), "Why": ui.md(note)}
                    for a, b, note in links
                ]
            ),
            hide_index=True,
            border="horizontal",
        )
    else:
        st.caption("No interlinkages recorded.")
    with st.expander("The themes, cluster by cluster"):
        cluster = None
        for theme in theme_list:
            if theme.cluster != cluster:
                cluster = theme.cluster
                st.markdown(f"**{ui.md(cluster)}**")
            st.markdown(f"- *{ui.md(theme.name)}* — {ui.md(theme.description)}")


# --------------------------------------------------------------------------- backup


def backup_tab(s: Session, actor: Person) -> None:
    """Write a backup of every table and offer it for download."""
    st.markdown(
        "A backup holds every table of the workspace in one file. Keep it somewhere safe: "
        "`workbench restore` rebuilds the workspace from it on SQLite or PostgreSQL."
    )
    if not st.button("Write a backup now", type="primary", key="admin_backup"):
        return
    with st.status("Writing the backup…", expanded=True) as status:
        with tempfile.TemporaryDirectory() as folder:
            name = f"workbench-backup-{datetime.now():%Y%m%d-%H%M}.zip"
            path = Path(folder) / name
            counts = ui.run_action(lambda: backup.write_backup(session=s, actor=actor, path=path))
            if counts is None:
                status.update(label="The backup failed.", state="error")
                return
            data = path.read_bytes()
        status.update(
            label=f"Backup written: {sum(counts.values()):,} rows in {len(counts)} tables "
            f"({len(data) / 1_048_576:.1f} MB).",
            state="complete",
        )
    st.download_button(
        "Download the backup",
        data=data,
        file_name=name,
        mime="application/zip",
        key="admin_backup_download",
        on_click="ignore",
        type="primary",
    )
    st.dataframe(
        pd.DataFrame([{"Table": table, "Rows": rows} for table, rows in counts.items()]),
        hide_index=True,
        width=480,
    )


# --------------------------------------------------------------------------- audit


@st.cache_data(ttl=300, show_spinner=False)
def trail_choices(_database: str) -> tuple[list[tuple[int, str]], list[audit.Kind]]:
    """Return the people and the kinds of event the trail's filters offer.

    Finding the kinds reads the whole trail (a third of a second at 200,000 events),
    so the answer is kept five minutes, or until this app server makes a change.
    """
    with ui.session() as s:
        return audit.people_in_trail(s), audit.kinds(s)


def audit_tab(s: Session, actor: Person) -> None:
    """Show the audit trail: one sentence per event, filtered and paged in SQL, and as CSV."""
    progress = reports.list_reports(s)
    titles = {p.id: p.title for p in progress}
    people_in_trail, kinds_in_trail = trail_choices(database_url())
    names = dict(people_in_trail)
    kinds = {audit.kind_label(kind): kind for kind in kinds_in_trail}
    who, which, what = st.columns(3)
    person_id = who.selectbox(
        "Who",
        [None, audit.SYSTEM, *names],
        format_func=lambda pid: (
            "Everyone"
            if pid is None
            else "The system (no one signed in)"
            if pid == audit.SYSTEM
            else names[pid]
        ),
        key="admin_audit_person",
    )
    report_id = which.selectbox(
        "Report",
        [None, *titles],
        format_func=lambda rid: "Every report and the workspace" if rid is None else titles[rid],
        key="admin_audit_report",
    )
    kind_name = what.selectbox(
        "Kind of event",
        [None, *kinds],
        format_func=lambda k: k or "Every kind",
        key="admin_audit_kind",
    )
    filters = {"report_id": report_id, "person_id": person_id, "kind": kinds.get(kind_name or "")}
    total = audit.count_events(s, **filters)
    if not total:
        if any(value is not None for value in filters.values()):
            st.info("No event matches these filters.")
        else:
            st.info("No audit events yet: every change made in the workbench will be listed here.")
        return
    # A page number per set of filters: changing a filter starts again at the newest events.
    counted, paging = st.columns([3, 1], vertical_alignment="bottom")
    with paging:
        page_key = f"admin_audit_page_{report_id}_{person_id}_{kind_name}"
        offset = ui.pager(total, key=page_key, page_size=PAGE_SIZE)
    entries = audit.describe(s, audit.events(s, **filters, limit=PAGE_SIZE, offset=offset))
    counted.caption(f"Events {offset + 1:,}–{offset + len(entries):,} of {total:,}, newest first.")
    # A grid, not st.table: st.table renders Markdown, and Streamlit turns any address in
    # a cell into a link however it is escaped, so a name could become one. The sentence
    # column is as wide as the page's longest sentence, so none is cut (a grid wider than
    # the page scrolls sideways).
    longest = max((len(entry.what) for entry in entries), default=0)
    st.dataframe(
        ui.safe_table(
            pd.DataFrame(
                [
                    {
                        "When (UTC)": entry.at,
                        "What happened": entry.what,
                        "Report": entry.report,
                        "Kind": entry.kind,
                        # Through the app or the command line (and by which OS user).
                        "From": entry.origin,
                    }
                    for entry in entries
                ]
            )
        ),
        hide_index=True,
        width="stretch",
        height=35 * (len(entries) + 1) + 3,  # the whole page of events, no inner scrolling
        column_config={
            "When (UTC)": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
            # About 6 pixels a character in the grid's font, plus the cell's padding.
            "What happened": st.column_config.TextColumn(width=min(longest * 6 + 28, 1800)),
        },
        key="admin_audit_table",
    )
    engine, actor_id = ui.engine(), actor.id

    def audit_csv() -> bytes:
        # Runs when the button is pressed, in a thread of its own: a session of its own.
        with session_scope(engine) as session:
            return audit.export_csv(session, actor=people.get(session, actor_id), **filters)

    slug = next((p.slug for p in progress if p.id == report_id), None)
    st.download_button(
        f"Download {plural(total, 'event')} as CSV",
        audit_csv,
        file_name=f"audit-trail-{slug + '-' if slug else ''}{utcnow():%Y-%m-%d}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="admin_audit_csv",
        help="Every event these filters keep, not only this page, with the details of each "
        "as JSON. Cells that a spreadsheet would run as a formula start with an apostrophe.",
    )


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title("Admin")
    ui.require(ctx, s, Action.manage_people)
    ui.flash()
    st.caption("The Secretariat's desk: people, reports, themes, backups and the audit trail.")
    tab_people, tab_reports, tab_themes, tab_backup, tab_audit = st.tabs(
        ["People", "Reports", "Themes", "Backup", "Audit"]
    )
    with tab_people:
        people_tab(s, ctx.person)
    with tab_reports:
        reports_tab(s, ctx.person)
    with tab_themes:
        themes_tab(s)
    with tab_backup:
        backup_tab(s, ctx.person)
    with tab_audit:
        audit_tab(s, ctx.person)
