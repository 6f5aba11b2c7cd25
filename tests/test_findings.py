"""Key findings: calibrated confidence, codes, linked sources, the evidence × agreement grid."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.factories import World, count_queries, make_person, make_report, row_counts
from workbench import audit
from workbench.errors import PermissionDenied, ValidationError
from workbench.findings import (
    add_finding,
    finding_sources,
    findings_grid,
    link_sources,
    list_findings,
    sources_by_finding,
    update_finding,
)
from workbench.models import (
    Agreement,
    Confidence,
    Evidence,
    Finding,
    FindingCreate,
    Likelihood,
    Person,
    Report,
    Role,
    Source,
)


def add_source(session: Session, report: Report, key: str) -> Source:
    source = Source(report_id=report.id, key=key, title=f"Title of {key}")
    session.add(source)
    session.commit()
    return source


def refused_people(session: Session, world: World) -> list[Person]:
    """Return people who may not edit a report's content (an unsigned Lead Author among them)."""
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    return [
        world.outsider,
        world.reviewer,
        unsigned,
        world.secretariat,
        world.contributor,
        world.review_editor,
        world.council[0],
    ]


def data(code: str = "F1", **fields) -> FindingCreate:
    values = {
        "code": code,
        "statement": "Wages below a living wage are widespread.",
        "evidence": Evidence.robust,
        "agreement": Agreement.high,
    }
    values.update(fields)
    return FindingCreate(**values)


def test_a_lead_author_adds_a_finding_whose_confidence_comes_from_the_grid(session, world):
    finding = add_finding(
        session=session,
        actor=world.la,
        report=world.report,
        data=data(evidence=Evidence.medium, agreement=Agreement.high, likelihood="likely"),
    )
    assert finding.id is not None
    assert finding.confidence is Confidence.high
    assert finding.likelihood is Likelihood.likely
    stored = session.exec(select(Finding).where(Finding.id == finding.id)).one()
    assert stored.confidence == Confidence.high
    events = audit.events(session, entity="finding", entity_id=finding.id)
    assert [e.action for e in events] == ["add"]
    assert events[0].person_id == world.la.id


def test_confidence_typed_in_by_hand_is_ignored(session, world):
    raw = {
        "code": "F1",
        "statement": "Robust and agreed.",
        "evidence": "limited",
        "agreement": "low",
        "confidence": "very_high",
    }
    finding = add_finding(
        session=session, actor=world.cla, report=world.report, data=FindingCreate(**raw)
    )
    assert finding.confidence is Confidence.very_low


def test_code_and_statement_are_trimmed_and_required(session, world):
    finding = add_finding(
        session=session, actor=world.la, report=world.report, data=data(code="  F7 ")
    )
    assert finding.code == "F7"
    before = row_counts(session)
    with pytest.raises(ValidationError, match="needs a statement"):
        add_finding(
            session=session, actor=world.la, report=world.report, data=data("F2", statement="  ")
        )
    with pytest.raises(ValidationError, match="needs a code"):
        add_finding(session=session, actor=world.la, report=world.report, data=data(code=" "))
    assert row_counts(session) == before


def test_a_code_is_unique_within_a_report_only(session, world):
    add_finding(session=session, actor=world.la, report=world.report, data=data("F1"))
    before = row_counts(session)
    with pytest.raises(ValidationError, match="already has a finding coded 'F1'"):
        add_finding(session=session, actor=world.cla, report=world.report, data=data("F1"))
    assert row_counts(session) == before

    other = make_report(session, slug="other-report")
    author = make_person(session, "Other LA", roles=[(Role.lead_author, other)], signed=True)
    assert add_finding(session=session, actor=author, report=other, data=data("F1")).code == "F1"


def test_linked_sources_must_belong_to_the_report(session, world):
    mine = add_source(session, world.report, "anker2017")
    other = make_report(session, slug="other-report")
    foreign = add_source(session, other, "elsewhere2020")
    before = row_counts(session)
    with pytest.raises(ValidationError) as refused:
        add_finding(
            session=session,
            actor=world.la,
            report=world.report,
            data=data(source_ids=[mine.id, foreign.id, 9999]),
        )
    assert f"id {foreign.id}, 9999" in refused.value.message
    assert str(mine.id) + "," not in refused.value.message
    assert row_counts(session) == before

    finding = add_finding(
        session=session, actor=world.la, report=world.report, data=data(source_ids=[mine.id])
    )
    assert [s.key for s in finding_sources(session, finding.id)] == ["anker2017"]


