"""How the texts read: names stay in the nominative, Russian texts are in Russian, no text
promises a feature that does not exist yet, channels are named by their title.

Telegram gives a bot neither the grammatical case nor the gender of a name, and a name may be
a Latin one or a nickname: so a Russian template puts a name only where the nominative is
right (a subject, a vocative, after a colon or a dash) and never after a verb or a preposition
that would need another case, and has no verb after a name that would need a gender.
"""

from __future__ import annotations

import re
import string

import pytest

from bot.i18n import Translations, Translator
from content import LOCALES, Content
from content.models import CREDIT_KEYS, Plural

#: placeholders that hold the name of a person (or a list of names)
PERSON_PLACEHOLDERS = frozenset({"name", "names", "giver", "receivers", "username"})
#: keys whose {name} is a skill of the portrait, not a person
NOT_PEOPLE = frozenset({"portrait.remove", "portrait.added", "portrait.on", "portrait.off"})

#: real Russian names (with ones that decline in unusual ways), Latin names, nicknames
NAMES = [
    "Анна",
    "Борис",
    "Вера",
    "Илья",
    "Никита",
    "Любовь",
    "Пётр",
    "Женя",
    "Саша Кузнецова",
    "Игорь Петров",
    "Мария-Луиза",
    "Айгуль Хабибуллина",
    "John",
    "Maria García",
    "Ng",
    "@vera_v",
    "Котик 🐱",
    "dr.who",
    "Лёха_228",
    "Бывший участник",
]

#: words after which a name would have to be in an oblique case: prepositions, and verbs
#: or words that govern a case other than the nominative
OBLIQUE_BEFORE = frozenset(
    {
        # prepositions
        "у",
        "для",
        "от",
        "к",
        "ко",
        "с",
        "со",
        "о",
        "об",
        "обо",
        "при",
        "без",
        "до",
        "про",
        "через",
        "по",
        "за",
        "над",
        "под",
        "перед",
        "между",
        "среди",
        "кроме",
        "вместо",
        "около",
        "напротив",
        # verbs and words with an object
        "благодарит",
        "благодарите",
        "благодарим",
        "благодарю",
        "благодарят",
        "поблагодарите",
        "поблагодарить",
        "поблагодарили",
        "нашёл",
        "нашел",
        "нашла",
        "найти",
        "найден",
        "поздравляем",
        "поздравляет",
        "поздравьте",
        "поздравить",
        "спасибо",
        "нет",
        "знаю",
        "пригласите",
        "отметили",
        "рождения",
        "месяца",
        "лидом",
        "сделать",
        "назначить",
        "вас",
        "вам",
    }
)

#: a gendered form right after a name: a past-tense verb («отменил», «закрыла») or a short
#: participle («найден», «добавлена»); Telegram does not tell the gender
GENDERED_AFTER = re.compile(
    r"^[а-яё]+(?:ил|ел|ал|ял|ул|ыл|ёл|ла|ло|ли|ен|ён|ан|на|но|ны)$", re.IGNORECASE
)
#: words that look like that but are not verbs
NOT_GENDERED = frozenset({"теперь", "она", "они", "оно"})

#: «отменил(а)», «(а)», «добавлен(а)», «сделал/а»
SLASHED_GENDER = re.compile(r"\((?:а|ла|ась|ая|на|ой)\)|[а-яё]/(?:а|ла|ая)\b", re.IGNORECASE)

TAG = re.compile(r"<[^>]*>")
WORD = re.compile(r"[\w\-ё]+$", re.IGNORECASE)


@pytest.fixture(scope="module")
def translations(content: Content) -> Translations:
    return Translations(content, "ru")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def forms(value: str | Plural) -> list[str]:
    if isinstance(value, Plural):
        return [f for f in (value.one, value.few, value.many, value.other) if f is not None]
    return [value]


def person_templates(content: Content, code: str) -> dict[str, set[str]]:
    """Every key of ``code`` that takes a person's name, with the placeholders that take it."""
    found: dict[str, set[str]] = {}
    for key, value in content.locales[code].root.items():
        names = set().union(*(placeholders(f) for f in forms(value))) & PERSON_PLACEHOLDERS
        if names and key not in NOT_PEOPLE:
            found[key] = names
    return found


def other_values(key: str, value: str | Plural) -> dict[str, object]:
    """Plausible values for the placeholders that do not hold a name."""
    sample: dict[str, object] = {
        "reason": "за терпение с трудным клиентом",
        "quality": "Эмпатия",
        "team": "Поддержка",
        "title": "Поддержка",
        "qualities": "Эмпатия, Ответственность",
        "month": "11.2026",
        "n": 3,
        "left": 1,
        "budget": 5,
        "minutes": 10,
        "date": "25.12",
        "period": "эта неделя",
    }
    needed = set().union(*(placeholders(f) for f in forms(value)))
    if isinstance(value, Plural):
        needed.add("n")
    return {k: v for k, v in sample.items() if k in needed} | {
        k: f"<{k}>" for k in needed - set(sample) - PERSON_PLACEHOLDERS
    }


