"""Translations: the state of every section × language, and the Translate view to write one.

For the CLAs, the Lead Authors, the Secretariat and the report's Translators.

- The **overview** grid shows every section × language of the report: translated,
  reviewed, in progress, not started, or stale (the section has changed since it
  was translated). Choosing a cell opens it in the Translate view. A list says
  what changed since each stale translation, in revision numbers.
- The **Translate view** puts a section's source text beside its translation,
  paragraph by paragraph: a row per source paragraph, the source on the left and
  the translation in a box on the right (a form: typing never reruns the page).
  **Check** shows what the translation checks find, paragraph by paragraph, before
  saving; **Save** keeps the version the translator started from, so a save
  crossing someone else's is a conflict that shows both texts and loses neither.
  A stale translation highlights the source paragraphs that changed since it was
  translated, with their word diff. Translators see only their languages; CLAs
  and the Secretariat every language the report is translated into; Lead Authors
  read. A translation is marked translated by its translator, then reviewed by a
  second person.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st
from sqlmodel import Session

import ui
from workbench import diffing, i18n, sections, translations
from workbench.errors import Conflict
from workbench.i18n import N_, _, ngettext
from workbench.models import Person, Report, Role, Section, Translation, TranslationStatus
from workbench.permissions import Action
from workbench.words import listing

CAN_SEE = (Role.cla, Role.lead_author, Role.secretariat, Role.translator)
CELL = {
    TranslationStatus.not_started: "—",
    TranslationStatus.in_progress: N_("… in progress"),
    TranslationStatus.translated: N_("✓ translated"),
    TranslationStatus.reviewed: N_("✓✓ reviewed"),
}
OVERVIEW, TRANSLATE = "overview", "translate"
VIEWS = {OVERVIEW: N_("Overview"), TRANSLATE: N_("Translate")}


def cell_text(cell: translations.TranslationCell, *, full: bool = False) -> str:
    """Return how one grid cell reads: its status, or a warning when it is stale."""
    if cell.stale:
        if full:
            return _("⚠ stale ({status})").format(status=ui.label(cell.status).lower())
        return _("⚠ stale")
    if cell.status is TranslationStatus.not_started:
        return "—"
    return _(CELL[cell.status])


def prose_list(items: Iterable[str]) -> str:
    """Join items as the current language does ('a, b and c' in English, as ever)."""
    listed = list(items)
    if i18n.current_language() == i18n.SOURCE:
        return listing(listed)
    return i18n.format_list(listed)


def open_cell(section_id: int, language: str) -> None:
    """Show one section × language in the Translate view (before its widgets are drawn)."""
    st.session_state["tr_section"] = section_id
    st.session_state["tr_language"] = language
    st.session_state["tr_view"] = TRANSLATE


def open_from_address(listed: list[Section], languages: list[str]) -> None:
    """Open the cell named in the address (?section=ID&language=fr), once."""
    wanted_section = st.query_params.get("section")
    wanted_language = st.query_params.get("language")
    if not wanted_section or not wanted_language:
        return
    seen = (wanted_section, wanted_language)
    if st.session_state.get("tr_address_seen") == seen:
        return
    st.session_state["tr_address_seen"] = seen
    ids = {str(x.id): x.id for x in listed}
    if wanted_section in ids and wanted_language in languages:
        open_cell(ids[wanted_section], wanted_language)


def open_from_grid(listed: list[Section], columns: dict[str, str]) -> None:
    """Open the cell chosen in the overview grid, once per choice."""
    state: Any = st.session_state.get("translations_grid")
    selection = getattr(state, "selection", None) or (
        state.get("selection") if isinstance(state, dict) else None
    )
    cells = (
        getattr(selection, "cells", None)
        or (selection.get("cells") if isinstance(selection, dict) else None)
        or []
    )
    if not cells:
        st.session_state.pop("tr_grid_seen", None)
        return
    row, column = cells[0][0], cells[0][1]
    if st.session_state.get("tr_grid_seen") == (row, column):
        return
    st.session_state["tr_grid_seen"] = (row, column)
    if column in columns and 0 <= int(row) < len(listed):
        open_cell(listed[int(row)].id, columns[column])


# --------------------------------------------------------------------------- overview


def overview(
    s: Session,
    report: Report,
    listed: list[Section],
    grid: dict[tuple[int, str], translations.TranslationCell],
    columns: list[str],
) -> None:
    """Show the counts, the section × language grid and the stale translations."""
    source = translations.language_name(translations.SOURCE_LANGUAGE)
    stale = [
        t
        for t in translations.stale_translation_summaries(s, report_id=report.id)
        if t.language in columns
    ]
    cells = [c for c in grid.values() if c.language in columns]
    done = sum(1 for c in cells if c.status in translations.PINS_REVISION and not c.stale)
    first, second, third = st.columns(3)
    first.metric(
        _("Up to date"),
        _("{done} of {total}").format(
            done=i18n.format_number(done), total=i18n.format_number(len(cells))
        ),
        help=_(
            "Sections × languages to translate into (not {source}, the language the report "
            "is written in), translated or reviewed against the current text."
        ).format(source=source),
    )
    second.metric(_("In progress"), sum(c.status == TranslationStatus.in_progress for c in cells))
    third.metric(_("Stale"), len(stale), help=_("Sections changed since they were translated."))

    st.subheader(_("Sections × languages"))
    section_column = _("Section")
    names = {translations.language_name(code): code for code in columns}
    rows = []
    for section in listed:
        row = {section_column: f"{section.code} {section.title}"}
        for name, language in names.items():
            cell = grid.get((section.id, language))
            row[name] = cell_text(cell) if cell else "—"
        rows.append(row)
    st.dataframe(
        ui.safe_table(rows),
        hide_index=True,
        width="stretch",
        height=min(35 * (len(rows) + 1) + 3, 720),  # every section at once, up to ~20
        key="translations_grid",
        on_select="rerun",
        selection_mode="single-cell",
    )
    st.caption(
        _(
            "✓ translated · ✓✓ reviewed · … in progress · — not started · "
            "⚠ stale: the section changed after it was translated. Choose a cell to open it "
            "in the Translate view."
        )
    )

    st.subheader(_("Stale translations"))
    if not stale:
        st.success(_("No translation is out of date: every translated section matches its text."))
        return
    st.write(
        _(
            "These sections changed after they were translated. Open one in the Translate "
            "view: the paragraphs that changed are highlighted with what changed."
        )
    )
    st.dataframe(
        ui.safe_table(
            [
                {
                    _("Section"): f"{t.section_code} {t.section_title}",
                    _("Language"): translations.language_name(t.language),
                    _("Status"): ui.label(t.status),
                    _("Translated from"): _("revision {number}").format(
                        number=t.translated_revision
                    ),
                    _("Section now at"): _("revision {number}").format(number=t.head_revision),
                    _("Revisions since"): t.revisions_behind,
                    _("Recorded (UTC)"): i18n.format_date(t.updated_at, format="dd MMM y"),
                }
                for t in stale
            ]
        ),
        hide_index=True,
        width="stretch",
        key="translations_stale",
    )


# --------------------------------------------------------------------------- translate


def _height(text: str) -> int:
    """Return a text box height that shows a paragraph without much scrolling."""
    lines = sum(max(1, len(line) // 70 + 1) for line in (text or " ").split("\n"))
    return max(90, min(420, 26 * lines + 30))


def _issue_lines(issues: list[Any], paragraph: int | None) -> None:
    """Show the check results of one paragraph (None: those of the whole text)."""
    for issue in issues:
        if issue.paragraph != paragraph:
            continue
        text = ui.md_message(i18n.render(issue.message))
        if issue.severity == "error":
            st.error(text, icon=":material/error:")
        else:
            st.warning(text, icon=":material/warning:")


def _status_line(s: Session, translation: Translation | None, stale: bool) -> str:
    """Return what the translation's state is, in a sentence."""
    if translation is None or (
        not translation.text.strip() and translation.status == TranslationStatus.not_started
    ):
        return _("Not started: nothing has been saved in this language yet.")
    if not translation.text.strip():
        # A status recorded for work done outside the workbench, without its text.
        return _(
            "{status} (recorded), but no text has been saved in the workbench yet: the "
            "first save here starts it."
        ).format(status=ui.label(TranslationStatus(translation.status)))
    names = ui.people_names(s, [translation.translator_id, translation.reviewer_id])
    status = TranslationStatus(translation.status)
    parts = [
        _("{status} · version {version}, saved by {name} on {date}").format(
            status=ui.label(status),
            version=translation.version,
            name=names.get(translation.translator_id or 0, _("someone")),
            date=i18n.format_date(translation.updated_at, format="d MMM y"),
        )
    ]
    if status is TranslationStatus.reviewed and translation.reviewer_id:
        parts.append(
            _("reviewed by {name}").format(name=names.get(translation.reviewer_id, _("someone")))
        )
    if stale:
        parts.append(_("⚠ stale"))
    return " · ".join(parts)


