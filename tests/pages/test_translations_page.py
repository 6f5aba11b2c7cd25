"""The Translations page: the section × language grid, stale translations, recording a status."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.pages.conftest import CLA, LA, ROLES, SECRETARIAT, texts
from workbench import sections
from workbench.models import Report, Translation, TranslationStatus

PAGE = "views/translations.py"
MAY_SEE = {"cla", "lead_author", "secretariat"}


def living_wages(db: Session) -> Report:
    return db.exec(select(Report).where(Report.slug == "living-wages")).one()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_runs_the_page_and_only_some_see_it(role, open_page, open_file):
    email = ROLES[role]
    at = open_page(PAGE, email) if role in MAY_SEE else open_file(PAGE, email)
    assert not at.exception
    shown = texts(at)
    if role in MAY_SEE:
        assert "Not permitted" not in shown
        assert "Sections × languages" in shown
        assert at.dataframe
    else:
        assert "Not permitted" in shown
        assert not at.dataframe


def test_the_grid_shows_status_and_stale_flags_per_language(open_page):
    at = open_page(PAGE, LA, report="living-wages")
    grid = at.dataframe[0].value
    # English is the language the report is written in: not a column to translate into.
    assert list(grid.columns) == [
        "Section",
        "French (fr)",
        "Spanish (es)",
        "Arabic (ar)",
        "Chinese (zh)",
    ]
    by_section = grid.set_index("Section")
    row_01 = next(i for i in by_section.index if i.startswith("0.1 "))
    row_11 = next(i for i in by_section.index if i.startswith("1.1 "))
    row_21 = next(i for i in by_section.index if i.startswith("2.1 "))
    # The demo translated 0.1 and 1.1 into French from their first drafts; both moved on since.
    assert by_section.loc[row_01, "French (fr)"] == "⚠ stale"
    assert by_section.loc[row_11, "French (fr)"] == "⚠ stale"
    assert by_section.loc[row_11, "Spanish (es)"] == "… in progress"
    assert by_section.loc[row_21, "Spanish (es)"] == "✓ translated"
    assert by_section.loc[row_21, "Arabic (ar)"] == "—"


def test_stale_translations_say_what_changed_since(open_page):
    at = open_page(PAGE, SECRETARIAT, report="living-wages")
    stale = at.dataframe[1].value
    assert len(stale) == 2
    row = stale[stale["Section"].str.startswith("1.1 ")].iloc[0]
    assert row["Language"] == "French (fr)"
    assert row["Translated from"] == "revision 1"
    assert row["Section now at"] == "revision 3"
    assert row["Revisions since"] == 2


def test_a_lead_author_reads_but_cannot_record(open_page):
    at = open_page(PAGE, LA, report="living-wages")
    assert "CLAs and the Secretariat record translation statuses" in texts(at)
    assert [b.key for b in at.button] == ["sign_out"]


def test_a_cla_records_a_translation_status(open_page, db):
    report = living_wages(db)
    section = sections.get_section_by_code(db, report.id, "2.1")
    at = open_page(PAGE, CLA, report="living-wages")
    at.selectbox(key="tr_section").set_value(section.id).run()
    at.selectbox(key="tr_language").set_value("ar").run()
    at.selectbox(key=f"tr_status_{section.id}_ar").set_value(TranslationStatus.translated).run()
    at.button(key="tr_save").click().run()
    assert not at.exception
    stored = db.exec(
        select(Translation).where(
            Translation.section_id == section.id, Translation.language == "ar"
        )
    ).one()
    assert stored.status == TranslationStatus.translated
    assert stored.revision_id == section.head_revision_id
    # Said once, in a banner that survives the page's rerun; no second toast.
    assert [m.value for m in at.success] == ["Section 2.1 in Arabic (ar): translated."]
    assert not at.toast
    grid = at.dataframe[0].value.set_index("Section")
    row = next(i for i in grid.index if i.startswith("2.1 "))
    assert grid.loc[row, "Arabic (ar)"] == "✓ translated"


def test_re_translating_a_stale_section_brings_it_up_to_date(open_page, db):
    report = living_wages(db)
    section = sections.get_section_by_code(db, report.id, "0.1")
    at = open_page(PAGE, SECRETARIAT, report="living-wages")
    at.selectbox(key="tr_section").set_value(section.id).run()
    at.selectbox(key="tr_language").set_value("fr").run()
    assert "Now: ⚠ stale (translated)" in texts(at)
    at.selectbox(key=f"tr_status_{section.id}_fr").set_value(TranslationStatus.reviewed).run()
    at.button(key="tr_save").click().run()
    assert not at.exception
    stale = at.dataframe[1].value
    assert len(stale) == 1 and not stale["Section"].str.startswith("0.1 ").any()


def test_up_to_date_counts_only_languages_to_translate_into(open_page, db):
    report = living_wages(db)
    at = open_page(PAGE, CLA, report="living-wages")
    count = len(sections.list_sections(db, report.id))
    # Four languages besides English (French, Spanish, Arabic, Chinese), not five.
    assert at.metric[0].value == f"1 of {count * 4}"
    assert count * 4 == 56
    caption = texts(at)
    assert "is written in English (en) and translated into 4 languages: French (fr)" in caption
    # The language to record starts at the first one translated into, never English.
    assert at.selectbox(key="tr_language").value == "fr"
    assert "English (en)" not in at.selectbox(key="tr_language").options
