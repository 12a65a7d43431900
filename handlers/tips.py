"""Tips: /tip in private, admin preview / post now / stats, readers' rating buttons, and the
Bot API side of posting to the channel."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translations, Translator
from bot.services.errors import ChannelUnavailable
from bot.services.tips import TipsService, Vote
from bot.settings import Settings
from content import Content, Tip
from handlers.callbacks import Rating, TipMore, TipRate
from handlers.filters import BotAdmin, GroupChat, PrivateChat
from handlers.keyboards import more_tip, open_private, tip_rating
from handlers.render import tip_card, tip_title

log = logging.getLogger(__name__)

STATS_SIZE = 5


class TelegramTipPoster:
    """Posts tips to a channel over the Bot API, and tells the bot's admins when it cannot."""

    def __init__(
        self, bot: Bot, content: Content, translations: Translations, admin_ids: frozenset[int]
    ) -> None:
        self._bot = bot
        self._content = content
        self._i18n = translations.get(translations.default)
        self._admin_ids = admin_ids

    async def post(self, channel: str, tip: Tip) -> tuple[int, int]:
        chat_id: int | str = int(channel) if channel.lstrip("-").isdigit() else channel
        try:
            message = await self._bot.send_message(
                chat_id=chat_id,
                text=tip_card(tip, self._content, self._i18n),
                reply_markup=tip_rating(0, 0, self._i18n),
            )
        except TelegramForbiddenError as exc:
            raise ChannelUnavailable(channel, "not_admin", exc.message) from exc
        except TelegramBadRequest as exc:
            reason = "not_found" if "chat not found" in exc.message.lower() else "rejected"
            raise ChannelUnavailable(channel, reason, exc.message) from exc
        log.info("posted tip %s to %s as message %s", tip.id, channel, message.message_id)
        return message.chat.id, message.message_id

    async def notify_admins(self, problem: ChannelUnavailable) -> None:
        log.error(
            "cannot post a tip to %s: %s (%s)", problem.channel, problem.reason, problem.detail
        )
        text = self._i18n.t("tips.alert", problem=explain(problem, self._i18n))
        for admin_id in sorted(self._admin_ids):
            try:
                await self._bot.send_message(admin_id, text)
            except (TelegramForbiddenError, TelegramBadRequest) as exc:
                log.warning("cannot notify admin %s: %s", admin_id, exc.message)


def explain(problem: ChannelUnavailable, i18n: Translator) -> str:
    channel = escape(problem.channel)
    if problem.reason == "not_admin":
        return i18n.t("tips.not_admin", channel=channel)
    if problem.reason == "not_found":
        return i18n.t("tips.not_found", channel=channel)
    return i18n.t("tips.failed", channel=channel, detail=escape(problem.detail))


def setup() -> Router:
    router = Router(name="tips")

    @router.message(Command("tip"), PrivateChat())
    async def tip(message: Message, tips: TipsService, content: Content, i18n: Translator) -> None:
        chosen = tips.random_tip()
        await message.answer(
            tip_card(chosen, content, i18n), reply_markup=more_tip(chosen.id, i18n)
        )

    @router.message(Command("tip"), GroupChat())
    async def tip_in_group(message: Message, bot: Bot, i18n: Translator) -> None:
        me = await bot.me()
        await message.reply(
            i18n.t("common.private_only"), reply_markup=open_private(me.username or "", i18n)
        )

    @router.callback_query(TipMore.filter())
    async def more(
        query: CallbackQuery,
        callback_data: TipMore,
        tips: TipsService,
        content: Content,
        i18n: Translator,
    ) -> None:
        chosen = tips.random_tip(exclude=callback_data.after)
        if query.message is not None:
            await query.bot.send_message(  # type: ignore[union-attr]
                query.message.chat.id,
                tip_card(chosen, content, i18n),
                reply_markup=more_tip(chosen.id, i18n),
            )

    @router.callback_query(TipRate.filter())
    async def rate(
        query: CallbackQuery,
        callback_data: TipRate,
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
        if result.now is None:
            callback_answer.text = i18n.t("tips.vote_removed")
        elif result.now is Vote.USEFUL:
            callback_answer.text = i18n.t("tips.voted_useful")
        else:
            callback_answer.text = i18n.t("tips.voted_not_for_me")
        channel_i18n = translations.get(translations.default)
        try:
            await query.bot.edit_message_reply_markup(  # type: ignore[union-attr]
                chat_id=result.chat_id,
                message_id=result.message_id,
                reply_markup=tip_rating(
                    result.counts.useful, result.counts.not_for_me, channel_i18n
                ),
            )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise

    admin = Router(name="tips-admin")
    admin.message.filter(BotAdmin())

    @admin.message(Command("tip_preview", "tip_now", "tip_stats"), GroupChat())
    async def admin_in_group(message: Message, i18n: Translator) -> None:
        await message.reply(i18n.t("common.private_only"))

    @admin.message(Command("tip_preview"), PrivateChat())
    async def preview(
        message: Message, tips: TipsService, content: Content, settings: Settings, i18n: Translator
    ) -> None:
        if not settings.tips_channel:
            await message.answer(i18n.t("tips.no_channel"))
            return
        upcoming = await tips.peek_next(settings.tips_channel)
        await message.answer(
            i18n.t(
                "tips.preview",
                channel=escape(settings.tips_channel),
                card=tip_card(upcoming, content, i18n),
            )
        )

    @admin.message(Command("tip_now"), PrivateChat())
    async def post_now(
        message: Message,
        tips: TipsService,
        poster: TelegramTipPoster,
        settings: Settings,
        i18n: Translator,
    ) -> None:
        if not settings.tips_channel:
            await message.answer(i18n.t("tips.no_channel"))
            return
        try:
            posted = await tips.post_next(settings.tips_channel, poster)
        except ChannelUnavailable as problem:
            log.error(
                "cannot post a tip to %s: %s (%s)", problem.channel, problem.reason, problem.detail
            )
            await message.answer(explain(problem, i18n))
            return
        await message.answer(
            i18n.t(
                "tips.posted",
                title=tip_title(posted.tip, i18n),
                channel=escape(settings.tips_channel),
            )
        )

    @admin.message(Command("tip_stats"), PrivateChat())
    async def stats(message: Message, tips: TipsService, i18n: Translator) -> None:
        scores = await tips.scores()
        if not scores:
            await message.answer(i18n.t("tips.stats_empty"))
            return
        lines = [i18n.t("tips.stats_header", posted=i18n.t("tips.count", n=len(scores))), ""]
        best = scores[:STATS_SIZE]
        worst = list(reversed(scores[STATS_SIZE:]))[:STATS_SIZE]
        for header, group in (("tips.stats_best", best), ("tips.stats_worst", worst)):
            if not group:
                continue
            lines.append(i18n.t(header))
            lines.extend(
                i18n.t(
                    "tips.stats_line",
                    title=tip_title(s.tip, i18n),
                    useful=s.useful,
                    not_for_me=s.not_for_me,
                )
                for s in group
            )
            lines.append("")
        await message.answer("\n".join(lines).strip())

    @router.message(Command("tip_preview", "tip_now", "tip_stats"))
    async def not_admin(message: Message, i18n: Translator) -> None:
        await message.answer(i18n.t("errors.not_admin"))

    parent = Router(name="tips-root")
    parent.include_routers(admin, router)
    return parent
