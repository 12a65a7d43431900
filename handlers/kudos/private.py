"""/kudos guided in private: the colleague (a button, an @username or a typed name), the
quality (the team's most used first, the rest a page away), the reason, a confirmation card;
the ledger announces it in the team chat."""

from __future__ import annotations

from html import escape
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.services.errors import DomainError
from bot.services.kudos import KudosService
from bot.services.teams import Member, Team, TeamsService, match_members
from bot.telegram.notifier import KudosNotifier
from bot.telegram.render import member_name
from handlers.callbacks import KudosConfirm, KudosPage, KudosQuality, KudosReceiver
from handlers.filters import PrivateChat, TeamHere, TextInput
from handlers.keyboards import kudos_confirm, kudos_qualities, kudos_receivers
from handlers.kudos.shared import offer_order, record_and_announce, show_quality_page
from handlers.states import GiveKudos

#: colleagues offered as buttons
RECEIVER_BUTTONS = 40


def _button_name(member: Member) -> str:
    name = f"{member.first_name or ''} {member.last_name or ''}".strip()
    return name or (f"@{member.username}" if member.username else str(member.user_id))


async def _flow(state: FSMContext, teams: TeamsService) -> tuple[dict[str, Any], Team]:
    """The flow's data and the team it is about."""
    data = await state.get_data()
    return data, await teams.by_id(int(data["team_id"]))


async def kudos_private(
    message: Message, team: Team, state: FSMContext, teams: TeamsService, i18n: Translator
) -> None:
    others = [m for m in await teams.members(team) if m.user_id != message.chat.id]
    if not others:
        await message.answer(i18n.t("kudos.no_members"))
        return
    await state.set_state(GiveKudos.receiver)
    await state.set_data({"team_id": team.id})
    buttons = [(m.user_id, _button_name(m)) for m in others[:RECEIVER_BUTTONS]]
    await message.answer(i18n.t("kudos.pick_receiver"), reply_markup=kudos_receivers(buttons))


async def _ask_quality(
    target: Message,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    receiver_id: int,
    i18n: Translator,
) -> None:
    _data, team = await _flow(state, teams)
    await kudos.check_receivers(team, target.chat.id, [receiver_id])
    ranked = await kudos.qualities_ranked(team)
    await state.update_data(receiver=receiver_id, order=offer_order(ranked, []))
    await state.set_state(GiveKudos.quality)
    member = await teams.member(team, receiver_id)
    await target.answer(
        i18n.t("kudos.pick_quality", names=member_name(member, i18n)),
        reply_markup=kudos_qualities("p", ranked, i18n),
    )


async def receiver_picked(
    query: CallbackQuery,
    callback_data: KudosReceiver,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    i18n: Translator,
) -> None:
    assert isinstance(query.message, Message)
    await _ask_quality(query.message, state, teams, kudos, callback_data.user_id, i18n)


async def _typed_receivers(
    team: Team, text: str, giver_id: int, teams: TeamsService
) -> list[Member]:
    """The colleagues a typed @username or name means (the giver only if nobody else)."""
    if text.startswith("@"):
        member = await teams.member_by_username(team, text)
        return [member] if member is not None else []
    found = match_members(text, await teams.members(team))
    return [m for m in found if m.user_id != giver_id] or found


async def receiver_typed(
    message: Message,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    i18n: Translator,
) -> None:
    _data, team = await _flow(state, teams)
    text = (message.text or "").strip()
    found = await _typed_receivers(team, text, message.chat.id, teams)
    if not found and text.startswith("@"):
        await message.answer(i18n.t("kudos.unknown_username", username=escape(text[:40])))
        return
    if not found:
        await message.answer(i18n.t("kudos.name_not_found", query=escape(text[:40])))
        return
    if len(found) > 1:
        buttons = [(m.user_id, _button_name(m)) for m in found[:RECEIVER_BUTTONS]]
        await message.answer(i18n.t("kudos.pick_match"), reply_markup=kudos_receivers(buttons))
        return
    await _ask_quality(message, state, teams, kudos, found[0].user_id, i18n)


