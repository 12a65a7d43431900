"""A lead's review settings for the team: the default day and time of the reminder and the
weeks without reminders (holidays), reached from the team's /settings panel. Every press
and the typed time are checked again against the lead's rights."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from markupsafe import escape

from bot.i18n import Translator
from bot.services.errors import DomainError, NotFound
from bot.services.reviews import ReviewsService, hhmm, zone
from bot.services.schedule import iso_week, parse_hhmm, week_start
from bot.services.teams import Team, TeamsService
from bot.telegram.leads import LeadChecker
from handlers.filters import ButtonTeam, IsLead, PrivateChat, TextInput
from handlers.reviews.callbacks import TeamAct, TeamReviews
from handlers.reviews.render import week_label
from handlers.reviews.states import TeamReviewTime

#: weeks offered as holidays: this one and the next few
HOLIDAY_WEEKS = 4


def _weeks(team: Team, reviews: ReviewsService) -> list[str]:
    tz = zone(team.timezone)
    start = week_start(iso_week(reviews.clock.now(), tz), tz)
    return [iso_week(start + timedelta(days=7 * i + 3), tz) for i in range(HOLIDAY_WEEKS)]


async def _panel(
    team: Team, reviews: ReviewsService, i18n: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    weekday, at = await reviews.team_defaults(team)
    holidays = await reviews.holidays(team)
    upcoming = _weeks(team, reviews)
    listed = sorted(w for w in holidays if w >= upcoming[0])
    text = i18n.t(
        "review.team_title",
        title=escape(team.title),
        day=i18n.t("review.weekdays_full").split(",")[weekday],
        time=at,
        holidays=", ".join(week_label(w) for w in listed) or i18n.t("review.team_no_holidays"),
    )
    kb = InlineKeyboardBuilder()
    for day, name in enumerate(i18n.t("review.weekdays").split(",")):
        kb.button(
            text=f"·{name}·" if day == weekday else name,
            callback_data=TeamReviews(team_id=team.id, act=TeamAct.DAY, value=day),
        )
    kb.button(
        text=i18n.t("review.team_time"),
        callback_data=TeamReviews(team_id=team.id, act=TeamAct.TIME),
    )
    for offset, week in enumerate(upcoming):
        key = "review.team_holiday_off" if week in holidays else "review.team_holiday_on"
        kb.button(
            text=i18n.t(key, week=week_label(week)),
            callback_data=TeamReviews(team_id=team.id, act=TeamAct.HOLIDAY, value=offset),
        )
    kb.adjust(7, 1)
    return text, kb.as_markup()


async def team_press(
    query: CallbackQuery,
    callback_data: TeamReviews,
    bot: Bot,
    team: Team,
    state: FSMContext,
    reviews: ReviewsService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    act, value = callback_data.act, callback_data.value
    if act is TeamAct.OPEN:
        text, markup = await _panel(team, reviews, i18n)
        await bot.send_message(query.message.chat.id, text, reply_markup=markup)
        return
    if act is TeamAct.TIME:
        if query.message.chat.type != "private":
            raise DomainError("review.team_time_private")
        await state.set_state(TeamReviewTime.time)
        await state.update_data(team=team.id)
        await bot.send_message(query.message.chat.id, i18n.t("review.team_ask_time"))
        return
    if act is TeamAct.DAY:
        if not 0 <= value <= 6:
            raise NotFound()
        _, at = await reviews.team_defaults(team)
        await reviews.set_team_defaults(team, value, hhmm(at))
    else:
        weeks = _weeks(team, reviews)
        if not 0 <= value < len(weeks):
            raise NotFound()
        week = weeks[value]
        await reviews.set_holiday(team, week, week not in await reviews.holidays(team))
    text, markup = await _panel(team, reviews, i18n)
    await bot.edit_message_text(
        text,
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        reply_markup=markup,
    )


async def time_typed(
    message: Message,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    leads: LeadChecker,
    reviews: ReviewsService,
    i18n: Translator,
) -> None:
    assert message.from_user is not None
    assert message.text is not None
    team_id = (await state.get_data()).get("team")
    if not isinstance(team_id, int):
        await state.clear()
        raise NotFound()
    team = await teams.by_id(team_id)
    if not await leads.is_lead(bot, team, message.from_user.id):
        await state.clear()
        raise DomainError("teams.not_lead")
    at = parse_hhmm(message.text)
    if at is None:
        await message.answer(i18n.t("review.bad_time", value=escape(message.text[:60])))
        return
    weekday, _ = await reviews.team_defaults(team)
    await reviews.set_team_defaults(team, weekday, at)
    await state.clear()
    text, markup = await _panel(team, reviews, i18n)
    await message.answer(text, reply_markup=markup)


def setup() -> Router:
    router = Router(name="reviews.team")
    router.callback_query.register(team_press, TeamReviews.filter(), ButtonTeam(), IsLead())
    router.message.register(
        time_typed, StateFilter(TeamReviewTime.time), PrivateChat(), TextInput()
    )
    return router
