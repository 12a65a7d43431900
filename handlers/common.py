"""/start, /help, /cancel, and what the bot learns about users reaching it in private."""

from __future__ import annotations

import re
from html import escape

from aiogram import Bot, Router
from aiogram.filters import (
    KICKED,
    MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandStart,
)
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translator
from bot.services.users import Person, UsersService
from bot.settings import Settings
from handlers.filters import GroupChat, PrivateChat
from handlers.keyboards import open_private
from handlers.teams import PendingKudos


def person_of(message: Message) -> Person:
    user = message.from_user
    assert user is not None
    return Person(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


def setup() -> Router:
    router = Router(name="common")

    @router.message(CommandStart(), PrivateChat())
    async def start_private(
        message: Message, i18n: Translator, users: UsersService, notifier: PendingKudos
    ) -> None:
        await users.started(person_of(message))
        name = escape(message.from_user.first_name if message.from_user else "")
        await message.answer(i18n.t("start.private", name=name))
        await notifier.deliver_pending(message.chat.id, i18n)

    @router.message(CommandStart(), GroupChat())
    async def start_group(message: Message, bot: Bot, i18n: Translator) -> None:
        me = await bot.me()
        await message.answer(
            i18n.t("start.group"), reply_markup=open_private(me.username or "", i18n)
        )

    @router.message(Command("help"), PrivateChat())
    async def help_private(message: Message, i18n: Translator, settings: Settings) -> None:
        text = i18n.t("help.private")
        if message.from_user and message.from_user.id in settings.admin_ids:
            text += "\n" + i18n.t("help.admin")
        await message.answer(text)

    @router.message(Command("help"), GroupChat())
    async def help_group(message: Message, bot: Bot, i18n: Translator) -> None:
        me = await bot.me()
        await message.answer(
            i18n.t("help.group"), reply_markup=open_private(me.username or "", i18n)
        )

    @router.message(Command("cancel"))
    async def cancel(message: Message, state: FSMContext, i18n: Translator) -> None:
        if await state.get_state() is None:
            await message.answer(i18n.t("cancel.nothing"))
            return
        await state.clear()
        await message.answer(i18n.t("cancel.done"))

    @router.my_chat_member(ChatMemberUpdatedFilter(MEMBER >> KICKED), PrivateChat())
    async def blocked(event: ChatMemberUpdated, users: UsersService) -> None:
        await users.blocked(event.from_user.id)

    return router


def setup_fallback() -> Router:
    """Last in the tree: unknown commands and stray text in private get a hint."""
    router = Router(name="fallback")

    @router.message(PrivateChat(), Command(re.compile(r".+")))
    async def unknown_command(message: Message, i18n: Translator) -> None:
        await message.answer(i18n.t("common.unknown_command"))

    @router.message(PrivateChat())
    async def stray_text(message: Message, i18n: Translator) -> None:
        await message.answer(i18n.t("common.text_hint"))

    @router.callback_query()
    async def unknown_button(
        _query: CallbackQuery, i18n: Translator, callback_answer: CallbackAnswer
    ) -> None:
        callback_answer.text = i18n.t("errors.bad_button")
        callback_answer.show_alert = True

    return router
