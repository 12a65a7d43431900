"""The database schema (SQLAlchemy Core). Alembic migrations create exactly this."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from storage.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("first_name", String(256), nullable=False),
    Column("last_name", String(256)),
    Column("username", String(64)),
    Column("language_code", String(16)),
    Column("started_at", UTCDateTime()),
    Column("blocked_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
)

fsm_states = Table(
    "fsm_states",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("state", String(200)),
    Column("data", Text, nullable=False, default="{}"),
    Column("updated_at", UTCDateTime(), nullable=False),
)

#: The rotation of tips in a channel: one row per tip per round, in shuffled order.
tip_rotation = Table(
    "tip_rotation",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("tip_id", String(32), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("posted_at", UTCDateTime()),
)

#: Schedule slots claimed by a poster: the database, not the job store, knows what was posted.
tip_slots = Table(
    "tip_slots",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("slot_at", UTCDateTime(), primary_key=True),
    Column("claimed_at", UTCDateTime(), nullable=False),
)

tip_posts = Table(
    "tip_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("tip_id", String(32), nullable=False),
    Column("posted_at", UTCDateTime(), nullable=False),
    Index("ix_tip_posts_chat_message", "chat_id", "message_id", unique=True),
    Index("ix_tip_posts_tip_id", "tip_id"),
)

tip_votes = Table(
    "tip_votes",
    metadata,
    Column(
        "post_id",
        Integer,
        ForeignKey("tip_posts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("value", SmallInteger, nullable=False),
    Column("voted_at", UTCDateTime(), nullable=False),
)
