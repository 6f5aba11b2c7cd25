"""indexes that keep two page queries bounded at scale

Issue 14 (a million comments): the Dashboard's "new comments since your last
visit" counted every comment of the report's rounds to keep those created after
the visit, and the Admin page's list of people in the audit trail read every
audit event. ``ix_reviewcomment_round_created`` lets the first read only the
comments created after the visit, round by round; ``ix_auditevent_person`` lets
the second ask, person by person, whether any event is theirs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 03:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_reviewcomment_round_created", "reviewcomment", ["round_id", "created_at"])
    op.create_index("ix_auditevent_person", "auditevent", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_auditevent_person", table_name="auditevent")
    op.drop_index("ix_reviewcomment_round_created", table_name="reviewcomment")
