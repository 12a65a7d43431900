"""/portrait: for leads, the panel that switches catalogue qualities on and off by category,
adds the team's own skills (asked in private) and removes them; for the other members, the
same portrait read-only: its sections, each quality with its meaning and the #tag that picks
it in /kudos, the team's own skills apart."""

from __future__ import annotations

from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translator
from bot.services.errors import DomainError
from bot.services.tags import tag_for
from bot.services.teams import PortraitQuality, Team, TeamsService
from bot.services.users import UsersService
from bot.telegram.leads import LeadChecker
from bot.telegram.render import within
from content import Content
from handlers.callbacks import (
    PortraitAdd,
    PortraitRead,
    PortraitRemove,
    PortraitToggle,
    PortraitView,
)
from handlers.filters import ButtonTeam, IsLead, PrivateChat, TeamHere, TextInput
from handlers.keyboards import (
    portrait_category,
    portrait_root,
    portrait_section_back,
    portrait_sections,
)
from handlers.states import AddSkill
from handlers.teams.shared import Question, ask_in_private, portrait_text

NAME_LENGTH = (2, 40)
#: the read-only portrait's section of the team's own skills
OWN = "own"


def _root(team: Team, content: Content, i18n: Translator) -> InlineKeyboardMarkup:
    categories = [(c.id, c.title.get(i18n.code)) for c in content.categories]
    return portrait_root(team.id, categories, i18n)


async def portrait(message: Message, team: Team, content: Content, i18n: Translator) -> None:
    await message.answer(portrait_text(team, i18n), reply_markup=_root(team, content, i18n))


# --- read-only, for members --------------------------------------------------------------------


def _in_section(quality: PortraitQuality, section: str) -> bool:
    if section == OWN:
        return quality.custom
    return not quality.custom and quality.category == section


def _sections(
    enabled: list[PortraitQuality], content: Content, i18n: Translator
) -> list[tuple[str, str]]:
    """(section, button text) of each section that has a quality switched on."""
    titles = [(c.id, c.title.get(i18n.code)) for c in content.categories]
    found = []
    for section, title in [*titles, (OWN, i18n.t("portrait.own"))]:
        n = sum(1 for q in enabled if _in_section(q, section))
        if n:
            found.append((section, i18n.t("portrait.section", title=title, n=n)))
    return found


def _section_text(
    section: str, enabled: list[PortraitQuality], content: Content, i18n: Translator
) -> str:
    """The section's qualities, each with its #tag and meaning, bounded to one message."""
    lang = i18n.code
    category = next((c for c in content.categories if c.id == section), None)
    if category is None and section != OWN:
        raise DomainError("errors.stale_button")
    title = category.title.get(lang) if category is not None else i18n.t("portrait.own")
    lines = [i18n.t("portrait.read_section", section=escape(title))]
    for q in enabled:
        if not _in_section(q, section):
            continue
        tag = tag_for(q, enabled, lang)
        values = {"name": escape(q.name(lang)), "meaning": escape(q.meaning(lang))}
        if tag is None:
            lines.append(i18n.t("portrait.read_untagged", **values))
        else:
            lines.append(i18n.t("portrait.read_line", tag=escape(tag), **values))
    return within(lines, lambda n: i18n.t("common.and_more", n=n), sep="\n\n")


