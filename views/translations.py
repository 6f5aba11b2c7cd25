"""Translations: which section is translated into which language, and which have fallen behind.

For the CLAs, the Lead Authors and the Secretariat. A grid shows every section × language of
the report: translated, reviewed, in progress, not started, or stale (the section has changed
since it was translated). A list says what changed since each stale translation, in revision
numbers. CLAs and the Secretariat record a translation's status; marking one translated or
reviewed pins it to the section's current revision.
"""

from __future__ import annotations

import streamlit as st

import ui
from workbench import sections, translations
from workbench.models import Role, TranslationStatus
from workbench.permissions import Action
from workbench.words import listing, plural

CAN_SEE = (Role.cla, Role.lead_author, Role.secretariat)
CELL = {
    TranslationStatus.not_started: "—",
    TranslationStatus.in_progress: "… in progress",
    TranslationStatus.translated: "✓ translated",
    TranslationStatus.reviewed: "✓✓ reviewed",
}


def cell_text(cell: translations.TranslationCell, *, full: bool = False) -> str:
    """Return how one grid cell reads: its status, or a warning when it is stale."""
    if cell.stale:
        return f"⚠ stale ({cell.status.label.lower()})" if full else "⚠ stale"
    return CELL[cell.status]


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title("Translations")
    ui.require(ctx, s, Action.read_report)
    if not ctx.has(*CAN_SEE):
        st.error(
            "Not permitted. Translations are followed by the report's Coordinating Lead "
            "Authors and Lead Authors and by the Secretariat."
        )
        st.stop()
    ui.flash()
    report = ctx.report
    targets = translations.target_languages(report)
    source = translations.language_name(translations.SOURCE_LANGUAGE)
    st.caption(
        f"{ui.md(report.title)} is written in {source}"
        + (
            f" and translated into {plural(len(targets), 'language')}: "
            + listing(ui.md(translations.language_name(code)) for code in targets)
            if targets
            else "; it names no language to translate it into yet (the Secretariat sets them)"
        )
        + ". A translation is stale when its section has changed since it was translated."
    )
    listed = sections.list_sections(s, report.id)
    if not listed:
        st.info(
            "This report has no sections yet, so there is nothing to translate. The CLAs "
            "create the outline on the Outline & assignments page."
        )
        st.stop()
    grid = translations.translation_grid(s, report_id=report.id)
    stale = translations.stale_translation_summaries(s, report_id=report.id)
    columns = list(dict.fromkeys(language for _, language in grid))
    if not columns:
        st.info(
            "There is nothing to translate yet: the report names no language besides "
            f"{source}. The Secretariat chooses a report's languages when it creates the report."
        )
        st.stop()
    can_edit = ui.allowed(ctx, s, Action.edit_translation)

    done = sum(1 for c in grid.values() if c.status in translations.PINS_REVISION and not c.stale)
    first, second, third = st.columns(3)
    first.metric(
        "Up to date",
        f"{done} of {len(grid)}",
        help=f"Sections × languages to translate into (not {source}, the language the report "
        "is written in), translated or reviewed against the current text.",
    )
    second.metric(
        "In progress", sum(c.status == TranslationStatus.in_progress for c in grid.values())
    )
    third.metric("Stale", len(stale), help="Sections changed since they were translated.")

    st.subheader("Sections × languages")
    rows = []
    for section in listed:
        row = {"Section": f"{section.code} {section.title}"}
        for language in columns:
            cell = grid.get((section.id, language))
            row[translations.language_name(language)] = cell_text(cell) if cell else "—"
        rows.append(row)
    st.dataframe(
        ui.safe_table(rows),
        hide_index=True,
        width="stretch",
        height=min(35 * (len(rows) + 1) + 3, 720),  # every section at once, up to ~20
        key="translations_grid",
    )
    st.caption(
        "✓ translated · ✓✓ reviewed · … in progress · — not started · "
        "⚠ stale: the section changed after it was translated."
    )

    st.subheader("Stale translations")
    if not stale:
        st.success("No translation is out of date: every translated section matches its text.")
    else:
        st.write(
            "These sections changed after they were translated. Send the translators what "
            "changed (the Write page's history compares any two revisions)."
        )
        st.dataframe(
            ui.safe_table(
                [
                    {
                        "Section": f"{t.section_code} {t.section_title}",
                        "Language": translations.language_name(t.language),
                        "Status": t.status.label,
                        "Translated from": f"revision {t.translated_revision}",
                        "Section now at": f"revision {t.head_revision}",
                        "Revisions since": t.revisions_behind,
                        "Recorded (UTC)": t.updated_at.strftime("%d %b %Y"),
                    }
                    for t in stale
                ]
            ),
            hide_index=True,
            width="stretch",
            key="translations_stale",
        )

    if not can_edit:
        st.caption("CLAs and the Secretariat record translation statuses.")
        st.stop()

    st.subheader("Record a translation's status")
    by_id = {x.id: x for x in listed}
    section_labels = {x.id: f"{x.code} {x.title}" for x in listed}
    language_labels = {code: translations.language_name(code) for code in columns}
    left, middle, right = st.columns(3)
    section_id = left.selectbox(
        "Section", list(section_labels), format_func=section_labels.__getitem__, key="tr_section"
    )
    language = middle.selectbox(
        "Language",
        list(language_labels),
        format_func=language_labels.__getitem__,
        key="tr_language",
    )
    current = grid.get((section_id, language))
    statuses = list(TranslationStatus)
    status = right.selectbox(
        "Status",
        statuses,
        index=statuses.index(current.status) if current else 0,
        format_func=lambda t: t.label,
        key=f"tr_status_{section_id}_{language}",
    )
    if current is not None and current.translation_id is not None:
        note = f"Now: {cell_text(current, full=True)}"
        if current.updated_at:
            note += f", recorded {current.updated_at:%d %b %Y}"
        st.caption(note + ".")
    else:
        st.caption("Nothing recorded yet for this section and language.")
    if status in translations.PINS_REVISION:
        st.caption(
            "Marking it translated or reviewed records that it translates the section's current "
            "revision; it turns stale when the section changes again."
        )
    if st.button("Save translation status", type="primary", key="tr_save"):
        section = by_id[section_id]
        saved = ui.run_action(
            lambda: translations.set_translation(
                session=s, actor=ctx.person, section=section, language=language, status=status
            ),
            success=(
                f"Section {section.code} in {translations.language_name(language)}: "
                f"{status.label.lower()}."
            ),
        )
        if saved is not None:
            st.rerun()
