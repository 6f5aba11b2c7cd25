"""Numbers handed out under concurrency: comments, imported comments, section revisions.

Each test starts several operating-system processes (as several app servers
would be) that write to one database at the same moment: a SQLite file in WAL
mode, and PostgreSQL when configured. Every process opens its own engine from
the URL; the parent builds the world first and commits it.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from tests.conftest import _postgres_engine, _truncate, require_postgres_url
from tests.factories import World, make_person, make_world
from workbench import reviews, sections
from workbench.comment_table import CommentRow, write_csv
from workbench.db import create_all, make_engine
from workbench.errors import Conflict
from workbench.models import (
    Person,
    Report,
    ReviewComment,
    ReviewRound,
    Role,
    Section,
    SectionRevision,
    Stage,
)

TODAY = date.today()
# Fork is quick and keeps each test well under its time budget; every child
# still makes its own engine, so no connection is shared across processes.
CONTEXT = multiprocessing.get_context("fork")
WAIT_SECONDS = 120


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """Yield the URL of an empty database with the schema that several processes can open."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
        engine = make_engine(url)
        create_all(engine)
        engine.dispose()
        yield url
        return
    engine = _postgres_engine()
    _truncate(engine)
    # Close the parent's pooled connections before forking: a child must never use them.
    engine.dispose()
    yield require_postgres_url()


def _build_world(url: str, reviewers: int) -> tuple[World, ReviewRound, list[Person]]:
    """Build the usual world with an open first-order round and ``reviewers`` more reviewers."""
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = make_world(session)
            world.report.stage = Stage.first_order_draft
            session.add(world.report)
            session.commit()
            review_round = reviews.open_round(
                session=session,
                actor=world.cla,
                report=world.report,
                name="FOD",
                opens_on=TODAY - timedelta(days=1),
                closes_on=TODAY + timedelta(days=30),
            )
            people = [
                make_person(session, f"Reviewer {i}", roles=[(Role.reviewer, world.report)])
                for i in range(1, reviewers + 1)
            ]
            return world, review_round, people
    finally:
        engine.dispose()


def _run(jobs: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """Run each ``target(*args, barrier, results)`` in a process of its own; return what each put.

    The barrier makes every process start writing at the same moment.
    """
    barrier = CONTEXT.Barrier(len(jobs))
    results = CONTEXT.Queue()
    processes = [
        CONTEXT.Process(target=target, args=(*args, barrier, results)) for target, args in jobs
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=WAIT_SECONDS) for _ in processes]
    for process in processes:
        process.join(timeout=WAIT_SECONDS)
        assert process.exitcode == 0
    return outcomes


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}\n{''.join(traceback.format_exception(exc))}"


def _add_comments(
    url: str,
    round_id: int,
    reviewer_id: int,
    section_ids: list[int],
    count: int,
    barrier: Any,
    results: Any,
) -> None:
    """Add ``count`` comments as one reviewer; report the numbers given and any error seen."""
    numbers: list[int] = []
    errors: list[str] = []
    try:
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            actor = session.get(Person, reviewer_id)
            review_round = session.get(ReviewRound, round_id)
            barrier.wait(timeout=WAIT_SECONDS)
            for i in range(count):
                try:
                    added = reviews.add_comment(
                        session=session,
                        actor=actor,
                        round=review_round,
                        section_id=section_ids[i % len(section_ids)],
                        from_line=1,
                        to_line=1,
                        comment=f"Comment {i + 1} of reviewer {reviewer_id}.",
                    )
                    numbers.append(added.number)
                except Exception as exc:
                    errors.append(_describe(exc))
        engine.dispose()
    except Exception as exc:
        errors.append(_describe(exc))
    results.put((reviewer_id, numbers, errors))


def _import_comments(
    url: str,
    round_id: int,
    actor_id: int,
    files: list[bytes],
    barrier: Any,
    results: Any,
) -> None:
    """Import each comment table in turn; report how many rows went in and any error seen."""
    imported: list[int] = []
    errors: list[str] = []
    try:
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            actor = session.get(Person, actor_id)
            review_round = session.get(ReviewRound, round_id)
            report = session.get(Report, review_round.report_id)
            barrier.wait(timeout=WAIT_SECONDS)
            for i, content in enumerate(files, start=1):
                try:
                    imported.append(
                        reviews.import_comments(
                            session=session,
                            actor=actor,
                            report=report,
                            round=review_round,
                            filename=f"batch{i}.csv",
                            content=content,
                        )
                    )
                except Exception as exc:
                    errors.append(_describe(exc))
        engine.dispose()
    except Exception as exc:
        errors.append(_describe(exc))
    results.put((actor_id, imported, errors))


