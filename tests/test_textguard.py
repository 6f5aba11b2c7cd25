"""The text guard: NUL, control characters and over-long texts never reach the database.

Each test goes through a service, as a form or the command line would, on
SQLite and PostgreSQL, and then looks at the database with a fresh session to
show that nothing of the refused change was written.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from tests.factories import World
from workbench import people, reviews, sections, sources
from workbench.errors import ValidationError
from workbench.limits import MAX_TEXT_CHARS
from workbench.models import (
    AuditEvent,
    Person,
    ReviewComment,
    Section,
    SectionRevision,
    Source,
    SourceCreate,
    Stage,
)
from workbench.textguard import field_name, json_problem

TODAY = date.today()


def fresh_count(engine: Engine, model: type, *where) -> int:
    """Count rows with a new session, so only what was committed is seen."""
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def audit_count(engine: Engine) -> int:
    return fresh_count(engine, AuditEvent)


# --------------------------------------------------------------------------- people


def test_a_1000_character_name_is_refused_and_nothing_is_written(session, world: World, engine):
    before_audit = audit_count(engine)
    with pytest.raises(ValidationError) as refused:
        people.update_person(
            session=session, actor=world.secretariat, person=world.la, name="N" * 1000
        )
    assert refused.value.message == (
        f"The name of the person '{world.la.email}': it is 1,000 characters long; at most 200 fit."
    )
    session.rollback()
    with Session(engine) as s:
        assert s.get(Person, world.la.id).name == "LA 1"
    assert audit_count(engine) == before_audit


def test_the_command_line_says_why_a_name_is_refused(tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app

    env = {"WORKBENCH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    runner = CliRunner()
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    added = runner.invoke(
        app, ["users", "add", "sec@example.org", "--name", "Sam", "--role", "secretariat"], env=env
    )
    assert added.exit_code == 0, added.output
    for name, why in (
        ("N" * 1000, "The name of the new person: it is 1,000 characters long; at most 200 fit."),
        ("Ann\x01", "control character (code 0x01) at position 4"),
    ):
        result = runner.invoke(app, ["users", "add", "ann@example.org", "--name", name], env=env)
        assert result.exit_code == 1
        assert why in result.output
        assert "Traceback" not in result.output
    listed = runner.invoke(app, ["users", "list", "--json"], env=env)
    assert "ann@example.org" not in listed.output


def test_a_nul_in_a_renamed_person_is_refused_and_the_old_name_stays(session, world: World, engine):
    with pytest.raises(ValidationError, match=r"The name of the person .*0x00\) at position 4"):
        people.update_person(
            session=session, actor=world.secretariat, person=world.la, name="Wei\x00 Zhang"
        )
    session.rollback()
    with Session(engine) as s:
        assert s.get(Person, world.la.id).name == world.la.name == "LA 1"


def test_an_old_bad_value_does_not_block_an_unrelated_edit(session, world: World, engine):
    """Only the fields that change are checked on a record stored before the guard existed."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE person SET affiliation = :a WHERE id = :i"),
            {"a": "Old\x07 University", "i": world.la.id},
        )
    session.refresh(world.la)
    people.update_person(session=session, actor=world.secretariat, person=world.la, name="Wei")
    with Session(engine) as s:
        assert s.get(Person, world.la.id).name == "Wei"


def test_tabs_and_newlines_are_text(session, world: World, engine):
    person = people.update_person(
        session=session,
        actor=world.secretariat,
        person=world.la,
        affiliation="Dept.\tof Economics\r\nUniversity",
    )
    with Session(engine) as s:
        assert s.get(Person, person.id).affiliation == "Dept.\tof Economics\r\nUniversity"


# --------------------------------------------------------------------------- review comments


def open_round(session: Session, world: World):
    world.report.stage = Stage.first_order_draft
    session.add(world.report)
    session.commit()
    return reviews.open_round(
        session=session,
        actor=world.cla,
        report=world.report,
        name="FOD",
        opens_on=TODAY - timedelta(days=1),
        closes_on=TODAY + timedelta(days=30),
    )


