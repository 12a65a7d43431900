"""bot.telegram.render.within and names_within: texts built from user data never exceed
Telegram's limit, keep their first line, name what they left out, and are never cut inside
an HTML tag or entity."""

from __future__ import annotations

import random
import re
from html import escape

import pytest

from bot.telegram.render import TEXT_LIMIT, names_within, units, within


def more(n: int) -> str:
    return f"…и ещё {n}"


TAIL = re.compile(r"…и ещё (\d+)$")
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
TAG = re.compile(r"<[^<>]*>")


def split(text: str, sep: str) -> tuple[list[str], int]:
    """The kept items of a result and the number its «…и ещё N» names (0 without one)."""
    parts = text.split(sep)
    found = TAIL.fullmatch(parts[-1])
    if found:
        return parts[:-1], int(found.group(1))
    return parts, 0


def assert_whole_html(text: str) -> None:
    """No half tag (``<a hre``) and no half entity (``&am``) anywhere."""
    bare = TAG.sub("", text)
    assert "<" not in bare
    assert ">" not in bare
    assert "&" not in ENTITY.sub("", bare)


def test_everything_fits() -> None:
    lines = ["<b>Заголовок</b>", "первая", "вторая"]
    assert within(lines, more) == "<b>Заголовок</b>\nпервая\nвторая"
    assert within([], more) == ""
    assert within(["один"], more, limit=10) == "один"


def test_the_rest_is_named() -> None:
    lines = ["Title", "aaaa", "bbbb", "cccc", "dddd"]
    # "Title\naaaa\nbbbb" is 15 units; the tail naming two more needs 1 + 8
    text = within(lines, more, limit=24)
    assert text == "Title\naaaa\nbbbb\n…и ещё 2"
    assert units(text) <= 24
    # one unit less: «bbbb» gives way to the tail that names it too
    assert within(lines, more, limit=23) == "Title\naaaa\n…и ещё 3"


def test_the_last_line_needs_no_room_for_a_tail() -> None:
    lines = ["Title", "aaaa", "b" * 9]
    exact = "Title\naaaa\n" + "b" * 9  # 20 units; the tail naming one more is 9
    assert within(lines, more, limit=20) == exact
    assert within(lines, more, limit=19) == "Title\naaaa\n…и ещё 1"


def test_everything_that_fits_is_shown() -> None:
    lines = ["Title", "aaaa", "bbbb"]
    assert within(lines, more, limit=15) == "Title\naaaa\nbbbb"  # 15 units


def test_the_first_line_is_kept_even_when_nothing_else_fits() -> None:
    lines = ["A title of twenty-six units", "x" * 50, "y" * 50]
    text = within(lines, more, limit=40)
    assert text == "A title of twenty-six units\n…и ещё 2"
    assert units(text) <= 40


def test_hidden_items_are_counted() -> None:
    assert within(["Title", "a"], more, hidden=3) == "Title\na\n…и ещё 3"
    assert within(["Title"], more, hidden=2) == "Title\n…и ещё 2"
    # a dropped line and the hidden ones are named together
    text = within(["Title", "aaaa", "b" * 40], more, limit=30, hidden=2)
    assert text == "Title\naaaa\n…и ещё 3"
    # the last line must leave room for naming the hidden ones
    assert within(["Title", "aaaa"], more, limit=19, hidden=2) == "Title\naaaa\n…и ещё 2"
    assert within(["Title", "aaaa"], more, limit=18, hidden=2) == "Title\n…и ещё 3"


