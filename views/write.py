"""Write: draft a section in Markdown beside a live preview, cite sources, and save revisions.

For the report's authors (CLAs, Lead Authors, Contributing Authors). Pick a section (yours
first; CLAs may write any), read its brief and word target, write, cite a source from the
report's library, and save with a short message. Saving names the revision the editor was
based on: when a co-author saved in the meantime, nothing is lost; the page shows both texts
side by side and saves the merged one. The history lists every revision and shows, word by
word, what changed between any two. A Markdown file can be uploaded as a new revision, and the
lead author or a CLA moves the section along its statuses. Open a section directly with
``?section=<id>`` in the address.

What the author types is kept in ``st.session_state`` (by section id) until it is saved, so
switching sections or pages never loses it.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st
from sqlmodel import Session

import ui
from workbench import docx_import, reviews, sections, sources
from workbench.errors import Conflict
from workbench.governance import SECTION_TRANSITIONS
from workbench.models import Role, Section, SectionStatus
from workbench.permissions import Action

AUTHORS = (Role.cla, Role.lead_author, Role.contributing_author)
DRAFTS = "write_drafts"  # section id → the editor's text, kept until saved
BASES = "write_bases"  # section id → the revision the editor's text is based on
RELOAD = "write_reload"  # section ids whose editor must show its draft anew
RESET = "write_reset_keys"  # widget keys to clear at the start of the next run
# Text boxes to empty at the start of the next run. Only forgetting the key of a box that
# stays on the page would leave the old text in the browser, which sends it back.
EMPTY = "write_empty_keys"
NOTICE = "write_notice"  # section id → (kind, message) to show once after a save
EDITOR_HEIGHT = 560
_DOLLAR_AMOUNT = re.compile(r"\$(?=\d)")


def _state(name: str, default: Any) -> Any:
    """Return a value kept in the session, creating it the first time."""
    if name not in st.session_state:
        st.session_state[name] = default
    return st.session_state[name]


def _conflict_key(section_id: int) -> str:
    return f"write_conflict_{section_id}"


def _preview(text: str) -> None:
    """Render an author's Markdown safely: raw HTML is not rendered, images are links only
    (nothing is fetched from another host), amounts are not maths."""
    if text.strip():
        # "$5 a day and $10" must not turn into a formula.
        st.markdown(ui.no_images(_DOLLAR_AMOUNT.sub(r"\\$", text)))
    else:
        st.caption("Nothing to show yet: the preview of the text appears here as you write.")


def _revision_text(s: Session, revision_id: int | None) -> str:
    return sections.get_revision(s, revision_id).text if revision_id is not None else ""


def _follow(section_id: int, revision_id: int | None, text: str) -> None:
    """Base the editor on this revision and show its text."""
    _state(BASES, {})[section_id] = revision_id
    _state(DRAFTS, {})[section_id] = text
    _state(RELOAD, set()).add(section_id)


def _save(
    s: Session,
    person: Any,
    section: Section,
    *,
    text: str,
    base_revision_id: int | None,
    message: str,
    word_file: tuple[str, bytes] | None = None,
) -> sections.SaveResult | None:
    """Save a revision (typed, or a Word file's text); on a conflict keep both texts to merge."""
    notes: list[str] = []

    def action() -> sections.SaveResult:
        try:
            if word_file is not None:
                result, warnings = docx_import.import_section_docx(
                    session=s,
                    actor=person,
                    section=section,
                    filename=word_file[0],
                    content=word_file[1],
                    base_revision_id=base_revision_id,
                    message=message,
                )
                notes.extend(warnings)
                return result
            return sections.save_revision(
                session=s,
                actor=person,
                section=section,
                text=text,
                base_revision_id=base_revision_id,
                message=message,
            )
        except Conflict as exc:
            st.session_state[_conflict_key(section.id)] = {
                "head_revision_id": exc.head_revision_id,
                "mine": exc.mine,
                "merged": exc.mine,
                "message": exc.message,
            }
            raise

    result = ui.run_action(action)
    if result is not None:
        if result.mirror_note:
            notes.append(result.mirror_note)
        notice = f"Saved revision {result.revision.number} of section {section.code}."
        st.toast(notice, icon="✅")
        _state(NOTICE, {})[section.id] = (notice, result.unknown_keys, notes)
        st.session_state.pop(_conflict_key(section.id), None)
        _follow(section.id, result.revision.id, result.revision.text)
    return result


def _show_notice(section_id: int) -> None:
    """Show, once, what the last save did, with the citation keys no source answers to."""
    notice = _state(NOTICE, {}).pop(section_id, None)
    if notice is None:
        return
    message, unknown, notes = notice
    st.success(ui.md_message(message))
    for note in notes:
        st.warning(ui.md_message(note))
    if unknown:
        keys = ", ".join(ui.md(k) for k in unknown)
        st.warning(
            f"These citation keys match no source in the report's library: {keys}. "
            "Correct the keys, or add the sources on the Evidence page; until then they "
            "will not appear in the bibliography."
        )


def _status_control(s: Session, ctx: ui.PageContext, section: Section) -> None:
    """Let the section's lead author or a CLA move it to a next status."""
    if not ui.allowed(ctx, s, Action.set_section_status):
        return
    is_cla = ctx.has(Role.cla)
    if not is_cla and section.lead_author_id != ctx.person.id:
        return
    order = list(SectionStatus)
    options = sorted(SECTION_TRANSITIONS[section.status], key=order.index)
    if not is_cla:
        options = [o for o in options if o != SectionStatus.accepted]
    with st.expander(f"Change the status (now: {section.status.label})"):
        if not options:
            st.caption(
                f"From '{section.status.label}' only a CLA can move the section on (to accept it)."
            )
            return
        st.caption(
            "Sections move drafting → ready for review → in review → revising → accepted. "
            "Only a CLA accepts a section."
        )
        new = st.selectbox(
            "New status",
            options,
            format_func=lambda o: o.label,
            key=f"write_status_{section.id}",
        )
        if st.button("Change status", key=f"write_status_go_{section.id}"):
            done = ui.run_action(
                lambda: sections.set_status(
                    session=s, actor=ctx.person, section=section, status=new
                ),
                success=f"Section {section.code} is now '{new.label}'.",
            )
            if done is not None:
                st.rerun()


def _citation_picker(s: Session, report_id: int, section_id: int, text: str) -> None:
    """Find a source in the report's library and add its citation to the text."""
    with st.expander("Cite a source from the report's library", icon=":material/format_quote:"):
        query = st.text_input(
            "Search by author, title or citation key",
            key="write_cite_query",
            placeholder="e.g. Anker, minimum wage, ilo2024",
        )
        found, total = sources.search_sources(s, report_id=report_id, text=query, limit=20)
        if not found:
            if query.strip():
                st.info(
                    f"No source matches '{ui.md(query)}'. Try another word, or add the source on "
                    "the Evidence page."
                )
            else:
                st.info("The report's library has no sources yet. Add them on the Evidence page.")
            return
        labels = {
            src.key: f"{src.key} — {src.authors or 'no author'} ({src.year or 'n.d.'}). "
            f"{(src.title or '')[:90]}"
            for src in found
        }
        if st.session_state.get("write_cite_choice") not in labels:
            st.session_state.pop("write_cite_choice", None)
        key = st.selectbox(
            "Source", list(labels), format_func=labels.__getitem__, key="write_cite_choice"
        )
        if total > len(found):
            st.caption(f"Showing {len(found)} of {total} matching sources: type more to narrow.")
        st.caption("Copy the citation into your text where it belongs:")
        st.code(f"[@{key}]", language=None)
        if st.button("Add it at the end of my text", key=f"write_cite_add_{section_id}"):
            body = text.rstrip()
            _state(DRAFTS, {})[section_id] = f"{body} [@{key}]\n" if body else f"[@{key}]\n"
            _state(RELOAD, set()).add(section_id)
            st.session_state["write_cite_added"] = key
            st.rerun()
        added = st.session_state.pop("write_cite_added", None)
        if added:
            st.success(
                f"Added {ui.md(f'[@{added}]')} at the end of your text: move it to the sentence "
                "it supports. (Streamlit's text box cannot insert at the cursor.)"
            )


def _conflict_panel(s: Session, ctx: ui.PageContext, section: Section) -> None:
    """Show both texts side by side and save a merge based on the current head."""
    conflict = st.session_state[_conflict_key(section.id)]
    head_id = conflict["head_revision_id"]
    head = sections.get_revision(s, head_id) if head_id is not None else None
    head_text = head.text if head else ""
    who = ""
    if head is not None and head.author_id is not None:
        who = ui.people_names(s, [head.author_id]).get(head.author_id, "")
    st.error(ui.md_message(conflict["message"]))
    st.markdown(
        "Nothing is lost: **your text** is kept below. Merge what you need from the "
        "**current text** into the box at the bottom and save the merged text."
    )
    mine_col, head_col = st.columns(2, gap="medium")
    with mine_col:
        st.markdown("**Your text** (not saved)")
        st.code(conflict["mine"] or " ", language="markdown", wrap_lines=True, height=360)
    with head_col:
        label = f"revision {head.number}" if head else "no text"
        by = f" by {ui.md(who)}" if who else ""
        when = f", {head.created_at:%d %b %Y %H:%M} UTC" if head else ""
        st.markdown(f"**Current text** ({label}{by}{when})")
        st.code(head_text or " ", language="markdown", wrap_lines=True, height=360)
    with st.expander("What your text changes in the current text, word by word", expanded=True):
        ui.diff_view(
            head_text, conflict["mine"], key=f"write_conflict_diff_{section.id}", height=360
        )
    merge_key = f"write_merge_{section.id}"
    if merge_key not in st.session_state:
        st.session_state[merge_key] = conflict.get("merged", conflict["mine"])
    merged = st.text_area(
        "Merged text (starts as yours; bring in the changes from the current text)",
        key=merge_key,
        height=EDITOR_HEIGHT // 2,
    )
    conflict["merged"] = merged
    message = st.text_input(
        "What did you change?",
        key=f"write_merge_message_{section.id}",
        placeholder=f"e.g. Merged with {who}'s revision" if who else "e.g. Merged",
    )
    buttons = st.container(horizontal=True)
    if buttons.button("Save merged text", type="primary", key=f"write_merge_save_{section.id}"):
        result = _save(
            s,
            ctx.person,
            section,
            text=merged,
            base_revision_id=head_id,
            message=message or "Merged with the current text",
        )
        _state(RESET, []).append(merge_key)
        _state(EMPTY, []).append(f"write_merge_message_{section.id}")
        if result is not None or _conflict_key(section.id) in st.session_state:
            st.rerun()
    if buttons.button(
        "Drop my text and continue from the current one",
        key=f"write_merge_drop_{section.id}",
        help="Your text is discarded; the editor shows the current text.",
    ):
        st.session_state.pop(_conflict_key(section.id), None)
        _state(RESET, []).append(merge_key)
        _state(EMPTY, []).append(f"write_merge_message_{section.id}")
        _follow(section.id, head_id, head_text)
        st.rerun()


def _editor(s: Session, ctx: ui.PageContext, section: Section) -> None:
    """The Markdown editor, its preview, word count, citation picker and Save."""
    sid = section.id
    drafts, bases = _state(DRAFTS, {}), _state(BASES, {})
    text_key = f"write_text_{sid}"
    base_id = bases[sid]
    base_text = _revision_text(s, base_id)
    current = st.session_state.get(text_key, drafts[sid])
    if section.head_revision_id != base_id and current == base_text:
        # Someone saved meanwhile and nothing was typed here: simply show their text.
        _follow(sid, section.head_revision_id, sections.head_text(s, section))
        base_id, base_text = section.head_revision_id, drafts[sid]
    if sid in _state(RELOAD, set()) or text_key not in st.session_state:
        st.session_state[text_key] = drafts[sid]
        st.session_state[RELOAD].discard(sid)

    edit_col, preview_col = st.columns(2, gap="medium")
    with edit_col:
        text = st.text_area(
            "Text (Markdown)",
            key=text_key,
            height=EDITOR_HEIGHT,
            placeholder="Start writing. One sentence per line keeps line numbers meaningful "
            "for reviewers; cite sources as [@key].",
            help="Markdown: # Heading, **bold**, *italic*, - list item, [@key] for a citation. "
            "Press Ctrl+Enter or click outside the box to update the preview and word count.",
        )
    drafts[sid] = text
    with preview_col:
        st.markdown("**Preview**")
        with st.container(height=EDITOR_HEIGHT, border=True, key=f"write_preview_{sid}"):
            _preview(text)

    words = sections.word_count(text)
    if section.word_target:
        share = words / section.word_target
        st.progress(
            min(share, 1.0),
            text=f"{words:,} of {section.word_target:,} words ({share:.0%} of the target)",
        )
        if share > 1.1:
            st.caption(f":orange[{words - section.word_target:,} words over the target.]")
    else:
        st.caption(f"{words:,} words · no word target set for this section")
    keys = sections.extract_citation_keys(text)
    if keys:
        known = sources.sources_by_keys(s, section.report_id, keys)
        missing = [k for k in keys if k not in known]
        line = f"Cites {len(keys)} source{'s' if len(keys) != 1 else ''}."
        if missing:
            line += " :orange[Not in the library: " + ", ".join(ui.md(k) for k in missing) + "]"
        st.caption(line)

    dirty = text != base_text
    head_no = _revision_number(s, base_id)
    if dirty:
        st.caption(f"● Unsaved changes, based on {head_no}." if head_no else "● Unsaved new text.")
    else:
        st.caption(f"All changes saved ({head_no})." if head_no else "No text yet.")
    message = st.text_input(
        "What did you change? (optional, shown in the history)",
        key=f"write_message_{sid}",
        placeholder="e.g. Answered FOD comments 12–15; added ILO 2024 figures",
    )
    buttons = st.container(horizontal=True)
    if buttons.button("Save", type="primary", key=f"write_save_{sid}", disabled=not dirty):
        result = _save(s, ctx.person, section, text=text, base_revision_id=base_id, message=message)
        if result is not None:
            _state(EMPTY, []).append(f"write_message_{sid}")
            st.rerun()
        if _conflict_key(sid) in st.session_state:
            st.rerun()
    if dirty and buttons.button(
        "Discard unsaved changes",
        key=f"write_discard_{sid}",
        help="Go back to the last saved text. What you typed since is thrown away.",
    ):
        _follow(sid, section.head_revision_id, sections.head_text(s, section))
        st.rerun()
    _citation_picker(s, section.report_id, sid, text)


def _revision_number(s: Session, revision_id: int | None) -> str:
    if revision_id is None:
        return ""
    return f"revision {sections.get_revision(s, revision_id).number}"


def _upload(s: Session, ctx: ui.PageContext, section: Section) -> None:
    """Save an uploaded Word, Markdown or text file as the section's new revision."""
    sid = section.id
    st.write(
        "Upload a Word document (.docx) or a Markdown (.md) or plain-text (.txt) file saved as "
        "UTF-8. Its text becomes the section's new revision; the history keeps every earlier "
        "one. From Word, headings, lists, tables and footnotes are kept; images are not (the "
        "page says which were left out)."
    )
    dirty = _state(DRAFTS, {}).get(sid, "") != _revision_text(s, _state(BASES, {}).get(sid))
    upload_round = _state("write_upload_round", 0)
    uploaded = st.file_uploader(
        "Word, Markdown or text file",
        type=["docx", "md", "markdown", "txt"],
        key=f"write_upload_{sid}_{upload_round}",
    )
    message = st.text_input(
        "What is this version? (optional)",
        key=f"write_upload_message_{sid}",
        placeholder="e.g. Text agreed at the authors' meeting",
    )
    if dirty:
        st.warning(
            "You have unsaved changes in the editor. Save or discard them on the Write tab "
            "first: an upload would otherwise replace them."
        )
    if st.button(
        "Save the file as a new revision",
        type="primary",
        key=f"write_upload_save_{sid}",
        disabled=uploaded is None or dirty,
    ):
        word_file = None
        text = ""
        if uploaded.name.lower().endswith(".docx"):
            word_file = (uploaded.name, uploaded.getvalue())
        else:
            try:
                text = uploaded.getvalue().decode("utf-8-sig")
            except UnicodeDecodeError:
                st.error(
                    f"'{ui.md(uploaded.name)}' is not UTF-8 text, so it was not saved. Open it in "
                    "your editor and save it as UTF-8 (in Word: Save As → Plain Text → Unicode "
                    "(UTF-8)), or upload the Word document itself."
                )
                return
            if "\x00" in text:
                st.error(f"'{ui.md(uploaded.name)}' is not a text file, so it was not saved.")
                return
        with st.spinner(f"Reading {ui.md(uploaded.name)}…"):
            result = _save(
                s,
                ctx.person,
                section,
                text=text,
                base_revision_id=_state(BASES, {}).get(sid),
                message=message or f"Uploaded {uploaded.name}",
                word_file=word_file,
            )
        if result is not None:
            st.session_state["write_upload_round"] = upload_round + 1
            _state(EMPTY, []).append(f"write_upload_message_{sid}")
            st.rerun()
        if _conflict_key(sid) in st.session_state:
            st.rerun()


def _history(s: Session, ctx: ui.PageContext, section: Section) -> None:
    """List the revisions; compare two revisions or two draft stages; restore an old one."""
    sid = section.id
    _, total = sections.revision_history(s, section_id=sid, limit=1)
    if total == 0:
        st.info("No revisions yet. Write the first one on the Write tab and save it.")
        return
    offset = ui.pager(total, key=f"write_history_page_{sid}", page_size=50)
    rows, _ = sections.revision_history(s, section_id=sid, limit=50, offset=offset)
    changes = sections.revision_changes(s, [r.id for r in rows])
    st.dataframe(
        ui.safe_table(
            [
                {
                    "Revision": r.number,
                    "Author": r.author_name,
                    "Saved (UTC)": r.created_at.strftime("%d %b %Y %H:%M"),
                    "Message": r.message,
                    "Words": r.words,
                    "Added": changes[r.id].words_added,
                    "Removed": changes[r.id].words_deleted,
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        key=f"write_history_table_{sid}",
        column_config={
            "Added": st.column_config.NumberColumn(help="Words added since the revision before"),
            "Removed": st.column_config.NumberColumn(
                help="Words removed against the revision before"
            ),
        },
    )
    st.subheader("Compare")
    stages = reviews.draft_stages(s, section_id=sid)
    by_label: dict[str, int] = {}
    for stage in stages:
        by_label[f"{stage.round_name} draft (revision {stage.revision_number})"] = (
            stage.revision_number
        )
    for number in range(total, 0, -1):
        by_label.setdefault(f"Revision {number}", number)
    labels = list(by_label)
    if total < 2:
        st.caption("There is only one revision. Once a second is saved you can compare them here.")
    else:
        st.caption(
            "Pick two revisions, or two draft stages (the text each review round froze), "
            "to see what changed between them, word by word."
        )
        newest = f"Revision {total}"
        old_col, new_col = st.columns(2)
        default_old = next((i for i, label in enumerate(labels) if by_label[label] < total), 0)
        old_label = old_col.selectbox(
            "Older", labels, index=default_old, key=f"write_diff_from_{sid}"
        )
        new_label = new_col.selectbox(
            "Newer", labels, index=labels.index(newest), key=f"write_diff_to_{sid}"
        )
        old_no, new_no = by_label[old_label], by_label[new_label]
        if old_no == new_no:
            st.info("These are the same revision: pick two different ones to see what changed.")
        else:
            old = sections.get_revision_by_number(s, section_id=sid, number=old_no)
            new = sections.get_revision_by_number(s, section_id=sid, number=new_no)
            st.markdown(f"**{ui.md(old_label)} → {ui.md(new_label)}**")
            ui.diff_view(old.text, new.text, key=f"write_diff_{sid}")
    _restore(s, ctx, section, total)


def _restore(s: Session, ctx: ui.PageContext, section: Section, total: int) -> None:
    """Save an earlier revision's text as the newest one (nothing is deleted)."""
    if total < 2 or not sections.can_write(s, ctx.person, section):
        return
    sid = section.id
    with st.expander("Restore an earlier revision", icon=":material/history:"):
        st.caption(
            "Its text becomes the newest revision; every revision stays in the history, so a "
            "restore can itself be undone."
        )
        number = st.selectbox(
            "Revision to restore",
            list(range(total - 1, 0, -1)),
            format_func=lambda n: f"Revision {n}",
            key=f"write_restore_pick_{sid}",
        )
        if st.button(f"Restore revision {number}", key=f"write_restore_{sid}"):
            old = sections.get_revision_by_number(s, section_id=sid, number=number)
            result = ui.run_action(
                lambda: sections.restore_revision(
                    session=s,
                    actor=ctx.person,
                    section=section,
                    revision_id=old.id,
                    base_revision_id=section.head_revision_id,
                )
            )
            if result is not None:
                notice = (
                    f"Restored revision {number} as revision {result.revision.number} of "
                    f"section {section.code}."
                )
                _state(NOTICE, {})[sid] = (notice, result.unknown_keys, [])
                _follow(sid, result.revision.id, result.revision.text)
                st.rerun()


def _choose_section(s: Session, ctx: ui.PageContext, listed: list[Section]) -> Section:
    """Pick a section: the person's own first; honour ``?section=<id>`` in the address."""
    mine = sections.authored_section_ids(s, person_id=ctx.person.id, report_id=ctx.report.id)
    is_cla = ctx.has(Role.cla)
    ordered = sorted(listed, key=lambda x: x.id not in mine)
    by_id = {x.id: x for x in ordered}
    names = ui.people_names(s, [x.lead_author_id for x in ordered])

    def describe(x: Section) -> str:
        if x.lead_author_id == ctx.person.id:
            whose = "you lead it"
        elif x.id in mine:
            whose = "you co-author it"
        else:
            lead = names.get(x.lead_author_id, "no lead author")
            whose = lead if is_cla else f"{lead} · read only"
        return f"{x.code} {x.title} — {whose}"

    # Labels are made now: the section objects are not read again once the session closes.
    labels = {x.id: describe(x) for x in ordered}
    wanted = st.query_params.get("section")
    if wanted and wanted != st.session_state.get("write_section_param"):
        st.session_state["write_section_param"] = wanted
        if wanted.isdigit() and int(wanted) in by_id:
            st.session_state["write_section"] = int(wanted)
        else:
            st.warning(f"The address names section {ui.md(wanted)}, which is not in this report.")
    if st.session_state.get("write_section") not in by_id:
        st.session_state.pop("write_section", None)
    chosen = st.selectbox(
        "Section", list(by_id), format_func=labels.__getitem__, key="write_section"
    )
    st.query_params["section"] = str(chosen)
    st.session_state["write_section_param"] = str(chosen)
    return by_id[chosen]


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title("Write")
    ui.require(ctx, s, Action.read_report)
    if not ctx.has(*AUTHORS):
        st.error(
            "Not permitted. The Write page is for the report's authors: Coordinating Lead "
            "Authors, Lead Authors and Contributing Authors. You can read the report's "
            "evidence and recommendations on the other pages."
        )
        st.stop()
    ui.flash()
    for stale_key in st.session_state.pop(RESET, []):
        st.session_state.pop(stale_key, None)
    for box_key in st.session_state.pop(EMPTY, []):
        st.session_state[box_key] = ""
    listed = sections.list_sections(s, ctx.report.id)
    if not listed:
        st.info(
            "This report has no sections yet. A Coordinating Lead Author creates the outline "
            "on the Outline & assignments page; then its sections appear here."
        )
        st.stop()
    section = _choose_section(s, ctx, listed)

    st.header(f"{ui.md(section.code)} {ui.md(section.title)}")
    people = ui.people_names(s, [section.lead_author_id, *sections.coauthor_ids(s, section.id)])
    coauthors = [people[p] for p in sections.coauthor_ids(s, section.id) if p in people]
    facts = [
        f"**{ui.md(ui.label(section.question))}**",
        f"Status: **{section.status.label}**",
        f"Lead author: {ui.md(people.get(section.lead_author_id, 'not assigned'))}",
    ]
    if coauthors:
        facts.append("Co-authors: " + ui.md(", ".join(coauthors)))
    if section.word_target:
        facts.append(f"Target: {section.word_target:,} words")
    if section.due_date:
        facts.append(f"Due {section.due_date:%d %B %Y}")
    st.markdown(" · ".join(facts))
    with st.expander("Brief: what this section should do", expanded=not section.head_revision_id):
        if section.brief.strip():
            st.markdown(ui.no_images(section.brief))
        else:
            st.caption("No brief yet. The CLAs write briefs on the Outline & assignments page.")
    _status_control(s, ctx, section)

    refusal = sections.write_refusal(s, ctx.person, section)
    if refusal:
        st.info(f"{ui.md_message(refusal)} You can read the text and its history here.")
        read_tab, history_tab = st.tabs([":material/article: Text", ":material/history: History"])
        with read_tab:
            _preview(sections.head_text(s, section))
        with history_tab:
            _history(s, ctx, section)
        st.stop()

    if section.id not in _state(BASES, {}):
        _follow(section.id, section.head_revision_id, sections.head_text(s, section))
    _show_notice(section.id)
    if _conflict_key(section.id) in st.session_state:
        # A save waits for a merge: nothing else to do on this section until it is settled.
        _conflict_panel(s, ctx, section)
        st.stop()
    write_tab, history_tab, upload_tab = st.tabs(
        [
            ":material/edit: Write",
            ":material/history: History",
            ":material/upload_file: Upload a file",
        ]
    )
    with write_tab:
        _editor(s, ctx, section)
    with history_tab:
        _history(s, ctx, section)
    with upload_tab:
        _upload(s, ctx, section)
