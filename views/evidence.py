"""Evidence: the report's source library (search, edit, import, export) and its key findings.

Everyone in the report may read it. Authors (and the Secretariat) keep the
library up to date; CLAs and Lead Authors record findings, whose confidence is
always computed from the evidence × agreement grid, never typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import altair as alt
import pandas as pd
import streamlit as st
from sqlmodel import Session

import ui
from workbench import findings, governance, i18n, permissions, sections, sources
from workbench.bibliography import MAX_IMPORT_BYTES
from workbench.errors import ImportFailed, WorkbenchError
from workbench.findings import AGREEMENT_TERMS, CONFIDENCE_TERMS, EVIDENCE_TERMS, LIKELIHOOD_TERMS
from workbench.i18n import N_, _, ngettext
from workbench.models import (
    AUTHOR_ROLES,
    Agreement,
    Certainty,
    Confidence,
    DiscussionTarget,
    Evidence,
    FindingCreate,
    Likelihood,
    Source,
    SourceCreate,
    SourceKind,
)
from workbench.permissions import Action
from workbench.words import listing

PAGE_SIZE = 50
EXPORTS = {
    "csljson": (N_("CSL-JSON (Zotero, pandoc)"), "json", "application/json"),
    "bibtex": (N_("BibTeX (LaTeX, JabRef)"), "bib", "application/x-bibtex"),
    "ris": (N_("RIS (EndNote, Mendeley)"), "ris", "application/x-research-info-systems"),
}
# What a web address may keep as it is inside a Markdown link (no parentheses, brackets, <, >).
_URL_SAFE = "/:?#&=%+-._~,;@!$*'"
#: Confidence levels from lowest to highest, and the colour each has in the grid.
CONFIDENCE_COLOURS = ["#d7e3f4", "#a9c4e8", "#6f9bd6", "#3a6fb8", "#173f7a"]


#: Each calibrated or GRADE level as an adjective beside its heading ("Evidence: Robust").
#: English shows the member's label; the message names its dimension so that French and
#: Spanish can make the adjective agree with the dimension's noun ("Éléments : robustes",
#: "Confiance : élevée"), in the glossary's words.
LEVELS: dict[type, dict[Any, str]] = {
    Evidence: {
        Evidence.limited: N_("Limited (evidence)"),
        Evidence.medium: N_("Medium (evidence)"),
        Evidence.robust: N_("Robust (evidence)"),
    },
    Agreement: {
        Agreement.low: N_("Low (agreement)"),
        Agreement.medium: N_("Medium (agreement)"),
        Agreement.high: N_("High (agreement)"),
    },
    Confidence: {
        Confidence.very_low: N_("Very low (confidence)"),
        Confidence.low: N_("Low (confidence)"),
        Confidence.medium: N_("Medium (confidence)"),
        Confidence.high: N_("High (confidence)"),
        Confidence.very_high: N_("Very high (confidence)"),
    },
    Certainty: {
        Certainty.high: N_("High (certainty)"),
        Certainty.moderate: N_("Moderate (certainty)"),
        Certainty.low: N_("Low (certainty)"),
        Certainty.very_low: N_("Very low (certainty)"),
    },
}


def label(value: Any) -> str:
    """Return an enum member's label in the reader's language (a level agreeing with its noun)."""
    levels = LEVELS.get(type(value))
    if levels is not None and i18n.current_language() != i18n.SOURCE:
        return _(levels[value])
    return _(value.label)


def prose_list(items: list[str]) -> str:
    """Join items as the reader's language does ("2.1, 2.2 and 3.1" in English)."""
    return listing(items) if i18n.current_language() == i18n.SOURCE else i18n.format_list(items)


def ethics_note(ctx: ui.PageContext, s: Session) -> None:
    """Tell an author who has not signed the Code of Ethics why they cannot change anything."""
    if ctx.has(*AUTHOR_ROLES) and not permissions.has_signed_current_code(s, ctx.person):
        st.info(
            _(
                "You can read everything here, but you must sign the Code of Ethics (on the "
                "Team page) before you can add or change sources and findings."
            )
        )


def web_link(text: str, url: str) -> str:
    """Return a Markdown link to a web address from a record, or the text alone if it is not one.

    The address is percent-encoded, so nothing in it can end the link early or add
    Markdown of its own; only http and https addresses become links.
    """
    address = str(url).strip()
    if not re.match(r"(?i)https?://\S+$", address):
        return ui.md(text)
    return f"[{ui.md(text)}]({quote(address, safe=_URL_SAFE)})"


