"""Keyboards of the self-review (built with aiogram's InlineKeyboardBuilder)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import Translator
from bot.services.teams import PortraitQuality, TeamsService
from handlers.reviews.callbacks import (
    Feedback,
    FeedbackAct,
    HistoryOpen,
    MyZone,
    PeerAct,
    PeerPick,
    Remind,
    RemindAct,
    ReviewRate,
    ReviewStep,
    Step,
)
from handlers.reviews.render import week_label
from storage.repo.reviews import ReviewRow
from storage.repo.teams import MemberRow

#: teammates offered for feedback at most (a keyboard has room for 100 buttons)
PEERS_SHOWN = 40


def reminder(week: str, i18n: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=i18n.t("review.start"), callback_data=Remind(act=RemindAct.START, week=week))
    kb.button(text=i18n.t("review.later"), callback_data=Remind(act=RemindAct.LATER, week=week))
    kb.button(text=i18n.t("review.skip"), callback_data=Remind(act=RemindAct.SKIP, week=week))
    kb.adjust(1, 2)
    return kb.as_markup()


def step(review: int, i18n: Translator, *acts: tuple[Step, str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for act, label in acts:
        kb.button(text=label, callback_data=ReviewStep(act=act, review=review))
    kb.adjust(1)
    return kb.as_markup()


def ratings(
    review: ReviewRow, qualities: dict[str, PortraitQuality], i18n: Translator
) -> InlineKeyboardMarkup:
    """Per quality: its name (tap: its meaning), then 1-5 with the chosen one marked."""
    kb = InlineKeyboardBuilder()
    sizes = []
    for index, quality_id in enumerate(review.qualities):
        quality = qualities.get(quality_id)
        name = quality.button(i18n.code) if quality else quality_id
        kb.button(
            text=f"ℹ️ {name}", callback_data=ReviewRate(review=review.id, index=index, value=0)
        )
        chosen = review.ratings.get(quality_id)
        for value in range(1, 6):
            label = f"·{value}·" if value == chosen else str(value)
            kb.button(
                text=label, callback_data=ReviewRate(review=review.id, index=index, value=value)
            )
        sizes += [1, 5]
    if all(q in review.ratings for q in review.qualities):
        kb.button(
            text=i18n.t("review.next"), callback_data=ReviewStep(act=Step.NEXT, review=review.id)
        )
        sizes.append(1)
    kb.adjust(*sizes)
    return kb.as_markup()


def summary(review: int, i18n: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.t("review.submit"), callback_data=ReviewStep(act=Step.SUBMIT, review=review)
    )
    kb.button(text=i18n.t("review.edit"), callback_data=ReviewStep(act=Step.EDIT, review=review))
    kb.button(
        text=i18n.t("review.cancel"), callback_data=ReviewStep(act=Step.CANCEL, review=review)
    )
    kb.adjust(1, 2)
    return kb.as_markup()


def after_submit(review: ReviewRow, i18n: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.t("review.ask_peers"), callback_data=ReviewStep(act=Step.ASK, review=review.id)
    )
    if review.share_lead:
        kb.button(
            text=i18n.t("review.share_lead_off"),
            callback_data=ReviewStep(act=Step.UNSHARE, review=review.id),
        )
    else:
        kb.button(
            text=i18n.t("review.share_lead_on"),
            callback_data=ReviewStep(act=Step.SHARE, review=review.id),
        )
    kb.button(text=i18n.t("review.edit"), callback_data=ReviewStep(act=Step.EDIT, review=review.id))
    kb.adjust(1)
    return kb.as_markup()


def peers(
    review: int,
    members: list[MemberRow],
    picked: set[int],
    with_ratings: bool,
    i18n: Translator,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    shown = members[:PEERS_SHOWN]
    for m in shown:
        name = f"{m.first_name or ''} {m.last_name or ''}".strip() or f"@{m.username or m.user_id}"
        mark = "✅ " if m.user_id in picked else ""
        kb.button(
            text=f"{mark}{name}"[:60],
            callback_data=PeerPick(act=PeerAct.TOGGLE, review=review, user=m.user_id),
        )
    ratings_label = "review.with_ratings" if with_ratings else "review.without_ratings"
    kb.button(
        text=i18n.t(ratings_label), callback_data=PeerPick(act=PeerAct.RATINGS, review=review)
    )
    kb.button(
        text=i18n.t("review.send_requests"), callback_data=PeerPick(act=PeerAct.SEND, review=review)
    )
    kb.adjust(*([2] * ((len(shown) + 1) // 2)), 1, 1)
    return kb.as_markup()


def feedback(request: int, i18n: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=i18n.t("review.answer"),
        callback_data=Feedback(act=FeedbackAct.ANSWER, request=request),
    )
    kb.button(
        text=i18n.t("review.decline"),
        callback_data=Feedback(act=FeedbackAct.DECLINE, request=request),
    )
    kb.adjust(2)
    return kb.as_markup()


def history(reviews: list[ReviewRow], i18n: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for r in reviews:
        status = i18n.t("review.status_submitted" if r.submitted else "review.status_draft")
        kb.button(text=f"{week_label(r.week)} · {status}", callback_data=HistoryOpen(review=r.id))
    kb.adjust(1)
    return kb.as_markup()


def zone_buttons(teams: TeamsService, i18n: Translator) -> InlineKeyboardMarkup:
    """The zones of Russia and its neighbours for the user's own schedule, two a row."""
    kb = InlineKeyboardBuilder()
    for offer in teams.timezone_offers(i18n.code):
        kb.button(
            text=i18n.t("settings.zone_button", city=offer.city, offset=offer.offset),
            callback_data=MyZone(zone=offer.zone),
        )
    kb.adjust(2)
    return kb.as_markup()
