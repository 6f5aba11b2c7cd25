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
from workbench import findings, governance, permissions, sections, sources
from workbench.bibliography import MAX_IMPORT_BYTES
from workbench.errors import ImportFailed, WorkbenchError
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
from workbench.words import listing, noun, plural

PAGE_SIZE = 50
EXPORTS = {
    "csljson": ("CSL-JSON (Zotero, pandoc)", "json", "application/json"),
    "bibtex": ("BibTeX (LaTeX, JabRef)", "bib", "application/x-bibtex"),
    "ris": ("RIS (EndNote, Mendeley)", "ris", "application/x-research-info-systems"),
}
# What a web address may keep as it is inside a Markdown link (no parentheses, brackets, <, >).
_URL_SAFE = "/:?#&=%+-._~,;@!$*'"
#: Confidence levels from lowest to highest, and the colour each has in the grid.
CONFIDENCE_COLOURS = ["#d7e3f4", "#a9c4e8", "#6f9bd6", "#3a6fb8", "#173f7a"]


def ethics_note(ctx: ui.PageContext, s: Session) -> None:
    """Tell an author who has not signed the Code of Ethics why they cannot change anything."""
    if ctx.has(*AUTHOR_ROLES) and not permissions.has_signed_current_code(s, ctx.person):
        st.info(
            "You can read everything here, but you must sign the Code of Ethics (on the "
            "Team page) before you can add or change sources and findings."
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
        f"{label}: search the library",
        key=f"{key}_q",
        placeholder="Type part of a key, title or author name",
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
        placeholder="Choose sources",
    )
    if total > len(matches):
        st.caption(
            f"Showing the first {len(matches)} of {total} matching sources: "
            "type more of a key or title to find others."
        )
    return [int(i) for i in picked]


# --------------------------------------------------------------------------- sources tab


def filters(s: Session, report_id: int) -> dict[str, Any]:
    """Show the library's filters and return the chosen ones as search_sources arguments."""
    facets = sources.source_facets(s, report_id=report_id)
    first, second = st.columns([2, 1]), st.columns(4)
    chosen: dict[str, Any] = {
        "text": first[0].text_input(
            "Search", key="ev_q", placeholder="Part of a citation key, title or author name"
        ),
        "kind": second[0].selectbox(
            "Kind",
            [None, *SourceKind],
            format_func=lambda k: "Any kind" if k is None else k.label,
            key="ev_kind",
        ),
        "language": second[1].selectbox(
            "Language",
            [None, *facets.languages],
            format_func=lambda x: "Any language" if x is None else x,
            key="ev_language",
        ),
        "region": second[2].selectbox(
            "Region",
            [None, *facets.regions],
            format_func=lambda x: "Any region" if x is None else x,
            key="ev_region",
        ),
        "certainty": second[3].selectbox(
            "Certainty",
            [None, *Certainty],
            format_func=lambda c: "Any certainty" if c is None else c.label,
            key="ev_certainty",
        ),
    }
    low, high = facets.year_min, facets.year_max
    if low is not None and high is not None and low < high:
        with first[1]:
            years = st.slider("Years", low, high, (low, high), key=f"ev_years_{low}_{high}", step=1)
        if years != (low, high):
            chosen["year_from"], chosen["year_to"] = years
    return chosen


