"""Users the bot has seen: names for display, who started the bot, who blocked it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import users
from storage.upsert import upsert


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    started_at: datetime | None
    blocked_at: datetime | None

    @property
    def reachable(self) -> bool:
        """The bot may write to this user privately."""
        return self.started_at is not None and self.blocked_at is None


async def save_started(
    conn: AsyncConnection,
    *,
    user_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
    now: datetime,
) -> None:
    """Record a user who wrote to the bot in private (so it may write back)."""
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "username": username,
        "language_code": language_code,
        "started_at": now,
        "blocked_at": None,
    }
    await conn.execute(
        upsert(conn, users, {"id": user_id, "created_at": now, **values}, ["id"], values)
    )


async def mark_blocked(conn: AsyncConnection, user_id: int, now: datetime) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(blocked_at=now))


async def get(conn: AsyncConnection, user_id: int) -> UserRow | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()
    return UserRow(**{k: row[k] for k in UserRow.__slots__}) if row else None


async def remember(
    conn: AsyncConnection,
    *,
    user_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language_code: str | None,
    now: datetime,
) -> None:
    """Keep a user's name current without changing whether they started the bot."""
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "username": username,
        "language_code": language_code,
    }
    await conn.execute(
        upsert(conn, users, {"id": user_id, "created_at": now, **values}, ["id"], values)
    )


async def delete(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(users.delete().where(users.c.id == user_id))
