"""Fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

Every test that asks for ``session`` runs once per backend. The PostgreSQL run
needs ``WORKBENCH_TEST_DATABASE_URL``; without it that run is skipped with a
reason, unless ``WORKBENCH_REQUIRE_POSTGRES=1`` (CI), where it fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from workbench.db import create_all, make_engine

PG_URL = os.environ.get("WORKBENCH_TEST_DATABASE_URL", "").strip()
REQUIRE_PG = os.environ.get("WORKBENCH_REQUIRE_POSTGRES", "") == "1"
_pg_engine: Engine | None = None


def _postgres_engine() -> Engine:
    global _pg_engine
    if _pg_engine is None:
        if not PG_URL:
            if REQUIRE_PG:
                pytest.fail("WORKBENCH_REQUIRE_POSTGRES=1 but WORKBENCH_TEST_DATABASE_URL is unset")
            pytest.skip("PostgreSQL run: set WORKBENCH_TEST_DATABASE_URL to include it")
        engine = make_engine(PG_URL)
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        create_all(engine)
        _pg_engine = engine
    return _pg_engine


def _truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Yield an empty database with the schema, on each backend."""
    if request.param == "sqlite":
        eng = make_engine("sqlite://")
        create_all(eng)
        yield eng
        eng.dispose()
    else:
        eng = _postgres_engine()
        _truncate(eng)
        yield eng


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """Yield a session on a fresh database; objects stay readable after commit."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def world(session: Session):
    """Yield a populated report with a signed team (see tests/factories.py)."""
    from tests.factories import make_world

    return make_world(session)
