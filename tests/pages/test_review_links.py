"""Review: a link from the Dashboard (``?round=NAME&section=ID``) opens that round and section."""

from __future__ import annotations

from sqlmodel import select

from tests.pages.conftest import CLA
from workbench import sections
from workbench.models import Report, ReviewRound


def test_a_dashboard_link_opens_the_round_and_section_it_names(open_file, db):
    report = db.exec(select(Report).where(Report.slug == "living-wages")).one()
    rounds = db.exec(select(ReviewRound).where(ReviewRound.report_id == report.id)).all()
    older = min(rounds, key=lambda r: r.id)
    section = sections.get_section_by_code(db, report.id, "2.1")
    at = open_file(
        "views/review.py",
        CLA,
        report="living-wages",
        round=older.name,
        section=str(section.id),
    )
    assert not at.exception
    assert at.selectbox(key="review_round").value == older.id
    assert at.selectbox(key="review_filter_section").value == section.id
    # The link's own words are consumed: the page's widgets keep the view from now on.
    assert "round" not in at.query_params and "section" not in at.query_params


def test_a_link_may_name_a_part_of_the_report(open_file):
    at = open_file("views/review.py", CLA, report="living-wages", round="SOD", section="kf")
    assert not at.exception
    assert at.selectbox(key="review_filter_section").value == "KF"
    assert list(next(d.value for d in at.dataframe if "Comment" in d.value.columns)["Section"]) == [
        "F6"
    ]