def source_label(source: Source) -> str:
    """Return how a source is named in a list: its key and (shortened) title."""
    title = source.title if len(source.title) <= 70 else source.title[:69] + "…"
    return f"{source.key} — {title}"


def source_picker(s: Session, report_id: int, *, key: str, label: str) -> list[int]:
    """Let the person search the library and pick sources; return the ids chosen.

    Only the matches of the search (at most 100) and the sources already chosen
    are offered, so the widget stays small however large the library is.
    """
    query = st.text_input(
        _("{label}: search the library").format(label=label),
        key=f"{key}_q",
        placeholder=_("Type part of a key, title or author name"),
    )
    matches, total = sources.search_sources(s, report_id=report_id, text=query, limit=100)
    chosen_ids = [int(i) for i in st.session_state.get(key, [])]
    chosen: dict[int, Source] = {}
    for source_id in chosen_ids:
        try:
            chosen[source_id] = sources.get_source(s, source_id)
        except WorkbenchError:
            continue
    options = {src.id: src for src in matches}
    options.update(chosen)
    picked = st.multiselect(
        label,
        list(options),
        format_func=lambda i: source_label(options[i]),
        key=key,
        placeholder=_("Choose sources"),
    )
    if total > len(matches):
        st.caption(
            _(
                "Showing the first {shown} of {total} matching sources: "
                "type more of a key or title to find others."
            ).format(shown=i18n.format_number(len(matches)), total=i18n.format_number(total))
        )
    return [int(i) for i in picked]


# --------------------------------------------------------------------------- sources tab


def filters(s: Session, report_id: int) -> dict[str, Any]:
    """Show the library's filters and return the chosen ones as search_sources arguments."""
    facets = sources.source_facets(s, report_id=report_id)
    first, second = st.columns([2, 1]), st.columns(4)
    chosen: dict[str, Any] = {
        "text": first[0].text_input(
            _("Search"), key="ev_q", placeholder=_("Part of a citation key, title or author name")
        ),
        "kind": second[0].selectbox(
            _("Kind"),
            [None, *SourceKind],
            format_func=lambda k: _("Any kind") if k is None else label(k),
            key="ev_kind",
        ),
        "language": second[1].selectbox(
            _("Language"),
            [None, *facets.languages],
            format_func=lambda x: _("Any language") if x is None else x,
            key="ev_language",
        ),
        "region": second[2].selectbox(
            _("Region"),
            [None, *facets.regions],
            format_func=lambda x: _("Any region") if x is None else x,
            key="ev_region",
        ),
        "certainty": second[3].selectbox(
            _("Certainty"),
            [None, *Certainty],
            format_func=lambda c: _("Any certainty") if c is None else label(c),
            key="ev_certainty",
        ),
    }
    low, high = facets.year_min, facets.year_max
    if low is not None and high is not None and low < high:
        with first[1]:
            years = st.slider(
                _("Years"), low, high, (low, high), key=f"ev_years_{low}_{high}", step=1
            )
        if years != (low, high):
            chosen["year_from"], chosen["year_to"] = years
    return chosen


