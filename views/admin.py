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
from babel.numbers import format_decimal
from sqlmodel import Session

import ui
from workbench import audit, backup, i18n, people, reports, themes
from workbench.db import database_url, session_scope
from workbench.governance import add_months
from workbench.i18n import N_, _, ngettext
from workbench.models import Person, PersonCreate, ReportCreate, Role, Stage, utcnow
from workbench.permissions import Action

PAGE_SIZE = 25
WORKSPACE_ROLES = [role for role in Role if role.workspace_wide]
LANGUAGES = {
    "en": N_("English"),
    "fr": N_("French"),
    "es": N_("Spanish"),
    "ar": N_("Arabic"),
    "zh": N_("Chinese"),
    "ru": N_("Russian"),
    "pt": N_("Portuguese"),
    "de": N_("German"),
    "hi": N_("Hindi"),
    "sw": N_("Swahili"),
    "ja": N_("Japanese"),
    "id": N_("Indonesian"),
}
REPORT_WARNINGS = "admin_report_warnings"


# --------------------------------------------------------------------------- people


def roles_text(row: people.PersonRow) -> str:
    """Return a person's roles in the reader's language ('Council member; CLA (living-wages)')."""
    return "; ".join(
        f"{ui.label(role)} ({slug})" if slug else ui.label(role) for slug, role in row.roles
    )


def people_tab(s: Session, actor: Person) -> None:
    """List people (searched and paged in SQL) and let the Secretariat manage their accounts."""
    with st.expander(_("Add a person")):
        add_person_form(s, actor)
    left, right = st.columns([3, 1])
    search = left.text_input(
        _("Search people by name, email or affiliation"),
        key="admin_people_search",
        placeholder=_("e.g. Diallo, @demo.ipsp.example, University of Ghana"),
    )
    __, total = people.search_people(s, search, limit=0)
    with right:
        offset = ui.pager(
            total, key=f"admin_people_page_{search.strip().lower()}", page_size=PAGE_SIZE
        )
    rows, total = people.search_people(s, search, limit=PAGE_SIZE, offset=offset)
    if not rows:
        st.info(
            _("Nobody matches that search. Check the spelling, or add the person above.")
            if search.strip()
            else _("The workspace has no people yet: add the first with 'Add a person' above.")
        )
    else:
        st.caption(
            ngettext(
                "Showing {first}–{last} of {n} person.",
                "Showing {first}–{last} of {n} people.",
                total,
            ).format(
                first=i18n.format_number(offset + 1),
                last=i18n.format_number(offset + len(rows)),
                n=i18n.format_number(total),
            )
        )
        affiliation, roles = _("Affiliation"), _("Roles")
        st.dataframe(
            ui.safe_table(
                pd.DataFrame(
                    [
                        {
                            _("Name"): row.person.name,
                            _("Email"): row.person.email,
                            affiliation: row.person.affiliation,
                            roles: roles_text(row) or _("no role yet"),
                            _("Account"): (
                                (_("active") if row.person.password_hash else _("no password"))
                                if row.person.active
                                else _("deactivated")
                            ),
                        }
                        for row in rows
                    ]
                )
            ),
            hide_index=True,
            width="stretch",
            column_config={
                affiliation: st.column_config.TextColumn(width="medium"),
                roles: st.column_config.TextColumn(width="large"),
            },
        )
        manage_person(s, actor, {row.person.id: row.person for row in rows})


