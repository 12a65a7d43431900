"""Async filters (aiogram runs sync filters in a worker thread, so none here are sync)."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, TelegramObject

from bot.services.errors import DomainError, NotFound
from bot.services.teams import Team, TeamsService
from bot.settings import Settings
from bot.telegram.leads import LeadChecker


class PrivateChat(Filter):
    async def __call__(self, event: TelegramObject) -> bool:
        chat = _chat(event)
        return chat is not None and chat.type == "private"


class GroupChat(Filter):
    async def __call__(self, event: TelegramObject) -> bool:
        chat = _chat(event)
        return chat is not None and chat.type in ("group", "supergroup")


class BotAdmin(Filter):
    """The sender is one of ADMIN_IDS."""

    async def __call__(self, event: TelegramObject, settings: Settings, **_: Any) -> bool:
        user = getattr(event, "from_user", None)
        return user is not None and user.id in settings.admin_ids


def _chat(event: TelegramObject) -> Any:
    if isinstance(event, CallbackQuery):
        return event.message.chat if event.message is not None else None
    return getattr(event, "chat", None)  # Message, ChatMemberUpdated, ...


class HasField(Filter):
    """The message carries a (non-empty) field, e.g. ``text`` or ``migrate_to_chat_id``."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, event: TelegramObject) -> bool:
        return bool(getattr(event, self.name, None))


class TextInput(Filter):
    """Plain text typed into a flow: commands (``/cancel``, ``/help``...) are not input."""

    async def __call__(self, event: TelegramObject) -> bool:
        text = getattr(event, "text", None)
        return bool(text) and not str(text).startswith("/")


def _user_id(event: TelegramObject) -> int:
    user = getattr(event, "from_user", None)
    if user is None:
        raise DomainError("errors.stale_button")
    return int(user.id)


class TeamHere(Filter):
    """Injects ``team``: the group's team, or in private the user's current team. Without
    one the user is told how to get one (the error router answers)."""

    async def __call__(
        self, event: TelegramObject, teams: TeamsService, **_: Any
    ) -> dict[str, Team]:
        chat = _chat(event)
        if chat is not None and chat.type == "private":
            team = await teams.current_team(_user_id(event))
            if team is None:
                raise DomainError("teams.no_team")
            return {"team": team}
        found = await teams.by_chat(chat.id) if chat is not None else None
        if found is None:
            raise DomainError("teams.no_team_here")
        return {"team": found}


class ButtonTeam(Filter):
    """Injects ``team``: the team a button names (``callback_data.team_id``). The id comes
    from the client, so filters after this one check the presser again."""

    async def __call__(
        self, event: TelegramObject, callback_data: Any, teams: TeamsService, **_: Any
    ) -> dict[str, Team]:
        team_id = int(callback_data.team_id)
        if not 0 < team_id < 2**62:  # forged: no such row, and no database error either
            raise NotFound()
        return {"team": await teams.by_id(team_id)}


class IsLead(Filter):
    """After ``TeamHere``/``ButtonTeam``: the sender leads that team (chat admin or promoted),
    or is told that only a lead may do this (``refuse=False``: the event goes on to the next
    handler instead, e.g. the members' read-only view)."""

    def __init__(self, *, refuse: bool = True) -> None:
        self.refuse = refuse

    async def __call__(
        self, event: TelegramObject, bot: Bot, team: Team, leads: LeadChecker, **_: Any
    ) -> bool:
        if await leads.is_lead(bot, team, _user_id(event)):
            return True
        if self.refuse:
            raise DomainError("teams.not_lead")
        return False
