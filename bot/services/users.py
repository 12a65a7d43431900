"""Who the bot may write to privately: users who started it and have not blocked it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from storage.database import Database
from storage.repo import deliveries as deliveries_repo
from storage.repo import fsm as fsm_repo
from storage.repo import kudos as kudos_repo
from storage.repo import reviews as reviews_repo
from storage.repo import teams as teams_repo
from storage.repo import tips as tips_repo
from storage.repo import users as repo
from storage.repo.users import UserRow


@dataclass(frozen=True, slots=True)
class Person:
    """A Telegram user as the services see one (no aiogram types here)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class UsersService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def started(self, person: Person) -> None:
        async with self._db.transaction(replayable=True) as conn:
            await repo.save_started(
                conn,
                user_id=person.id,
                first_name=person.first_name,
                last_name=person.last_name,
                username=person.username,
                language_code=person.language_code,
                now=self._clock.now(),
            )

    async def blocked(self, user_id: int) -> None:
        async with self._db.transaction() as conn:
            await repo.mark_blocked(conn, user_id, self._clock.now())

    @staticmethod
    async def mark_blocked(conn: AsyncConnection, user_id: int, now: datetime) -> None:
        """In the caller's transaction (a delivery's outcome): no more private messages."""
        await repo.mark_blocked(conn, user_id, now)

    async def forget(self, user_id: int) -> None:
        """/forget_me: the person goes from every table (memberships, profile, birthday
        events, name, conversation states, deliveries); their kudos and tip votes stay counted
        under a pseudonym that nothing links back to them; on SQLite the log is checkpointed
        so no file keeps the old rows."""
        # user ids are positive; a random negative id keeps their kudos and votes together,
        # nameless
        pseudonym = -secrets.randbelow(2**52) - 1
        async with self._db.transaction() as conn:
            await teams_repo.forget_memberships(conn, user_id)
            await teams_repo.forget_profile(conn, user_id)
            await teams_repo.forget_events(conn, user_id)
            await kudos_repo.forget_user(conn, user_id, pseudonym)
            await tips_repo.forget_voter(conn, user_id, pseudonym)
            await reviews_repo.forget_user(conn, user_id, pseudonym)
            await repo.delete(conn, user_id)
            await fsm_repo.forget_user(conn, user_id)
            await deliveries_repo.forget_user(conn, user_id)
        await self._db.checkpoint()

    async def get(self, user_id: int) -> UserRow | None:
        async with self._db.read() as conn:
            return await repo.get(conn, user_id)
