"""The leads' /settings panel: time zone (asked in private), the daily kudos budget and the
team's switches.

The time-zone question offers the zones of Russia and its neighbours as buttons and takes a
typed city or IANA name as well; either way the lead is checked again and the flow ends."""

from __future__ import annotations

from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translator
from bot.services.errors import DomainError
from bot.services.teams import Team, TeamsService
from bot.services.users import UsersService
from bot.telegram.leads import LeadChecker
from handlers.callbacks import SettingsAction, TeamSettings, TimezoneChoice
from handlers.filters import ButtonTeam, IsLead, PrivateChat, TeamHere, TextInput
from handlers.keyboards import team_settings, timezone_choices
from handlers.states import SetTimezone
from handlers.teams.shared import TIMEZONE_QUESTION, Question, ask_in_private, settings_text

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


def _zones(teams: TeamsService, i18n: Translator) -> InlineKeyboardMarkup:
    return timezone_choices(teams.timezone_offers(i18n.code), i18n)


async def settings_press(
    query: CallbackQuery,
    callback_data: TeamSettings,
    bot: Bot,
    team: Team,
    state: FSMContext,
    teams: TeamsService,
    users: UsersService,
    i18n: Translator,
    chat_i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    """The presser is answered in their language; the panel speaks the chat's."""
    if callback_data.action is SettingsAction.TIMEZONE:
        question = Question(query.from_user.id, team, TIMEZONE_QUESTION, SetTimezone.name)
        await ask_in_private(bot, users, teams, state, question, callback_answer, i18n)
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
        text=settings_text(team, chat_i18n),
        reply_markup=team_settings(team, chat_i18n),
    )


async def _set_zone(
    bot: Bot, user_id: int, name: str, state: FSMContext, teams: TeamsService, leads: LeadChecker
) -> Team:
    """The flow's team with the zone set, the lead checked again; the flow ends unless the
    name is unknown (raises ``settings.bad_timezone``: the question stays open)."""
    data = await state.get_data()
    team = await teams.by_id(int(data["team_id"]))
    if not await leads.is_lead(bot, team, user_id):
        await state.clear()
        raise DomainError("teams.not_lead")
    team = await teams.set_timezone(team, name)
    await state.clear()
    return team


async def timezone_entered(
    message: Message,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    leads: LeadChecker,
    i18n: Translator,
) -> None:
    assert message.from_user is not None
    try:
        team = await _set_zone(bot, message.from_user.id, message.text or "", state, teams, leads)
    except DomainError as refusal:
        if refusal.key != "settings.bad_timezone":
            raise
        await message.answer(
            i18n.t(refusal.key, **{k: escape(str(v)) for k, v in refusal.values.items()}),
            reply_markup=_zones(teams, i18n),
        )
        return
    await message.answer(settings_text(team, i18n), reply_markup=team_settings(team, i18n))


async def timezone_pressed(
    query: CallbackQuery,
    callback_data: TimezoneChoice,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    leads: LeadChecker,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    team = await _set_zone(bot, query.from_user.id, callback_data.zone, state, teams, leads)
    callback_answer.text = i18n.t("settings.saved")
    assert query.message is not None
    # the question becomes the panel: its zone buttons are gone, a second press is stale
    await bot.edit_message_text(
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        text=settings_text(team, i18n),
        reply_markup=team_settings(team, i18n),
    )


async def timezone_closed(
    _query: CallbackQuery, i18n: Translator, callback_answer: CallbackAnswer
) -> None:
    """A zone pressed after the question ended (/cancel, or answered by typing)."""
    callback_answer.text = i18n.t("errors.stale_button")


def setup() -> Router:
    router = Router(name="teams.settings")
    router.message.register(settings_command, Command("settings"), TeamHere(), IsLead())
    router.callback_query.register(settings_press, TeamSettings.filter(), ButtonTeam(), IsLead())
    router.message.register(
        timezone_entered, StateFilter(SetTimezone.name), PrivateChat(), TextInput()
    )
    router.callback_query.register(
        timezone_pressed, TimezoneChoice.filter(), StateFilter(SetTimezone.name), PrivateChat()
    )
    router.callback_query.register(timezone_closed, TimezoneChoice.filter())
    return router
