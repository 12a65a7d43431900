"""Kudos: thanks by reply, by @mention or guided in private; the quality by #tag or buttons;
undo; the receiver's personal message and the team chat's announcement; /top, /mykudos,
/birthday, /export, /forget_me; and the Telegram side of the team events."""

from __future__ import annotations

import csv
import logging
import re
import secrets
import tempfile
from datetime import date, datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardMarkup, Message, User
from aiogram.utils.callback_answer import CallbackAnswer

from bot.clock import Clock
from bot.i18n import Translations, Translator
from bot.services.deliveries import Ledger
from bot.services.errors import DomainError
from bot.services.kudos import (
    KIND_DM,
    Given,
    Kudos,
    KudosService,
    Period,
    match_quality,
    month_bounds,
    period_start,
)
from bot.services.teams import Member, PortraitQuality, Team, TeamsService
from bot.services.users import UsersService
from handlers.callbacks import (
    ForgetMe,
    KudosConfirm,
    KudosDraftCancel,
    KudosFix,
    KudosQuality,
    KudosReceiver,
    KudosRequality,
    KudosUndo,
    MinePage,
)
from handlers.filters import GroupChat, PrivateChat, TextInput
from handlers.keyboards import (
    forget_me,
    join_team,
    kudos_actions,
    kudos_confirm,
    kudos_qualities,
    kudos_receivers,
    kudos_requality,
    link_button,
    mine_pages,
    open_private,
)
from handlers.leads import LeadChecker
from handlers.render import TEXT_LIMIT, names_within, units, within
from handlers.states import GiveKudos
from handlers.teams import require_lead, team_of

log = logging.getLogger(__name__)

USERNAME = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{3,31})\b")
TAG = re.compile(r"(?<![\w#])#([\w-]{3,40})")
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
MONTH_ARG = re.compile(r"^(\d{4})-(\d{2})$")
#: a backlog at /start shows the latest few; the rest are one tap away in /mykudos
BACKLOG_SHOWN = 10
NAMES_LIMIT = 1500
BIRTHDAY_ARG = re.compile(r"^(\d{1,2})\.(\d{1,2})$")


def full_name(first: str | None, last: str | None, i18n: Translator) -> str:
    if not first:
        return escape(i18n.t("kudos.someone"))
    return escape(f"{first} {last}" if last else first)


def member_name(member: Member | None, i18n: Translator) -> str:
    return (
        full_name(member.first_name, member.last_name, i18n)
        if member
        else escape(i18n.t("kudos.someone"))
    )


def message_link(chat_id: int | None, message_id: int | None) -> str | None:
    """https://t.me/c/... links exist for supergroups and channels (ids -100...)."""
    if chat_id is None or message_id is None or not str(chat_id).startswith("-100"):
        return None
    return f"https://t.me/c/{str(chat_id)[4:]}/{message_id}"


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
        return text, (link_button(i18n.t("kudos.dm_link"), link) if link else None)

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


async def reply_with_join_link(
    message: Message, bot: Bot, team: Team, text: str, i18n: Translator
) -> None:
    """A refusal that offers the colleague the way into the team."""
    me = await bot.me()
    await message.reply(
        text, reply_markup=join_team(team.id, me.username or "", team.join_code, i18n)
    )


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def parse_kudos(message: Message, args: str) -> tuple[list[str], list[User], str, str | None]:
    """(@usernames, users from text mentions, the reason, the #tag) of a /kudos command."""
    usernames = USERNAME.findall(args)
    tags = TAG.findall(args)
    mentioned: list[User] = []
    reason = args
    for entity in message.entities or []:
        if entity.type == "text_mention" and entity.user is not None:
            mentioned.append(entity.user)
            reason = reason.replace(entity.extract_from(message.text or ""), " ")
    reason = USERNAME.sub(" ", reason)
    tag = tags[0] if tags else None
    if tag is not None:
        reason = reason.replace(f"#{tag}", " ")
    return usernames, mentioned, " ".join(reason.split()), tag


