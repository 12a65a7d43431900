"""Keyboards, built by functions on aiogram's ``InlineKeyboardBuilder``."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator
from bot.services.teams import PortraitQuality, Team
from bot.services.timezones import ZoneOffer
from handlers.callbacks import (
    ForgetMe,
    KudosConfirm,
    KudosDraftCancel,
    KudosFix,
    KudosFixBack,
    KudosPage,
    KudosQuality,
    KudosReceiver,
    KudosRequality,
    KudosRequalityPage,
    KudosUndo,
    MinePage,
    PortraitAdd,
    PortraitRead,
    PortraitRemove,
    PortraitToggle,
    PortraitView,
    Rating,
    SettingsAction,
    TeamJoin,
    TeamPick,
    TeamSettings,
    TimezoneChoice,
    TipMore,
    TipRate,
)
from handlers.reviews.callbacks import TeamAct, TeamReviews


def more_tip(tip_id: str, i18n: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.t("tips.more"), callback_data=TipMore(after=tip_id))
    return builder.as_markup()


def tip_rating(useful: int, not_for_me: int, i18n: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.t("tips.useful", n=useful), callback_data=TipRate(rating=Rating.USEFUL)
    )
    builder.button(
        text=i18n.t("tips.not_for_me", n=not_for_me),
        callback_data=TipRate(rating=Rating.NOT_FOR_ME),
    )
    return builder.as_markup()


def open_private(
    bot_username: str, i18n: Translator, payload: str | None = None
) -> InlineKeyboardMarkup:
    url = f"https://t.me/{bot_username}" + (f"?start={payload}" if payload else "")
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.t("start.open_private"), url=url)
    return builder.as_markup()


def join_team(team_id: int, i18n: Translator) -> InlineKeyboardMarkup:
    """One «join» button: a colleague who never started the bot is sent to the private chat by
    the button's answer (its Start finishes the joining), so no second button is needed."""
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.t("teams.join"), callback_data=TeamJoin(team_id=team_id))
    return builder.as_markup()


