"""Reports' change tokens (workbench/content_version.py) follow every write to what a report prints.

A kept content hash is only as good as the token beside it: each test here
changes something the way a write outside the services would (hand-written SQL)
and checks that the right token of the right report changed — and that a change
to something the content does not hold leaves the content token, so the Council
page does not hash a large report again for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.factories import World, make_person, make_report
from tests.test_parts import review_round as review_round  # a fixture
from tests.test_trust_approvals import Content, approve
from tests.test_trust_approvals import rich as rich  # a fixture
from workbench import backup, content, content_version, council, db, export, sections
from workbench.errors import PermissionDenied
from workbench.migrate import upgrade
from workbench.models import DecisionStatus, Role, SectionStatus

Tokens = Callable[[], dict[int, tuple[int, int]]]


@pytest.fixture
def other(session: Session, world: World):
    """Return a second report, whose tokens a change to the first must leave alone."""
    return make_report(session, slug="another-report")


def snapshot(session: Session, *report_ids: int) -> dict[int, tuple[int, int]]:
    session.commit()
    found = {rid: content_version.tokens(session, rid) for rid in report_ids}
    assert all(value is not None for value in found.values())
    return found  # type: ignore[return-value]


# Hand-written SQL on the tables behind a report's content: (token, every report?, SQL).
CONTENT_CHANGES: dict[str, tuple[str, bool, str]] = {
    "a revision's text rewritten in place": (
        "content",
        False,
        "UPDATE sectionrevision SET text = 'Rewritten.' WHERE id = "
        "(SELECT head_revision_id FROM section WHERE id = :section)",
    ),
    "a section retitled": (
        "content",
        False,
        "UPDATE section SET title = 'Retitled' WHERE id = :section",
    ),
    "the report's edition": ("content", False, "UPDATE report SET edition = 2 WHERE id = :report"),
    "a source's key": ("content", False, "UPDATE source SET key = 'other2017' WHERE id = :source"),
    "a finding's source removed": (
        "content",
        False,
        "DELETE FROM findingsource WHERE finding_id = :finding",
    ),
    "a position's rationale": (
        "content",
        False,
        "UPDATE position SET rationale = 'Changed.' WHERE id = :position",
    ),
    "a recommendation's findings removed": (
        "content",
        False,
        "DELETE FROM recommendationfinding WHERE recommendation_id = :recommendation",
    ),
    "a recommendation's initiatives removed": (
        "content",
        False,
        "DELETE FROM recommendationinitiative WHERE recommendation_id = :recommendation",
    ),
    "an initiative's outcomes": (
        "content",
        False,
        "UPDATE initiative SET outcomes = 'Changed.' WHERE id = :initiative",
    ),
    "an actor renamed": ("content", True, "UPDATE actor SET name = 'Renamed' WHERE id = :actor"),
    # What the document prints besides the content.
    "the report's summary": (
        "document",
        False,
        "UPDATE report SET summary = 'Changed.' WHERE id = :report",
    ),
    "a team member leaves": (
        "document",
        False,
        "DELETE FROM membership WHERE person_id = :cla AND report_id = :report",
    ),
    "a person renamed": ("document", True, "UPDATE person SET name = 'Renamed' WHERE id = :cla"),
    "a theme renamed": ("document", True, "UPDATE theme SET name = 'Renamed'"),
}


@pytest.mark.parametrize("change", list(CONTENT_CHANGES))
def test_hand_written_sql_changes_the_token_of_the_report_it_touches(
    session, world, rich, other, change
):
    token, everywhere, sql = CONTENT_CHANGES[change]
    before = snapshot(session, world.report.id, other.id)
    params = {
        "report": world.report.id,
        "section": world.sections[0].id,
        "source": rich.source.id,
        "finding": rich.finding.id,
        "position": rich.position.id,
        "recommendation": rich.recommendation.id,
        "initiative": rich.initiative.id,
        "actor": rich.actor.id,
        "cla": world.cla.id,
    }
    result = session.connection().execute(
        text(sql), {k: v for k, v in params.items() if f":{k}" in sql}
    )
    assert result.rowcount >= 1, "the change must change something"
    after = snapshot(session, world.report.id, other.id)
    index = 0 if token == "content" else 1
    assert after[world.report.id][index] != before[world.report.id][index]
    if token == "document":  # a cover or a name: the approved content is the same
        assert after[world.report.id][0] == before[world.report.id][0]
    assert (after[other.id][index] != before[other.id][index]) is everywhere


def test_a_change_outside_the_content_leaves_the_content_token(session, world, rich):
    before = snapshot(session, world.report.id)
    connection = session.connection()
    connection.execute(
        text("UPDATE section SET brief = 'New brief.', word_target = 99 WHERE report_id = :r"),
        {"r": world.report.id},
    )
    connection.execute(
        text("UPDATE report SET due_date = start_date WHERE id = :r"), {"r": world.report.id}
    )
    after = snapshot(session, world.report.id)
    assert after[world.report.id][0] == before[world.report.id][0]
    assert after[world.report.id][1] != before[world.report.id][1]  # the cover's dates


def test_a_section_saved_through_the_service_changes_the_token_and_the_kept_hash(session, world):
    section = world.sections[0]
    first = content.current_hash(session, world.report.id)
    before = snapshot(session, world.report.id)
    sections.save_revision(
        session=session,
        actor=world.la,
        section=section,
        text="A new paragraph on living wages.",
        base_revision_id=section.head_revision_id,
    )
    after = snapshot(session, world.report.id)
    assert after[world.report.id][0] != before[world.report.id][0]
    assert content.current_hash(session, world.report.id) != first
    assert content.current_hash(session, world.report.id) == content.content_hash(
        session, world.report.id
    )


def test_a_new_report_has_tokens_and_tokens_are_not_counters(session, world):
    report = make_report(session, slug="brand-new")
    (content_token, document_token) = snapshot(session, report.id)[report.id]
    # Random, not 1, 2, 3…: a rebuilt or restored database cannot repeat a remembered one.
    assert {content_token, document_token} & {0, 1, 2} == set()


def test_a_restored_backup_has_tokens_and_its_approval_stands(tmp_path: Path, empty_engine):
    from tests.factories import make_world

    source = db.make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    upgrade(source)  # the migrations' triggers, not create_all's
    with Session(source, expire_on_commit=False) as s:
        world = make_world(s)
        Content(s, world)
        for section in world.sections:
            section.status = SectionStatus.accepted
            s.add(section)
        s.commit()
        decision = approve(s, world)
        assert council.decision_status(s, decision) is DecisionStatus.approved
        path = tmp_path / "workspace.zip"
        backup.write_backup(session=s, actor=world.secretariat, path=path)
        approved_hash = decision.text_hash
    source.dispose()
    backup.restore(empty_engine, path)
    with Session(empty_engine) as fresh:
        assert content_version.tokens(fresh, world.report.id) is not None
        restored = fresh.get(type(decision), decision.id)
        assert council.decision_status(fresh, restored) is DecisionStatus.approved
        assert content.current_hash(fresh, world.report.id) == approved_hash
        fresh.connection().execute(
            text("UPDATE section SET title = 'Changed after the restore' WHERE id = :s"),
            {"s": world.sections[0].id},
        )
        fresh.commit()
        assert council.decision_status(fresh, restored) is DecisionStatus.void


def test_another_person_s_commit_is_seen_by_the_next_check(session, world, rich, engine):
    decision = approve(session, world)
    assert council.decision_status(session, decision) is DecisionStatus.approved
    with Session(engine) as someone_else:
        section = someone_else.get(type(world.sections[0]), world.sections[0].id)
        section.title = "Changed by someone else"
        someone_else.add(section)
        someone_else.commit()
    # The session that loaded the section before still holds its old title: the check
    # reads the rows afresh, so it neither says "approved" nor keeps a stale hash.
    session.commit()
    assert world.sections[0].title != "Changed by someone else"
    assert council.decision_status(session, decision) is DecisionStatus.void
    with Session(engine) as next_run:  # the page's next run, on any server
        again = next_run.get(type(decision), decision.id)
        assert council.decision_status(next_run, again) is DecisionStatus.void


def test_a_member_added_to_the_team_changes_the_document_token_only(session, world, rich):
    before = snapshot(session, world.report.id)
    make_person(session, "New Author", roles=[(Role.lead_author, world.report)])
    after = snapshot(session, world.report.id)
    assert after[world.report.id][0] == before[world.report.id][0]
    assert after[world.report.id][1] != before[world.report.id][1]


def test_the_reading_copy_is_kept_until_something_it_prints_changes(
    session, world, rich, engine, monkeypatch
):
    gathered: list[int] = []
    real = export.gather

    def counting(*args, **kwargs):
        gathered.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "gather", counting)
    first = export.reading_copy(session, world.council[0], world.report)
    with Session(engine) as next_run:  # another page run, another reader
        reader = next_run.get(type(world.cla), world.cla.id)
        report = next_run.get(type(world.report), world.report.id)
        again = export.reading_copy(next_run, reader, report)
        assert again.draft.report is report  # the caller's own objects, not a kept session's
        assert again.draft.version == first.draft.version
    assert len(gathered) == 1
    # A new Lead Author is on the cover (the document token): gathered again.
    make_person(session, "Zora Newcomer", roles=[(Role.lead_author, world.report)])
    team = export.reading_copy(session, world.cla, world.report).draft.team
    assert "Zora Newcomer" in team[Role.lead_author]
    # A section's new text (the content token): the copy shows it, with a new version.
    section = world.sections[0]
    sections.save_revision(
        session=session,
        actor=world.la,
        section=section,
        text="Wage floors moved the lowest wages.",
        base_revision_id=section.head_revision_id,
    )
    changed = export.reading_copy(session, world.cla, world.report)
    assert any("Wage floors moved the lowest wages." in p.markdown for p in changed.parts)
    assert changed.draft.version != first.draft.version
    assert len(gathered) == 3


def test_the_reading_copy_still_asks_for_the_right_to_read(session, world, rich):
    export.reading_copy(session, world.cla, world.report)  # kept now
    with pytest.raises(PermissionDenied):
        export.reading_copy(session, world.outsider, world.report)


def test_the_review_copy_s_version_is_kept_and_follows_what_the_round_froze(
    session, world, review_round
):
    first = export.gather(session, world.cla, world.report, text="review")
    again = export.gather(session, world.cla, world.report, text="review")
    assert first.under_review is not None and again.version == first.version
    # A frozen text rewritten by hand: the copy, and its version, change at once.
    session.connection().execute(
        text(
            "UPDATE sectionrevision SET text = 'Rewritten by hand.' WHERE id = "
            "(SELECT revision_id FROM frozensection WHERE round_id = :r ORDER BY section_id "
            "LIMIT 1)"
        ),
        {"r": review_round.id},
    )
    session.commit()
    changed = export.gather(session, world.cla, world.report, text="review")
    assert "Rewritten by hand." in changed.body
    assert changed.version != first.version
