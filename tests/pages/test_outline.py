"""Outline & assignments: CLAs build the outline and share out the work."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, ROLES, texts
from workbench import people, reports, sections, teams
from workbench.models import EthicsSignature, Question, ReportCreate, Role, Section

PAGE = "views/outline.py"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "cla"])
def test_others_are_not_permitted(open_file, role):
    at = open_file(PAGE, ROLES[role], report="living-wages")
    assert not at.exception, role
    assert "Not permitted" in texts(at)
    assert not at.button


def test_clas_see_the_outline_by_question(open_page):
    at = open_page(PAGE, CLA, report="living-wages")
    assert not at.exception
    shown = texts(at)
    assert "Not permitted" not in shown
    for part in ("Front matter", "1. What is known?", "2. What is desirable?", "Cross-cutting"):
        assert part in shown
    assert "3.1 " in shown and "Zhang Wei" in shown


def editor_edits(at: AppTest, edits: dict[int, dict]) -> None:
    """Edit cells of the assignments editor as a person would (row number → column → value)."""
    at.session_state["outline_editor_0"] = {
        "edited_rows": {str(row): cells for row, cells in edits.items()},
        "added_rows": [],
        "deleted_rows": [],
    }


def test_bulk_edit_saves_every_change_together(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    # Row 1 is section 1.1; row 14 is the last (X.1, ready for review).
    editor_edits(
        at,
        {
            1: {"Word target": 900, "Due date": "2027-02-14"},
            13: {"Lead author": "Zhang Wei", "Status": "In review"},
        },
    )
    at.button(key="save_bulk").click().run()
    assert not at.exception
    # One confirmation, in words: a banner, no second toast, no "section(s)".
    assert [m.value for m in at.success] == ["Saved changes to 2 sections."]
    assert not at.toast
    by_code = {sec.code: sec for sec in sections.list_sections(db, 1)}
    assert by_code["1.1"].word_target == 900
    assert str(by_code["1.1"].due_date) == "2027-02-14"
    assert by_code["X.1"].status.value == "in_review"
    assert by_code["X.1"].lead_author_id == people.get_by_email(db, ROLES["lead_author"]).id


def test_an_illegal_status_move_is_refused_and_nothing_is_saved(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    editor_edits(at, {1: {"Word target": 901}, 2: {"Status": "Accepted"}})
    at.button(key="save_bulk").click().run()
    assert not at.exception
    assert "cannot go from 'In review' to 'Accepted'" in "\n".join(e.value for e in at.error)
    assert {sec.code: sec for sec in sections.list_sections(db, 1)}["1.1"].word_target == 700


def test_move_a_section_down_within_its_question(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    first = next(s for s in sections.list_sections(db, 1) if s.question.value == "known")
    at.button(key=f"down_{first.id}").click().run()
    assert not at.exception
    db.expire_all()
    known = [s.code for s in sections.list_sections(db, 1) if s.question.value == "known"]
    assert known == ["1.2", "1.1", "1.3"]
    assert "Moved 1.1 down." in texts(at)


def test_add_a_section_with_a_lead_author(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    at.text_input(key="new_code").input("4.5")
    at.selectbox(key="new_question").select_index(4)  # 4. What can be done, and by whom?
    at.text_input(key="new_title").input("Toolkits for local coalitions")
    lead = people.get_by_email(db, ROLES["lead_author"]).id
    at.selectbox(key="new_lead").set_value(lead)
    at.number_input(key="new_target").set_value(400)
    next(b for b in at.button if b.label == "Add the section").click().run()
    assert not at.exception
    assert "Added section 4.5." in texts(at)
    added = sections.get_section_by_code(db, 1, "4.5")
    assert added.question.value == "action" and added.lead_author_id == lead
    assert added.word_target == 400 and added.position == 5


def test_rename_and_delete_an_empty_section(open_page, db):
    cla = "leila.moradi@demo.ipsp.example"
    cross = sections.get_section_by_code(db, 2, "X.1")
    at = open_page(PAGE, cla, report="cities-commons")
    assert not [w for w in at.text_input if w.key == f"title_{cross.id}"]  # closed at first
    at.button(key=f"edit_toggle_{cross.id}").click().run()
    at.text_input(key=f"title_{cross.id}").input("Commons across the city")
    next(
        b for b in at.button if b.label == "Save changes" and b.form_id == f"edit_{cross.id}"
    ).click().run()
    assert not at.exception
    db.expire_all()
    assert sections.get_section(db, cross.id).title == "Commons across the city"
    assert at.button(key=f"delete_{cross.id}").disabled  # until the deletion is confirmed
    at.checkbox(key=f"confirm_delete_{cross.id}").check().run()
    at.button(key=f"delete_{cross.id}").click().run()
    assert not at.exception
    assert "Deleted section X.1." in texts(at)
    assert [s.code for s in sections.list_sections(db, 2)] == ["0.1", "1.1", "2.1", "3.1", "4.1"]


def test_a_report_without_sections_starts_from_the_template(open_page, db):
    secretariat = people.get_by_email(db, ROLES["secretariat"])
    report, _ = reports.create_report(
        session=db,
        actor=secretariat,
        data=ReportCreate(
            slug="care-work",
            title="Care work",
            start_date=date(2027, 1, 1),
            due_date=date(2027, 12, 1),
        ),
    )
    teams.add_member(
        session=db,
        actor=secretariat,
        report=report,
        person=people.get_by_email(db, CLA),
        role=Role.cla,
    )
    at = open_page(PAGE, CLA, report="care-work")
    assert "has no outline yet" in texts(at)
    at.button(key="create_outline").click().run()
    assert not at.exception
    assert "The outline was created from the template." in texts(at)
    assert len(sections.list_sections(db, report.id)) >= 4


def test_a_cla_who_has_not_signed_is_sent_to_sign_the_code(open_page, db):
    amina = people.get_by_email(db, CLA)
    for signature in db.exec(
        select(EthicsSignature).where(EthicsSignature.person_id == amina.id)
    ).all():
        db.delete(signature)
    db.commit()
    at = open_page(PAGE, CLA, report="living-wages")
    assert not at.exception
    assert "Sign the Code of Ethics first" in texts(at)
    assert not at.tabs
    assert "team" in {p.proto.page for p in at.get("page_link")}


def test_the_status_help_says_the_moves_in_the_words_of_the_page(open_page):
    at = open_page(PAGE, CLA, report="living-wages")
    help_text = next(c.value for c in at.caption if c.value.startswith("A status moves"))
    assert help_text.startswith(
        "A status moves one step at a time: Not started → Drafting → Ready for review → "
        "In review → Revising → Accepted; or back, from Drafting to Not started,"
    )
    assert "_" not in help_text and "not_started" not in help_text


def test_the_assignments_grid_shows_whole_titles_and_parts(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    grid = at.dataframe[0]
    assert list(grid.value.columns) == [
        "Code",
        "Part",
        "Title",
        "Lead author",
        "Status",
        "Due date",
        "Word target",
        "Words",
    ]
    config = json.loads(grid.proto.columns)
    longest = max(len(s.title) for s in sections.list_sections(db, 1))
    # Wide enough for the longest title and for "Cross-cutting" (about 6 pixels a letter).
    assert config["Title"]["width"] >= 6 * longest
    assert config["Part"]["width"] >= 6 * len("Cross-cutting")
    assert "Cross-cutting" in set(grid.value["Part"])


def test_the_outline_buttons_are_material_icons_not_emoji(open_page):
    at = open_page(PAGE, CLA, report="living-wages")
    buttons = [b for b in at.button if b.key.startswith(("up_", "down_", "edit_toggle_"))]
    icons = {b.proto.icon for b in buttons}
    assert icons == {":material/arrow_upward:", ":material/arrow_downward:", ":material/edit:"}
    # Icons only: no words that would need translating; the help says what each does.
    assert {b.label for b in buttons} == {""}
    assert all(b.proto.help for b in buttons)


def test_a_long_question_shows_its_sections_a_page_at_a_time(open_page, db):
    """Hundreds of sections under a question are shown 25 at a time, with the page to open."""
    report = reports.get_report(db, "living-wages")
    for n in range(30):
        db.add(
            Section(
                report_id=report.id,
                code=f"2.{n + 10}",
                question=Question.desirable,
                title=f"Generated section {n + 10}",
                position=100 + n,
            )
        )
    db.commit()
    at = open_page(PAGE, CLA, report="living-wages")
    assert not at.exception
    assert "Generated section 39" not in texts(at)
    at.number_input(key="outline_page_desirable").set_value(2).run()
    assert not at.exception
    shown = texts(at)
    assert "Generated section 39" in shown and "Generated section 10" not in shown
