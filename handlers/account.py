"""A person's own account: /birthday (opt-in greetings) and /forget_me."""

from __future__ import annotations

import re
from datetime import date

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.fsm import DatabaseStorage
from bot.i18n import Translator
from bot.services.teams import TeamsService
from bot.services.users import UsersService
from handlers.callbacks import ForgetMe
from handlers.filters import PrivateChat
from handlers.keyboards import forget_me

BIRTHDAY_ARG = re.compile(r"^(\d{1,2})\.(\d{1,2})$")
OFF_WORDS = ("off", "выкл", "нет")


def _birthday(arg: str) -> date | None:
    match = BIRTHDAY_ARG.match(arg)
    if not match:
        return None
    try:
        return date(2000, int(match.group(2)), int(match.group(1)))  # a leap year
    except ValueError:
        return None


async def birthday(
    message: Message, command: CommandObject, teams: TeamsService, i18n: Translator
) -> None:
    arg = (command.args or "").strip().casefold()
    if arg in OFF_WORDS:
        await teams.set_birthday(message.chat.id, None)
        await message.answer(i18n.t("kudos.birthday_off"))
        return
    day = _birthday(arg)
    if day is None:
        await message.answer(i18n.t("kudos.birthday_how"))
        return
    await teams.set_birthday(message.chat.id, day.strftime("%m-%d"))
    await message.answer(i18n.t("kudos.birthday_set", date=day.strftime("%d.%m")))


async def forget(message: Message, i18n: Translator) -> None:
    await message.answer(i18n.t("kudos.forget_confirm"), reply_markup=forget_me(i18n))


async def forget_answer(
    query: CallbackQuery,
    callback_data: ForgetMe,
    bot: Bot,
    state: FSMContext,
    users: UsersService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    if callback_data.confirm:
        await users.forget(query.from_user.id)
        if isinstance(state.storage, DatabaseStorage):  # drafts in groups too, in memory
            state.storage.forget_user(query.from_user.id)
        text = i18n.t("kudos.forgotten")
    else:
        text = i18n.t("kudos.kept")
    await bot.edit_message_text(
        chat_id=query.message.chat.id, message_id=query.message.message_id, text=text
    )


def setup() -> Router:
    router = Router(name="account")
    router.message.register(birthday, Command("birthday"), PrivateChat())
    router.message.register(forget, Command("forget_me"), PrivateChat())
    router.callback_query.register(forget_answer, ForgetMe.filter())
    return router
