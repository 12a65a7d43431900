"""What the teams routers share: the person behind an update, a question asked in private,
the group greeting, the texts of the portrait and settings panels."""

from __future__ import annotations

from html import escape
from typing import Protocol

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import InlineKeyboardMarkup, User
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translator
from bot.services.teams import Team
from bot.services.users import Person, UsersService
from handlers.keyboards import join_team


class PendingKudos(Protocol):
    async def deliver_pending(self, user_id: int, i18n: Translator) -> None: ...


def person(user: User) -> Person:
    return Person(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


def private_key(bot: Bot, user_id: int) -> StorageKey:
    return StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id)


async def greet_group(bot: Bot, team: Team, i18n: Translator) -> None:
    me = await bot.me()
    await bot.send_message(
        team.chat_id,
        i18n.t("teams.greeting", title=escape(team.title)),
        reply_markup=join_team(team.id, me.username or "", team.join_code, i18n),
    )


async def ask_in_private(
    bot: Bot,
    users: UsersService,
    user_id: int,
    question: str,
    answer: CallbackAnswer,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Ask a question in the user's private chat (typed answers work only there). A user who
    never started the bot is sent to it instead: the callback answer opens the chat."""
    row = await users.get(user_id)
    if row is not None and row.reachable:
        try:
            await bot.send_message(user_id, question, reply_markup=reply_markup)
        except TelegramForbiddenError:
            await users.blocked(user_id)
        else:
            return True
    me = await bot.me()
    answer.url = f"https://t.me/{me.username}?start=ask"
    return False


async def start_private_flow(
    bot: Bot, state: FSMContext, user_id: int, flow_state: State, team: Team
) -> None:
    """Put the user's private chat into a flow about ``team`` (pressed from a group)."""
    flow = FSMContext(storage=state.storage, key=private_key(bot, user_id))
    await flow.set_state(flow_state)
    await flow.set_data({"team_id": team.id})


def portrait_text(team: Team, i18n: Translator) -> str:
    return i18n.t("portrait.title", title=escape(team.title))


def settings_text(team: Team, i18n: Translator) -> str:
    def state(flag: bool) -> str:
        return i18n.t("settings.yes") if flag else i18n.t("settings.no")

    return i18n.t(
        "settings.title",
        title=escape(team.title),
        timezone=escape(team.timezone),
        budget=team.kudos_budget,
        announce=state(team.announce),
        birthdays=state(team.birthdays),
        digest=state(team.digest),
    )
