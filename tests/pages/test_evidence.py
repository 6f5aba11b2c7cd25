"""The Evidence page: the source library (search, edit, add, import, export) and key findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, LA, REVIEWER, ROLES, texts
from workbench import people
from workbench.models import (
    Agreement,
    Certainty,
    Confidence,
    Evidence,
    Finding,
    FindingSource,
    Report,
    Source,
    SourceKind,
)

ROOT = Path(__file__).resolve().parents[2]
PAGE = "views/evidence.py"
REPORT = "living-wages"
#: Who may change the library (Action.edit_sources) and who may record findings (edit_content).
EDIT_SOURCES = {"cla", "lead_author", "contributing_author", "secretariat"}
EDIT_CONTENT = {"cla", "lead_author"}

SMALL_BIB = b"""
@article{mensah2024wages,
  author  = {Mensah, Kofi and Diallo, Awa},
  title   = {Wage floors and household budgets in Accra},
  journal = {Journal of African Labour Studies},
  year    = 2024,
  doi     = {10.99999/demo.mensah2024},
}

@book{ortiz2022living,
  author    = {Ortiz, Lucia},
  title     = {Living Wages in the Andes},
  publisher = {Andean Press},
  year      = 2022,
}

@article{okafor2023gap,
  author = {Okafor, Ngozi},
  title  = {The living-wage gap (an older copy)},
  year   = 2023,
}
"""


def button(at: AppTest, label: str):
    """Return the button (or form submit button) with this label."""
    return next(b for b in at.button if b.label == label)


def library(db, report_slug: str = REPORT) -> dict[str, Source]:
    report = db.exec(select(Report).where(Report.slug == report_slug)).one()
    db.expire_all()
    return {s.key: s for s in db.exec(select(Source).where(Source.report_id == report.id))}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_reads_the_library_and_sees_only_the_controls_it_may_use(open_page, role):
    at = open_page(PAGE, ROLES[role], report=REPORT)
    assert not at.exception
    shown = texts(at)
    assert "Not permitted" not in shown
    assert "39 sources" in shown
    assert at.dataframe[0].value.shape[0] == 39
    tabs = [t.label for t in at.tabs]
    assert ("Import" in tabs) == (role in EDIT_SOURCES)
    assert tabs[0] == "Sources" and "Export" in tabs and "Findings" in tabs
    expanders = [e.label for e in at.expander]
    assert ("Add a source by hand" in expanders) == (role in EDIT_SOURCES)
    assert ("Record a finding" in expanders) == (role in EDIT_CONTENT)
    assert "F1" in shown and "High confidence" in shown
    assert len(at.get("vega_lite_chart")) == 1, "the evidence × agreement grid"


def test_an_author_who_has_not_signed_the_code_of_ethics_only_reads(open_page):
    at = open_page(PAGE, "daniel.mwangi@demo.ipsp.example", report="cities-commons")
    assert not at.exception
    shown = texts(at)
    assert "must sign the Code of Ethics" in shown
    assert "library is empty" in shown
    assert "Add a source by hand" not in [e.label for e in at.expander]


def test_search_and_filters_narrow_the_table(open_page):
    at = open_page(PAGE, REVIEWER, report=REPORT)
    at.text_input(key="ev_q").input("okafor").run()
    assert list(at.dataframe[0].value["Key"]) == ["okafor2023gap"]
    at.text_input(key="ev_q").input("").run()
    at.selectbox(key="ev_kind").set_value(SourceKind.initiative_case).run()
    kinds = set(at.dataframe[0].value["Kind"])
    assert kinds == {"Initiative case"}
    at.selectbox(key="ev_kind").set_value(None)
    at.selectbox(key="ev_certainty").set_value(Certainty.high).run()
    assert set(at.dataframe[0].value["Certainty"]) == {"High"}
    at.text_input(key="ev_q").input("no such source anywhere").run()
    assert "No source matches these filters" in texts(at)


def test_opening_a_source_shows_where_it_is_used_and_saves_a_new_certainty(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    source = library(db)["okafor2023gap"]
    at.selectbox(key="ev_open").set_value(source.id).run()
    shown = texts(at)
    assert "[@okafor2023gap]" in shown and "supports finding F1" in shown
    at.selectbox(key=f"ev_edit_certainty_{source.id}").set_value(Certainty.high)
    at.text_area(key=f"ev_edit_note_{source.id}").input("Re-weighted after the SOD review.")
    at.text_input(key=f"ev_edit_region_{source.id}").input("Sub-Saharan Africa")
    button(at, "Save changes").click().run()
    assert not at.exception
    assert "Saved the changes to 'okafor2023gap'" in texts(at)
    saved = library(db)["okafor2023gap"]
    assert saved.certainty is Certainty.high
    assert saved.certainty_note == "Re-weighted after the SOD review."
    assert saved.region == "Sub-Saharan Africa"


def test_a_cited_source_cannot_be_deleted_and_the_page_says_why(open_page, db):
    at = open_page(PAGE, CLA, report=REPORT)
    source = library(db)["okafor2023gap"]
    at.selectbox(key="ev_open").set_value(source.id).run()
    at.checkbox(key=f"ev_delete_ok_{source.id}").check().run()
    at.button(key=f"ev_delete_{source.id}").click().run()
    assert not at.exception
    assert "is cited in section" in "\n".join(e.value for e in at.error)
    assert "okafor2023gap" in library(db)


def test_adding_a_source_by_hand_builds_its_record(open_page, db):
    at = open_page(PAGE, "alex.moreau@demo.ipsp.example", report=REPORT)
    at.text_input(key="ev_add_key").input("mensah2024")
    at.selectbox(key="ev_add_kind").set_value(SourceKind.peer_reviewed)
    at.text_input(key="ev_add_title").input("Wage floors and household budgets in Accra")
    at.text_input(key="ev_add_authors").input("Mensah, Kofi; Ghana Statistical Service")
    at.number_input(key="ev_add_year").set_value(2024)
    at.text_input(key="ev_add_container").input("Journal of African Labour Studies")
    at.text_input(key="ev_add_region").input("Africa")
    at.selectbox(key="ev_add_certainty").set_value(Certainty.moderate)
    button(at, "Add to the library").click().run()
    assert not at.exception
    assert "Added 'mensah2024' to the library" in texts(at)
    assert "40 sources" in texts(at)
    source = library(db)["mensah2024"]
    assert source.authors == "Mensah, Kofi; Ghana Statistical Service"
    assert source.year == 2024 and source.region == "Africa"
    assert source.certainty is Certainty.moderate
    assert source.csl["container-title"] == "Journal of African Labour Studies"


def test_adding_a_source_with_a_taken_key_shows_the_services_message(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    at.text_input(key="ev_add_key").input("okafor2023gap")
    at.text_input(key="ev_add_title").input("Another title")
    button(at, "Add to the library").click().run()
    assert not at.exception
    assert "already in this report's library" in "\n".join(e.value for e in at.error)
    assert len(library(db)) == 39


def test_importing_a_bibtex_file_through_the_uploader_skips_duplicates(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    at.file_uploader(key="ev_upload_0").set_value(("team.bib", SMALL_BIB, "text/x-bibtex"))
    at.run()
    assert at.checkbox(key="ev_skip_duplicates").value is True
    at.button(key="ev_import").click().run()
    assert not at.exception
    assert "Imported 2 sources; skipped 1 already in the library." in texts(at)
    keys = library(db)
    assert {"mensah2024wages", "ortiz2022living"} <= set(keys)
    assert keys["okafor2023gap"].title.startswith("The living-wage gap in sub-Saharan")
    assert "41 sources" in texts(at)
    # The uploader was emptied, so the same file is not imported twice by accident.
    assert at.file_uploader(key="ev_upload_1").value is None


def test_an_imports_warnings_are_listed_after_it(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    undated = b"@misc{undated2025,\n  title = {A note without a date},\n}\n"
    at.file_uploader(key="ev_upload_0").set_value(("notes.bib", undated, "text/x-bibtex"))
    at.run()
    at.button(key="ev_import").click().run()
    assert not at.exception
    assert "Imported 1 source." in texts(at)
    assert "Notes on the last import (1)" in [e.label for e in at.expander]
    assert "Entry 'undated2025' (line 1): no year of publication" in texts(at)
    assert "undated2025" in library(db)


def test_an_import_refused_for_duplicates_lists_each_entry_and_changes_nothing(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    at.file_uploader(key="ev_upload_0").set_value(("team.bib", SMALL_BIB, "text/x-bibtex"))
    at.checkbox(key="ev_skip_duplicates").uncheck()
    at.run()
    at.button(key="ev_import").click().run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "Nothing was imported from team.bib" in errors
    problems = at.dataframe[-1].value["Problem"].tolist()
    assert problems == ["Entry 'okafor2023gap' (line 17): the key is already in the library"]
    assert len(library(db)) == 39


def test_an_unreadable_file_reports_the_faulty_entries(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    broken = b"@article{smith2020,\n  author = {Smith, Jane},\n  year = 2020,\n}\n"
    at.file_uploader(key="ev_upload_0").set_value(("broken.bib", broken, "text/x-bibtex"))
    at.run()
    at.button(key="ev_import").click().run()
    assert not at.exception
    assert at.error, "the failure is shown"
    assert "smith2020" in "\n".join(
        texts(at).splitlines() + at.dataframe[-1].value["Problem"].tolist()
    )
    assert len(library(db)) == 39


def test_anyone_can_export_the_library(open_page):
    at = open_page(PAGE, REVIEWER, report=REPORT)
    at.radio(key="ev_export_format").set_value("bibtex").run()
    at.button(key="ev_export").click().run()
    assert not at.exception
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["Download living-wages-sources.bib"]


def test_recording_a_finding_computes_its_confidence(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    at.text_input(key="ev_f_code").input("F13")
    at.text_area(key="ev_f_statement").input("Living-wage clauses raise pay at contractors.")
    at.radio(key="ev_f_evidence").set_value(Evidence.robust)
    at.radio(key="ev_f_agreement").set_value(Agreement.high)
    at.text_input(key="ev_f_sources_q").input("okafor")
    at.run()
    assert any(m.value == "Very high" for m in at.metric), "confidence shown as computed"
    source = library(db)["okafor2023gap"]
    at.multiselect(key="ev_f_sources").set_value([source.id])
    at.text_area(key="ev_f_account").input("Three quasi-experimental studies agree.")
    at.button(key="ev_f_add").click().run()
    assert not at.exception
    assert "Recorded finding F13 (very high confidence)" in texts(at)
    db.expire_all()
    finding = db.exec(select(Finding).where(Finding.code == "F13")).one()
    assert finding.confidence is Confidence.very_high
    assert finding.traceable_account == "Three quasi-experimental studies agree."
    linked = db.exec(
        select(func.count())
        .select_from(FindingSource)
        .where(FindingSource.finding_id == finding.id)
    ).one()
    assert linked == 1


def test_a_finding_with_a_taken_code_is_refused_with_the_services_message(open_page, db):
    at = open_page(PAGE, CLA, report=REPORT)
    at.text_input(key="ev_f_code").input("F1")
    at.text_area(key="ev_f_statement").input("A duplicate.")
    at.button(key="ev_f_add").click().run()
    assert not at.exception
    assert "already has a finding coded 'F1'" in "\n".join(e.value for e in at.error)
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Finding).where(Finding.code == "F1")).one() == 1


def test_many_findings_are_paged(open_page, db):
    from workbench.models import Agreement, Confidence, Evidence, Finding, Report

    report = db.exec(select(Report).where(Report.slug == "living-wages")).one()
    for n in range(30):
        db.add(
            Finding(
                report_id=report.id,
                code=f"G{n}",
                statement=f"Generated finding {n}",
                evidence=Evidence.robust,
                agreement=Agreement.high,
                confidence=Confidence.very_high,
            )
        )
    db.commit()
    at = open_page("views/evidence.py", CLA)
    assert not at.exception
    assert "42 of 42 findings; showing 1–25" in texts(at)
    at.number_input(key="ev_f_page_all").set_value(2).run()
    assert not at.exception
    assert "showing 26–42" in texts(at)


def test_a_french_cla_reads_the_findings_in_the_glossarys_terms(demo_url, db):
    """Confidence, evidence and agreement appear as the glossary translates them."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["interface_language"] = "fr"
    at.session_state["person_id"] = people.get_by_email(db, CLA).id
    at.session_state["report_slug"] = REPORT
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "**F1** · **Confiance élevée** · *probable*" in shown
    assert "Éléments robustes, degré de cohérence moyen" in shown
    assert [t.label for t in at.tabs] == ["Bibliothèque", "Importer", "Exporter", "Constats"]
    assert any(m.value == "Moyenne" for m in at.metric), "the computed confidence agrees with it"
    assert [o for o in at.radio(key="ev_f_evidence").options] == ["Limités", "Moyens", "Robustes"]
