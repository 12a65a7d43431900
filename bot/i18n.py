"""UI strings from ``content/locales``: lookup by key, named variables, plural rules."""

from __future__ import annotations

from collections.abc import Mapping

from content import Content
from content.models import Plural

#: Telegram language codes answered in Russian (close languages whose users read it best).
RUSSIAN_FAMILY = ("ru", "uk", "be", "kk")


def russian_plural(n: int) -> str:
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def english_plural(n: int) -> str:
    return "one" if abs(n) == 1 else "other"


class Translator:
    """The strings of one locale. ``t("tips.more")``; plurals pick their form by ``n``."""

    def __init__(self, code: str, strings: Mapping[str, str | Plural]) -> None:
        self.code = code
        self._strings = strings
        self._plural = russian_plural if code == "ru" else english_plural

    def t(self, key: str, /, **values: object) -> str:
        try:
            entry = self._strings[key]
        except KeyError:
            raise KeyError(f"no UI string {key!r} in locale {self.code!r}") from None
        if isinstance(entry, Plural):
            n = values.get("n")
            if not isinstance(n, int):
                raise TypeError(f"plural string {key!r} needs an integer n=")
            form = self._plural(n)
            entry = getattr(entry, form) or entry.other or entry.many or entry.one or ""
        return entry.format(**values) if values else entry


class Translations:
    """Every locale, and the rule that picks one for a Telegram user."""

    def __init__(self, content: Content, default: str) -> None:
        self.default = default
        self._by_code = {code: Translator(code, loc.root) for code, loc in content.locales.items()}

    def get(self, code: str) -> Translator:
        return self._by_code.get(code, self._by_code[self.default])

    def for_language(self, language_code: str | None) -> Translator:
        """ru for Russian-reading users, en for other languages, the default when unknown."""
        if not language_code:
            return self.get(self.default)
        base = language_code.split("-")[0].lower()
        return self.get("ru" if base in RUSSIAN_FAMILY else "en")
