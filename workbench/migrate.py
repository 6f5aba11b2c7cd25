"""Schema migrations: bring any database to the newest schema with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from workbench.db import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"


def alembic_config() -> Config:
    """Return an Alembic configuration pointing at the project's migrations."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    # alembic.ini's ``prepend_sys_path = .`` (for ``alembic`` run by hand) would put "."
    # in front of sys.path again at every migration: a long-lived process (an app server,
    # a test worker) grew sys.path by one entry per upgrade, and every import lookup and
    # every scan of the installed packages (Streamlit's, at each script run) walked them
    # all. The workbench is installed, so the migrations import it without it.
    config.set_main_option("prepend_sys_path", "")
    return config


# Database objects that no model describes, kept out of the models-versus-schema
# comparison (``alembic revision --autogenerate`` and tests/test_migrations.py) by
# the prefix of their names: tables (with their FTS5 shadow tables), columns and
# indexes. Triggers and functions are never compared. A migration that adds such
# objects names them with one of these prefixes and adds its prefix here.
#   search_   full-text search (migration 0008, workbench/search_schema.py)
#   counts_   maintained comment counts (migration 0009, workbench/comment_counts.py)
#             and the reports' change tokens (migration 0012, workbench/content_version.py)
UNMODELLED_PREFIXES: tuple[str, ...] = ("search_", "counts_")


def is_unmodelled(name: str | None) -> bool:
    """Return whether ``name`` belongs to an object the models deliberately do not describe."""
    return bool(name) and str(name).startswith(UNMODELLED_PREFIXES)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: skip unmodelled tables before they are reflected."""
    return not is_unmodelled(name)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic ``include_object`` hook: skip unmodelled columns and indexes."""
    return not is_unmodelled(name)


def upgrade(engine: Engine) -> None:
    """Migrate the database behind ``engine`` to the newest schema."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """Return the Alembic revision the database is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """Return the newest migration's revision id."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


__all__ = [
    "MIGRATIONS",
    "UNMODELLED_PREFIXES",
    "Path",
    "current_revision",
    "head_revision",
    "include_name",
    "include_object",
    "is_unmodelled",
    "upgrade",
]
