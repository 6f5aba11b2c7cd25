"""The Translations page: the grid, stale translations, and the Translate view."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, LA, ROLES, SECRETARIAT, texts
from workbench import i18n, people, sections, translations
from workbench.models import Report, TranslationStatus

PAGE = "views/translations.py"
MAY_SEE = {"cla", "lead_author", "secretariat"}
TRANSLATOR = "camille.laurent@demo.ipsp.example"
ROOT = Path(__file__).resolve().parents[2]


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
    row = {code: next(i for i in by_section.index if i.startswith(f"{code} ")) for code in CODES}
    # Camille translated 1.1 from its first draft (stale since) and X.1 as it is now.
    assert by_section.loc[row["1.1"], "French (fr)"] == "⚠ stale"
    assert by_section.loc[row["X.1"], "French (fr)"] == "✓✓ reviewed"
    assert by_section.loc[row["0.1"], "French (fr)"] == "—"
    assert by_section.loc[row["1.1"], "Spanish (es)"] == "… in progress"
    assert by_section.loc[row["2.1"], "Spanish (es)"] == "✓ translated"
    assert by_section.loc[row["2.1"], "Arabic (ar)"] == "—"


CODES = ("0.1", "1.1", "2.1", "X.1")


def test_stale_translations_say_what_changed_since(open_page):
    at = open_page(PAGE, SECRETARIAT, report="living-wages")
    stale = at.dataframe[1].value
    assert len(stale) == 1
    row = stale.iloc[0]
    assert row["Section"].startswith("1.1 ")
    assert row["Language"] == "French (fr)"
    assert row["Translated from"] == "revision 1"
    assert row["Section now at"] == "revision 3"
    assert row["Revisions since"] == 2


def test_up_to_date_counts_only_languages_to_translate_into(open_page, db):
    report = living_wages(db)
    at = open_page(PAGE, CLA, report="living-wages")
    count = len(sections.list_sections(db, report.id))
    # Four languages besides English (French, Spanish, Arabic, Chinese), not five.
    assert at.metric[0].value == f"2 of {count * 4}"
    assert count * 4 == 56
    caption = texts(at)
    assert "is written in English (en) and translated into 4 languages: French (fr)" in caption


# --------------------------------------------------------------------------- Translate view


def open_translate(at, db: Session, code: str, language: str):
    """Open a section × language in the Translate view, as the pickers do."""
    section = sections.get_section_by_code(db, living_wages(db).id, code)
    at.radio(key="tr_view").set_value("translate").run()
    at.selectbox(key="tr_section").set_value(section.id).run()
    at.selectbox(key="tr_language").set_value(language).run()
    assert not at.exception
    return section


def boxes(at, section_id: int, language: str) -> list:
    """Return the translation boxes of the open cell, in paragraph order."""
    prefix = f"tr_p_{section_id}_{language}_"
    found = [t for t in at.text_area if t.key and t.key.startswith(prefix)]
    return sorted(found, key=lambda t: int(t.key.rsplit("_", 1)[1]))


def test_the_source_and_the_translation_are_aligned_paragraph_by_paragraph(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    section = open_translate(at, db, "X.1", "fr")
    source = translations.paragraphs(sections.head_text(db, section))
    french = translations.translation_for(db, section_id=section.id, language="fr")
    rows = boxes(at, section.id, "fr")
    assert len(rows) == len(source) == 5
    assert [r.value for r in rows] == translations.paragraphs(french.text)
    shown = texts(at)
    assert source[1].split("\n")[0] in shown  # the English beside the French
    assert "Reviewed · version 1, saved by Camille Laurent" in shown
    assert "reviewed by Amina Diallo" in shown
    # The CLA reviewed it already: no status button to press.
    assert not [b for b in at.button if b.key in ("tr_mark_translated", "tr_mark_reviewed")]


def test_a_cla_edits_a_paragraph_and_saves_a_new_version(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    section = open_translate(at, db, "X.1", "fr")
    rows = boxes(at, section.id, "fr")
    rows[0].input(rows[0].value.replace("trois fils", "trois fils conducteurs"))
    at.button(key="tr_save").click().run()
    assert not at.exception
    assert "The French (fr) translation of section X.1 is saved." in texts(at)
    db.expire_all()
    french = translations.translation_for(db, section_id=section.id, language="fr")
    assert french.version == 2 and "trois fils conducteurs" in french.text
    assert french.status == TranslationStatus.in_progress  # edited: marked again
    assert [r.number for r in translations.revisions(db, french.id)] == [2, 1]
    # Saving the same text again (a double click) makes no third revision.
    at.button(key="tr_save").click().run()
    db.expire_all()
    assert translations.translation_for(db, section_id=section.id, language="fr").version == 2
    # Now it can be marked translated again, and then reviewed by someone else.
    at.button(key="tr_mark_translated").click().run()
    assert not at.exception
    db.expire_all()
    french = translations.translation_for(db, section_id=section.id, language="fr")
    assert french.status == TranslationStatus.translated
    assert not [b for b in at.button if b.key == "tr_mark_reviewed"]  # she translated it


def test_a_conflict_shows_both_texts_and_keeps_mine(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    section = open_translate(at, db, "X.1", "fr")
    french = translations.translation_for(db, section_id=section.id, language="fr")
    camille = people.get_by_email(db, TRANSLATOR)
    theirs = french.text.replace("trois fils", "trois grands fils")
    translations.save_translation(
        session=db, actor=camille, section=section, language="fr", text=theirs, base_version=1
    )
    rows = boxes(at, section.id, "fr")
    mine_first = rows[0].value.replace("trois fils", "trois fils rouges")
    rows[0].input(mine_first)
    at.button(key="tr_save").click().run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "saved by Camille Laurent since you started" in errors
    codes = [c.value for c in at.code]
    assert theirs.strip() in [c.strip() for c in codes]
    assert any("trois fils rouges" in c for c in codes)
    assert boxes(at, section.id, "fr")[0].value == mine_first  # nothing typed is lost
    db.expire_all()
    assert translations.translation_for(db, section_id=section.id, language="fr").text == theirs
    # Keeping mine, then saving, replaces theirs knowingly.
    at.button(key="tr_conflict_keep").click().run()
    at.button(key="tr_save").click().run()
    assert not at.exception
    db.expire_all()
    stored = translations.translation_for(db, section_id=section.id, language="fr")
    assert stored.version == 3 and "trois fils rouges" in stored.text


def test_a_stale_translation_highlights_the_changed_source_paragraphs(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    section = open_translate(at, db, "1.1", "fr")
    shown = texts(at)
    assert "Section 1.1 changed after it was translated" in shown
    marks = [m.value for m in at.markdown]
    assert any("Changed since it was translated" in m for m in marks)
    assert any(":green-background[**" in m for m in marks)  # the words added
    french = translations.translation_for(db, section_id=section.id, language="fr")
    changes = translations.source_changes(db, french)
    rows = boxes(at, section.id, "fr")
    assert len(rows) == len([c for c in changes if c.index is not None])
    assert rows[0].value.startswith("Le salaire vital est la rémunération")


def test_checking_shows_the_issues_of_each_paragraph_before_saving(open_page, db):
    at = open_page(PAGE, CLA, report="living-wages")
    section = open_translate(at, db, "X.1", "fr")
    rows = boxes(at, section.id, "fr")
    rows[1].input(rows[1].value.replace("[@walker2020health]", ""))
    at.button(key="tr_check").click().run()
    assert not at.exception
    assert "walker2020health" in "\n".join(e.value for e in at.error)
    at.button(key="tr_save").click().run()
    assert "was not saved" in "\n".join(e.value for e in at.error)
    db.expire_all()
    assert translations.translation_for(db, section_id=section.id, language="fr").version == 1


def test_a_translator_sees_only_their_language_and_cannot_review_their_own(open_page, db):
    at = open_page(PAGE, TRANSLATOR, report="living-wages")
    assert not at.exception
    assert list(at.dataframe[0].value.columns) == ["Section", "French (fr)"]
    section = open_translate(at, db, "0.1", "fr")
    assert at.selectbox(key="tr_language").options == ["French (fr)"]
    rows = boxes(at, section.id, "fr")
    assert rows and all(r.value == "" for r in rows)  # not started
    assert "Not started" in texts(at)
    source = translations.paragraphs(sections.head_text(db, section))
    # A first pass: the source copied into every box, the opening sentence translated.
    for row, paragraph in zip(rows, source, strict=True):
        row.input(paragraph)
    rows[1].input("**A. Ce que l’on sait**")
    at.checkbox(key=f"tr_{section.id}_fr_ack").check()
    at.button(key="tr_save").click().run()
    assert not at.exception, texts(at)
    db.expire_all()
    french = translations.translation_for(db, section_id=section.id, language="fr")
    assert french is not None and french.version == 1, "\n".join(e.value for e in at.error)
    assert len(translations.paragraphs(french.text)) == len(source)
    at.button(key="tr_mark_translated").click().run()
    assert not [b for b in at.button if b.key == "tr_mark_reviewed"]
    assert "A second person reviews your translation" in texts(at)


def test_a_lead_author_reads_the_translation_without_boxes(open_page, db):
    at = open_page(PAGE, LA, report="living-wages")
    section = open_translate(at, db, "X.1", "fr")
    assert not boxes(at, section.id, "fr")
    assert "Cette section transversale rassemble" in texts(at)
    assert not [b for b in at.button if b.key == "tr_save"]


def test_the_address_opens_a_cell(open_file, db):
    section = sections.get_section_by_code(db, living_wages(db).id, "X.1")
    at = open_file(PAGE, CLA, report="living-wages", section=str(section.id), language="fr")
    assert not at.exception
    assert len(boxes(at, section.id, "fr")) == 5


@pytest.mark.parametrize("language", ["fr", "es"])
def test_the_translate_view_speaks_french_and_spanish(demo_url, db, language):
    mine = "\n".join(
        (ROOT / path).read_text(encoding="utf-8")
        for path in ("views/translations.py", "workbench/translations.py")
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["interface_language"] = language
    at.session_state["person_id"] = people.get_by_email(db, CLA).id
    at.session_state["report_slug"] = "living-wages"
    at.run()
    at.switch_page(PAGE)
    at.run()
    i18n.clear_misses()
    # AppTest formats the widgets' values in the test's own thread: in the page's language.
    with i18n.language(language):
        open_translate(at, db, "1.1", "fr")
        at.button(key="tr_check").click().run()
    assert not at.exception
    missing = [m for m in i18n.misses(language) if m in mine]
    assert not missing, missing
    shown = texts(at)
    words = {"fr": ("Traduire", "a changé après sa traduction"), "es": ("Traducir", "cambió")}
    assert all(word in shown or word in str(at.radio[0].options) for word in words[language])


def test_a_status_recorded_without_text_says_so(open_page, db):
    at = open_page(PAGE, "lucia.fernandez@demo.ipsp.example", report="living-wages")
    assert list(at.dataframe[0].value.columns) == ["Section", "Spanish (es)"]
    section = open_translate(at, db, "2.1", "es")
    assert "Translated (recorded), but no text has been saved in the workbench yet" in texts(at)
    assert all(box.value == "" for box in boxes(at, section.id, "es"))
