"""Reports: creation, stage gates, progress figures."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import SAMPLE_TEXT, make_section
from workbench import reports, sections
from workbench.errors import NotFound, PermissionDenied, ValidationError
from workbench.models import (
    Question,
    ReportCreate,
    ReviewRound,
    RoundStatus,
    SectionStatus,
    Stage,
)


def new_report(**overrides) -> ReportCreate:
    fields = {
        "slug": "cities-commons",
        "title": "Cities as commons",
        "start_date": date(2026, 1, 1),
        "due_date": date(2026, 12, 1),
        "languages": ["fr"],
    }
    fields.update(overrides)
    return ReportCreate(**fields)


def test_secretariat_creates_a_report_with_english_first(session, world):
    report, warnings = reports.create_report(
        session=session, actor=world.secretariat, data=new_report()
    )
    assert report.stage == Stage.scoping
    assert report.languages == ["en", "fr"]
    assert warnings == []
    assert reports.get_report(session, "cities-commons").id == report.id


def test_short_horizon_warns_but_does_not_block(session, world):
    report, warnings = reports.create_report(
        session=session, actor=world.secretariat, data=new_report(due_date=date(2026, 4, 1))
    )
    assert report.id is not None
    assert "horizon is 3.0 months" in warnings[0]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "Bad Slug"}, "not a valid slug"),
        ({"slug": "test-report"}, "already exists"),
        ({"title": "  "}, "needs a title"),
        ({"due_date": date(2025, 1, 1)}, "must come after the start date"),
        ({"languages": ["english"]}, "not a language code"),
    ],
)
def test_invalid_reports_are_refused(session, world, overrides, message):
    with pytest.raises(ValidationError, match=message):
        reports.create_report(
            session=session, actor=world.secretariat, data=new_report(**overrides)
        )
    assert [r.slug for r in reports.list_reports(session)] == ["test-report"]


def test_only_the_secretariat_creates_reports(session, world):
    with pytest.raises(PermissionDenied, match="Secretariat"):
        reports.create_report(session=session, actor=world.cla, data=new_report())


def test_unknown_slug_names_the_reports_there_are(session, world):
    with pytest.raises(NotFound, match="Reports: test-report"):
        reports.get_report(session, "nope")


def test_stages_move_one_step_through_their_gates(session, world):
    report = world.report
    with pytest.raises(ValidationError, match="one stage at a time"):
        reports.advance_stage(session=session, actor=world.cla, report=report, to=Stage.final_draft)
    reports.advance_stage(
        session=session, actor=world.cla, report=report, to=Stage.zero_order_draft
    )
    empty = make_section(session, report, "4.9", Question.action)
    with pytest.raises(ValidationError, match="Sections without text: 4.9"):
        reports.advance_stage(
            session=session, actor=world.cla, report=report, to=Stage.first_order_draft
        )
    sections.delete_section(session=session, actor=world.cla, section=empty)
    reports.advance_stage(
        session=session, actor=world.cla, report=report, to=Stage.first_order_draft
    )
    with pytest.raises(ValidationError, match="review round has not been held"):
        reports.advance_stage(
            session=session, actor=world.cla, report=report, to=Stage.second_order_draft
        )
    session.add(
        ReviewRound(
            report_id=report.id,
            name="FOD",
            stage=Stage.first_order_draft,
            status=RoundStatus.closed,
            opens_on=date(2026, 5, 1),
            closes_on=date(2026, 6, 1),
        )
    )
    session.commit()
    reports.advance_stage(
        session=session, actor=world.cla, report=report, to=Stage.second_order_draft
    )
    assert report.stage == Stage.second_order_draft
    # One step back is allowed (e.g. after the Council asks for changes).
    reports.advance_stage(
        session=session, actor=world.cla, report=report, to=Stage.first_order_draft
    )
    assert report.stage == Stage.first_order_draft


def test_council_review_needs_every_section_accepted(session, world):
    report = world.report
    report.stage = Stage.final_draft
    session.commit()
    with pytest.raises(ValidationError, match="not yet accepted: 1.1, 2.1, 3.1, 4.1"):
        reports.advance_stage(
            session=session, actor=world.cla, report=report, to=Stage.council_review
        )
    for section in world.sections:
        section.status = SectionStatus.accepted
    session.commit()
    reports.advance_stage(session=session, actor=world.cla, report=report, to=Stage.council_review)
    with pytest.raises(ValidationError, match="no Council approval"):
        reports.advance_stage(session=session, actor=world.cla, report=report, to=Stage.approved)


def test_lead_authors_cannot_move_stages(session, world):
    with pytest.raises(PermissionDenied):
        reports.advance_stage(
            session=session, actor=world.la, report=world.report, to=Stage.zero_order_draft
        )
    assert world.report.stage == Stage.scoping


def test_progress_figures(session, world):
    world.sections[0].due_date = date(2026, 2, 1)
    world.sections[1].word_target = 1000
    session.commit()
    [progress] = reports.list_reports(session, today=date(2026, 6, 1))
    assert progress.sections == 4
    assert progress.by_status == {"drafting": 4}
    assert progress.overdue == 1
    assert progress.word_target == 1000
    assert progress.authors == 11
    assert progress.words == 4 * len(SAMPLE_TEXT.split())
    assert progress.as_dict()["stage"] == "scoping"


def test_reports_for_a_person(session, world):
    assert [r.slug for r in reports.reports_for(session, world.la)] == ["test-report"]
    assert [r.slug for r in reports.reports_for(session, world.council[0])] == ["test-report"]
    assert reports.reports_for(session, world.outsider) == []


def test_progress_over_time_counts_revisions_and_running_words(session, world):
    from datetime import UTC, datetime

    from workbench.models import SectionRevision

    first = world.sections[0]
    day1, day2 = datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 3, 5, 16, tzinfo=UTC)
    for section in world.sections:
        head = session.get(SectionRevision, section.head_revision_id)
        head.created_at = day1
        session.add(head)
    session.commit()
    longer = SAMPLE_TEXT + "A new closing sentence of six words.\n"
    rev2 = sections.save_revision(
        session=session,
        actor=world.la,
        section=first,
        text=longer,
        base_revision_id=first.head_revision_id,
    ).revision
    rev2.created_at = day2
    session.add(rev2)
    session.commit()
    days = reports.progress_over_time(session, world.report.id)
    assert [d.day for d in days] == [date(2026, 3, 2), date(2026, 3, 5)]
    assert [d.revisions for d in days] == [4, 1]
    assert [d.total_revisions for d in days] == [4, 5]
    assert days[0].total_words == 4 * len(SAMPLE_TEXT.split())
    assert days[1].words_added == rev2.words - len(SAMPLE_TEXT.split())
    assert days[-1].total_words == sum(
        s.words for s in sections.list_sections(session, world.report.id)
    )
    assert reports.progress_over_time(session, world.report.id + 99) == []


def test_the_open_comments_of_a_report_follow_its_comments(session, world):
    """The Dashboard's open comments per report: those without a disposition, all rounds."""
    from tests.test_next_steps import answer, comment, open_round

    assert reports.report_progress(session, world.report).open_comments == 0
    review_round = open_round(session, world)
    first = comment(session, world, review_round, 0)
    comment(session, world, review_round, 0)
    comment(session, world, review_round, 1)
    assert reports.report_progress(session, world.report).open_comments == 3
    answer(session, world, first)
    assert reports.report_progress(session, world.report).open_comments == 2
