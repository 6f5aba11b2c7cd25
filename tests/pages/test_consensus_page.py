"""The Consensus & disagreement page: items by classification, the positions matrix, editing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, LA, REVIEWER, ROLES, texts
from workbench.consensus import FALSE_SOLUTION_NEEDS_WHY
from workbench.models import (
    Actor,
    Classification,
    ConsensusItem,
    Position,
    Report,
    Source,
    Stance,
)

PAGE = "views/consensus.py"
REPORT = "living-wages"
EDIT_CONTENT = {"cla", "lead_author"}


def button(at: AppTest, label: str):
    """Return the button (or form submit button) with this label."""
    return next(b for b in at.button if b.label == label)


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def count_items(db) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(ConsensusItem)).one()


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_sees_the_items_matrix_and_false_solutions(open_page, role):
    at = open_page(PAGE, ROLES[role], report=REPORT)
    assert not at.exception
    shown = texts(at)
    assert "Not permitted" not in shown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Points of consensus": "2",
        "Broad agreement": "2",
        "Disagreements": "3",
        "False solutions": "4",
        "Open questions": "2",
    }
    assert "Points of consensus (2)" in shown and "Why it is false:" in shown
    assert "Where 12 actors stand on 13 items" in shown
    at.radio(key="cs_show").set_value(Classification.false_solution).run()
    assert "False solutions (4)" in texts(at)
    assert len(at.get("vega_lite_chart")) == 1
    tabs = [t.label for t in at.tabs]
    assert ("Add or update" in tabs) == (role in EDIT_CONTENT)


def test_many_items_are_paged(open_page, db):
    report = db.exec(select(Report).where(Report.slug == REPORT)).one()
    for n in range(30):
        db.add(
            ConsensusItem(
                report_id=report.id,
                statement=f"Generated statement {n}",
                classification=Classification.consensus,
            )
        )
    db.commit()
    at = open_page(PAGE, REVIEWER, report=REPORT)
    assert not at.exception
    shown = texts(at)
    assert "Points of consensus (32)" in shown
    assert "Generated statement 22" in shown and "Generated statement 23" not in shown
    at.number_input(key="cs_page_consensus").set_value(2).run()
    assert "Generated statement 23" in texts(at)
    assert "Items #1–#30" in texts(at)


def test_positions_are_listed_with_their_stance_and_source(open_page):
    at = open_page(PAGE, REVIEWER, report=REPORT)
    shown = texts(at)
    assert "**International Labour Organization** — :green-badge[✓ Support]" in shown
    assert "`ilo2024experts`" in shown


def test_an_author_adds_a_consensus_item(open_page, db):
    before = count_items(db)
    at = open_page(PAGE, LA, report=REPORT)
    at.text_area(key="cs_statement").input("Living wages should be indexed to prices yearly.")
    at.selectbox(key="cs_classification").set_value(Classification.broad_agreement)
    at.text_area(key="cs_note").input("Unions want quarterly indexing.")
    button(at, "Add the item").click().run()
    assert not at.exception
    assert "Added the item (broad agreement)." in texts(at)
    assert count_items(db) == before + 1
    item = db.exec(select(ConsensusItem).order_by(ConsensusItem.id.desc())).first()
    assert item.statement == "Living wages should be indexed to prices yearly."
    assert item.classification is Classification.broad_agreement
    assert {m.label: m.value for m in at.metric}["Broad agreement"] == "3"
    at.radio(key="cs_show").set_value(Classification.broad_agreement).run()
    assert "Broad agreement (3)" in texts(at)
    assert "Living wages should be indexed to prices yearly." in texts(at)


def test_a_false_solution_without_a_reason_is_refused(open_page, db):
    before = count_items(db)
    at = open_page(PAGE, CLA, report=REPORT)
    at.text_area(key="cs_statement").input("Tax credits alone close the gap.")
    at.selectbox(key="cs_classification").set_value(Classification.false_solution)
    button(at, "Add the item").click().run()
    assert not at.exception
    assert FALSE_SOLUTION_NEEDS_WHY in errors(at)
    assert count_items(db) == before
    # With the reason it goes through and joins the register.
    at.text_area(key="cs_why_false").input("They subsidise low pay and cap nothing.")
    button(at, "Add the item").click().run()
    assert not at.exception
    assert count_items(db) == before + 1
    assert "They subsidise low pay and cap nothing." in texts(at)


def test_an_author_records_and_replaces_an_actors_position(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    actor = db.exec(select(Actor).where(Actor.name == "Cities for Fair Work Network")).one()
    item = db.exec(
        select(ConsensusItem).where(ConsensusItem.statement.like("Workers in full%"))
    ).one()
    source = db.exec(select(Source).where(Source.key == "ilo2024experts")).one()
    at.selectbox(key="cs_pos_item").set_value(item.id)
    at.selectbox(key="cs_pos_actor").set_value(actor.id)
    at.run()
    assert "No position recorded yet for this actor on this item." in texts(at)
    at.radio(key="cs_pos_stance").set_value(Stance.conditional)
    at.text_area(key="cs_pos_rationale").input("Only with city-level benchmarks.")
    at.text_input(key="cs_pos_source").input("ilo2024experts")
    at.button(key="cs_pos_save").click().run()
    assert not at.exception
    assert "Recorded: Cities for Fair Work Network — conditional on item #1." in texts(at)
    db.expire_all()
    position = db.exec(
        select(Position).where(Position.item_id == item.id, Position.actor_id == actor.id)
    ).one()
    assert position.stance is Stance.conditional
    assert position.rationale == "Only with city-level benchmarks."
    assert position.source_id == source.id
    assert "Recorded now: conditional" in texts(at)


def test_a_position_citing_an_unknown_source_is_refused(open_page, db):
    at = open_page(PAGE, CLA, report=REPORT)
    before = db.exec(select(func.count()).select_from(Position)).one()
    at.text_input(key="cs_pos_source").input("nobody2099")
    at.button(key="cs_pos_save").click().run()
    assert not at.exception
    assert "No source with the key 'nobody2099'" in errors(at)
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Position)).one() == before


def test_an_author_adds_an_actor(open_page, db):
    at = open_page(PAGE, LA, report=REPORT)
    at.text_input(key="cs_actor_name").input("Domestic Workers' Federation")
    button(at, "Add the actor").click().run()
    assert not at.exception
    assert "Added the actor 'Domestic Workers' Federation'." in texts(at)
    db.expire_all()
    assert db.exec(select(Actor).where(Actor.name == "Domestic Workers' Federation")).one()


def test_an_empty_report_says_what_to_do_next(open_page):
    at = open_page(PAGE, "daniel.mwangi@demo.ipsp.example", report="cities-commons")
    assert not at.exception
    shown = texts(at)
    assert "must sign the Code of Ethics" in shown
    assert "No items yet" in shown and "No actor's position is recorded yet." in shown
    assert "Add or update" not in [t.label for t in at.tabs]


def test_a_long_register_of_false_solutions_is_paged(open_page, db):
    report = db.exec(select(Report).where(Report.slug == REPORT)).one()
    for n in range(30):
        db.add(
            ConsensusItem(
                report_id=report.id,
                statement=f"Generated false solution {n}",
                classification=Classification.false_solution,
                why_false=f"Reason {n}.",
            )
        )
    db.commit()
    at = open_page(PAGE, REVIEWER, report=REPORT)
    assert not at.exception
    shown = texts(at)
    # The demo's 4 first, then 21 of the 30: 25 a page.
    assert "Generated false solution 20" in shown and "Generated false solution 21" not in shown
    at.number_input(key="cs_false_page").set_value(2).run()
    shown = texts(at)
    assert "Generated false solution 21" in shown and "Generated false solution 29" in shown
    assert "Reason 29." in shown and "Reason 20." not in shown
