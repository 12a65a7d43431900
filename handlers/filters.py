"""Async filters (aiogram runs sync filters in a worker thread, so none here are sync)."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, TelegramObject

from bot.settings import Settings


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
