"""Per-update middlewares: the reader's language, and tracking updates in flight."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject, User
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translations, Translator
from bot.inflight import InFlight
from bot.services.errors import DomainError


class UpdateContext(BaseMiddleware):
    """Puts ``i18n`` (the user's Translator) into handler data; counts updates in flight so
    that shutdown can wait for them (no update is cut off half-way)."""

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
        data["i18n"] = self._translations.for_language(user.language_code if user else None)
        with self._in_flight.track():
            return await handler(event, data)

    async def drain(self, timeout: float) -> bool:
        """Wait until no update is being handled; False if ``timeout`` passed first."""
        return await self._in_flight.wait_idle(timeout)


class AnswerCallbacks(BaseMiddleware):
    """Every button press is answered exactly once (no button spins forever).

    Handlers set ``callback_answer.text`` / ``show_alert``; a domain refusal becomes an alert
    with its message; an unexpected error gets an apology here and then reaches the error
    router, which logs it.
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
            return await handler(event, data)
        except DomainError as refusal:
            answer.text = i18n.t(refusal.key, **refusal.values)
            answer.show_alert = True
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
