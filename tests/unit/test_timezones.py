"""Time zones by city or IANA name (``content/timezones.toml``, ``bot.services.timezones``):
what a typed answer means, the offered buttons and their offsets, and the file's checks."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.services.timezones import TimeZones, utc_offset
from content import CONTENT_DIR, Content, ContentError, load_content
from content.models import known_zones, place_key

WINTER = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def zones(content: Content) -> TimeZones:
    return TimeZones(content.timezones)


# --- what a typed answer means -----------------------------------------------------------------

CITIES = {
    "Калининград": "Europe/Kaliningrad",
    "Москва": "Europe/Moscow",
    "Санкт-Петербург": "Europe/Moscow",
    "Самара": "Europe/Samara",
    "Екатеринбург": "Asia/Yekaterinburg",
    "Омск": "Asia/Omsk",
    "Новосибирск": "Asia/Novosibirsk",
    "Красноярск": "Asia/Krasnoyarsk",
    "Иркутск": "Asia/Irkutsk",
    "Якутск": "Asia/Yakutsk",
    "Владивосток": "Asia/Vladivostok",
    "Хабаровск": "Asia/Vladivostok",
    "Магадан": "Asia/Magadan",
    "Камчатка": "Asia/Kamchatka",
    "Минск": "Europe/Minsk",
    "Киев": "Europe/Kyiv",
    "Kyiv": "Europe/Kyiv",
    "Kiev": "Europe/Kyiv",
    "Алматы": "Asia/Almaty",
    "Астана": "Asia/Almaty",
    "Ташкент": "Asia/Tashkent",
    "Бишкек": "Asia/Bishkek",
    "Ереван": "Asia/Yerevan",
    "Тбилиси": "Asia/Tbilisi",
    "Баку": "Asia/Baku",
    "Novosibirsk": "Asia/Novosibirsk",
    "Yekaterinburg": "Asia/Yekaterinburg",
    "Moscow": "Europe/Moscow",
}


@pytest.mark.parametrize(("typed", "zone"), CITIES.items())
def test_a_city_in_russian_or_english(zones: TimeZones, typed: str, zone: str) -> None:
    assert zones.resolve(typed) == zone


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("  самара ", "Europe/Samara"),
        ("САМАРА", "Europe/Samara"),
        ("санкт петербург", "Europe/Moscow"),
        ("St. Petersburg", "Europe/Moscow"),
        ("Кишинев", "Europe/Chisinau"),  # «е» for «ё»
        ("petropavlovsk kamchatsky", "Asia/Kamchatka"),
        ("Улан Удэ", "Asia/Irkutsk"),
    ],
)
def test_case_yo_hyphens_and_spaces_do_not_matter(zones: TimeZones, typed: str, zone: str) -> None:
    assert zones.resolve(typed) == zone


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Moscow", "Europe/Moscow"),
        ("europe/moscow", "Europe/Moscow"),
        ("ASIA/YEKATERINBURG", "Asia/Yekaterinburg"),
        ("America/New_York", "America/New_York"),
        ("america/new york", "America/New_York"),
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("utc", "UTC"),
    ],
)
def test_any_iana_name_in_any_case(zones: TimeZones, typed: str, zone: str) -> None:
    assert zones.resolve(typed) == zone


@pytest.mark.parametrize(
    "typed", ["", "   ", "Марс", "Mars/Olympus", "Europe", "../etc/passwd", "/etc/localtime"]
)
def test_unknown_names(zones: TimeZones, typed: str) -> None:
    assert zones.resolve(typed) is None


def test_place_key() -> None:
    assert place_key(" Санкт-Петербург ") == place_key("санкт  петербург") == "санкт петербург"
    assert place_key("Ёлкино") == "елкино"
    assert place_key("America/Port_of_Spain") == "america/port of spain"


# --- the buttons -------------------------------------------------------------------------------


def test_the_offered_zones_cover_every_time_of_russia(zones: TimeZones) -> None:
    offers = zones.offers("ru", WINTER)
    labels = [f"{o.city} UTC{o.offset}" for o in offers]
    assert labels[:12] == [
        "Калининград UTC+2",
        "Москва UTC+3",
        "Самара UTC+4",
        "Екатеринбург UTC+5",
        "Омск UTC+6",
        "Новосибирск UTC+7",
        "Красноярск UTC+7",
        "Иркутск UTC+8",
        "Якутск UTC+9",
        "Владивосток UTC+10",
        "Магадан UTC+11",
        "Камчатка UTC+12",
    ]
    assert {"Минск UTC+3", "Киев UTC+2", "Алматы UTC+5", "Баку UTC+4"} <= set(labels)
    assert {o.offset for o in offers[:12]} == {f"+{h}" for h in range(2, 13)}
    # every button's data fits Telegram's 64 bytes
    assert all(len(f"tz1:{o.zone}".encode()) <= 64 for o in offers)


def test_the_offered_cities_in_english(zones: TimeZones) -> None:
    cities = [o.city for o in zones.offers("en", WINTER)]
    assert cities[:3] == ["Kaliningrad", "Moscow", "Samara"]
    assert "Kyiv" in cities


def test_an_offset_is_the_one_of_the_day(zones: TimeZones) -> None:
    def kyiv(now: datetime) -> str:
        return next(o.offset for o in zones.offers("ru", now) if o.zone == "Europe/Kyiv")

    assert kyiv(WINTER) == "+2"
    assert kyiv(SUMMER) == "+3"  # summer time


@pytest.mark.parametrize(
    ("zone", "offset"),
    [
        ("UTC", "+0"),
        ("Asia/Kolkata", "+5:30"),
        ("America/Sao_Paulo", "-3"),
        ("America/St_Johns", "-3:30"),
        ("Asia/Kamchatka", "+12"),
    ],
)
def test_utc_offset(zone: str, offset: str) -> None:
    assert utc_offset(zone, WINTER) == offset


# --- the content file --------------------------------------------------------------------------


def test_every_zone_of_the_file_exists(content: Content) -> None:
    assert content.timezones.zone
    assert all(z.tz in known_zones() for z in content.timezones.zone)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of content/ to break timezones.toml in."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} not found in {path}"
    path.write_text(new, encoding="utf-8")


def load_error(root: Path) -> str:
    with pytest.raises(ContentError) as info:
        load_content(root)
    return str(info.value)


def test_a_zone_not_in_the_zone_database_is_refused(broken: Path) -> None:
    edit(broken / "timezones.toml", r'^tz = "Europe/Samara"', 'tz = "Europe/Samaraa"')
    error = load_error(broken)
    assert "content/timezones.toml: zone 'Europe/Samaraa': field 'tz': " in error
    assert "unknown time zone 'Europe/Samaraa'" in error


def test_a_city_naming_two_zones_is_refused(broken: Path) -> None:
    edit(broken / "timezones.toml", r'^names = \["Ижевск"', 'names = ["Москва"')
    assert load_error(broken).endswith(
        "content/timezones.toml: zone 'Europe/Samara': field 'names': "
        "'Москва' already names 'Europe/Moscow'"
    )


def test_a_zone_listed_twice_is_refused(broken: Path) -> None:
    edit(broken / "timezones.toml", r'^tz = "Europe/Volgograd"', 'tz = "Europe/Moscow"')
    assert load_error(broken).endswith(
        "content/timezones.toml: zone 'Europe/Moscow': field 'tz': duplicate tz"
    )


def test_the_file_is_required(broken: Path) -> None:
    (broken / "timezones.toml").unlink()
    assert load_error(broken).endswith("content/timezones.toml: file is missing")