def source_details(s: Session, ctx: ui.PageContext, source: Source, can_edit: bool) -> None:
    """Show one source in full and, for those allowed, let them change or delete it."""
    csl = source.csl or {}
    with st.container(border=True):
        st.markdown(f"#### {ui.md(source.title or source.key)}")
        byline = source.authors or _("No authors recorded")
        st.markdown(f"{ui.md(byline)} ({source.year or _('no year')})")
        where = csl.get("container-title") or csl.get("publisher")
        if where:
            st.caption(ui.md(where))
        certainty = label(source.certainty) if source.certainty else _("not rated")
        facts = [
            _("**Key** `{key}` (cite it as `[@{key}]`)").format(key=source.key),
            _("**Kind** {kind}").format(kind=label(source.kind)),
            _("**Language** {language}").format(language=ui.md(source.language or "—")),
            _("**Region** {region}").format(region=ui.md(source.region or "—")),
            _("**Certainty** {certainty}").format(certainty=certainty),
        ]
        if source.short_label:
            facts.append(
                _("**Cited as** {label}")
                .format(label=f"{ui.md(source.short_label)} {source.year or ''}")
                .strip()
            )
        st.markdown(" · ".join(facts))
        if source.certainty_note:
            st.markdown(_("*Why this certainty:* {note}").format(note=ui.md(source.certainty_note)))
        if source.doi:
            st.markdown(f"DOI: {web_link(source.doi, 'https://doi.org/' + source.doi)}")
        elif csl.get("URL"):
            st.markdown(_("Link: {link}").format(link=web_link(csl["URL"], csl["URL"])))
        usage = sources.source_usage(s, source.id)
        used = []
        if usage.sections:
            used.append(
                ngettext(
                    "cited in section {sections}",
                    "cited in sections {sections}",
                    len(usage.sections),
                ).format(sections=prose_list(usage.sections))
            )
        if usage.findings:
            used.append(
                ngettext(
                    "supports finding {findings}",
                    "supports findings {findings}",
                    len(usage.findings),
                ).format(findings=prose_list(usage.findings))
            )
        if usage.positions:
            used.append(
                ngettext(
                    "documents {n} actor position",
                    "documents {n} actor positions",
                    usage.positions,
                ).format(n=i18n.format_number(usage.positions))
            )
        st.caption(
            _("This source is {uses}.").format(uses="; ".join(used)) if used else _("Not used yet.")
        )
        if not can_edit:
            return
        with st.form(key=f"ev_edit_{source.id}"):
            st.markdown(_("**Change how this source is classified**"))
            left, right = st.columns(2)
            kinds = list(SourceKind)
            kind = left.selectbox(
                _("Kind"),
                kinds,
                index=kinds.index(source.kind),
                format_func=label,
                key=f"ev_edit_kind_{source.id}",
            )
            certainties: list[Certainty | None] = [None, *Certainty]
            certainty = right.selectbox(
                _("Certainty (GRADE)"),
                certainties,
                index=certainties.index(source.certainty),
                format_func=lambda c: _("Not rated") if c is None else label(c),
                key=f"ev_edit_certainty_{source.id}",
            )
            language = left.text_input(
                _("Language"), value=source.language, key=f"ev_edit_language_{source.id}"
            )
            region = right.text_input(
                _("Region"), value=source.region, key=f"ev_edit_region_{source.id}"
            )
            short_label = left.text_input(
                _("Short label for citations"),
                value=source.short_label,
                max_chars=sources.MAX_SHORT_LABEL,
                key=f"ev_edit_short_label_{source.id}",
                placeholder=_("e.g. EU, ILO"),
                help=_(SHORT_LABEL_HELP),
            )
            note = st.text_area(
                _("Why this certainty"),
                value=source.certainty_note,
                key=f"ev_edit_note_{source.id}",
                help=_("Say what raises or lowers confidence in this evidence."),
            )
            if st.form_submit_button(_("Save changes"), type="primary"):
                done = ui.run_action(
                    lambda: sources.update_source(
                        session=s,
                        actor=ctx.person,
                        source=source,
                        kind=kind,
                        certainty=certainty,
                        language=language,
                        region=region,
                        certainty_note=note,
                        short_label=short_label,
                    ),
                    success=_("Saved the changes to '{key}'.").format(key=source.key),
                )
                if done is not None:
                    st.rerun()
        with st.expander(_("Delete this source")):
            st.caption(
                _(
                    "Only a source that no section cites and no finding or position relies on "
                    "can be deleted."
                )
            )
            sure = st.checkbox(
                _("Yes, delete '{key}' from the library").format(key=ui.md(source.key)),
                key=f"ev_delete_ok_{source.id}",
            )
            if st.button(_("Delete"), key=f"ev_delete_{source.id}", disabled=not sure):
                key = source.key
                done = ui.run_action(
                    lambda: (
                        sources.delete_source(session=s, actor=ctx.person, source=source) or True
                    ),
                    success=_("Deleted '{key}' from the library.").format(key=key),
                )
                if done:
                    ui.reset_keys("ev_open")
                    st.rerun()


SHORT_LABEL_HELP = N_(
    "For a legal or corporate source: the short form citations use instead of the author, "
    "without the year, e.g. 'EU' to cite a directive as (EU 2024). The references keep "
    "the full entry. Leave empty to cite the author."
)
ADD_KEYS = (
    "ev_add_key",
    "ev_add_short_label",
    "ev_add_title",
    "ev_add_authors",
    "ev_add_year",
    "ev_add_container",
    "ev_add_doi",
    "ev_add_url",
    "ev_add_region",
    "ev_add_note",
)