async def page_in_private(
    query: CallbackQuery,
    callback_data: KudosPage,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    i18n: Translator,
) -> None:
    data, team = await _flow(state, teams)
    await show_quality_page(query, bot, team, "p", data, callback_data.page, kudos, i18n)


async def quality_picked_in_private(
    query: CallbackQuery,
    callback_data: KudosQuality,
    state: FSMContext,
    teams: TeamsService,
    i18n: Translator,
) -> None:
    _data, team = await _flow(state, teams)
    quality = await teams.quality(team, callback_data.quality)
    if quality is None or not quality.enabled:
        raise DomainError("kudos.bad_quality")
    await state.update_data(quality=quality.id)
    await state.set_state(GiveKudos.reason)
    assert isinstance(query.message, Message)
    await query.message.answer(i18n.t("kudos.ask_reason"))


async def reason_typed(
    message: Message,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    i18n: Translator,
) -> None:
    try:
        reason = await kudos.check_reason(message.text or "")
    except DomainError as refusal:
        await message.answer(i18n.t(refusal.key, **refusal.values))
        return
    await state.update_data(reason=reason)
    await state.set_state(GiveKudos.confirm)
    data, team = await _flow(state, teams)
    giver = await teams.member(team, message.chat.id)
    receiver = await teams.member(team, int(data["receiver"]))
    quality = await teams.quality(team, str(data["quality"]))
    card = i18n.t(
        "kudos.card",
        giver=member_name(giver, i18n),
        receivers=member_name(receiver, i18n),
        reason=escape(reason),
        quality=escape(quality.name(i18n.code) if quality else ""),
    )
    await message.answer(i18n.t("kudos.confirm", card=card), reply_markup=kudos_confirm(i18n))


async def confirmed(
    query: CallbackQuery,
    callback_data: KudosConfirm,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    notifier: KudosNotifier,
    i18n: Translator,
) -> None:
    data = await state.get_data()
    await state.clear()
    assert isinstance(query.message, Message)
    await bot.edit_message_reply_markup(
        chat_id=query.message.chat.id, message_id=query.message.message_id, reply_markup=None
    )
    if not callback_data.send:
        await query.message.answer(i18n.t("kudos.cancelled"))
        return
    team = await teams.by_id(int(data["team_id"]))
    quality = await teams.quality(team, str(data["quality"]))
    if quality is None or not quality.enabled:
        raise DomainError("kudos.bad_quality")
    await record_and_announce(
        bot=bot,
        team=team,
        giver_id=query.from_user.id,
        receiver_ids=[int(data["receiver"])],
        quality=quality,
        reason=str(data["reason"]),
        chat_id=None,
        message_id=None,
        kudos=kudos,
        notifier=notifier,
        i18n=i18n,
    )


async def stale_flow_button(_query: CallbackQuery) -> None:
    raise DomainError("errors.stale_button")


def setup() -> Router:
    router = Router(name="kudos.private")
    router.message.register(kudos_private, Command("kudos"), PrivateChat(), TeamHere())
    router.callback_query.register(
        receiver_picked, KudosReceiver.filter(), StateFilter(GiveKudos.receiver)
    )
    text_in_private = (PrivateChat(), TextInput())
    router.message.register(receiver_typed, StateFilter(GiveKudos.receiver), *text_in_private)
    router.callback_query.register(
        quality_picked_in_private, KudosQuality.filter(), StateFilter(GiveKudos.quality)
    )
    router.callback_query.register(
        page_in_private, KudosPage.filter(), StateFilter(GiveKudos.quality)
    )
    router.message.register(reason_typed, StateFilter(GiveKudos.reason), *text_in_private)
    router.callback_query.register(confirmed, KudosConfirm.filter(), StateFilter(GiveKudos.confirm))
    for stale in (KudosConfirm, KudosReceiver, KudosQuality, KudosPage):
        router.callback_query.register(stale_flow_button, stale.filter())
    return router
