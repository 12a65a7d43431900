"""The weekly self-review in private: /review, the reminder's buttons, the four steps, the
summary; forwarded messages kept as evidence. The draft lives in the database (each step
is saved as it is answered), so a restart resumes where the user stopped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from markupsafe import escape

from bot.i18n import Translator
from bot.services.errors import NotFound
from bot.services.reviews import RESULTS_LIMIT, ReviewsService
from bot.services.schedule import iso_week
from bot.services.teams import PortraitQuality, TeamsService
from handlers.filters import HasField, PrivateChat, TextInput
from handlers.reviews import keyboards
from handlers.reviews.callbacks import Remind, RemindAct, ReviewRate, ReviewStep, Step
from handlers.reviews.keyboards import zone_buttons
from handlers.reviews.render import short, summary, week_label
from handlers.reviews.states import ReviewFlow
from storage.repo.reviews import ReviewRow


async def show(
    bot: Bot,
    chat_id: int,
    review: ReviewRow,
    reviews: ReviewsService,
    state: FSMContext,
    i18n: Translator,
) -> None:
    """Ask the draft's current step (or show its summary)."""
    await state.update_data(review=review.id)
    qualities = await reviews.qualities(review.team_id)
    if review.step == "results":
        await _ask_results(bot, chat_id, review, reviews, state, i18n)
    elif review.step == "ratings":
        await state.set_state(ReviewFlow.ratings)
        await bot.send_message(
            chat_id,
            i18n.t("review.step_ratings"),
            reply_markup=keyboards.ratings(review, qualities, i18n),
        )
    elif review.step in ("wish", "plan"):
        await state.set_state(ReviewFlow.wish if review.step == "wish" else ReviewFlow.plan)
        acts = [(Step.SKIP, i18n.t("review.skip_step"))]
        current = review.wish if review.step == "wish" else review.plan
        if current:
            acts.insert(0, (Step.KEEP, i18n.t("review.keep")))
        await bot.send_message(
            chat_id,
            i18n.t("review.step_wish" if review.step == "wish" else "review.step_plan"),
            reply_markup=keyboards.step(review.id, i18n, *acts),
        )
    else:
        await _show_summary(bot, chat_id, review, reviews, qualities, state, i18n)


async def _ask_results(
    bot: Bot,
    chat_id: int,
    review: ReviewRow,
    reviews: ReviewsService,
    state: FSMContext,
    i18n: Translator,
) -> None:
    await state.set_state(ReviewFlow.results)
    lines = [i18n.t("review.step_results", n=RESULTS_LIMIT)]
    plan = await reviews.last_plan(review.user_id, review.week)
    if plan:
        lines.insert(0, i18n.t("review.last_plan", plan=escape(short(plan, 300))))
    found = await reviews.evidence(review)
    ready = sum(1 for e in found.kept if not e.attached) + sum(
        1 for k in found.kudos if k.id not in {e.kudos_id for e in found.kept}
    )
    acts: list[tuple[Step, str]] = []
    if ready:
        what = []
        if found.kudos:
            what.append(i18n.t("review.evidence_kudos", n=len(found.kudos)))
        if found.kept:
            what.append(i18n.t("review.evidence_kept", n=len(found.kept)))
        lines.append(i18n.t("review.evidence_ready", what=", ".join(what)))
        acts.append((Step.EVIDENCE, i18n.t("review.evidence_add", n=ready)))
    if review.results:
        lines.append(i18n.t("review.results_kept", text=escape(short(review.results, 500))))
        acts.append((Step.KEEP, i18n.t("review.keep")))
    acts.append((Step.CANCEL, i18n.t("review.cancel")))
    await bot.send_message(
        chat_id, "\n\n".join(lines), reply_markup=keyboards.step(review.id, i18n, *acts)
    )


async def _show_summary(
    bot: Bot,
    chat_id: int,
    review: ReviewRow,
    reviews: ReviewsService,
    qualities: dict[str, PortraitQuality],
    state: FSMContext,
    i18n: Translator,
) -> None:
    await state.clear()
    found = await reviews.evidence(review)
    await bot.send_message(
        chat_id,
        summary(review, qualities, found.kept, i18n),
        reply_markup=keyboards.summary(review.id, i18n),
    )