def add_source_form(s: Session, ctx: ui.PageContext) -> None:
    """Show the form that adds one source by hand, building its CSL-JSON record."""
    with st.expander(_("Add a source by hand")), st.form("ev_add"):
        left, right = st.columns(2)
        key = left.text_input(
            _("Citation key (required)"),
            key="ev_add_key",
            placeholder=_("e.g. anker2017"),
            help=_("Letters, digits and _; authors cite it as [@key]."),
        )
        kind = right.selectbox(_("Kind"), list(SourceKind), format_func=label, key="ev_add_kind")
        title = st.text_input(_("Title (required)"), key="ev_add_title")
        authors = st.text_input(
            _("Authors"),
            key="ev_add_authors",
            placeholder=_("Family, Given; Family, Given — or an organisation's name"),
        )
        left, right = st.columns(2)
        year = left.number_input(
            _("Year"), min_value=1000, max_value=2100, value=None, step=1, key="ev_add_year"
        )
        container = right.text_input(_("Journal, publisher or institution"), key="ev_add_container")
        doi = left.text_input("DOI", key="ev_add_doi", placeholder="10.…")
        url = right.text_input(_("Web address"), key="ev_add_url")
        language = left.text_input(_("Language"), value="en", key="ev_add_language")
        region = right.text_input(_("Region"), key="ev_add_region", placeholder=_("e.g. Africa"))
        short_label = right.text_input(
            _("Short label for citations"),
            key="ev_add_short_label",
            max_chars=sources.MAX_SHORT_LABEL,
            placeholder=_("e.g. EU, ILO"),
            help=_(SHORT_LABEL_HELP),
        )
        certainty = left.selectbox(
            _("Certainty (GRADE)"),
            [None, *Certainty],
            format_func=lambda c: _("Not rated") if c is None else label(c),
            key="ev_add_certainty",
        )
        note = st.text_area(_("Why this certainty"), key="ev_add_note")
        if st.form_submit_button(_("Add to the library"), type="primary"):

            def add() -> Source:
                record = sources.record_from_fields(
                    kind=kind,
                    title=title,
                    authors=authors,
                    year=int(year) if year is not None else None,
                    container=container,
                    doi=doi,
                    url=url,
                )
                return sources.add_source(
                    session=s,
                    actor=ctx.person,
                    report=ctx.report,
                    data=SourceCreate(
                        key=key.strip(),
                        kind=kind,
                        language=language,
                        region=region,
                        certainty=certainty,
                        certainty_note=note,
                        short_label=short_label,
                        csl=record,
                    ),
                )

            added = ui.run_action(
                add, success=_("Added '{key}' to the library.").format(key=key.strip())
            )
            if added is not None:
                ui.reset_keys(*ADD_KEYS)
                st.rerun()


