"""The weekly self-review: schedules, team holidays, reviews, evidence, feedback requests.

Members who are in a team get a schedule that follows the team's defaults.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(
            sa.Column("review_weekday", sa.SmallInteger(), nullable=False, server_default="4")
        )
        batch.add_column(
            sa.Column("review_time", sa.String(5), nullable=False, server_default="16:00")
        )
    op.create_table(
        "review_schedules",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=True),
        sa.Column("at", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("paused_until", sa.String(length=10), nullable=True),
        sa.Column("skip_week", sa.String(length=8), nullable=True),
        sa.Column("next_due_at", UTCDateTime(), nullable=True),
        sa.Column("next_week", sa.String(length=8), nullable=True),
        sa.Column("zone_asked", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_review_schedules_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_review_schedules")),
    )
    op.create_index("ix_review_schedules_due", "review_schedules", ["next_due_at"])
    op.create_table(
        "team_holidays",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_holidays_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "week", name=op.f("pk_team_holidays")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("step", sa.String(length=12), nullable=False),
        sa.Column("results", sa.Text(), nullable=True),
        sa.Column("qualities", sa.Text(), nullable=False),
        sa.Column("ratings", sa.Text(), nullable=False),
        sa.Column("wish", sa.String(length=1000), nullable=True),
        sa.Column("plan", sa.String(length=1000), nullable=True),
        sa.Column("share_lead", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_reviews_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    op.create_index("ix_reviews_user_week", "reviews", ["user_id", "week"], unique=True)
    op.create_index("ix_reviews_team_week", "reviews", ["team_id", "week"])
    op.create_table(
        "review_evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("text", sa.String(length=1100), nullable=False),
        sa.Column("kudos_id", sa.Integer(), nullable=True),
        sa.Column("attached", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_evidence")),
    )
    op.create_index("ix_review_evidence_user_week", "review_evidence", ["user_id", "week"])
    op.create_table(
        "feedback_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("peer_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("show_ratings", sa.SmallInteger(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_feedback_requests_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_requests")),
    )
    op.create_index(
        "ix_feedback_requests_pair", "feedback_requests", ["review_id", "peer_id"], unique=True
    )
    op.create_index("ix_feedback_requests_peer", "feedback_requests", ["peer_id", "state"])
    # every current member gets a schedule that follows the team (their last joined team)
    op.execute(
        """
        INSERT INTO review_schedules (user_id, team_id, quiet_start, quiet_end, zone_asked,
                                      updated_at)
        SELECT m.user_id, MAX(m.team_id), '21:00', '09:00', 0, MAX(m.joined_at)
        FROM memberships m
        JOIN teams t ON t.id = m.team_id
        WHERE m.left_at IS NULL
        GROUP BY m.user_id
        """
    )


def downgrade() -> None:
    op.drop_table("feedback_requests")
    op.drop_table("review_evidence")
    op.drop_table("reviews")
    op.drop_table("team_holidays")
    op.drop_table("review_schedules")
    with op.batch_alter_table("teams") as batch:
        batch.drop_column("review_time")
        batch.drop_column("review_weekday")