def _source_cell(paragraph: str, change: translations.ParagraphChange | None) -> None:
    """Show one source paragraph, highlighted with its word diff when it changed."""
    if change is None or not change.changed:
        st.markdown(ui.no_images(paragraph))
        return
    with st.container(border=True):
        if change.kind == "added":
            st.markdown(_(":orange-badge[New paragraph since it was translated]"))
        else:
            st.markdown(_(":orange-badge[Changed since it was translated]"))
        st.markdown(diffing.diff_markdown(change.changes))


def _conflict_panel(prefix: str, translation: Translation | None) -> None:
    """Show both texts after a conflict, with a way forward that keeps the translator's."""
    conflict = st.session_state.get(f"{prefix}_conflict")
    if not conflict:
        return
    with st.container(border=True):
        st.markdown(
            _(
                "**Someone else saved this translation while you were working.** Your text "
                "is still in the boxes above and below; nothing you typed is lost."
            )
        )
        theirs, mine = st.columns(2)
        with theirs:
            st.markdown(_("**Their version (saved)**"))
            st.code(conflict["theirs"], language=None, wrap_lines=True)
        with mine:
            st.markdown(_("**Your version (not saved)**"))
            st.code(conflict["mine"], language=None, wrap_lines=True)
        keep, restart = st.columns(2)
        if keep.button(
            _("Keep my text: I have merged theirs into it"),
            key="tr_conflict_keep",
            help=_("Your text stays in the boxes; Save then replaces theirs."),
        ):
            st.session_state[f"{prefix}_base"] = conflict["version"]
            st.session_state.pop(f"{prefix}_conflict", None)
            st.rerun()
        if restart.button(
            _("Start again from their version"),
            key="tr_conflict_theirs",
            help=_("The boxes show their text; yours stays below to copy from."),
        ):
            st.session_state[f"{prefix}_base"] = conflict["version"]
            st.session_state[f"{prefix}_gen"] = st.session_state.get(f"{prefix}_gen", 0) + 1
            st.session_state[f"{prefix}_kept"] = conflict["mine"]
            st.session_state.pop(f"{prefix}_conflict", None)
            st.rerun()


