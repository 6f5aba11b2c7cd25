"""Admin: the Secretariat's people, reports, themes, backups and audit trail."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.pages.conftest import ROLES, SECRETARIAT, texts
from workbench import audit, people, permissions, reports
from workbench.models import Role

PAGE = "views/admin.py"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "secretariat"])
def test_only_the_secretariat_may_use_admin(open_file, role):
    at = open_file(PAGE, ROLES[role])
    assert not at.exception, role
    assert "Not permitted" in texts(at)
    assert not at.tabs and not at.button


def test_the_secretariat_sees_every_tab(open_page):
    at = open_page(PAGE, SECRETARIAT)
    assert not at.exception
    assert [t.label for t in at.tabs] == ["People", "Reports", "Themes", "Backup", "Audit"]
    shown = texts(at)
    assert "Showing 1–25 of 38 people." in shown
    assert "14 transversal themes in 6 clusters" in shown
    people_table, reports_table = at.dataframe[0].value, at.dataframe[1].value
    assert "Amina Diallo" in set(people_table["Name"])
    assert list(reports_table["Slug"]) == ["cities-commons", "living-wages"]
    assert len(at.get("graphviz_chart")) == 1


def test_search_and_page_through_people(open_page):
    at = open_page(PAGE, SECRETARIAT)
    at.number_input(key="admin_people_page_").set_value(2).run()
    assert "Showing 26–38 of 38 people." in texts(at)
    at.text_input(key="admin_people_search").input("nairobi").run()
    assert not at.exception
    assert set(at.dataframe[0].value["Name"]) == {"Grace Wanjiru", "Daniel Mwangi"}
    assert "Showing 1–2 of 2 people." in texts(at)
    at.text_input(key="admin_people_search").input("nobody-at-all").run()
    assert "Nobody matches that search" in texts(at)


def test_the_secretariat_adds_a_council_member(open_page, db):
    at = open_page(PAGE, SECRETARIAT)
    at.text_input(key="new_person_name").input("Ngozi Okafor")
    at.text_input(key="new_person_email").input("Ngozi.Okafor@panel.example")
    at.text_input(key="new_person_affiliation").input("University of Lagos")
    at.text_input(key="new_person_password").input("a long password")
    at.multiselect(key="new_person_roles").select(Role.council_member)
    next(b for b in at.button if b.label == "Add the person").click().run()
    assert not at.exception
    assert "Added Ngozi Okafor." in texts(at)
    person = people.get_by_email(db, "ngozi.okafor@panel.example")
    assert person.affiliation == "University of Lagos"
    assert Role.council_member in permissions.roles_of(db, person)
    assert people.authenticate(db, "ngozi.okafor@panel.example", "a long password")


def test_a_duplicate_email_is_refused_with_a_message(open_page, db):
    at = open_page(PAGE, SECRETARIAT)
    at.text_input(key="new_person_name").input("Someone Else")
    at.text_input(key="new_person_email").input("amina.diallo@demo.ipsp.example")
    next(b for b in at.button if b.label == "Add the person").click().run()
    assert not at.exception
    assert "already exists" in "\n".join(e.value for e in at.error)


def test_the_secretariat_creates_a_report_and_sees_the_horizon_warning(open_page, db):
    at = open_page(PAGE, SECRETARIAT)
    at.text_input(key="new_report_slug").input("care-work")
    at.text_input(key="new_report_title").input("Care work and social progress")
    at.date_input(key="new_report_start").set_value(date(2027, 1, 1))
    at.date_input(key="new_report_due").set_value(date(2027, 3, 1))
    at.multiselect(key="new_report_languages").select("fr")
    next(b for b in at.button if b.label == "Create the report").click().run()
    assert not at.exception
    shown = texts(at)
    assert "Created the report 'Care work and social progress'" in shown
    assert "The horizon is 2.0 months" in "\n".join(w.value for w in at.warning)
    report = reports.get_report(db, "care-work")
    assert report.languages == ["en", "fr"] and report.stage.value == "scoping"
    assert "care-work" in set(at.dataframe[1].value["Slug"])


def test_reset_a_password_and_deactivate_an_account(open_page, db):
    at = open_page(PAGE, SECRETARIAT)
    at.text_input(key="admin_people_search").input("elisabeth").run()
    reviewer = people.get_by_email(db, ROLES["reviewer"])
    assert at.selectbox(key="admin_person").value == reviewer.id
    at.text_input(key=f"admin_password_{reviewer.id}").input("brand new secret")
    at.button(key="admin_set_password").click().run()
    assert "The password of Elisabeth Brandt was changed." in texts(at)
    db.expire_all()
    assert people.authenticate(db, ROLES["reviewer"], "brand new secret")
    at.button(key="admin_deactivate").click().run()
    assert not at.exception
    db.expire_all()
    assert not people.get(db, reviewer.id).active
    assert "deactivated" in set(at.dataframe[0].value["Account"])
    at.button(key="admin_reactivate").click().run()
    db.expire_all()
    assert people.get(db, reviewer.id).active


def test_backup_offers_a_download_with_row_counts(open_page, db):
    at = open_page(PAGE, SECRETARIAT)
    at.button(key="admin_backup").click().run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Table" in d.value.columns)
    counts = table.set_index("Table")["Rows"]
    assert counts["person"] == 38 and counts["section"] == 20
    assert "admin_backup_download" in {b.key for b in at.get("download_button")}


def test_the_audit_trail_pages_newest_first(open_page, db):
    at = open_page(PAGE, SECRETARIAT)
    audit_table = at.dataframe[-1].value
    assert len(audit_table) == 25
    total = audit.count_events(db)
    assert f"Events 1–25 of {total:,}, newest first." in texts(at)
    newest = audit.describe(db, audit.events(db, limit=1))[0]
    assert audit_table["What happened"].iloc[0] == newest.what
    at.number_input(key="admin_audit_page_None_None_None").set_value(2).run()
    assert f"Events 26–50 of {total:,}, newest first." in texts(at)
    assert not at.exception


def test_the_audit_trail_reads_as_sentences_with_names_not_ids(open_page, db):
    at = open_page(PAGE, SECRETARIAT)
    table = at.dataframe[-1].value
    assert list(table.columns) == ["When (UTC)", "What happened", "Report", "Kind", "From"]
    shown = "\n".join(table["What happened"])
    # Names, codes and titles, never "section #13" or raw JSON.
    assert "#" not in shown and "{" not in shown and "_" not in shown
    assert "saved section 1.1 'Urban inequality, housing and access to services" in shown
    assert set(table["Report"]) <= {"living-wages", "cities-commons", ""}
    # Whole: the sentence column is as wide as the longest sentence (about 6 pixels a letter).
    width = json.loads(at.dataframe[-1].proto.columns)["What happened"]["width"]
    assert width >= 6 * max(len(sentence) for sentence in table["What happened"])


def test_the_audit_trail_filters_by_person_report_and_kind(open_page, db):
    cla = people.get_by_email(db, ROLES["cla"])
    living = reports.get_report(db, "living-wages")
    at = open_page(PAGE, SECRETARIAT)
    at.selectbox(key="admin_audit_person").set_value(cla.id).run()
    at.selectbox(key="admin_audit_report").set_value(living.id).run()
    at.selectbox(key="admin_audit_kind").set_value("Section status changed").run()
    assert not at.exception
    table = at.dataframe[-1].value
    expected = audit.count_events(
        db, person_id=cla.id, report_id=living.id, kind=("section", "set_status")
    )
    assert 0 < len(table) == min(expected, 25)
    assert set(table["Kind"]) == {"Section status changed"}
    assert set(table["Report"]) == {"living-wages"}
    assert all(w.startswith("Amina Diallo moved section ") for w in table["What happened"])
    assert f"of {expected:,}, newest first." in texts(at)
    button = at.get("download_button")[-1]
    assert button.proto.label == f"Download {expected:,} events as CSV"
    at.selectbox(key="admin_audit_person").set_value(audit.SYSTEM).run()
    assert "No event matches these filters." in texts(at)
