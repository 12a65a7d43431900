"""The one fake clock of every test layer (unit, pipeline, end to end, the fake Bot API).

The bot reads aware-UTC datetimes (``now()``, the ``bot.clock.Clock`` protocol); the fake Bot
API reads seconds (``monotonic()``, for flood control, callback-query expiry and poll
closing). Both are the same timeline: they move together, and only when a test moves them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: the moment every test starts at unless it says otherwise: a Monday, 10:00 in Moscow
START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
#: what ``monotonic()`` reads at ``START`` (an arbitrary origin, as time.monotonic's is)
MONOTONIC_AT_START = 1_000_000.0


class FakeClock:
    """A settable aware-UTC clock that only moves when a test calls :meth:`set` or
    :meth:`advance`."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = START
        self._origin = START
        if now is not None:
            self.set(now)
            self._origin = self._now

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return MONOTONIC_AT_START + (self._now - self._origin).total_seconds()

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = moment.astimezone(UTC)

    def advance(self, delta: timedelta | float) -> None:
        """Move forward by ``delta`` (a timedelta, or seconds)."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("a FakeClock cannot go backwards with advance(); use set()")
        self._now += step

    def __repr__(self) -> str:
        return f"FakeClock({self._now.isoformat()})"
