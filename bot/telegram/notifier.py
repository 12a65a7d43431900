"""The Telegram side of kudos that is not a reply: the card shown in the team chat, the
receiver's personal message, the backlog a user who was away sees at /start. Every text is in
its reader's language, HTML-escaped and within Telegram's limits."""

from __future__ import annotations

from html import escape

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translations, Translator
from bot.services.deliveries import Ledger
from bot.services.kudos import KIND_DM, Kudos, KudosService
from bot.services.teams import Member, Team, TeamsService
from bot.services.users import UsersService
from bot.telegram.render import (
    TEXT_LIMIT,
    member_name,
    message_link,
    names_within,
    units,
    within,
)

#: a backlog at /start shows the latest few; the rest are one tap away in /mykudos
BACKLOG_SHOWN = 10
NAMES_LIMIT = 1500


class KudosNotifier:
    """Texts about kudos in each reader's language, all HTML-escaped and within Telegram's
    limits; the backlog a user who was away sees at /start."""

    def __init__(
        self,
        bot: Bot,
        translations: Translations,
        teams: TeamsService,
        kudos: KudosService,
        users: UsersService,
        ledger: Ledger,
    ) -> None:
        self._bot = bot
        self._translations = translations
        self._teams = teams
        self._kudos = kudos
        self._users = users
        self._ledger = ledger

    def team_i18n(self, team: Team) -> Translator:
        """The language of the team's chat."""
        return self._translations.get(team.locale)

    async def i18n_of(self, user_id: int) -> Translator:
        row = await self._users.get(user_id)
        return self._translations.for_language(row.language_code if row else None)

    async def people(self, team: Team, given: list[Kudos]) -> dict[int, Member]:
        """Givers and receivers of ``given`` who are still members, in one query."""
        ids = {k.giver_id for k in given} | {k.receiver_id for k in given}
        return await self._teams.members_by_id(team, [i for i in ids if i is not None])

    async def card(
        self,
        team: Team,
        given: list[Kudos],
        i18n: Translator,
        people: dict[int, Member] | None = None,
    ) -> str:
        people = people if people is not None else await self.people(team, given)
        first = given[0]
        quality = await self._teams.quality(team, first.quality_id)
        receivers = names_within(
            [member_name(people.get(k.receiver_id or 0), i18n) for k in given],
            lambda n: i18n.t("common.and_more", n=n),
            NAMES_LIMIT,
        )
        return i18n.t(
            "kudos.card",
            giver=member_name(people.get(first.giver_id or 0), i18n),
            receivers=receivers,
            reason=escape(first.reason),
            quality=escape(quality.name(i18n.code) if quality else first.quality_id),
        )

    async def dm(self, item: Kudos) -> tuple[str, InlineKeyboardMarkup | None]:
        """The receiver's personal message about ``item``, in the receiver's language."""
        team = await self._teams.by_id(item.team_id)
        people = await self._teams.members_by_id(
            team, [i for i in (item.giver_id, item.receiver_id) if i is not None]
        )
        receiver = people.get(item.receiver_id or 0)
        i18n = (
            self._translations.for_language(receiver.language_code)
            if receiver
            else await self.i18n_of(item.receiver_id or 0)
        )
        quality = await self._teams.quality(team, item.quality_id)
        text = i18n.t(
            "kudos.dm",
            giver=member_name(people.get(item.giver_id or 0), i18n),
            reason=escape(item.reason),
            quality=escape(quality.name(i18n.code) if quality else item.quality_id),
            team=escape(team.title),
        )
        link = message_link(item.chat_id, item.message_id)
        return text, (_link(i18n.t("kudos.dm_link"), link) if link else None)

    async def deliver_pending(self, user_id: int, i18n: Translator) -> None:
        """Show a user who has just started the bot the thanks they missed: the latest that
        fit one message and a pointer to /mykudos; marked sent once Telegram accepted it.
        Other messages that waited for them are sent again."""
        await self._ledger.revive(user_id, KIND_DM)
        rows = await self._ledger.waiting_for(user_id, KIND_DM)
        if not rows:
            return
        found = {k.id: k for k in await self._kudos.by_ids([int(r.payload["kudos"]) for r in rows])}
        header = i18n.t("teams.undelivered_header")
        room = TEXT_LIMIT - units(header) - units("\n" + i18n.t("teams.undelivered_more", n=99999))
        shown: list[str] = []  # the latest that fit, newest first
        teams: dict[int, Team] = {}
        for row in reversed(rows[-BACKLOG_SHOWN:]):
            item = found.get(int(row.payload["kudos"]))
            if item is None:
                continue
            team = teams.get(item.team_id) or await self._teams.by_id(item.team_id)
            teams[team.id] = team
            giver = await self._teams.member(team, item.giver_id or 0)
            quality = await self._teams.quality(team, item.quality_id)
            line = i18n.t(
                "kudos.mine_reason",
                giver=member_name(giver, i18n),
                reason=escape(item.reason),
                quality=escape(quality.name(i18n.code) if quality else item.quality_id),
            )
            if units("\n" + line) > room:
                break
            room -= units("\n" + line)
            shown.append(line)
        text = within(
            [header, *reversed(shown)],
            lambda n: i18n.t("teams.undelivered_more", n=n),
            hidden=len(rows) - len(shown),
        )
        sent = await self._bot.send_message(user_id, text)
        await self._ledger.shown([r.id for r in rows], sent.chat.id, sent.message_id)


def _link(text: str, url: str) -> InlineKeyboardMarkup:
    """One URL button (no callback: nothing for a router to answer)."""
    builder = InlineKeyboardBuilder()
    builder.button(text=text, url=url)
    return builder.as_markup()
