"""Glossary: how each calibrated and Panel term is written in each language.

For the Secretariat, the CLAs, the Lead Authors and the Translators. Pick a language
(each shown by its name and code, "French (fr)"), narrow the table by kind or by
text, and read each concept's English term beside its rendering, with the note for
translators and where the rendering comes from (e.g. the IPCC's published French
edition). Everyone here may download the language's glossary as CSV or TBX for
their own translation tools; the Secretariat also edits a term and imports a CSV or
TBX file (all of it or nothing). See :mod:`workbench.glossary`.
"""

from __future__ import annotations

import streamlit as st

import ui
from workbench import glossary, i18n, translations
from workbench.i18n import N_, _
from workbench.models import GlossaryKind, Role
from workbench.permissions import Action

CAN_SEE = (Role.secretariat, Role.cla, Role.lead_author, Role.translator)
KIND_LABELS = {
    GlossaryKind.calibrated: N_("Calibrated (IPCC)"),
    GlossaryKind.panel: N_("Panel"),
    GlossaryKind.document: N_("Document"),
}
ALL_KINDS = ""
MIME = {"csv": "text/csv", "tbx": "application/x-tbx"}


def _named(code: str) -> str:
    """Return a language as a sentence names it ('français (fr)', 'French (fr)')."""
    return glossary.language_name(code, capital=False)


def _default_language(s, codes: list[str], ctx: ui.PageContext) -> str:
    """Return the language shown first: the one a Translator translates into, the interface's,
    the report's first, or any but English."""
    mine: list[str] = []
    if ctx.report is not None and Role.translator in ctx.roles:
        mine = translations.translator_languages(
            s, person_id=ctx.person.id, report_id=ctx.report.id
        )
    current = i18n.current_language()
    targets = translations.target_languages(ctx.report) if ctx.report else []
    candidates = [
        *mine,
        *([current] if current != glossary.SOURCE_LANGUAGE else []),
        *targets,
        *codes,
    ]
    found = [c for c in candidates if c in codes and c != glossary.SOURCE_LANGUAGE]
    return found[0] if found else codes[0]


def _table(entries: list[glossary.GlossaryEntry], language: str) -> None:
    """Show the entries as a table: concept, kind, English, the term, note, source."""
    name = _named(language)
    rows = [
        {
            _("Concept"): e.concept,
            _("Kind"): _(KIND_LABELS[e.kind]),
            _("English"): e.english,
            _("Term in {language}").format(language=name): e.term,
            _("Note"): e.note,
            _("Source"): e.source,
        }
        for e in entries
    ]
    st.dataframe(
        ui.safe_table(rows),
        hide_index=True,
        width="stretch",
        height=min(35 * (len(rows) + 1) + 3, 720),
        key="glossary_table",
    )


def _edit_form(s, ctx: ui.PageContext, entries: dict[str, glossary.GlossaryEntry], language: str):
    """The Secretariat's form: change how one concept is written in this language."""
    english = glossary.terms(s, glossary.SOURCE_LANGUAGE)
    concepts = sorted(set(english) | set(entries))
    if not concepts:
        return
    concept = st.selectbox(
        _("Concept"),
        concepts,
        format_func=lambda c: _("{concept} — {english}").format(
            concept=c, english=english[c].term if c in english else entries[c].english
        ),
        key="glossary_edit_concept",
    )
    with st.form("glossary_edit"):
        current = entries.get(concept)
        term = st.text_input(
            _("Term in {language}").format(language=_named(language)),
            value=current.term if current else "",
            max_chars=glossary.MAX_TERM,
            key=f"glossary_edit_term_{language}_{concept}",
            help=_("The form the Secretariat approved: translators and exports use it as is."),
        )
        note = st.text_area(
            _("Note for translators"),
            value=current.note if current else "",
            max_chars=glossary.MAX_NOTE,
            key=f"glossary_edit_note_{language}_{concept}",
        )
        saved = st.form_submit_button(_("Save the term"), type="primary")
    if saved:
        done = ui.run_action(
            lambda: glossary.set_term(
                session=s,
                actor=ctx.person,
                language=language,
                concept=concept,
                term=term,
                note=note,
            ),
            success=_("'{concept}' in {language} is now: {term}").format(
                concept=concept, language=_named(language), term=term.strip()
            ),
        )
        if done is not None:
            st.rerun()


