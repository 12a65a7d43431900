"""/settings in private for a member: their own review schedule (day, time, zone, quiet
hours, pause, skip this week) with buttons; what is typed is checked and a bad value is
answered with what is accepted. A lead's /settings shows the team's panel (handlers.teams);
their own schedule is one button away there."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject
from aiogram.utils.keyboard import InlineKeyboardBuilder
from markupsafe import escape

from bot.i18n import Translator
from bot.services.errors import DomainError, NotFound
from bot.services.reviews import ReviewsService, zone
from bot.services.schedule import iso_week, parse_day, parse_hhmm
from bot.services.teams import TeamsService
from bot.telegram.leads import LeadChecker
from handlers.filters import PrivateChat, TextInput
from handlers.reviews.callbacks import MySchedule, MyZone, Setting
from handlers.reviews.keyboards import zone_buttons
from handlers.reviews.states import ScheduleFlow
from storage.repo.reviews import ScheduleRow

ASKS = {
    Setting.TIME: (ScheduleFlow.time, "review.ask_time"),
    Setting.QUIET: (ScheduleFlow.quiet, "review.ask_quiet"),
    Setting.PAUSE: (ScheduleFlow.pause, "review.ask_pause"),
}


class NotLeadHere(Filter):
    """The sender does not lead their current team (a lead's /settings is the team's)."""

    async def __call__(
        self, event: TelegramObject, bot: Bot, teams: TeamsService, leads: LeadChecker, **_: Any
    ) -> bool:
        user = getattr(event, "from_user", None)
        if user is None:
            return False
        team = await teams.current_team(user.id)
        return team is None or not await leads.is_lead(bot, team, user.id)


def _quiet(row: ScheduleRow, i18n: Translator) -> str:
    if row.quiet_start == row.quiet_end:
        return i18n.t("review.no_quiet")
    return f"{row.quiet_start}–{row.quiet_end}"


def panel_text(row: ScheduleRow, reviews: ReviewsService, i18n: Translator) -> str:
    days = i18n.t("review.weekdays_full").split(",")
    tz = zone(row.zone)
    if row.paused_until:
        status = i18n.t(
            "review.status_paused", date=date.fromisoformat(row.paused_until).strftime("%d.%m.%Y")
        )
    elif row.skip_week == iso_week(reviews.clock.now(), tz):
        status = i18n.t("review.status_skipped")
    elif row.next_due_at is not None:
        status = i18n.t("review.status_next", at=f"{row.next_due_at.astimezone(tz):%d.%m %H:%M}")
    else:
        status = ""
    own = row.weekday is not None or row.at is not None
    return i18n.t(
        "review.settings_title",
        day=days[row.day],
        time=row.time,
        whose=i18n.t("review.whose_own" if own else "review.whose_team"),
        zone=escape(row.zone),
        quiet=_quiet(row, i18n),
        status=status,
    ).rstrip()


def panel_keyboard(
    row: ScheduleRow, reviews: ReviewsService, i18n: Translator
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for day, name in enumerate(i18n.t("review.weekdays").split(",")):
        label = f"·{name}·" if day == row.day else name
        kb.button(text=label, callback_data=MySchedule(act=Setting.DAY, day=day))
    for act, key in (
        (Setting.TIME, "review.set_time"),
        (Setting.ZONE, "review.set_zone"),
        (Setting.QUIET, "review.set_quiet"),
    ):
        kb.button(text=i18n.t(key), callback_data=MySchedule(act=act))
    if row.paused_until:
        kb.button(text=i18n.t("review.set_resume"), callback_data=MySchedule(act=Setting.RESUME))
    else:
        kb.button(text=i18n.t("review.set_pause"), callback_data=MySchedule(act=Setting.PAUSE))
    if row.skip_week == iso_week(reviews.clock.now(), zone(row.zone)):
        kb.button(text=i18n.t("review.set_unskip"), callback_data=MySchedule(act=Setting.UNSKIP))
    else:
        kb.button(text=i18n.t("review.set_skip"), callback_data=MySchedule(act=Setting.SKIP))
    sizes = [7, 3, 2]
    if row.weekday is not None or row.at is not None:
        kb.button(text=i18n.t("review.set_team"), callback_data=MySchedule(act=Setting.TEAM))
        sizes.append(1)
    kb.adjust(*sizes)
    return kb.as_markup()


async def _fresh(reviews: ReviewsService, user_id: int) -> ScheduleRow:
    """The schedule with its next reminder computed (a change makes it pending)."""
    await reviews.tick_user(user_id)
    row = await reviews.schedule(user_id)
    if row is None:
        raise DomainError("review.no_team")
    return row


async def show_panel(
    bot: Bot, chat_id: int, user_id: int, reviews: ReviewsService, i18n: Translator
) -> None:
    row = await _fresh(reviews, user_id)
    await bot.send_message(
        chat_id, panel_text(row, reviews, i18n), reply_markup=panel_keyboard(row, reviews, i18n)
    )


async def settings_command(
    message: Message, bot: Bot, state: FSMContext, reviews: ReviewsService, i18n: Translator
) -> None:
    assert message.from_user is not None
    await state.clear()
    await show_panel(bot, message.chat.id, message.from_user.id, reviews, i18n)


async def _change(reviews: ReviewsService, user_id: int, act: Setting, day: int) -> None:
    row = await reviews.schedule(user_id)
    if row is None:
        raise DomainError("review.no_team")
    week = iso_week(reviews.clock.now(), zone(row.zone))
    if act is Setting.DAY:
        if not 0 <= day <= 6:
            raise NotFound()
        await reviews.change(user_id, weekday=day)
    elif act is Setting.TEAM:
        await reviews.change(user_id, weekday=None, at=None)
    elif act is Setting.RESUME:
        await reviews.change(user_id, paused_until=None)
    elif act is Setting.SKIP:
        await reviews.change(user_id, skip_week=week)
    elif act is Setting.UNSKIP:
        await reviews.change(user_id, skip_week=None)


async def panel_press(
    query: CallbackQuery,
    callback_data: MySchedule,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    teams: TeamsService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    user_id, chat_id = query.from_user.id, query.message.chat.id
    act = callback_data.act
    if act in ASKS:
        flow, key = ASKS[act]
        await state.set_state(flow)
        await bot.send_message(chat_id, i18n.t(key))
        return
    if act is Setting.ZONE:
        await state.set_state(ScheduleFlow.zone)
        await bot.send_message(
            chat_id, i18n.t("review.ask_zone"), reply_markup=zone_buttons(teams, i18n)
        )
        return
    await _change(reviews, user_id, act, callback_data.day)
    row = await _fresh(reviews, user_id)
    await bot.edit_message_text(
        panel_text(row, reviews, i18n),
        chat_id=chat_id,
        message_id=query.message.message_id,
        reply_markup=panel_keyboard(row, reviews, i18n),
    )


async def zone_press(
    query: CallbackQuery,
    callback_data: MyZone,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    teams: TeamsService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    name = teams.resolve_zone(callback_data.zone)
    if name is None:
        raise NotFound()
    await reviews.change(query.from_user.id, timezone=name, zone_asked=1)
    await bot.edit_message_reply_markup(
        chat_id=query.message.chat.id, message_id=query.message.message_id
    )
    if await state.get_state() == ScheduleFlow.zone.state:
        await state.clear()
        await show_panel(bot, query.message.chat.id, query.from_user.id, reviews, i18n)
        return
    # the first review's question: the review being written goes on undisturbed
    await bot.send_message(query.message.chat.id, i18n.t("review.zone_saved", zone=escape(name)))


def parse_quiet(text: str, none_words: set[str]) -> tuple[time, time] | None:
    cleaned = text.strip().casefold()
    if cleaned in none_words:
        return time(0, 0), time(0, 0)
    parts = [p for p in cleaned.replace("–", "-").replace("—", "-").split("-") if p.strip()]
    if len(parts) != 2:
        return None
    start, end = parse_hhmm(parts[0].strip()), parse_hhmm(parts[1].strip())
    return (start, end) if start is not None and end is not None else None


async def typed(
    message: Message,
    bot: Bot,
    state: FSMContext,
    raw_state: str | None,
    reviews: ReviewsService,
    teams: TeamsService,
    i18n: Translator,
) -> None:
    assert message.from_user is not None
    assert message.text is not None
    user_id, text = message.from_user.id, message.text.strip()
    value = escape(text[:60])
    if raw_state == ScheduleFlow.time.state:
        at = parse_hhmm(text)
        if at is None:
            await message.answer(i18n.t("review.bad_time", value=value))
            return
        await reviews.change(user_id, at=at.strftime("%H:%M"))
    elif raw_state == ScheduleFlow.zone.state:
        name = teams.resolve_zone(text)
        if name is None:
            await message.answer(i18n.t("review.bad_zone", value=value))
            return
        await reviews.change(user_id, timezone=name, zone_asked=1)
    elif raw_state == ScheduleFlow.quiet.state:
        words = {w.strip() for w in i18n.t("review.none_words").split(",")}
        quiet = parse_quiet(text, words)
        if quiet is None:
            await message.answer(i18n.t("review.bad_quiet", value=value))
            return
        await reviews.change(
            user_id, quiet_start=quiet[0].strftime("%H:%M"), quiet_end=quiet[1].strftime("%H:%M")
        )
    else:
        row = await reviews.schedule(user_id)
        today = reviews.clock.now().astimezone(zone(row.zone if row else "UTC")).date()
        day = parse_day(text, today)
        if day is None or day <= today or day > today + timedelta(days=366):
            await message.answer(i18n.t("review.bad_pause", value=value))
            return
        await reviews.change(user_id, paused_until=day.isoformat())
    await state.clear()
    await message.answer(i18n.t("review.schedule_saved"))
    await show_panel(bot, message.chat.id, user_id, reviews, i18n)


def setup() -> Router:
    router = Router(name="reviews.settings")
    router.message.filter(PrivateChat())
    router.message.register(settings_command, Command("settings"), NotLeadHere())
    router.message.register(settings_command, Command("myschedule"))
    router.callback_query.register(panel_press, MySchedule.filter())
    router.callback_query.register(zone_press, MyZone.filter())
    router.message.register(
        typed,
        StateFilter(ScheduleFlow.time, ScheduleFlow.zone, ScheduleFlow.quiet, ScheduleFlow.pause),
        TextInput(),
    )
    return router