async def _reading(
    team: Team, section: str, teams: TeamsService, content: Content, i18n: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    enabled = await teams.enabled_qualities(team)
    if not section:
        text = i18n.t("portrait.read_title", title=escape(team.title))
        return text, portrait_sections(team.id, _sections(enabled, content, i18n), i18n)
    return _section_text(section, enabled, content, i18n), portrait_section_back(team.id, i18n)


async def portrait_read(
    message: Message, team: Team, teams: TeamsService, content: Content, i18n: Translator
) -> None:
    """A member who is not a lead: the portrait without its switches (a reply in the group)."""
    assert message.from_user is not None
    if await teams.member(team, message.from_user.id) is None:
        raise DomainError("teams.not_member")
    text, markup = await _reading(team, "", teams, content, i18n)
    if message.chat.type == "private":
        await message.answer(text, reply_markup=markup)
    else:
        await message.reply(text, reply_markup=markup)


async def portrait_read_section(
    query: CallbackQuery,
    callback_data: PortraitRead,
    bot: Bot,
    team: Team,
    teams: TeamsService,
    content: Content,
    chat_i18n: Translator,
) -> None:
    if await teams.member(team, query.from_user.id) is None:
        raise DomainError("teams.not_member")
    assert query.message is not None
    text, markup = await _reading(team, callback_data.section, teams, content, chat_i18n)
    await bot.edit_message_text(
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        text=text,
        reply_markup=markup,
    )


# --- the leads' panel ---------------------------------------------------------------------------


async def _show_category(
    query: CallbackQuery,
    bot: Bot,
    team: Team,
    category: str,
    teams: TeamsService,
    content: Content,
    i18n: Translator,
) -> None:
    assert query.message is not None
    if not category:
        text, markup = portrait_text(team, i18n), _root(team, content, i18n)
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
    await bot.edit_message_text(
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        text=text,
        reply_markup=markup,
    )


async def portrait_view(
    query: CallbackQuery,
    callback_data: PortraitView,
    bot: Bot,
    team: Team,
    teams: TeamsService,
    content: Content,
    i18n: Translator,
    chat_i18n: Translator,
) -> None:
    await _show_category(query, bot, team, callback_data.category, teams, content, chat_i18n)


async def portrait_toggle(
    query: CallbackQuery,
    callback_data: PortraitToggle,
    bot: Bot,
    team: Team,
    teams: TeamsService,
    content: Content,
    i18n: Translator,
    chat_i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    quality = await teams.toggle(team, callback_data.quality)
    key = "portrait.on" if quality.enabled else "portrait.off"
    callback_answer.text = i18n.t(key, name=quality.name(i18n.code))
    await _show_category(query, bot, team, quality.category, teams, content, chat_i18n)


async def portrait_remove(
    query: CallbackQuery,
    callback_data: PortraitRemove,
    bot: Bot,
    team: Team,
    teams: TeamsService,
    content: Content,
    i18n: Translator,
    chat_i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    await teams.remove_custom(team, callback_data.quality)
    callback_answer.text = i18n.t("portrait.removed")
    await _show_category(query, bot, team, "skills", teams, content, chat_i18n)


async def portrait_add(
    query: CallbackQuery,
    bot: Bot,
    team: Team,
    state: FSMContext,
    teams: TeamsService,
    users: UsersService,
    i18n: Translator,
    callback_answer: CallbackAnswer,
) -> None:
    # typed input works only in private (in groups the bot sees commands only)
    question = Question(query.from_user.id, team, "portrait.ask_name", AddSkill.name)
    await ask_in_private(bot, users, teams, state, question, callback_answer, i18n)


async def skill_name(message: Message, state: FSMContext, i18n: Translator) -> None:
    name = " ".join((message.text or "").split())
    low, high = NAME_LENGTH
    if not low <= len(name) <= high:
        await message.answer(i18n.t("portrait.bad_name", low=low, high=high))
        return
    await state.update_data(name=name)
    await state.set_state(AddSkill.meaning)
    await message.answer(i18n.t("portrait.ask_meaning"))


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
    if not await leads.is_lead(bot, team, message.from_user.id):
        await state.clear()
        raise DomainError("teams.not_lead")
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


def setup() -> Router:
    router = Router(name="teams.portrait")
    router.message.register(portrait, Command("portrait"), TeamHere(), IsLead(refuse=False))
    router.message.register(portrait_read, Command("portrait"), TeamHere())
    router.callback_query.register(portrait_read_section, PortraitRead.filter(), ButtonTeam())
    lead_button = (ButtonTeam(), IsLead())
    router.callback_query.register(portrait_view, PortraitView.filter(), *lead_button)
    router.callback_query.register(portrait_toggle, PortraitToggle.filter(), *lead_button)
    router.callback_query.register(portrait_remove, PortraitRemove.filter(), *lead_button)
    router.callback_query.register(portrait_add, PortraitAdd.filter(), *lead_button)
    text_in_private = (PrivateChat(), TextInput())
    router.message.register(skill_name, StateFilter(AddSkill.name), *text_in_private)
    router.message.register(skill_meaning, StateFilter(AddSkill.meaning), *text_in_private)
    return router
