"""Database engine and sessions.

``WORKBENCH_DATABASE_URL`` names the database; without it the workbench uses a
SQLite file at ``data/workbench.db`` (WAL journal, foreign keys enforced), so a
laptop needs no server. PostgreSQL URLs (``postgresql+psycopg://…``) are used
as they are.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from workbench import textguard

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_URL = f"sqlite:///{DATA_DIR / 'workbench.db'}"

# Every session checks the texts it writes (NUL, control characters, lengths).
textguard.install()


def database_url() -> str:
    """Return the configured database URL (``WORKBENCH_DATABASE_URL`` or the SQLite default)."""
    url = os.environ.get("WORKBENCH_DATABASE_URL", "").strip() or DEFAULT_URL
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver we ship; plain URLs would ask for psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for ``url`` (default: the configured one)."""
    url = url or database_url()
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=StaticPool
            )
        else:
            path = url.split("///", 1)[1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Open a session whose objects stay readable after commit; roll back on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def create_all(engine: Engine) -> None:
    """Create every table directly from the models (tests; production uses migrations)."""
    import workbench.models  # noqa: F401  (registers the tables)

    SQLModel.metadata.create_all(engine)
    # What the migrations add beside the models, by the same statements: full-text search
    # (0008), the comment counts (0009) and the reports' change tokens (0012).
    from workbench import comment_counts, content_version, search_schema

    with engine.begin() as conn:
        for module in (search_schema, comment_counts, content_version):
            for statement in module.create_statements(conn.dialect.name):
                conn.execute(text(statement))