def test_a_40_mb_review_comment_is_refused_and_nothing_is_written(session, world: World, engine):
    review_round = open_round(session, world)
    before_audit = audit_count(engine)
    with pytest.raises(ValidationError) as refused:
        reviews.add_comment(
            session=session,
            actor=world.reviewer,
            round=review_round,
            section_id=world.sections[0].id,
            from_line=1,
            to_line=1,
            comment="x" * (40 * 1024 * 1024),
        )
    assert refused.value.message == (
        f"The comment of review comment 1: it is 41,943,040 characters long; "
        f"at most {MAX_TEXT_CHARS:,} fit."
    )
    assert fresh_count(engine, ReviewComment) == 0
    assert audit_count(engine) == before_audit
    # The session is usable again: a normal comment goes in with the number 1.
    saved = reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        section_id=world.sections[0].id,
        from_line=1,
        to_line=1,
        comment="Cite the ILO estimates here.",
    )
    assert saved.number == 1
    assert fresh_count(engine, ReviewComment) == 1


def test_a_comment_with_a_control_character_is_refused(session, world: World, engine):
    review_round = open_round(session, world)
    with pytest.raises(ValidationError, match=r"suggested change of review comment 1.*0x1b"):
        reviews.add_comment(
            session=session,
            actor=world.reviewer,
            round=review_round,
            section_id=world.sections[0].id,
            from_line=1,
            to_line=1,
            comment="Fine.",
            suggested_change="\x1b[31mred\x1b[0m",
        )
    assert fresh_count(engine, ReviewComment) == 0


def test_rows_inserted_in_bulk_are_checked_too(session, world: World, engine):
    """An import writes comments with one INSERT of many rows: those rows are checked as well."""
    review_round = open_round(session, world)
    row = {
        "round_id": review_round.id,
        "number": 7,
        "section_id": world.sections[0].id,
        "from_line": 1,
        "to_line": 1,
        "reviewer_name": "Reviewer\x00",
        "comment": "Fine.",
    }
    with pytest.raises(ValidationError, match=r"reviewer's name of review comment 7.*0x00"):
        session.execute(insert(ReviewComment), [row])
    session.rollback()
    assert fresh_count(engine, ReviewComment) == 0


# --------------------------------------------------------------------------- sections


def test_a_nul_in_a_section_text_is_refused_and_the_head_stays(session, world: World, engine):
    section = world.sections[0]
    head = section.head_revision_id
    revisions_before = fresh_count(engine, SectionRevision)
    with pytest.raises(ValidationError) as refused:
        sections.save_revision(
            session=session,
            actor=world.la,
            section=section,
            text="Wages below the cost\x00 of a decent life.",
            base_revision_id=head,
        )
    assert refused.value.message.startswith(
        f"The text of the new revision of the section '{section.code}': it contains a control "
        "character (code 0x00) at position 21"
    )
    assert fresh_count(engine, SectionRevision) == revisions_before
    with Session(engine) as s:
        assert s.get(Section, section.id).head_revision_id == head


# --------------------------------------------------------------------------- sources


def test_a_nul_in_a_sources_csl_title_is_refused(session, world: World, engine):
    data = SourceCreate(
        key="anker2017",
        csl={"type": "book", "title": "Living Wages\x00 Around the World", "issued": 2017},
    )
    with pytest.raises(ValidationError, match=r"of the source 'anker2017'.*code 0x00"):
        sources.add_source(session=session, actor=world.la, report=world.report, data=data)
    assert fresh_count(engine, Source) == 0


def test_a_control_character_deep_in_a_csl_record_is_found(session, world: World, engine):
    data = SourceCreate(
        key="anker2017",
        csl={
            "type": "book",
            "title": "Living Wages Around the World",
            "author": [{"family": "Anker", "given": "Richard\x07"}],
        },
    )
    with pytest.raises(ValidationError) as refused:
        sources.add_source(session=session, actor=world.la, report=world.report, data=data)
    assert refused.value.message == (
        "The bibliographic record (CSL-JSON) of the source 'anker2017': in 'author[0].given', "
        "it contains a control character (code 0x07) at position 8; remove it."
    )
    assert fresh_count(engine, Source) == 0


def test_json_walk_is_bounded_in_depth_and_size():
    deep: list = []
    for _ in range(100):
        deep = [deep]
    assert json_problem(deep) == "it is nested more than 32 levels deep"
    assert json_problem(list(range(300_000))) == "it holds more than 200,000 values"
    assert json_problem({"title": "fine", "note": ["a", "b\tc"]}) is None


def test_fields_are_named_in_words():
    assert field_name("person", "email") == "email address"
    assert field_name("reviewcomment", "suggested_change") == "suggested change"
    assert field_name("sectionrevision", "message") == "revision message"
