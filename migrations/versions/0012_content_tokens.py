"""content tokens

Issue 14: the Council page and the Secretariat's Dashboard hashed the whole
report on every run to see whether a decision still binds the current content
(3 s at ten times IPCC scale), and the Council's reading copy gathered the whole
document again. ``counts_content`` holds, per report, a random token that
triggers change with anything the content hash reads, and another for
everything else the exported document prints, so both can be kept between runs
while the tokens stay the same. The statements live in
:mod:`workbench.content_version`, which explains the choices; every object's
name starts with ``counts_``, which the models-versus-schema comparison ignores.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 07:00:00
"""

from collections.abc import Sequence

from alembic import op

from workbench import content_version

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in content_version.create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in content_version.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
