"""/export for leads: the team's kudos of a month, of all time or of a given month, as CSV
streamed from the database (memory stays flat for any size)."""

from __future__ import annotations

import csv
import re
import tempfile
from datetime import datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import FSInputFile, Message

from bot.clock import Clock
from bot.i18n import Translator
from bot.services.kudos import KudosService, Period, month_bounds, period_start
from bot.services.teams import Team, TeamsService
from handlers.filters import IsLead, PrivateChat, TeamHere

MONTH_ARG = re.compile(r"^(\d{4})-(\d{2})$")
ALL_WORDS = ("all", "всё", "все")


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _period(
    arg: str, team: Team, clock: Clock, i18n: Translator
) -> tuple[datetime | None, datetime | None, str] | None:
    """(since, until, label) of the command's argument, or None when it is not one."""
    if not arg:
        since = period_start(Period.MONTH, clock.now(), team.timezone)
        return since, None, i18n.t("kudos.period_month")
    if arg in ALL_WORDS:
        return None, None, i18n.t("kudos.period_all")
    found = MONTH_ARG.match(arg)
    if found and int(found.group(1)) >= 1 and 1 <= int(found.group(2)) <= 12:
        since, until = month_bounds(int(found.group(1)), int(found.group(2)), team.timezone)
        return since, until, arg
    return None


async def export(
    message: Message,
    command: CommandObject,
    bot: Bot,
    team: Team,
    teams: TeamsService,
    kudos: KudosService,
    clock: Clock,
    i18n: Translator,
) -> None:
    period = _period((command.args or "").strip().casefold(), team, clock, i18n)
    if period is None:
        await message.answer(i18n.t("kudos.export_how"))
        return
    since, until, label = period
    names = {q.id: q.name(i18n.code) for q in await teams.portrait(team)}
    tz = ZoneInfo(team.timezone)
    someone = i18n.t("kudos.someone")
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"kudos-{team.id}.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow(i18n.t("kudos.export_header").split(","))
            async for created, giver, receiver, quality_id, reason in kudos.export_rows(
                team, since, until
            ):
                writer.writerow(
                    [
                        created.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                        _cell(giver or someone),
                        _cell(receiver or someone),
                        _cell(names.get(quality_id, quality_id)),
                        _cell(reason),
                    ]
                )
                rows += 1
        await bot.send_document(
            message.chat.id,
            FSInputFile(path, filename=f"kudos-{label.replace(' ', '-')}.csv"),
            caption=i18n.t(
                "kudos.export_ready", team=escape(team.title), period=escape(label), n=rows
            ),
        )


def setup() -> Router:
    router = Router(name="export")
    router.message.register(export, Command("export"), PrivateChat(), TeamHere(), IsLead())
    return router
