"""What the kudos routers share: reading a /kudos command, and recording a kudos with its
reply (the card in the team chat, or the receipt in private)."""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, Message, User

from bot.i18n import Translator
from bot.services.kudos import Given, KudosService
from bot.services.teams import PortraitQuality, Team
from handlers.keyboards import join_team, kudos_actions, kudos_qualities
from handlers.kudos.notifier import KudosNotifier

USERNAME = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{3,31})\b")
TAG = re.compile(r"(?<![\w#])#([\w-]{3,40})")


async def reply_with_join_link(
    message: Message, bot: Bot, team: Team, text: str, i18n: Translator
) -> None:
    """A refusal that offers the colleague the way into the team."""
    me = await bot.me()
    await message.reply(
        text, reply_markup=join_team(team.id, me.username or "", team.join_code, i18n)
    )


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
    """Record the kudos, tell the receivers, show the result in the team chat.

    What is shown in the team chat is in the chat's language; a receipt in private is in the
    giver's (``i18n``)."""
    if edit is not None or chat_id == team.chat_id:
        i18n = notifier.team_i18n(team)
    given = await kudos.give(
        team, giver_id, receiver_ids, quality.id, reason, chat_id=chat_id, message_id=message_id
    )
    if not given.kudos:
        await _say_duplicate(bot, i18n, edit, chat_id, message_id)
        return given
    left = i18n.t("kudos.left_today", left=given.remaining, budget=given.budget)
    people = await notifier.people(team, given.kudos)
    if team.announce:
        text = await notifier.card(team, given.kudos, i18n, people) + "\n\n<i>" + left + "</i>"
    else:
        text = i18n.t("kudos.recorded") + " " + left
    markup = kudos_actions(given.kudos[0].id, i18n)
    if edit is not None:
        await bot.edit_message_text(
            chat_id=edit.chat.id, message_id=edit.message_id, text=text, reply_markup=markup
        )
    elif chat_id == team.chat_id:
        await bot.send_message(
            team.chat_id,
            text,
            reply_markup=markup,
            reply_to_message_id=message_id,
            allow_sending_without_reply=True,
        )
    else:  # given in private: the receipt here; the ledger announces it in the team chat
        await bot.send_message(giver_id, text, reply_markup=markup)
    return given


def offer_order(qualities: list[PortraitQuality], first: list[PortraitQuality]) -> list[str]:
    """The quality ids in the order a draft offers them: ``first``, then the rest as given
    (kept in the draft, so that its pages stay the same while it is open)."""
    ids = [q.id for q in first]
    return ids + [q.id for q in qualities if q.id not in ids]


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
    enabled = {q.id: q for q in await kudos.qualities_ranked(team)}
    order = [qid for qid in draft.get("order", []) if qid in enabled]
    order += [qid for qid in enabled if qid not in order]
    qualities = [enabled[qid] for qid in order]
    first = draft.get("first")
    if query.message is not None:
        await bot.edit_message_reply_markup(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            reply_markup=kudos_qualities(
                draft_key, qualities, i18n, page, int(first) if first else None
            ),
        )
