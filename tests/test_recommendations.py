"""Recommendations: addressees, contexts, explicit normative assumptions, links, the roadmap."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.factories import World, count_queries, make_person, make_report, row_counts
from workbench import audit, i18n
from workbench.errors import PermissionDenied, ValidationError
from workbench.models import (
    ActorType,
    Agreement,
    Confidence,
    Evidence,
    Finding,
    Horizon,
    Initiative,
    Person,
    Recommendation,
    RecommendationCreate,
    Report,
    Role,
    Scale,
)
from workbench.recommendations import (
    NONE_IDENTIFIED,
    add_recommendation,
    linked_findings,
    linked_initiatives,
    links_by_recommendation,
    list_recommendations,
    roadmap,
    update_recommendation,
)


def refused_people(session: Session, world: World) -> list[Person]:
    """Return people who may not edit a report's content (an unsigned Lead Author among them)."""
    unsigned = make_person(session, "Unsigned LA", roles=[(Role.lead_author, world.report)])
    return [world.outsider, world.reviewer, unsigned, world.secretariat, world.contributor]


def add_finding_row(session: Session, report: Report, code: str) -> Finding:
    finding = Finding(
        report_id=report.id,
        code=code,
        statement=f"Finding {code}",
        evidence=Evidence.robust,
        agreement=Agreement.high,
        confidence=Confidence.very_high,
    )
    session.add(finding)
    session.commit()
    return finding


def add_initiative_row(session: Session, report: Report, name: str) -> Initiative:
    initiative = Initiative(report_id=report.id, name=name, what="Pays a living wage")
    session.add(initiative)
    session.commit()
    return initiative


def rec(code: str = "R1", **fields) -> RecommendationCreate:
    values = {
        "code": code,
        "text": "Set statutory minimum wages at a living-wage level.",
        "addressees": [ActorType.national_government],
        "scale": Scale.national,
        "horizon": Horizon.short_term,
        "context_conditions": "Where collective bargaining coverage is low.",
        "normative_assumptions": "Work should lift a household out of poverty.",
    }
    values.update(fields)
    return RecommendationCreate(**values)


def test_a_lead_author_adds_a_recommendation_with_its_links(session, world):
    f1 = add_finding_row(session, world.report, "F1")
    f2 = add_finding_row(session, world.report, "F2")
    coop = add_initiative_row(session, world.report, "Mondragon wages")
    made = add_recommendation(
        session=session,
        actor=world.la,
        report=world.report,
        data=rec(
            addressees=["trade_union", ActorType.business],
            finding_ids=[f2.id, f1.id],
            initiative_ids=[coop.id],
        ),
    )
    stored = session.get(Recommendation, made.id)
    assert stored.addressees == ["trade_union", "business"]
    assert [f.code for f in linked_findings(session, made.id)] == ["F1", "F2"]
    assert [i.name for i in linked_initiatives(session, made.id)] == ["Mondragon wages"]
    events = audit.events(session, entity="recommendation", entity_id=made.id)
    assert [e.action for e in events] == ["add"]


@pytest.mark.parametrize("spelling", ["None identified", "none IDENTIFIED", "  NONE IDENTIFIED  "])
def test_saying_there_are_no_normative_assumptions_is_explicit(session, world, spelling):
    made = add_recommendation(
        session=session,
        actor=world.la,
        report=world.report,
        data=rec(normative_assumptions=spelling),
    )
    assert made.normative_assumptions == NONE_IDENTIFIED == "None identified"


@pytest.mark.parametrize(
    ("language", "spelling"), [("fr", "Aucune identifiée"), ("es", "ninguno identificado")]
)
def test_a_reader_may_say_none_identified_in_their_language(session, world, language, spelling):
    with i18n.language(language):
        made = add_recommendation(
            session=session,
            actor=world.la,
            report=world.report,
            data=rec(normative_assumptions=spelling),
        )
    assert made.normative_assumptions == NONE_IDENTIFIED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"addressees": []}, "Say whom this recommendation addresses"),
        ({"context_conditions": "  "}, "Say in which contexts this holds"),
        ({"normative_assumptions": ""}, "State the normative assumptions"),
        ({"normative_assumptions": "   "}, "or write 'None identified'"),
        ({"text": " "}, "needs a text"),
        ({"code": " "}, "needs a code"),
        ({"section_id": 9999}, "not part of this report"),
    ],
)
def test_incomplete_recommendations_are_refused(session, world, fields, message):
    before = row_counts(session)
    with pytest.raises(ValidationError, match=message):
        add_recommendation(session=session, actor=world.la, report=world.report, data=rec(**fields))
    assert row_counts(session) == before


