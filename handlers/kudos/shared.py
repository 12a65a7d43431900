"""What the kudos routers share: reading a /kudos command, and recording a kudos with its
reply (the card in the team chat, or the receipt in private)."""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, User

from bot.i18n import Translator
from bot.services.kudos import Given, KudosService
from bot.services.teams import PortraitQuality, Team
from bot.telegram.notifier import KudosNotifier
from bot.telegram.render import member_name
from handlers.keyboards import join_team, kudos_actions, kudos_qualities

USERNAME = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{3,31})\b")
TAG = re.compile(r"(?<![\w#])#([\w-]{3,40})")


async def reply_with_join_link(message: Message, team: Team, text: str, i18n: Translator) -> None:
    """A refusal that offers the colleague the way into the team."""
    await message.reply(text, reply_markup=join_team(team.id, i18n))


def parse_kudos(message: Message, args: str) -> tuple[list[str], list[User], str, str | None]:
    """(@usernames, users from text mentions, the reason, the #tag) of a /kudos command."""
    usernames = USERNAME.findall(args)
    tags = TAG.findall(args)
    mentioned: list[User] = []
    reason = args
    for entity in message.entities or []:
        if entity.type == "text_mention" and entity.user is not None:
            mentioned.append(entity.user)
            reason = reason.replace(entity.extract_from(message.text or ""), " ")
    reason = USERNAME.sub(" ", reason)
    tag = tags[0] if tags else None
    if tag is not None:
        reason = reason.replace(f"#{tag}", " ")
    return usernames, mentioned, " ".join(reason.split()), tag


async def _say_duplicate(
    bot: Bot, i18n: Translator, edit: Message | None, chat_id: int | None, message_id: int | None
) -> None:
    if edit is not None:
        await bot.edit_message_text(
            chat_id=edit.chat.id, message_id=edit.message_id, text=i18n.t("kudos.duplicate")
        )
    elif chat_id is not None:
        await bot.send_message(
            chat_id,
            i18n.t("kudos.duplicate"),
            reply_to_message_id=message_id,
            allow_sending_without_reply=True,
        )


async def record_and_announce(
    *,
    bot: Bot,
    team: Team,
    giver_id: int,
    receiver_ids: list[int],
    quality: PortraitQuality,
    reason: str,
    chat_id: int | None,
    message_id: int | None,
    kudos: KudosService,
    notifier: KudosNotifier,
    i18n: Translator,
    edit: Message | None = None,
) -> Given:
    """Record the kudos (the receivers' messages are queued with it) and show the result:
    the card in the team chat, in the chat's language, when announcements are on; otherwise
    a receipt to the giver in private, in the giver's language (``i18n``)."""
    in_group = edit is not None or chat_id == team.chat_id
    shown = notifier.team_i18n(team) if in_group and team.announce else i18n
    given = await kudos.give(
        team, giver_id, receiver_ids, quality.id, reason, chat_id=chat_id, message_id=message_id
    )
    if not given.kudos:
        await _say_duplicate(
            bot, notifier.team_i18n(team) if in_group else i18n, edit, chat_id, message_id
        )
        return given
    people = given.people or await notifier.people(team, given.kudos)
    left = shown.t("kudos.left_today", left=given.remaining, budget=given.budget)
    waiting = [
        member_name(member, shown)
        for k in given.kudos
        if (member := people.get(k.receiver_id or 0)) is not None and not member.reachable
    ]
    extra = "\n" + shown.t("kudos.waiting_start", names=", ".join(waiting)) if waiting else ""
    markup = kudos_actions(given.kudos[0].id, shown)
    giver = people.get(giver_id)
    if team.announce:
        card = await notifier.card(team, given.kudos, shown, people)
        text = card + "\n\n<i>" + left + "</i>" + extra
    else:
        key = "kudos.recorded_here" if in_group else "kudos.recorded"
        text = shown.t(key) + " " + left + extra
    if in_group and (team.announce or giver is None or not giver.reachable):
        # the card; or, with announcements off and no private chat to say it in, a reply
        await _show_in_group(bot, team, text, markup, edit, message_id)
        return given
    if edit is not None:  # announcements off: the draft's buttons leave the group
        await bot.delete_message(edit.chat.id, edit.message_id)
    # given in private, or announcements off: the receipt goes to the giver; a private-flow
    # kudos is announced in the team chat by the ledger
    await bot.send_message(giver_id, text, reply_markup=markup)
    return given


async def _show_in_group(
    bot: Bot,
    team: Team,
    text: str,
    markup: InlineKeyboardMarkup,
    edit: Message | None,
    message_id: int | None,
) -> None:
    if edit is not None:
        await bot.edit_message_text(
            chat_id=edit.chat.id, message_id=edit.message_id, text=text, reply_markup=markup
        )
        return
    await bot.send_message(
        team.chat_id,
        text,
        reply_markup=markup,
        reply_to_message_id=message_id,
        allow_sending_without_reply=True,
    )


def offer_order(qualities: list[PortraitQuality], first: list[PortraitQuality]) -> list[str]:
    """The quality ids in the order a draft offers them: ``first``, then the rest as given
    (kept in the draft, so that its pages stay the same while it is open)."""
    ids = [q.id for q in first]
    return ids + [q.id for q in qualities if q.id not in ids]


def in_order(qualities: list[PortraitQuality], order: list[str]) -> list[PortraitQuality]:
    """``qualities`` in the ``order`` kept when a picker was opened (so that its pages stay
    the same while it is open): one switched off since is left out, one switched on since
    comes last."""
    enabled = {q.id: q for q in qualities}
    kept = [qid for qid in order if qid in enabled]
    kept += [qid for qid in enabled if qid not in kept]
    return [enabled[qid] for qid in kept]


async def show_quality_page(
    query: CallbackQuery,
    bot: Bot,
    team: Team,
    draft_key: str,
    draft: dict[str, Any],
    page: int,
    kudos: KudosService,
    i18n: Translator,
) -> None:
    """Edit a draft's keyboard to another page of its qualities (in the draft's order; a
    quality switched off since is left out, one switched on since comes last)."""
    qualities = in_order(await kudos.qualities_ranked(team), draft.get("order", []))
    first = draft.get("first")
    if query.message is not None:
        await bot.edit_message_reply_markup(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            reply_markup=kudos_qualities(
                draft_key, qualities, i18n, page, int(first) if first else None
            ),
        )
