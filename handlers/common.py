"""/start, /help, /cancel, private commands sent in a group, and what the bot learns about
users reaching it in private; the fallback router for everything else."""

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
from bot.services.users import UsersService
from bot.settings import Settings
from bot.telegram.commands import CommandMenus
from handlers.filters import GroupChat, PrivateChat
from handlers.keyboards import open_private
from handlers.teams.shared import PendingKudos, person

#: commands that work in private only; in a group the bot offers the private chat
PRIVATE_COMMANDS = ("mykudos", "birthday", "export", "forget_me")


async def start_private(
    message: Message,
    bot: Bot,
    i18n: Translator,
    users: UsersService,
    notifier: PendingKudos,
    menus: CommandMenus,
) -> None:
    assert message.from_user is not None
    await users.started(person(message.from_user))
    await menus.for_admin(bot, message.from_user.id, i18n)  # an admin's menu, in their language
    await message.answer(i18n.t("start.private", name=escape(message.from_user.first_name)))
    await notifier.deliver_pending(message.chat.id, i18n)


async def start_group(message: Message, bot: Bot, i18n: Translator) -> None:
    me = await bot.me()
    await message.answer(i18n.t("start.group"), reply_markup=open_private(me.username or "", i18n))


async def help_private(message: Message, i18n: Translator, settings: Settings) -> None:
    text = i18n.t("help.private")
    if message.from_user and message.from_user.id in settings.admin_ids:
        text += "\n" + i18n.t("help.admin")
    await message.answer(text)


async def help_group(message: Message, bot: Bot, i18n: Translator) -> None:
    me = await bot.me()
    await message.answer(i18n.t("help.group"), reply_markup=open_private(me.username or "", i18n))


async def private_only(message: Message, bot: Bot, i18n: Translator) -> None:
    me = await bot.me()
    await message.reply(
        i18n.t("common.private_only"), reply_markup=open_private(me.username or "", i18n)
    )


async def cancel(message: Message, state: FSMContext, i18n: Translator) -> None:
    if await state.get_state() is None:
        await message.answer(i18n.t("cancel.nothing"))
        return
    await state.clear()
    await message.answer(i18n.t("cancel.done"))


async def blocked(event: ChatMemberUpdated, users: UsersService) -> None:
    await users.blocked(event.from_user.id)


def setup() -> Router:
    router = Router(name="common")
    router.message.register(start_private, CommandStart(), PrivateChat())
    router.message.register(start_group, CommandStart(), GroupChat())
    router.message.register(help_private, Command("help"), PrivateChat())
    router.message.register(help_group, Command("help"), GroupChat())
    router.message.register(private_only, Command(*PRIVATE_COMMANDS), GroupChat())
    router.message.register(cancel, Command("cancel"))
    router.my_chat_member.register(
        blocked, ChatMemberUpdatedFilter(MEMBER >> KICKED), PrivateChat()
    )
    return router


async def unknown_command(message: Message, i18n: Translator) -> None:
    await message.answer(i18n.t("common.unknown_command"))


async def stray_text(message: Message, i18n: Translator) -> None:
    await message.answer(i18n.t("common.text_hint"))


async def unknown_button(
    _query: CallbackQuery, i18n: Translator, callback_answer: CallbackAnswer
) -> None:
    callback_answer.text = i18n.t("errors.bad_button")
    callback_answer.show_alert = True


def setup_fallback() -> Router:
    """Last in the tree: unknown commands and stray text in private get a hint."""
    router = Router(name="fallback")
    router.message.register(unknown_command, PrivateChat(), Command(re.compile(r".+")))
    router.message.register(stray_text, PrivateChat())
    router.callback_query.register(unknown_button)
    return router