def test_a_finding_placed_in_another_reports_section_is_refused(session, world):
    other = make_report(session, slug="other-report")
    from tests.factories import make_section
    from workbench.models import Question

    elsewhere = make_section(session, other, "9.9", Question.known)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="not part of the report 'test-report'"):
        add_finding(
            session=session,
            actor=world.la,
            report=world.report,
            data=data(section_id=elsewhere.id),
        )
    assert row_counts(session) == before
    placed = add_finding(
        session=session,
        actor=world.la,
        report=world.report,
        data=data(section_id=world.sections[0].id),
    )
    assert placed.section_id == world.sections[0].id


def test_only_signed_clas_and_lead_authors_add_findings(session, world):
    people = refused_people(session, world)
    before = row_counts(session)
    for person in people:
        with pytest.raises(PermissionDenied):
            add_finding(session=session, actor=person, report=world.report, data=data())
    assert row_counts(session) == before
    assert add_finding(session=session, actor=world.cla, report=world.report, data=data())


def test_an_unsigned_lead_author_is_told_to_sign_the_code(session, world):
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    with pytest.raises(PermissionDenied, match="Code of Ethics"):
        add_finding(session=session, actor=unsigned, report=world.report, data=data())


def test_updating_evidence_or_agreement_recomputes_confidence(session, world):
    finding = add_finding(
        session=session,
        actor=world.la,
        report=world.report,
        data=data(evidence=Evidence.limited, agreement=Agreement.low),
    )
    assert finding.confidence is Confidence.very_low
    update_finding(session=session, actor=world.cla, finding=finding, evidence=Evidence.robust)
    assert finding.confidence is Confidence.medium
    update_finding(session=session, actor=world.cla, finding=finding, agreement="high")
    stored = session.exec(select(Finding.confidence).where(Finding.id == finding.id)).one()
    assert stored == Confidence.very_high
    assert [e.action for e in audit.events(session, entity="finding", entity_id=finding.id)] == [
        "update",
        "update",
        "add",
    ]


def test_refused_updates_change_nothing(session, world):
    add_finding(session=session, actor=world.la, report=world.report, data=data("F1"))
    finding = add_finding(session=session, actor=world.la, report=world.report, data=data("F2"))
    before = row_counts(session)
    cases = [
        ({"confidence": "very_high"}, "Confidence is computed"),
        ({"owner": "me"}, "Cannot change owner"),
        ({"statement": "  "}, "needs a statement"),
        ({"code": "F1"}, "already has a finding coded 'F1'"),
        ({"evidence": "overwhelming"}, "evidence is not allowed"),
        ({"section_id": 9999}, "not part of the report"),
    ]
    for changes, message in cases:
        with pytest.raises(ValidationError, match=message):
            update_finding(session=session, actor=world.la, finding=finding, **changes)
    with pytest.raises(PermissionDenied):
        update_finding(session=session, actor=world.reviewer, finding=finding, statement="Mine")
    assert row_counts(session) == before
    session.rollback()
    stored = session.get(Finding, finding.id)
    assert (stored.code, stored.statement, stored.evidence) == (
        "F2",
        "Wages below a living wage are widespread.",
        Evidence.robust,
    )


def test_link_sources_replaces_the_linked_set(session, world):
    a, b, c = (add_source(session, world.report, k) for k in ("c2020", "a2019", "b2021"))
    finding = add_finding(
        session=session, actor=world.la, report=world.report, data=data(source_ids=[a.id])
    )
    linked = link_sources(session=session, actor=world.la, finding=finding, source_ids=[b.id, c.id])
    assert [s.key for s in linked] == ["a2019", "b2021"]
    assert [s.key for s in finding_sources(session, finding.id)] == ["a2019", "b2021"]