def _advance(
    s: Session,
    person: Person,
    section: Section,
    language: str,
    shown: TranslationStatus,
    to: TranslationStatus,
    success: str,
) -> None:
    """Move the translation on to ``to``, unless it already moved since the page showed it.

    A second click arrives after the first has moved it: that one's confirmation is
    shown again instead of an error.
    """
    fresh = translations.translation_for(s, section_id=section.id, language=language)
    if fresh is not None and TranslationStatus(fresh.status) is not shown:
        ui.flash_again()
    elif ui.run_action(
        lambda: translations.set_status(
            session=s, actor=person, section=section, language=language, status=to
        ),
        success=success,
    ):
        st.rerun()


def _status_buttons(
    s: Session, person: Person, section: Section, language: str, translation: Translation
) -> None:
    """Offer the next step of the status flow to whoever may take it."""
    status = TranslationStatus(translation.status)
    where = {"code": section.code, "language": translations.language_name(language)}
    if status is TranslationStatus.in_progress:
        if st.button(
            _("Mark translated"),
            key="tr_mark_translated",
            help=_(
                "Says the translation is complete for the section's text it translates; "
                "a second person then reviews it."
            ),
        ):
            _advance(
                s,
                person,
                section,
                language,
                status,
                TranslationStatus.translated,
                _("The {language} translation of section {code} is translated.").format(**where),
            )
    elif status is TranslationStatus.translated:
        if translations.can_review(s, person, translation):
            if st.button(
                _("Mark reviewed"),
                key="tr_mark_reviewed",
                type="primary",
                help=_("You have read it against the source: it is ready to publish."),
            ):
                _advance(
                    s,
                    person,
                    section,
                    language,
                    status,
                    TranslationStatus.reviewed,
                    _("The {language} translation of section {code} is reviewed.").format(**where),
                )
        elif translation.translator_id == person.id:
            st.caption(
                _(
                    "A second person reviews your translation: another Translator of this "
                    "language, a CLA or the Secretariat."
                )
            )