def source_details(s: Session, ctx: ui.PageContext, source: Source, can_edit: bool) -> None:
    """Show one source in full and, for those allowed, let them change or delete it."""
    csl = source.csl or {}
    with st.container(border=True):
        st.markdown(f"#### {ui.md(source.title or source.key)}")
        byline = source.authors or "No authors recorded"
        st.markdown(f"{ui.md(byline)} ({source.year or 'no year'})")
        where = csl.get("container-title") or csl.get("publisher")
        if where:
            st.caption(ui.md(where))
        facts = [
            f"**Key** `{source.key}` (cite it as `[@{source.key}]`)",
            f"**Kind** {source.kind.label}",
            f"**Language** {ui.md(source.language or '—')}",
            f"**Region** {ui.md(source.region or '—')}",
            f"**Certainty** {source.certainty.label if source.certainty else 'not rated'}",
        ]
        if source.short_label:
            facts.append(f"**Cited as** {ui.md(source.short_label)} {source.year or ''}".strip())
        st.markdown(" · ".join(facts))
        if source.certainty_note:
            st.markdown(f"*Why this certainty:* {ui.md(source.certainty_note)}")
        if source.doi:
            st.markdown(f"DOI: {web_link(source.doi, 'https://doi.org/' + source.doi)}")
        elif csl.get("URL"):
            st.markdown(f"Link: {web_link(csl['URL'], csl['URL'])}")
        usage = sources.source_usage(s, source.id)
        used = []
        if usage.sections:
            used.append(
                f"cited in {noun(len(usage.sections), 'section')} {listing(usage.sections)}"
            )
        if usage.findings:
            used.append(
                f"supports {noun(len(usage.findings), 'finding')} {listing(usage.findings)}"
            )
        if usage.positions:
            used.append(f"documents {plural(usage.positions, 'actor position')}")
        st.caption(("This source is " + "; ".join(used) + ".") if used else "Not used yet.")
        if not can_edit:
            return
        with st.form(key=f"ev_edit_{source.id}"):
            st.markdown("**Change how this source is classified**")
            left, right = st.columns(2)
            kinds = list(SourceKind)
            kind = left.selectbox(
                "Kind",
                kinds,
                index=kinds.index(source.kind),
                format_func=lambda k: k.label,
                key=f"ev_edit_kind_{source.id}",
            )
            certainties: list[Certainty | None] = [None, *Certainty]
            certainty = right.selectbox(
                "Certainty (GRADE)",
                certainties,
                index=certainties.index(source.certainty),
                format_func=lambda c: "Not rated" if c is None else c.label,
                key=f"ev_edit_certainty_{source.id}",
            )
            language = left.text_input(
                "Language", value=source.language, key=f"ev_edit_language_{source.id}"
            )
            region = right.text_input(
                "Region", value=source.region, key=f"ev_edit_region_{source.id}"
            )
            label = left.text_input(
                "Short label for citations",
                value=source.short_label,
                max_chars=sources.MAX_SHORT_LABEL,
                key=f"ev_edit_short_label_{source.id}",
                placeholder="e.g. EU, ILO",
                help=SHORT_LABEL_HELP,
            )
            note = st.text_area(
                "Why this certainty",
                value=source.certainty_note,
                key=f"ev_edit_note_{source.id}",
                help="Say what raises or lowers confidence in this evidence.",
            )
            if st.form_submit_button("Save changes", type="primary"):
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
                        short_label=label,
                    ),
                    success=f"Saved the changes to '{source.key}'.",
                )
                if done is not None:
                    st.rerun()
        with st.expander("Delete this source"):
            st.caption(
                "Only a source that no section cites and no finding or position relies on "
                "can be deleted."
            )
            sure = st.checkbox(
                f"Yes, delete '{ui.md(source.key)}' from the library",
                key=f"ev_delete_ok_{source.id}",
            )
            if st.button("Delete", key=f"ev_delete_{source.id}", disabled=not sure):
                key = source.key
                done = ui.run_action(
                    lambda: (
                        sources.delete_source(session=s, actor=ctx.person, source=source) or True
                    ),
                    success=f"Deleted '{key}' from the library.",
                )
                if done:
                    ui.reset_keys("ev_open")
                    st.rerun()