def test_link_sources_refuses_foreign_sources_and_keeps_the_old_links(session, world):
    mine = add_source(session, world.report, "anker2017")
    other = make_report(session, slug="other-report")
    foreign = add_source(session, other, "elsewhere2020")
    finding = add_finding(
        session=session, actor=world.la, report=world.report, data=data(source_ids=[mine.id])
    )
    before = row_counts(session)
    with pytest.raises(ValidationError, match=f"id {foreign.id}"):
        link_sources(session=session, actor=world.la, finding=finding, source_ids=[foreign.id])
    with pytest.raises(PermissionDenied):
        link_sources(session=session, actor=world.outsider, finding=finding, source_ids=[])
    assert row_counts(session) == before
    assert [s.key for s in finding_sources(session, finding.id)] == ["anker2017"]


def test_list_findings_in_code_order_and_by_confidence(session, world):
    for code, evidence, agreement in [
        ("F3", Evidence.robust, Agreement.high),
        ("F1", Evidence.limited, Agreement.low),
        ("F2", Evidence.robust, Agreement.high),
    ]:
        add_finding(
            session=session,
            actor=world.la,
            report=world.report,
            data=data(code, evidence=evidence, agreement=agreement),
        )
    assert [f.code for f in list_findings(session, report_id=world.report.id)] == [
        "F1",
        "F2",
        "F3",
    ]
    very_high = list_findings(session, report_id=world.report.id, confidence=Confidence.very_high)
    assert [f.code for f in very_high] == ["F2", "F3"]
    assert list_findings(session, report_id=world.report.id, confidence=Confidence.medium) == []


def test_findings_grid_counts_every_cell_in_one_query(session, world):
    cells = [
        (Evidence.robust, Agreement.high),
        (Evidence.robust, Agreement.high),
        (Evidence.limited, Agreement.medium),
    ]
    for i, (evidence, agreement) in enumerate(cells, start=1):
        add_finding(
            session=session,
            actor=world.la,
            report=world.report,
            data=data(f"F{i}", evidence=evidence, agreement=agreement),
        )
    other = make_report(session, slug="other-report")
    session.add(
        Finding(
            report_id=other.id,
            code="X1",
            statement="Elsewhere",
            evidence=Evidence.robust,
            agreement=Agreement.high,
            confidence=Confidence.very_high,
        )
    )
    session.commit()
    with count_queries(session) as statements:
        grid = findings_grid(session, report_id=world.report.id)
    assert len(statements) == 1
    assert len(grid) == 9
    assert grid[(Evidence.robust, Agreement.high)] == 2
    assert grid[(Evidence.limited, Agreement.medium)] == 1
    assert sum(grid.values()) == 3


def test_sources_by_finding_reads_every_findings_sources_in_one_query(session, world):
    a, b = add_source(session, world.report, "b2020"), add_source(session, world.report, "a2019")
    first = add_finding(
        session=session,
        actor=world.la,
        report=world.report,
        data=data("F1", source_ids=[a.id, b.id]),
    )
    second = add_finding(session=session, actor=world.la, report=world.report, data=data("F2"))

    with count_queries(session) as statements:
        linked = sources_by_finding(session, [first.id, second.id])

    assert len(statements) == 1
    assert [s.key for s in linked[first.id]] == ["a2019", "b2020"]
    assert linked[second.id] == []
    assert sources_by_finding(session, []) == {}


def test_two_authors_adding_the_same_code_at_once_get_a_message_not_a_traceback(
    session, world, monkeypatch
):
    from workbench import findings

    add_finding(session=session, actor=world.la, report=world.report, data=data("F1"))
    other = add_finding(session=session, actor=world.la, report=world.report, data=data("F2"))
    real_check = findings._check_code_free
    checks: list[str] = []

    def check_before_the_other_author_saved(session, report, code, finding_id=None):
        # The first check runs before the other author's F1 is committed, so it passes.
        checks.append(code)
        if len(checks) > 1:
            real_check(session, report, code, finding_id)

    monkeypatch.setattr(findings, "_check_code_free", check_before_the_other_author_saved)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="already has a finding coded 'F1'"):
        add_finding(session=session, actor=world.cla, report=world.report, data=data("F1"))
    assert row_counts(session) == before

    checks.clear()
    with pytest.raises(ValidationError, match="already has a finding coded 'F1'"):
        update_finding(session=session, actor=world.cla, finding=other, code="F1")
    session.expire_all()
    assert session.get(Finding, other.id).code == "F2"
    assert row_counts(session) == before