async def record_and_announce(
    *,
    bot: Bot,
    team: Team,
    giver_id: int,
    receiver_ids: list[int],
    quality: PortraitQuality,
    reason: str,
    chat_id: int | None,
    message_id: int | None,
    kudos: KudosService,
    notifier: KudosNotifier,
    i18n: Translator,
    edit: Message | None = None,
) -> Given:
    """Record the kudos, tell the receivers, show the result in the team chat.

    What is shown in the team chat is in the chat's language; a receipt in private is in the
    giver's (``i18n``)."""
    if edit is not None or chat_id == team.chat_id:
        i18n = notifier.team_i18n(team)
    given = await kudos.give(
        team, giver_id, receiver_ids, quality.id, reason, chat_id=chat_id, message_id=message_id
    )
    if not given.kudos:
        if edit is not None:
            await bot.edit_message_text(
                chat_id=edit.chat.id, message_id=edit.message_id, text=i18n.t("kudos.duplicate")
            )
        elif chat_id is not None:
            await bot.send_message(
                chat_id,
                i18n.t("kudos.duplicate"),
                reply_to_message_id=message_id,
                allow_sending_without_reply=True,
            )
        return given
    left = i18n.t("kudos.left_today", left=given.remaining, budget=given.budget)
    people = await notifier.people(team, given.kudos)
    if team.announce:
        text = await notifier.card(team, given.kudos, i18n, people) + "\n\n<i>" + left + "</i>"
    else:
        text = i18n.t("kudos.recorded") + " " + left
    markup = kudos_actions(given.kudos[0].id, i18n)
    if edit is not None:
        await bot.edit_message_text(
            chat_id=edit.chat.id, message_id=edit.message_id, text=text, reply_markup=markup
        )
    elif chat_id == team.chat_id:
        await bot.send_message(
            team.chat_id,
            text,
            reply_markup=markup,
            reply_to_message_id=message_id,
            allow_sending_without_reply=True,
        )
    else:  # given in private: the receipt here; the ledger announces it in the team chat
        await bot.send_message(giver_id, text, reply_markup=markup)
    return given


