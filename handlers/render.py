"""Rendering: content and user data into Telegram HTML (every value escaped)."""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from content import Content, Tip


def tip_card(tip: Tip, content: Content, i18n: Translator) -> str:
    lang = i18n.code
    card = i18n.t(
        "tips.card",
        title=escape(tip.title.get(lang)),
        body=escape(tip.body.get(lang)),
        source=escape(content.source(tip.source).title.get(lang)),
    )
    quality = content.quality(tip.quality) if tip.quality else None
    if quality is not None:
        card += "\n" + i18n.t("tips.quality", quality=escape(quality.name.get(lang)))
    return card


def tip_title(tip: Tip, i18n: Translator) -> str:
    return escape(tip.title.get(i18n.code))
