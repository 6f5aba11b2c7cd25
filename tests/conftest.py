"""Fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

Every test that asks for ``session`` runs once per backend. The PostgreSQL run
needs ``WORKBENCH_TEST_DATABASE_URL``; without it that run is skipped with a
reason, unless ``WORKBENCH_REQUIRE_POSTGRES=1`` (CI), where it fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
        engine = make_engine(require_postgres_url())
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


@pytest.fixture(autouse=True, scope="session")
def no_history_mirror() -> Iterator[None]:
    """Keep the git mirror of the draft history off unless a test turns it on.

    ``WORKBENCH_MIRROR_PATH`` and ``WORKBENCH_MIRROR_REMOTE`` are removed from
    the environment for the session (a test sets them with ``monkeypatch``),
    and the default mirror beside the default database is switched off, so no
    test ever writes into the repository's ``data/``.
    """
    from workbench import history

    saved = {name: os.environ.pop(name, None) for name in (history.MIRROR_ENV, history.REMOTE_ENV)}
    default = history.DEFAULT_MIRROR_PATH
    history.DEFAULT_MIRROR_PATH = None
    yield
    history.DEFAULT_MIRROR_PATH = default
    for name, value in saved.items():
        if value is not None:
            os.environ[name] = value


_worker_url: str | None = None


def require_postgres_url() -> str:
    """Return the PostgreSQL test URL, or skip (fail in CI) when there is none.

    Under pytest-xdist each worker gets a database of its own beside the one
    named (``<name>_gw0``, ``<name>_gw1``…), created when missing, so that
    workers never truncate each other's tables; the role needs CREATEDB.
    """
    global _worker_url
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("WORKBENCH_REQUIRE_POSTGRES=1 but WORKBENCH_TEST_DATABASE_URL is unset")
        pytest.skip("PostgreSQL run: set WORKBENCH_TEST_DATABASE_URL to include it")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return PG_URL
    if _worker_url is None:
        from sqlalchemy.engine import make_url

        base = make_url(PG_URL)
        name = f"{base.database}_{worker}"
        admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        _worker_url = base.set(database=name).render_as_string(hide_password=False)
    return _worker_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """Yield an engine on a database with no tables at all (for migrations and restores).

    On PostgreSQL this is a schema of its own in the test database, so it never
    disturbs the tables the other fixtures share.
    """
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield eng
        eng.dispose()
        return
    url = require_postgres_url()
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS scratch CASCADE"))
        conn.execute(text("CREATE SCHEMA scratch"))
    eng = create_engine_with_search_path(url, "scratch")
    yield eng
    eng.dispose()
    with admin.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS scratch CASCADE"))
    admin.dispose()


def create_engine_with_search_path(url: str, schema: str) -> Engine:
    """Return a PostgreSQL engine whose connections use ``schema`` first."""
    from sqlalchemy import create_engine

    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"})


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


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """Return a SQLite file holding the demo workspace, built once per test run."""
    from workbench import demo
    from workbench.migrate import upgrade

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    with Session(eng, expire_on_commit=False) as s:
        demo.load_demo(s)
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def browser():
    """Yield a headless Chromium driven by Playwright, one per test process.

    Defined here, not beside the browser tests, so that the browser tests and the
    deployment tests share it: Playwright's sync API refuses a second instance while
    one runs in the same process.
    """
    from tests.browser.conftest import CHROMIUM, FLAGS, _skip_or_fail

    if not Path(CHROMIUM).exists():
        _skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _skip_or_fail("the playwright package is not installed")
    # An expectation passes as soon as it holds; on a busy machine (tests on two workers,
    # LibreOffice printing beside them) a Streamlit rerun can take longer than the
    # default 5 seconds to draw what it will draw.
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


# Seconds each test file takes on one worker of a full run (tests/file_seconds.json,
# refreshed by hand from a run's per-file totals). A file not listed counts half a
# second a test.
FILE_SECONDS_PATH = Path(__file__).with_name("file_seconds.json")
UNLISTED_SECONDS_PER_TEST = 0.5


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the longest test files first, each file's tests together and in their order.

    pytest-xdist's ``--dist loadfile`` (with ``--no-loadscope-reorder``, scripts/test.sh)
    hands files to the workers in collection order; a long file handed out last (a
    browser file, the two-replica test) ran alone at the end while the other worker
    idled. Longest first leaves only short files for the end. Every worker sorts the
    same collection the same way, as xdist requires.
    """
    import json

    known: dict[str, float] = json.loads(FILE_SECONDS_PATH.read_text(encoding="utf-8"))
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def seconds(name: str) -> float:
        return known.get(name, UNLISTED_SECONDS_PER_TEST * len(files[name]))

    order = sorted(files, key=lambda name: -seconds(name))  # stable: ties keep their order
    items[:] = [item for name in order for item in files[name]]
