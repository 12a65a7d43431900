"""The one error router: domain refusals become a polite message, surprises are logged once
with the update id and answered with an apology; never a stack trace to the user."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import ErrorEvent, Update, User

from bot.i18n import Translations, Translator
from bot.services.errors import DomainError
from bot.services.users import UsersService

log = logging.getLogger("bot.errors")


def _origin(update: Update) -> tuple[User | None, int | None, bool]:
    """(who, the chat to answer in, whether a button's press was the cause)."""
    if update.message is not None:
        return update.message.from_user, update.message.chat.id, False
    if update.callback_query is not None:
        message = update.callback_query.message
        return update.callback_query.from_user, message.chat.id if message else None, True
    return None, None, False


async def _tell(bot: Bot, update: Update, chat_id: int, text: str) -> None:
    # in a group the refusal answers the person who caused it
    reply_to = update.message.message_id if update.message and chat_id < 0 else None
    try:
        await bot.send_message(
            chat_id, text, reply_to_message_id=reply_to, allow_sending_without_reply=True
        )
    except Exception as reply_error:
        log.warning("update %s: could not tell the user: %s", update.update_id, reply_error)


async def on_error(
    event: ErrorEvent,
    bot: Bot,
    translations: Translations,
    users: UsersService,
    i18n: Translator | None = None,
) -> None:
    update, exc = event.update, event.exception
    user, chat_id, pressed = _origin(update)
    if i18n is None:  # failed before the update's context was set
        i18n = translations.for_language(user.language_code if user else None)
    if isinstance(exc, DomainError):
        text = i18n.t(exc.key, **exc.values)
    elif isinstance(exc, TelegramForbiddenError) and chat_id is not None and chat_id > 0:
        log.info("update %s: user %s blocked the bot", update.update_id, chat_id)
        await users.blocked(chat_id)
        return
    else:
        log.error(
            "update %s failed: %s: %s", update.update_id, type(exc).__name__, exc, exc_info=exc
        )
        text = i18n.t("errors.generic")
    if pressed or chat_id is None:
        return  # AnswerCallbacks has already answered the press with the apology
    await _tell(bot, update, chat_id, text)


def setup() -> Router:
    router = Router(name="errors")
    router.error.register(on_error)
    return router
