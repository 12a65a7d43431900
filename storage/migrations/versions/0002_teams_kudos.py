"""Teams, the team portrait, profiles, kudos and once-per-period team events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("join_code", sa.String(length=16), nullable=False),
        sa.Column("kudos_budget", sa.SmallInteger(), nullable=False),
        sa.Column("announce", sa.SmallInteger(), nullable=False),
        sa.Column("birthdays", sa.SmallInteger(), nullable=False),
        sa.Column("digest", sa.SmallInteger(), nullable=False),
        sa.Column("bot_present", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_teams_chat_id")),
        sa.UniqueConstraint("join_code", name=op.f("uq_teams_join_code")),
    )
    op.create_table(
        "kudos",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("giver_id", sa.BigInteger(), nullable=True),
        sa.Column("receiver_id", sa.BigInteger(), nullable=True),
        sa.Column("quality_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("local_day", sa.String(length=10), nullable=False),
        sa.Column("dedupe", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_kudos_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos")),
    )
    op.create_index("ix_kudos_dedupe", "kudos", ["team_id", "dedupe"], unique=True)
    op.create_index(
        "ix_kudos_giver_day", "kudos", ["team_id", "giver_id", "local_day"], unique=False
    )
    op.create_index("ix_kudos_receiver", "kudos", ["receiver_id", "created_at"], unique=False)
    op.create_index("ix_kudos_team_created", "kudos", ["team_id", "created_at"], unique=False)
    op.create_table(
        "memberships",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("left_at", UTCDateTime(), nullable=True),
        sa.Column("promoted", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_memberships_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_memberships")),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_id"], unique=False)
    op.create_table(
        "team_events",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_events_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "kind", "period", name=op.f("pk_team_events")),
    )
    op.create_table(
        "team_qualities",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("quality_id", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.SmallInteger(), nullable=False),
        sa.Column("custom_name", sa.String(length=64), nullable=True),
        sa.Column("custom_meaning", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_qualities_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "quality_id", name=op.f("pk_team_qualities")),
    )
    op.create_table(
        "user_profiles",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("current_team_id", sa.Integer(), nullable=True),
        sa.Column("birthday", sa.String(length=5), nullable=True),
        sa.ForeignKeyConstraint(
            ["current_team_id"],
            ["teams.id"],
            name=op.f("fk_user_profiles_current_team_id_teams"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_profiles")),
    )


def downgrade() -> None:
    op.drop_table("user_profiles")
    op.drop_table("team_qualities")
    op.drop_table("team_events")
    op.drop_index("ix_memberships_user", table_name="memberships")
    op.drop_table("memberships")
    op.drop_index("ix_kudos_team_created", table_name="kudos")
    op.drop_index("ix_kudos_receiver", table_name="kudos")
    op.drop_index("ix_kudos_giver_day", table_name="kudos")
    op.drop_index("ix_kudos_dedupe", table_name="kudos")
    op.drop_table("kudos")
    op.drop_table("teams")
