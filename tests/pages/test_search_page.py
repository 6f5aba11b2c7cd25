"""The Search page and the sidebar's search box: ranked hits, bold matches, escaped text, rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import CLA, COUNCIL, REVIEWER, texts
from workbench import people
from workbench.db import make_engine
from workbench.models import Report, ReviewComment, ReviewRound, Source, Stage

PAGE = "views/search.py"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_search(demo_url):
    """Return a function opening the Search page through the app at ``/search?q=…&kind=…``."""

    def _open(email: str, **query: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        engine = make_engine(demo_url)
        with Session(engine) as s:
            at.session_state["person_id"] = people.get_by_email(s, email).id
        engine.dispose()
        at.run()
        at.switch_page(PAGE)
        for name, value in query.items():
            at.query_params[name] = value
        return at.run()

    return _open


def _add(db, word: str) -> Report:
    """Give the demo report a source and a review comment saying ``word``; return the report."""
    report = db.exec(select(Report).where(Report.slug == "living-wages")).one()
    db.add(
        Source(
            report_id=report.id,
            key=f"{word}2024",
            title=f"The {word} effect [click](http://evil.example) *loud*",
            authors="Okafor",
        )
    )
    review_round = db.exec(select(ReviewRound).where(ReviewRound.report_id == report.id)).first()
    if review_round is None:
        review_round = ReviewRound(
            report_id=report.id,
            name="FOD",
            stage=Stage.first_order_draft,
            opens_on=date(2026, 1, 1),
            closes_on=date(2026, 2, 1),
        )
        db.add(review_round)
        db.flush()
    db.add(
        ReviewComment(
            round_id=review_round.id,
            number=9001,
            from_line=1,
            to_line=1,
            part="KF",
            reviewer_name="Ana Reviewer",
            comment=f"The {word} claim needs a source.",
        )
    )
    db.commit()
    return report


def test_the_page_explains_itself_before_a_search(open_search):
    at = open_search(CLA)
    assert not at.exception
    assert "Type a word or two and press Enter" in texts(at)


def test_hits_are_ranked_links_with_the_matches_in_bold_and_the_text_escaped(db, open_search):
    _add(db, "quokka")
    at = open_search(CLA, q="quokka")
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert "Sources: 1" in shown and "Review comments: 1" in shown
    # The matched word in bold; the title's link and emphasis shown as typed, never rendered.
    assert "**quokka**" in shown.lower()
    assert "[click](http://evil.example)" not in shown
    assert "\\[click\\]" in shown and "\\*loud\\*" in shown
    # Each hit's label opens where it is: the source in the Evidence page, the comment in
    # the Review page's round, filtered by the same words.
    links = {e.proto.label: (e.proto.page, e.proto.query_string) for e in at.get("page_link")}
    assert links["quokka2024"] == ("evidence", "report=living-wages")
    comment = next(v for k, v in links.items() if k.endswith("#9001"))
    assert comment[0] == "review" and "review_filter_text=quokka" in comment[1]


def test_a_council_member_finds_sources_but_no_review_comment(db, open_search):
    _add(db, "quokka")
    at = open_search(COUNCIL, q="quokka")
    shown = texts(at)
    assert "Sources: 1" in shown
    assert "Review comments" not in shown


def test_kinds_empty_and_unsearchable_queries(db, open_search):
    _add(db, "quokka")
    at = open_search(REVIEWER, q="quokka", kind="comments")
    shown = texts(at)
    assert "Review comments: 1" in shown and "Sources" not in shown
    at = open_search(REVIEWER, q="zzqxjv")
    assert "No results for “zzqxjv”." in texts(at)
    at = open_search(REVIEWER, q="-quokka")
    assert "Nothing to search for" in texts(at)
    assert not at.exception


def test_the_sidebar_box_opens_the_search_page(db, open_page):
    _add(db, "quokka")
    at = open_page("app.py", CLA)
    at.text_input(key="sidebar_search").input("quokka").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params.get("q") in ("quokka", ["quokka"])
    assert "**quokka**" in texts(at).lower()
    # The box is empty again, ready for the next search.
    assert at.text_input(key="sidebar_search").value == ""
