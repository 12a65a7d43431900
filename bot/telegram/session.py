"""The Bot object and its session: custom API server, HTML by default, the paced sender."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.settings import Settings
from bot.telegram.sender import PacedSender

log = logging.getLogger(__name__)


def build_bot(settings: Settings, sender: PacedSender, **session_kwargs: Any) -> Bot:
    """The bot, whose every request passes ``sender`` (pacing and 429s)."""
    if settings.telegram_api_url:
        session = AiohttpSession(
            api=TelegramAPIServer.from_base(settings.telegram_api_url), **session_kwargs
        )
    else:
        session = AiohttpSession(**session_kwargs)
    session.middleware(sender)
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
