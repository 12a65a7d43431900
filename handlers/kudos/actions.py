"""The giver's buttons under a recorded kudos: undo (the whole batch) and fixing the quality
(a short page of qualities, «More…» to the rest, or leaving it as it was), within the undo
window; the receivers' messages follow through the ledger."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import Translator
from bot.services.kudos import KudosService
from bot.services.teams import TeamsService
from bot.telegram.notifier import KudosNotifier
from bot.telegram.render import full_name
from handlers.callbacks import KudosFix, KudosFixBack, KudosRequality, KudosRequalityPage, KudosUndo
from handlers.keyboards import kudos_actions, kudos_requality
from handlers.kudos.shared import in_order


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
    giver = full_name(query.from_user.first_name, query.from_user.last_name, shown)
    text = shown.t("kudos.undone", giver=giver)
    if query.message is not None:
        await bot.edit_message_text(
            chat_id=query.message.chat.id, message_id=query.message.message_id, text=text
        )
    # the receivers' messages and a private-flow announcement: withdrawn by the ledger


async def _show_qualities(query: CallbackQuery, bot: Bot, markup: InlineKeyboardMarkup) -> None:
    if query.message is not None:
        await bot.edit_message_reply_markup(
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            reply_markup=markup,
        )


async def fix(
    query: CallbackQuery,
    callback_data: KudosFix,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    chat_i18n: Translator,
) -> None:
    """The giver's «another quality»: a short first page of the team's most used qualities,
    «More…» to the rest, in the order kept in the giver's state while they page."""
    existing = await kudos.editable(callback_data.kudos_id, query.from_user.id)
    team = await teams.by_id(existing.team_id)
    qualities = await kudos.qualities_ranked(team)
    await state.update_data(requality={"kudos": existing.id, "order": [q.id for q in qualities]})
    await _show_qualities(query, bot, kudos_requality(existing.id, qualities, chat_i18n))


async def requality_page(
    query: CallbackQuery,
    callback_data: KudosRequalityPage,
    bot: Bot,
    state: FSMContext,
    teams: TeamsService,
    kudos: KudosService,
    chat_i18n: Translator,
) -> None:
    existing = await kudos.editable(callback_data.kudos_id, query.from_user.id)
    team = await teams.by_id(existing.team_id)
    kept = (await state.get_data()).get("requality") or {}
    order = kept.get("order", []) if kept.get("kudos") == existing.id else []
    qualities = in_order(await kudos.qualities_ranked(team), order)
    markup = kudos_requality(existing.id, qualities, chat_i18n, callback_data.page)
    await _show_qualities(query, bot, markup)


async def fix_back(
    query: CallbackQuery,
    callback_data: KudosFixBack,
    bot: Bot,
    kudos: KudosService,
    chat_i18n: Translator,
) -> None:
    existing = await kudos.editable(callback_data.kudos_id, query.from_user.id)
    await _show_qualities(query, bot, kudos_actions(existing.id, chat_i18n))


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
    if query.message is None:
        return
    shown = notifier.team_i18n(team) if query.message.chat.id == team.chat_id else i18n
    text = await notifier.card(team, [updated], shown) if team.announce else None
    await bot.edit_message_text(
        chat_id=query.message.chat.id,
        message_id=query.message.message_id,
        text=text or shown.t("kudos.recorded"),
        reply_markup=kudos_actions(updated.id, shown),
    )


def setup() -> Router:
    router = Router(name="kudos.actions")
    router.callback_query.register(undo, KudosUndo.filter())
    router.callback_query.register(fix, KudosFix.filter())
    router.callback_query.register(requality, KudosRequality.filter())
    router.callback_query.register(requality_page, KudosRequalityPage.filter())
    router.callback_query.register(fix_back, KudosFixBack.filter())
    return router
