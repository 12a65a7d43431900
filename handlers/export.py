"""/export for leads: the team's kudos of this month, of all time or of a given month, as a
CSV document (``/export``) or an Excel workbook (``/export xlsx``), written from rows
streamed out of the database (memory stays flat for any size). File formats: ``bot.sheets``."""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator
from datetime import datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import FSInputFile, Message

from bot import sheets
from bot.clock import Clock
from bot.i18n import Translator
from bot.services.kudos import KudosService, Period, month_bounds, period_start
from bot.services.teams import Team, TeamsService
from handlers.filters import IsLead, PrivateChat, TeamHere

MONTH_ARG = re.compile(r"^(\d{4})-(\d{2})$")
ALL_WORDS = ("all", "всё", "все")
#: the argument asking for an Excel workbook instead of CSV (a file format, not a word)
XLSX_WORDS = ("xlsx", "excel")

Window = tuple[datetime | None, datetime | None, str]


def _period(arg: str, team: Team, clock: Clock, i18n: Translator) -> Window | None:
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


def _wants_xlsx(args: str) -> tuple[bool, str]:
    """Whether the arguments ask for .xlsx, and the rest of them (the period)."""
    words = args.strip().casefold().split()
    rest = [word for word in words if word not in XLSX_WORDS]
    return len(rest) < len(words), " ".join(rest)


async def _rows(
    kudos: KudosService,
    team: Team,
    window: Window,
    names: dict[str, str],
    i18n: Translator,
) -> AsyncIterator[sheets.Row]:
    since, until, _label = window
    tz = ZoneInfo(team.timezone)
    someone = i18n.t("kudos.someone")
    async for created, giver, receiver, quality_id, reason in kudos.export_rows(team, since, until):
        quality = names.get(quality_id, quality_id)
        yield created.astimezone(tz), giver or someone, receiver or someone, quality, reason


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
    xlsx, arg = _wants_xlsx(command.args or "")
    window = _period(arg, team, clock, i18n)
    if window is None:
        await message.answer(i18n.t("kudos.export_how"))
        return
    label = window[2]
    names = {q.id: q.name(i18n.code) for q in await teams.portrait(team)}
    header = i18n.t("kudos.export_header").split(",")
    rows = _rows(kudos, team, window, names, i18n)
    suffix = ".xlsx" if xlsx else ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"kudos-{team.id}{suffix}"
        if xlsx:
            count = await sheets.write_xlsx(path, label, header, rows)
        else:
            count = await sheets.write_csv(path, header, rows)
        await bot.send_document(
            message.chat.id,
            FSInputFile(path, filename=f"kudos-{label.replace(' ', '-')}{suffix}"),
            caption=i18n.t(
                "kudos.export_ready", team=escape(team.title), period=escape(label), n=count
            ),
        )


def setup() -> Router:
    router = Router(name="export")
    router.message.register(export, Command("export"), PrivateChat(), TeamHere(), IsLead())
    return router
