"""Caches and several app servers: a change saved through one server shows on the others.

``st.cache_data`` lives in one server process, and only the server that saves clears it.
Here one app session stands for a browser on one replica; the change is made as another
replica makes it — through the services, on its own database connection, without
touching this process's caches — and the next run of the first session must show it.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from tests.pages.conftest import CLA, REVIEW_EDITOR, REVIEWER, SECRETARIAT
from workbench import people, reviews
from workbench.db import make_engine
from workbench.models import Person, PersonCreate, Role, RoundStatus
from workbench.models import ReviewRound as Round

REVIEW = "views/review.py"
ADMIN = "views/admin.py"


def table(at, column: str):
    """Return the first table on the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def comment_from_another_server(url: str) -> None:
    """Add a comment to the demo's open round as a reviewer, as another replica would."""
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as s:
        round_ = s.exec(select(Round).where(Round.name == "SOD")).one()
        assert round_.status == RoundStatus.open
        round_.opens_on = date.today() - timedelta(days=30)
        round_.closes_on = date.today() + timedelta(days=3650)
        s.add(round_)
        s.commit()
        reviewer = people.get_by_email(s, REVIEWER)
        section_id = sorted(reviews.frozen_section_ids(s, round_id=round_.id))[0]
        reviews.add_comment(
            session=s,
            actor=reviewer,
            round=round_,
            section_id=section_id,
            from_line=1,
            to_line=1,
            comment="Seen on the other server too?",
        )
    engine.dispose()


def test_comment_counts_follow_a_comment_saved_on_another_server(open_page, demo_url):
    at = open_page(REVIEW, REVIEW_EDITOR)
    assert not at.exception, at.exception
    rounds = table(at, "Round")
    assert list(rounds["Comments"]) == [64, 17]
    assert list(rounds["Awaiting a response"]) == [0, 9]
    assert table(at, "Taken into account")["Comments"].sum() == 17

    comment_from_another_server(demo_url)

    at.run()
    assert not at.exception, at.exception
    rounds = table(at, "Round")
    assert list(rounds["Comments"]) == [64, 18]
    assert list(rounds["Awaiting a response"]) == [0, 10]
    assert table(at, "Taken into account")["Comments"].sum() == 18


def test_the_prepared_comment_table_follows_a_comment_saved_on_another_server(open_page, demo_url):
    at = open_page(REVIEW, CLA)
    at.button(key="review_export_prepare").click().run()
    assert not at.exception, at.exception
    before = at.download_button(key="review_export_download").proto.url

    comment_from_another_server(demo_url)

    at.run()
    after = at.download_button(key="review_export_download").proto.url
    assert after != before  # a new file, not the one prepared before the comment


def test_the_audit_filters_offer_someone_who_acted_on_another_server(open_page, demo_url):
    at = open_page(ADMIN, SECRETARIAT)
    assert not at.exception, at.exception
    engine = make_engine(demo_url)
    with Session(engine, expire_on_commit=False) as s:
        secretariat = people.get_by_email(s, SECRETARIAT)
        newcomer = people.create_person(
            session=s,
            actor=secretariat,
            data=PersonCreate(email="newcomer@demo.ipsp.example", name="Zoë Newcomer"),
            roles=[Role.secretariat],
        )
        assert newcomer.name not in at.selectbox(key="admin_audit_person").options
        # The newcomer acts (on another server): the trail now names them.
        people.create_person(
            session=s,
            actor=s.get(Person, newcomer.id),
            data=PersonCreate(email="second@demo.ipsp.example", name="Second Person"),
        )
    engine.dispose()
    at.run()
    assert not at.exception, at.exception
    assert "Zoë Newcomer" in at.selectbox(key="admin_audit_person").options
