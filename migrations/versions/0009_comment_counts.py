"""comment counts

Issue 14: the open-comment and disposition counts of the Review and Dashboard
pages come from ``counts_comment``, one row of counts per round, section and
part, kept by triggers on the comments (row triggers on SQLite, statement
triggers with transition tables on PostgreSQL) and filled here from the
comments already there. The statements live in :mod:`workbench.comment_counts`,
which explains the choices; every object's name starts with ``counts_``, which
the models-versus-schema comparison ignores.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 03:40:00
"""

from collections.abc import Sequence

from alembic import op

from workbench import comment_counts

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in comment_counts.create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in comment_counts.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
