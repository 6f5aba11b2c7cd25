"""Migrations: they build the schema the models describe, on every backend."""

from __future__ import annotations

import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from workbench import migrate


def test_migrations_match_the_models(empty_engine):
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": migrate.include_name,
                    "include_object": migrate.include_object,
                },
            ),
            SQLModel.metadata,
        )
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_upgrade_is_idempotent(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.upgrade(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    assert {"report", "section", "sectionrevision", "reviewcomment"} <= tables


def test_upgrade_leaves_the_import_path_as_it_was(empty_engine):
    # A server or test process migrates many databases; each upgrade used to put "." in
    # front of sys.path once more, slowing every later import lookup and package scan.
    before = list(sys.path)
    migrate.upgrade(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.head_revision()
    assert sys.path == before


def _search_objects(engine) -> set[str]:
    """Return the names of the full-text search objects in the database."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE name LIKE :like"
        else:
            query = (
                "SELECT column_name FROM information_schema.columns"
                " WHERE column_name LIKE :like AND table_schema = current_schema()"
                " UNION ALL SELECT indexname FROM pg_indexes"
                " WHERE indexname LIKE :like AND schemaname = current_schema()"
                " UNION ALL SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname LIKE :like AND c.relnamespace = current_schema()::regnamespace"
            )
        rows = conn.execute(text(query), {"like": "search%"}).all()
    return {row[0] for row in rows}


def test_full_text_search_downgrades_and_upgrades_again(empty_engine):
    """0008 builds the search objects and indexes existing rows; its downgrade removes them all."""
    from alembic import command

    from tests.factories import make_world
    from workbench.db import session_scope

    config = migrate.alembic_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    assert _search_objects(empty_engine) == set()
    with session_scope(empty_engine) as session:
        make_world(session)
    migrate.upgrade(empty_engine)
    assert _search_objects(empty_engine)
    # Sections written before 0008 are found by a word of their text (the migration indexed them).
    with empty_engine.connect() as conn:
        if empty_engine.dialect.name == "sqlite":
            found = conn.exec_driver_sql(
                "SELECT count(*) FROM search_section WHERE search_section MATCH 'widespread'"
            ).scalar()
        else:
            found = conn.exec_driver_sql(
                "SELECT count(*) FROM section"
                " WHERE search_tsv @@ to_tsquery('english', 'widespread')"
            ).scalar()
    assert found and found > 0
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    assert _search_objects(empty_engine) == set()
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
