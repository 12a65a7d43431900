"""Peer feedback on a submitted review: the author picks up to 3 teammates; each answers in
free text or declines; the answer reaches the author (through the ledger)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from markupsafe import escape

from bot.i18n import Translator
from bot.services.errors import NotFound
from bot.services.kudos import KudosService
from bot.services.reviews import FEEDBACK_LIMIT, MAX_PEERS, ReviewsService
from bot.services.teams import TeamsService
from handlers.filters import PrivateChat, TextInput
from handlers.reviews import keyboards
from handlers.reviews.callbacks import Feedback, FeedbackAct, FeedbackKudos, PeerAct, PeerPick
from handlers.reviews.states import FeedbackFlow


def _name(first: str | None, last: str | None, i18n: Translator) -> str:
    return str(escape(f"{first or ''} {last or ''}".strip() or i18n.t("review.someone")))


async def show_picker(
    query: CallbackQuery,
    review_id: int,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    members = await reviews.teammates(review_id, query.from_user.id)
    if not members:
        await bot.send_message(query.message.chat.id, i18n.t("review.no_teammates"))
        return
    await state.update_data(peers=[], peer_ratings=False, peers_review=review_id)
    await bot.send_message(
        query.message.chat.id,
        i18n.t("review.pick_title", n=MAX_PEERS),
        reply_markup=keyboards.peers(review_id, members, set(), False, i18n),
    )


async def peer_press(
    query: CallbackQuery,
    callback_data: PeerPick,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    user_id = query.from_user.id
    members = await reviews.teammates(callback_data.review, user_id)  # checks the review is theirs
    data = await state.get_data()
    same = data.get("peers_review") == callback_data.review
    picked = set(data.get("peers", [])) if same else set()
    with_ratings = bool(data.get("peer_ratings")) if same else False
    if callback_data.act is PeerAct.SEND:
        asked = await reviews.ask(callback_data.review, user_id, sorted(picked), with_ratings)
        names = [_name(m.first_name, m.last_name, i18n) for m in members if m.user_id in asked]
        text = (
            i18n.t("review.asked", names=", ".join(names)) if asked else i18n.t("review.asked_none")
        )
        await state.update_data(peers=[], peers_review=None)
        await bot.edit_message_text(
            text, chat_id=query.message.chat.id, message_id=query.message.message_id
        )
        return
    if callback_data.act is PeerAct.RATINGS:
        with_ratings = not with_ratings
    else:
        if callback_data.user not in {m.user_id for m in members}:
            raise NotFound()
        picked ^= {callback_data.user}
        if len(picked) > MAX_PEERS:
            picked.discard(callback_data.user)
            raise_text = i18n.t("review.too_many_peers", n=MAX_PEERS)
            await query.answer(raise_text, show_alert=True)
    await state.update_data(
        peers=sorted(picked), peer_ratings=with_ratings, peers_review=callback_data.review
    )
    await bot.edit_message_reply_markup(
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        reply_markup=keyboards.peers(callback_data.review, members, picked, with_ratings, i18n),
    )


async def feedback_press(
    query: CallbackQuery,
    callback_data: Feedback,
    bot: Bot,
    state: FSMContext,
    reviews: ReviewsService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    user_id = query.from_user.id
    await reviews.open_request(callback_data.request, user_id)
    if callback_data.act is FeedbackAct.DECLINE:
        await reviews.answer(callback_data.request, user_id, None)
        await bot.edit_message_reply_markup(
            chat_id=query.message.chat.id, message_id=query.message.message_id
        )
        await bot.send_message(query.message.chat.id, i18n.t("review.declined"))
        return
    await state.set_state(FeedbackFlow.answer)
    await state.update_data(request=callback_data.request)
    await bot.send_message(query.message.chat.id, i18n.t("review.answer_prompt", n=FEEDBACK_LIMIT))


async def answer_typed(
    message: Message, state: FSMContext, reviews: ReviewsService, i18n: Translator
) -> None:
    assert message.from_user is not None
    assert message.text is not None
    request = (await state.get_data()).get("request")
    if not isinstance(request, int):
        await state.clear()
        raise NotFound()
    await reviews.answer(request, message.from_user.id, message.text)
    await state.clear()
    kb = InlineKeyboardBuilder()
    kb.button(text=i18n.t("review.make_kudos"), callback_data=FeedbackKudos(request=request))
    await message.answer(i18n.t("review.answer_sent"), reply_markup=kb.as_markup())


#: qualities offered for a kudos made of a feedback (the team's most used first)
KUDOS_CHOICES = 8


async def kudos_press(
    query: CallbackQuery,
    callback_data: FeedbackKudos,
    bot: Bot,
    reviews: ReviewsService,
    kudos: KudosService,
    teams: TeamsService,
    i18n: Translator,
) -> None:
    """Only the colleague who wrote the feedback may make it a kudos, once."""
    assert query.message is not None
    request, review = await reviews.request_for(callback_data.request, query.from_user.id)
    if request.state != "answered" or not request.answer:
        raise NotFound()
    team = await teams.by_id(review.team_id)
    offered = (await kudos.qualities_ranked(team))[:KUDOS_CHOICES]
    chat_id, message_id = query.message.chat.id, query.message.message_id
    if callback_data.quality < 0:
        kb = InlineKeyboardBuilder()
        for index, quality in enumerate(offered):
            kb.button(
                text=quality.button(i18n.code),
                callback_data=FeedbackKudos(request=request.id, quality=index),
            )
        kb.adjust(2)
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=kb.as_markup()
        )
        return
    if callback_data.quality >= len(offered):
        raise NotFound()
    reason = request.answer if len(request.answer) <= 500 else request.answer[:499] + "…"
    await kudos.give(
        team, query.from_user.id, [review.user_id], offered[callback_data.quality].id, reason
    )
    await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
    await bot.send_message(chat_id, i18n.t("review.kudos_made"))


def setup() -> Router:
    router = Router(name="reviews.feedback")
    router.message.filter(PrivateChat())
    router.callback_query.register(peer_press, PeerPick.filter())
    router.callback_query.register(feedback_press, Feedback.filter())
    router.message.register(answer_typed, StateFilter(FeedbackFlow.answer), TextInput())
    router.callback_query.register(kudos_press, FeedbackKudos.filter())
    return router