def word_before(text: str, at: int) -> str | None:
    """The word that governs the name at ``at``: None when punctuation stands between them
    (a colon, a dash, a comma, a line break: then the name stands on its own)."""
    before = TAG.sub("", text[:at]).rstrip(' \u00a0«"“')
    if not before or before[-1] in ":—–-,.!?\n(🙏→•↩️🎂🏆":
        return None
    found = WORD.search(before)
    return found.group(0).casefold() if found else None


def word_after(text: str, end: int) -> str | None:
    after = TAG.sub("", text[end:]).lstrip(' \u00a0»"”')
    found = re.match(r"[\w\-ё]+", after, re.IGNORECASE)
    return found.group(0).casefold() if found else None


def problems_in(key: str, text: str, name: str) -> list[str]:
    found = []
    starts = [m.start() for m in re.finditer(re.escape(name), text)]
    if not starts:
        return [f"{key}: {name!r} is not in the text unchanged: {text!r}"]
    for at in starts:
        before = word_before(text, at)
        if before in OBLIQUE_BEFORE:
            found.append(f"{key}: «{before} {name}» needs another case: {text!r}")
        after = word_after(text, at + len(name))
        if after and after not in NOT_GENDERED and GENDERED_AFTER.match(after):
            found.append(f"{key}: «{name} {after}» needs a gender: {text!r}")
    return found


def render(i18n: Translator, key: str, value: str | Plural, names: dict[str, str]) -> str:
    return i18n.t(key, **(other_values(key, value) | names))


# --- names -------------------------------------------------------------------------------------


def test_the_templates_with_a_name_are_found(content: Content) -> None:
    found = person_templates(content, "ru")
    # the ones that existed when this test was written: a new one is found by its placeholder
    assert {
        "start.private",
        "teams.promoted",
        "kudos.pick_quality",
        "kudos.card",
        "kudos.undone",
        "kudos.dm",
        "kudos.unknown_username",
        "kudos.top_line",
        "kudos.mine_reason",
        "kudos.month_title",
        "kudos.month_reason",
        "kudos.birthday_greeting",
        "kudos.digest_newcomers",
    } <= set(found)
    assert person_templates(content, "en").keys() == found.keys()


@pytest.mark.parametrize("name", NAMES)
def test_a_name_stands_in_the_nominative_in_russian(
    translations: Translations, content: Content, name: str
) -> None:
    i18n = translations.get("ru")
    problems = []
    for key, holders in person_templates(content, "ru").items():
        value = content.locales["ru"].root[key]
        for holder in sorted(holders):
            names = dict.fromkeys(holders, "Глеб") | {holder: name}
            problems += problems_in(key, render(i18n, key, value, names), name)
    assert problems == []


def test_a_list_of_names_reads_right(translations: Translations, content: Content) -> None:
    i18n = translations.get("ru")
    problems = []
    for key, holders in person_templates(content, "ru").items():
        value = content.locales["ru"].root[key]
        names = dict.fromkeys(holders, "Анна, Борис")
        text = render(i18n, key, value, names)
        problems += problems_in(key, text, "Анна")
    assert problems == []


@pytest.mark.parametrize("name", ["John", "@vera_v", "Maria García", "Анна"])
def test_english_templates_keep_a_name_as_it_is(
    translations: Translations, content: Content, name: str
) -> None:
    i18n = translations.get("en")
    problems = []
    for key, holders in person_templates(content, "en").items():
        value = content.locales["en"].root[key]
        text = render(i18n, key, value, dict.fromkeys(holders, name))
        if name not in text:
            problems.append(f"{key}: {name!r} missing: {text!r}")
        if re.search(re.escape(name) + r"['’]s\b", text):  # «@vera_v's birthday»
            problems.append(f"{key}: a possessive of a name: {text!r}")
    assert problems == []


@pytest.mark.parametrize("code", LOCALES)
def test_no_slashed_gender_forms(content: Content, code: str) -> None:
    bad = [
        f"{key}: {form!r}"
        for key, value in content.locales[code].root.items()
        for form in forms(value)
        if SLASHED_GENDER.search(form) or re.search(r"\(s\)he|he/she|his/her", form)
    ]
    assert bad == []


def test_the_check_catches_the_old_texts() -> None:
    """The rules above would have caught each of the texts the issue quotes."""
    assert problems_in("k", "🙏 Анна благодарит Борис", "Борис")
    assert problems_in("k", "За какое качество благодарите Вера?", "Вера")
    assert problems_in("k", "🎂 Сегодня день рождения у Анна!", "Анна")
    assert problems_in("k", "Не нашёл Вера среди участников", "Вера")
    assert problems_in("k", "↩️ Вера отменила благодарность.", "Вера")
    assert SLASHED_GENDER.search("↩️ Вера отменил(а) благодарность.")
    assert not problems_in("k", "🙏 Анна → Борис: спасибо", "Борис")
    assert not problems_in("k", "Получатель: Вера. За какое качество?", "Вера")
    assert not problems_in("k", "🎂 День рождения: Анна!", "Анна")


# --- Russian texts are in Russian --------------------------------------------------------------

