"""an index on the sources of a report, newest first, for the workspace search

The workspace search ranks at most the newest matches of each kind in the
reports a person may read. On PostgreSQL, sources kept to some reports were
found by walking every source of the workspace backwards from the newest (the
primary key), discarding those of other reports: 0.1 s at 10×. Walked report by
report along ``ix_source_report_newest`` (report, id), each report's newest
matches come first.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 05:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_source_report_newest", "source", ["report_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_source_report_newest", table_name="source")
