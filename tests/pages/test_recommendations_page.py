"""The Recommendations page: the roadmap by horizon, the initiatives, adding recommendations."""

from __future__ import annotations

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, LA, REVIEW_EDITOR, REVIEWER, ROLES, texts
from workbench.models import (
    ActorType,
    Finding,
    Horizon,
    Initiative,
    InitiativeStatus,
    Recommendation,
    RecommendationFinding,
    Report,
    Scale,
)
from workbench.recommendations import NEEDS_CONTEXT, NONE_IDENTIFIED

PAGE = "views/recommendations.py"
REPORT = "living-wages"
EDIT_CONTENT = {"cla", "lead_author"}
REVIEW_INITIATIVES = {"cla", "review_editor"}


def button(at: AppTest, label: str):
    """Return the button (or form submit button) with this label."""
    return next(b for b in at.button if b.label == label)


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def review_button(at: AppTest, initiative: Initiative):
    """Return the submit button of this initiative's review form."""
    return next(
        b
        for b in at.button
        if b.label == "Save the review status" and b.form_id == f"rc_review_{initiative.id}"
    )


def count_recommendations(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(Recommendation)).one()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_reads_the_roadmap_and_the_initiatives(open_page, role):
    at = open_page(PAGE, ROLES[role], report=REPORT)
    assert not at.exception
    shown = texts(at)
    assert "Not permitted" not in shown
    assert "12 recommendations" in shown
    for horizon in Horizon:
        assert any(h.value.startswith(horizon.label) for h in at.subheader), horizon
    assert "**Normative assumptions**" in shown and "**Holds where**" in shown
    assert "Toolkit: initiatives that show it can work" in shown
    tabs = [t.label for t in at.tabs]
    assert tabs[:2] == ["Roadmap", "Inspiring initiatives"]
    assert ("Add a recommendation" in tabs) == (role in EDIT_CONTENT)
    reviews = [e for e in at.expander if e.label == "Move the expert review on"]
    assert bool(reviews) == (role in REVIEW_INITIATIVES)
    assert ("Propose an initiative" in [e.label for e in at.expander]) == (role in EDIT_CONTENT)


def test_a_recommendation_shows_its_context_beside_its_text(open_page):
    at = open_page(PAGE, REVIEWER, report=REPORT)
    shown = texts(at)
    assert "**R1** Give living-wage estimates a formal place in minimum wage setting" in shown
    assert "**Addressed to**  \nNational government, Employers' organisation, Trade union" in shown
    assert "**F1** :green-badge[High confidence]" in shown
    assert f"**Normative assumptions**  \n*{NONE_IDENTIFIED}*" in shown


def test_filters_narrow_the_roadmap(open_page):
    at = open_page(PAGE, REVIEWER, report=REPORT)
    at.selectbox(key="rc_horizon").set_value(Horizon.long_term).run()
    headings = [h.value for h in at.subheader]
    assert len(headings) == 1 and headings[0].startswith("Long term")
    at.selectbox(key="rc_horizon").set_value(None)
    at.selectbox(key="rc_addressee").set_value(ActorType.citizens)
    at.selectbox(key="rc_scale").set_value(Scale.local).run()
    assert "No recommendation matches these filters" in texts(at)


def test_an_author_adds_a_recommendation_with_none_identified(open_page, db):
    before = count_recommendations(db)
    finding = db.exec(select(Finding).where(Finding.code == "F3")).one()
    at = open_page(PAGE, LA, report=REPORT)
    at.text_input(key="rc_code").input("R13")
    at.text_area(key="rc_text").input("Publish a yearly living-wage benchmark for every region.")
    at.multiselect(key="rc_addressees").set_value(
        [ActorType.national_government, ActorType.researchers]
    )
    at.selectbox(key="rc_new_scale").set_value(Scale.national)
    at.selectbox(key="rc_new_horizon").set_value(Horizon.medium_term)
    at.text_area(key="rc_context").input("Where household budget surveys are recent.")
    at.checkbox(key="rc_none_identified").check().run()
    assert at.text_area(key="rc_assumptions").value == NONE_IDENTIFIED
    assert at.text_area(key="rc_assumptions").disabled
    at.multiselect(key="rc_findings").set_value([finding.id])
    at.button(key="rc_add").click().run()
    assert not at.exception
    assert "Added recommendation R13 to the roadmap" in texts(at)
    assert count_recommendations(db) == before + 1
    added = db.exec(select(Recommendation).where(Recommendation.code == "R13")).one()
    assert added.normative_assumptions == NONE_IDENTIFIED
    assert added.addressees == ["national_government", "researchers"]
    assert added.horizon is Horizon.medium_term and added.scale is Scale.national
    links = db.exec(
        select(RecommendationFinding.finding_id).where(
            RecommendationFinding.recommendation_id == added.id
        )
    ).all()
    assert links == [finding.id]
    assert "13 recommendations" in texts(at)


