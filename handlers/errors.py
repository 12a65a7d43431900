"""The one error router: domain refusals become a polite message, surprises are logged once
with the update id and answered with an apology; never a stack trace to the user."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import ErrorEvent

from bot.i18n import Translations
from bot.services.errors import DomainError
from bot.services.users import UsersService

log = logging.getLogger("bot.errors")


def setup() -> Router:
    router = Router(name="errors")

    @router.error()
    async def on_error(
        event: ErrorEvent, bot: Bot, translations: Translations, users: UsersService
    ) -> None:
        update = event.update
        exc = event.exception
        user = None
        chat_id: int | None = None
        query_id: str | None = None
        if update.message is not None:
            user, chat_id = update.message.from_user, update.message.chat.id
        elif update.callback_query is not None:
            user, query_id = update.callback_query.from_user, update.callback_query.id
            if update.callback_query.message is not None:
                chat_id = update.callback_query.message.chat.id
        i18n = translations.for_language(user.language_code if user else None)

        if isinstance(exc, DomainError):
            text = i18n.t(exc.key, **exc.values)
        elif isinstance(exc, TelegramForbiddenError) and chat_id is not None and chat_id > 0:
            log.info("update %s: user %s blocked the bot", update.update_id, chat_id)
            await users.blocked(chat_id)
            return
        else:
            log.error(
                "update %s failed: %s: %s",
                update.update_id,
                type(exc).__name__,
                exc,
                exc_info=exc,
            )
            text = i18n.t("errors.generic")

        if query_id is not None:
            return  # AnswerCallbacks has already answered the press with the apology
        # in a group the refusal answers the person who caused it
        reply_to = update.message.message_id if update.message and chat_id and chat_id < 0 else None
        try:
            if chat_id is not None:
                await bot.send_message(
                    chat_id, text, reply_to_message_id=reply_to, allow_sending_without_reply=True
                )
        except Exception as reply_error:
            log.warning("update %s: could not tell the user: %s", update.update_id, reply_error)

    return router