def test_units_are_utf16_code_units() -> None:
    assert units("abc") == 3
    assert units("ёжик") == 4
    assert units("😀") == 2  # outside the BMP: a surrogate pair
    lines = ["T", "😀" * 4, "😀" * 4]
    # 19 units in all (11 characters); the second line and a tail naming one more: 19 too
    assert within(lines, more, limit=19) == "T\n😀😀😀😀\n😀😀😀😀"
    assert within(lines, more, limit=18) == "T\n…и ещё 2"
    assert within(lines, more, limit=11) == "T\n…и ещё 2"


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("sep", ["\n", ", "])
def test_never_over_the_limit_and_a_prefix_named_exactly(seed: int, sep: str) -> None:
    rng = random.Random(seed)
    alphabet = "abcяжё😀&<>\"'"
    items = [
        escape("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))))
        for _ in range(rng.randint(1, 80))
    ]
    hidden = rng.choice([0, 0, 3, 120])
    smallest = units(items[0]) + units(sep + more(len(items) - 1 + hidden))
    for limit in sorted({smallest, smallest + 1, rng.randint(smallest, 4 * smallest), 4096}):
        text = within(items, more, limit, sep=sep, hidden=hidden)
        assert units(text) <= limit
        kept, named = split(text, sep)
        assert kept[0] == items[0]
        assert kept == items[: len(kept)]
        assert named == len(items) - len(kept) + hidden
        assert_whole_html(text)
        if named == 0:
            assert text == sep.join(items)


def test_names_within() -> None:
    names = ["Анна", "Борис", "Вера", "Глеб", "Дина"]
    assert names_within(names, more, 100) == "Анна, Борис, Вера, Глеб, Дина"
    text = names_within(names, more, 25)
    assert text == "Анна, Борис, …и ещё 3"
    assert units(text) <= 25
    # not even the first name and the tail fit: the text is cut (the tail is lost with it)
    assert names_within(names, more, 5) == "Анна…"
    linked = [f'<a href="tg://user?id={i}">{n}</a>' for i, n in enumerate(names, start=1)]
    text = names_within(linked, more, 90)
    kept, named = split(text, ", ")
    assert kept == linked[: len(kept)]
    assert named == len(linked) - len(kept) > 0
    assert units(text) <= 90


# --- a single line over the limit is cut -----------------------------------------------------


def test_an_over_long_line_is_cut_with_an_ellipsis() -> None:
    text = within(["я" * 5000], more)
    assert text == "я" * (TEXT_LIMIT - 1) + "…"
    assert units(text) == TEXT_LIMIT
    assert within(["abcdefghij"], more, limit=5) == "abcd…"


@pytest.mark.parametrize("shift", range(40))
def test_the_cut_never_leaves_half_a_tag(shift: int) -> None:
    line = "x" * (TEXT_LIMIT - 30 + shift) + '<a href="tg://user?id=42">Анна</a>' + "y" * 100
    text = within([line], more)
    assert units(text) <= TEXT_LIMIT
    assert text.endswith("…")
    assert_whole_html(text)
    assert text.startswith("x" * (TEXT_LIMIT - 30))


@pytest.mark.parametrize("entity", ["&amp;", "&lt;", "&quot;", "&#39;", "&#x27;"])
@pytest.mark.parametrize("shift", range(8))
def test_the_cut_never_leaves_half_an_entity(entity: str, shift: int) -> None:
    line = "x" * (TEXT_LIMIT - 6 + shift) + entity * 10
    text = within([line], more)
    assert units(text) <= TEXT_LIMIT
    assert text.endswith("…")
    assert_whole_html(text)


def test_the_cut_never_leaves_half_a_surrogate_pair() -> None:
    text = within(["x" * (TEXT_LIMIT - 2) + "😀" * 10], more)
    assert units(text) <= TEXT_LIMIT
    text.encode("utf-8")  # no lone surrogate
    assert text == "x" * (TEXT_LIMIT - 2) + "…"


def test_an_over_long_title_is_cut_and_stays_within_the_limit() -> None:
    text = within(["T" * 5000, "a", "b"], more)
    assert units(text) <= TEXT_LIMIT
    assert text.startswith("T" * 100)


def test_the_cut_never_leaves_an_element_open() -> None:
    text = within(["<b>" + "x" * 5000 + "</b>"], more)
    assert text.count("<b>") == text.count("</b>")
