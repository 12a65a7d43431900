"""Tips: /tip in private, admin preview / post now / stats, readers' rating buttons, and the
Bot API side of posting to the channel."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translations, Translator
from bot.services.deliveries import Ledger
from bot.services.tips import TipScore, TipsService, Vote
from bot.settings import Settings
from bot.telegram.render import channel_text, explain_reason, tip_card, tip_title
from content import Content
from handlers.callbacks import Rating, TipMore, TipRate
from handlers.filters import BotAdmin, GroupChat, PrivateChat
from handlers.keyboards import more_tip, open_private, tip_rating

log = logging.getLogger(__name__)

STATS_SIZE = 5
#: how long /tip_now waits for Telegram's answer before saying the post is on its way
POST_NOW_WAIT = 15.0


def problem_of(state: str, error: str | None) -> str:
    """Why Telegram refused a post: not_admin (403), not_found, or rejected."""
    if state == "unreachable":
        return "not_admin"
    if error and "chat not found" in error.lower():
        return "not_found"
    return "rejected"


async def channel_title(bot: Bot, channel: str) -> str | None:
    """The channel's title as Telegram knows it (None when the bot cannot see it)."""
    try:
        chat = await bot.get_chat(channel)
    except TelegramAPIError:
        return None
    return chat.title


async def tip(message: Message, tips: TipsService, content: Content, i18n: Translator) -> None:
    chosen = tips.random_tip()
    await message.answer(tip_card(chosen, content, i18n), reply_markup=more_tip(chosen.id, i18n))


async def tip_in_group(message: Message, bot: Bot, i18n: Translator) -> None:
    me = await bot.me()
    await message.reply(
        i18n.t("common.private_only"), reply_markup=open_private(me.username or "", i18n)
    )


async def more(
    query: CallbackQuery,
    callback_data: TipMore,
    bot: Bot,
    tips: TipsService,
    content: Content,
    i18n: Translator,
) -> None:
    chosen = tips.random_tip(exclude=callback_data.after)
    if query.message is not None:
        await bot.send_message(
            query.message.chat.id,
            tip_card(chosen, content, i18n),
            reply_markup=more_tip(chosen.id, i18n),
        )


VOTED = {
    None: "tips.vote_removed",
    Vote.USEFUL: "tips.voted_useful",
    Vote.NOT_FOR_ME: "tips.voted_not_for_me",
}


async def rate(
    query: CallbackQuery,
    callback_data: TipRate,
    bot: Bot,
    tips: TipsService,
    translations: Translations,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    if query.message is None:
        callback_answer.text = i18n.t("errors.stale_button")
        return
    vote = Vote.USEFUL if callback_data.rating is Rating.USEFUL else Vote.NOT_FOR_ME
    result = await tips.vote(
        query.message.chat.id, query.message.message_id, query.from_user.id, vote
    )
    callback_answer.text = i18n.t(VOTED[result.now])
    channel_i18n = translations.get(translations.default)
    await bot.edit_message_reply_markup(
        chat_id=result.chat_id,
        message_id=result.message_id,
        reply_markup=tip_rating(result.counts.useful, result.counts.not_for_me, channel_i18n),
    )


async def admin_in_group(message: Message, i18n: Translator) -> None:
    await message.reply(i18n.t("common.private_only"))


async def preview(
    message: Message,
    bot: Bot,
    tips: TipsService,
    content: Content,
    settings: Settings,
    i18n: Translator,
) -> None:
    channel = settings.tips_channel
    if not channel:
        await message.answer(i18n.t("tips.no_channel"))
        return
    upcoming = await tips.peek_next(channel)
    title = await channel_title(bot, channel)
    card = tip_card(upcoming, content, i18n)
    await message.answer(channel_text(i18n, "tips.preview", channel, title, card=card))


async def post_now(
    message: Message,
    bot: Bot,
    tips: TipsService,
    ledger: Ledger,
    settings: Settings,
    i18n: Translator,
) -> None:
    channel = settings.tips_channel
    if not channel:
        await message.answer(i18n.t("tips.no_channel"))
        return
    queued = await tips.post_next(channel)
    row = await ledger.finished(queued.key, timeout=POST_NOW_WAIT)
    named = await channel_title(bot, channel)
    tip_name = tip_title(queued.tip, i18n)
    if row is None:
        text = channel_text(i18n, "tips.queued", channel, named, title=tip_name)
    elif row.state == "sent":
        text = channel_text(i18n, "tips.posted", channel, named, title=tip_name)
    else:
        text = explain_reason(channel, problem_of(row.state, row.error), i18n, named)
    await message.answer(text)


def _stats_lines(header: str, group: list[TipScore], i18n: Translator) -> list[str]:
    lines = [header]
    lines.extend(
        i18n.t(
            "tips.stats_line",
            title=tip_title(s.tip, i18n),
            useful=s.useful,
            not_for_me=s.not_for_me,
        )
        for s in group
    )
    return [*lines, ""]


async def stats(message: Message, tips: TipsService, i18n: Translator) -> None:
    board = await tips.board(STATS_SIZE)
    if not board.posted:
        await message.answer(i18n.t("tips.stats_empty"))
        return
    lines = [i18n.t("tips.stats_header", posted=i18n.t("tips.count", n=board.posted)), ""]
    if not board.best and not board.worst:
        lines.append(i18n.t("tips.stats_unrated"))
    if board.best:
        lines.extend(_stats_lines(i18n.t("tips.stats_best"), board.best, i18n))
    if board.worst:
        lines.extend(_stats_lines(i18n.t("tips.stats_worst"), board.worst, i18n))
    elif board.best:
        lines.extend([i18n.t("tips.stats_worst"), i18n.t("tips.stats_worst_none")])
    await message.answer("\n".join(lines).strip())


async def not_admin(message: Message, i18n: Translator) -> None:
    await message.answer(i18n.t("errors.not_admin"))


ADMIN_COMMANDS = ("tip_preview", "tip_now", "tip_stats")


def setup() -> Router:
    admin = Router(name="tips.admin")
    admin.message.filter(BotAdmin())
    admin.message.register(admin_in_group, Command(*ADMIN_COMMANDS), GroupChat())
    admin.message.register(preview, Command("tip_preview"), PrivateChat())
    admin.message.register(post_now, Command("tip_now"), PrivateChat())
    admin.message.register(stats, Command("tip_stats"), PrivateChat())

    readers = Router(name="tips.readers")
    readers.message.register(tip, Command("tip"), PrivateChat())
    readers.message.register(tip_in_group, Command("tip"), GroupChat())
    # «another tip» answers in the chat it is pressed in: private only
    readers.callback_query.register(more, TipMore.filter(), PrivateChat())
    readers.callback_query.register(rate, TipRate.filter())
    readers.message.register(not_admin, Command(*ADMIN_COMMANDS))

    router = Router(name="tips")
    router.include_routers(admin, readers)
    return router
