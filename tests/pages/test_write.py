"""The Write page: authors draft, cite, save, merge conflicts, upload files and read the history."""

from __future__ import annotations

import base64
import re

import pypandoc
import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, CONTRIBUTOR, LA, ROLES, texts
from workbench import people, sections
from workbench.models import Report, Section, SectionRevision, SectionStatus

PAGE = "views/write.py"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
AUTHOR_ROLES = {"cla", "lead_author", "contributing_author"}


def section_by_code(db: Session, code: str, report: str = "living-wages") -> Section:
    report_id = db.exec(select(Report.id).where(Report.slug == report)).one()
    return sections.get_section_by_code(db, report_id, code)


def head(db: Session, section_id: int) -> SectionRevision:
    db.expire_all()
    section = db.get(Section, section_id)
    return db.get(SectionRevision, section.head_revision_id)


def choose(at: AppTest, section: Section) -> AppTest:
    at.selectbox(key="write_section").set_value(section.id).run()
    assert not at.exception
    return at


def block(at: AppTest, key: str):
    """Return the container the page made with this key."""
    todo = list(at._tree.children.values())
    while todo:
        node = todo.pop()
        if str(getattr(node.proto, "id", "") or "").endswith(f"-{key}"):
            return node
        todo += list(getattr(node, "children", {}).values())
    raise AssertionError(f"no container {key!r} on the page")


def preview(at: AppTest) -> str:
    """Return what the Write tab's preview shows (its Markdown), as one string."""
    section_id = at.selectbox(key="write_section").value
    return "\n".join(m.value for m in block(at, f"write_preview_{section_id}").markdown)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_runs_the_page_and_only_authors_may_write(role, open_page, open_file):
    email = ROLES[role]
    at = open_page(PAGE, email) if role in AUTHOR_ROLES else open_file(PAGE, email)
    assert not at.exception
    shown = texts(at)
    if role in AUTHOR_ROLES:
        assert "Not permitted" not in shown
        assert "Brief" in " ".join(e.label for e in at.expander)
        assert at.text_area, "an author gets the editor"
        assert "Preview" in shown
    else:
        assert "Not permitted" in shown
        assert not at.text_area


def test_a_lead_author_saves_a_revision_of_the_section_they_lead(open_page, db):
    section = section_by_code(db, "3.1")
    before = head(db, section.id)
    at = choose(open_page(PAGE, LA), section)
    assert "3.1" in at.header[0].value
    assert "you lead it" in at.selectbox(key="write_section").format_func(section.id)
    new_text = (
        before.text + "Employers with market power hold wages down [@lindqvist2022monopsony].\n"
    )
    at.text_area(key=f"write_text_{section.id}").input(new_text)
    at.text_input(key=f"write_message_{section.id}").input("Tighter opening")
    at.run()
    assert "Unsaved changes" in texts(at)
    at.button(key=f"write_save_{section.id}").click().run()
    assert not at.exception
    saved = head(db, section.id)
    assert saved.text == new_text
    assert saved.number == before.number + 1 and saved.parent_id == before.id
    assert saved.message == "Tighter opening"
    assert saved.author_id == people.get_by_email(db, LA).id
    assert f"Saved revision {saved.number} of section 3.1" in texts(at)
    # The editor is now based on the new revision: nothing left to save.
    assert at.text_area(key=f"write_text_{section.id}").value == new_text
    assert at.button(key=f"write_save_{section.id}").disabled


def test_unknown_citation_keys_are_marked_in_the_preview_and_warned_on_save(open_page, db):
    section = section_by_code(db, "3.1")
    typed = head(db, section.id).text + "A claim [@nosuchkey2099].\n"
    at = choose(open_page(PAGE, LA), section)
    at.text_area(key=f"write_text_{section.id}").input(typed).run()
    assert ":orange-background[**nosuchkey2099?**]" in preview(at)
    assert "Not in the report's library (marked above): nosuchkey2099" in texts(at)
    at.button(key=f"write_save_{section.id}").click().run()
    warnings = " ".join(w.value for w in at.warning)
    assert "nosuchkey2099" in warnings and "matches no source" in warnings
    assert head(db, section.id).text == typed


