"""Keyboards, built by functions."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from handlers.callbacks import Rating, TipMore, TipRate


def more_tip(tip_id: str, i18n: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=i18n.t("tips.more"), callback_data=TipMore(after=tip_id).pack()
                )
            ]
        ]
    )


def tip_rating(useful: int, not_for_me: int, i18n: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=i18n.t("tips.useful", n=useful),
                    callback_data=TipRate(rating=Rating.USEFUL).pack(),
                ),
                InlineKeyboardButton(
                    text=i18n.t("tips.not_for_me", n=not_for_me),
                    callback_data=TipRate(rating=Rating.NOT_FOR_ME).pack(),
                ),
            ]
        ]
    )


def open_private(
    bot_username: str, i18n: Translator, payload: str | None = None
) -> InlineKeyboardMarkup:
    url = f"https://t.me/{bot_username}" + (f"?start={payload}" if payload else "")
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=i18n.t("start.open_private"), url=url)]]
    )
