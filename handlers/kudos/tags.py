"""/tags (members, in the team chat or in private): the team's qualities with the #tag that
picks each in /kudos. Read-only; the lead changes the portrait with /portrait."""

from __future__ import annotations

from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.i18n import Translator
from bot.services.errors import DomainError
from bot.services.kudos import KudosService
from bot.services.tags import tag_for
from bot.services.teams import PortraitQuality, Team, TeamsService
from bot.telegram.notifier import KudosNotifier
from bot.telegram.render import within
from handlers.filters import TeamHere


def tags_text(team: Team, qualities: list[PortraitQuality], i18n: Translator) -> str:
    lines = [i18n.t("kudos.tags_title", team=escape(team.title))]
    example = None
    for q in qualities:
        tag = tag_for(q, qualities, i18n.code)
        label = escape(q.button(i18n.code))
        if tag is None:
            lines.append(i18n.t("kudos.tags_untagged", quality=label))
            continue
        example = example or tag
        lines.append(i18n.t("kudos.tags_line", tag=escape(tag), quality=label))
    if example is not None:
        lines.insert(1, i18n.t("kudos.tags_how", tag=escape(example)))
    return within(lines, lambda n: i18n.t("common.and_more", n=n))


async def tags(
    message: Message,
    team: Team,
    teams: TeamsService,
    kudos: KudosService,
    notifier: KudosNotifier,
    i18n: Translator,
) -> None:
    assert message.from_user is not None
    if await teams.member(team, message.from_user.id) is None:
        raise DomainError("teams.not_member")
    in_group = message.chat.id == team.chat_id
    shown = notifier.team_i18n(team) if in_group else i18n
    text = tags_text(team, await kudos.qualities_for(team), shown)
    if in_group:
        await message.reply(text)
    else:
        await message.answer(text)


def setup() -> Router:
    router = Router(name="kudos.tags")
    router.message.register(tags, Command("tags"), TeamHere())
    return router
