"""Keeps aiogram's parametrised ``Response[T]`` classes alive.

aiogram parses every Bot API answer as ``Response[method.__returning__]``. pydantic caches
a parametrised generic class only weakly, and such a class sits in reference cycles, so the
garbage collector frees it between calls and the next answer pays to build it again (~4 ms).
Holding a strong reference to the classes for the methods this bot calls avoids that.
"""

from __future__ import annotations

from typing import Any

from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChatMember,
    GetMe,
    GetUpdates,
    SendDocument,
    SendMessage,
    SetMyCommands,
    SetWebhook,
    TelegramMethod,
)
from aiogram.methods.base import Response

#: Every Bot API method the bot calls (directly, through ``Message.answer`` / ``reply``, the
#: callback answers, polling and the webhook set-up).
USED_METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChatMember,
    GetMe,
    GetUpdates,
    SendDocument,
    SendMessage,
    SetMyCommands,
    SetWebhook,
)

#: the strong references: one per result type, for the life of the process
_kept: dict[Any, type[Response[Any]]] = {}


def keep_response_types(
    methods: tuple[type[TelegramMethod[Any]], ...] = USED_METHODS,
) -> list[type[Response[Any]]]:
    """Build (once) and hold ``Response[T]`` for the result type of each of ``methods``, as
    aiogram's session builds it; returns them in the order of ``methods``."""
    kept = []
    for method in methods:
        returning = method.__returning__
        cls = _kept.get(returning)
        if cls is None:
            cls = _kept[returning] = Response[returning]  # type: ignore[valid-type]
        kept.append(cls)
    return kept
