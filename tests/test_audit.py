"""The audit trail: every service write leaves an event, and the trail pages newest first."""

from __future__ import annotations

from tests.factories import make_world
from workbench import audit, sections


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
