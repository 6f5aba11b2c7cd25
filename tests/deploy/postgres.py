"""A fresh PostgreSQL database holding the demo, for the tests that run several processes.

Each such test needs a database of its own that other processes can open by URL (the
shared test database is truncated by other tests), so it is made beside the configured
one (``<name>_<suffix>``), dropped first if a previous run left it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from tests.conftest import require_postgres_url
from workbench import demo, history
from workbench.db import make_engine
from workbench.migrate import upgrade

_template: str | None = None


def _demo_template() -> str:
    """Return the name of a database holding the demo, built once per test process.

    Loading the demo takes about 25 s on PostgreSQL; copying a database
    (``CREATE DATABASE … TEMPLATE``) about one. It is rebuilt by every test run, so it
    always holds what this version of the code loads.
    """
    global _template
    if _template is None:
        base = make_url(require_postgres_url())
        name = f"{base.database}_demo_template"
        _recreate(name)
        engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as s, history.paused():
            demo.load_demo(s)
        engine.dispose()
        _template = name
    return _template


def _recreate(name: str, template: str | None = None) -> None:
    admin = make_engine(require_postgres_url()).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()


def database_url(suffix: str) -> str:
    """Return the URL of ``<test database>_<suffix>`` (whether it exists or not).

    Skips (fails under ``WORKBENCH_REQUIRE_POSTGRES=1``) without a PostgreSQL test URL.
    """
    base = make_url(require_postgres_url())
    return base.set(database=f"{base.database}_{suffix}").render_as_string(hide_password=False)


def fresh_demo_database(suffix: str) -> str:
    """Create ``<test database>_<suffix>`` with the demo workspace; return its URL."""
    url = database_url(suffix)
    _recreate(make_url(url).database, template=_demo_template())
    return url


def drop_database(url: str) -> None:
    """Drop a database :func:`fresh_demo_database` made (its processes must have ended)."""
    target = make_url(url)
    admin = make_engine(require_postgres_url()).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()