async def ask_zone_once(
    bot: Bot,
    chat_id: int,
    user_id: int,
    reviews: ReviewsService,
    teams: TeamsService,
    i18n: Translator,
) -> None:
    """Telegram does not tell the bot a user's zone: the first review asks once, with the
    zones of Russia and its neighbours as buttons."""
    row = await reviews.schedule(user_id)
    if row is None or row.zone_asked:
        return
    await reviews.mark_zone_asked(user_id)
    await bot.send_message(
        chat_id,
        i18n.t("review.zone_once", zone=row.zone),
        reply_markup=zone_buttons(teams, i18n),
    )


async def review_command(
    message: Message,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    teams: TeamsService,
    i18n: Translator,
) -> None:
    assert message.from_user is not None
    review, _ = await reviews.open(message.from_user.id)
    await ask_zone_once(bot, message.chat.id, message.from_user.id, reviews, teams, i18n)
    if review.submitted:
        await state.clear()
        qualities = await reviews.qualities(review.team_id)
        found = await reviews.evidence(review)
        await message.answer(
            summary(review, qualities, found.kept, i18n),
            reply_markup=keyboards.after_submit(review, i18n),
        )
        return
    await show(bot, message.chat.id, review, reviews, state, i18n)


async def reminder_press(
    query: CallbackQuery,
    callback_data: Remind,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    teams: TeamsService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    user_id = query.from_user.id
    if not callback_data.week or len(callback_data.week) != 8:
        raise NotFound()
    rules = await reviews.rules(user_id)
    if rules is None:
        await query.message.answer(i18n.t("review.no_team"))
        return
    _, schedule = rules
    current = iso_week(reviews.clock.now(), schedule.zone)
    if callback_data.act is RemindAct.START:
        review, _ = await reviews.open(user_id, callback_data.week)
        await bot.edit_message_reply_markup(
            chat_id=query.message.chat.id, message_id=query.message.message_id
        )
        await ask_zone_once(bot, query.message.chat.id, user_id, reviews, teams, i18n)
        await show(bot, query.message.chat.id, review, reviews, state, i18n)
        return
    if callback_data.week != current:
        await bot.edit_message_text(
            i18n.t("review.stale"),
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )
        return
    if callback_data.act is RemindAct.LATER:
        at = await reviews.snooze(user_id, callback_data.week)
        local = at.astimezone(schedule.zone)
        text = i18n.t("review.snoozed", at=f"{local:%H:%M}")
    else:
        await reviews.skip(user_id, callback_data.week)
        text = i18n.t("review.skipped", week=week_label(callback_data.week))
    await bot.edit_message_text(
        text, chat_id=query.message.chat.id, message_id=query.message.message_id
    )


async def _draft(state: FSMContext, reviews: ReviewsService, user_id: int) -> ReviewRow:
    data = await state.get_data()
    review_id = data.get("review")
    if not isinstance(review_id, int):
        raise NotFound()
    return await reviews.own(review_id, user_id)


async def results_typed(
    message: Message, bot: Bot, state: FSMContext, reviews: ReviewsService, i18n: Translator
) -> None:
    assert message.from_user is not None
    assert message.text is not None
    review = await _draft(state, reviews, message.from_user.id)
    review = await reviews.set_results(review.id, message.from_user.id, message.text)
    await show(bot, message.chat.id, review, reviews, state, i18n)


async def note_typed(
    message: Message,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    i18n: Translator,
    raw_state: str | None,
) -> None:
    assert message.from_user is not None
    assert message.text is not None
    field = "wish" if raw_state == ReviewFlow.wish.state else "plan"
    review = await _draft(state, reviews, message.from_user.id)
    review = await reviews.set_note(review.id, message.from_user.id, field, message.text)
    await show(bot, message.chat.id, review, reviews, state, i18n)


async def press_buttons(message: Message, i18n: Translator) -> None:
    await message.answer(i18n.t("review.rate_all"))


async def rate_press(
    query: CallbackQuery,
    callback_data: ReviewRate,
    bot: Bot,
    reviews: ReviewsService,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    assert query.message is not None
    user_id = query.from_user.id
    review = await reviews.own(callback_data.review, user_id)
    qualities = await reviews.qualities(review.team_id)
    if callback_data.value == 0:
        if not 0 <= callback_data.index < len(review.qualities):
            raise NotFound()
        quality = qualities.get(review.qualities[callback_data.index])
        if quality is not None:
            callback_answer.text = short(
                f"{quality.name(i18n.code)}: {quality.meaning(i18n.code)}", 200
            )
            callback_answer.show_alert = True
        return
    review = await reviews.rate(review.id, user_id, callback_data.index, callback_data.value)
    await bot.edit_message_reply_markup(
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        reply_markup=keyboards.ratings(review, qualities, i18n),
    )


async def step_press(
    query: CallbackQuery,
    callback_data: ReviewStep,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    assert query.message is not None
    user_id, chat_id = query.from_user.id, query.message.chat.id
    act, review_id = callback_data.act, callback_data.review
    if act in _AFTER_SUBMIT:
        await _AFTER_SUBMIT[act](query, review_id, bot, state, reviews, i18n)
        return
    review = await reviews.own(review_id, user_id, draft=act is not Step.EDIT)
    await state.update_data(review=review.id)
    await bot.edit_message_reply_markup(chat_id=chat_id, message_id=query.message.message_id)
    if act is Step.EVIDENCE:
        found = await reviews.attach_all(review.id, user_id)
        callback_answer.text = i18n.t(
            "review.evidence_added", n=sum(1 for e in found.kept if e.attached)
        )
        await _ask_results(bot, chat_id, review, reviews, state, i18n)
        return
    if act is Step.CANCEL:
        await reviews.cancel(review.id, user_id)
        await state.clear()
        await bot.send_message(chat_id, i18n.t("review.cancelled"))
        return
    review = await _advance(act, review, user_id, reviews)
    await show(bot, chat_id, review, reviews, state, i18n)


async def _advance(
    act: Step, review: ReviewRow, user_id: int, reviews: ReviewsService
) -> ReviewRow:
    if act is Step.KEEP and review.step == "results" and review.results:
        return await reviews.set_results(review.id, user_id, review.results)
    if act in (Step.KEEP, Step.SKIP) and review.step in ("wish", "plan"):
        kept = getattr(review, review.step) if act is Step.KEEP else None
        return await reviews.set_note(review.id, user_id, review.step, kept)
    if act is Step.NEXT:
        return await reviews.ratings_done(review.id, user_id)
    if act is Step.EDIT:
        return await reviews.edit(review.id, user_id)
    return review  # a button of another step: show where the draft is


async def _submit(
    query: CallbackQuery,
    review_id: int,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    review = await reviews.submit(review_id, query.from_user.id)
    await state.clear()
    await bot.edit_message_reply_markup(
        chat_id=query.message.chat.id, message_id=query.message.message_id
    )
    await bot.send_message(
        query.message.chat.id,
        i18n.t("review.submitted", week=week_label(review.week)),
        reply_markup=keyboards.after_submit(review, i18n),
    )


async def _share(
    query: CallbackQuery,
    review_id: int,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    i18n: Translator,
    *,
    on: bool,
) -> None:
    assert query.message is not None
    review = await reviews.share_with_lead(review_id, query.from_user.id, on)
    await bot.edit_message_reply_markup(
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        reply_markup=keyboards.after_submit(review, i18n),
    )
    await bot.send_message(
        query.message.chat.id, i18n.t("review.shared" if on else "review.unshared")
    )


async def _ask(
    query: CallbackQuery,
    review_id: int,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    i18n: Translator,
) -> None:
    from handlers.reviews.feedback import show_picker

    await show_picker(query, review_id, bot, state, reviews, i18n)


_AfterSubmit = Callable[
    [CallbackQuery, int, Bot, FSMContext, ReviewsService, Translator], Awaitable[None]
]
_AFTER_SUBMIT: dict[Step, _AfterSubmit] = {
    Step.SUBMIT: _submit,
    Step.SHARE: partial(_share, on=True),
    Step.UNSHARE: partial(_share, on=False),
    Step.ASK: _ask,
}


async def forwarded(message: Message, reviews: ReviewsService, i18n: Translator) -> None:
    """A message forwarded to the bot (a client's thanks, a screenshot with a caption) is
    kept as evidence of the current week."""
    assert message.from_user is not None
    text = message.text or message.caption or i18n.t("review.evidence_media")
    week, _ = await reviews.keep_evidence(message.from_user.id, text)
    await message.answer(i18n.t("review.kept_evidence", week=week_label(week)))


def setup() -> Router:
    router = Router(name="reviews.flow")
    router.message.filter(PrivateChat())
    router.message.register(forwarded, HasField("forward_origin"))
    router.message.register(review_command, Command("review"))
    router.callback_query.register(reminder_press, Remind.filter())
    router.message.register(results_typed, StateFilter(ReviewFlow.results), TextInput())
    router.message.register(note_typed, StateFilter(ReviewFlow.wish, ReviewFlow.plan), TextInput())
    router.message.register(press_buttons, StateFilter(ReviewFlow.ratings), TextInput())
    router.callback_query.register(rate_press, ReviewRate.filter())
    router.callback_query.register(step_press, ReviewStep.filter())
    return router
