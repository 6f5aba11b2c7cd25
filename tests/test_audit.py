"""The audit trail: every service write leaves an event, and the trail reads as sentences.

Pages newest first, filters by person, report and kind in SQL, names the records
it mentions (never "section #13" or raw JSON) in a fixed number of queries, and
downloads as a formula-safe CSV.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.factories import count_queries, make_person, make_report, make_world
from workbench import audit, sections, teams, translations
from workbench.errors import PermissionDenied
from workbench.models import Question, Role, SectionCreate, SectionStatus, TranslationStatus


def test_events_page_newest_first_with_a_count(session):
    world = make_world(session)
    before = audit.count_events(session, report_id=world.report.id)
    for n in range(3):
        section = world.sections[n]
        sections.save_revision(
            session=session,
            actor=world.cla,
            section=section,
            text=f"New text {n}",
            base_revision_id=section.head_revision_id,
            message=f"edit {n}",
        )
    assert audit.count_events(session, report_id=world.report.id) == before + 3
    newest = audit.events(session, report_id=world.report.id, limit=2)
    older = audit.events(session, report_id=world.report.id, limit=2, offset=2)
    assert [(e.action, e.entity_id) for e in newest] == [
        ("save_revision", world.sections[2].id),
        ("save_revision", world.sections[1].id),
    ]
    assert (older[0].action, older[0].entity_id) == ("save_revision", world.sections[0].id)
    assert {e.id for e in newest}.isdisjoint({e.id for e in older})
    assert audit.count_events(session, entity="section", entity_id=world.sections[0].id) >= 1


def _some_work(session, world) -> None:
    """Leave events of several kinds: a save, a status move, a team change, a translation."""
    first = world.sections[0]
    sections.save_revision(
        session=session,
        actor=world.la,
        section=first,
        text="Living wages are defined by the cost of a decent life.",
        base_revision_id=first.head_revision_id,
    )
    sections.set_status(
        session=session, actor=world.cla, section=first, status=SectionStatus.ready_for_review
    )
    newcomer = make_person(session, "Nadia Haddad", email="nadia@example.org")
    teams.add_member(
        session=session,
        actor=world.secretariat,
        report=world.report,
        person=newcomer,
        role=Role.contributing_author,
    )
    translations.set_translation(
        session=session,
        actor=world.cla,
        section=first,
        language="fr",
        status=TranslationStatus.translated,
    )


def test_each_event_reads_as_a_sentence_naming_people_sections_and_reports(session, world):
    _some_work(session, world)
    entries = audit.describe(session, audit.events(session, report_id=world.report.id, limit=4))
    assert [e.what for e in entries] == [
        "CLA 1 marked the French (fr) translation of section 1.1 'Section 1.1' translated "
        "(was not started).",
        "Sam Secretariat made Nadia Haddad Contributing Author of the report test-report.",
        "CLA 1 moved section 1.1 'Section 1.1' from Drafting to Ready for review.",
        "LA 1 saved section 1.1 'Section 1.1' (revision 2, 11 words).",
    ]
    assert [e.kind for e in entries] == [
        "Translation status recorded",
        "Team member added",
        "Section status changed",
        "Section text saved",
    ]
    assert [e.who for e in entries] == ["CLA 1", "Sam Secretariat", "CLA 1", "LA 1"]
    assert {e.report for e in entries} == {"test-report"}
    assert {e.origin for e in entries} == {"app"}


def test_a_deleted_record_is_still_named_by_what_the_event_kept(session, world):
    section = sections.add_section(
        session=session,
        actor=world.cla,
        report=world.report,
        data=SectionCreate(code="5.9", question=Question.cross_cutting, title="Spare"),
    )
    sections.delete_section(session=session, actor=world.cla, section=section)
    deleted, added = audit.describe(session, audit.events(session, entity_id=section.id, limit=2))
    assert deleted.what == "CLA 1 deleted section 5.9."
    assert added.what == "CLA 1 added section 5.9."


def test_a_kind_of_event_it_does_not_know_still_says_who_did_what(session, world):
    audit.record(session, world.cla, "archive_everything", "report", world.report.id)
    session.commit()
    (entry,) = audit.describe(session, audit.events(session, limit=1))
    assert entry.what == "CLA 1: archive everything, the report test-report."
    assert entry.kind == "Report: archive everything"


def test_describing_a_page_takes_the_same_queries_however_many_events(session, world):
    _some_work(session, world)
    small_page = audit.events(session, limit=4)
    for n in range(12):
        _some_work_again(session, world, n)
    large_page = audit.events(session, limit=40)
    with count_queries(session) as small:
        audit.describe(session, small_page)
    with count_queries(session) as large:
        audit.describe(session, large_page)
    assert len(large) <= len(small) + 3  # one query per kind of record, not per event
    assert len(large) <= 12


def _some_work_again(session, world, n: int) -> None:
    section = world.sections[n % len(world.sections)]
    sections.save_revision(
        session=session,
        actor=world.lead_authors[n % len(world.sections)],
        section=section,
        text=f"Text number {n}.",
        base_revision_id=section.head_revision_id,
    )


def test_the_trail_filters_by_person_report_and_kind(session, world):
    _some_work(session, world)
    other = make_report(session, "other-report")
    audit.record(session, world.cla, "update", "report", other.id, report_id=other.id)
    session.commit()

    mine = audit.events(session, person_id=world.cla.id)
    assert mine and {e.person_id for e in mine} == {world.cla.id}
    assert audit.count_events(session, person_id=world.cla.id) == len(mine)
    in_other = audit.events(session, report_id=other.id)
    assert [(e.entity, e.action) for e in in_other] == [("report", "update")]
    saves = audit.events(session, kind=("section", "save_revision"))
    assert [e.entity_id for e in saves] == [world.sections[0].id]
    assert audit.count_events(session, person_id=world.la.id, kind=("section", "set_status")) == 0
    audit.record(session, None, "sign_in_failed", "person", None, email="x@example.org")
    session.commit()
    (failed,) = audit.events(session, person_id=audit.SYSTEM)
    assert audit.describe(session, [failed])[0].what == "A sign-in as x@example.org failed."

    assert ("section", "save_revision") in audit.kinds(session)
    assert audit.kind_label(("section", "save_revision")) == "Section text saved"
    names = dict(audit.people_in_trail(session))
    assert names[world.cla.id] == "CLA 1" and world.outsider.id not in names


def test_the_csv_holds_every_matching_event_formula_safe(session, world):
    prankster = make_person(
        session, '=HYPERLINK("http://evil.example")', roles=[(Role.cla, world.report)]
    )
    teams.sign_ethics(session=session, actor=prankster)
    for n in range(5):
        _some_work_again(session, world, n)
    expected = audit.count_events(session)
    data = audit.export_csv(session, actor=world.secretariat, batch=2)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == audit.CSV_COLUMNS
    assert len(rows) - 1 == expected  # every event, across batches of two
    signed = next(r for r in rows[1:] if r[3] == "Code of Ethics signed")
    assert signed[1] == '\'=HYPERLINK("http://evil.example")'
    assert signed[2].startswith("'=HYPERLINK(")  # the sentence starts with the name too
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    only_saves = audit.export_csv(
        session, actor=world.secretariat, kind=("section", "save_revision")
    )
    saves = list(csv.reader(io.StringIO(only_saves.decode("utf-8-sig"))))[1:]
    assert len(saves) == 5 and {r[3] for r in saves} == {"Section text saved"}


@pytest.mark.parametrize("who", ["cla", "la", "reviewer", "outsider"])
def test_only_the_secretariat_downloads_the_trail(session, world, who):
    actor = {"cla": world.cla, "la": world.la, "reviewer": world.reviewer}.get(who, world.outsider)
    with pytest.raises(PermissionDenied):
        audit.export_csv(session, actor=actor)
