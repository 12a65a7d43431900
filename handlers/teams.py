"""Teams: the bot joining groups, members joining by button or deep link, /team, /leave,
/promote, and the leads' /portrait and /settings."""

from __future__ import annotations

import logging
from html import escape
from typing import Protocol

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.filters import (
    IS_MEMBER,
    IS_NOT_MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
    CommandStart,
    StateFilter,
)
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, User
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translations, Translator
from bot.services.errors import DomainError
from bot.services.teams import Team, TeamsService
from bot.services.users import Person, UsersService
from content import Content
from handlers.callbacks import (
    PortraitAdd,
    PortraitRemove,
    PortraitToggle,
    PortraitView,
    SettingsAction,
    TeamJoin,
    TeamPick,
    TeamSettings,
)
from handlers.filters import GroupChat, HasField, PrivateChat, TextInput
from handlers.keyboards import join_team, pick_team, portrait_category, portrait_root, team_settings
from handlers.leads import LeadChecker
from handlers.states import AddSkill, SetTimezone

log = logging.getLogger(__name__)


class PendingKudos(Protocol):
    async def deliver_pending(self, user_id: int, i18n: Translator) -> None: ...


def person(user: User) -> Person:
    return Person(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


async def team_here(message: Message, teams: TeamsService) -> Team | None:
    """The team of a group, or the user's current team in private."""
    if message.chat.type == "private":
        return await teams.current_team(message.chat.id)
    return await teams.by_chat(message.chat.id)


async def team_of(message: Message, teams: TeamsService) -> Team:
    """The team a command is about (see ``team_here``), or a polite refusal."""
    team = await team_here(message, teams)
    if team is None:
        private = message.chat.type == "private"
        raise DomainError("teams.no_team" if private else "teams.no_team_here")
    return team


async def require_lead(bot: Bot, leads: LeadChecker, team: Team, user_id: int) -> None:
    if not await leads.is_lead(bot, team, user_id):
        raise DomainError("teams.not_lead")


async def led_team(
    bot: Bot, leads: LeadChecker, teams: TeamsService, team_id: int, user_id: int
) -> Team:
    """The team a button names, once the presser is checked again to lead it."""
    team = await teams.by_id(team_id)
    await require_lead(bot, leads, team, user_id)
    return team


def private_key(bot: Bot, user_id: int) -> StorageKey:
    return StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id)


async def greet_group(bot: Bot, team: Team, i18n: Translator) -> None:
    me = await bot.me()
    await bot.send_message(
        team.chat_id,
        i18n.t("teams.greeting", title=escape(team.title)),
        reply_markup=join_team(team.id, me.username or "", team.join_code, i18n),
    )


async def ask_in_private(
    bot: Bot, users: UsersService, user_id: int, question: str, answer: CallbackAnswer
) -> bool:
    """Ask a question in the user's private chat (typed answers work only there). A user who
    never started the bot is sent to it instead: the callback answer opens the chat."""
    row = await users.get(user_id)
    if row is not None and row.reachable:
        try:
            await bot.send_message(user_id, question)
        except TelegramForbiddenError:
            await users.blocked(user_id)
        else:
            return True
    me = await bot.me()
    answer.url = f"https://t.me/{me.username}?start=ask"
    return False


def portrait_text(team: Team, i18n: Translator) -> str:
    return i18n.t("portrait.title", title=escape(team.title))


def settings_text(team: Team, i18n: Translator) -> str:
    def state(flag: bool) -> str:
        return i18n.t("settings.yes") if flag else i18n.t("settings.no")

    return i18n.t(
        "settings.title",
        title=escape(team.title),
        timezone=escape(team.timezone),
        budget=team.kudos_budget,
        announce=state(team.announce),
        birthdays=state(team.birthdays),
        digest=state(team.digest),
    )