def pick_team(teams: list[tuple[int, str]], current: int | None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for team_id, title in teams:
        builder.button(
            text=("✅ " if team_id == current else "") + title[:60],
            callback_data=TeamPick(team_id=team_id),
        )
    builder.adjust(1)
    return builder.as_markup()


def portrait_root(
    team_id: int, categories: list[tuple[str, str]], i18n: Translator
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for cat, title in categories:
        builder.button(text=title, callback_data=PortraitView(team_id=team_id, category=cat))
    builder.adjust(2)
    builder.row(_button(i18n.t("portrait.add"), PortraitAdd(team_id=team_id)))
    return builder.as_markup()


def portrait_sections(
    team_id: int, sections: list[tuple[str, str]], i18n: Translator
) -> InlineKeyboardMarkup:
    """The read-only portrait's sections (nothing here changes it), one to a row."""
    builder = InlineKeyboardBuilder()
    for section, title in sections:
        builder.button(
            text=title[:60], callback_data=PortraitRead(team_id=team_id, section=section)
        )
    builder.adjust(1)
    return builder.as_markup()


def portrait_section_back(team_id: int, i18n: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.t("portrait.back"), callback_data=PortraitRead(team_id=team_id))
    return builder.as_markup()


def portrait_category(
    team_id: int, qualities: list[PortraitQuality], i18n: Translator
) -> InlineKeyboardMarkup:
    lang = i18n.code
    builder = InlineKeyboardBuilder()
    for q in qualities:
        builder.button(
            text=("✅ " if q.enabled else "▫️ ") + q.button(lang)[:50],
            callback_data=PortraitToggle(team_id=team_id, quality=q.id),
        )
    builder.adjust(2)
    for q in qualities:
        if q.custom:
            builder.row(
                _button(
                    i18n.t("portrait.remove", name=q.button(lang)[:50]),
                    PortraitRemove(team_id=team_id, quality=q.id),
                )
            )
    builder.row(_button(i18n.t("portrait.back"), PortraitView(team_id=team_id)))
    return builder.as_markup()


def team_settings(team: Team, i18n: Translator) -> InlineKeyboardMarkup:
    def state(flag: bool) -> str:
        return i18n.t("settings.yes") if flag else i18n.t("settings.no")

    def button(text: str, action: SettingsAction) -> InlineKeyboardButton:
        return _button(text, TeamSettings(team_id=team.id, action=action))

    builder = InlineKeyboardBuilder()
    builder.row(button(i18n.t("settings.timezone"), SettingsAction.TIMEZONE))
    builder.row(
        button("➖", SettingsAction.BUDGET_DOWN),
        button(i18n.t("settings.budget", n=team.kudos_budget), SettingsAction.BUDGET_SHOW),
        button("➕", SettingsAction.BUDGET_UP),
    )
    builder.row(
        button(i18n.t("settings.announce", state=state(team.announce)), SettingsAction.ANNOUNCE)
    )
    builder.row(
        button(i18n.t("settings.birthdays", state=state(team.birthdays)), SettingsAction.BIRTHDAYS)
    )
    builder.row(button(i18n.t("settings.digest", state=state(team.digest)), SettingsAction.DIGEST))
    builder.row(
        _button(i18n.t("review.team_button"), TeamReviews(team_id=team.id, act=TeamAct.OPEN))
    )
    return builder.as_markup()


def kudos_qualities(
    draft: str,
    qualities: list[PortraitQuality],
    i18n: Translator,
    page: int = 0,
    first: int | None = None,
) -> InlineKeyboardMarkup:
    """One page of quality buttons (``qualities`` in the order to offer them; the first page
    holds ``first``, default QUALITIES_FIRST_PAGE), «More…» and «Back» between the pages,
    and cancel."""
    page = max(0, page)
    shown, more = quality_page(qualities, page, QUALITIES_FIRST_PAGE if first is None else first)
    builder = InlineKeyboardBuilder()
    for q in shown:
        builder.button(
            text=q.button(i18n.code)[:40], callback_data=KudosQuality(draft=draft, quality=q.id)
        )
    builder.adjust(2)
    moves = []
    if page > 0:
        moves.append(_button(i18n.t("kudos.page_back"), KudosPage(draft=draft, page=page - 1)))
    if more:
        moves.append(_button(i18n.t("kudos.page_more"), KudosPage(draft=draft, page=page + 1)))
    if moves:
        builder.row(*moves)
    builder.row(_button(i18n.t("kudos.cancel"), KudosDraftCancel(draft=draft)))
    return builder.as_markup()


def kudos_requality(
    kudos_id: int, qualities: list[PortraitQuality], i18n: Translator, page: int = 0
) -> InlineKeyboardMarkup:
    """Another quality for a recorded kudos: pages as in ``kudos_qualities`` (the first
    QUALITIES_FIRST_PAGE of ``qualities``, «More…» and «Back» between the pages), and a
    button that leaves the quality as it is."""
    page = max(0, page)
    shown, more = quality_page(qualities, page, QUALITIES_FIRST_PAGE)
    builder = InlineKeyboardBuilder()
    for q in shown:
        builder.button(
            text=q.button(i18n.code)[:40],
            callback_data=KudosRequality(kudos_id=kudos_id, quality=q.id),
        )
    builder.adjust(2)
    moves = []
    if page > 0:
        moves.append(
            InlineKeyboardButton(
                text=i18n.t("kudos.page_back"),
                callback_data=KudosRequalityPage(kudos_id=kudos_id, page=page - 1).pack(),
            )
        )
    if more:
        moves.append(
            InlineKeyboardButton(
                text=i18n.t("kudos.page_more"),
                callback_data=KudosRequalityPage(kudos_id=kudos_id, page=page + 1).pack(),
            )
        )
    if moves:
        builder.row(*moves)
    builder.row(
        InlineKeyboardButton(
            text=i18n.t("kudos.keep_quality"), callback_data=KudosFixBack(kudos_id=kudos_id).pack()
        )
    )
    return builder.as_markup()


def kudos_actions(kudos_id: int, i18n: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.t("kudos.undo"), callback_data=KudosUndo(kudos_id=kudos_id))
    builder.button(text=i18n.t("kudos.fix_quality"), callback_data=KudosFix(kudos_id=kudos_id))
    return builder.as_markup()


def kudos_receivers(members: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for uid, name in members:
        builder.button(text=name[:40], callback_data=KudosReceiver(user_id=uid))
    builder.adjust(2)
    return builder.as_markup()


def kudos_confirm(i18n: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.t("kudos.send"), callback_data=KudosConfirm(send=True))
    builder.button(text=i18n.t("kudos.cancel"), callback_data=KudosConfirm(send=False))
    return builder.as_markup()


def mine_pages(
    team_id: int, page: int, has_more: bool, i18n: Translator
) -> InlineKeyboardMarkup | None:
    if page <= 0 and not has_more:
        return None
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(
            text=i18n.t("kudos.prev"), callback_data=MinePage(team_id=team_id, page=page - 1)
        )
    if has_more:
        builder.button(
            text=i18n.t("kudos.next"), callback_data=MinePage(team_id=team_id, page=page + 1)
        )
    return builder.as_markup()


def forget_me(i18n: Translator) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.t("kudos.forget_yes"), callback_data=ForgetMe(confirm=True))
    builder.button(text=i18n.t("kudos.forget_no"), callback_data=ForgetMe(confirm=False))
    return builder.as_markup()


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    """A button for ``builder.row`` (``builder.button`` adds to the current row)."""
    return InlineKeyboardButton(text=text, callback_data=data.pack())


#: quality buttons on the first page of a kudos draft (the team's most used qualities)
QUALITIES_FIRST_PAGE = 6
#: quality buttons on each further page
QUALITIES_PAGE = 8


def quality_page(
    qualities: list[PortraitQuality], page: int, first: int
) -> tuple[list[PortraitQuality], bool]:
    """The qualities on ``page`` (0: the first ``first``, then QUALITIES_PAGE each) and
    whether a further page follows."""
    start = 0 if page <= 0 else first + (page - 1) * QUALITIES_PAGE
    end = first if page <= 0 else start + QUALITIES_PAGE
    return qualities[start:end], end < len(qualities)


def timezone_choices(offers: list[ZoneOffer], i18n: Translator) -> InlineKeyboardMarkup:
    """The zones of the time-zone question, «Москва UTC+3», two to a row."""
    builder = InlineKeyboardBuilder()
    for offer in offers:
        builder.button(
            text=i18n.t("settings.zone_button", city=offer.city, offset=offer.offset),
            callback_data=TimezoneChoice(zone=offer.zone),
        )
    builder.adjust(2)
    return builder.as_markup()