def translate_view(
    s: Session,
    person: Person,
    listed: list[Section],
    columns: list[str],
    editable: list[str],
) -> None:
    """Show one section × language: the source beside the translation, paragraph by paragraph."""
    by_id = {x.id: x for x in listed}
    languages = editable or columns
    if st.session_state.get("tr_language") not in languages:
        st.session_state.pop("tr_language", None)
    left, right = st.columns([3, 2])
    section_id = left.selectbox(
        _("Section"),
        list(by_id),
        format_func=lambda i: f"{by_id[i].code} {by_id[i].title}",
        key="tr_section",
    )
    language = right.selectbox(
        _("Language"), languages, format_func=translations.language_name, key="tr_language"
    )
    section = by_id[section_id]
    # The address names the cell, so a reload or a shared link opens it again.
    st.query_params["section"] = str(section.id)
    st.query_params["language"] = language
    st.session_state["tr_address_seen"] = (str(section.id), language)
    source_text = sections.head_text(s, section)
    if not source_text.strip():
        st.info(
            _(
                "Section {code} has no text yet, so there is nothing to translate. Its "
                "authors write it on the Write page; it can be translated once it is saved."
            ).format(code=section.code)
        )
        return
    translation = translations.translation_for(s, section_id=section.id, language=language)
    stale = translation is not None and translations.is_stale(s, translation)
    changes = translations.source_changes(s, translation) if translation is not None else []
    source_paragraphs = translations.paragraphs(source_text)
    translated = translations.paragraphs(translation.text) if translation is not None else []
    if changes:
        row_changes: list[translations.ParagraphChange | None] = [
            c for c in changes if c.index is not None
        ]
        rows = translations.aligned_translation(changes, translated)
        extras = translations.orphaned_paragraphs(changes, translated)
    else:
        row_changes = [None] * len(source_paragraphs)
        rows = translated[: len(source_paragraphs)]
        rows += [""] * (len(source_paragraphs) - len(rows))
        extras = translated[len(source_paragraphs) :]
    can_edit = language in editable

    st.caption(_status_line(s, translation, stale))
    if stale:
        changed = sum(1 for c in changes if c.changed)
        st.warning(
            ngettext(
                "Section {code} changed after it was translated: {count} paragraph of the "
                "source is new, changed or removed. It is highlighted below with what "
                "changed; update its translation, then save.",
                "Section {code} changed after it was translated: {count} paragraphs of the "
                "source are new, changed or removed. They are highlighted below with what "
                "changed; update their translation, then save.",
                changed,
            ).format(code=section.code, count=i18n.format_number(changed)),
            icon=":material/difference:",
        )
    source_name = translations.language_name(translations.SOURCE_LANGUAGE)
    target_name = translations.language_name(language)

    if not can_edit:
        head_left, head_right = st.columns(2)
        head_left.markdown(_("**Source — {language}**").format(language=source_name))
        head_right.markdown(_("**Translation — {language}**").format(language=target_name))
        for index, paragraph in enumerate(source_paragraphs):
            one, two = st.columns(2)
            with one:
                _source_cell(paragraph, row_changes[index])
            with two:
                if rows[index]:
                    st.markdown(ui.no_images(rows[index]))
                else:
                    st.caption(_("Not translated yet."))
        st.caption(
            _("Translators of this language, CLAs and the Secretariat write the translation.")
        )
        return

    prefix = f"tr_{section.id}_{language}"
    st.session_state.setdefault(f"{prefix}_base", translation.version if translation else 0)
    st.session_state.setdefault(f"{prefix}_source", section.head_revision_id)
    generation = st.session_state.setdefault(f"{prefix}_gen", 0)
    issues = st.session_state.get(f"{prefix}_issues") or []
    row_keys = [f"tr_p_{section.id}_{language}_{generation}_{i}" for i in range(len(rows))]
    extra_keys = [f"tr_x_{section.id}_{language}_{generation}_{i}" for i in range(len(extras))]

    with st.form(f"{prefix}_form", border=False, enter_to_submit=False):
        head_left, head_right = st.columns(2)
        head_left.markdown(_("**Source — {language}**").format(language=source_name))
        head_right.markdown(_("**Translation — {language}**").format(language=target_name))
        for index, paragraph in enumerate(source_paragraphs):
            one, two = st.columns(2)
            with one:
                _source_cell(paragraph, row_changes[index])
            with two:
                st.text_area(
                    _("Paragraph {number}").format(number=index + 1),
                    value=rows[index],
                    key=row_keys[index],
                    height=_height(paragraph),
                    label_visibility="collapsed",
                )
                _issue_lines(issues, index + 1)
        for index, paragraph in enumerate(extras):
            one, two = st.columns(2)
            one.caption(
                _(
                    "The source paragraph this translated has been removed: empty the box to "
                    "drop it from the translation."
                )
            )
            two.text_area(
                _("Paragraph without a source"),
                value=paragraph,
                key=extra_keys[index],
                height=_height(paragraph),
                label_visibility="collapsed",
            )
        _issue_lines(issues, None)
        acknowledge = st.checkbox(
            _("I have looked at the warnings: save anyway"),
            key=f"{prefix}_ack",
            help=_(
                "Warnings (a number, a calibrated term, the paragraph count) do not block a "
                "save once you have checked them; errors always do."
            ),
        )
        check_col, save_col = st.columns(2)
        checked = check_col.form_submit_button(
            _("Check"), key="tr_check", icon=":material/spellcheck:", width="stretch"
        )
        saved = save_col.form_submit_button(
            _("Save"), key="tr_save", type="primary", icon=":material/save:", width="stretch"
        )

    text = translations.join_paragraphs(
        [st.session_state.get(key, "") for key in [*row_keys, *extra_keys]]
    )
    if checked:
        found = translations.check(s, section=section, language=language, text=text)
        st.session_state[f"{prefix}_issues"] = found
        st.session_state[f"{prefix}_checked"] = True
        st.rerun()
    if st.session_state.pop(f"{prefix}_checked", False) and not issues:
        st.success(_("The checks find nothing to correct."), icon=":material/check_circle:")
    if saved:
        save(s, person, section, language, text, acknowledge, prefix)

    _conflict_panel(prefix, translation)
    kept = st.session_state.get(f"{prefix}_kept")
    if kept:
        with st.expander(_("Your earlier text (not saved)")):
            st.code(kept, language=None, wrap_lines=True)

    with st.expander(_("Preview of the translation"), expanded=False):
        st.caption(_("As last checked or saved; images are shown as links."))
        if text.strip():
            st.markdown(ui.no_images(text))
        else:
            st.caption(_("Nothing written yet."))
    if translation is not None and translation.text.strip():
        _status_buttons(s, person, section, language, translation)


