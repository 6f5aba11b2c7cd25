"""The benchmark harness still works: a tiny workspace generated, then a few groups measured.

Nothing here times anything (bench/run.py does, and its targets are not asserted):
these tests only keep ``bench/generate.py`` and ``bench/run.py`` from rotting. A
workspace at scale 0.02 is generated through the migrations on SQLite and, with
``WORKBENCH_TEST_DATABASE_URL``, on PostgreSQL (in a database of its own beside the
test database, ``<name>_bench``); the full-text search and the comment counts the
migrations' triggers keep must be filled as the rows go in, and ``bench/run.py``
must print a row per call, naming the database and scale, for a small ``--only``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from tests.conftest import require_postgres_url
from workbench import reviews, search
from workbench.db import make_engine
from workbench.models import ReviewComment, ReviewRound, RoundStatus

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SCALE = "0.02"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def generate(url: str) -> None:
    done = run("bench/generate.py", "--scale", SCALE, "--url", url, "--fresh")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Done in" in done.stdout


def check_workspace(url: str) -> None:
    """The generated rows are searchable and counted, as the app would find them."""
    from bench.generate import bench_info

    engine = make_engine(url)
    try:
        info = bench_info(engine)
        assert info is not None and info["scale"] == float(SCALE)
        with Session(engine) as s:
            comments = s.exec(select(func.count()).select_from(ReviewComment)).one()
            assert comments == info["rows"]["reviewcomment"] > 0
            # The search index was filled while the rows went in (triggers), not afterwards.
            found = search.search(s, person=None, text="wage", scope=search.everything(s), limit=5)
            assert found.hits
            # The comment counts the triggers keep agree with the comments.
            open_round = s.exec(
                select(ReviewRound).where(ReviewRound.status == RoundStatus.open)
            ).first()
            in_round = s.exec(
                select(func.count())
                .select_from(ReviewComment)
                .where(ReviewComment.round_id == open_round.id)
            ).one()
            counted = reviews.disposition_counts(s, round_id=open_round.id)
            assert sum(row["total"] for row in counted) == in_round
    finally:
        engine.dispose()


def measure(url: str, label: str, *groups: str) -> str:
    """Run bench/run.py on the workspace (as its 1× and its 10×); return its table."""
    only = [arg for group in groups for arg in ("--only", group)]
    done = run(
        "bench/run.py", "--url", url, "--ten-x-url", url, "--runs", "1", *only,
        "--pages", "inbox.py",
    )  # fmt: skip
    # 1: a target missed (a tiny workspace on a busy machine may); anything else is a crash.
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    table = done.stdout
    assert "| database | measurement |" in table
    rows = [line for line in table.splitlines() if line.startswith(f"| {label} |")]
    assert rows, table
    return table


def test_generate_and_measure_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    generate(url)
    check_workspace(url)
    table = measure(url, f"SQLite {SCALE}×", "services", "search", "pages")
    for call in ("reviews.disposition_counts", "reviews.open_comment_counts", "search.search"):
        assert call in table
    assert "Page views/inbox.py" in table
    # Held against itself, every SQL count is the same: the comparison found no difference.
    assert ", here" not in table


@pytest.mark.postgres
def test_generate_and_measure_on_postgresql():
    base = make_url(require_postgres_url())
    name = f"{base.database}_bench"
    admin = make_engine(base.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        known = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if known.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    generate(url)
    # --fresh starts again from nothing, whatever the migrations made the first time.
    generate(url)
    check_workspace(url)
    measure(url, f"PostgreSQL {SCALE}×", "services", "search")
