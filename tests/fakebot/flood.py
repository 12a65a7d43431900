"""Flood control modelled on the Bot FAQ limits.

* per chat: a token bucket, ``per_chat_burst`` messages at once, refilled at
  ``per_chat_per_second``;
* per group/supergroup: at most ``per_group_per_minute`` messages in any 60 s window;
* globally: at most ``global_per_second`` messages in any 1 s window.

Only message-creating methods are counted (see ``COUNTED_METHODS``). A refused send does not
consume anything; the answer's ``retry_after`` is the whole number of seconds (at least 1)
until every limit involved has a free slot again.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from .clock import Clock

COUNTED_METHODS = frozenset(
    {"sendMessage", "sendPoll", "sendDocument", "sendPhoto", "copyMessage", "forwardMessage"}
)


@dataclass(frozen=True)
class FloodLimits:
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 5
    per_group_per_minute: int = 20
    global_per_second: int = 30


@dataclass
class _Bucket:
    tokens: float
    updated: float


class FloodController:
    def __init__(self, limits: FloodLimits, clock: Clock) -> None:
        if limits.per_chat_per_second <= 0 or limits.per_chat_burst < 1:
            raise ValueError("per-chat limits must be positive")
        self.limits = limits
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._global_sends: deque[float] = deque()

    def _bucket(self, chat_id: int, now: float) -> _Bucket:
        limits = self.limits
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = _Bucket(tokens=float(limits.per_chat_burst), updated=now)
            self._buckets[chat_id] = bucket
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(
            float(limits.per_chat_burst), bucket.tokens + elapsed * limits.per_chat_per_second
        )
        bucket.updated = now
        return bucket

    @staticmethod
    def _prune(window: deque[float], now: float, span: float) -> None:
        while window and window[0] <= now - span:
            window.popleft()

    def acquire(self, chat_id: int, *, is_group: bool, paid_broadcast: bool = False) -> int | None:
        """Record one send, or return the ``retry_after`` seconds if a limit is exhausted."""
        now = self._clock.monotonic()
        limits = self.limits
        waits: list[float] = []

        bucket = self._bucket(chat_id, now)
        if bucket.tokens < 1.0:
            waits.append((1.0 - bucket.tokens) / limits.per_chat_per_second)

        group_window: deque[float] | None = None
        if is_group:
            group_window = self._group_sends.setdefault(chat_id, deque())
            self._prune(group_window, now, 60.0)
            if len(group_window) >= limits.per_group_per_minute:
                waits.append(group_window[0] + 60.0 - now)

        if not paid_broadcast:
            self._prune(self._global_sends, now, 1.0)
            if len(self._global_sends) >= limits.global_per_second:
                waits.append(self._global_sends[0] + 1.0 - now)

        if waits:
            return max(1, math.ceil(max(waits) - 1e-9))

        bucket.tokens -= 1.0
        if group_window is not None:
            group_window.append(now)
        if not paid_broadcast:
            self._global_sends.append(now)
        return None
