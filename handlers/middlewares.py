"""Per-update middlewares: the reader's language, and tracking updates in flight."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, Update, User
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translations, Translator
from bot.inflight import InFlight
from bot.services.errors import DomainError
from bot.services.teams import TeamsService

GROUP_TYPES = ("group", "supergroup")


class UpdateContext(BaseMiddleware):
    """Puts the languages into handler data and counts updates in flight so that shutdown can
    wait for them (no update is cut off half-way).

    ``chat_i18n`` is the language of the chat: a team's group speaks the team's language to
    everyone in it. ``i18n`` is the language to answer in: the chat's for a message in a team's
    group (its answer is read by the whole group), the user's own otherwise (private chats, and
    a button's answer, which only the presser sees)."""

    def __init__(self, translations: Translations) -> None:
        self._translations = translations
        self._in_flight = InFlight()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        own = self._translations.for_language(user.language_code if user else None)
        data["i18n"] = data["chat_i18n"] = own
        chat: Chat | None = data.get("event_chat")
        teams: TeamsService | None = data.get("teams")
        if chat is not None and chat.type in GROUP_TYPES and teams is not None:
            team = await teams.by_chat(chat.id)
            if team is not None:
                data["chat_i18n"] = self._translations.get(team.locale)
                if isinstance(event, Update) and event.message is not None:
                    data["i18n"] = data["chat_i18n"]
        with self._in_flight.track():
            return await handler(event, data)

    async def drain(self, timeout: float) -> bool:
        """Wait until no update is being handled; False if ``timeout`` passed first."""
        return await self._in_flight.wait_idle(timeout)


class AnswerCallbacks(BaseMiddleware):
    """Every button press is answered exactly once (no button spins forever).

    Handlers set ``callback_answer.text`` / ``show_alert``; a domain refusal (from a handler
    or a filter: this is an outer middleware) becomes an alert with its message; an unexpected
    error gets an apology here and then reaches the error router, which logs it.

    A press is authorised against the message it came from first: a modified client can send
    any data from any message, so data that is not one of that message's buttons (as Telegram
    shows them now) is refused before any handler sees it.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, CallbackQuery)
        answer = CallbackAnswer(answered=False)
        data["callback_answer"] = answer
        i18n: Translator = data["i18n"]
        try:
            if not is_button_of_its_message(event):
                raise DomainError("errors.stale_button")
            return await handler(event, data)
        except DomainError as refusal:
            answer.text = i18n.t(refusal.key, **refusal.values)
            answer.show_alert = True
            return None
        except TelegramBadRequest as exc:
            quiet = quiet_edit_refusal(exc)
            if quiet is None:
                answer.text = i18n.t("errors.generic")
                answer.show_alert = True
                raise
            if quiet:  # the message can no longer be edited: say so; "not modified": nothing
                answer.text = i18n.t(quiet)
            return None
        except Exception:
            answer.text = i18n.t("errors.generic")
            answer.show_alert = True
            raise
        finally:
            if not answer.disabled and not answer.answered:
                await event.answer(
                    text=answer.text[:200] if answer.text else None,
                    show_alert=answer.show_alert,
                    url=answer.url,
                )


def is_button_of_its_message(query: CallbackQuery) -> bool:
    """The pressed data is a button of the message it came with (Telegram sends the message
    with its current keyboard; a message too old to see arrives without one)."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return False
    return any(
        button.callback_data == query.data
        for row in message.reply_markup.inline_keyboard
        for button in row
    )


#: Telegram's refusals of an edit that a press can cause without anything being wrong
_NOT_MODIFIED = "message is not modified"
_TOO_OLD = ("message can't be edited", "message to edit not found")


def quiet_edit_refusal(exc: TelegramBadRequest) -> str | None:
    """For an edit refused because nothing changed (a double tap) "", because the message is
    too old or gone the text key to answer with; None for any other refusal."""
    text = exc.message.lower()
    if _NOT_MODIFIED in text:
        return ""
    if any(reason in text for reason in _TOO_OLD):
        return "errors.stale_button"
    return None