def test_typed_text_survives_switching_sections(open_page, db):
    led, co_written = section_by_code(db, "3.1"), section_by_code(db, "1.1")
    at = choose(open_page(PAGE, LA), led)
    at.text_area(key=f"write_text_{led.id}").input("Unsaved words.").run()
    choose(at, co_written)
    assert "1.1" in at.header[0].value
    choose(at, led)
    assert at.text_area(key=f"write_text_{led.id}").value == "Unsaved words."


def test_user_html_is_shown_as_text_never_rendered(open_page, db):
    section = section_by_code(db, "3.1")
    at = choose(open_page(PAGE, LA), section)
    typed = "Hello <script>alert('x')</script> and <b>bold</b> $5 a day.\n"
    at.text_area(key=f"write_text_{section.id}").input(typed).run()
    previews = [m for m in at.markdown if "<script>" in m.value]
    assert previews, "the preview shows what was typed"
    assert all(not m.allow_html for m in at.markdown)
    assert "<b>bold</b>" in previews[0].value
    assert "\\$5" in previews[0].value  # an amount, not the start of a formula


def test_uploading_a_markdown_file_creates_a_revision(open_page, db):
    section = section_by_code(db, "3.1")
    before = head(db, section.id)
    at = choose(open_page(PAGE, LA), section)
    content = "# Obstacles\n\nUploaded from my laptop — with an é.\n"
    at.file_uploader(key=f"write_upload_{section.id}_0").set_value(
        ("obstacles.md", content.encode("utf-8"), "text/markdown")
    )
    at.run()
    at.button(key=f"write_upload_save_{section.id}").click().run()
    assert not at.exception
    assert "removes more than half of the words" in texts(at)
    assert head(db, section.id).id == before.id, "nothing is saved before the author confirms"
    at.button(key=f"write_confirm_upload_{section.id}_yes").click().run()
    assert not at.exception
    saved = head(db, section.id)
    assert saved.text == content
    assert saved.parent_id == before.id
    assert saved.message == "Uploaded obstacles.md"
    assert at.text_area(key=f"write_text_{section.id}").value == content


def test_uploading_a_word_document_creates_a_revision_and_reports_images(open_page, db, tmp_path):
    section = section_by_code(db, "3.1")
    before = head(db, section.id)
    source = tmp_path / "draft.md"
    image = tmp_path / "chart.png"
    image.write_bytes(PNG)
    source.write_text(
        "## Wage floors\n\nA paragraph written in Word.\n\n- first point\n- second point\n\n"
        f"![A chart]({image})\n",
        encoding="utf-8",
    )
    word = tmp_path / "draft.docx"
    pypandoc.convert_file(str(source), "docx", outputfile=str(word))
    at = choose(open_page(PAGE, LA), section)
    at.file_uploader(key=f"write_upload_{section.id}_0").set_value(
        ("draft.docx", word.read_bytes(), "application/octet-stream")
    )
    at.run()
    at.button(key=f"write_upload_save_{section.id}").click().run()
    assert not at.exception
    saved = head(db, section.id)
    assert saved.parent_id == before.id
    assert "A paragraph written in Word." in saved.text and "- first point" in saved.text
    assert saved.message == "Uploaded draft.docx"
    assert "not imported" in texts(at)


