"""full text search

Issue 14: full-text search in the database. SQLite gets FTS5 tables
(``search_comment``, ``search_source``, ``search_finding``,
``search_recommendation``, ``search_section``) kept current by triggers;
PostgreSQL gets a ``search_tsv`` column with a GIN index on each searchable
table (generated, or filled by a trigger for sections). Every existing row is
indexed here. The statements live in :mod:`workbench.search_schema`, which
explains the choices; every object's name starts with ``search_``, which the
models-versus-schema comparison ignores.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:20:00
"""

from collections.abc import Sequence

from alembic import op

from workbench import search_schema

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in search_schema.create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in search_schema.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
