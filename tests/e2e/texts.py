"""Expected texts from the translations the bot loads, not copied strings.

``ru("kudos.card", giver="Анна", ...)`` renders a UI string of ``content/locales/ru.toml``
the way the bot does (string values are HTML-escaped before they are put in, as the bot escapes
names and reasons) and returns what a reader sees: the HTML parsed by the fake Bot API's own
parser (tags become entities, ``&amp;`` becomes ``&``), i.e. what ``Message.text`` holds. A
value that is already rendered HTML (one string put inside another, as the bot does with a
kudos card in the confirmation) is passed as ``ru.html(...)`` and is not escaped again.

``ru.t(key, ...)`` is the raw string for what Telegram does not parse: button labels and
callback answers. ``ru.quality(id)`` is a quality's name in the catalogue
(``content/qualities.toml``), ``ru.label(id)`` its button text.
"""

from __future__ import annotations

import html
import re

from bot.i18n import Translations
from content import load_content
from content.models import Quality
from tests.fakebot.formatting import format_text

CONTENT = load_content()
TRANSLATIONS = Translations(CONTENT, "ru")


class Html(str):
    """A value that is already HTML: put in as it is."""


def seen(source: str) -> str:
    """The plain text of a message sent with ``parse_mode=HTML``, as the fake stores it."""
    return format_text(source, "HTML", None).text


class Texts:
    """The UI strings of one locale, rendered as a reader sees them."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.i18n = TRANSLATIONS.get(code)

    def html(self, key: str, /, **values: object) -> Html:
        """The string as the bot sends it: HTML, with string values escaped."""
        escaped = {
            name: value if isinstance(value, Html) or not isinstance(value, str) else escape(value)
            for name, value in values.items()
        }
        return Html(self.i18n.t(key, **escaped))

    def __call__(self, key: str, /, **values: object) -> str:
        """The string as the reader sees it in a message (tags gone, entities decoded)."""
        return seen(self.html(key, **values))

    def t(self, key: str, /, **values: object) -> str:
        """The raw string, for text Telegram shows as it is (buttons, callback answers)."""
        return self.i18n.t(key, **values)

    def prefix(self, key: str, /) -> str:
        """What the reader sees of the string before its first value: to tell a message of
        this kind among others (e.g. the employee-of-the-month post in a busy group)."""
        entry = CONTENT.locales[self.code].root[key]
        if not isinstance(entry, str):
            raise TypeError(f"{key!r} is a plural string: render it with n=")
        head = entry.split("{", 1)[0]
        return html.unescape(re.sub(r"<[^>]*>", "", head))

    def quality(self, quality_id: str) -> str:
        """A catalogue quality's name (what cards, boards and exports show)."""
        return _quality(quality_id).name.get(self.code)

    def label(self, quality_id: str) -> str:
        """A catalogue quality's button text (its short label, else its name)."""
        return _quality(quality_id).button(self.code)


def escape(value: str) -> str:
    return html.escape(value, quote=False)


def _quality(quality_id: str) -> Quality:
    quality = CONTENT.quality(quality_id)
    if quality is None:
        raise KeyError(f"no quality {quality_id!r} in content/qualities.toml")
    return quality


ru = Texts("ru")
en = Texts("en")