def sources_tab(s: Session, ctx: ui.PageContext, can_edit: bool) -> None:
    """Search, page through and open the report's sources."""
    chosen = filters(s, ctx.report.id)
    signature = repr(sorted(chosen.items(), key=lambda kv: kv[0]))
    if st.session_state.get("ev_filters_seen") != signature:
        st.session_state["ev_filters_seen"] = signature
        ui.reset_keys("ev_page")
    total_probe = sources.search_sources(s, report_id=ctx.report.id, limit=1)[1]
    offset = ui.pager(
        sources.search_sources(s, report_id=ctx.report.id, limit=1, **chosen)[1],
        key="ev_page",
        page_size=PAGE_SIZE,
    )
    page, total = sources.search_sources(
        s, report_id=ctx.report.id, limit=PAGE_SIZE, offset=offset, **chosen
    )
    if total_probe == 0:
        st.info(
            _(
                "This report's library is empty. Add a source by hand below, or import a BibTeX, "
                "RIS or CSL-JSON file from your reference manager in the **Import** tab."
            )
            if can_edit
            else _("This report's library is empty: the authors have not added sources yet.")
        )
    elif total == 0:
        st.info(_("No source matches these filters. Clear the search or choose “Any …” above."))
    else:
        filtered = total < total_probe
        if total > len(page):
            first, last, count = offset + 1, offset + len(page), i18n.format_number(total)
            st.caption(
                (
                    _("{first}–{last} of {total} sources match the filters")
                    if filtered
                    else _("{first}–{last} of {total} sources")
                ).format(first=first, last=last, total=count)
            )
        else:
            st.caption(
                (
                    ngettext(
                        "{n} source matches the filters", "{n} sources match the filters", total
                    )
                    if filtered
                    else ngettext("{n} source", "{n} sources", total)
                ).format(n=i18n.format_number(total))
            )
        columns = {
            "key": _("Key"),
            "authors": _("Authors"),
            "year": _("Year"),
            "title": _("Title"),
            "kind": _("Kind"),
            "language": _("Language"),
            "region": _("Region"),
            "certainty": _("Certainty"),
        }
        table = pd.DataFrame(
            [
                {
                    columns["key"]: src.key,
                    columns["authors"]: src.authors,
                    columns["year"]: src.year,
                    columns["title"]: src.title,
                    columns["kind"]: label(src.kind),
                    columns["language"]: src.language,
                    columns["region"]: src.region,
                    columns["certainty"]: (
                        label(src.certainty) if src.certainty else _("Not rated")
                    ),
                }
                for src in page
            ]
        )
        st.dataframe(
            ui.safe_table(table),
            hide_index=True,
            width="stretch",
            column_config={
                columns["key"]: st.column_config.TextColumn(columns["key"], width="medium"),
                columns["authors"]: st.column_config.TextColumn(columns["authors"], width="medium"),
                columns["year"]: st.column_config.NumberColumn(
                    columns["year"], format="%d", width="small"
                ),
                columns["title"]: st.column_config.TextColumn(columns["title"], width="medium"),
                columns["language"]: st.column_config.TextColumn(
                    columns["language"], width="small"
                ),
            },
            key="ev_table",
        )
        by_id = {src.id: src for src in page}
        if st.session_state.get("ev_open") not in by_id:
            ui.reset_keys("ev_open")
        opened = st.selectbox(
            _("Open a source to see its details and edit it")
            if can_edit
            else _("Open a source to see its details"),
            [None, *by_id],
            format_func=lambda i: (
                _("Choose a source from the list above") if i is None else source_label(by_id[i])
            ),
            key="ev_open",
        )
        if opened is not None:
            source_details(s, ctx, by_id[opened], can_edit)
    if can_edit:
        add_source_form(s, ctx)


# --------------------------------------------------------------------------- import and export


def import_tab(s: Session, ctx: ui.PageContext) -> None:
    """Upload a bibliography file and import every entry, or none."""
    st.markdown(
        _(
            "Import the references your team keeps in a reference manager. Export them from "
            "Zotero, EndNote, Mendeley or JabRef as **BibTeX** (.bib), **RIS** (.ris) or "
            "**CSL-JSON** (.json). Either every entry is imported or none is, so a file with a "
            "problem changes nothing: you get the list of entries to correct."
        )
    )
    report = st.session_state.pop("ev_import_report", None)
    if report:
        with st.expander(
            _("Notes on the last import ({n})").format(n=i18n.format_number(len(report)))
        ):
            st.markdown("\n".join(f"- {ui.md(line)}" for line in report))
    generation = st.session_state.get("ev_upload_generation", 0)
    upload = st.file_uploader(
        _("Bibliography file"),
        type=["bib", "bibtex", "ris", "json"],
        key=f"ev_upload_{generation}",
        help=_("UTF-8 text, at most 10 MB."),
        max_upload_size=MAX_IMPORT_BYTES // (1024 * 1024),
    )
    skip = st.checkbox(
        _("Skip entries already in the library (same citation key or DOI)"),
        value=True,
        key="ev_skip_duplicates",
        help=_("Without this, a file holding any entry the library already has is refused."),
    )
    if not st.button(_("Import"), type="primary", key="ev_import", disabled=upload is None):
        if upload is None:
            st.caption(_("Choose a file first."))
        return
    outcome = import_bibliography(
        lambda progress: sources.import_sources(
            session=s,
            actor=ctx.person,
            report=ctx.report,
            filename=upload.name,
            content=upload.getvalue(),
            on_duplicate="skip" if skip else "error",
            progress=progress,
        )
    )
    if outcome is not None:
        st.session_state["ev_upload_generation"] = generation + 1
        st.rerun()


