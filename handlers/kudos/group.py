"""/kudos in the team chat: by reply, @mention or text mention; the quality by #tag or, when
there is none (or it names no quality: said so, with the close ones), by buttons under a draft
that only the giver can press: the team's most used first, «Ещё…» pages through the rest."""

from __future__ import annotations

import secrets
from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, User

from bot.i18n import Translations, Translator
from bot.services.errors import DomainError
from bot.services.kudos import KudosService, match_quality
from bot.services.tags import close_qualities, tag_for
from bot.services.teams import PortraitQuality, Team, TeamsService
from bot.telegram.notifier import KudosNotifier
from bot.telegram.render import member_name
from handlers.callbacks import KudosDraftCancel, KudosPage, KudosQuality
from handlers.filters import GroupChat, TeamHere
from handlers.keyboards import kudos_qualities
from handlers.kudos.shared import (
    offer_order,
    parse_kudos,
    record_and_announce,
    reply_with_join_link,
    show_quality_page,
)

#: drafts kept per giver (a draft is a /kudos waiting for its quality)
DRAFTS_KEPT = 5


def _receivers(message: Message, usernames: list[str], mentioned: list[User]) -> list[User]:
    """Text mentions, or else the author of the message replied to."""
    receivers = list(mentioned)
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and not usernames and not mentioned:
        receivers.append(reply.from_user)
    return receivers


async def _resolve_ids(
    message: Message,
    bot: Bot,
    team: Team,
    receivers: list[User],
    usernames: list[str],
    teams: TeamsService,
    i18n: Translator,
) -> list[int] | None:
    """Receiver ids, or None when an @username is nobody in the team (the giver was told)."""
    ids = [u.id for u in receivers]
    for username in usernames:
        member = await teams.member_by_username(team, username)
        if member is None:
            text = i18n.t("kudos.unknown_username", username=escape("@" + username))
            await reply_with_join_link(message, team, text, i18n)
            return None
        ids.append(member.user_id)
    return ids


async def _receivers_checked(
    message: Message, bot: Bot, team: Team, ids: list[int], kudos: KudosService, i18n: Translator
) -> bool:
    assert message.from_user is not None
    try:
        await kudos.check_receivers(team, message.from_user.id, ids)
    except DomainError as refusal:
        if refusal.key != "kudos.receiver_not_member":
            raise
        await reply_with_join_link(message, team, i18n.t(refusal.key), i18n)
        return False
    return True


async def save_draft(
    state: FSMContext,
    team: Team,
    ids: list[int],
    reason: str,
    message_id: int,
    order: list[str],
    i18n: Translator,
    **extra: object,
) -> str:
    """Keep a kudos waiting for its quality in the giver's own state; returns its key."""
    draft = secrets.token_hex(4)
    drafts = dict((await state.get_data()).get("drafts", {}))
    drafts[draft] = {
        "team_id": team.id,
        "receivers": ids,
        "reason": reason,
        "message_id": message_id,
        "order": order,
        "lang": i18n.code,
        **extra,
    }
    await state.update_data(drafts=dict(list(drafts.items())[-DRAFTS_KEPT:]))
    return draft


def _unknown_tag(tag: str, qualities: list[PortraitQuality], i18n: Translator) -> str:
    close = close_qualities(tag, qualities)
    tags = [f"#{t}" for q in close if (t := tag_for(q, qualities, i18n.code))]
    if tags:
        return i18n.t("kudos.unknown_tag", tag=escape(tag), close=", ".join(tags))
    return i18n.t("kudos.unknown_tag_far", tag=escape(tag))


async def _ask_quality_in_group(
    message: Message,
    team: Team,
    ids: list[int],
    reason: str,
    tag: str | None,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    i18n: Translator,
) -> None:
    """A draft with the quality buttons (an unknown ``tag``: said so, its close ones first)."""
    ranked = await kudos.qualities_ranked(team)
    close = close_qualities(tag, ranked) if tag else []
    order = offer_order(ranked, close)
    draft = await save_draft(state, team, ids, reason, message.message_id, order, i18n)
    people = await teams.members_by_id(team, ids)
    names = [member_name(people.get(receiver_id), i18n) for receiver_id in ids]
    text = i18n.t("kudos.pick_quality", names=", ".join(names))
    if tag:
        text = _unknown_tag(tag, ranked, i18n) + "\n\n" + text
    by_id = {q.id: q for q in ranked}
    await message.reply(
        text, reply_markup=kudos_qualities(draft, [by_id[qid] for qid in order], i18n)
    )


