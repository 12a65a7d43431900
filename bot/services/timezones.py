"""Time zones named the way people name them.

A lead answers the time-zone question with a city, in Russian or in English
(``content/timezones.toml``), or with an IANA name; case, «ё», hyphens and spaces do not
matter. The question offers the zones of Russia and its neighbours as buttons, each labelled
by its city and its UTC offset now (so a zone with summer time shows the offset of the day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from content.models import TimezonesFile, known_zones, place_key


@dataclass(frozen=True, slots=True)
class ZoneOffer:
    """A button of the time-zone question: the zone, its city, its offset («+3», «+5:30»)."""

    zone: str
    city: str
    offset: str


def utc_offset(zone: str, now: datetime) -> str:
    """The zone's offset from UTC at ``now``: «+3», «-4», «+5:30», «+0»."""
    delta = now.astimezone(ZoneInfo(zone)).utcoffset() or timedelta()
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{rest:02d}" if rest else f"{sign}{hours}"


class TimeZones:
    """What a typed answer means, and which zones the question offers."""

    def __init__(self, book: TimezonesFile) -> None:
        self._book = book
        self._places = book.by_place()
        self._iana = {place_key(name): name for name in known_zones()}

    def resolve(self, text: str) -> str | None:
        """The IANA zone a city or zone name stands for (a city first), or None."""
        key = place_key(text)
        return self._places.get(key) or self._iana.get(key)

    def offers(self, locale: str, now: datetime) -> list[ZoneOffer]:
        return [
            ZoneOffer(zone=z.tz, city=z.city.get(locale), offset=utc_offset(z.tz, now))
            for z in self._book.zone
            if z.offer
        ]
