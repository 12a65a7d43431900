"""Clocks used by the fake server for flood control, callback-query expiry and poll closing."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Anything with ``now()`` returning seconds as a float (monotonic, arbitrary origin)."""

    def now(self) -> float: ...


class RealClock:
    """The default clock: ``time.monotonic()``."""

    def now(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that only moves when a test calls :meth:`advance`."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a FakeClock cannot go backwards")
        self._now += float(seconds)

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now})"