def test_links_to_another_reports_findings_or_initiatives_are_refused(session, world):
    other = make_report(session, slug="other-report")
    foreign_finding = add_finding_row(session, other, "F1")
    foreign_initiative = add_initiative_row(session, other, "Elsewhere")
    mine = add_finding_row(session, world.report, "F1")
    before = row_counts(session)
    with pytest.raises(
        ValidationError, match=f"these findings are not in .* id {foreign_finding.id}"
    ):
        add_recommendation(
            session=session,
            actor=world.la,
            report=world.report,
            data=rec(finding_ids=[mine.id, foreign_finding.id]),
        )
    with pytest.raises(
        ValidationError, match=f"initiatives are not in .* id {foreign_initiative.id}"
    ):
        add_recommendation(
            session=session,
            actor=world.la,
            report=world.report,
            data=rec(initiative_ids=[foreign_initiative.id]),
        )
    assert row_counts(session) == before


def test_a_code_is_unique_within_a_report(session, world):
    add_recommendation(session=session, actor=world.la, report=world.report, data=rec("R1"))
    before = row_counts(session)
    with pytest.raises(ValidationError, match="already has a recommendation coded 'R1'"):
        add_recommendation(session=session, actor=world.cla, report=world.report, data=rec("R1"))
    assert row_counts(session) == before


def test_only_signed_clas_and_lead_authors_add_recommendations(session, world):
    people = refused_people(session, world)
    before = row_counts(session)
    for person in people:
        with pytest.raises(PermissionDenied):
            add_recommendation(session=session, actor=person, report=world.report, data=rec())
    assert row_counts(session) == before


def test_update_keeps_the_rules_and_can_replace_links(session, world):
    f1 = add_finding_row(session, world.report, "F1")
    f2 = add_finding_row(session, world.report, "F2")
    made = add_recommendation(
        session=session, actor=world.la, report=world.report, data=rec(finding_ids=[f1.id])
    )
    add_recommendation(session=session, actor=world.la, report=world.report, data=rec("R2"))
    before = row_counts(session)
    for changes, message in [
        ({"addressees": []}, "Say whom this recommendation addresses"),
        ({"normative_assumptions": " "}, "State the normative assumptions"),
        ({"context_conditions": ""}, "Say in which contexts this holds"),
        ({"code": "R2"}, "already has a recommendation coded 'R2'"),
        ({"report_id": 7}, "Cannot change report_id"),
        ({"horizon": "someday"}, "horizon is not allowed"),
        ({"finding_ids": [9999]}, "id 9999"),
    ]:
        with pytest.raises(ValidationError, match=message):
            update_recommendation(session=session, actor=world.la, recommendation=made, **changes)
    with pytest.raises(PermissionDenied):
        update_recommendation(
            session=session, actor=world.reviewer, recommendation=made, text="Mine"
        )
    assert row_counts(session) == before
    session.rollback()
    assert session.get(Recommendation, made.id).addressees == ["national_government"]
    assert [f.code for f in linked_findings(session, made.id)] == ["F1"]

    update_recommendation(
        session=session,
        actor=world.cla,
        recommendation=made,
        normative_assumptions="none identified",
        horizon=Horizon.immediate,
        finding_ids=[f2.id],
    )
    assert made.normative_assumptions == NONE_IDENTIFIED
    assert made.horizon is Horizon.immediate
    assert [f.code for f in linked_findings(session, made.id)] == ["F2"]
    update_recommendation(session=session, actor=world.cla, recommendation=made, text="Shorter.")
    assert [f.code for f in linked_findings(session, made.id)] == ["F2"]


def test_list_recommendations_filters_in_sql(session, world):
    add_recommendation(
        session=session,
        actor=world.la,
        report=world.report,
        data=rec("R2", addressees=["business", "trade_union"], scale=Scale.global_),
    )
    add_recommendation(
        session=session,
        actor=world.la,
        report=world.report,
        data=rec("R1", addressees=["employers_organisation"], horizon=Horizon.long_term),
    )
    add_recommendation(session=session, actor=world.la, report=world.report, data=rec("R3"))
    report_id = world.report.id

    def codes(**filters) -> list[str]:
        return [r.code for r in list_recommendations(session, report_id=report_id, **filters)]

    assert codes() == ["R1", "R2", "R3"]
    assert codes(addressee=ActorType.business) == ["R2"]
    assert codes(addressee="trade_union") == ["R2"]
    assert codes(addressee=ActorType.national_government) == ["R3"]
    assert codes(addressee=ActorType.citizens) == []
    assert codes(scale=Scale.global_) == ["R2"]
    assert codes(horizon=Horizon.long_term) == ["R1"]
    assert codes(scale=Scale.national, horizon=Horizon.short_term) == ["R3"]


