"""Write: draft a section in Markdown beside a preview that reads like the export, and save.

For the report's authors (CLAs, Lead Authors, Contributing Authors). Pick a section (yours
first; CLAs may write any), read its brief and word target, write, cite a source from the
report's library, and save with a short message. Open a section directly with
``?section=<id>`` in the address.

- **The preview** shows the text as the exported report will: citations rendered by pandoc's
  citeproc from the report's CSL-JSON (:func:`workbench.rendering.render_citations`, cached
  by text), a short reference list under it, and keys that match no source marked in orange.
  Images are links (nothing is fetched from another host); raw HTML shows as typed.
- **Citing at the cursor.** The text box stays Streamlit's own (it keeps unsaved text
  across pages and reruns, and every page test can type into it). The picker's "Insert at
  the cursor" button is a small component built with Streamlit's own Components v2 API
  (``st.components.v2``: JavaScript shipped with this file, no package, no network): when
  clicked it reads the text box's current text and cursor (or selection) in the browser and
  sends both with the source it shows, so what is inserted is always what the picker shows,
  exactly where the cursor was, even text typed but not yet sent to the server. The cursor
  then stands after the citation. We chose this over an editor component (streamlit-ace,
  streamlit-code-editor): those replace the text box with a code editor in an iframe, were
  last released years ago, and only report the cursor on their own events.
- **Saving** names the revision the editor was based on. An empty text, or one that lost
  more than half of its words, is saved only after the author confirms it.
- **When a co-author saved meanwhile**, the two texts are merged against the revision both
  started from (:mod:`workbench.merging`). Changes in different places merge by themselves:
  the page shows the merged text and saves it with one click, based on the new revision.
  Only places both changed need a choice: each is shown side by side, with what each author
  added and removed marked as theirs.
- The history lists every revision and shows, word by word, what changed in the Markdown
  source between any two. A file can be uploaded as a new revision, and the lead author or
  a CLA moves the section along its statuses.

- **Discussions** with the co-authors sit beside the editor (:func:`ui.discussion_panel`):
  the section's threads, open ones first; opening one shows its messages, a reply form and
  Resolve. A new thread may point at a range of lines of the saved text; the lines open
  threads point at are marked in the preview (the opened thread's in another colour).
  ``?thread=<id>`` (the inbox's links) opens that thread.

What the author types is kept in ``st.session_state`` (by section id) until it is saved, so
switching sections or pages never loses it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

import streamlit as st
from sqlmodel import Session

import ui
from workbench import docx_import, i18n, merging, rendering, reviews, sections, sources
from workbench.diffing import diff_markdown, word_diff
from workbench.errors import Conflict
from workbench.governance import SECTION_TRANSITIONS
from workbench.i18n import N_, _, ngettext
from workbench.models import DiscussionTarget, Role, Section, SectionStatus
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
CONFIRM = "write_confirm"  # confirmation name → the text waiting for "save anyway"
CARET = "write_caret"  # section id → (position, id) where the cursor goes after an insertion
INSERTED = "write_cite_inserted"  # section id → how the citation just inserted reads
EDITOR_HEIGHT = 560
# "$5 a day and $10" must not turn into a formula (pandoc escapes amounts already).
_DOLLAR_AMOUNT = re.compile(r"(?<!\\)\$(?=\d)")
CHOICE_LABELS = {
    "theirs": N_("Keep their words"),
    "mine": N_("Keep my words"),
    "both": N_("Keep both (theirs first)"),
}

# The "Insert at the cursor" button. It reads the cursor of the text box it is given (by its
# widget key's CSS class, st-key-<key>) when clicked, and after an insertion puts the cursor
# after the citation. Positions travel as code points (Python's) not UTF-16 units (the DOM's).
_CITE_JS = """
export default function ({ parentElement, data, setTriggerValue }) {
  const button = parentElement.querySelector("button");
  button.textContent = data.label;
  const area = () => document.querySelector(`.${CSS.escape(data.target)} textarea`);
  const points = (text) => Array.from(text).length;
  button.onclick = () => {
    const box = area();
    if (!box) return;
    setTriggerValue("insert", {
      key: data.key,
      text: box.value,
      start: points(box.value.slice(0, box.selectionStart)),
      end: points(box.value.slice(0, box.selectionEnd)),
    });
  };
  if (data.caret !== null && data.caret_id && window.__workbenchCaret !== data.caret_id) {
    window.__workbenchCaret = data.caret_id;
    let tries = 0;
    const place = () => {
      const box = area();
      if (box && points(box.value) === data.length) {
        const units = Array.from(box.value).slice(0, data.caret).join("").length;
        // Cursor first, then focus: focusing scrolls the box to where its cursor is.
        box.setSelectionRange(units, units);
        box.blur();
        box.focus();
      } else if (tries++ < 30) {
        setTimeout(place, 100);
      }
    };
    setTimeout(place, 50);
  }
}
"""
_CITE_CSS = """
button {
  font-family: inherit;
  font-size: 1rem;
  line-height: 1.6;
  padding: 0.25rem 0.75rem;
  min-height: 2.5rem;
  border-radius: 0.5rem;
  border: 1px solid rgba(49, 51, 63, 0.2);
  background: var(--st-background-color, #ffffff);
  color: var(--st-text-color, #31333f);
  cursor: pointer;
}
button:hover {
  border-color: var(--st-primary-color, #1f4e79);
  color: var(--st-primary-color, #1f4e79);
}
button:focus-visible {
  outline: 2px solid var(--st-primary-color, #1f4e79);
  outline-offset: 1px;
}
"""
_cite_at_cursor = st.components.v2.component(
    "workbench_cite_at_cursor",
    html='<button type="button">Insert at the cursor</button>',
    css=_CITE_CSS,
    js=_CITE_JS,
)


def _state(name: str, default: Any) -> Any:
    """Return a value kept in the session, creating it the first time."""
    if name not in st.session_state:
        st.session_state[name] = default
    return st.session_state[name]


def _conflict_key(section_id: int) -> str:
    return f"write_conflict_{section_id}"


def _records(s: Session, report_id: int, text: str) -> list[dict[str, Any]]:
    """Return the CSL-JSON records of the sources a text cites (as sources.csl_records does,
    but only the cited ones: a library of thousands is not read at every keystroke)."""
    found = sources.sources_by_keys(s, report_id, sections.extract_citation_keys(text))
    return [{**(src.csl or {}), "id": key} for key, src in found.items()]


def _rendered(s: Session, report_id: int, text: str) -> rendering.Rendered:
    """Return the text with its citations rendered as the export renders them."""
    try:
        return rendering.render_citations(text, _records(s, report_id, text))
    except (OSError, RuntimeError):
        # pandoc missing or failing: show the text itself rather than nothing.
        st.caption(
            ":orange["
            + _("Citations could not be rendered here; the text is shown as typed.")
            + "]"
        )
        keys = tuple(sections.extract_citation_keys(text))
        return rendering.Rendered(body=text, references=(), unknown=keys)


def _show_rendered(rendered: rendering.Rendered) -> None:
    """Show a rendered text safely, its unknown keys marked, and its references under it."""
    body = rendered.body
    for key in rendered.unknown:
        # citeproc marks a key no source answers to as **key?**: make it stand out.
        body = body.replace(f"**{key}?**", f":orange-background[**{key}?**]")
    st.markdown(ui.no_images(_DOLLAR_AMOUNT.sub(r"\\$", body)))
    if rendered.references:
        st.divider()
        st.markdown("**" + _("References") + "**")
        st.markdown(ui.no_images(_DOLLAR_AMOUNT.sub(r"\\$", "\n\n".join(rendered.references))))
    if rendered.unknown:
        st.caption(
            ":orange["
            + _(
                "Not in the report's library (marked above): {keys}. Correct the key or add "
                "the source on the Evidence page."
            ).format(keys=_listing(ui.md(k) for k in rendered.unknown))
            + "]"
        )


# Lines a discussion points at are marked in the preview: a word that Markdown and pandoc
# leave alone opens and closes each such line, and becomes a coloured background once the
# text is rendered (pandoc joins a paragraph's lines, so marks cannot be added afterwards).
_MARK = "WBMARK{colour}{end}"
_MARKED = re.compile(r"WBMARK(\d)S (.*?) WBMARK\1E")
_STRAY_MARK = re.compile(r" ?WBMARK\d[SE] ?")
MARK_COLOURS = {0: "orange", 1: "violet"}  # open discussions; the one opened beside
# What starts a heading, quote or list item: the mark goes after it, so the line keeps it.
_BLOCK_START = re.compile(r"^(\s*(?:#{1,6}\s+|>\s*|[-*+]\s+|\d{1,9}[.)]\s+)*)(.*)$")


def mark_lines(text: str, ranges: list[tuple[int, int, int]]) -> str:
    """Return ``text`` with lines ``first``–``last`` of each range wrapped in marks of its
    colour (0 or 1; the later range wins on a line both name). Blank lines, table rows and
    code fences are left as they are."""
    lines = text.splitlines()
    colours: dict[int, int] = {}
    for first, last, colour in ranges:
        for number in range(max(first, 1), min(last, len(lines)) + 1):
            colours[number] = colour
    in_code = False
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if number not in colours or in_code or line.lstrip().startswith("|"):
            continue
        start, rest = _BLOCK_START.match(line).groups()
        if not rest.strip():
            continue
        colour = colours[number]
        lines[number - 1] = (
            f"{start}{_MARK.format(colour=colour, end='S')} {rest.rstrip()} "
            f"{_MARK.format(colour=colour, end='E')}"
        )
    return "\n".join(lines)


def _show_marks(body: str) -> str:
    """Turn the marks of :func:`mark_lines` in a rendered text into coloured backgrounds."""
    body = _MARKED.sub(lambda m: f":{MARK_COLOURS[int(m.group(1))]}-background[{m.group(2)}]", body)
    return _STRAY_MARK.sub(" ", body)


def _preview(
    s: Session, report_id: int, text: str, marks: list[tuple[int, int, int]] | None = None
) -> None:
    """Render an author's Markdown as the export reads: citations rendered, images as links,
    raw HTML as typed, amounts not maths; the lines in ``marks`` on a coloured background."""
    if text.strip():
        rendered = _rendered(s, report_id, mark_lines(text, marks) if marks else text)
        if marks:
            rendered = rendering.Rendered(
                body=_show_marks(rendered.body),
                references=rendered.references,
                unknown=rendered.unknown,
            )
        _show_rendered(rendered)
    else:
        st.caption(_("Nothing to show yet: the preview of the text appears here as you write."))


def _listing(items: Any) -> str:
    """Return items as prose in the current language ('a, b and c'; 'a, b et c')."""
    words = [str(item) for item in items]
    if i18n.current_language() == i18n.SOURCE:
        return ", ".join(words)
    return i18n.format_list(words)


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
                "base_revision_id": exc.base_revision_id,
                "mine": exc.mine,
                "message": exc.message,
            }
            raise

    result = ui.run_action(action)
    if result is not None:
        if result.mirror_note:
            notes.append(result.mirror_note)
        notice = _("Saved revision {number} of section {code}.").format(
            number=i18n.format_number(result.revision.number), code=section.code
        )
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
        keys = _listing(ui.md(k) for k in unknown)
        st.warning(
            ngettext(
                "This citation key matches no source in the report's library: {keys}. "
                "Correct the key, or add the source on the Evidence page; until then it "
                "will not appear in the bibliography.",
                "These citation keys match no source in the report's library: {keys}. "
                "Correct the keys, or add the sources on the Evidence page; until then they "
                "will not appear in the bibliography.",
                len(unknown),
            ).format(keys=keys)
        )


def _shrink_warning(section: Section, base_text: str, base_label: str, text: str) -> str | None:
    """Say why a save needs confirming (an empty text, or half the words gone), or None."""
    before, after = sections.word_count(base_text), sections.word_count(text)
    where = base_label or _("the saved text")
    if not text.strip() and base_text.strip():
        return ngettext(
            "The text is empty: saving it leaves section {code} with no text ({where} has "
            "{n} word). Every earlier revision stays in the history and can be restored.",
            "The text is empty: saving it leaves section {code} with no text ({where} has "
            "{n} words). Every earlier revision stays in the history and can be restored.",
            before,
        ).format(code=section.code, where=where, n=i18n.format_number(before))
    if before and after * 2 < before:
        return ngettext(
            "This removes more than half of the words: your text has {n} word, {where} has "
            "{before}. Every earlier revision stays in the history and can be restored.",
            "This removes more than half of the words: your text has {n} words, {where} has "
            "{before}. Every earlier revision stays in the history and can be restored.",
            after,
        ).format(n=i18n.format_number(after), where=where, before=i18n.format_number(before))
    return None


def _confirmed(name: str, text: str, warning: str | None, *, asked: bool, label: str) -> bool:
    """Return True when ``text`` may be saved now: asked for with nothing to warn about, or
    asked for, warned about, and confirmed (the warning and buttons show until then)."""
    pending = _state(CONFIRM, {})
    if asked:
        if warning is None:
            pending.pop(name, None)
            return True
        pending[name] = text
    if name not in pending:
        return False
    if pending[name] != text or warning is None:
        pending.pop(name)  # the text changed since: the question no longer stands
        return False
    with st.container(border=True, key=f"{name}_box"):
        st.warning(ui.md_message(warning), icon=":material/warning:")
        row = st.container(horizontal=True)
        if row.button(label, type="primary", key=f"{name}_yes"):
            pending.pop(name)
            return True
        if row.button(_("Keep editing"), key=f"{name}_no"):
            pending.pop(name)
            st.rerun()
    return False


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
    now = ui.label(section.status)
    with st.expander(_("Change the status (now: {status})").format(status=now)):
        if not options:
            st.caption(
                _("From '{status}' only a CLA can move the section on (to accept it).").format(
                    status=now
                )
            )
            return
        st.caption(
            _(
                "Sections move drafting → ready for review → in review → revising → accepted. "
                "Only a CLA accepts a section."
            )
        )
        new = st.selectbox(
            _("New status"),
            options,
            format_func={o: ui.label(o) for o in options}.__getitem__,
            key=f"write_status_{section.id}",
        )
        if st.button(_("Change status"), key=f"write_status_go_{section.id}"):
            done = ui.run_action(
                lambda: sections.set_status(
                    session=s, actor=ctx.person, section=section, status=new
                ),
                success=_("Section {code} is now '{status}'.").format(
                    code=section.code, status=ui.label(new)
                ),
            )
            if done is not None:
                st.rerun()


def _reads_as(s: Session, report_id: int, key: str) -> str:
    """Return how a citation of ``key`` reads in the text, e.g. '(Taufa and Morgan 2023)'."""
    rendered = _rendered(s, report_id, f"[@{key}]")
    return rendered.body.strip()


def _citation_picker(s: Session, report_id: int, section_id: int, text_key: str) -> None:
    """Find a source in the report's library and insert its citation where the cursor is."""
    with st.expander(_("Cite a source from the report's library"), icon=":material/format_quote:"):
        inserted = _state(INSERTED, {}).pop(section_id, None)
        if inserted:
            st.success(
                _("Inserted {citation} where the cursor was.").format(citation=ui.md(inserted))
            )
        query = st.text_input(
            _("Search by author, title or citation key"),
            key="write_cite_query",
            placeholder=_("e.g. Anker, minimum wage, ilo2024"),
        )
        found, total = sources.search_sources(s, report_id=report_id, text=query, limit=20)
        if not found:
            if query.strip():
                st.info(
                    _(
                        "No source matches '{query}'. Try another word, or add the source on "
                        "the Evidence page."
                    ).format(query=ui.md(query))
                )
            else:
                st.info(
                    _("The report's library has no sources yet. Add them on the Evidence page.")
                )
            return
        labels = {
            src.key: _("{authors} ({year}). {title} · key {key}").format(
                authors=src.authors or _("No author"),
                year=src.year or _("n.d."),
                title=ui.shorten(src.title or "", 80),
                key=src.key,
            )
            for src in found
        }
        # A new box for every search: a box kept across searches showed the previous
        # search's source while the page went on with the new search's first match.
        digest = hashlib.sha256(query.strip().lower().encode("utf-8")).hexdigest()[:12]
        key = st.selectbox(
            _("Source to cite"),
            list(labels),
            format_func=labels.__getitem__,
            key=f"write_cite_choice_{section_id}_{digest}",
        )
        if total > len(found):
            st.caption(
                ngettext(
                    "Showing {shown} of {n} matching source: type more to narrow.",
                    "Showing {shown} of {n} matching sources: type more to narrow.",
                    total,
                ).format(shown=i18n.format_number(len(found)), n=i18n.format_number(total))
            )
        reads_as = _reads_as(s, report_id, key)
        st.caption(
            _(
                "Reads in the text as {citation}. Click in your text where it belongs "
                "(or select words to replace), then insert it."
            ).format(citation=ui.md(reads_as))
        )
        caret = _state(CARET, {}).pop(section_id, None)
        result = _cite_at_cursor(
            key=f"write_cite_insert_{section_id}",
            data={
                "target": f"st-key-{text_key}",
                "key": key,
                "label": _("Insert at the cursor"),
                "caret": caret[0] if caret else None,
                "length": caret[1] if caret else None,
                "caret_id": caret[2] if caret else None,
            },
            on_insert_change=lambda: None,
        )
        _insert(s, report_id, section_id, result.insert if result is not None else None)


def _insert(s: Session, report_id: int, section_id: int, payload: Any) -> None:
    """Insert the citation the button sent, into the text it sent, where its cursor was."""
    if not isinstance(payload, dict):
        return
    key, text = payload.get("key"), payload.get("text")
    start, end = payload.get("start"), payload.get("end")
    if not (isinstance(key, str) and isinstance(text, str)):
        return
    if not (isinstance(start, int) and isinstance(end, int)):
        start = end = len(text)
    if key not in sources.sources_by_keys(s, report_id, [key]):
        st.error(_("That source is no longer in the report's library: search again."))
        return
    new_text, caret = rendering.insert_citation(text, start, end, key)
    _state(DRAFTS, {})[section_id] = new_text
    _state(RELOAD, set()).add(section_id)
    _state(CARET, {})[section_id] = (caret, len(new_text), uuid.uuid4().hex)
    _state(INSERTED, {})[section_id] = _reads_as(s, report_id, key)
    st.rerun()


def _marked_changes(old: str, new: str, who: str, *, key: str, height: int | None = None) -> None:
    """Show, in the Markdown source, what one author added and removed, marked as theirs."""
    changes = word_diff(old, new)
    if all(c.op == "equal" for c in changes):
        st.caption(_("No change by {who} here.").format(who=ui.md(who)))
        return
    st.caption(
        _(
            ":green-background[**Bold on green**]: added by {who}. "
            ":red-background[~~Struck through~~]: removed by {who}. Markdown source."
        ).format(who=ui.md(who))
    )
    box = st.container(height=height, border=True, key=key) if height else st.container(key=key)
    with box:
        st.markdown(diff_markdown(changes) or " ")


def _conflict_panel(s: Session, ctx: ui.PageContext, section: Section) -> None:
    """Merge the author's text with a co-author's save: by itself where nothing overlaps."""
    sid = section.id
    conflict = st.session_state[_conflict_key(sid)]
    head_id = conflict["head_revision_id"]
    head = sections.get_revision(s, head_id) if head_id is not None else None
    head_text = head.text if head else ""
    base_text = _revision_text(s, conflict.get("base_revision_id"))
    mine = conflict["mine"]
    who = ""
    if head is not None and head.author_id is not None:
        who = ui.people_names(s, [head.author_id]).get(head.author_id, "")
    them = who or _("your co-author")
    label = _revision_in_sentence(head.number) if head else _("the current text")
    merged = merging.merge(base_text, mine, head_text)
    if merged.clean and merged.text == head_text:
        # Everything the author changed is in the saved text already: nothing to merge.
        st.session_state.pop(_conflict_key(sid), None)
        _state(NOTICE, {})[sid] = (
            _(
                "Your changes are already in {revision} of section {code} (saved by "
                "{who}): nothing more to save."
            ).format(revision=label, code=section.code, who=them),
            [],
            [],
        )
        _follow(sid, head_id, head_text)
        st.rerun()
    message_key = f"write_merge_message_{sid}"
    if merged.clean:
        st.info(
            _(
                "{who} saved {revision} of section {code} while you were writing. Your "
                "changes and theirs are in different places, so both are kept in the merged "
                "text below. Read it and save it."
            ).format(who=ui.md(them), revision=label, code=ui.md(section.code)),
            icon=":material/merge:",
        )
        with st.container(height=EDITOR_HEIGHT // 2 + 80, border=True, key=f"write_merged_{sid}"):
            _preview(s, section.report_id, merged.text)
        theirs_col, mine_col = st.columns(2, gap="medium")
        with theirs_col, st.expander(_("What {who} changed").format(who=them), expanded=False):
            _marked_changes(base_text, head_text, them, key=f"write_theirs_{sid}", height=300)
        with mine_col, st.expander(_("What you changed"), expanded=False):
            _marked_changes(base_text, mine, _("you"), key=f"write_mine_{sid}", height=300)
        merged_text = merged.text
    else:
        overlaps = merged.overlaps
        count = len(overlaps)
        st.warning(
            ngettext(
                "{who} saved {revision} of section {code} while you were writing, and you "
                "both changed the same place. Everything else is merged already. Choose what "
                "it should say; nothing is saved until you save the merged text.",
                "{who} saved {revision} of section {code} while you were writing, and you "
                "both changed the same {n} places. Everything else is merged already. Choose "
                "what each should say; nothing is saved until you save the merged text.",
                count,
            ).format(
                who=ui.md(them),
                revision=label,
                code=ui.md(section.code),
                n=i18n.format_number(count),
            ),
            icon=":material/call_split:",
        )
        choices: list[str | None] = []
        # Labels made now: a picker's format_func may be called after the run.
        choice_labels = {c: _(CHOICE_LABELS[c]) for c in merging.CHOICES}
        for i, overlap in enumerate(overlaps):
            with st.container(border=True, key=f"write_overlap_box_{sid}_{i}"):
                st.markdown(
                    "**"
                    + _("Place {number} of {count}").format(
                        number=i18n.format_number(i + 1), count=i18n.format_number(count)
                    )
                    + "**"
                    if count > 1
                    else "**" + _("The place you both changed") + "**"
                )
                context = merged.context_before(i)
                if context:
                    st.caption(
                        _("After the line (Markdown source): {line}").format(line=ui.md(context))
                    )
                mine_col, theirs_col = st.columns(2, gap="medium")
                with mine_col:
                    st.markdown("**" + _("Your words") + "**")
                    _marked_changes(
                        overlap.base, overlap.mine, _("you"), key=f"write_ov_m_{sid}_{i}"
                    )
                with theirs_col:
                    st.markdown(
                        _("**{who}'s words** ({revision})").format(who=ui.md(them), revision=label)
                    )
                    _marked_changes(overlap.base, overlap.theirs, them, key=f"write_ov_t_{sid}_{i}")
                choices.append(
                    st.radio(
                        _("Keep"),
                        merging.CHOICES,
                        index=None,
                        format_func=choice_labels.__getitem__,
                        horizontal=True,
                        key=f"write_overlap_{sid}_{head_id}_{i}",
                    )
                )
        if any(c is None for c in choices):
            st.caption(_("Choose for every place; then the merged text appears here to save."))
            merged_text = None
        else:
            resolved = merged.resolve(choices)  # type: ignore[arg-type]
            signature = hashlib.sha256(repr(choices).encode()).hexdigest()[:8]
            merge_key = f"write_merge_{sid}_{head_id}_{signature}"
            if merge_key not in st.session_state:
                st.session_state[merge_key] = resolved
            merged_text = st.text_area(
                _(
                    "Merged text (Markdown; polish it before saving if you like — changing a "
                    "choice above starts it again)"
                ),
                key=merge_key,
                height=EDITOR_HEIGHT // 2,
            )
    message = st.text_input(
        _("What did you change?"),
        key=message_key,
        placeholder=(
            _("e.g. Merged with {who}'s {revision}").format(revision=label, who=who)
            if who
            else _("e.g. Merged")
        ),
    )
    buttons = st.container(horizontal=True)
    if buttons.button(
        _("Save the merged text"),
        type="primary",
        key=f"write_merge_save_{sid}",
        disabled=merged_text is None,
    ):
        result = _save(
            s,
            ctx.person,
            section,
            text=merged_text or "",
            base_revision_id=head_id,
            message=message
            or (
                _("Merged with {revision} by {who}").format(revision=label, who=who)
                if who
                else _("Merged with {revision}").format(revision=label)
            ),
        )
        _state(EMPTY, []).append(message_key)
        if result is not None or _conflict_key(sid) in st.session_state:
            st.rerun()
    if merged_text is not None and buttons.button(
        _("Edit it before saving"),
        key=f"write_merge_edit_{sid}",
        help=_(
            "The merged text goes into the editor, based on the current revision; "
            "save it from there."
        ),
    ):
        st.session_state.pop(_conflict_key(sid), None)
        _state(EMPTY, []).append(message_key)
        _follow(sid, head_id, merged_text)
        st.rerun()
    if buttons.button(
        _("Drop my changes and continue from theirs"),
        key=f"write_merge_drop_{sid}",
        help=_("Your changes are discarded; the editor shows the current text."),
    ):
        st.session_state.pop(_conflict_key(sid), None)
        _state(EMPTY, []).append(message_key)
        _follow(sid, head_id, head_text)
        st.rerun()
    with st.expander(_("Both full texts (Markdown source)")):
        mine_col, head_col = st.columns(2, gap="medium")
        mine_col.markdown(_("**Your text** (not saved)"))
        mine_col.code(mine or " ", language="markdown", wrap_lines=True, height=360)
        head_col.markdown(
            _("**Current text** ({revision} by {who})").format(revision=label, who=ui.md(who))
            if who
            else _("**Current text** ({revision})").format(revision=label)
        )
        head_col.code(head_text or " ", language="markdown", wrap_lines=True, height=360)


def _discussions(s: Session, ctx: ui.PageContext, section: Section) -> list[tuple[int, int, int]]:
    """Show the section's discussions (open first) and a form to start one on its lines;
    return the line ranges to mark in the preview (open ones; the opened one in violet)."""
    st.markdown("**" + _("Discussions") + "**")
    key = f"write_talk_{section.id}"
    line_count = len(sections.lines_of(sections.head_text(s, section)))
    with st.container(height=EDITOR_HEIGHT, border=False, key=f"{key}_box"):
        listed = ui.discussion_panel(
            s, ctx, DiscussionTarget.section, section.id, key=key, line_count=line_count
        )
    opened = ui.chosen_thread(key, [x.thread.id for x in listed])
    marks = []
    for summary in listed:
        thread = summary.thread
        if thread.from_line is None or (summary.resolved and thread.id != opened):
            continue
        last = thread.to_line or thread.from_line
        marks.append((thread.from_line, last, 1 if thread.id == opened else 0))
    # The opened discussion's lines last, so its colour wins where ranges overlap.
    return sorted(marks, key=lambda m: m[2])


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

    edit_col, preview_col, talk_col = st.columns([4, 4, 3], gap="medium")
    with talk_col:
        marks = _discussions(s, ctx, section)
    with edit_col:
        text = st.text_area(
            _("Text (Markdown)"),
            key=text_key,
            height=EDITOR_HEIGHT,
            placeholder=_(
                "Start writing. One sentence per line keeps line numbers meaningful "
                "for reviewers; cite a source with the picker below."
            ),
            help=_(
                "Markdown: `# Heading`, `**bold**`, `*italic*`, `- list item`; a citation is "
                "the source's key in brackets after an @, like `[@ilo2024]` (the picker below "
                "writes it for you). Press Ctrl+Enter or click outside the box to update the "
                "preview and word count."
            ),
        )
        drafts[sid] = text
        _citation_picker(s, section.report_id, sid, text_key)
    with preview_col:
        st.markdown(_("**Preview** (as the exported report reads)"))
        with st.container(height=EDITOR_HEIGHT, border=True, key=f"write_preview_{sid}"):
            _preview(s, section.report_id, text, marks)
        if marks:
            st.caption(
                _(
                    ":orange-background[Marked]: lines open discussions point at; "
                    ":violet-background[marked]: the discussion opened beside. Line numbers "
                    "are those of the saved text when the discussion began."
                )
            )

    words = sections.word_count(text)
    if section.word_target:
        share = words / section.word_target
        st.progress(
            min(share, 1.0),
            text=ngettext(
                "{n} of {target} word ({share} of the target)",
                "{n} of {target} words ({share} of the target)",
                section.word_target,
            ).format(
                n=i18n.format_number(words),
                target=i18n.format_number(section.word_target),
                share=i18n.format_percent(share),
            ),
        )
        if share > 1.1:
            over = words - section.word_target
            st.caption(
                ":orange["
                + ngettext("{n} word over the target.", "{n} words over the target.", over).format(
                    n=i18n.format_number(over)
                )
                + "]"
            )
    else:
        st.caption(
            ngettext(
                "{n} word · no word target set for this section",
                "{n} words · no word target set for this section",
                words,
            ).format(n=i18n.format_number(words))
        )
    keys = sections.extract_citation_keys(text)
    if keys:
        st.caption(
            ngettext("Cites {n} source.", "Cites {n} sources.", len(keys)).format(
                n=i18n.format_number(len(keys))
            )
        )

    dirty = text != base_text
    head_no = _revision_number(s, base_id)
    if dirty:
        st.caption(
            _("● Unsaved changes, based on {revision}.").format(revision=head_no)
            if head_no
            else _("● Unsaved new text.")
        )
    else:
        st.caption(
            _("All changes saved ({revision}).").format(revision=head_no)
            if head_no
            else _("No text yet.")
        )
    message_key = f"write_message_{sid}"
    message = st.text_input(
        _("What did you change? (optional, shown in the history)"),
        key=message_key,
        placeholder=_("e.g. Answered FOD comments 12–15; added ILO 2024 figures"),
    )
    buttons = st.container(horizontal=True)
    asked = buttons.button(_("Save"), type="primary", key=f"write_save_{sid}", disabled=not dirty)
    if dirty and buttons.button(
        _("Discard unsaved changes"),
        key=f"write_discard_{sid}",
        help=_("Go back to the last saved text. What you typed since is thrown away."),
    ):
        _state(CONFIRM, {}).pop(f"write_confirm_{sid}", None)
        _follow(sid, section.head_revision_id, sections.head_text(s, section))
        st.rerun()
    warning = _shrink_warning(section, base_text, head_no, text) if dirty else None
    go = _confirmed(
        f"write_confirm_{sid}",
        text,
        warning,
        asked=asked,
        label=_("Save the empty text") if not text.strip() else _("Save anyway"),
    )
    if go and dirty:
        result = _save(s, ctx.person, section, text=text, base_revision_id=base_id, message=message)
        if result is not None:
            _state(EMPTY, []).append(message_key)
            st.rerun()
        if _conflict_key(sid) in st.session_state:
            st.rerun()


def _revision_number(s: Session, revision_id: int | None) -> str:
    if revision_id is None:
        return ""
    number = sections.get_revision(s, revision_id).number
    return _revision_in_sentence(number)


def _upload(s: Session, ctx: ui.PageContext, section: Section) -> None:
    """Save an uploaded Word, Markdown or text file as the section's new revision."""
    sid = section.id
    st.write(
        _(
            "Upload a Word document (.docx) or a Markdown (.md) or plain-text (.txt) file "
            "saved as UTF-8. Its text becomes the section's new revision; the history keeps "
            "every earlier one. From Word, headings, lists, tables and footnotes are kept; "
            "images are not (the page says which were left out)."
        )
    )
    dirty = _state(DRAFTS, {}).get(sid, "") != _revision_text(s, _state(BASES, {}).get(sid))
    upload_round = _state("write_upload_round", 0)
    uploaded = st.file_uploader(
        _("Word, Markdown or text file"),
        type=["docx", "md", "markdown", "txt"],
        key=f"write_upload_{sid}_{upload_round}",
    )
    message = st.text_input(
        _("What is this version? (optional)"),
        key=f"write_upload_message_{sid}",
        placeholder=_("e.g. Text agreed at the authors' meeting"),
    )
    if dirty:
        st.warning(
            _(
                "You have unsaved changes in the editor. Save or discard them on the Write "
                "tab first: an upload would otherwise replace them."
            )
        )
    asked = st.button(
        _("Save the file as a new revision"),
        type="primary",
        key=f"write_upload_save_{sid}",
        disabled=uploaded is None or dirty,
    )
    if uploaded is None or dirty:
        return
    word_file = None
    text = ""
    if uploaded.name.lower().endswith(".docx"):
        word_file = (uploaded.name, uploaded.getvalue())
        go = asked
    else:
        try:
            text = uploaded.getvalue().decode("utf-8-sig")
        except UnicodeDecodeError:
            if asked:
                st.error(
                    _(
                        "'{file}' is not UTF-8 text, so it was not saved. Open it in your "
                        "editor and save it as UTF-8 (in Word: Save As → Plain Text → Unicode "
                        "(UTF-8)), or upload the Word document itself."
                    ).format(file=ui.md(uploaded.name))
                )
            return
        if "\x00" in text:
            if asked:
                st.error(
                    _("'{file}' is not a text file, so it was not saved.").format(
                        file=ui.md(uploaded.name)
                    )
                )
            return
        base_id = _state(BASES, {}).get(sid)
        warning = _shrink_warning(
            section, _revision_text(s, base_id), _revision_number(s, base_id), text
        )
        go = _confirmed(
            f"write_confirm_upload_{sid}",
            text,
            warning,
            asked=asked,
            label=_("Save the empty file") if not text.strip() else _("Save anyway"),
        )
    if not go:
        return
    with st.spinner(_("Reading {file}…").format(file=ui.md(uploaded.name))):
        result = _save(
            s,
            ctx.person,
            section,
            text=text,
            base_revision_id=_state(BASES, {}).get(sid),
            message=message or _("Uploaded {file}").format(file=uploaded.name),
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
    __, total = sections.revision_history(s, section_id=sid, limit=1)
    if total == 0:
        st.info(_("No revisions yet. Write the first one on the Write tab and save it."))
        return
    offset = ui.pager(total, key=f"write_history_page_{sid}", page_size=50)
    rows, __ = sections.revision_history(s, section_id=sid, limit=50, offset=offset)
    changes = sections.revision_changes(s, [r.id for r in rows])
    added, removed = _("Added"), _("Removed")
    st.dataframe(
        ui.safe_table(
            [
                {
                    _("Revision"): r.number,
                    _("Author"): r.author_name,
                    _("Saved (UTC)"): i18n.format_datetime(r.created_at, format="dd MMM y HH:mm"),
                    _("Message"): r.message,
                    _("Words"): r.words,
                    added: changes[r.id].words_added,
                    removed: changes[r.id].words_deleted,
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        key=f"write_history_table_{sid}",
        column_config={
            added: st.column_config.NumberColumn(help=_("Words added since the revision before")),
            removed: st.column_config.NumberColumn(
                help=_("Words removed against the revision before")
            ),
        },
    )
    st.subheader(_("Compare"))
    stages = reviews.draft_stages(s, section_id=sid)
    by_label: dict[str, int] = {}
    for stage in stages:
        by_label[
            _("{round} draft (revision {number})").format(
                round=stage.round_name, number=i18n.format_number(stage.revision_number)
            )
        ] = stage.revision_number
    for number in range(total, 0, -1):
        by_label.setdefault(_revision_label(number), number)
    labels = list(by_label)
    if total < 2:
        st.caption(
            _("There is only one revision. Once a second is saved you can compare them here.")
        )
    else:
        st.caption(
            _(
                "Pick two revisions, or two draft stages (the text each review round froze), "
                "to see what changed between them, word by word."
            )
        )
        newest = _revision_label(total)
        old_col, new_col = st.columns(2)
        default_old = next((i for i, label in enumerate(labels) if by_label[label] < total), 0)
        for pick in (f"write_diff_from_{sid}", f"write_diff_to_{sid}"):
            # A choice made in another interface language is not among these labels.
            if st.session_state.get(pick) not in by_label:
                st.session_state.pop(pick, None)
        old_label = old_col.selectbox(
            _("Older"), labels, index=default_old, key=f"write_diff_from_{sid}"
        )
        new_label = new_col.selectbox(
            _("Newer"), labels, index=labels.index(newest), key=f"write_diff_to_{sid}"
        )
        old_no, new_no = by_label[old_label], by_label[new_label]
        if old_no == new_no:
            st.info(_("These are the same revision: pick two different ones to see what changed."))
        else:
            old = sections.get_revision_by_number(s, section_id=sid, number=old_no)
            new = sections.get_revision_by_number(s, section_id=sid, number=new_no)
            st.markdown(f"**{ui.md(old_label)} → {ui.md(new_label)}**")
            st.caption(
                _(
                    "Changes in the Markdown source: citations show as their keys and "
                    "formatting signs as typed. The Write tab's preview shows the text as "
                    "readers see it."
                )
            )
            ui.diff_view(old.text, new.text, key=f"write_diff_{sid}")
    _restore(s, ctx, section, total)


def _revision_label(number: int) -> str:
    """Return how a revision is named in the pickers ('Revision 3')."""
    return _("Revision {number}").format(number=i18n.format_number(number))


def _revision_in_sentence(number: int) -> str:
    """Return a revision named inside a sentence ('revision 3'): the picker's name, lower case
    first, so both read the same in every language."""
    label = _revision_label(number)
    return label[:1].lower() + label[1:]


def _restore(s: Session, ctx: ui.PageContext, section: Section, total: int) -> None:
    """Save an earlier revision's text as the newest one (nothing is deleted)."""
    if total < 2 or not sections.can_write(s, ctx.person, section):
        return
    sid = section.id
    with st.expander(_("Restore an earlier revision"), icon=":material/history:"):
        st.caption(
            _(
                "Its text becomes the newest revision; every revision stays in the history, "
                "so a restore can itself be undone."
            )
        )
        number = st.selectbox(
            _("Revision to restore"),
            list(range(total - 1, 0, -1)),
            format_func={n: _revision_label(n) for n in range(1, total)}.__getitem__,
            key=f"write_restore_pick_{sid}",
        )
        if st.button(
            _("Restore revision {number}").format(number=i18n.format_number(number)),
            key=f"write_restore_{sid}",
        ):
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
                notice = _("Restored revision {old} as revision {new} of section {code}.").format(
                    old=i18n.format_number(number),
                    new=i18n.format_number(result.revision.number),
                    code=section.code,
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
            whose = _("you lead it")
        elif x.id in mine:
            whose = _("you co-author it")
        else:
            lead = names.get(x.lead_author_id) or _("no lead author")
            whose = lead if is_cla else _("{lead} · read only").format(lead=lead)
        return f"{x.code} {x.title} — {whose}"

    # Labels are made now: the section objects are not read again once the session closes.
    labels = {x.id: describe(x) for x in ordered}
    wanted = st.query_params.get("section")
    if wanted and wanted != st.session_state.get("write_section_param"):
        st.session_state["write_section_param"] = wanted
        if wanted.isdigit() and int(wanted) in by_id:
            st.session_state["write_section"] = int(wanted)
        else:
            st.warning(
                _("The address names section {section}, which is not in this report.").format(
                    section=ui.md(wanted)
                )
            )
    if st.session_state.get("write_section") not in by_id:
        st.session_state.pop("write_section", None)
    chosen = st.selectbox(
        _("Section of the report"), list(by_id), format_func=labels.__getitem__, key="write_section"
    )
    st.query_params["section"] = str(chosen)
    st.session_state["write_section_param"] = str(chosen)
    return by_id[chosen]


with ui.session() as s:
    ctx = ui.page_context(s)
    st.title(_("Write"))
    ui.require(ctx, s, Action.read_report)
    if not ctx.has(*AUTHORS):
        st.error(
            _(
                "Not permitted. The Write page is for the report's authors: Coordinating Lead "
                "Authors, Lead Authors and Contributing Authors. You can read the report's "
                "evidence and recommendations on the other pages."
            )
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
            _(
                "This report has no sections yet. A Coordinating Lead Author creates the "
                "outline on the Outline & assignments page; then its sections appear here."
            )
        )
        st.stop()
    section = _choose_section(s, ctx, listed)

    st.header(f"{ui.md(section.code)} {ui.md(section.title)}")
    people = ui.people_names(s, [section.lead_author_id, *sections.coauthor_ids(s, section.id)])
    coauthors = [people[p] for p in sections.coauthor_ids(s, section.id) if p in people]
    facts = [
        f"**{ui.md(ui.label(section.question))}**",
        _("Status: **{status}**").format(status=ui.label(section.status)),
        _("Lead author: {name}").format(
            name=ui.md(people.get(section.lead_author_id) or _("not assigned"))
        ),
    ]
    if coauthors:
        facts.append(_("Co-authors: {names}").format(names=ui.md(_listing(coauthors))))
    if section.word_target:
        facts.append(
            ngettext("Target: {n} word", "Target: {n} words", section.word_target).format(
                n=i18n.format_number(section.word_target)
            )
        )
    if section.due_date:
        facts.append(
            _("Due {date}").format(date=i18n.format_date(section.due_date, format="dd MMMM y"))
        )
    st.markdown(" · ".join(facts))
    with st.expander(
        _("Brief: what this section should do"), expanded=not section.head_revision_id
    ):
        if section.brief.strip():
            st.markdown(ui.no_images(section.brief))
        else:
            st.caption(_("No brief yet. The CLAs write briefs on the Outline & assignments page."))
    _status_control(s, ctx, section)

    refusal = sections.write_refusal(s, ctx.person, section)
    if refusal:
        st.info(
            _("{reason} You can read the text and its history here.").format(
                reason=ui.md_message(refusal)
            )
        )
        read_tab, history_tab = st.tabs(
            [_(":material/article: Text"), _(":material/history: History")]
        )
        with read_tab:
            read_col, talk_col = st.columns([2, 1], gap="medium")
            with talk_col:
                marks = _discussions(s, ctx, section)
            with read_col:
                _preview(s, section.report_id, sections.head_text(s, section), marks)
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
            _(":material/edit: Write"),
            _(":material/history: History"),
            _(":material/upload_file: Upload a file"),
        ]
    )
    with write_tab:
        _editor(s, ctx, section)
    with history_tab:
        _history(s, ctx, section)
    with upload_tab:
        _upload(s, ctx, section)