SHORT_LABEL_HELP = (
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
    with st.expander("Add a source by hand"), st.form("ev_add"):
        left, right = st.columns(2)
        key = left.text_input(
            "Citation key (required)",
            key="ev_add_key",
            placeholder="e.g. anker2017",
            help="Letters, digits and _; authors cite it as [@key].",
        )
        kind = right.selectbox(
            "Kind", list(SourceKind), format_func=lambda k: k.label, key="ev_add_kind"
        )
        title = st.text_input("Title (required)", key="ev_add_title")
        authors = st.text_input(
            "Authors",
            key="ev_add_authors",
            placeholder="Family, Given; Family, Given — or an organisation's name",
        )
        left, right = st.columns(2)
        year = left.number_input(
            "Year", min_value=1000, max_value=2100, value=None, step=1, key="ev_add_year"
        )
        container = right.text_input("Journal, publisher or institution", key="ev_add_container")
        doi = left.text_input("DOI", key="ev_add_doi", placeholder="10.…")
        url = right.text_input("Web address", key="ev_add_url")
        language = left.text_input("Language", value="en", key="ev_add_language")
        region = right.text_input("Region", key="ev_add_region", placeholder="e.g. Africa")
        label = right.text_input(
            "Short label for citations",
            key="ev_add_short_label",
            max_chars=sources.MAX_SHORT_LABEL,
            placeholder="e.g. EU, ILO",
            help=SHORT_LABEL_HELP,
        )
        certainty = left.selectbox(
            "Certainty (GRADE)",
            [None, *Certainty],
            format_func=lambda c: "Not rated" if c is None else c.label,
            key="ev_add_certainty",
        )
        note = st.text_area("Why this certainty", key="ev_add_note")
        if st.form_submit_button("Add to the library", type="primary"):

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
                        short_label=label,
                        csl=record,
                    ),
                )

            added = ui.run_action(add, success=f"Added '{key.strip()}' to the library.")
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
            "This report's library is empty. Add a source by hand below, or import a BibTeX, "
            "RIS or CSL-JSON file from your reference manager in the **Import** tab."
            if can_edit
            else "This report's library is empty: the authors have not added sources yet."
        )
    elif total == 0:
        st.info("No source matches these filters. Clear the search or choose “Any …” above.")
    else:
        shown = f"{offset + 1}–{offset + len(page)} of {total}" if total > len(page) else total
        st.caption(f"{shown} sources" + (" match the filters" if total < total_probe else ""))
        table = pd.DataFrame(
            [
                {
                    "Key": src.key,
                    "Authors": src.authors,
                    "Year": src.year,
                    "Title": src.title,
                    "Kind": src.kind.label,
                    "Language": src.language,
                    "Region": src.region,
                    "Certainty": src.certainty.label if src.certainty else "Not rated",
                }
                for src in page
            ]
        )
        st.dataframe(
            ui.safe_table(table),
            hide_index=True,
            width="stretch",
            column_config={
                "Key": st.column_config.TextColumn("Key", width="medium"),
                "Authors": st.column_config.TextColumn("Authors", width="medium"),
                "Year": st.column_config.NumberColumn("Year", format="%d", width="small"),
                "Title": st.column_config.TextColumn("Title", width="medium"),
                "Language": st.column_config.TextColumn("Language", width="small"),
            },
            key="ev_table",
        )
        by_id = {src.id: src for src in page}
        if st.session_state.get("ev_open") not in by_id:
            ui.reset_keys("ev_open")
        opened = st.selectbox(
            "Open a source to see its details" + (" and edit it" if can_edit else ""),
            [None, *by_id],
            format_func=lambda i: (
                "Choose a source from the list above" if i is None else source_label(by_id[i])
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
        "Import the references your team keeps in a reference manager. Export them from "
        "Zotero, EndNote, Mendeley or JabRef as **BibTeX** (.bib), **RIS** (.ris) or "
        "**CSL-JSON** (.json). Either every entry is imported or none is, so a file with a "
        "problem changes nothing: you get the list of entries to correct."
    )
    report = st.session_state.pop("ev_import_report", None)
    if report:
        with st.expander(f"Notes on the last import ({len(report)})"):
            st.markdown("\n".join(f"- {ui.md(line)}" for line in report))
    generation = st.session_state.get("ev_upload_generation", 0)
    upload = st.file_uploader(
        "Bibliography file",
        type=["bib", "bibtex", "ris", "json"],
        key=f"ev_upload_{generation}",
        help="UTF-8 text, at most 10 MB.",
        max_upload_size=MAX_IMPORT_BYTES // (1024 * 1024),
    )
    skip = st.checkbox(
        "Skip entries already in the library (same citation key or DOI)",
        value=True,
        key="ev_skip_duplicates",
        help="Without this, a file holding any entry the library already has is refused.",
    )
    if not st.button("Import", type="primary", key="ev_import", disabled=upload is None):
        if upload is None:
            st.caption("Choose a file first.")
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
    bar = st.progress(0.0, text="Reading the file…")

    def progress(done: int, total: int) -> None:
        if done == total or done % max(total // 50, 1) == 0:
            bar.progress(done / max(total, 1), text=f"Checked {done} of {total} entries")

    problems: list[str] = []

    def attempt() -> Any:
        try:
            return run(progress)
        except ImportFailed as exc:
            problems.extend(exc.problems)
            raise ImportFailed(exc.summary) from None

    result = ui.run_action(attempt)
    bar.empty()
    if result is None:
        if problems:
            st.markdown(f"**The entries to correct ({len(problems)}):**")
            st.dataframe(
                ui.safe_table(pd.DataFrame({"Problem": problems})), hide_index=True, width="stretch"
            )
        return None
    message = f"Imported {result.added} source{'s' if result.added != 1 else ''}"
    if result.skipped:
        message += f"; skipped {len(result.skipped)} already in the library"
    st.session_state["_flash"] = message + "."
    if result.warnings:
        st.session_state["ev_import_report"] = list(result.warnings)
    return result


def export_tab(s: Session, ctx: ui.PageContext) -> None:
    """Let anyone download the library for a reference manager."""
    count = sources.search_sources(s, report_id=ctx.report.id, limit=1)[1]
    if count == 0:
        st.info("The library is empty: there is nothing to export yet.")
        return
    st.markdown(f"Download all {count} sources of the library for your reference manager.")
    fmt = st.radio(
        "Format",
        list(EXPORTS),
        format_func=lambda f: EXPORTS[f][0],
        key="ev_export_format",
        horizontal=True,
    )
    if st.button("Prepare the file", key="ev_export"):
        with st.status("Writing the file…", expanded=False) as status:
            data = ui.run_action(
                lambda: sources.export_sources(
                    session=s, actor=ctx.person, report=ctx.report, fmt=fmt
                )
            )
            status.update(label="The file is ready.", state="complete")
        if data is not None:
            ext, mime = EXPORTS[fmt][1:]
            st.download_button(
                f"Download {ctx.report.slug}-sources.{ext}",
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
    rows = [
        {
            "Evidence": evidence.label,
            "Agreement": agreement.label,
            "Findings": count,
            "Confidence": governance.confidence_for(evidence, agreement).label,
            "Label": str(count) if count else "",
        }
        for (evidence, agreement), count in grid.items()
    ]
    data = pd.DataFrame(rows)
    x = alt.X(
        "Evidence:N",
        sort=[e.label for e in Evidence],
        title="Evidence (limited → robust)",
        axis=alt.Axis(labelAngle=0),
    )
    y = alt.Y(
        "Agreement:N",
        sort=[a.label for a in reversed(Agreement)],
        title="Agreement (low → high)",
    )
    cells = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "Confidence:O",
                sort=[c.label for c in Confidence],
                scale=alt.Scale(domain=[c.label for c in Confidence], range=CONFIDENCE_COLOURS),
                legend=alt.Legend(title="Confidence"),
            ),
            tooltip=["Evidence", "Agreement", "Confidence", "Findings"],
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
                alt.FieldOneOfPredicate(field="Confidence", oneOf=["High", "Very high"]),
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
    st.markdown("Record what the report states, with how much evidence and agreement it has.")
    left, right = st.columns([1, 3])
    code = left.text_input("Code (required)", key="ev_f_code", placeholder="e.g. F13")
    section_id = right.selectbox(
        "Section it belongs to",
        [None, *section_codes],
        format_func=lambda i: "No section" if i is None else section_codes[i],
        key="ev_f_section",
    )
    statement = st.text_area("Statement (required)", key="ev_f_statement")
    left, middle, right = st.columns(3)
    evidence = left.radio(
        "Evidence",
        list(Evidence),
        index=1,
        format_func=lambda e: e.label,
        key="ev_f_evidence",
        help="Type, amount, quality and consistency of the evidence.",
    )
    agreement = middle.radio(
        "Agreement",
        list(Agreement),
        index=1,
        format_func=lambda a: a.label,
        key="ev_f_agreement",
        help="How far the evidence and the experts agree.",
    )
    confidence = governance.confidence_for(evidence, agreement)
    with right:
        st.metric("Confidence (computed)", confidence.label)
        st.caption(
            f"{evidence.label} evidence and {agreement.label.lower()} agreement give "
            f"{confidence.label.lower()} confidence."
        )
    likelihood = st.selectbox(
        "Likelihood (optional)",
        [None, *Likelihood],
        format_func=lambda x: "No likelihood term" if x is None else x.label,
        key="ev_f_likelihood",
        help="Use a calibrated likelihood term only where the outcome can be quantified.",
    )
    account = st.text_area(
        "Traceable account",
        key="ev_f_account",
        help="How the authors reached this finding: which evidence, how it was weighed.",
    )
    source_ids = source_picker(s, ctx.report.id, key="ev_f_sources", label="Linked sources")
    if st.button("Record the finding", type="primary", key="ev_f_add"):
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
            success=f"Recorded finding {code.strip()} ({confidence.label.lower()} confidence).",
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
        with st.expander("Record a finding", icon=":material/add:", expanded=not report_findings):
            add_finding_form(s, ctx, section_codes)
    if not report_findings:
        st.info(
            "No findings yet. Record the report's key findings above: each one gets its "
            "confidence from its evidence and agreement."
            if can_edit
            else "No findings yet: the CLAs and Lead Authors record them as the report develops."
        )
    else:
        left, right = st.columns([3, 2])
        with right:
            st.markdown("**Where the findings' confidence comes from**")
            st.altair_chart(grid_chart(s, ctx.report.id), width="stretch")
            st.caption("Each cell counts the findings with that evidence and agreement.")
        with left:
            levels = [None, *reversed(Confidence)]
            wanted = st.selectbox(
                "Show",
                levels,
                format_func=lambda c: "All findings" if c is None else f"{c.label} confidence",
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
            st.caption(
                f"{len(shown)} of {len(report_findings)} findings"
                + (
                    f"; showing {offset + 1}–{offset + len(page)}"
                    if len(shown) > FINDINGS_PAGE
                    else ""
                )
            )
            for finding in page:
                with st.container(border=True):
                    likelihood = (
                        f" · *{finding.likelihood.label.lower()}*" if finding.likelihood else ""
                    )
                    confidence = f"**{finding.confidence.label} confidence**"
                    st.markdown(f"**{ui.md(finding.code)}** · {confidence}{likelihood}")
                    # A statement is report content (Markdown, as the export prints it).
                    st.markdown(ui.no_images(finding.statement))
                    where = section_codes.get(finding.section_id)
                    st.caption(
                        f"Evidence: {finding.evidence.label.lower()} · Agreement: "
                        f"{finding.agreement.label.lower()}"
                        + (f" · Section {ui.md(where)}" if where else "")
                    )
                    cited = linked.get(finding.id, [])
                    with st.expander(f"Traceable account and sources ({len(cited)})"):
                        st.markdown(
                            ui.no_images(finding.traceable_account) or "*No traceable account yet.*"
                        )
                        if cited:
                            st.markdown(
                                "\n".join(
                                    f"- `{src.key}` {ui.md(src.authors)} "
                                    f"({src.year or 'n.d.'}), *{ui.md(src.title)}*"
                                    for src in cited
                                )
                            )
                        else:
                            st.caption("No linked sources.")
                    ui.discussion_expander(
                        s, ctx, DiscussionTarget.finding, finding.id, key=f"ev_talk_{finding.id}"
                    )


# --------------------------------------------------------------------------- the page

with ui.session() as s:
    ctx = ui.page_context(s)
    ui.require(ctx, s, Action.read_report)
    st.title("Evidence")
    ui.frozen_notice(ctx, s)
    st.caption(
        f"{ui.md(ctx.report.title)} — the sources the report rests on, and the key findings it "
        "draws from them."
    )
    ui.flash()
    can_edit_sources = ui.allowed(ctx, s, Action.edit_sources)
    can_edit_content = ui.allowed(ctx, s, Action.edit_content)
    names = (
        ["Sources", "Import", "Export", "Findings"]
        if can_edit_sources
        else [
            "Sources",
            "Export",
            "Findings",
        ]
    )
    tabs = dict(zip(names, st.tabs(names), strict=True))
    ethics_note(ctx, s)
    with tabs["Sources"]:
        sources_tab(s, ctx, can_edit_sources)
    if "Import" in tabs:
        with tabs["Import"]:
            import_tab(s, ctx)
    with tabs["Export"]:
        export_tab(s, ctx)
    with tabs["Findings"]:
        findings_tab(s, ctx, can_edit_content)
