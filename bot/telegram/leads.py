"""Who leads a team: the group's admins (asked from Telegram, cached briefly) plus members a
lead promoted."""

from __future__ import annotations

import logging
import time

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from cachetools import TTLCache

from bot.services.teams import Team, TeamsService

log = logging.getLogger(__name__)

CACHE_SECONDS = 60.0
#: (chat, user) answers kept at most; the oldest go first
CACHE_SIZE = 10_000


class LeadChecker:
    def __init__(
        self, teams: TeamsService, ttl: float = CACHE_SECONDS, size: int = CACHE_SIZE
    ) -> None:
        self._teams = teams
        self._cache: TTLCache[tuple[int, int], bool] = TTLCache(size, ttl, timer=time.monotonic)

    async def is_lead(self, bot: Bot, team: Team, user_id: int) -> bool:
        member = await self._teams.member(team, user_id)
        if member is not None and member.promoted:
            return True
        return await self.is_chat_admin(bot, team.chat_id, user_id)

    async def is_chat_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            status = (await bot.get_chat_member(chat_id, user_id)).status
        except TelegramAPIError as exc:
            log.info("cannot check admin %s in %s: %s", user_id, chat_id, exc.message)
            return False
        admin = status in ("creator", "administrator")
        self._cache[key] = admin
        return admin


class TeamLeads:
    """The jobs' port: who leads a team now, asked from Telegram (for the leads' digest)."""

    def __init__(self, bot: Bot, teams: TeamsService) -> None:
        self._bot = bot
        self._teams = teams

    async def lead_ids(self, team: Team) -> list[int]:
        try:
            admins = await self._bot.get_chat_administrators(team.chat_id)
        except TelegramAPIError as exc:
            log.info("cannot list the admins of %s: %s", team.chat_id, exc.message)
            admins = []
        ids = {a.user.id for a in admins if not a.user.is_bot}
        ids |= {m.user_id for m in await self._teams.members(team) if m.promoted}
        return sorted(ids)