#: Latin words a Russian text may hold: names of settings and formats, brands, keys
ALLOWED_LATIN = frozenset(
    {
        "Telegram",
        "CSV",
        "IANA",
        "TIPS_CHANNEL",
        "Europe/Moscow",
        "Asia/Yekaterinburg",
        "UTC",
        "Excel",
        "xlsx",
        # in the tips: what support agents call these things in Russian too
        "FAQ",
        "Shift",
        "CRM",
        "API",
    }
)
#: what a Russian text may hold in Latin letters: placeholders, markup, /commands, @usernames,
#: #tags
NOT_WORDS = re.compile(r"\{[a-z_]+\}|</?[a-z]+>|(?<![\w/])/[a-z_]+|@\w+|#\w+")


def russian_texts(content: Content) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for key, value in content.locales["ru"].root.items():
        texts += [(f"ru.toml {key}", form) for form in forms(value)]
    for c in content.categories:
        texts += [(f"category {c.id}", c.title.ru), (f"category {c.id}", c.about.ru)]
    for q in content.qualities:
        texts += [(f"quality {q.id}", q.name.ru), (f"quality {q.id}", q.meaning.ru)]
        if q.label is not None:
            texts.append((f"quality {q.id}", q.label.ru))
    for t in content.tips:
        texts += [(f"tip {t.id}", t.title.ru), (f"tip {t.id}", t.body.ru)]
    texts += [(f"source {s.id}", s.title.ru) for s in content.tips_file.source]
    return texts


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z_/]*", NOT_WORDS.sub(" ", text))) - ALLOWED_LATIN


def test_russian_texts_have_no_english(content: Content) -> None:
    found = {
        f"{where}: {sorted(words)}"
        for where, text in russian_texts(content)
        if (words := latin_words(text))
    }
    assert found == set()


def test_the_latin_check_catches_the_old_help() -> None:
    assert latin_words("/top — самые отмечаемые коллеги (week, month, all, #качество)") == {
        "week",
        "month",
        "all",
    }
    assert latin_words("/birthday off — не поздравлять") == {"off"}
    assert latin_words("/top неделя, @anna_k, #терпение, {name}, <b>CSV</b>") == set()


def test_russian_help_names_the_russian_input_words(content: Content) -> None:
    ru = content.locales["ru"].root
    for key in ("help.private", "help.group", "kudos.bad_period"):
        text = str(ru[key])
        assert "/top неделя" in text, key
        assert "/top всё" in text, key
    assert "/birthday выкл" in str(ru["help.private"])
    assert "/birthday выкл" in str(ru["kudos.birthday_how"])
    assert "/export всё" in str(ru["kudos.export_how"])


#: phrases the team found stiff or saying one thing twice
STIFF = [
    "Самые отмечаемые",
    "личные функции",
    "Этот человек",
]


def test_no_stiff_or_repeated_phrases(content: Content) -> None:
    bad = []
    for key, value in content.locales["ru"].root.items():
        for form in forms(value):
            bad += [f"{key}: {phrase!r}" for phrase in STIFF if phrase in form]
            if "исчерпан" in form and "Осталось" in form:  # «…исчерпан. Осталось: 0.»
                bad.append(f"{key}: says twice that nothing is left")
    assert bad == []


# --- no promises of what does not exist yet ----------------------------------------------------

#: features that are not built yet: the quizzes
NOT_YET = re.compile(r"квиз|викторин|\bquiz", re.IGNORECASE)


@pytest.mark.parametrize("code", LOCALES)
def test_no_text_promises_quizzes(content: Content, code: str) -> None:
    bad = [
        f"{key}: {form!r}"
        for key, value in content.locales[code].root.items()
        for form in forms(value)
        if NOT_YET.search(form)
    ]
    assert bad == []


# --- channels are named by their title ---------------------------------------------------------


@pytest.mark.parametrize("code", LOCALES)
def test_every_channel_text_has_a_titled_variant(content: Content, code: str) -> None:
    strings = content.locales[code].root
    # not_found: a channel that cannot be found has no title; the text names the setting
    by_number = {
        key
        for key, value in strings.items()
        if "channel" in set().union(*(placeholders(f) for f in forms(value)))
    } - {"tips.not_found"}
    assert by_number, "no channel texts found"
    for key in by_number:
        titled = strings.get(f"{key}_titled")
        assert isinstance(titled, str), f"{key}: no {key}_titled"
        assert "channel_title" in placeholders(titled), key
        assert "channel" not in placeholders(titled), key
    assert "TIPS_CHANNEL" in str(strings["tips.not_found"])


# --- tips credit their article -----------------------------------------------------------------


@pytest.mark.parametrize("code", LOCALES)
def test_credit_lines_render(translations: Translations, content: Content, code: str) -> None:
    i18n = translations.get(code)
    for tip in content.tips:
        source = content.source(tip.source).title.get(code)
        credit = i18n.t(CREDIT_KEYS[tip.credit], source=source)
        card = i18n.t(
            "tips.card_credited", title=tip.title.get(code), body=tip.body.get(code), credit=credit
        )
        assert source in card
        if code == "ru":
            expected = "По мотивам статьи «" if tip.credit == "based_on" else "Источник: «"
            assert expected + source + "»" in card, tip.id