def test_a_save_says_when_the_history_mirror_is_behind(open_page, db, tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the mirror should be")
    monkeypatch.setenv("WORKBENCH_MIRROR_PATH", str(blocked))
    section = section_by_code(db, "3.1")
    before = head(db, section.id)
    at = choose(open_page(PAGE, LA), section)
    at.text_area(key=f"write_text_{section.id}").input(before.text + "\nOne more line.").run()
    at.text_input(key=f"write_message_{section.id}").input("Saved while the mirror is away").run()
    at.button(key=f"write_save_{section.id}").click().run()
    assert not at.exception
    assert head(db, section.id).number == before.number + 1  # the save itself succeeded
    assert "history mirror is behind" in texts(at)


def test_a_file_that_is_not_utf8_is_refused_clearly(open_page, db):
    section = section_by_code(db, "3.1")
    before = head(db, section.id)
    at = choose(open_page(PAGE, LA), section)
    at.file_uploader(key=f"write_upload_{section.id}_0").set_value(
        ("latin1.txt", "Salaire décent".encode("latin-1"), "text/plain")
    )
    at.run()
    at.button(key=f"write_upload_save_{section.id}").click().run()
    assert not at.exception
    assert "is not UTF-8 text" in texts(at)
    assert head(db, section.id).id == before.id


def test_history_lists_revisions_and_shows_a_word_diff(open_page, db):
    section = section_by_code(db, "1.1")  # three revisions in the demo
    at = choose(open_page(PAGE, CLA), section)
    table = at.dataframe[0].value
    assert list(table["Revision"]) == [3, 2, 1]
    assert {"Author", "Saved (UTC)", "Message", "Words", "Added", "Removed"} <= set(table.columns)
    first = table.set_index("Revision").loc[1]
    assert first["Added"] == first["Words"] and first["Removed"] == 0
    at.selectbox(key=f"write_diff_from_{section.id}").set_value("Revision 1").run()
    shown = texts(at)
    assert "Revision 1 → Revision 3" in shown
    assert "words added" in shown and "words removed" in shown
    diff = next(
        m.value for m in at.markdown if ":green-background[**" in m.value and "\\" in m.value
    )
    assert ":red-background[~~" in diff


def test_two_draft_stages_can_be_compared(open_page, db):
    section = section_by_code(db, "1.1")
    at = choose(open_page(PAGE, CLA), section)
    options = at.selectbox(key=f"write_diff_from_{section.id}").options
    fod = next(o for o in options if o.startswith("FOD draft"))
    sod = next(o for o in options if o.startswith("SOD draft"))
    at.selectbox(key=f"write_diff_from_{section.id}").set_value(fod)
    at.selectbox(key=f"write_diff_to_{section.id}").set_value(sod).run()
    assert not at.exception
    assert f"{fod} → {sod}" in texts(at)


def test_an_old_revision_is_restored_as_the_newest(open_page, db):
    section = section_by_code(db, "1.1")
    first = db.exec(
        select(SectionRevision).where(
            SectionRevision.section_id == section.id, SectionRevision.number == 1
        )
    ).one()
    at = choose(open_page(PAGE, CLA), section)
    at.selectbox(key=f"write_restore_pick_{section.id}").set_value(1)
    at.button(key=f"write_restore_{section.id}").click().run()
    assert not at.exception
    restored = head(db, section.id)
    assert restored.number == 4 and restored.text == first.text
    assert restored.message == "Restored revision 1"
    assert "Restored revision 1 as revision 4" in texts(at)


def test_a_lead_author_moves_their_section_on(open_page, db):
    section = section_by_code(db, "3.1")
    assert section.status == SectionStatus.in_review
    at = choose(open_page(PAGE, LA), section)
    status = at.selectbox(key=f"write_status_{section.id}")
    assert status.options == ["Revising"]
    at.button(key=f"write_status_go_{section.id}").click().run()
    assert not at.exception
    db.expire_all()
    assert db.get(Section, section.id).status == SectionStatus.revising
    assert "Status: **Revising**" in texts(at)


def cite_box(at: AppTest):
    return next(b for b in at.selectbox if str(b.key).startswith("write_cite_choice_"))


def test_the_citation_picker_shows_the_source_of_each_search_and_how_it_reads(open_page, db):
    section = section_by_code(db, "3.1")
    at = choose(open_page(PAGE, LA), section)
    at.text_input(key="write_cite_query").input("monopsony").run()
    first = cite_box(at)
    assert first.value == "lindqvist2022monopsony"
    assert "Reads in the text as (Lindqvist and Barros 2022)" in texts(at)
    at.text_input(key="write_cite_query").input("taufa").run()
    box = cite_box(at)
    # A new box for the new search: it shows the source the button inserts.
    assert box.key != first.key
    assert box.value == "taufa2023pacific"
    assert box.format_func(box.value).startswith("Taufa")
    assert "Reads in the text as (Taufa and Morgan 2023)" in texts(at)
    assert "Reads in the text as (Lindqvist" not in texts(at)


def test_a_section_someone_else_writes_is_read_only(open_page, db):
    other = section_by_code(db, "4.4")
    at = choose(open_page(PAGE, CONTRIBUTOR), other)
    assert not at.exception
    assert "not an author of section 4.4" in texts(at)
    assert not at.text_area
    assert at.dataframe, "the history can still be read"


def test_the_address_opens_a_section(open_file, db):
    section = section_by_code(db, "3.1")
    at = open_file(PAGE, LA, section=str(section.id))
    assert not at.exception
    assert "3.1" in at.header[0].value
    at = open_file(PAGE, LA, section="999999")
    assert "not in this report" in texts(at)


def test_an_untouched_editor_follows_a_co_authors_save(open_page, db):
    section = section_by_code(db, "3.1")
    at = choose(open_page(PAGE, LA), section)
    cla = people.get_by_email(db, CLA)
    theirs = sections.save_revision(
        session=db,
        actor=cla,
        section=db.get(Section, section.id),
        text="Saved by the CLA meanwhile.\n",
        base_revision_id=section.head_revision_id,
    ).revision
    at.run()
    assert not at.exception
    assert at.text_area(key=f"write_text_{section.id}").value == theirs.text
    assert f"All changes saved (revision {theirs.number})" in texts(at)


def save_meanwhile(db: Session, section: Section, text: str, email: str = CLA) -> SectionRevision:
    """Save a revision as a co-author would from another browser."""
    db.expire_all()
    fresh = db.get(Section, section.id)
    return sections.save_revision(
        session=db,
        actor=people.get_by_email(db, email),
        section=fresh,
        text=text,
        base_revision_id=fresh.head_revision_id,
        message="Saved meanwhile",
    ).revision


def test_the_preview_renders_citations_as_the_export_with_references(open_page, db):
    section = section_by_code(db, "3.1")  # cites Lindqvist and Barros 2022, p. 17, and others
    at = choose(open_page(PAGE, LA), section)
    shown = preview(at)
    assert "(Lindqvist and Barros 2022, 17)" in shown
    assert "**References**" in shown
    assert "Lindqvist, Erik, and Paula Barros. 2022." in shown
    assert "[@" not in shown
    assert "[@" not in texts(at), "no raw citation key anywhere a person reads text"


def test_saving_an_empty_text_asks_first(open_page, db):
    section = section_by_code(db, "3.1")
    before = head(db, section.id)
    at = choose(open_page(PAGE, LA), section)
    at.text_area(key=f"write_text_{section.id}").input("").run()
    at.button(key=f"write_save_{section.id}").click().run()
    assert not at.exception
    assert "The text is empty: saving it leaves section 3.1 with no text" in texts(at)
    assert head(db, section.id).id == before.id, "nothing is saved before the author confirms"

    at.button(key=f"write_confirm_{section.id}_no").click().run()  # Keep editing
    assert "The text is empty" not in texts(at)
    assert head(db, section.id).id == before.id

    at.button(key=f"write_save_{section.id}").click().run()
    confirm = at.button(key=f"write_confirm_{section.id}_yes")
    assert confirm.label == "Save the empty text"
    confirm.click().run()
    assert not at.exception
    saved = head(db, section.id)
    assert saved.number == before.number + 1 and saved.text == ""
    assert f"Saved revision {saved.number} of section 3.1" in texts(at)


def test_a_save_that_loses_more_than_half_the_words_says_so_first(open_page, db):
    section = section_by_code(db, "3.1")
    before = head(db, section.id)
    lines = before.text.splitlines(keepends=True)
    at = choose(open_page(PAGE, LA), section)
    # Cutting the last sentence is ordinary editing: saved at once, no question.
    trimmed = "".join(lines[:-1])
    at.text_area(key=f"write_text_{section.id}").input(trimmed).run()
    at.button(key=f"write_save_{section.id}").click().run()
    assert "more than half" not in texts(at)
    trimmed_revision = head(db, section.id)
    assert trimmed_revision.text == trimmed

    shorter = lines[0]
    at.text_area(key=f"write_text_{section.id}").input(shorter).run()
    at.button(key=f"write_save_{section.id}").click().run()
    words_now, words_before = sections.word_count(shorter), sections.word_count(trimmed)
    assert (
        f"This removes more than half of the words: your text has {words_now:,} words, "
        f"revision {trimmed_revision.number} has {words_before:,}."
    ) in texts(at)
    assert head(db, section.id).id == trimmed_revision.id, "nothing saved before confirming"
    at.button(key=f"write_confirm_{section.id}_yes").click().run()
    assert head(db, section.id).text == shorter


def test_edits_in_different_places_merge_and_save_with_one_click(open_page, db):
    section = section_by_code(db, "3.1")
    base = head(db, section.id)
    lines = base.text.splitlines(keepends=True)
    mine = "".join(
        ["In a textbook labour market, an underpaying employer loses its staff.\n", *lines[1:]]
    )
    at = choose(open_page(PAGE, LA), section)
    at.text_area(key=f"write_text_{section.id}").input(mine).run()

    theirs = save_meanwhile(db, section, "".join(lines[:-1]) + "A new closing line by the CLA.\n")
    at.button(key=f"write_save_{section.id}").click().run()
    assert not at.exception
    shown = texts(at)
    assert "Amina Diallo saved revision" in shown and "in different places" in shown
    merged_preview = "\n".join(m.value for m in block(at, f"write_merged_{section.id}").markdown)
    assert "an underpaying employer loses its staff" in merged_preview
    assert "A new closing line by the CLA." in merged_preview
    assert head(db, section.id).id == theirs.id, "nothing saved over the co-author's text yet"

    at.button(key=f"write_merge_save_{section.id}").click().run()
    assert not at.exception
    saved = head(db, section.id)
    assert saved.parent_id == theirs.id, "the merge is saved on top of the co-author's revision"
    assert saved.author_id == people.get_by_email(db, LA).id
    assert saved.text.startswith("In a textbook labour market, an underpaying employer")
    assert saved.text.endswith("A new closing line by the CLA.\n")
    assert saved.text.count("\n") == len(lines)
    assert f"Saved revision {saved.number} of section 3.1" in texts(at)
    assert at.text_area(key=f"write_text_{section.id}").value == saved.text


def test_overlapping_edits_are_shown_side_by_side_with_their_words_as_added(open_page, db):
    section = section_by_code(db, "3.1")
    base = head(db, section.id)
    lines = base.text.splitlines(keepends=True)
    mine_line = "In a textbook labour market, an underpaying employer loses its staff.\n"
    their_line = "Textbook models say a low-paying employer would see its workers leave.\n"
    at = choose(open_page(PAGE, LA), section)
    at.text_area(key=f"write_text_{section.id}").input(mine_line + "".join(lines[1:])).run()
    theirs = save_meanwhile(db, section, their_line + "".join(lines[1:]))
    at.button(key=f"write_save_{section.id}").click().run()
    assert not at.exception
    shown = texts(at)
    assert "you both changed the same place" in shown
    assert "**Your words**" in shown and "**Amina Diallo's words**" in shown
    # Their words are marked as added by them, not as removed.
    assert "added by Amina Diallo" in shown
    assert ":green-background[**Textbook models say**]" in shown
    assert ":green-background[**low\\-paying**]" in shown
    removed = " ".join(re.findall(r":red-background\[~~(.*?)~~\]", shown))
    assert "Textbook models" not in removed and "low\\-paying" not in removed
    save = at.button(key=f"write_merge_save_{section.id}")
    assert save.disabled, "a place both changed needs a choice first"

    at.radio(key=f"write_overlap_{section.id}_{theirs.id}_0").set_value("both").run()
    merged = next(a for a in at.text_area if str(a.key).startswith(f"write_merge_{section.id}_"))
    assert merged.value == their_line + mine_line + "".join(lines[1:])
    at.button(key=f"write_merge_save_{section.id}").click().run()
    assert not at.exception
    saved = head(db, section.id)
    assert saved.parent_id == theirs.id
    assert saved.text == their_line + mine_line + "".join(lines[1:])


def test_the_same_edit_by_both_needs_no_merge(open_page, db):
    section = section_by_code(db, "3.1")
    base = head(db, section.id)
    same = base.text + "A sentence both authors added.\n"
    at = choose(open_page(PAGE, LA), section)
    at.text_area(key=f"write_text_{section.id}").input(same).run()
    theirs = save_meanwhile(db, section, same)
    at.button(key=f"write_save_{section.id}").click().run()
    assert not at.exception
    assert f"Your changes are already in revision {theirs.number}" in texts(at)
    assert head(db, section.id).id == theirs.id, "no second, identical revision"
    assert f"All changes saved (revision {theirs.number})" in texts(at)


def in_language(at: AppTest, language: str) -> AppTest:
    """Show the open page in another interface language, as ?lang= would."""
    at.session_state["interface_language"] = language
    at.run()
    return at


def test_a_french_author_merges_a_co_authors_save_in_french(open_page, db):
    section = section_by_code(db, "3.1")
    lines = head(db, section.id).text.splitlines(keepends=True)
    mine_line = "Dans un marché du travail théorique, l'employeur qui paie mal perd ses salariés.\n"
    their_line = "Textbook models say a low-paying employer would see its workers leave.\n"
    at = choose(in_language(open_page(PAGE, LA), "fr"), section)
    assert at.title[0].value == "Rédiger"
    at.text_area(key=f"write_text_{section.id}").input(mine_line + "".join(lines[1:])).run()
    assert "Modifications non enregistrées" in texts(at)
    theirs = save_meanwhile(db, section, their_line + "".join(lines[1:]))
    at.button(key=f"write_save_{section.id}").click().run()
    assert not at.exception
    shown = texts(at)
    assert "vous avez tous deux modifié le même passage" in shown
    assert "**Votre formulation**" in shown and "**Formulation proposée par Amina Diallo**" in shown
    assert "ajouté par Amina Diallo" in shown
    choice = at.radio(key=f"write_overlap_{section.id}_{theirs.id}_0")
    assert choice.label == "Garder"
    assert list(choice.options) == [
        "Garder leur formulation",
        "Garder ma formulation",
        "Garder les deux (la leur d'abord)",
    ]
    assert at.button(key=f"write_merge_save_{section.id}").label == "Enregistrer le texte fusionné"
    choice.set_value("mine").run()
    at.button(key=f"write_merge_save_{section.id}").click().run()
    assert not at.exception
    saved = head(db, section.id)
    assert saved.parent_id == theirs.id and saved.text.startswith(mine_line)
    assert f"Version {saved.number} de la section 3.1 enregistrée." in texts(at)


def test_a_spanish_author_reads_counts_and_refusals_in_spanish(open_page, db):
    section = section_by_code(db, "3.1")
    at = choose(in_language(open_page(PAGE, LA), "es"), section)
    shown = texts(at)
    assert "Autor principal: " in shown and "Fecha límite: " in shown
    assert re.search(r"Cita \d+ fuentes\.", shown)
    typed = head(db, section.id).text + "Una afirmación [@nosuchkey2099].\n"
    at.text_area(key=f"write_text_{section.id}").input(typed).run()
    at.button(key=f"write_save_{section.id}").click().run()
    warnings = " ".join(w.value for w in at.warning)
    assert "Esta clave de cita no corresponde a ninguna fuente" in warnings
    other = section_by_code(db, "0.1")  # not this author's: read only for them
    choose(at, other)
    assert "no es autor de la sección 0.1" in " ".join(i.value for i in at.info)
