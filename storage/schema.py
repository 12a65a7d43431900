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

# --- teams, portrait, kudos (issue 3) ---------------------------------------------------------

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False, unique=True),
    Column("title", String(256), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("locale", String(8), nullable=False, server_default="ru"),
    Column("join_code", String(16), nullable=False, unique=True),
    Column("kudos_budget", SmallInteger, nullable=False, default=5),
    Column("announce", SmallInteger, nullable=False, default=1),
    Column("birthdays", SmallInteger, nullable=False, default=1),
    Column("digest", SmallInteger, nullable=False, default=1),
    Column("bot_present", SmallInteger, nullable=False, default=1),
    #: the review reminder's default day (0 = Monday) and local time, set by leads
    Column("review_weekday", SmallInteger, nullable=False, default=4, server_default="4"),
    Column("review_time", String(5), nullable=False, default="16:00", server_default="16:00"),
    Column("created_at", UTCDateTime(), nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("joined_at", UTCDateTime(), nullable=False),
    Column("left_at", UTCDateTime()),
    Column("promoted", SmallInteger, nullable=False, default=0),
    Index("ix_memberships_user", "user_id"),
)

#: The team's portrait: catalogue qualities switched on/off, plus the team's custom skills.
team_qualities = Table(
    "team_qualities",
    metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("quality_id", String(32), primary_key=True),
    Column("enabled", SmallInteger, nullable=False, default=1),
    Column("custom_name", String(64)),
    Column("custom_meaning", String(500)),
)

user_profiles = Table(
    "user_profiles",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("current_team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL")),
    Column("birthday", String(5)),
)

kudos = Table(
    "kudos",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("giver_id", BigInteger),
    Column("receiver_id", BigInteger),
    Column("quality_id", String(32), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("local_day", String(10), nullable=False),
    Column("dedupe", String(64), nullable=False),
    Column("chat_id", BigInteger),
    Column("message_id", BigInteger),
    Column("delivered_at", UTCDateTime()),
    #: the kudos given by one command share a batch (undone together)
    Column("batch", String(16)),
    Index("ix_kudos_team_created", "team_id", "created_at"),
    Index("ix_kudos_giver_day", "team_id", "giver_id", "local_day"),
    Index("ix_kudos_receiver", "receiver_id", "created_at"),
    Index("ix_kudos_dedupe", "team_id", "dedupe", unique=True),
)

#: Things that must happen once per team and period (employee of the month, birthday, digest).
team_events = Table(
    "team_events",
    metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("period", String(32), primary_key=True),
    Column("done_at", UTCDateTime(), nullable=False),
)

# --- deliveries, the update inbox, the process lock (issue 6) ---------------------------------

#: The ledger: every message the bot owes someone outside the interaction that caused it.
#: ``key`` says what it is for (unique: the same thing is never queued twice).
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("user_id", BigInteger),
    Column("payload", Text, nullable=False, default="{}"),
    # pending | claimed | sent | unreachable | failed | cancelled
    Column("state", String(12), nullable=False),
    Column("priority", SmallInteger, nullable=False, default=5),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("attempts", SmallInteger, nullable=False, default=0),
    Column("lease_until", UTCDateTime()),
    Column("owner", String(64)),
    Column("message_id", BigInteger),
    Column("sent_chat_id", BigInteger),
    Column("error", String(300)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Index("ix_deliveries_due", "state", "due_at"),
    Index("ix_deliveries_user", "user_id", "state"),
)

#: Updates read from Telegram, kept from before the offset is confirmed until handled.
inbox = Table(
    "inbox",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("payload", Text, nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
)

#: One running process per bot token and database (until processes get roles).
process_locks = Table(
    "process_locks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
)

# --- the weekly self-review (issue 8) ---------------------------------------------------------

#: Each member's review schedule. NULL weekday/time/zone follow the team's defaults (its
#: ``review_weekday``/``review_time``/``timezone``); ``next_due_at`` is the next reminder
#: (NULL: to be computed), ``next_week`` the ISO week it belongs to in the user's zone.
review_schedules = Table(
    "review_schedules",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("weekday", SmallInteger),
    Column("at", String(5)),
    Column("timezone", String(64)),
    Column("quiet_start", String(5), nullable=False, default="21:00"),
    Column("quiet_end", String(5), nullable=False, default="09:00"),
    Column("paused_until", String(10)),
    Column("skip_week", String(8)),
    Column("next_due_at", UTCDateTime()),
    Column("next_week", String(8)),
    #: the user answered (or was asked) the time-zone question
    Column("zone_asked", SmallInteger, nullable=False, default=0),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_review_schedules_due", "next_due_at"),
)

#: Weeks (ISO, "2026-W52") in which a team's leads switched the reminders off.
team_holidays = Table(
    "team_holidays",
    metadata,
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("week", String(8), primary_key=True),
)

#: One review per user and ISO week of their zone: a draft while it is being written.
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, nullable=False),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("week", String(8), nullable=False),
    # draft | submitted
    Column("state", String(12), nullable=False),
    # results | ratings | wish | plan | summary (the draft's step)
    Column("step", String(12), nullable=False),
    Column("results", Text),
    #: JSON: the qualities asked this week, in order
    Column("qualities", Text, nullable=False, default="[]"),
    #: JSON: quality id -> 1..5
    Column("ratings", Text, nullable=False, default="{}"),
    Column("wish", String(1000)),
    Column("plan", String(1000)),
    Column("share_lead", SmallInteger, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("submitted_at", UTCDateTime()),
    Index("ix_reviews_user_week", "user_id", "week", unique=True),
    Index("ix_reviews_team_week", "team_id", "week"),
)

#: Evidence kept for a week: a forwarded message (a client's thanks), a received kudos.
review_evidence = Table(
    "review_evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, nullable=False),
    Column("week", String(8), nullable=False),
    # forward | kudos
    Column("source", String(12), nullable=False),
    Column("text", String(1100), nullable=False),
    Column("kudos_id", Integer),
    Column("attached", SmallInteger, nullable=False, default=0),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_review_evidence_user_week", "user_id", "week"),
)

#: A colleague asked for feedback on a submitted review.
feedback_requests = Table(
    "feedback_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("review_id", Integer, ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", BigInteger, nullable=False),
    Column("peer_id", BigInteger, nullable=False),
    # pending | answered | declined
    Column("state", String(12), nullable=False),
    Column("show_ratings", SmallInteger, nullable=False, default=0),
    Column("answer", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("answered_at", UTCDateTime()),
    Index("ix_feedback_requests_pair", "review_id", "peer_id", unique=True),
    Index("ix_feedback_requests_peer", "peer_id", "state"),
)
