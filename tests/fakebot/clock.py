"""Clocks used by the fake server for flood control, callback-query expiry and poll closing.

The fake reads seconds from ``monotonic()``. Tests move it with the one fake clock of every
layer, ``tests.clock.FakeClock`` (re-exported here); the default is the real monotonic clock.
"""

from __future__ import annotations

import time
from typing import Protocol

from tests.clock import FakeClock

__all__ = ["Clock", "FakeClock", "RealClock"]


class Clock(Protocol):
    """Anything with ``monotonic()`` returning seconds as a float (arbitrary origin)."""

    def monotonic(self) -> float: ...


class RealClock:
    """The default clock: ``time.monotonic()``."""

    def monotonic(self) -> float:
        return time.monotonic()