def test_roadmap_groups_by_horizon_in_order(session, world):
    for code, horizon in [
        ("R1", Horizon.long_term),
        ("R2", Horizon.immediate),
        ("R3", Horizon.long_term),
    ]:
        add_recommendation(
            session=session, actor=world.la, report=world.report, data=rec(code, horizon=horizon)
        )
    steps = roadmap(session, report_id=world.report.id)
    assert list(steps) == [
        Horizon.immediate,
        Horizon.short_term,
        Horizon.medium_term,
        Horizon.long_term,
    ]
    assert [r.code for r in steps[Horizon.immediate]] == ["R2"]
    assert steps[Horizon.short_term] == []
    assert [r.code for r in steps[Horizon.long_term]] == ["R1", "R3"]


def test_roadmap_takes_the_same_filters_as_the_list(session, world):
    add_recommendation(
        session=session,
        actor=world.la,
        report=world.report,
        data=rec("R1", addressees=["business"], horizon=Horizon.immediate),
    )
    add_recommendation(
        session=session,
        actor=world.la,
        report=world.report,
        data=rec("R2", scale=Scale.local, horizon=Horizon.long_term),
    )
    report_id = world.report.id

    def codes(**filters) -> dict[Horizon, list[str]]:
        steps = roadmap(session, report_id=report_id, **filters)
        return {h: [r.code for r in rs] for h, rs in steps.items() if rs}

    assert codes(addressee=ActorType.business) == {Horizon.immediate: ["R1"]}
    assert codes(scale=Scale.local) == {Horizon.long_term: ["R2"]}
    assert codes(horizon=Horizon.short_term) == {}
    assert list(roadmap(session, report_id=report_id, horizon=Horizon.long_term)) == list(Horizon)


def test_links_by_recommendation_reads_all_links_in_two_queries(session, world):
    f1, f2 = (add_finding_row(session, world.report, c) for c in ("F1", "F2"))
    kerala = add_initiative_row(session, world.report, "Kerala boards")
    first = add_recommendation(
        session=session,
        actor=world.la,
        report=world.report,
        data=rec("R1", finding_ids=[f2.id, f1.id], initiative_ids=[kerala.id]),
    )
    second = add_recommendation(
        session=session, actor=world.la, report=world.report, data=rec("R2")
    )

    with count_queries(session) as statements:
        links = links_by_recommendation(session, [first.id, second.id])

    assert len(statements) == 2
    assert [f.code for f in links[first.id].findings] == ["F1", "F2"]
    assert [i.name for i in links[first.id].initiatives] == ["Kerala boards"]
    assert links[second.id].findings == [] and links[second.id].initiatives == []
    assert links_by_recommendation(session, []) == {}


def test_two_authors_adding_the_same_code_at_once_get_a_message_not_a_traceback(
    session, world, monkeypatch
):
    from workbench import recommendations

    add_recommendation(session=session, actor=world.la, report=world.report, data=rec("R1"))
    other = add_recommendation(session=session, actor=world.la, report=world.report, data=rec("R2"))
    real_check = recommendations._check_code_free
    checks: list[str] = []

    def check_before_the_other_author_saved(session, report, code, recommendation_id=None):
        # The first check runs before the other author's R1 is committed, so it passes.
        checks.append(code)
        if len(checks) > 1:
            real_check(session, report, code, recommendation_id)

    monkeypatch.setattr(recommendations, "_check_code_free", check_before_the_other_author_saved)
    before = row_counts(session)
    with pytest.raises(ValidationError, match="already has a recommendation coded 'R1'"):
        add_recommendation(session=session, actor=world.cla, report=world.report, data=rec("R1"))
    assert row_counts(session) == before

    checks.clear()
    with pytest.raises(ValidationError, match="already has a recommendation coded 'R1'"):
        update_recommendation(session=session, actor=world.cla, recommendation=other, code="R1")
    session.expire_all()
    assert session.get(Recommendation, other.id).code == "R2"
    assert row_counts(session) == before