def _import_form(s, ctx: ui.PageContext) -> None:
    """The Secretariat's import: a CSV or TBX file, all of it or nothing."""
    generation = st.session_state.get("glossary_upload_generation", 0)
    upload = st.file_uploader(
        _("Glossary file (CSV or TBX)"),
        type=["csv", "tbx"],
        key=f"glossary_upload_{generation}",
        help=_(
            "CSV with the columns concept, kind, language, term, note, source (UTF-8), or a "
            "TBX file; at most {size} MB."
        ).format(size=glossary.MAX_GLOSSARY_BYTES // (1024 * 1024)),
        max_upload_size=glossary.MAX_GLOSSARY_BYTES // (1024 * 1024),
    )
    if st.button(_("Import"), disabled=upload is None, key="glossary_import"):
        assert upload is not None
        summary = ui.run_action(
            lambda: glossary.import_glossary(
                session=s, actor=ctx.person, data=upload.getvalue(), filename=upload.name
            )
        )
        if summary is not None:
            st.session_state[ui.FLASH] = ui.md_message(
                _(
                    "Imported {file}: {added} added, {updated} changed, {unchanged} already so."
                ).format(
                    file=upload.name,
                    added=i18n.format_number(summary.added),
                    updated=i18n.format_number(summary.updated),
                    unchanged=i18n.format_number(summary.unchanged),
                )
            )
            st.session_state["glossary_upload_generation"] = generation + 1
            st.rerun()


with ui.session() as s:
    ctx = ui.page_context(s, need_report=False)
    st.title(_("Glossary"))
    if not ctx.has(*CAN_SEE):
        st.error(
            _(
                "Not permitted. The glossary is for the Secretariat, the Coordinating Lead "
                "Authors, the Lead Authors and the Translators."
            )
        )
        st.stop()
    ui.flash()
    st.caption(
        _(
            "How the IPCC's calibrated terms (confidence, likelihood, evidence, agreement) and "
            "the Panel's own terms are written in each language. Translators use these terms "
            "exactly; the translation checks flag a calibrated term rendered otherwise."
        )
    )
    codes = glossary.languages(s)
    if ctx.report is not None:
        # The report's languages too, with or without terms yet (the Secretariat adds them).
        codes += [
            code
            for code in map(glossary.normalise_language, translations.report_languages(ctx.report))
            if code not in codes and glossary.valid_language(code)
        ]
    left, middle, right = st.columns([2, 2, 3])
    language = left.selectbox(
        _("Language"),
        codes,
        index=codes.index(_default_language(s, codes, ctx)),
        format_func=glossary.language_name,
        key="glossary_language",
    )
    kind = middle.selectbox(
        _("Kind"),
        [ALL_KINDS, *KIND_LABELS],
        format_func=lambda k: _("All kinds") if k == ALL_KINDS else _(KIND_LABELS[k]),
        key="glossary_kind",
    )
    wanted = right.text_input(
        _("Filter"), key="glossary_filter", placeholder=_("A word in any column")
    )
    entries = glossary.terms(s, language)
    shown = [
        e
        for e in entries.values()
        if (kind == ALL_KINDS or e.kind == kind)
        and (
            not wanted.strip()
            or wanted.strip().casefold()
            in " ".join((e.concept, e.english, e.term, e.note, e.source)).casefold()
        )
    ]
    if not entries:
        st.info(
            _(
                "The glossary has no terms in {language} yet. Exports and translation checks "
                "use the English terms until the Secretariat adds them."
            ).format(language=_named(language))
        )
    elif not shown:
        st.info(_("No term matches these filters."))
    else:
        st.caption(
            _("{shown} of {total} terms in {language}.").format(
                shown=i18n.format_number(len(shown)),
                total=i18n.format_number(len(entries)),
                language=_named(language),
            )
        )
        _table(shown, language)

    st.subheader(_("Download"))
    first, second = st.columns(2)
    for column, fmt in ((first, "csv"), (second, "tbx")):
        name = f"glossary-{language}.{fmt}"
        column.download_button(
            _("Download {file}").format(file=name),
            data=glossary.export_glossary(s, language=language, fmt=fmt),
            file_name=name,
            mime=MIME[fmt],
            key=f"glossary_download_{fmt}",
            on_click="ignore",
            icon=":material/download:",
        )
    st.caption(
        _(
            "The file holds the terms in {language} with the English ones: CSV for a "
            "spreadsheet, TBX for translation tools (Trados, memoQ, OmegaT, Weblate)."
        ).format(language=_named(language))
    )

    if ui.allowed(ctx, s, Action.edit_glossary):
        st.subheader(_("Edit a term"))
        _edit_form(s, ctx, entries, language)
        st.subheader(_("Import a glossary file"))
        _import_form(s, ctx)
    else:
        st.caption(_("The Secretariat edits the glossary; tell them of a term to change."))
