"""The Glossary page: readers see a language's terms; the Secretariat edits and imports."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, REVIEWER, SECRETARIAT, texts
from workbench import glossary, i18n

PAGE = "views/glossary.py"
TRANSLATOR = "lucia.fernandez@demo.ipsp.example"  # translates living-wages into Spanish


def _table(at: AppTest):
    return at.dataframe[0].value


def test_a_cla_reads_the_french_glossary_beside_the_english(open_file) -> None:
    at = open_file(PAGE, CLA)
    assert not at.exception
    assert at.selectbox(key="glossary_language").value == "fr"
    assert "French (fr)" in at.selectbox(key="glossary_language").options
    table = _table(at)
    row = table[table["Concept"] == "likelihood.very_likely"].iloc[0]
    assert (row["English"], row["Term in French (fr)"]) == ("very likely", "très probable")
    assert row["Source"].startswith("IPCC")
    assert "Save the term" not in [b.label for b in at.button]
    assert "The Secretariat edits the glossary" in texts(at)
    assert [b.label for b in at.get("download_button")] == [
        "Download glossary-fr.csv",
        "Download glossary-fr.tbx",
    ]


def test_filters_by_kind_and_text(open_file) -> None:
    at = open_file(PAGE, TRANSLATOR)
    assert at.selectbox(key="glossary_language").value == "es"  # the language she translates
    at.selectbox(key="glossary_language").set_value("zh").run()
    at.selectbox(key="glossary_kind").set_value("calibrated").run()
    concepts = set(_table(at)["Concept"])
    assert "confidence.high" in concepts and "panel.false_solution" not in concepts
    at.text_input(key="glossary_filter").set_value("很可能").run()
    assert list(_table(at)["Concept"]) == ["likelihood.very_likely"]
    at.text_input(key="glossary_filter").set_value("nothing like this").run()
    assert "No term matches these filters." in texts(at)


def test_someone_else_is_not_permitted(open_file) -> None:
    at = open_file(PAGE, REVIEWER)
    assert "Not permitted. The glossary is for the Secretariat" in texts(at)
    assert not at.dataframe


def test_the_secretariat_edits_a_term(open_file, db) -> None:
    at = open_file(PAGE, SECRETARIAT)
    at.selectbox(key="glossary_language").set_value("es").run()
    at.selectbox(key="glossary_edit_concept").set_value("likelihood.likely").run()
    at.text_input(key="glossary_edit_term_es_likelihood.likely").set_value("verosímil")
    at.text_area(key="glossary_edit_note_es_likelihood.likely").set_value("Solo en tablas.")
    next(b for b in at.button if b.label == "Save the term").click().run()
    assert not at.exception
    assert "'likelihood.likely' in Spanish (es) is now: verosímil" in texts(at)
    assert glossary.term(db, "es", "likelihood.likely") == "verosímil"
    table = _table(at)
    assert table[table["Concept"] == "likelihood.likely"].iloc[0]["Note"] == "Solo en tablas."


def test_a_report_language_without_terms_shows_an_empty_state(open_file) -> None:
    at = open_file(PAGE, SECRETARIAT, report="cities-commons")
    at.selectbox(key="glossary_language").set_value("pt").run()
    assert "The glossary has no terms in Portuguese (pt) yet." in texts(at)
    assert not at.dataframe
    at.selectbox(key="glossary_edit_concept").set_value("likelihood.likely").run()
    at.text_input(key="glossary_edit_term_pt_likelihood.likely").set_value("   ")
    next(b for b in at.button if b.label == "Save the term").click().run()
    assert "The term is empty." in [e.value for e in at.error]
    at.text_input(key="glossary_edit_term_pt_likelihood.likely").set_value("provável")
    next(b for b in at.button if b.label == "Save the term").click().run()
    assert list(at.dataframe[0].value["Term in Portuguese (pt)"]) == ["provável"]


@pytest.mark.parametrize(
    ("language", "title", "header"),
    [
        ("fr", "Glossaire", "Terme en français (fr)"),
        ("es", "Glosario", "Término en español (es)"),
    ],
)
def test_the_page_speaks_french_and_spanish(demo_url, language, title, header) -> None:
    from sqlmodel import Session

    from tests.pages.conftest import ROOT
    from workbench import people
    from workbench.db import make_engine

    i18n.clear_misses()
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    at.session_state["interface_language"] = language
    engine = make_engine(demo_url)
    with Session(engine) as s:
        at.session_state["person_id"] = people.get_by_email(s, SECRETARIAT).id
    engine.dispose()
    at.run()
    assert not at.exception
    assert at.title[0].value == title
    assert header in _table(at).columns
    assert i18n.misses(language) == set()