async def kudos_in_group(
    message: Message,
    command: CommandObject,
    bot: Bot,
    team: Team,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    notifier: KudosNotifier,
    i18n: Translator,
) -> None:
    assert message.from_user is not None
    usernames, mentioned, reason, tag = parse_kudos(message, command.args or "")
    receivers = _receivers(message, usernames, mentioned)
    if not receivers and not usernames:
        key = "kudos.how" if not (command.args or "").strip() else "kudos.no_receiver"
        await message.reply(i18n.t(key))
        return
    if any(u.is_bot for u in receivers):
        raise DomainError("kudos.bot")
    ids = await _resolve_ids(message, bot, team, receivers, usernames, teams, i18n)
    if ids is None:
        return
    reason = await kudos.check_reason(reason)
    if not await _receivers_checked(message, bot, team, ids, kudos, i18n):
        return
    chosen = match_quality(tag, await kudos.qualities_for(team)) if tag else None
    if chosen is None:
        await _ask_quality_in_group(message, team, ids, reason, tag, state, teams, kudos, i18n)
        return
    await record_and_announce(
        bot=bot,
        team=team,
        giver_id=message.from_user.id,
        receiver_ids=ids,
        quality=chosen,
        reason=reason,
        chat_id=message.chat.id,
        message_id=message.message_id,
        kudos=kudos,
        notifier=notifier,
        i18n=i18n,
    )


async def quality_picked_in_group(
    query: CallbackQuery,
    callback_data: KudosQuality,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    notifier: KudosNotifier,
    i18n: Translator,
) -> None:
    drafts = dict((await state.get_data()).get("drafts", {}))
    draft = drafts.get(callback_data.draft)
    if draft is None or query.message is None:
        raise DomainError("kudos.not_yours")
    team = await teams.by_id(int(draft["team_id"]))
    if team.chat_id != query.message.chat.id:
        raise DomainError("kudos.not_yours")
    quality = await teams.quality(team, callback_data.quality)
    if quality is None or not quality.enabled:
        raise DomainError("kudos.bad_quality")
    assert isinstance(query.message, Message)
    await record_and_announce(
        bot=bot,
        team=team,
        giver_id=query.from_user.id,
        receiver_ids=[int(r) for r in draft["receivers"]],
        quality=quality,
        reason=str(draft["reason"]),
        chat_id=team.chat_id,
        message_id=int(draft["message_id"]),
        kudos=kudos,
        notifier=notifier,
        i18n=i18n,
        edit=query.message,
    )
    drafts.pop(callback_data.draft, None)
    await state.update_data(drafts=drafts)
    if draft.get("prompt"):
        await kudos.prompt_closed(query.message.chat.id, query.message.message_id)


async def draft_cancelled(
    query: CallbackQuery,
    callback_data: KudosDraftCancel,
    bot: Bot,
    state: FSMContext,
    kudos: KudosService,
    i18n: Translator,
) -> None:
    data = await state.get_data()
    drafts = dict(data.get("drafts", {}))
    if callback_data.draft not in drafts and callback_data.draft != "p":
        raise DomainError("kudos.not_yours")
    draft = drafts.pop(callback_data.draft, None) or {}
    if callback_data.draft == "p":
        await state.clear()
    else:
        await state.update_data(drafts=drafts)
    if draft.get("prompt") and query.message is not None:  # a one-tap prompt: just gone
        await kudos.prompt_closed(query.message.chat.id, query.message.message_id)
        await bot.delete_message(query.message.chat.id, query.message.message_id)
        return
    if query.message is not None:
        await bot.edit_message_text(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            text=i18n.t("kudos.cancelled"),
        )


async def page_in_group(
    query: CallbackQuery,
    callback_data: KudosPage,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    translations: Translations,
) -> None:
    """«More…»/«Back» under a draft: only its giver's presses count (it is in their state)."""
    draft = dict((await state.get_data()).get("drafts", {})).get(callback_data.draft)
    if draft is None or query.message is None:
        raise DomainError("kudos.not_yours")
    team = await teams.by_id(int(draft["team_id"]))
    if team.chat_id != query.message.chat.id:
        raise DomainError("kudos.not_yours")
    shown = translations.get(str(draft.get("lang") or team.locale))
    await show_quality_page(
        query, bot, team, callback_data.draft, draft, callback_data.page, kudos, shown
    )


def setup() -> Router:
    router = Router(name="kudos.group")
    router.message.register(kudos_in_group, Command("kudos"), GroupChat(), TeamHere())
    router.callback_query.register(quality_picked_in_group, KudosQuality.filter(), GroupChat())
    router.callback_query.register(page_in_group, KudosPage.filter(), GroupChat())
    router.callback_query.register(draft_cancelled, KudosDraftCancel.filter())
    return router