def _round_numbers(url: str, round_id: int) -> list[int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return list(
                session.exec(
                    select(ReviewComment.number)
                    .where(ReviewComment.round_id == round_id)
                    .order_by(col(ReviewComment.number))
                ).all()
            )
    finally:
        engine.dispose()


def test_eight_reviewers_commenting_at_once_all_get_saved_with_unique_numbers(
    shared_url: str,
) -> None:
    world, review_round, people = _build_world(shared_url, reviewers=8)
    section_ids = [s.id for s in world.sections]
    outcomes = _run(
        [
            (_add_comments, (shared_url, review_round.id, person.id, section_ids, 15))
            for person in people
        ]
    )

    errors = [error for _, _, errs in outcomes for error in errs]
    assert errors == [], f"{len(errors)} comment(s) failed; the first:\n{errors[0]}"
    for reviewer_id, numbers, _ in outcomes:
        assert len(numbers) == 15, f"reviewer {reviewer_id} saved {len(numbers)} of 15"
    assert _round_numbers(shared_url, review_round.id) == list(range(1, 121))


def test_an_import_while_reviewers_comment_numbers_every_row(shared_url: str) -> None:
    world, review_round, people = _build_world(shared_url, reviewers=5)
    section_ids = [s.id for s in world.sections]
    codes = [s.code for s in world.sections]
    files = [
        write_csv(
            CommentRow(
                number=None,
                section=codes[i % len(codes)],
                from_line=1,
                to_line=2,
                reviewer="Government of Kenya",
                comment=f"Batch {batch}, comment {i + 1}.",
            )
            for i in range(20)
        )
        for batch in range(1, 4)
    ]
    outcomes = _run(
        [
            (_import_comments, (shared_url, review_round.id, world.cla.id, files)),
            *(
                (_add_comments, (shared_url, review_round.id, person.id, section_ids, 10))
                for person in people
            ),
        ]
    )

    errors = [error for _, _, errs in outcomes for error in errs]
    assert errors == [], f"{len(errors)} write(s) failed; the first:\n{errors[0]}"
    by_actor = {actor_id: done for actor_id, done, _ in outcomes}
    assert by_actor[world.cla.id] == [20, 20, 20]
    assert _round_numbers(shared_url, review_round.id) == list(range(1, 5 * 10 + 60 + 1))


def _save_section(
    url: str,
    section_id: int,
    author_id: int,
    base_revision_id: int,
    text: str,
    barrier: Any,
    results: Any,
) -> None:
    """Save one text on ``base_revision_id``; report 'saved', 'conflict' or the error seen."""
    outcome = ""
    try:
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            actor = session.get(Person, author_id)
            section = session.get(Section, section_id)
            barrier.wait(timeout=WAIT_SECONDS)
            try:
                sections.save_revision(
                    session=session,
                    actor=actor,
                    section=section,
                    text=text,
                    base_revision_id=base_revision_id,
                )
                outcome = "saved"
            except Conflict as exc:
                outcome = "conflict" if exc.mine == text else f"conflict without my text: {exc}"
        engine.dispose()
    except Exception as exc:
        outcome = _describe(exc)
    results.put((text, outcome, None))


def test_eight_authors_saving_one_section_at_once_one_wins_the_others_get_a_conflict(
    shared_url: str,
) -> None:
    world, _, _ = _build_world(shared_url, reviewers=0)
    section = world.sections[0]
    authors = [world.la, *world.clas]
    texts = [f"Version {i} of the section.\n" for i in range(1, 9)]
    outcomes = _run(
        [
            (
                _save_section,
                (shared_url, section.id, authors[i % 4].id, section.head_revision_id, text),
            )
            for i, text in enumerate(texts)
        ]
    )

    by_outcome: dict[str, list[str]] = {}
    for text, outcome, _ in outcomes:
        by_outcome.setdefault(outcome, []).append(text)
    assert sorted(by_outcome) == ["conflict", "saved"], by_outcome
    assert len(by_outcome["saved"]) == 1
    assert len(by_outcome["conflict"]) == 7
    engine = make_engine(shared_url)
    try:
        with Session(engine) as session:
            saved = session.exec(
                select(SectionRevision.number, SectionRevision.text)
                .where(SectionRevision.section_id == section.id)
                .order_by(col(SectionRevision.number))
            ).all()
            head = session.get(Section, section.id).head_revision_id
            head_text = session.get(SectionRevision, head).text
    finally:
        engine.dispose()
    assert [number for number, _ in saved] == [1, 2]
    assert head_text == by_outcome["saved"][0]
