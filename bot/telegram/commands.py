"""The command menus Telegram shows: for private chats and groups in every locale, and for each
bot admin in their own language (set at start-up for the admins known, and again when an admin
presses Start, since Telegram allows a per-chat menu only for a user who started the bot)."""

from __future__ import annotations

import contextlib

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)

from bot.i18n import Translations, Translator
from content import LOCALES


class CommandMenus:
    def __init__(
        self,
        translations: Translations,
        *,
        private: tuple[str, ...],
        group: tuple[str, ...],
        admin: tuple[str, ...],
        admin_ids: frozenset[int],
    ) -> None:
        self._translations = translations
        self._private = private
        self._group = group
        self._admin = admin
        self._admin_ids = admin_ids

    @staticmethod
    def _commands(i18n: Translator, names: tuple[str, ...]) -> list[BotCommand]:
        return [BotCommand(command=n, description=i18n.t(f"commands.{n}")) for n in names]

    async def set_all(self, bot: Bot, languages: dict[int, str | None]) -> None:
        """Every locale's menus (default = no language), then each admin's, in the language
        the admin last used (``languages``: what the bot knows of them)."""
        for code in (*LOCALES, ""):
            i18n = self._translations.get(code or self._translations.default)
            await bot.set_my_commands(
                self._commands(i18n, self._private),
                scope=BotCommandScopeAllPrivateChats(),
                language_code=code or None,
            )
            await bot.set_my_commands(
                self._commands(i18n, self._group),
                scope=BotCommandScopeAllGroupChats(),
                language_code=code or None,
            )
        for admin_id in sorted(self._admin_ids):
            i18n = self._translations.for_language(languages.get(admin_id))
            await self.for_admin(bot, admin_id, i18n)

    async def for_admin(self, bot: Bot, user_id: int, i18n: Translator) -> None:
        """An admin's own menu in ``i18n``'s language (nothing for other users)."""
        if user_id not in self._admin_ids:
            return
        # possible only for admins who have started the bot; the others see them in /help
        with contextlib.suppress(TelegramAPIError):
            await bot.set_my_commands(
                self._commands(i18n, self._private + self._admin),
                scope=BotCommandScopeChat(chat_id=user_id),
            )
