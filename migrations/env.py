"""Alembic environment: migrates the database named by the caller or WORKBENCH_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import workbench.models  # noqa: F401  (registers the tables)
from workbench.db import make_engine
from workbench.migrate import include_name, include_object

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.attributes.get("url"))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # Objects no model describes (full-text search…): see UNMODELLED_PREFIXES.
        include_name=include_name,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run against a database.")
run_migrations_online()
