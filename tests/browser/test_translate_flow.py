"""A French translator's day: open a section in the Translate view, edit a paragraph, save.

In a module of its own (its own app and copy of the demo): it changes a translation.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from tests.browser.conftest import db_session, go_to, shot, sign_in, wait_idle
from workbench import translations
from workbench.models import Report, Section

TRANSLATOR = "camille.laurent@demo.ipsp.example"  # Camille Laurent, French, living-wages
REPORT = "living-wages"
CODE = "X.1"
TITLE = "Health, care and gender across the report"
SENTENCE = "Phrase ajoutée par le test du navigateur : les girafes violettes négocient."


def _french(s):
    report = s.exec(select(Report).where(Report.slug == REPORT)).one()
    section = s.exec(
        select(Section).where(Section.report_id == report.id, Section.code == CODE)
    ).one()
    return translations.translation_for(s, section_id=section.id, language="fr")


def test_a_translator_edits_a_paragraph_saves_once_and_finds_it_after_a_reload(
    page, app_url, app_db_url
):
    with db_session(app_db_url) as s:
        before = _french(s)
        version, first = before.version, translations.paragraphs(before.text)[0]

    sign_in(page, app_url, TRANSLATOR)
    go_to(page, "Translations")
    page.get_by_role("heading", name="Translations", exact=True).wait_for()
    wait_idle(page)
    page.get_by_text("Translate", exact=True).click()
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Section").click()
    page.get_by_role("option", name=f"{CODE} {TITLE}").click()
    wait_idle(page)
    box = page.get_by_role("textbox", name="Paragraph 1", exact=True)
    expect(box).to_have_value(first)
    shot(page, "translate-1-opened")

    box.fill(first + " " + SENTENCE)
    page.get_by_role("button", name="Save", exact=True).dblclick()
    wait_idle(page)
    saved = f"The French (fr) translation of section {CODE} is saved."
    expect(page.get_by_test_id("stAlert").filter(has_text=saved)).to_be_visible()
    shot(page, "translate-2-saved")
    with db_session(app_db_url) as s:
        after = _french(s)
        assert after.version == version + 1  # the double click saved once
        assert len(translations.revisions(s, after.id)) == version + 1
        assert SENTENCE in after.text

    page.reload()
    wait_idle(page)
    box = page.get_by_role("textbox", name="Paragraph 1", exact=True)
    expect(box).to_have_value(first + " " + SENTENCE)
    shot(page, "translate-3-reloaded")