def manage_person(s: Session, actor: Person, shown: dict[int, Person]) -> None:
    """Reset a password, or deactivate or reactivate an account, of someone on this page."""
    with st.container(border=True):
        st.markdown(_("**Manage an account** (someone on this page)"))
        person_id = st.selectbox(
            _("Person"),
            list(shown),
            format_func=lambda pid: f"{shown[pid].name} <{shown[pid].email}>",
            key="admin_person",
        )
        person = shown[person_id]
        left, right = st.columns(2)
        with left:
            password = st.text_input(
                _("New password for {name}").format(name=ui.md(person.name)),
                type="password",
                key=f"admin_password_{person_id}",
                help=_("At least {n} characters. Tell the person through a safe channel.").format(
                    n=people.MIN_PASSWORD_LENGTH
                ),
            )
            if st.button(_("Set the new password"), key="admin_set_password") and ui.run_action(
                lambda: (
                    people.set_password(session=s, actor=actor, person=person, password=password)
                    or True
                ),
                success=_("The password of {name} was changed.").format(name=person.name),
            ):
                st.rerun()
        with right:
            if person.id == actor.id:
                st.caption(_("You cannot deactivate your own account."))
            elif person.active:
                st.caption(
                    _("A deactivated account cannot sign in; its work and history stay in place.")
                )
                if st.button(
                    _("Deactivate {name}").format(name=ui.md(person.name)), key="admin_deactivate"
                ) and (
                    ui.run_action(
                        lambda: people.update_person(
                            session=s, actor=actor, person=person, active=False
                        ),
                        success=_("{name} can no longer sign in.").format(name=person.name),
                    )
                ):
                    st.rerun()
            else:
                st.caption(_("{name}'s account is deactivated.").format(name=ui.md(person.name)))
                if st.button(
                    _("Reactivate {name}").format(name=ui.md(person.name)), key="admin_reactivate"
                ) and (
                    ui.run_action(
                        lambda: people.update_person(
                            session=s, actor=actor, person=person, active=True
                        ),
                        success=_("{name} can sign in again.").format(name=person.name),
                    )
                ):
                    st.rerun()


def add_person_form(s: Session, actor: Person) -> None:
    """Show the form that adds a person, optionally with workspace-wide roles."""
    with st.form("admin_add_person"):
        left, right = st.columns(2)
        name = left.text_input(_("Name"), max_chars=200, key="new_person_name")
        email = right.text_input(_("Email"), max_chars=320, key="new_person_email")
        affiliation = left.text_input(_("Affiliation"), max_chars=300, key="new_person_affiliation")
        country = right.text_input(_("Country"), max_chars=80, key="new_person_country")
        region = left.text_input(
            _("Region"), max_chars=80, key="new_person_region", placeholder=_("e.g. Africa")
        )
        sector = right.text_input(
            _("Sector"), max_chars=80, key="new_person_sector", placeholder=_("e.g. academia")
        )
        discipline = left.text_input(_("Discipline"), max_chars=120, key="new_person_discipline")
        gender = right.text_input(_("Gender"), max_chars=40, key="new_person_gender")
        password = left.text_input(
            _("Password (optional)"),
            type="password",
            key="new_person_password",
            help=_(
                "Leave empty for someone who does not sign in (say, a reviewer named in an "
                "imported comment table); you can set one later."
            ),
        )
        roles = right.multiselect(
            _("Workspace roles"),
            WORKSPACE_ROLES,
            format_func=ui.label,
            key="new_person_roles",
            help=_("Roles in one report (author, reviewer…) are given on that report's Team page."),
        )
        if st.form_submit_button(_("Add the person"), type="primary") and ui.run_action(
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
            success=_("Added {name}.").format(name=name.strip()),
        ):
            st.rerun()


# --------------------------------------------------------------------------- reports