def import_bibliography(run: Callable[[Callable[[int, int], None]], Any]) -> Any:
    """Run an import with a progress bar; list each faulty entry when it fails."""
    bar = st.progress(0.0, text=_("Reading the file…"))

    def progress(done: int, total: int) -> None:
        if done == total or done % max(total // 50, 1) == 0:
            bar.progress(
                done / max(total, 1),
                text=ngettext(
                    "Checked {done} of {total} entry", "Checked {done} of {total} entries", total
                ).format(done=i18n.format_number(done), total=i18n.format_number(total)),
            )

    problems: list[str] = []

    def attempt() -> Any:
        try:
            return run(progress)
        except ImportFailed as exc:
            problems.extend(i18n.render(p) for p in exc.problems)
            raise ImportFailed(exc.msg) from None

    result = ui.run_action(attempt)
    bar.empty()
    if result is None:
        if problems:
            st.markdown(
                _("**The entries to correct ({n}):**").format(n=i18n.format_number(len(problems)))
            )
            st.dataframe(
                ui.safe_table(pd.DataFrame({_("Problem"): problems})),
                hide_index=True,
                width="stretch",
            )
        return None
    added = i18n.format_number(result.added)
    if result.skipped:
        message = ngettext(
            "Imported {added} source; skipped {skipped} already in the library.",
            "Imported {added} sources; skipped {skipped} already in the library.",
            result.added,
        ).format(added=added, skipped=i18n.format_number(len(result.skipped)))
    else:
        message = ngettext(
            "Imported {added} source.", "Imported {added} sources.", result.added
        ).format(added=added)
    st.session_state["_flash"] = message
    if result.warnings:
        st.session_state["ev_import_report"] = [i18n.render(w) for w in result.warnings]
    return result


def export_tab(s: Session, ctx: ui.PageContext) -> None:
    """Let anyone download the library for a reference manager."""
    count = sources.search_sources(s, report_id=ctx.report.id, limit=1)[1]
    if count == 0:
        st.info(_("The library is empty: there is nothing to export yet."))
        return
    st.markdown(
        ngettext(
            "Download the {n} source of the library for your reference manager.",
            "Download all {n} sources of the library for your reference manager.",
            count,
        ).format(n=i18n.format_number(count))
    )
    fmt = st.radio(
        _("File format"),
        list(EXPORTS),
        format_func=lambda f: _(EXPORTS[f][0]),
        key="ev_export_format",
        horizontal=True,
    )
    if st.button(_("Prepare the file"), key="ev_export"):
        with st.status(_("Writing the file…"), expanded=False) as status:
            data = ui.run_action(
                lambda: sources.export_sources(
                    session=s, actor=ctx.person, report=ctx.report, fmt=fmt
                )
            )
            status.update(label=_("The file is ready."), state="complete")
        if data is not None:
            ext, mime = EXPORTS[fmt][1:]
            st.download_button(
                _("Download {file}").format(file=f"{ctx.report.slug}-sources.{ext}"),
                data=data,
                file_name=f"{ctx.report.slug}-sources.{ext}",
                mime=mime,
                key="ev_download",
                on_click="ignore",
                type="primary",
            )


# --------------------------------------------------------------------------- findings tab


def grid_chart(s: Session, report_id: int) -> alt.Chart:
    """Return the evidence × agreement grid as a heatmap coloured by confidence, with counts."""
    grid = findings.findings_grid(s, report_id=report_id)
    # Vega-Lite fields are the data's column names; the titles people read are set apart.
    rows = [
        {
            "Evidence": label(evidence),
            "Agreement": label(agreement),
            "Findings": count,
            "Confidence": label(governance.confidence_for(evidence, agreement)),
            "Label": str(count) if count else "",
        }
        for (evidence, agreement), count in grid.items()
    ]
    data = pd.DataFrame(rows)
    x = alt.X(
        "Evidence:N",
        sort=[label(e) for e in Evidence],
        title=_("Evidence (limited → robust)"),
        axis=alt.Axis(labelAngle=0),
    )
    y = alt.Y(
        "Agreement:N",
        sort=[label(a) for a in reversed(Agreement)],
        title=_("Agreement (low → high)"),
    )
    cells = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "Confidence:O",
                sort=[label(c) for c in Confidence],
                scale=alt.Scale(domain=[label(c) for c in Confidence], range=CONFIDENCE_COLOURS),
                legend=alt.Legend(title=_("Confidence")),
            ),
            tooltip=[
                alt.Tooltip("Evidence:N", title=_("Evidence")),
                alt.Tooltip("Agreement:N", title=_("Agreement")),
                alt.Tooltip("Confidence:O", title=_("Confidence")),
                alt.Tooltip("Findings:Q", title=_("Findings")),
            ],
        )
    )
    counts = (
        alt.Chart(data)
        .mark_text(fontSize=20, fontWeight="bold")
        .encode(
            x=x,
            y=y,
            text="Label:N",
            color=alt.condition(
                alt.FieldOneOfPredicate(
                    field="Confidence",
                    oneOf=[label(Confidence.high), label(Confidence.very_high)],
                ),
                alt.value("white"),
                alt.value("black"),
            ),
        )
    )
    return (cells + counts).properties(height=260)


