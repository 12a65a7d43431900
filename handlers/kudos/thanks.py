"""A plain thank-you in the team chat: a reply that starts with «спасибо», «thanks», «+1»…
(the words are ``kudos.thanks_words`` of every locale) to a colleague's message gets a short
reply offering the replier a one-tap kudos. The prompt is a draft of the replier's (only
their presses count); a choice edits it into the kudos card, a cancel deletes it, and the
ledger deletes it after ``PROMPT_LIFETIME`` if nobody used it.

The bot sees such replies only when it can read the group: group privacy mode off, or the
bot an admin of the group. In privacy mode this handler simply never fires."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject

from bot.i18n import Translations
from bot.services.errors import DomainError
from bot.services.kudos import KudosService, thanks_reason
from bot.services.teams import TeamsService
from bot.telegram.notifier import KudosNotifier
from bot.telegram.render import member_name
from content import LOCALES
from handlers.filters import GroupChat
from handlers.keyboards import kudos_qualities
from handlers.kudos.group import save_draft
from handlers.kudos.shared import offer_order

#: quality buttons on the prompt (the team's most used); the rest are a «More…» away
PROMPT_BUTTONS = 4


def thanks_words(translations: Translations) -> set[str]:
    """The thank-you words of every locale (a team may thank in either language)."""
    words: set[str] = set()
    for code in LOCALES:
        words.update(translations.get(code).t("kudos.thanks_words").split(","))
    return words


class ThanksReply(Filter):
    """A text reply to someone else's (not a bot's) message that starts with a thank-you
    word: injects ``thanks`` (the rest of the text)."""

    async def __call__(
        self, event: TelegramObject, translations: Translations, **_: Any
    ) -> bool | dict[str, str]:
        if not isinstance(event, Message) or not event.text or event.from_user is None:
            return False
        reply = event.reply_to_message
        if reply is None or reply.from_user is None or reply.forum_topic_created is not None:
            return False
        if reply.from_user.is_bot or reply.from_user.id == event.from_user.id:
            return False
        rest = thanks_reason(event.text, thanks_words(translations))
        return False if rest is None else {"thanks": rest}


async def thanks_in_group(
    message: Message,
    thanks: str,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    notifier: KudosNotifier,
) -> None:
    assert message.from_user is not None
    assert message.reply_to_message is not None
    receiver = message.reply_to_message.from_user
    assert receiver is not None
    team = await teams.by_chat(message.chat.id)
    if team is None:
        return  # not a team's chat: a thank-you is just a thank-you
    try:  # not a member, thanking an outsider: nothing to offer, nothing to complain about
        await kudos.check_receivers(team, message.from_user.id, [receiver.id])
    except DomainError:
        return
    if await kudos.remaining(team, message.from_user.id) < 1:
        return
    shown = notifier.team_i18n(team)  # the group reads the team's language
    try:
        reason = await kudos.check_reason(thanks)
    except DomainError:
        reason = shown.t("kudos.thanks_default")
    ranked = await kudos.qualities_ranked(team)
    draft = await save_draft(
        state,
        team,
        [receiver.id],
        reason,
        message.message_id,
        offer_order(ranked, []),
        shown,
        prompt=True,
        first=PROMPT_BUTTONS,
    )
    name = member_name(await teams.member(team, receiver.id), shown)
    prompt = await message.reply(
        shown.t("kudos.thanks_prompt", names=name),
        reply_markup=kudos_qualities(draft, ranked, shown, first=PROMPT_BUTTONS),
    )
    await kudos.prompt_shown(prompt.chat.id, prompt.message_id)


def setup() -> Router:
    router = Router(name="kudos.thanks")
    router.message.register(thanks_in_group, GroupChat(), ThanksReply())
    return router