def test_a_recommendation_without_context_shows_the_services_message(open_page, db):
    before = count_recommendations(db)
    at = open_page(PAGE, CLA, report=REPORT)
    at.text_input(key="rc_code").input("R13")
    at.text_area(key="rc_text").input("Do something.")
    at.multiselect(key="rc_addressees").set_value([ActorType.business])
    at.text_area(key="rc_assumptions").input("Fairness.")
    at.button(key="rc_add").click().run()
    assert not at.exception
    assert NEEDS_CONTEXT in errors(at)
    assert count_recommendations(db) == before


def test_a_review_editor_moves_an_initiatives_review_on(open_page, db):
    proposed = db.exec(
        select(Initiative).where(Initiative.review_status == InitiativeStatus.proposed)
    ).first()
    at = open_page(PAGE, REVIEW_EDITOR, report=REPORT)
    at.radio(key=f"rc_review_status_{proposed.id}").set_value(InitiativeStatus.under_review)
    at.text_area(key=f"rc_review_note_{proposed.id}").input("Asked the city for payroll data.")
    review_button(at, proposed).click()
    at.run()
    assert not at.exception
    assert f"'{proposed.name}' is now under review." in texts(at)
    db.expire_all()
    assert db.get(Initiative, proposed.id).review_status is InitiativeStatus.under_review


def test_declining_an_initiative_needs_a_note(open_page, db):
    under = db.exec(
        select(Initiative).where(Initiative.review_status == InitiativeStatus.under_review)
    ).first()
    at = open_page(PAGE, CLA, report=REPORT)
    at.radio(key=f"rc_review_status_{under.id}").set_value(InitiativeStatus.declined)
    review_button(at, under).click()
    at.run()
    assert not at.exception
    assert "a note is required" in errors(at)
    db.expire_all()
    assert db.get(Initiative, under.id).review_status is InitiativeStatus.under_review


def test_an_author_proposes_an_initiative(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    at.text_input(key="rc_in_name").input("Dhaka garment wage board")
    at.text_area(key="rc_in_what").input("Sets sector wages with unions and employers.")
    button(at, "Propose it").click().run()
    assert not at.exception
    assert "Proposed 'Dhaka garment wage board'; it now awaits expert review." in texts(at)
    db.expire_all()
    added = db.exec(select(Initiative).where(Initiative.name == "Dhaka garment wage board")).one()
    assert added.review_status is InitiativeStatus.proposed


def test_an_empty_report_says_what_to_do_next(open_page):
    at = open_page(PAGE, "daniel.mwangi@demo.ipsp.example", report="cities-commons")
    assert not at.exception
    shown = texts(at)
    assert "must sign the Code of Ethics" in shown
    assert "No recommendations yet" in shown and "No initiatives yet" in shown
    assert "Add a recommendation" not in [t.label for t in at.tabs]


def test_a_long_roadmap_is_paged(open_page, db):
    report = db.exec(select(Report).where(Report.slug == "living-wages")).one()
    for n in range(30):
        db.add(
            Recommendation(
                report_id=report.id,
                code=f"Z{n}",
                text=f"Generated recommendation {n}",
                addressees=[ActorType.national_government],
                scale=Scale.national,
                horizon=Horizon.long_term,
                context_conditions="Where it holds.",
                normative_assumptions="None identified.",
            )
        )
    db.commit()
    at = open_page(PAGE, REVIEWER, report="living-wages")
    assert not at.exception
    assert at.number_input(key="rc_page")
    at.number_input(key="rc_page").set_value(3).run()
    assert not at.exception
    assert "Generated recommendation 29" in texts(at)


def test_many_initiatives_are_paged(open_page, db):
    """A report with hundreds of initiatives shows a page of them at a time, by name."""
    report = db.exec(select(Report).where(Report.slug == REPORT)).one()
    for n in range(45):
        db.add(
            Initiative(
                report_id=report.id,
                name=f"Zz generated initiative {n:02d}",
                what=f"What generated initiative {n:02d} does.",
            )
        )
    db.commit()
    at = open_page(PAGE, REVIEWER, report=REPORT)
    assert not at.exception
    shown = texts(at)
    # Sorted by name, the generated ones come last: the first page holds none of the last.
    assert "Zz generated initiative 44" not in shown
    total = db.exec(
        select(func.count()).select_from(Initiative).where(Initiative.report_id == report.id)
    ).one()
    at.number_input(key="rc_in_page_None").set_value(-(-total // 20)).run()
    assert not at.exception
    assert "Zz generated initiative 44" in texts(at)
    assert "Zz generated initiative 00" not in texts(at)
