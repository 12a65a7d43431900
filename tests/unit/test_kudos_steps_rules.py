"""The rules behind giving a kudos in fewer steps: the #tag of each quality (and that it
picks that quality alone), close tags for an unknown one, the thank-you words, the order and
pages of the quality buttons, finding a colleague by name."""

from __future__ import annotations

import pytest

from bot.services.kudos import match_quality, rank_by_use, thanks_reason
from bot.services.tags import close_qualities, tag_for
from bot.services.teams import Member, PortraitQuality, match_members
from content import LOCALES, Content
from handlers.keyboards import QUALITIES_PAGE, quality_page
from handlers.kudos.shared import TAG


def portrait(content: Content, customs: list[str] | None = None) -> list[PortraitQuality]:
    found = [
        PortraitQuality(
            q.id,
            q.category,
            q.name.ru,
            q.name.en,
            q.meaning.ru,
            q.meaning.en,
            True,
            False,
            q.button("ru"),
            q.button("en"),
        )
        for q in content.qualities
    ]
    for number, name in enumerate(customs or [], start=1):
        found.append(PortraitQuality(f"c_{number}", "skills", name, name, "-", "-", True, True))
    return found


CUSTOMS = ["Умеет настраивать роутер", "Роутер", "SQL", "Знает 1С", "Настройка роутера"]


@pytest.mark.parametrize("code", LOCALES)
def test_every_quality_has_a_tag_that_picks_it_alone(content: Content, code: str) -> None:
    qualities = portrait(content, CUSTOMS)
    for subset in (qualities, qualities[:10], [q for q in qualities if q.category == "skills"]):
        tags = {}
        for q in subset:
            tag = tag_for(q, subset, code)
            assert tag is not None, q.id
            assert TAG.fullmatch(f"#{tag}"), tag  # /kudos reads it whole
            assert match_quality(tag, subset) is q, (tag, q.id)
            tags[q.id] = tag
        assert len(set(tags.values())) == len(tags)


def test_tags_read_well(content: Content) -> None:
    qualities = portrait(content)
    by_id = {q.id: q for q in qualities}

    def tag(quality_id: str, code: str = "ru") -> str | None:
        return tag_for(by_id[quality_id], qualities, code)

    assert tag("empathy") == "эмпатия"  # a one-word name
    assert tag("teamwork") == "работа_в_команде"  # a short name, whole
    assert tag("literacy") == "грамотная_речь"  # the short label of a long name
    assert tag("patience") == "усидчивость_и_терпение"
    assert tag("patience", "en") == "perseverance"  # a word of the name that is only its
    assert tag("tidiness", "en") == "tidiness"
    assert tag("sociability", "en") == "communication_skills"


def test_a_tag_never_names_a_quality_the_team_switched_off(content: Content) -> None:
    qualities = portrait(content)
    on = [q for q in qualities if q.id != "honesty"]
    honesty = next(q for q in qualities if q.id == "honesty")
    assert tag_for(honesty, qualities, "ru") == "честность"
    assert match_quality("честность", on) is None


def test_close_tags_for_an_unknown_one(content: Content) -> None:
    qualities = portrait(content)

    def close(tag: str) -> list[str]:
        return [q.id for q in close_qualities(tag, qualities)]

    assert close("терпенье")[0] == "patience"
    assert close("#эмпатя") == ["empathy"]
    assert close("empaty") == ["empathy"]
    assert close("хелпдекс") == ["helpdesk"]
    assert close("отвественность")[0] == "responsibility"
    assert len(close("отвественность")) == 3  # at most three
    assert close("qwertyzzz") == []


@pytest.mark.parametrize(
    ("said", "rest"),
    [
        ("Спасибо!", ""),
        ("спасибо", ""),
        ("Спасибо, за подмену на смене!", "за подмену на смене"),
        ("Благодарю за помощь", "за помощь"),
        ("thanks a lot for the notes", "a lot for the notes"),
        ("Thank you — saved my day", "saved my day"),
        ("+", ""),
        ("+1", ""),
        ("+1 за отчёт", "за отчёт"),
        ("++", ""),
        ("спасибо)", ""),
    ],
)
def test_a_thank_you_and_its_reason(content: Content, said: str, rest: str) -> None:
    words = {
        w
        for code in LOCALES
        for w in str(content.locales[code].root["kudos.thanks_words"]).split(",")
    }
    assert thanks_reason(said, words) == rest


@pytest.mark.parametrize(
    "said",
    ["Спасибочки", "thanksgiving soon", "+7 999 123-45-67", "Это спасибо за смену", "", "ок"],
)
def test_not_a_thank_you(content: Content, said: str) -> None:
    words = {
        w
        for code in LOCALES
        for w in str(content.locales[code].root["kudos.thanks_words"]).split(",")
    }
    assert thanks_reason(said, words) is None


def test_the_most_used_come_first_the_rest_in_portrait_order(content: Content) -> None:
    qualities = portrait(content)[:8]
    ids = [q.id for q in qualities]
    ranked = rank_by_use(qualities, {ids[5]: 3, ids[2]: 3, ids[7]: 1})
    assert [q.id for q in ranked] == [
        ids[2],
        ids[5],
        ids[7],
        ids[0],
        ids[1],
        ids[3],
        ids[4],
        ids[6],
    ]
    assert rank_by_use(qualities, {}) == qualities


@pytest.mark.parametrize(("total", "first"), [(1, 6), (6, 6), (7, 6), (32, 6), (62, 6), (32, 4)])
def test_pages_offer_every_quality_once(content: Content, total: int, first: int) -> None:
    qualities = (portrait(content, CUSTOMS * 7))[:total]
    seen: list[str] = []
    page, more = 0, True
    while more:
        shown, more = quality_page(qualities, page, first)
        assert len(shown) <= (first if page == 0 else QUALITIES_PAGE)
        assert shown or page == 0
        seen += [q.id for q in shown]
        page += 1
    assert seen == [q.id for q in qualities]


def member(
    user_id: int, first: str | None, last: str | None = None, username: str | None = None
) -> Member:
    return Member(user_id, first, last, username, "ru", True, False)


def test_a_colleague_is_found_by_first_name_last_name_or_both() -> None:
    people = [
        member(1, "Анна", "Кузнецова", "anna_k"),
        member(2, "Анна", "Смирнова"),
        member(3, "Пётр", "Ёлкин"),
        member(4, "Мария-Луиза", None),
        member(5, None, None, "ghost"),
    ]

    def found(query: str) -> list[int]:
        return [m.user_id for m in match_members(query, people)]

    assert found("анна") == [1, 2]
    assert found("Кузнецова") == [1]
    assert found("АННА КУЗНЕЦОВА") == [1]
    assert found("Кузнецова  Анна") == [1]
    assert found("петр елкин") == [3]  # ё and е are one letter here
    assert found("луиза") == [4]
    assert found("anna_k") == [1]
    assert found("@anna_k") == [1]
    assert found("ghost") == [5]
    assert found("Анна Петрова") == []
    assert found("Ан") == []  # a whole word, not a prefix
    assert found("   ") == []
