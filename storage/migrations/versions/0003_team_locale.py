"""The language a team's chat is addressed in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("locale", sa.String(8), nullable=False, server_default="ru"))


def downgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("locale")
