"""Initial schema: users, persisted FSM, tips rotation, slots, posts and votes.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(256), nullable=False),
        sa.Column("last_name", sa.String(256)),
        sa.Column("username", sa.String(64)),
        sa.Column("language_code", sa.String(16)),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("blocked_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
    )
    op.create_table(
        "fsm_states",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("state", sa.String(200)),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_fsm_states"),
    )
    op.create_table(
        "tip_rotation",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("tip_id", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("posted_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("channel", "round", "tip_id", name="pk_tip_rotation"),
    )
    op.create_table(
        "tip_slots",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("slot_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "slot_at", name="pk_tip_slots"),
    )
    op.create_table(
        "tip_posts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("tip_id", sa.String(32), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tip_posts"),
    )
    op.create_index(
        "ix_tip_posts_chat_message", "tip_posts", ["chat_id", "message_id"], unique=True
    )
    op.create_index("ix_tip_posts_tip_id", "tip_posts", ["tip_id"])
    op.create_table(
        "tip_votes",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("voted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["tip_posts.id"], name="fk_tip_votes_post_id_tip_posts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", "user_id", name="pk_tip_votes"),
    )


def downgrade() -> None:
    op.drop_table("tip_votes")
    op.drop_index("ix_tip_posts_tip_id", table_name="tip_posts")
    op.drop_index("ix_tip_posts_chat_message", table_name="tip_posts")
    op.drop_table("tip_posts")
    op.drop_table("tip_slots")
    op.drop_table("tip_rotation")
    op.drop_table("fsm_states")
    op.drop_table("users")