FINDING_KEYS = (
    "ev_f_code",
    "ev_f_statement",
    "ev_f_section",
    "ev_f_likelihood",
    "ev_f_account",
    "ev_f_sources",
    "ev_f_sources_q",
)


def add_finding_form(s: Session, ctx: ui.PageContext, section_codes: dict[int, str]) -> None:
    """Show the form recording a finding; confidence is shown as computed, never typed."""
    st.markdown(_("Record what the report states, with how much evidence and agreement it has."))
    left, right = st.columns([1, 3])
    code = left.text_input(_("Code (required)"), key="ev_f_code", placeholder=_("e.g. F13"))
    section_id = right.selectbox(
        _("Section it belongs to"),
        [None, *section_codes],
        format_func=lambda i: _("No section") if i is None else section_codes[i],
        key="ev_f_section",
    )
    statement = st.text_area(_("Statement (required)"), key="ev_f_statement")
    left, middle, right = st.columns(3)
    evidence = left.radio(
        _("Evidence"),
        list(Evidence),
        index=1,
        format_func=label,
        key="ev_f_evidence",
        help=_("Type, amount, quality and consistency of the evidence."),
    )
    agreement = middle.radio(
        _("Agreement"),
        list(Agreement),
        index=1,
        format_func=label,
        key="ev_f_agreement",
        help=_("How far the evidence and the experts agree."),
    )
    confidence = governance.confidence_for(evidence, agreement)
    with right:
        st.metric(_("Confidence (computed)"), label(confidence))
        st.caption(
            _("{evidence} and {agreement} give {confidence}.").format(
                evidence=_(EVIDENCE_TERMS[evidence]),
                agreement=_(AGREEMENT_TERMS[agreement]).lower(),
                confidence=_(CONFIDENCE_TERMS[confidence]).lower(),
            )
        )
    likelihood = st.selectbox(
        _("Likelihood (optional)"),
        [None, *Likelihood],
        format_func=lambda x: _("No likelihood term") if x is None else label(x),
        key="ev_f_likelihood",
        help=_("Use a calibrated likelihood term only where the outcome can be quantified."),
    )
    account = st.text_area(
        _("Traceable account"),
        key="ev_f_account",
        help=_("How the authors reached this finding: which evidence, how it was weighed."),
    )
    source_ids = source_picker(s, ctx.report.id, key="ev_f_sources", label=_("Linked sources"))
    if st.button(_("Record the finding"), type="primary", key="ev_f_add"):
        added = ui.run_action(
            lambda: findings.add_finding(
                session=s,
                actor=ctx.person,
                report=ctx.report,
                data=FindingCreate(
                    code=code,
                    statement=statement,
                    evidence=evidence,
                    agreement=agreement,
                    likelihood=likelihood,
                    traceable_account=account,
                    section_id=section_id,
                    source_ids=source_ids,
                ),
            ),
            success=_("Recorded finding {code} ({confidence}).").format(
                code=code.strip(), confidence=_(CONFIDENCE_TERMS[confidence]).lower()
            ),
        )
        if added is not None:
            ui.reset_keys(*FINDING_KEYS)
            st.rerun()


FINDINGS_PAGE = 25  # findings listed at a time