def reports_tab(s: Session, actor: Person) -> None:
    """List every report with its progress, and create a new one."""
    for warning in st.session_state.pop(REPORT_WARNINGS, []):
        st.warning(ui.md_message(warning))
    progress = reports.list_reports(s)
    with st.expander(_("Create a report"), expanded=not progress):
        create_report_form(s, actor)
    new_edition_form(s, actor, progress)
    if not progress:
        st.info(_("There are no reports yet: create the first one with 'Create a report' above."))
        return
    # Column keys stay English; the headers shown are set (translated) in column_config.
    st.dataframe(
        ui.safe_table(
            pd.DataFrame(
                [
                    {
                        "Report": p.title,
                        "Stage": ui.label(p.stage),
                        "Due": p.due_date,
                        "Accepted": p.accepted_share,
                        "Sections": p.sections,
                        "Words": _("{words} of {target}").format(
                            words=i18n.format_number(p.words),
                            target=i18n.format_number(p.word_target),
                        ),
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
            "Report": st.column_config.TextColumn(_("Report"), width="medium"),
            "Stage": st.column_config.TextColumn(_("Stage")),
            "Sections": st.column_config.NumberColumn(_("Sections")),
            "Slug": st.column_config.TextColumn(_("Slug")),
            "Start": st.column_config.DateColumn(_("Start"), format="D MMM YYYY"),
            "Due": st.column_config.DateColumn(_("Due"), format="D MMM YYYY"),
            "Accepted": st.column_config.ProgressColumn(
                _("Sections accepted"), min_value=0.0, max_value=1.0, format="percent"
            ),
            "Words": st.column_config.TextColumn(_("Words (of target)")),
            "Overdue": st.column_config.NumberColumn(_("Overdue sections")),
            "Open comments": st.column_config.NumberColumn(_("Open review comments")),
            "Authors": st.column_config.NumberColumn(
                _("Authors"), help=_("CLAs and Lead Authors.")
            ),
        },
    )


def new_edition_form(s: Session, actor: Person, progress: list) -> None:
    """Let the Secretariat start a corrigendum of an approved or published report."""
    final = [p for p in progress if p.stage in (Stage.approved, Stage.published)]
    with st.expander(_("Start a new edition (corrigendum)")):
        if not final:
            st.caption(_("No report is approved or published yet."))
            return
        st.caption(
            _(
                "An approved or published text is final. To correct it, start its next edition: "
                "the report goes back to the final draft stage, its authors make the correction, "
                "and the Council approves the new text. The approved edition stays on record."
            )
        )
        slugs = {p.slug: p.title for p in final}
        slug = st.selectbox(
            _("Report"), list(slugs), format_func=lambda x: slugs[x], key="admin_edition_report"
        )
        reason = st.text_area(
            _("What the new edition corrects"), key="admin_edition_reason", placeholder=_("Why")
        )
        if st.button(_("Start the new edition"), key="admin_edition_start"):
            done = ui.run_action(
                lambda: reports.start_new_edition(
                    session=s,
                    actor=actor,
                    report=reports.get_report(s, slug),
                    reason=reason,
                ),
                success=_("'{title}' is at the final draft stage as its next edition.").format(
                    title=slugs[slug]
                ),
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
            _("Slug (short name in addresses)"),
            max_chars=80,
            placeholder=_("e.g. care-work"),
            key="new_report_slug",
            help=_("Lower-case letters, digits and hyphens."),
        )
        title = right.text_input(_("Title"), max_chars=300, key="new_report_title")
        theme_id = st.selectbox(
            _("Theme"),
            [None, *names],
            format_func=lambda tid: _("— no theme —") if tid is None else names[tid],
            key="new_report_theme",
        )
        left, right = st.columns(2)
        start = left.date_input(_("Start date"), value=today, key="new_report_start")
        due = right.date_input(
            _("Due date"),
            value=add_months(today, 12),
            key="new_report_due",
            help=_("The Panel plans reports over 6–18 months."),
        )
        languages = st.multiselect(
            _("Languages of publication (English is always included)"),
            list(LANGUAGES),
            default=["en"],
            format_func=lambda code: f"{_(LANGUAGES[code])} ({code})",
            key="new_report_languages",
            max_selections=10,
        )
        summary = st.text_area(_("Summary (optional, Markdown)"), key="new_report_summary")
        if st.form_submit_button(_("Create the report"), type="primary"):
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
                success=_(
                    "Created the report '{title}' at the scoping stage. Next: choose it in the "
                    "sidebar and add its CLAs on the Team page."
                ).format(title=title.strip()),
            )
            if created is not None:
                st.session_state[REPORT_WARNINGS] = created[1]
                st.rerun()


# --------------------------------------------------------------------------- themes


def themes_tab(s: Session) -> None:
    """Show the themes by cluster and their interlinkages as a graph and a table."""
    theme_list = themes.list_themes(s)
    if not theme_list:
        st.info(_("No themes yet. Run `workbench init` to load the Panel's 14 themes."))
        return
    clusters = len({t.cluster for t in theme_list})
    st.caption(
        _("{themes} transversal themes in {clusters} clusters; lines show interlinkages.").format(
            themes=i18n.format_number(len(theme_list)), clusters=i18n.format_number(clusters)
        )
    )
    st.graphviz_chart(themes.interlinkage_dot(s), width="stretch")
    links = themes.theme_links(s)
    st.markdown(_("**Interlinkages**"))
    if links:
        # st.table renders its cells as Markdown: the texts are escaped.
        st.table(
            pd.DataFrame(
                [
                    {
                        _("Theme"): ui.md(a.name),
                        _("Linked theme"): ui.md(b.name),
                        _("Why"): ui.md(note),
                    }
                    for a, b, note in links
                ]
            ),
            hide_index=True,
            border="horizontal",
        )
    else:
        st.caption(_("No interlinkages recorded."))
    with st.expander(_("The themes, cluster by cluster")):
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
        _(
            "A backup holds every table of the workspace in one file. Keep it somewhere safe: "
            "`workbench restore` rebuilds the workspace from it on SQLite or PostgreSQL."
        )
    )
    if not st.button(_("Write a backup now"), type="primary", key="admin_backup"):
        return
    with st.status(_("Writing the backup…"), expanded=True) as status:
        with tempfile.TemporaryDirectory() as folder:
            name = f"workbench-backup-{datetime.now():%Y%m%d-%H%M}.zip"
            path = Path(folder) / name
            counts = ui.run_action(lambda: backup.write_backup(session=s, actor=actor, path=path))
            if counts is None:
                status.update(label=_("The backup failed."), state="error")
                return
            data = path.read_bytes()
        status.update(
            label=_("Backup written: {rows} rows in {tables} tables ({size} MB).").format(
                rows=i18n.format_number(sum(counts.values())),
                tables=i18n.format_number(len(counts)),
                size=format_decimal(
                    len(data) / 1_048_576, format="0.0", locale=i18n.current_language()
                ),
            ),
            state="complete",
        )
    st.download_button(
        _("Download the backup"),
        data=data,
        file_name=name,
        mime="application/zip",
        key="admin_backup_download",
        on_click="ignore",
        type="primary",
    )
    st.dataframe(
        pd.DataFrame([{_("Table"): table, _("Rows"): rows} for table, rows in counts.items()]),
        hide_index=True,
        width=480,
    )


# --------------------------------------------------------------------------- audit


KNOWN_KINDS = frozenset(audit.KIND_LABELS.values())


def shown_kind(label: str) -> str:
    """Return a kind of event's name in the reader's language (English when none is known)."""
    return _(label) if label in KNOWN_KINDS else label


@st.cache_data(ttl=300, show_spinner=False)
def trail_choices(_database: str, version: int) -> tuple[list[tuple[int, str]], list[audit.Kind]]:
    """Return the people and the kinds of event the trail's filters offer.

    Finding the kinds reads the whole trail (a third of a second at 200,000 events),
    so the answer is kept until the trail grows (``version``, the newest event's id, which
    any app server's change moves), or five minutes at most.
    """
    with ui.session() as s:
        return audit.people_in_trail(s), audit.kinds(s)


def audit_tab(s: Session, actor: Person) -> None:
    """Show the audit trail: one sentence per event, filtered and paged in SQL, and as CSV."""
    progress = reports.list_reports(s)
    titles = {p.id: p.title for p in progress}
    people_in_trail, kinds_in_trail = trail_choices(database_url(), ui.data_version(s))
    names = dict(people_in_trail)
    kinds = {shown_kind(audit.kind_label(kind)): kind for kind in kinds_in_trail}
    who, which, what = st.columns(3)
    person_id = who.selectbox(
        _("Who"),
        [None, audit.SYSTEM, *names],
        format_func=lambda pid: (
            _("Everyone")
            if pid is None
            else _("The system (no one signed in)")
            if pid == audit.SYSTEM
            else names[pid]
        ),
        key="admin_audit_person",
    )
    report_id = which.selectbox(
        _("Report"),
        [None, *titles],
        format_func=lambda rid: _("Every report and the workspace") if rid is None else titles[rid],
        key="admin_audit_report",
    )
    kind_name = what.selectbox(
        _("Kind of event"),
        [None, *kinds],
        format_func=lambda k: k or _("Every kind"),
        key="admin_audit_kind",
    )
    filters = {"report_id": report_id, "person_id": person_id, "kind": kinds.get(kind_name or "")}
    total = audit.count_events(s, **filters)
    if not total:
        if any(value is not None for value in filters.values()):
            st.info(_("No event matches these filters."))
        else:
            st.info(
                _("No audit events yet: every change made in the workbench will be listed here.")
            )
        return
    # A page number per set of filters: changing a filter starts again at the newest events.
    counted, paging = st.columns([3, 1], vertical_alignment="bottom")
    with paging:
        page_key = f"admin_audit_page_{report_id}_{person_id}_{kind_name}"
        offset = ui.pager(total, key=page_key, page_size=PAGE_SIZE)
    entries = audit.describe(s, audit.events(s, **filters, limit=PAGE_SIZE, offset=offset))
    counted.caption(
        _("Events {first}–{last} of {total}, newest first.").format(
            first=i18n.format_number(offset + 1),
            last=i18n.format_number(offset + len(entries)),
            total=i18n.format_number(total),
        )
    )
    # A grid, not st.table: st.table renders Markdown, and Streamlit turns any address in
    # a cell into a link however it is escaped, so a name could become one. The sentence
    # column is as wide as the page's longest sentence, so none is cut (a grid wider than
    # the page scrolls sideways).
    longest = max((len(entry.what) for entry in entries), default=0)
    when, what_happened = _("When (UTC)"), _("What happened")
    st.dataframe(
        ui.safe_table(
            pd.DataFrame(
                [
                    {
                        when: entry.at,
                        what_happened: entry.what,
                        _("Report"): entry.report,
                        _("Kind"): shown_kind(entry.kind),
                        # Through the app or the command line (and by which OS user).
                        _("From"): entry.origin,
                    }
                    for entry in entries
                ]
            )
        ),
        hide_index=True,
        width="stretch",
        height=35 * (len(entries) + 1) + 3,  # the whole page of events, no inner scrolling
        column_config={
            when: st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
            # About 6 pixels a character in the grid's font, plus the cell's padding.
            what_happened: st.column_config.TextColumn(width=min(longest * 6 + 28, 1800)),
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
        ngettext("Download {n} event as CSV", "Download {n} events as CSV", total).format(
            n=i18n.format_number(total)
        ),
        audit_csv,
        file_name=f"audit-trail-{slug + '-' if slug else ''}{utcnow():%Y-%m-%d}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="admin_audit_csv",
        help=_(
            "Every event these filters keep, not only this page, with the details of each "
            "as JSON. Cells that a spreadsheet would run as a formula start with an apostrophe."
        ),
    )


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title(_("Admin"))
    ui.require(ctx, s, Action.manage_people)
    ui.flash()
    st.caption(_("The Secretariat's desk: people, reports, themes, backups and the audit trail."))
    tab_people, tab_reports, tab_themes, tab_backup, tab_audit = st.tabs(
        [_("People"), _("Reports"), _("Themes"), _("Backup"), _("Audit")]
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
