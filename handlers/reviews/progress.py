"""/progress: two PNG charts — self-ratings per quality over 12 weeks, and the self-rating
beside the kudos received per quality — with a short reading of them. The charts are drawn
in worker processes (``bot.charts``), so other users are not delayed."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.chat_action import ChatActionSender
from markupsafe import escape

from bot.charts import ChartTexts, TrendSeries
from bot.i18n import Translator
from bot.services.reviews import Progress, ReviewsService
from bot.telegram.charts import Charts
from handlers.filters import PrivateChat


def chart_texts(i18n: Translator) -> ChartTexts:
    return ChartTexts(
        trend_title=i18n.t("review.progress_trend"),
        versus_title=i18n.t("review.progress_versus"),
        self_label=i18n.t("review.progress_self"),
        kudos_label=i18n.t("review.progress_kudos"),
        no_data=i18n.t("review.progress_no_data"),
        decimal_mark=i18n.t("review.decimal_mark"),
    )


def _label(progress: Progress, quality_id: str, i18n: Translator) -> str:
    quality = progress.qualities.get(quality_id)
    return quality.button(i18n.code) if quality else quality_id


def _number(value: float, i18n: Translator) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", i18n.t("review.decimal_mark"))


def reading(progress: Progress, i18n: Translator) -> str:
    """A sentence or two on the self-view beside the peers' view."""
    lines = []
    if progress.kudos:
        top = max(progress.kudos, key=lambda q: (progress.kudos[q], q))
        times = i18n.t("review.times", n=progress.kudos[top])
        line = i18n.t(
            "review.progress_top", quality=escape(_label(progress, top, i18n)), times=times
        )
        own = progress.average(top)
        extra = (
            i18n.t("review.progress_top_self", value=_number(own, i18n))
            if own is not None
            else i18n.t("review.progress_top_unrated")
        )
        lines.append(f"{line} {extra}")
    else:
        lines.append(i18n.t("review.progress_no_kudos"))
    rated = {q: v for q in progress.ratings if (v := progress.average(q)) is not None}
    if rated:
        low = min(rated, key=lambda q: (rated[q], q))
        line = i18n.t(
            "review.progress_low",
            quality=escape(_label(progress, low, i18n)),
            value=_number(rated[low], i18n),
        )
        if progress.kudos.get(low):
            line += " " + i18n.t(
                "review.progress_low_kudos", times=i18n.t("review.times", n=progress.kudos[low])
            )
        lines.append(line)
    return "\n\n".join(lines)


def _week_label(week: str, i18n: Translator) -> str:
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return f"{monday:%d.%m}"


async def progress_command(
    message: Message, bot: Bot, reviews: ReviewsService, charts: Charts, i18n: Translator
) -> None:
    assert message.from_user is not None
    found = await reviews.progress(message.from_user.id)
    if not found.ratings:
        await message.answer(i18n.t("review.progress_none"))
        return
    texts = chart_texts(i18n)
    series = [
        TrendSeries(quality=_label(found, q, i18n), ratings=values)
        for q, values in found.ratings.items()
    ]
    shown = list(dict.fromkeys([*found.ratings, *found.kudos]))
    rows = [(_label(found, q, i18n), found.average(q), found.kudos.get(q, 0)) for q in shown]
    async with ChatActionSender.upload_photo(bot=bot, chat_id=message.chat.id):
        renderer = charts.get()
        trend = await renderer.trend([_week_label(w, i18n) for w in found.weeks], series, texts)
        versus = await renderer.versus(rows, texts)
    await message.answer_photo(BufferedInputFile(trend, "trend.png"))
    await message.answer_photo(
        BufferedInputFile(versus, "versus.png"), caption=reading(found, i18n)
    )


def setup() -> Router:
    router = Router(name="reviews.progress")
    router.message.filter(PrivateChat())
    router.message.register(progress_command, Command("progress"))
    return router