def setup() -> Router:
    router = Router(name="kudos")

    # --- /kudos in the team chat ---------------------------------------------------------------

    @router.message(Command("kudos"), GroupChat())
    async def kudos_in_group(
        message: Message,
        command: CommandObject,
        bot: Bot,
        state: FSMContext,
        teams: TeamsService,
        kudos: KudosService,
        notifier: KudosNotifier,
        i18n: Translator,
    ) -> None:
        team = await teams.by_chat(message.chat.id)
        giver = message.from_user
        assert giver is not None
        if team is None:
            await message.reply(i18n.t("teams.no_team_here"))
            return
        usernames, mentioned, reason, tag = parse_kudos(message, command.args or "")
        receivers: list[User] = list(mentioned)
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and not usernames and not mentioned:
            receivers.append(reply.from_user)
        if not receivers and not usernames:
            key = "kudos.how" if not (command.args or "").strip() else "kudos.no_receiver"
            await message.reply(i18n.t(key))
            return
        if any(u.is_bot for u in receivers):
            raise DomainError("kudos.bot")
        ids = [u.id for u in receivers]
        for username in usernames:
            member = await teams.member_by_username(team, username)
            if member is None:
                text = i18n.t("kudos.unknown_username", username=escape("@" + username))
                await reply_with_join_link(message, bot, team, text, i18n)
                return
            ids.append(member.user_id)
        reason = await kudos.check_reason(reason)
        try:
            await kudos.check_receivers(team, giver.id, ids)
        except DomainError as refusal:
            if refusal.key != "kudos.receiver_not_member":
                raise
            await reply_with_join_link(message, bot, team, i18n.t(refusal.key), i18n)
            return
        qualities = await kudos.qualities_for(team)
        chosen = match_quality(tag, qualities) if tag else None
        if chosen is not None:
            await record_and_announce(
                bot=bot,
                team=team,
                giver_id=giver.id,
                receiver_ids=ids,
                quality=chosen,
                reason=reason,
                chat_id=message.chat.id,
                message_id=message.message_id,
                kudos=kudos,
                notifier=notifier,
                i18n=i18n,
            )
            return
        draft = secrets.token_hex(4)
        drafts = dict((await state.get_data()).get("drafts", {}))
        drafts[draft] = {
            "team_id": team.id,
            "receivers": ids,
            "reason": reason,
            "message_id": message.message_id,
        }
        await state.update_data(drafts=dict(list(drafts.items())[-5:]))
        people = await teams.members_by_id(team, ids)
        names = [member_name(people.get(receiver_id), i18n) for receiver_id in ids]
        await message.reply(
            i18n.t("kudos.pick_quality", names=", ".join(names)),
            reply_markup=kudos_qualities(draft, qualities, i18n),
        )

    @router.callback_query(KudosQuality.filter(), GroupChat())
    async def quality_picked_in_group(
        query: CallbackQuery,
        callback_data: KudosQuality,
        bot: Bot,
        state: FSMContext,
        teams: TeamsService,
        kudos: KudosService,
        notifier: KudosNotifier,
        i18n: Translator,
    ) -> None:
        drafts = dict((await state.get_data()).get("drafts", {}))
        draft = drafts.get(callback_data.draft)
        if draft is None or query.message is None:
            raise DomainError("kudos.not_yours")
        team = await teams.by_id(int(draft["team_id"]))
        if team.chat_id != query.message.chat.id:
            raise DomainError("kudos.not_yours")
        quality = await teams.quality(team, callback_data.quality)
        if quality is None or not quality.enabled:
            raise DomainError("kudos.bad_quality")
        assert isinstance(query.message, Message)
        await record_and_announce(
            bot=bot,
            team=team,
            giver_id=query.from_user.id,
            receiver_ids=[int(r) for r in draft["receivers"]],
            quality=quality,
            reason=str(draft["reason"]),
            chat_id=team.chat_id,
            message_id=int(draft["message_id"]),
            kudos=kudos,
            notifier=notifier,
            i18n=i18n,
            edit=query.message,
        )
        drafts.pop(callback_data.draft, None)
        await state.update_data(drafts=drafts)

    @router.callback_query(KudosDraftCancel.filter())
    async def draft_cancelled(
        query: CallbackQuery,
        callback_data: KudosDraftCancel,
        bot: Bot,
        state: FSMContext,
        i18n: Translator,
    ) -> None:
        data = await state.get_data()
        drafts = dict(data.get("drafts", {}))
        if callback_data.draft not in drafts and callback_data.draft != "p":
            raise DomainError("kudos.not_yours")
        drafts.pop(callback_data.draft, None)
        if callback_data.draft == "p":
            await state.clear()
        else:
            await state.update_data(drafts=drafts)
        if query.message is not None:
            await bot.edit_message_text(
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
                text=i18n.t("kudos.cancelled"),
            )

    # --- undo and fixing the quality ------------------------------------------------------------

    @router.callback_query(KudosUndo.filter())
    async def undo(
        query: CallbackQuery,
        callback_data: KudosUndo,
        bot: Bot,
        teams: TeamsService,
        kudos: KudosService,
        notifier: KudosNotifier,
        i18n: Translator,
        callback_answer: CallbackAnswer,
    ) -> None:
        undone = await kudos.undo(callback_data.kudos_id, query.from_user.id)
        callback_answer.text = i18n.t("kudos.undo_done")
        team = await teams.by_id(undone[0].team_id)
        in_group = query.message is not None and query.message.chat.id == team.chat_id
        shown = notifier.team_i18n(team) if in_group else i18n
        text = shown.t("kudos.undone", giver=escape(query.from_user.full_name))
        if query.message is not None:
            await bot.edit_message_text(
                chat_id=query.message.chat.id, message_id=query.message.message_id, text=text
            )
        # the receivers' messages and a private-flow announcement: withdrawn by the ledger

    @router.callback_query(KudosFix.filter())
    async def fix(
        query: CallbackQuery,
        callback_data: KudosFix,
        bot: Bot,
        teams: TeamsService,
        kudos: KudosService,
        i18n: Translator,
    ) -> None:
        existing = await kudos.editable(callback_data.kudos_id, query.from_user.id)
        team = await teams.by_id(existing.team_id)
        qualities = await kudos.qualities_for(team)
        if query.message is not None:
            await bot.edit_message_reply_markup(
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
                reply_markup=kudos_requality(existing.id, qualities, i18n),
            )

    @router.callback_query(KudosRequality.filter())
    async def requality(
        query: CallbackQuery,
        callback_data: KudosRequality,
        bot: Bot,
        teams: TeamsService,
        kudos: KudosService,
        notifier: KudosNotifier,
        i18n: Translator,
        callback_answer: CallbackAnswer,
    ) -> None:
        updated = await kudos.change_quality(
            callback_data.kudos_id, query.from_user.id, callback_data.quality
        )
        callback_answer.text = i18n.t("kudos.quality_changed")
        team = await teams.by_id(updated.team_id)
        if query.message is not None:
            shown = notifier.team_i18n(team) if query.message.chat.id == team.chat_id else i18n
            text = (
                await notifier.card(team, [updated], shown)
                if team.announce
                else shown.t("kudos.recorded")
            )
            await bot.edit_message_text(
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
                text=text,
                reply_markup=kudos_actions(updated.id, shown),
            )

    # --- /kudos guided in private -------------------------------------------------------------

    @router.message(Command("kudos"), PrivateChat())
    async def kudos_private(
        message: Message, state: FSMContext, teams: TeamsService, i18n: Translator
    ) -> None:
        team = await team_of(message, teams)
        others = [m for m in await teams.members(team) if m.user_id != message.chat.id]
        if not others:
            await message.answer(i18n.t("kudos.no_members"))
            return
        await state.set_state(GiveKudos.receiver)
        await state.set_data({"team_id": team.id})
        await message.answer(
            i18n.t("kudos.pick_receiver"),
            reply_markup=kudos_receivers(
                [
                    (m.user_id, f"{m.first_name or ''} {m.last_name or ''}".strip())
                    for m in others[:40]
                ]
            ),
        )

    async def ask_quality(
        target: Message,
        state: FSMContext,
        teams: TeamsService,
        kudos: KudosService,
        receiver_id: int,
        i18n: Translator,
    ) -> None:
        data = await state.get_data()
        team = await teams.by_id(int(data["team_id"]))
        await kudos.check_receivers(team, target.chat.id, [receiver_id])
        await state.update_data(receiver=receiver_id)
        await state.set_state(GiveKudos.quality)
        member = await teams.member(team, receiver_id)
        await target.answer(
            i18n.t("kudos.pick_quality", names=member_name(member, i18n)),
            reply_markup=kudos_qualities("p", await kudos.qualities_for(team), i18n),
        )

    @router.callback_query(KudosReceiver.filter(), GiveKudos.receiver)
    async def receiver_picked(
        query: CallbackQuery,
        callback_data: KudosReceiver,
        state: FSMContext,
        teams: TeamsService,
        kudos: KudosService,
        i18n: Translator,
    ) -> None:
        assert isinstance(query.message, Message)
        await ask_quality(query.message, state, teams, kudos, callback_data.user_id, i18n)

    @router.message(StateFilter(GiveKudos.receiver), PrivateChat(), TextInput())
    async def receiver_typed(
        message: Message,
        state: FSMContext,
        teams: TeamsService,
        kudos: KudosService,
        i18n: Translator,
    ) -> None:
        data = await state.get_data()
        team = await teams.by_id(int(data["team_id"]))
        text = (message.text or "").strip()
        member = await teams.member_by_username(team, text) if text.startswith("@") else None
        if member is None:
            await message.answer(i18n.t("kudos.unknown_username", username=escape(text[:40])))
            return
        await ask_quality(message, state, teams, kudos, member.user_id, i18n)

    @router.callback_query(KudosQuality.filter(), GiveKudos.quality)
    async def quality_picked_in_private(
        query: CallbackQuery,
        callback_data: KudosQuality,
        state: FSMContext,
        teams: TeamsService,
        i18n: Translator,
    ) -> None:
        data = await state.get_data()
        team = await teams.by_id(int(data["team_id"]))
        quality = await teams.quality(team, callback_data.quality)
        if quality is None or not quality.enabled:
            raise DomainError("kudos.bad_quality")
        await state.update_data(quality=quality.id)
        await state.set_state(GiveKudos.reason)
        assert isinstance(query.message, Message)
        await query.message.answer(i18n.t("kudos.ask_reason"))

    @router.message(StateFilter(GiveKudos.reason), PrivateChat(), TextInput())
    async def reason_typed(
        message: Message,
        state: FSMContext,
        teams: TeamsService,
        kudos: KudosService,
        notifier: KudosNotifier,
        i18n: Translator,
    ) -> None:
        try:
            reason = await kudos.check_reason(message.text or "")
        except DomainError as refusal:
            await message.answer(i18n.t(refusal.key, **refusal.values))
            return
        await state.update_data(reason=reason)
        await state.set_state(GiveKudos.confirm)
        data = await state.get_data()
        team = await teams.by_id(int(data["team_id"]))
        giver = await teams.member(team, message.chat.id)
        receiver = await teams.member(team, int(data["receiver"]))
        quality = await teams.quality(team, str(data["quality"]))
        card = i18n.t(
            "kudos.card",
            giver=member_name(giver, i18n),
            receivers=member_name(receiver, i18n),
            reason=escape(reason),
            quality=escape(quality.name(i18n.code) if quality else ""),
        )
        await message.answer(i18n.t("kudos.confirm", card=card), reply_markup=kudos_confirm(i18n))

    @router.callback_query(KudosConfirm.filter(), GiveKudos.confirm)
    async def confirmed(
        query: CallbackQuery,
        callback_data: KudosConfirm,
        bot: Bot,
        state: FSMContext,
        teams: TeamsService,
        kudos: KudosService,
        notifier: KudosNotifier,
        i18n: Translator,
    ) -> None:
        data = await state.get_data()
        await state.clear()
        assert isinstance(query.message, Message)
        await bot.edit_message_reply_markup(
            chat_id=query.message.chat.id, message_id=query.message.message_id, reply_markup=None
        )
        if not callback_data.send:
            await query.message.answer(i18n.t("kudos.cancelled"))
            return
        team = await teams.by_id(int(data["team_id"]))
        quality = await teams.quality(team, str(data["quality"]))
        if quality is None or not quality.enabled:
            raise DomainError("kudos.bad_quality")
        await record_and_announce(
            bot=bot,
            team=team,
            giver_id=query.from_user.id,
            receiver_ids=[int(data["receiver"])],
            quality=quality,
            reason=str(data["reason"]),
            chat_id=None,
            message_id=None,
            kudos=kudos,
            notifier=notifier,
            i18n=i18n,
        )

    @router.callback_query(KudosConfirm.filter())
    @router.callback_query(KudosReceiver.filter())
    @router.callback_query(KudosQuality.filter())
    async def stale_flow_button(_query: CallbackQuery) -> None:
        raise DomainError("errors.stale_button")

    # --- boards ---------------------------------------------------------------------------------

    @router.message(Command("top"))
    async def top(
        message: Message,
        command: CommandObject,
        teams: TeamsService,
        kudos: KudosService,
        i18n: Translator,
    ) -> None:
        team = await team_of(message, teams)
        period, quality = Period.MONTH, None
        words = (command.args or "").split()
        qualities = await teams.portrait(team)
        for word in words:
            if word.casefold() in PERIOD_WORDS:
                period = PERIOD_WORDS[word.casefold()]
                continue
            quality = match_quality(word, qualities)
            if quality is None:
                await message.answer(i18n.t("kudos.bad_period"))
                return
        board = await kudos.board(team, period, quality.id if quality else None)
        period_name = i18n.t(PERIOD_KEYS[period])
        if quality is not None:
            title = i18n.t(
                "kudos.top_title_quality",
                quality=escape(quality.name(i18n.code)),
                period=period_name,
            )
        else:
            title = i18n.t("kudos.top_title", period=period_name)
        if not board.receivers:
            await message.answer(title + "\n" + i18n.t("kudos.top_empty"))
            return
        lines = [title]
        for place, user_id, count in board.receivers:
            member = await teams.member(team, user_id)
            lines.append(
                i18n.t("kudos.top_line", place=place, name=member_name(member, i18n), n=count)
            )
        if quality is None and board.qualities:
            lines.extend(["", i18n.t("kudos.top_qualities")])
            for entry in board.qualities:
                q = next((x for x in qualities if x.id == entry.key), None)
                lines.append(
                    i18n.t(
                        "kudos.top_quality_line",
                        quality=escape(q.name(i18n.code) if q else str(entry.key)),
                        n=entry.count,
                    )
                )
        await message.answer("\n".join(lines))

    async def mine_text(
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
                "kudos.mine_title",
                team=escape(team.title),
                received=mine.received,
                given=mine.given,
            )
        ]
        if not mine.received and not mine.given:
            lines.append(i18n.t("kudos.mine_empty"))
        if mine.received_by_quality:
            lines.extend(["", i18n.t("kudos.mine_received")])
            lines.extend(
                i18n.t("kudos.top_quality_line", quality=qname(c.key), n=c.count)
                for c in mine.received_by_quality
            )
        if mine.given_by_quality:
            lines.extend(["", i18n.t("kudos.mine_given")])
            lines.extend(
                i18n.t("kudos.top_quality_line", quality=qname(c.key), n=c.count)
                for c in mine.given_by_quality
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

    @router.message(Command("mykudos"), PrivateChat())
    async def my_kudos(
        message: Message, teams: TeamsService, kudos: KudosService, i18n: Translator
    ) -> None:
        team = await team_of(message, teams)
        text, more = await mine_text(team, message.chat.id, 0, teams, kudos, i18n)
        await message.answer(text, reply_markup=mine_pages(team.id, 0, more, i18n))

    @router.callback_query(MinePage.filter())
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
        text, more = await mine_text(team, query.from_user.id, page, teams, kudos, i18n)
        assert query.message is not None
        await bot.edit_message_text(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            text=text,
            reply_markup=mine_pages(team.id, page, more, i18n),
        )

    # --- birthday, export, forget me -------------------------------------------------------------

    @router.message(Command("birthday"), PrivateChat())
    async def birthday(
        message: Message, command: CommandObject, teams: TeamsService, i18n: Translator
    ) -> None:
        arg = (command.args or "").strip().casefold()
        if arg in ("off", "выкл", "нет"):
            await teams.set_birthday(message.chat.id, None)
            await message.answer(i18n.t("kudos.birthday_off"))
            return
        match = BIRTHDAY_ARG.match(arg)
        day = None
        if match:
            try:
                day = date(2000, int(match.group(2)), int(match.group(1)))  # a leap year
            except ValueError:
                day = None
        if day is None:
            await message.answer(i18n.t("kudos.birthday_how"))
            return
        await teams.set_birthday(message.chat.id, day.strftime("%m-%d"))
        await message.answer(i18n.t("kudos.birthday_set", date=day.strftime("%d.%m")))

    @router.message(Command("export"), PrivateChat())
    async def export(
        message: Message,
        command: CommandObject,
        bot: Bot,
        teams: TeamsService,
        kudos: KudosService,
        leads: LeadChecker,
        clock: Clock,
        i18n: Translator,
    ) -> None:
        team = await team_of(message, teams)
        await require_lead(bot, leads, team, message.chat.id)
        arg = (command.args or "").strip().casefold()
        since: datetime | None
        until: datetime | None = None
        if not arg:
            since, label = (
                period_start(Period.MONTH, clock.now(), team.timezone),
                i18n.t("kudos.period_month"),
            )
        elif arg in ("all", "всё", "все"):
            since, label = None, i18n.t("kudos.period_all")
        elif (found := MONTH_ARG.match(arg)) and 1 <= int(found.group(2)) <= 12:
            since, until = month_bounds(int(found.group(1)), int(found.group(2)), team.timezone)
            label = arg
        else:
            await message.answer(i18n.t("kudos.export_how"))
            return
        names = {q.id: q.name(i18n.code) for q in await teams.portrait(team)}
        tz = ZoneInfo(team.timezone)
        rows = 0
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"kudos-{team.id}.csv"
            # rows stream from the database into the file; memory stays flat for any size
            with path.open("w", newline="", encoding="utf-8-sig") as fh:
                writer = csv.writer(fh)
                writer.writerow(i18n.t("kudos.export_header").split(","))
                async for created, giver, receiver, quality_id, reason in kudos.export_rows(
                    team, since, until
                ):
                    writer.writerow(
                        [
                            created.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                            _cell(giver or i18n.t("kudos.someone")),
                            _cell(receiver or i18n.t("kudos.someone")),
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

    @router.message(Command("forget_me"), PrivateChat())
    async def forget(message: Message, i18n: Translator) -> None:
        await message.answer(i18n.t("kudos.forget_confirm"), reply_markup=forget_me(i18n))

    @router.callback_query(ForgetMe.filter())
    async def forget_answer(
        query: CallbackQuery,
        callback_data: ForgetMe,
        bot: Bot,
        state: FSMContext,
        users: UsersService,
        i18n: Translator,
    ) -> None:
        assert query.message is not None
        if callback_data.confirm:
            await users.forget(query.from_user.id)
            await state.clear()
            text = i18n.t("kudos.forgotten")
        else:
            text = i18n.t("kudos.kept")
        await bot.edit_message_text(
            chat_id=query.message.chat.id, message_id=query.message.message_id, text=text
        )

    @router.message(Command("mykudos", "birthday", "export", "forget_me"), GroupChat())
    async def private_only(message: Message, bot: Bot, i18n: Translator) -> None:
        me = await bot.me()
        await message.reply(
            i18n.t("common.private_only"), reply_markup=open_private(me.username or "", i18n)
        )

    return router