def save(
    s: Session,
    person: Person,
    section: Section,
    language: str,
    text: str,
    acknowledge: bool,
    prefix: str,
) -> None:
    """Save the boxes' text on the version the translator started from; keep both on conflict."""
    current = translations.translation_for(s, section_id=section.id, language=language)
    if not text.strip():
        st.error(_("Write the translation before saving: every box is empty."))
        return
    if current is not None and current.text == text:
        # A second click of a double click, or nothing changed: already saved.
        st.session_state[f"{prefix}_base"] = current.version
        ui.flash_again()
        return

    def attempt() -> Translation:
        try:
            return translations.save_translation(
                session=s,
                actor=person,
                section=section,
                language=language,
                text=text,
                base_version=st.session_state[f"{prefix}_base"],
                source_revision_id=st.session_state.get(f"{prefix}_source"),
                acknowledge_warnings=acknowledge,
            )
        except Conflict as exc:
            fresh = translations.translation_for(s, section_id=section.id, language=language)
            st.session_state[f"{prefix}_conflict"] = {
                "mine": exc.mine,
                "theirs": exc.head_text,
                "version": fresh.version if fresh is not None else 0,
            }
            raise

    result = ui.run_action(
        attempt,
        success=_("The {language} translation of section {code} is saved.").format(
            language=translations.language_name(language), code=section.code
        ),
    )
    if result is None:
        return
    st.session_state[f"{prefix}_base"] = result.version
    st.session_state[f"{prefix}_source"] = result.revision_id
    for key in ("issues", "conflict", "kept"):
        st.session_state.pop(f"{prefix}_{key}", None)
    st.rerun()


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title(_("Translations"))
    ui.require(ctx, s, Action.read_report)
    if not ctx.has(*CAN_SEE):
        st.error(
            _(
                "Not permitted. Translations are followed by the report's Coordinating Lead "
                "Authors and Lead Authors, its Translators and the Secretariat."
            )
        )
        st.stop()
    ui.flash()
    report = ctx.report
    targets = translations.target_languages(report)
    source = translations.language_name(translations.SOURCE_LANGUAGE)
    if targets:
        st.caption(
            ngettext(
                "{title} is written in {source} and translated into {count} language: "
                "{languages}. A translation is stale when its section has changed since it "
                "was translated.",
                "{title} is written in {source} and translated into {count} languages: "
                "{languages}. A translation is stale when its section has changed since it "
                "was translated.",
                len(targets),
            ).format(
                title=ui.md(report.title),
                source=source,
                count=i18n.format_number(len(targets)),
                languages=prose_list(ui.md(translations.language_name(code)) for code in targets),
            )
        )
    else:
        st.caption(
            _(
                "{title} is written in {source}; it names no language to translate it into "
                "yet (the Secretariat sets them)."
            ).format(title=ui.md(report.title), source=source)
        )
    listed = sections.list_sections(s, report.id)
    if not listed:
        st.info(
            _(
                "This report has no sections yet, so there is nothing to translate. The CLAs "
                "create the outline on the Outline & assignments page."
            )
        )
        st.stop()
    grid = translations.translation_grid(s, report_id=report.id)
    columns = list(dict.fromkeys(language for _unused, language in grid))
    editable = translations.editable_languages(s, ctx.person, report)
    if not ctx.has(Role.cla, Role.lead_author, Role.secretariat):
        columns = [code for code in columns if code in editable]
    if not columns:
        st.info(
            _(
                "There is nothing to translate yet: the report names no language besides "
                "{source}. The Secretariat chooses a report's languages when it creates the "
                "report."
            ).format(source=source)
        )
        st.stop()
    open_from_address(listed, columns)
    open_from_grid(listed, {translations.language_name(code): code for code in columns})
    view = st.radio(
        _("Show"),
        list(VIEWS),
        format_func=lambda v: _(VIEWS[v]),
        horizontal=True,
        key="tr_view",
        label_visibility="collapsed",
    )
    if view == TRANSLATE:
        translate_view(s, ctx.person, listed, columns, editable)
    else:
        overview(s, report, listed, grid, columns)
