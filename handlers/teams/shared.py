"""What the teams routers share: the person behind an update, a question asked in private,
the group greeting, the texts of the portrait and settings panels."""

from __future__ import annotations

from dataclasses import dataclass
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
from bot.services.teams import Team, TeamsService
from bot.services.users import Person, UsersService
from handlers.keyboards import join_team, timezone_choices


@dataclass(frozen=True, slots=True)
class Question:
    """A question a lead's button asks in private: its text key and the flow that takes the
    typed answer."""

    user_id: int
    team: Team
    key: str
    state: State


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


async def greet_group(bot: Bot, team: Team, i18n: Translator, extra: str = "") -> None:
    text = i18n.t("teams.greeting", title=escape(team.title))
    await bot.send_message(
        team.chat_id,
        text + ("\n\n" + extra if extra else ""),
        reply_markup=join_team(team.id, i18n),
    )


#: the deep link that opens the private chat with a question waiting in it
ASK_PAYLOAD = "ask"
#: the question whose answer may also be pressed (the zones of Russia and its neighbours)
TIMEZONE_QUESTION = "settings.ask_timezone"


def question_buttons(
    key: str, teams: TeamsService, i18n: Translator
) -> InlineKeyboardMarkup | None:
    """The buttons a question offers beside a typed answer: the same whether it is asked at
    once or after the Start its deep link leads to."""
    if key == TIMEZONE_QUESTION:
        return timezone_choices(teams.timezone_offers(i18n.code), i18n)
    return None


async def ask_in_private(
    bot: Bot,
    users: UsersService,
    teams: TeamsService,
    state: FSMContext,
    question: Question,
    answer: CallbackAnswer,
    i18n: Translator,
) -> None:
    """Ask a question in the user's private chat (typed answers work only there), its flow
    set there first. A user who never started the bot is sent to it instead (the callback
    answer opens the chat); its Start asks the question waiting (``ask_waiting``)."""
    flow = FSMContext(storage=state.storage, key=private_key(bot, question.user_id))
    await flow.set_state(question.state)
    await flow.set_data({"team_id": question.team.id, "question": question.key})
    row = await users.get(question.user_id)
    if row is not None and row.reachable:
        try:
            await bot.send_message(
                question.user_id,
                i18n.t(question.key),
                reply_markup=question_buttons(question.key, teams, i18n),
            )
        except TelegramForbiddenError:
            await users.blocked(question.user_id)
        else:
            return
    me = await bot.me()
    answer.url = f"https://t.me/{me.username}?start={ASK_PAYLOAD}"


async def ask_waiting(
    state: FSMContext, teams: TeamsService, i18n: Translator
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The question a flow set by ``ask_in_private`` waits to ask, if any: its text and its
    buttons, as it is asked at once."""
    if await state.get_state() is None:
        return None
    key = (await state.get_data()).get("question")
    if not key:
        return None
    return i18n.t(str(key)), question_buttons(str(key), teams, i18n)


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
