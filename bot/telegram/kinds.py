"""The Telegram side of the ledger: how each kind of row becomes a Bot API call.

Rows are rendered when they are sent, from the current state of the database, in the
reader's language (a team chat in the team's, a person in theirs); every text built from
user data is bounded to Telegram's limits by construction (``bot.telegram.render.within``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any

from aiogram.methods import DeleteMessage, EditMessageText, SendMessage
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.i18n import Translations, Translator
from bot.services.deliveries import BaseKind, DeliveryKind, Ledger, NotYet
from bot.services.kudos import KIND_ANNOUNCE, KIND_DM, KIND_EDIT, KIND_PROMPT, KudosService
from bot.services.recognition import (
    KIND_BIRTHDAY,
    KIND_DIGEST,
    KIND_MONTH,
    KIND_MONTH_DM,
    RecognitionService,
)
from bot.services.teams import Team, TeamsService
from bot.services.tips import KIND_ALERT, KIND_TIP, TipsService
from bot.services.users import UsersService
from bot.telegram.notifier import KudosNotifier
from bot.telegram.render import (
    TEXT_LIMIT,
    explain_reason,
    full_name,
    member_name,
    names_within,
    tip_card,
    within,
)
from content import Content

log = logging.getLogger(__name__)

NAMES_LIMIT = 1500
#: the readers' rating buttons under a posted tip (useful, not for me, reader's language);
#: the keyboard and its CallbackData belong to handlers/, so the composition root passes it in
TipButtons = Callable[[int, int, Translator], InlineKeyboardMarkup]
#: a target in these states may still get its message id
WAITING = ("pending", "claimed")


#: qualities named in the employee-of-the-month post
MONTH_QUALITIES = 3


def month_label(i18n: Translator, year: int, month: int) -> str:
    """«октябрь 2026» / «October 2026»: the month by name (the locale's ``kudos.month_names``)."""
    names = i18n.t("kudos.month_names").split(",")
    return f"{names[month - 1].strip()} {year}"


def _chat(value: str | int) -> int | str:
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else text


KIND_TEXT = "text"


class PlainText(BaseKind):
    """A message written when it was queued (payload ``text``, HTML); broadcasts, benchmarks."""

    async def render(self, row: Any) -> SendMessage:
        return SendMessage(chat_id=row.chat_id, text=str(row.payload["text"]))


class PromptExpiry(BaseKind):
    """A one-tap kudos prompt nobody used: removed from the team chat (a used one's row is
    cancelled when it is used)."""

    async def render(self, row: Any) -> DeleteMessage:
        return DeleteMessage(chat_id=row.chat_id, message_id=int(row.payload["message"]))


class KudosDm(BaseKind):
    """The receiver's personal message about a kudos."""

    def __init__(self, kudos: KudosService, notifier: KudosNotifier) -> None:
        self._kudos = kudos
        self._notifier = notifier

    async def render(self, row: Any) -> SendMessage | None:
        item = await self._kudos.get(int(row.payload["kudos"]))
        if item is None:  # undone before it went out
            return None
        text, markup = await self._notifier.dm(item)
        return SendMessage(chat_id=row.chat_id, text=text, reply_markup=markup)

    async def on_unreachable(self, conn: AsyncConnection, row: Any) -> None:
        await UsersService.mark_blocked(conn, row.chat_id, row.due_at)


class KudosAnnounce(BaseKind):
    """The team chat hears of a kudos given in private; the DM's link points at it."""

    def __init__(self, kudos: KudosService, teams: TeamsService, notifier: KudosNotifier) -> None:
        self._kudos = kudos
        self._teams = teams
        self._notifier = notifier

    async def render(self, row: Any) -> SendMessage | None:
        given = await self._kudos.by_ids([int(i) for i in row.payload["kudos"]])
        if not given:
            return None
        team = await self._teams.by_id(int(row.payload["team"]))
        text = await self._notifier.card(team, given, self._notifier.team_i18n(team))
        return SendMessage(chat_id=team.chat_id, text=text)

    async def on_sent(
        self, conn: AsyncConnection, row: Any, chat_id: int | None, message_id: int | None
    ) -> None:
        if chat_id is not None and message_id is not None:
            ids = [int(i) for i in row.payload["kudos"]]
            await KudosService.linked(conn, ids, chat_id, message_id)


class KudosEdit(BaseKind):
    """A sent DM or announcement shown again: withdrawn (undo) or with the new quality."""

    def __init__(
        self, kudos: KudosService, teams: TeamsService, notifier: KudosNotifier, ledger: Ledger
    ) -> None:
        self._kudos = kudos
        self._teams = teams
        self._notifier = notifier
        self._ledger = ledger

    async def render(self, row: Any) -> EditMessageText | None:
        target = await self._ledger.row(str(row.payload["target"]))
        if target is not None and target.message_id is None and target.state in WAITING:
            raise NotYet()  # still being sent: edit it once its message id is recorded
        if target is None or target.message_id is None:
            return None
        team = await self._teams.by_id(int(row.payload["team"]))
        chat_id = target.sent_chat_id or target.chat_id
        personal = target.kind == KIND_DM
        i18n = (
            await self._notifier.i18n_of(target.chat_id)
            if personal
            else self._notifier.team_i18n(team)
        )
        if row.payload.get("withdrawn"):
            giver = await self._teams.member(team, int(row.payload.get("giver") or 0))
            text = i18n.t("kudos.undone", giver=member_name(giver, i18n))
            return EditMessageText(chat_id=chat_id, message_id=target.message_id, text=text)
        given = await self._kudos.by_ids([int(i) for i in row.payload["kudos"]])
        if not given:
            return None
        if personal:
            mine = [k for k in given if k.receiver_id == target.chat_id] or given[:1]
            text, markup = await self._notifier.dm(mine[0])
            return EditMessageText(
                chat_id=chat_id, message_id=target.message_id, text=text, reply_markup=markup
            )
        text = await self._notifier.card(team, given, i18n)
        return EditMessageText(chat_id=chat_id, message_id=target.message_id, text=text)


class TipPost(BaseKind):
    """A scheduled (or ``/tip_now``) tip in the channel; recorded as posted once it is."""

    def __init__(
        self, tips: TipsService, content: Content, i18n: Translator, buttons: TipButtons
    ) -> None:
        self._tips = tips
        self._content = content
        self._i18n = i18n
        self._buttons = buttons

    async def render(self, row: Any) -> SendMessage | None:
        tip = self._tips.get(str(row.payload["tip"]))
        return SendMessage(
            chat_id=_chat(row.payload["channel"]),
            text=tip_card(tip, self._content, self._i18n),
            reply_markup=self._buttons(0, 0, self._i18n),
        )

    async def on_sent(
        self, conn: AsyncConnection, row: Any, chat_id: int | None, message_id: int | None
    ) -> None:
        assert chat_id is not None
        assert message_id is not None
        await self._tips.recorded(conn, row.payload, chat_id, message_id)
        log.info("posted tip %s to %s as message %s", row.payload["tip"], chat_id, message_id)

    async def on_failed(self, conn: AsyncConnection, row: Any, error: str) -> None:
        await self._tips.not_posted(conn, row.payload, "not_found" if "not found" in error else "")

    async def on_unreachable(self, conn: AsyncConnection, row: Any) -> None:
        await self._tips.not_posted(conn, row.payload, "not_admin")


class AdminAlert(BaseKind):
    """A tip could not be posted: the bot's admins hear why, in their own language."""

    def __init__(self, notifier: KudosNotifier) -> None:
        self._notifier = notifier

    async def render(self, row: Any) -> SendMessage:
        i18n = await self._notifier.i18n_of(row.chat_id)
        problem = explain_reason(
            str(row.payload.get("channel", "")), str(row.payload.get("reason", "")), i18n
        )
        return SendMessage(chat_id=row.chat_id, text=i18n.t("tips.alert", problem=problem))


class TeamEvent(BaseKind):
    """Employee of the month, a birthday greeting, the weekly digest, the winner's DM."""

    def __init__(
        self,
        teams: TeamsService,
        kudos: KudosService,
        recognition: RecognitionService,
        notifier: KudosNotifier,
    ) -> None:
        self._teams = teams
        self._kudos = kudos
        self._recognition = recognition
        self._notifier = notifier

    async def render(self, row: Any) -> SendMessage | None:
        team = await self._teams.by_id(int(row.payload["team"]))
        text = await self._text(team, row)
        return SendMessage(chat_id=row.chat_id, text=text) if text else None

    async def _text(self, team: Team, row: Any) -> str | None:
        p = row.payload
        if row.kind == KIND_MONTH:
            return await self._month(team, int(p["year"]), int(p["month"]))
        if row.kind == KIND_MONTH_DM:
            i18n = await self._notifier.i18n_of(row.chat_id)
            label = month_label(i18n, int(p["year"]), int(p["month"]))
            return i18n.t("kudos.month_dm", month=label, team=escape(team.title))
        if row.kind == KIND_BIRTHDAY:
            i18n = self._notifier.team_i18n(team)
            member = await self._teams.member(team, int(p["user"]))
            if member is None:  # left the team since
                return None
            return i18n.t("kudos.birthday_greeting", name=member_name(member, i18n))
        if row.kind == KIND_DIGEST:
            since, until = datetime.fromisoformat(p["since"]), datetime.fromisoformat(p["until"])
            return await self._digest(team, since, until)
        return None

    async def _quality_names(self, team: Team, keys: list[Any], i18n: Translator) -> list[str]:
        names = []
        for key in keys:
            quality = await self._teams.quality(team, str(key))
            names.append(escape(quality.name(i18n.code)) if quality else escape(str(key)))
        return names

    async def _month(self, team: Team, year: int, month: int) -> str | None:
        winners = await self._kudos.month_winners(team, year, month)
        if not winners:
            return None
        i18n = self._notifier.team_i18n(team)
        more = self._more(i18n)
        people = await self._teams.members_by_id(team, [w.user_id for w in winners])
        names = names_within(
            [member_name(people.get(w.user_id), i18n) for w in winners], more, NAMES_LIMIT
        )
        # the qualities the winners were thanked for most, all of them together (a tie too)
        merged: dict[str, int] = {}
        for w in winners:
            for c in w.qualities:
                merged[str(c.key)] = merged.get(str(c.key), 0) + c.count
        top = sorted(merged, key=lambda key: -merged[key])[:MONTH_QUALITIES]
        qualities = await self._quality_names(team, top, i18n)
        title = i18n.t(
            "kudos.month_title",
            month=month_label(i18n, year, month),
            names=names,
            n=winners[0].count,
            qualities=", ".join(qualities),
        )
        lines = [title]
        for w in winners:
            for reason in w.reasons:
                lines.append(
                    i18n.t(
                        "kudos.month_reason",
                        reason=escape(reason.reason),
                        giver=full_name(reason.giver_name, None, i18n),
                    )
                )
        return within(lines, more, TEXT_LIMIT)

    async def _digest(self, team: Team, since: datetime, until: datetime) -> str:
        i18n = self._notifier.team_i18n(team)
        digest = await self._recognition.digest(team, since, until)
        lines = [i18n.t("kudos.digest_title", team=escape(team.title))]
        if digest.total == 0:
            lines.append(i18n.t("kudos.digest_empty"))
        else:
            lines.append(i18n.t("kudos.digest_total", n=digest.total))
            names = await self._quality_names(team, [c.key for c in digest.qualities], i18n)
            lines.append(i18n.t("kudos.digest_qualities", qualities=", ".join(names)))
            if digest.newcomers:
                newcomers = names_within(
                    [member_name(m, i18n) for m in digest.newcomers], self._more(i18n), NAMES_LIMIT
                )
                lines.append(i18n.t("kudos.digest_newcomers", names=newcomers))
        return within(lines, self._more(i18n), TEXT_LIMIT)

    @staticmethod
    def _more(i18n: Translator) -> Any:
        return lambda n: i18n.t("common.and_more", n=n)


def delivery_kinds(
    *,
    ledger: Ledger,
    content: Content,
    translations: Translations,
    teams: TeamsService,
    kudos: KudosService,
    tips: TipsService,
    recognition: RecognitionService,
    notifier: KudosNotifier,
    tip_buttons: TipButtons,
) -> dict[str, DeliveryKind]:
    events = TeamEvent(teams, kudos, recognition, notifier)
    return {
        KIND_TEXT: PlainText(),
        KIND_DM: KudosDm(kudos, notifier),
        KIND_ANNOUNCE: KudosAnnounce(kudos, teams, notifier),
        KIND_EDIT: KudosEdit(kudos, teams, notifier, ledger),
        KIND_PROMPT: PromptExpiry(),
        KIND_TIP: TipPost(tips, content, translations.get(translations.default), tip_buttons),
        KIND_ALERT: AdminAlert(notifier),
        KIND_MONTH: events,
        KIND_MONTH_DM: events,
        KIND_BIRTHDAY: events,
        KIND_DIGEST: events,
    }
