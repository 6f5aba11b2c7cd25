"""Comments on the parts of a report other than sections: findings, registers, recommendations.

A review round freezes these parts with its sections; reviewers cite their lines
by the part's code (``KF``, ``CR``, ``FS``, ``REC``, ``IN``) or by an item's
(``F1``, ``CR1``, ``R1``…), and responses, sign-off and the close gate work as
for sections.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from tests.factories import World
from workbench import consensus, findings, initiatives, parts, recommendations, reviews, sections
from workbench.comment_table import CommentRow, read_table, write_csv
from workbench.errors import ImportFailed, PermissionDenied, ValidationError
from workbench.models import (
    ActorType,
    Agreement,
    Classification,
    ConsensusItemCreate,
    Disposition,
    Evidence,
    FindingCreate,
    Horizon,
    InitiativeCreate,
    RecommendationCreate,
    ReviewRound,
    Scale,
    Stage,
)

TODAY = date.today()


@pytest.fixture
def review_round(session: Session, world: World) -> ReviewRound:
    """A report with two findings, a consensus item, a false solution, a recommendation and
    an initiative, under an open FOD round."""
    report = world.report
    for code, section in (("F1", world.sections[0]), ("F2", world.sections[1])):
        findings.add_finding(
            session=session,
            actor=world.cla,
            report=report,
            data=FindingCreate(
                code=code,
                statement=f"Finding {code} is about wages.",
                evidence=Evidence.robust,
                agreement=Agreement.high,
                section_id=section.id,
            ),
        )
    for statement, classification in (
        ("Living wages reduce poverty.", Classification.consensus),
        ("Voluntary codes alone close the gap.", Classification.false_solution),
    ):
        consensus.add_item(
            session=session,
            actor=world.cla,
            report=report,
            data=ConsensusItemCreate(
                statement=statement,
                classification=classification,
                why_false="Audits miss most suppliers."
                if classification == Classification.false_solution
                else "",
                section_id=world.sections[2].id,
            ),
        )
    recommendations.add_recommendation(
        session=session,
        actor=world.cla,
        report=report,
        data=RecommendationCreate(
            code="R1",
            text="Index minimum wages to the cost of a decent life.",
            addressees=[ActorType.national_government],
            scale=Scale.national,
            horizon=Horizon.short_term,
            context_conditions="Where a wage board exists.",
            normative_assumptions="Work should pay enough to live on.",
        ),
    )
    initiatives.add_initiative(
        session=session,
        actor=world.cla,
        report=report,
        data=InitiativeCreate(name="Wage board of Ruritania", who="The wage board", what="Sets"),
    )
    report.stage = Stage.first_order_draft
    session.add(report)
    session.commit()
    return reviews.open_round(
        session=session,
        actor=world.cla,
        report=report,
        name="FOD",
        opens_on=TODAY - timedelta(days=1),
        closes_on=TODAY + timedelta(days=30),
    )


def target(session: Session, review_round: ReviewRound, code: str) -> parts.Target:
    found = parts.resolve(parts.targets(session, review_round.id), code)
    assert found is not None, code
    return found


def comment(session: Session, world: World, review_round: ReviewRound, part: str, lines=None):
    first, last = lines or target(session, review_round, part).lines or (1, 1)
    return reviews.add_comment(
        session=session,
        actor=world.reviewer,
        round=review_round,
        part=part,
        from_line=first,
        to_line=last,
        comment=f"A comment on {part}.",
    )


def test_opening_a_round_freezes_every_part_with_the_lines_of_each_item(session, review_round):
    frozen = {p.code: p for p in parts.frozen(session, review_round.id)}
    assert list(frozen) == ["KF", "CR", "FS", "REC", "IN"]
    lines = sections.lines_of(frozen["KF"].markdown)
    first, last = frozen["KF"].items["F2"]["lines"]
    assert first == last
    assert lines[first - 1].startswith("| F2 | Finding F2 is about wages")
    r_first, r_last = frozen["REC"].items["R1"]["lines"]
    printed = "\n".join(sections.lines_of(frozen["REC"].markdown)[r_first - 1 : r_last])
    assert "**R1.** Index minimum wages" in printed
    assert "Where a wage board exists." in printed
    assert "Work should pay enough to live on." in printed
    assert frozen["CR"].items["CR1"]["lines"][0] > 0
    assert (
        "Voluntary codes alone"
        in sections.lines_of(frozen["FS"].markdown)[frozen["FS"].items["FS1"]["lines"][0] - 1]
    )
    assert "Wage board of Ruritania" in frozen["IN"].markdown


def test_the_frozen_part_does_not_follow_later_edits(session, world, review_round):
    finding = findings.list_findings(session, report_id=world.report.id)[0]
    findings.update_finding(
        session=session, actor=world.cla, finding=finding, statement="Rewritten after the round."
    )
    kf = parts.frozen(session, review_round.id)[0]
    assert "Finding F1 is about wages" in kf.markdown
    assert "Rewritten" not in kf.markdown


def test_a_reviewer_comments_on_a_finding_a_part_and_a_recommendation(session, world, review_round):
    on_finding = comment(session, world, review_round, "f2")
    assert (on_finding.section_id, on_finding.part) == (None, "F2")
    whole = comment(session, world, review_round, "KF", lines=(1, 3))
    assert whole.part == "KF"
    on_rec = comment(session, world, review_round, "R1")
    assert on_rec.part == "R1"
    assert [r.section for r in reviews.comment_rows(session, round_id=review_round.id)] == [
        "F2",
        "KF",
        "R1",
    ]


def test_lines_outside_an_item_or_a_part_are_refused_saying_where_it_is(
    session, world, review_round
):
    first, _ = target(session, review_round, "F1").lines
    with pytest.raises(ValidationError) as caught:
        comment(session, world, review_round, "F1", lines=(first, first + 1))
    assert f"Finding F1 is on line {first} of Key findings (KF)" in str(caught.value)
    count = target(session, review_round, "KF").line_count
    with pytest.raises(ValidationError) as caught:
        comment(session, world, review_round, "KF", lines=(count + 1, count + 1))
    assert f"Key findings (KF) as frozen for FOD has {count} lines" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        comment(session, world, review_round, "Z9", lines=(1, 1))
    assert "'Z9' is not a section or part of the report frozen for FOD" in str(caught.value)
    assert "its parts are KF, CR, FS, REC, IN" in str(caught.value)


def test_the_comment_table_takes_part_and_item_codes_and_gives_them_back(
    session, world, review_round
):
    f1 = target(session, review_round, "F1").lines
    cr1 = target(session, review_round, "CR1").lines
    rows = [
        CommentRow(None, "f1", f1[0], f1[1], "Ana Reviewer", comment="Too strong."),
        CommentRow(None, "CR1", cr1[0], cr1[1], "Ana Reviewer", comment="Which actors?"),
        CommentRow(None, "REC", 1, 1, "Ana Reviewer", comment="Order by horizon."),
        CommentRow(None, "1.1", 1, 1, "Ana Reviewer", comment="On a section."),
    ]
    added = reviews.import_comment_rows(
        session=session,
        actor=world.cla,
        report=world.report,
        round=review_round,
        source="table.csv",
        rows=rows,
    )
    assert added == 4
    back = read_table(
        "back.csv",
        reviews.export_comments(session, actor=world.cla, report=world.report, round=review_round),
    )
    assert [(r.section, r.from_line, r.to_line) for r in back] == [
        ("F1", *f1),
        ("CR1", *cr1),
        ("REC", 1, 1),
        ("1.1", 1, 1),
    ]


def test_a_table_row_outside_its_item_is_refused_and_nothing_is_imported(
    session, world, review_round
):
    first, _ = target(session, review_round, "R1").lines
    rows = [
        CommentRow(None, "KF", 1, 1, "Ana Reviewer", comment="Fine."),
        CommentRow(None, "R1", 1, first, "Ana Reviewer", comment="Too early.", row=3),
    ]
    with pytest.raises(ImportFailed) as caught:
        reviews.import_comment_rows(
            session=session,
            actor=world.cla,
            report=world.report,
            round=review_round,
            source="t.csv",
            rows=rows,
            locate=lambda row: f"Row {row.row} of t.csv",
        )
    assert any(
        p.startswith("Row 3 of t.csv: Recommendation R1 is on lines")
        for p in map(str, caught.value.problems)
    )
    assert reviews.list_comments(session, round_id=review_round.id)[1] == 0


def test_the_authors_of_an_items_section_and_the_clas_answer_it(session, world, review_round):
    on_f1 = comment(session, world, review_round, "F1")  # finding of section 1.1, led by LA 1
    on_r1 = comment(session, world, review_round, "R1")  # a recommendation with no section
    assert reviews.may_answer(session, world.lead_authors[0], on_f1)
    assert not reviews.may_answer(session, world.lead_authors[1], on_f1)
    assert not reviews.may_answer(session, world.lead_authors[0], on_r1)
    assert reviews.may_answer(session, world.cla, on_r1)
    with pytest.raises(PermissionDenied) as caught:
        reviews.respond(
            session=session,
            actor=world.lead_authors[0],
            comment=on_r1,
            response="Done.",
            disposition=Disposition.accepted,
        )
    assert "the CLAs answer comments on the report's parts" in str(caught.value)
    reviews.respond(
        session=session,
        actor=world.lead_authors[0],
        comment=on_f1,
        response="Softened.",
        disposition=Disposition.accepted,
    )
    assert on_f1.disposition == Disposition.accepted


def test_an_open_comment_on_a_part_keeps_the_round_open_and_counts_in_its_part(
    session, world, review_round
):
    on_r1 = comment(session, world, review_round, "R1")
    comment(session, world, review_round, "F1")
    comment(session, world, review_round, "KF", lines=(1, 1))
    with pytest.raises(ValidationError):
        reviews.close_round(session=session, actor=world.cla, round=review_round)
    counts = {
        c["section"]: c for c in reviews.disposition_counts(session, round_id=review_round.id)
    }
    assert counts["KF"]["total"] == 2 and counts["KF"]["open"] == 2
    assert counts["REC"]["total"] == 1 and counts["REC"]["section_id"] is None
    for c in reviews.list_comments(session, round_id=review_round.id)[0]:
        reviews.respond(
            session=session,
            actor=world.cla,
            comment=c,
            response="Taken up.",
            disposition=Disposition.taken_into_account,
        )
    reviews.sign_off(session=session, actor=world.review_editor, comments=[on_r1])
    assert on_r1.signed_off_at is not None
    closed = reviews.close_round(session=session, actor=world.cla, round=review_round)
    assert closed.status.value == "closed"


def test_comments_can_be_listed_by_part(session, world, review_round):
    comment(session, world, review_round, "F1")
    comment(session, world, review_round, "R1")
    page, total = reviews.list_comments(session, round_id=review_round.id, part_codes=["R1"])
    assert total == 1 and page[0].part == "R1"


def test_a_csv_round_trip_keeps_part_codes(session, world, review_round):
    comment(session, world, review_round, "IN1")
    data = write_csv(reviews.comment_rows(session, round_id=review_round.id))
    assert read_table("x.csv", data)[0].section == "IN1"


def test_the_review_copy_prints_the_frozen_parts_and_its_version_ignores_later_edits(
    session, world, review_round
):
    from workbench import export

    before = export.gather(session, world.cla, world.report)
    current_before = export.gather(session, world.cla, world.report, text="current")
    finding = findings.list_findings(session, report_id=world.report.id)[0]
    findings.update_finding(
        session=session, actor=world.cla, finding=finding, statement="Rewritten after the round."
    )
    after = export.gather(session, world.cla, world.report)
    current_after = export.gather(session, world.cla, world.report, text="current")
    assert "Finding F1 is about wages" in after.body and "Rewritten" not in after.body
    assert after.version == before.version
    assert "Rewritten after the round" in current_after.body
    assert current_after.version != current_before.version


def test_what_next_tells_who_answers_that_comments_on_parts_await_them(
    session, world, review_round
):
    from workbench import next_steps

    def part_steps(person):
        steps = next_steps.next_steps(session, person=person, report=world.report, today=TODAY)
        return [s for s in steps if s.kind == "part_comments_to_answer"]

    comment(session, world, review_round, "F1")  # of section 1.1, led by LA 1
    comment(session, world, review_round, "R1")  # no section: the CLAs answer it
    (for_la,) = part_steps(world.lead_authors[0])
    assert for_la.title == (
        "1 review comment on the report's findings, registers or recommendations awaits your answer"
    )
    assert "In FOD, on F1." in for_la.detail
    assert for_la.params == {"report": world.report.slug, "round": "FOD"}
    (for_cla,) = part_steps(world.cla)
    assert "In FOD, on F1, R1." in for_cla.detail
    assert part_steps(world.lead_authors[1]) == []
    for c in reviews.list_comments(session, round_id=review_round.id)[0]:
        reviews.respond(
            session=session,
            actor=world.cla,
            comment=c,
            response="Done.",
            disposition=Disposition.accepted,
        )
    assert part_steps(world.cla) == []


def test_the_part_targets_are_the_targets_without_sections(session, world, review_round):
    every = parts.targets(session, review_round.id)
    assert any(t.kind == "section" for t in every.values())
    without = parts.part_targets(session, review_round.id)
    assert without == {code: t for code, t in every.items() if t.kind != "section"}
    assert {t.kind for t in without.values()} == {"part", "item"}
