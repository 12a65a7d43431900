"""The leads' /settings panel: time zone (asked in private), the daily kudos budget and the
team's switches."""

from __future__ import annotations

from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translator
from bot.services.errors import DomainError
from bot.services.teams import Team, TeamsService
from bot.services.users import UsersService
from bot.telegram.leads import LeadChecker
from handlers.callbacks import SettingsAction, TeamSettings
from handlers.filters import ButtonTeam, IsLead, PrivateChat, TeamHere, TextInput
from handlers.keyboards import team_settings
from handlers.states import SetTimezone
from handlers.teams.shared import Question, ask_in_private, settings_text

FLAGS = {
    SettingsAction.ANNOUNCE: "announce",
    SettingsAction.BIRTHDAYS: "birthdays",
    SettingsAction.DIGEST: "digest",
}


async def settings_command(message: Message, team: Team, i18n: Translator) -> None:
    await message.answer(settings_text(team, i18n), reply_markup=team_settings(team, i18n))


async def _changed(team: Team, action: SettingsAction, teams: TeamsService) -> Team:
    if action is SettingsAction.BUDGET_UP:
        return await teams.set_budget(team, team.kudos_budget + 1)
    if action is SettingsAction.BUDGET_DOWN:
        return await teams.set_budget(team, team.kudos_budget - 1)
    flag = FLAGS[action]
    return await teams.set_flag(team, flag, not getattr(team, flag))


async def settings_press(
    query: CallbackQuery,
    callback_data: TeamSettings,
    bot: Bot,
    team: Team,
    state: FSMContext,
    teams: TeamsService,
    users: UsersService,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    if callback_data.action is SettingsAction.TIMEZONE:
        question = Question(query.from_user.id, team, "settings.ask_timezone", SetTimezone.name)
        await ask_in_private(bot, users, state, question, callback_answer, i18n)
        return
    if callback_data.action is SettingsAction.BUDGET_SHOW:
        callback_answer.text = i18n.t("settings.budget", n=team.kudos_budget)
        return
    team = await _changed(team, callback_data.action, teams)
    callback_answer.text = i18n.t("settings.saved")
    assert query.message is not None
    await bot.edit_message_text(
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        text=settings_text(team, i18n),
        reply_markup=team_settings(team, i18n),
    )


async def timezone_entered(
    message: Message,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    leads: LeadChecker,
    i18n: Translator,
) -> None:
    data = await state.get_data()
    team = await teams.by_id(int(data["team_id"]))
    assert message.from_user is not None
    if not await leads.is_lead(bot, team, message.from_user.id):
        await state.clear()
        raise DomainError("teams.not_lead")
    try:
        team = await teams.set_timezone(team, message.text or "")
    except DomainError as refusal:
        await message.answer(
            i18n.t(refusal.key, **{k: escape(str(v)) for k, v in refusal.values.items()})
        )
        return
    await state.clear()
    await message.answer(settings_text(team, i18n), reply_markup=team_settings(team, i18n))


def setup() -> Router:
    router = Router(name="teams.settings")
    router.message.register(settings_command, Command("settings"), TeamHere(), IsLead())
    router.callback_query.register(settings_press, TeamSettings.filter(), ButtonTeam(), IsLead())
    router.message.register(
        timezone_entered, StateFilter(SetTimezone.name), PrivateChat(), TextInput()
    )
    return router
