"""The Bot object and its session: custom API server, HTML by default, 429s waited out."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.settings import Settings

log = logging.getLogger(__name__)


class RetryAfter(BaseRequestMiddleware):
    """Honour Telegram's flood control: wait ``retry_after`` and send the same request again.

    A request is retried at most ``attempts`` times and never waits longer than ``max_wait``
    seconds in one go; past that the 429 reaches the caller.
    """

    def __init__(self, attempts: int = 5, max_wait: float = 120.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self.waited = 0

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_wait:
                    raise
                self.waited += 1
                log.warning(
                    "flood control on %s: waiting %s s (attempt %d)",
                    method.__api_method__,
                    exc.retry_after,
                    attempt + 1,
                )
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")  # pragma: no cover


def build_bot(settings: Settings, **session_kwargs: Any) -> Bot:
    if settings.telegram_api_url:
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(settings.telegram_api_url), **session_kwargs
        )
    else:
        session = AiohttpSession(**session_kwargs)
    session.middleware(RetryAfter())
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
