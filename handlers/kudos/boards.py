"""/top (by period and by quality) and /mykudos with its pages."""

from __future__ import annotations

from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from bot.services.errors import DomainError
from bot.services.kudos import Board, KudosService, Period, match_quality
from bot.services.teams import PortraitQuality, Team, TeamsService
from bot.telegram.render import full_name, member_name
from handlers.callbacks import MinePage
from handlers.filters import PrivateChat, TeamHere
from handlers.keyboards import mine_pages

PERIOD_WORDS = {
    "week": Period.WEEK,
    "неделя": Period.WEEK,
    "month": Period.MONTH,
    "месяц": Period.MONTH,
    "all": Period.ALL,
    "всё": Period.ALL,
    "все": Period.ALL,
}
PERIOD_KEYS = {
    Period.WEEK: "kudos.period_week",
    Period.MONTH: "kudos.period_month",
    Period.ALL: "kudos.period_all",
}


def _top_args(
    args: str, qualities: list[PortraitQuality]
) -> tuple[Period, PortraitQuality | None] | None:
    """(period, quality) of ``/top [period] [quality]``, or None when a word is neither."""
    period, quality = Period.MONTH, None
    for word in args.split():
        if word.casefold() in PERIOD_WORDS:
            period = PERIOD_WORDS[word.casefold()]
            continue
        quality = match_quality(word, qualities)
        if quality is None:
            return None
    return period, quality


def _quality_lines(board: Board, qualities: list[PortraitQuality], i18n: Translator) -> list[str]:
    lines = ["", i18n.t("kudos.top_qualities")]
    for entry in board.qualities:
        q = next((x for x in qualities if x.id == entry.key), None)
        lines.append(
            i18n.t(
                "kudos.top_quality_line",
                quality=escape(q.name(i18n.code) if q else str(entry.key)),
                n=entry.count,
            )
        )
    return lines


async def top(
    message: Message,
    command: CommandObject,
    team: Team,
    teams: TeamsService,
    kudos: KudosService,
    i18n: Translator,
) -> None:
    qualities = await teams.portrait(team)
    parsed = _top_args(command.args or "", qualities)
    if parsed is None:
        await message.answer(i18n.t("kudos.bad_period"))
        return
    period, quality = parsed
    board = await kudos.board(team, period, quality.id if quality else None)
    period_name = i18n.t(PERIOD_KEYS[period])
    if quality is not None:
        title = i18n.t(
            "kudos.top_title_quality", quality=escape(quality.name(i18n.code)), period=period_name
        )
    else:
        title = i18n.t("kudos.top_title", period=period_name)
    if not board.receivers:
        await message.answer(title + "\n" + i18n.t("kudos.top_empty"))
        return
    lines = [title]
    people = await teams.members_by_id(team, [user_id for _, user_id, _ in board.receivers])
    for place, user_id, count in board.receivers:
        name = member_name(people.get(user_id), i18n)
        lines.append(i18n.t("kudos.top_line", place=place, name=name, n=count))
    if quality is None and board.qualities:
        lines.extend(_quality_lines(board, qualities, i18n))
    await message.answer("\n".join(lines))


async def _mine_text(
    team: Team,
    user_id: int,
    page: int,
    teams: TeamsService,
    kudos: KudosService,
    i18n: Translator,
) -> tuple[str, bool]:
    mine = await kudos.mine(team, user_id, page)
    qualities = {q.id: q for q in await teams.portrait(team)}

    def qname(qid: object) -> str:
        q = qualities.get(str(qid))
        return escape(q.name(i18n.code) if q else str(qid))

    lines = [
        i18n.t(
            "kudos.mine_title", team=escape(team.title), received=mine.received, given=mine.given
        )
    ]
    if not mine.received and not mine.given:
        lines.append(i18n.t("kudos.mine_empty"))
    for key, counts in (
        ("kudos.mine_received", mine.received_by_quality),
        ("kudos.mine_given", mine.given_by_quality),
    ):
        if counts:
            lines.extend(["", i18n.t(key)])
            lines.extend(
                i18n.t("kudos.top_quality_line", quality=qname(c.key), n=c.count) for c in counts
            )
    if mine.last_received:
        lines.extend(["", i18n.t("kudos.mine_last")])
        lines.extend(
            i18n.t(
                "kudos.mine_reason",
                giver=full_name(r.giver_name, None, i18n),
                reason=escape(r.reason),
                quality=qname(r.quality_id),
            )
            for r in mine.last_received
        )
    return "\n".join(lines), mine.has_more


async def my_kudos(
    message: Message, team: Team, teams: TeamsService, kudos: KudosService, i18n: Translator
) -> None:
    text, more = await _mine_text(team, message.chat.id, 0, teams, kudos, i18n)
    await message.answer(text, reply_markup=mine_pages(team.id, 0, more, i18n))


async def my_kudos_page(
    query: CallbackQuery,
    callback_data: MinePage,
    bot: Bot,
    teams: TeamsService,
    kudos: KudosService,
    i18n: Translator,
) -> None:
    team = await teams.by_id(callback_data.team_id)
    if await teams.member(team, query.from_user.id) is None:
        raise DomainError("teams.not_member")
    page = max(0, callback_data.page)
    text, more = await _mine_text(team, query.from_user.id, page, teams, kudos, i18n)
    assert query.message is not None
    await bot.edit_message_text(
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        text=text,
        reply_markup=mine_pages(team.id, page, more, i18n),
    )


def setup() -> Router:
    router = Router(name="kudos.boards")
    router.message.register(top, Command("top"), TeamHere())
    router.message.register(my_kudos, Command("mykudos"), PrivateChat(), TeamHere())
    router.callback_query.register(my_kudos_page, MinePage.filter())
    return router