def setup() -> Router:
    router = Router(name="teams")

    # --- the bot in groups ------------------------------------------------------------------

    @router.my_chat_member(ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER), GroupChat())
    async def bot_added(
        event: ChatMemberUpdated, bot: Bot, teams: TeamsService, translations: Translations
    ) -> None:
        adder = translations.for_language(event.from_user.language_code)
        team, _ = await teams.bot_added(event.chat.id, event.chat.title or "", adder.code)
        log.info("bot added to %s (team %s)", event.chat.id, team.id)
        await greet_group(bot, team, translations.get(team.locale))

    @router.my_chat_member(ChatMemberUpdatedFilter(IS_MEMBER >> IS_NOT_MEMBER), GroupChat())
    async def bot_removed(event: ChatMemberUpdated, teams: TeamsService) -> None:
        await teams.bot_removed(event.chat.id)
        log.info("bot removed from %s; the team's data is kept", event.chat.id)

    @router.message(GroupChat(), HasField("migrate_to_chat_id"))
    async def migrated(message: Message, teams: TeamsService) -> None:
        assert message.migrate_to_chat_id is not None
        await teams.migrated(message.chat.id, message.migrate_to_chat_id)
        log.info("group %s became supergroup %s", message.chat.id, message.migrate_to_chat_id)

    @router.message(GroupChat(), HasField("left_chat_member"))
    async def member_left(message: Message, teams: TeamsService) -> None:
        gone = message.left_chat_member
        team = await teams.by_chat(message.chat.id)
        if gone is not None and team is not None and not gone.is_bot:
            await teams.leave(team, gone.id)

    @router.message(GroupChat(), HasField("new_chat_members"))
    async def members_joined(
        message: Message, bot: Bot, teams: TeamsService, translations: Translations
    ) -> None:
        team = await teams.by_chat(message.chat.id)
        people = [u for u in message.new_chat_members or [] if not u.is_bot]
        if team is None or not people:
            return
        await greet_group(bot, team, translations.get(team.locale))

    # --- joining ------------------------------------------------------------------------------

    @router.callback_query(TeamJoin.filter())
    async def join_button(
        query: CallbackQuery,
        callback_data: TeamJoin,
        bot: Bot,
        teams: TeamsService,
        users: UsersService,
        i18n: Translator,
        callback_answer: CallbackAnswer,
    ) -> None:
        team = await teams.by_id(callback_data.team_id)
        if query.message is None or query.message.chat.id != team.chat_id:
            raise DomainError("errors.stale_button")
        row = await users.get(query.from_user.id)
        if row is None or not row.reachable:
            # Telegram lets a bot write only to users who started it: open the private chat,
            # whose Start button sends the deep link that joins and welcomes them
            me = await bot.me()
            callback_answer.url = f"https://t.me/{me.username}?start=team_{team.join_code}"
            return
        new = await teams.join(team, person(query.from_user))
        callback_answer.text = i18n.t("teams.joined" if new else "teams.already", title=team.title)
        if new:
            await bot.send_message(
                query.from_user.id, i18n.t("teams.joined_private", title=escape(team.title))
            )

    @router.message(CommandStart(deep_link=True), PrivateChat())
    async def start_with_link(
        message: Message,
        command: CommandObject,
        notifier: PendingKudos,
        teams: TeamsService,
        users: UsersService,
        i18n: Translator,
    ) -> None:
        payload = command.args or ""
        assert message.from_user is not None
        who = person(message.from_user)
        await users.started(who)
        if not payload.startswith("team_"):
            await message.answer(i18n.t("start.private", name=escape(who.first_name)))
            return
        team = await teams.by_code(payload.removeprefix("team_"))
        if team is None:
            await message.answer(i18n.t("teams.bad_link"))
            return
        new = await teams.join(team, who)
        key = "teams.joined_private" if new else "teams.already"
        await message.answer(i18n.t(key, title=escape(team.title)))
        await notifier.deliver_pending(message.from_user.id, i18n)

    # --- /team, /leave, /promote ---------------------------------------------------------------

    @router.message(Command("team"), PrivateChat())
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

    @router.callback_query(TeamPick.filter())
    async def team_pick(
        query: CallbackQuery,
        callback_data: TeamPick,
        teams: TeamsService,
        i18n: Translator,
        callback_answer: CallbackAnswer,
    ) -> None:
        team = await teams.set_current(query.from_user.id, callback_data.team_id)
        callback_answer.text = i18n.t("teams.switched", title=team.title)
        mine = await teams.teams_of(query.from_user.id)
        if query.message is not None:
            await query.bot.edit_message_text(  # type: ignore[union-attr]
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
                text=i18n.t("teams.current", title=escape(team.title)),
                reply_markup=pick_team([(t.id, t.title) for t in mine], team.id),
            )

    @router.message(Command("leave"))
    async def leave(message: Message, teams: TeamsService, i18n: Translator) -> None:
        team = await team_here(message, teams)
        assert message.from_user is not None
        if team is None or await teams.member(team, message.from_user.id) is None:
            await message.reply(i18n.t("teams.not_member"))
            return
        await teams.leave(team, message.from_user.id)
        await message.reply(i18n.t("teams.left", title=escape(team.title)))

    @router.message(Command("promote"), GroupChat())
    async def promote(
        message: Message, bot: Bot, teams: TeamsService, leads: LeadChecker, i18n: Translator
    ) -> None:
        team = await teams.by_chat(message.chat.id)
        assert message.from_user is not None
        if team is None:
            await message.reply(i18n.t("teams.no_team_here"))
            return
        await require_lead(bot, leads, team, message.from_user.id)
        target = message.reply_to_message.from_user if message.reply_to_message else None
        if target is None or target.is_bot:
            await message.reply(i18n.t("teams.promote_how"))
            return
        await teams.set_promoted(team, target.id, True)
        await message.reply(i18n.t("teams.promoted", name=escape(target.full_name)))

    # --- portrait --------------------------------------------------------------------------

    @router.message(Command("portrait"))
    async def portrait(
        message: Message,
        bot: Bot,
        teams: TeamsService,
        leads: LeadChecker,
        content: Content,
        i18n: Translator,
    ) -> None:
        team = await team_of(message, teams)
        assert message.from_user is not None
        await require_lead(bot, leads, team, message.from_user.id)
        categories = [(c.id, c.title.get(i18n.code)) for c in content.categories]
        await message.answer(
            portrait_text(team, i18n), reply_markup=portrait_root(team.id, categories, i18n)
        )

    async def show_category(
        query: CallbackQuery,
        team: Team,
        category: str,
        teams: TeamsService,
        content: Content,
        i18n: Translator,
    ) -> None:
        assert query.message is not None
        assert query.bot is not None
        if not category:
            categories = [(c.id, c.title.get(i18n.code)) for c in content.categories]
            text = portrait_text(team, i18n)
            markup = portrait_root(team.id, categories, i18n)
        else:
            cat = next((c for c in content.categories if c.id == category), None)
            if cat is None:
                raise DomainError("errors.stale_button")
            qualities = [q for q in await teams.portrait(team) if q.category == category]
            text = i18n.t(
                "portrait.category",
                category=escape(cat.title.get(i18n.code)),
                about=escape(cat.about.get(i18n.code)),
            )
            markup = portrait_category(team.id, qualities, i18n)
        await query.bot.edit_message_text(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            text=text,
            reply_markup=markup,
        )

    @router.callback_query(PortraitView.filter())
    async def portrait_view(
        query: CallbackQuery,
        callback_data: PortraitView,
        bot: Bot,
        teams: TeamsService,
        leads: LeadChecker,
        content: Content,
        i18n: Translator,
    ) -> None:
        team = await led_team(bot, leads, teams, callback_data.team_id, query.from_user.id)
        await show_category(query, team, callback_data.category, teams, content, i18n)

    @router.callback_query(PortraitToggle.filter())
    async def portrait_toggle(
        query: CallbackQuery,
        callback_data: PortraitToggle,
        bot: Bot,
        teams: TeamsService,
        leads: LeadChecker,
        content: Content,
        i18n: Translator,
        callback_answer: CallbackAnswer,
    ) -> None:
        team = await led_team(bot, leads, teams, callback_data.team_id, query.from_user.id)
        quality = await teams.toggle(team, callback_data.quality)
        key = "portrait.on" if quality.enabled else "portrait.off"
        callback_answer.text = i18n.t(key, name=quality.name(i18n.code))
        await show_category(query, team, quality.category, teams, content, i18n)

    @router.callback_query(PortraitRemove.filter())
    async def portrait_remove(
        query: CallbackQuery,
        callback_data: PortraitRemove,
        bot: Bot,
        teams: TeamsService,
        leads: LeadChecker,
        content: Content,
        i18n: Translator,
        callback_answer: CallbackAnswer,
    ) -> None:
        team = await led_team(bot, leads, teams, callback_data.team_id, query.from_user.id)
        await teams.remove_custom(team, callback_data.quality)
        callback_answer.text = i18n.t("portrait.removed")
        await show_category(query, team, "skills", teams, content, i18n)

    @router.callback_query(PortraitAdd.filter())
    async def portrait_add(
        query: CallbackQuery,
        callback_data: PortraitAdd,
        bot: Bot,
        state: FSMContext,
        teams: TeamsService,
        users: UsersService,
        leads: LeadChecker,
        i18n: Translator,
        callback_answer: CallbackAnswer,
    ) -> None:
        team = await led_team(bot, leads, teams, callback_data.team_id, query.from_user.id)
        # typed input works only in private (in groups the bot sees commands only)
        if await ask_in_private(
            bot, users, query.from_user.id, i18n.t("portrait.ask_name"), callback_answer
        ):
            flow = FSMContext(storage=state.storage, key=private_key(bot, query.from_user.id))
            await flow.set_state(AddSkill.name)
            await flow.set_data({"team_id": team.id})

    @router.message(StateFilter(AddSkill.name), PrivateChat(), TextInput())
    async def skill_name(message: Message, state: FSMContext, i18n: Translator) -> None:
        name = " ".join((message.text or "").split())
        if not 2 <= len(name) <= 40:
            await message.answer(i18n.t("portrait.bad_name", low=2, high=40))
            return
        await state.update_data(name=name)
        await state.set_state(AddSkill.meaning)
        await message.answer(i18n.t("portrait.ask_meaning"))

    @router.message(StateFilter(AddSkill.meaning), PrivateChat(), TextInput())
    async def skill_meaning(
        message: Message,
        bot: Bot,
        state: FSMContext,
        teams: TeamsService,
        leads: LeadChecker,
        i18n: Translator,
    ) -> None:
        data = await state.get_data()
        team = await teams.by_id(int(data["team_id"]))
        assert message.from_user is not None
        await require_lead(bot, leads, team, message.from_user.id)
        try:
            added = await teams.add_custom(team, str(data["name"]), message.text or "")
        except DomainError as refusal:
            if refusal.key == "portrait.bad_meaning":
                await message.answer(i18n.t(refusal.key, **refusal.values))
                return
            await state.clear()
            raise
        await state.clear()
        await message.answer(i18n.t("portrait.added", name=escape(added.name(i18n.code))))

    # --- settings ----------------------------------------------------------------------------

    @router.message(Command("settings"))
    async def settings_command(
        message: Message, bot: Bot, teams: TeamsService, leads: LeadChecker, i18n: Translator
    ) -> None:
        team = await team_of(message, teams)
        assert message.from_user is not None
        await require_lead(bot, leads, team, message.from_user.id)
        await message.answer(settings_text(team, i18n), reply_markup=team_settings(team, i18n))

    @router.callback_query(TeamSettings.filter())
    async def settings_press(
        query: CallbackQuery,
        callback_data: TeamSettings,
        bot: Bot,
        state: FSMContext,
        teams: TeamsService,
        users: UsersService,
        leads: LeadChecker,
        i18n: Translator,
        callback_answer: CallbackAnswer,
    ) -> None:
        team = await led_team(bot, leads, teams, callback_data.team_id, query.from_user.id)
        action = callback_data.action
        if action is SettingsAction.TIMEZONE:
            asked = await ask_in_private(
                bot, users, query.from_user.id, i18n.t("settings.ask_timezone"), callback_answer
            )
            if asked:
                flow = FSMContext(storage=state.storage, key=private_key(bot, query.from_user.id))
                await flow.set_state(SetTimezone.name)
                await flow.set_data({"team_id": team.id})
            return
        if action is SettingsAction.BUDGET_UP:
            team = await teams.set_budget(team, team.kudos_budget + 1)
        elif action is SettingsAction.BUDGET_DOWN:
            team = await teams.set_budget(team, team.kudos_budget - 1)
        else:
            flag = {
                SettingsAction.ANNOUNCE: "announce",
                SettingsAction.BIRTHDAYS: "birthdays",
                SettingsAction.DIGEST: "digest",
            }[action]
            team = await teams.set_flag(team, flag, not getattr(team, flag))
        callback_answer.text = i18n.t("settings.saved")
        assert query.message is not None
        await bot.edit_message_text(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            text=settings_text(team, i18n),
            reply_markup=team_settings(team, i18n),
        )

    @router.message(StateFilter(SetTimezone.name), PrivateChat(), TextInput())
    async def timezone_entered(
        message: Message,
        bot: Bot,
        state: FSMContext,
        teams: TeamsService,
        leads: LeadChecker,
        i18n: Translator,
    ) -> None:
        data = await state.get_data()
        team = await teams.by_id(int(data["team_id"]))
        assert message.from_user is not None
        await require_lead(bot, leads, team, message.from_user.id)
        try:
            team = await teams.set_timezone(team, message.text or "")
        except DomainError as refusal:
            await message.answer(
                i18n.t(refusal.key, **{k: escape(str(v)) for k, v in refusal.values.items()})
            )
            return
        await state.clear()
        await message.answer(settings_text(team, i18n), reply_markup=team_settings(team, i18n))

    return router
