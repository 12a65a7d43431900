"""Who leads a team: the group's admins (asked from Telegram, cached briefly) plus members a
lead promoted."""

from __future__ import annotations

import logging
import time

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.services.teams import Team, TeamsService

log = logging.getLogger(__name__)

CACHE_SECONDS = 60.0


class LeadChecker:
    def __init__(self, teams: TeamsService, ttl: float = CACHE_SECONDS) -> None:
        self._teams = teams
        self._ttl = ttl
        self._cache: dict[tuple[int, int], tuple[float, bool]] = {}

    async def is_lead(self, bot: Bot, team: Team, user_id: int) -> bool:
        member = await self._teams.member(team, user_id)
        if member is not None and member.promoted:
            return True
        return await self.is_chat_admin(bot, team.chat_id, user_id)

    async def is_chat_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            status = (await bot.get_chat_member(chat_id, user_id)).status
        except TelegramAPIError as exc:
            log.info("cannot check admin %s in %s: %s", user_id, chat_id, exc.message)
            return False
        admin = status in ("creator", "administrator")
        self._cache[key] = (now + self._ttl, admin)
        if len(self._cache) > 10_000:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        return admin