def findings_tab(s: Session, ctx: ui.PageContext, can_edit: bool) -> None:
    """Show the findings, the grid their confidence comes from, and the form to add one."""
    report_findings = sorted(
        findings.list_findings(s, report_id=ctx.report.id),
        key=lambda f: sections.code_order(f.code),
    )
    section_codes = {
        sec.id: f"{sec.code} {sec.title}" for sec in sections.list_sections(s, ctx.report.id)
    }
    if can_edit:
        with st.expander(
            _("Record a finding"), icon=":material/add:", expanded=not report_findings
        ):
            add_finding_form(s, ctx, section_codes)
    if not report_findings:
        st.info(
            _(
                "No findings yet. Record the report's key findings above: each one gets its "
                "confidence from its evidence and agreement."
            )
            if can_edit
            else _("No findings yet: the CLAs and Lead Authors record them as the report develops.")
        )
    else:
        left, right = st.columns([3, 2])
        with right:
            st.markdown(_("**Where the findings' confidence comes from**"))
            st.altair_chart(grid_chart(s, ctx.report.id), width="stretch")
            st.caption(_("Each cell counts the findings with that evidence and agreement."))
        with left:
            levels = [None, *reversed(Confidence)]
            wanted = st.selectbox(
                _("Show"),
                levels,
                format_func=lambda c: _("All findings") if c is None else _(CONFIDENCE_TERMS[c]),
                key="ev_f_filter",
            )
            shown = [f for f in report_findings if wanted is None or f.confidence == wanted]
            offset = ui.pager(
                len(shown),
                key=f"ev_f_page_{wanted.value if wanted else 'all'}",
                page_size=FINDINGS_PAGE,
            )
            page = shown[offset : offset + FINDINGS_PAGE]
            linked = findings.sources_by_finding(s, [f.id for f in page])
            numbers = {
                "shown": i18n.format_number(len(shown)),
                "total": i18n.format_number(len(report_findings)),
            }
            if len(shown) > FINDINGS_PAGE:
                st.caption(
                    ngettext(
                        "{shown} of {total} finding; showing {first}–{last}",
                        "{shown} of {total} findings; showing {first}–{last}",
                        len(report_findings),
                    ).format(**numbers, first=offset + 1, last=offset + len(page))
                )
            else:
                st.caption(
                    ngettext(
                        "{shown} of {total} finding",
                        "{shown} of {total} findings",
                        len(report_findings),
                    ).format(**numbers)
                )
            for finding in page:
                with st.container(border=True):
                    likelihood = (
                        f" · *{_(LIKELIHOOD_TERMS[finding.likelihood])}*"
                        if finding.likelihood
                        else ""
                    )
                    confidence = f"**{_(CONFIDENCE_TERMS[finding.confidence])}**"
                    st.markdown(f"**{ui.md(finding.code)}** · {confidence}{likelihood}")
                    # A statement is report content (Markdown, as the export prints it).
                    st.markdown(ui.no_images(finding.statement))
                    where = section_codes.get(finding.section_id)
                    calibration = _("{evidence}, {agreement}").format(
                        evidence=_(EVIDENCE_TERMS[finding.evidence]),
                        agreement=_(AGREEMENT_TERMS[finding.agreement]).lower(),
                    )
                    st.caption(
                        _("{calibration} · Section {section}").format(
                            calibration=calibration, section=ui.md(where)
                        )
                        if where
                        else calibration
                    )
                    cited = linked.get(finding.id, [])
                    with st.expander(
                        _("Traceable account and sources ({n})").format(
                            n=i18n.format_number(len(cited))
                        )
                    ):
                        st.markdown(
                            ui.no_images(finding.traceable_account)
                            or _("*No traceable account yet.*")
                        )
                        if cited:
                            st.markdown(
                                "\n".join(
                                    f"- `{src.key}` {ui.md(src.authors)} "
                                    f"({src.year or _('n.d.')}), *{ui.md(src.title)}*"
                                    for src in cited
                                )
                            )
                        else:
                            st.caption(_("No linked sources."))
                    ui.discussion_expander(
                        s, ctx, DiscussionTarget.finding, finding.id, key=f"ev_talk_{finding.id}"
                    )


# --------------------------------------------------------------------------- the page

with ui.session() as s:
    ctx = ui.page_context(s)
    ui.require(ctx, s, Action.read_report)
    st.title(_("Evidence"))
    ui.frozen_notice(ctx, s)
    st.caption(
        _(
            "{report} — the sources the report rests on, and the key findings it draws from them."
        ).format(report=ui.md(ctx.report.title))
    )
    ui.flash()
    can_edit_sources = ui.allowed(ctx, s, Action.edit_sources)
    can_edit_content = ui.allowed(ctx, s, Action.edit_content)
    names = ["sources", "import", "export", "findings"]
    if not can_edit_sources:
        names.remove("import")
    titles = {
        "sources": _("Sources"),
        "import": _("Import"),
        "export": _("Export"),
        "findings": _("Findings"),
    }
    tabs = dict(zip(names, st.tabs([titles[n] for n in names]), strict=True))
    ethics_note(ctx, s)
    with tabs["sources"]:
        sources_tab(s, ctx, can_edit_sources)
    if "import" in tabs:
        with tabs["import"]:
            import_tab(s, ctx)
    with tabs["export"]:
        export_tab(s, ctx)
    with tabs["findings"]:
        findings_tab(s, ctx, can_edit_content)
