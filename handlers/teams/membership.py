"""The bot joining and leaving groups, members joining by button or deep link, /team,
/leave and /promote."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot, Router
from aiogram.filters import (
    IS_MEMBER,
    IS_NOT_MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
    CommandStart,
)
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translations, Translator
from bot.services.errors import DomainError
from bot.services.teams import Team, TeamsService
from bot.services.users import UsersService
from handlers.callbacks import TeamJoin, TeamPick
from handlers.filters import ButtonTeam, GroupChat, HasField, IsLead, PrivateChat, TeamHere
from handlers.keyboards import join_team, pick_team
from handlers.teams.shared import ASK_PAYLOAD, PendingKudos, ask_waiting, greet_group, person

log = logging.getLogger("handlers.teams")


# --- the bot in groups ------------------------------------------------------------------------


async def bot_added(
    event: ChatMemberUpdated,
    bot: Bot,
    teams: TeamsService,
    users: UsersService,
    translations: Translations,
) -> None:
    adder = translations.for_language(event.from_user.language_code)
    team, _ = await teams.bot_added(event.chat.id, event.chat.title or "", adder.code)
    log.info("bot added to %s (team %s)", event.chat.id, team.id)
    shown = translations.get(team.locale)
    row = await users.get(event.from_user.id)
    if row is None or not row.reachable or event.from_user.is_bot:
        # the one who added the bot is asked too: joining needs Start in private
        name = escape(event.from_user.first_name)
        await greet_group(bot, team, shown, shown.t("teams.greeting_adder", name=name))
        return
    await greet_group(bot, team, shown)
    # the one who added the bot has started it: a member at once
    if await teams.join(team, person(event.from_user)):
        await bot.send_message(
            event.from_user.id, adder.t("teams.joined_private", title=escape(team.title))
        )


async def bot_removed(event: ChatMemberUpdated, teams: TeamsService) -> None:
    await teams.bot_removed(event.chat.id)
    log.info("bot removed from %s; the team's data is kept", event.chat.id)


async def migrated(message: Message, teams: TeamsService) -> None:
    assert message.migrate_to_chat_id is not None
    await teams.migrated(message.chat.id, message.migrate_to_chat_id)
    log.info("group %s became supergroup %s", message.chat.id, message.migrate_to_chat_id)


async def member_left(message: Message, teams: TeamsService) -> None:
    gone = message.left_chat_member
    team = await teams.by_chat(message.chat.id)
    if gone is not None and team is not None and not gone.is_bot:
        await teams.leave(team, gone.id)


async def members_joined(
    message: Message, bot: Bot, teams: TeamsService, translations: Translations
) -> None:
    """Newcomers get one short line with the join button (not the whole greeting again)."""
    team = await teams.by_chat(message.chat.id)
    people = [u for u in message.new_chat_members or [] if not u.is_bot]
    if team is None or not people:
        return
    shown = translations.get(team.locale)
    names = ", ".join(escape(u.full_name) for u in people[:10])
    await bot.send_message(
        team.chat_id,
        shown.t("teams.welcome_new", names=names, title=escape(team.title)),
        reply_markup=join_team(team.id, shown),
    )


# --- joining ----------------------------------------------------------------------------------


def _joined_text(team: Team, before: Team | None, i18n: Translator) -> str:
    """The private welcome; it says so when the team private commands use has changed."""
    text = i18n.t("teams.joined_private", title=escape(team.title))
    if before is not None and before.id != team.id:
        text += "\n" + i18n.t("teams.now_current", title=escape(team.title))
    return text


async def join_button(
    query: CallbackQuery,
    bot: Bot,
    team: Team,
    teams: TeamsService,
    users: UsersService,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    if query.message is None or query.message.chat.id != team.chat_id:
        raise DomainError("errors.stale_button")
    row = await users.get(query.from_user.id)
    before = await teams.current_team(query.from_user.id)
    new = await teams.join(team, person(query.from_user))
    if row is None or not row.reachable:
        # a member now (kudos to them wait); Telegram lets a bot write only to users who
        # started it: open the private chat, whose Start welcomes them
        me = await bot.me()
        callback_answer.url = f"https://t.me/{me.username}?start=team_{team.join_code}"
        return
    callback_answer.text = i18n.t("teams.joined" if new else "teams.already", title=team.title)
    if new:
        text = _joined_text(team, before, i18n)
        await bot.send_message(query.from_user.id, text)


async def start_with_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    notifier: PendingKudos,
    teams: TeamsService,
    users: UsersService,
    i18n: Translator,
) -> None:
    payload = command.args or ""
    assert message.from_user is not None
    who = person(message.from_user)
    row = await users.get(who.id)
    was_started = row is not None and row.reachable
    await users.started(who)
    if not payload.startswith("team_"):
        await message.answer(i18n.t("start.private", name=escape(who.first_name)))
        if payload == ASK_PAYLOAD and (question := await ask_waiting(state, teams, i18n)):
            text, buttons = question
            await message.answer(text, reply_markup=buttons)
        await notifier.deliver_pending(who.id, i18n)
        return
    team = await teams.by_code(payload.removeprefix("team_"))
    if team is None:
        await message.answer(i18n.t("teams.bad_link"))
        return
    before = await teams.current_team(who.id)
    new = await teams.join(team, who)
    if new or not was_started:  # joined now, or by the group's button before this Start
        text = _joined_text(team, before, i18n)
    else:
        text = i18n.t("teams.already", title=escape(team.title))
    await message.answer(text)
    await notifier.deliver_pending(who.id, i18n)


# --- /team, /leave, /promote ------------------------------------------------------------------


async def team_command(message: Message, teams: TeamsService, i18n: Translator) -> None:
    mine = await teams.teams_of(message.chat.id)
    if not mine:
        await message.answer(i18n.t("teams.no_team"))
        return
    current = await teams.current_team(message.chat.id)
    assert current is not None
    if len(mine) == 1:
        await message.answer(i18n.t("teams.only_one", title=escape(current.title)))
        return
    await message.answer(
        i18n.t("teams.current", title=escape(current.title)),
        reply_markup=pick_team([(t.id, t.title) for t in mine], current.id),
    )


async def team_pick(
    query: CallbackQuery,
    callback_data: TeamPick,
    bot: Bot,
    teams: TeamsService,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    team = await teams.set_current(query.from_user.id, callback_data.team_id)
    callback_answer.text = i18n.t("teams.switched", title=team.title)
    mine = await teams.teams_of(query.from_user.id)
    if query.message is not None:
        await bot.edit_message_text(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            text=i18n.t("teams.current", title=escape(team.title)),
            reply_markup=pick_team([(t.id, t.title) for t in mine], team.id),
        )


async def leave(message: Message, teams: TeamsService, i18n: Translator) -> None:
    assert message.from_user is not None
    if message.chat.type == "private":
        team = await teams.current_team(message.chat.id)
    else:
        team = await teams.by_chat(message.chat.id)
    if team is None or await teams.member(team, message.from_user.id) is None:
        await message.reply(i18n.t("teams.not_member"))
        return
    await teams.leave(team, message.from_user.id)
    await message.reply(i18n.t("teams.left", title=escape(team.title)))


async def promote(message: Message, team: Team, teams: TeamsService, i18n: Translator) -> None:
    target = message.reply_to_message.from_user if message.reply_to_message else None
    if target is None or target.is_bot:
        await message.reply(i18n.t("teams.promote_how"))
        return
    await teams.set_promoted(team, target.id, True)
    await message.reply(i18n.t("teams.promoted", name=escape(target.full_name)))


def setup() -> Router:
    router = Router(name="teams.membership")
    router.my_chat_member.register(
        bot_added, ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER), GroupChat()
    )
    router.my_chat_member.register(
        bot_removed, ChatMemberUpdatedFilter(IS_MEMBER >> IS_NOT_MEMBER), GroupChat()
    )
    router.message.register(migrated, GroupChat(), HasField("migrate_to_chat_id"))
    router.message.register(member_left, GroupChat(), HasField("left_chat_member"))
    router.message.register(members_joined, GroupChat(), HasField("new_chat_members"))
    router.callback_query.register(join_button, TeamJoin.filter(), ButtonTeam())
    router.message.register(start_with_link, CommandStart(deep_link=True), PrivateChat())
    router.message.register(team_command, Command("team"), PrivateChat())
    router.callback_query.register(team_pick, TeamPick.filter())
    router.message.register(leave, Command("leave"))
    router.message.register(promote, Command("promote"), GroupChat(), TeamHere(), IsLead())
    return router
