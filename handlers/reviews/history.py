"""/reviews: the user's past weeks; a week opens with its feedback."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from markupsafe import Markup, escape

from bot.i18n import Translator
from bot.services.reviews import ReviewsService
from bot.services.teams import TeamsService
from handlers.filters import PrivateChat
from handlers.reviews import keyboards
from handlers.reviews.callbacks import HistoryOpen
from handlers.reviews.render import short, summary
from storage.repo import reviews as reviews_repo


async def history_command(message: Message, reviews: ReviewsService, i18n: Translator) -> None:
    assert message.from_user is not None
    found = await reviews.history(message.from_user.id)
    if not found:
        await message.answer(i18n.t("review.history_empty"))
        return
    await message.answer(
        i18n.t("review.history_title"), reply_markup=keyboards.history(found, i18n)
    )


async def open_week(
    query: CallbackQuery,
    callback_data: HistoryOpen,
    bot: Bot,
    reviews: ReviewsService,
    teams: TeamsService,
    i18n: Translator,
) -> None:
    assert query.message is not None
    page = await reviews.read(callback_data.review, query.from_user.id)
    qualities = await reviews.qualities(page.review.team_id)
    team = await teams.by_id(page.review.team_id)
    members = await teams.members_by_id(team, [f.peer_id for f in page.feedback])
    lines = [Markup(i18n.t("review.history_feedback"))]
    for f in page.feedback:
        member = members.get(f.peer_id)
        name = escape(
            f"{member.first_name or ''} {member.last_name or ''}".strip()
            if member
            else i18n.t("review.someone")
        ) or escape(i18n.t("review.someone"))
        if f.state == reviews_repo.ANSWERED:
            text = i18n.t(
                "review.feedback_answered", name=name, text=escape(short(f.answer or "", 300))
            )
        elif f.state == reviews_repo.DECLINED:
            text = i18n.t("review.feedback_declined", name=name)
        else:
            text = i18n.t("review.feedback_pending", name=name)
        lines.append(Markup(text))
    if not page.feedback:
        lines.append(Markup(i18n.t("review.history_no_feedback")))
    body = summary(page.review, qualities, page.evidence, i18n, limit=2800)
    await bot.send_message(query.message.chat.id, body + Markup("\n\n") + Markup("\n").join(lines))


def setup() -> Router:
    router = Router(name="reviews.history")
    router.message.filter(PrivateChat())
    router.message.register(history_command, Command("reviews"))
    router.callback_query.register(open_week, HistoryOpen.filter())
    return router
