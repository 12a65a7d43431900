"""Callback data of every button: short versioned prefixes, Enum fields, ≤ 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Rating(StrEnum):
    USEFUL = "u"
    NOT_FOR_ME = "n"


class TipMore(CallbackData, prefix="tm1"):
    """«Another tip» under a tip in private; ``after`` is the tip shown (not repeated next)."""

    after: str


class TipRate(CallbackData, prefix="tr1"):
    """A reader's rating of a channel post; the post is the message the button is under."""

    rating: Rating
