"""The one paced sender: every Bot API call of the process passes here.

It is an aiogram request middleware on the bot's session, so replies from handlers
(``message.answer``) and the delivery drainer's sends share the same limits:

- overall: ``rate`` messages per second (aiolimiter's leaky bucket draining at 97 % of the
  limit and holding 1 % of it, at least one message: a wake-up that comes late on a busy loop
  is caught up instead of lost, and no 1-second window holds more than 98 % of the limit,
  which leaves room for the requests' uneven travel time);
- per chat: about 1 message per second with a short burst (aiolimiter);
- per group or channel: at most ``group_per_minute`` in any 60 seconds. A leaky bucket
  admits up to twice its capacity within one window, so this one is a sliding window;
- a 429 pauses that chat for ``retry_after`` (every chat, when the chat itself had room,
  which means the bot is over its overall limit), then the message goes out once;
- a reply to a user's own action goes before bulk work: bulk sends (``bulk()`` context) wait
  while any interactive send is waiting for the overall limiter.

Only methods that create messages are paced (as Telegram counts them); edits, callback
answers and reads pass straight through. Per-chat state is kept in bounded LRU tables.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import (
    CopyMessage,
    CopyMessages,
    ForwardMessage,
    ForwardMessages,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendPoll,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiolimiter import AsyncLimiter
from cachetools import LRUCache

log = logging.getLogger(__name__)

PACED = (
    SendMessage,
    SendPhoto,
    SendDocument,
    SendPoll,
    SendMediaGroup,
    CopyMessage,
    CopyMessages,
    ForwardMessage,
    ForwardMessages,
)
#: How much of the overall limit the bucket drains at (its edge lets one extra through).
HEADROOM = 0.97
#: The overall bucket's capacity as a share of the limit. A bucket of one message loses every
#: late wake-up of its timer: at 300/s (3.4 ms apart) that held the fan-out to 0.6-0.77.
OVERALL_SLACK = 0.01
CHATS_TRACKED = 20_000

_bulk: ContextVar[bool] = ContextVar("bulk_send", default=False)


@contextmanager
def bulk() -> Iterator[None]:
    """Sends inside this block are bulk work (ledger drains): replies go first."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: int = 20
    #: a 429 is waited out and retried this many times...
    retries: int = 3
    #: ...unless it asks for longer than this (interactive) or ``bulk_max_wait`` (bulk: the
    #: ledger retries the row later instead of holding a sender slot)
    max_wait: float = 60.0
    bulk_max_wait: float = 5.0


class SlidingWindow:
    """At most ``limit`` acquisitions in any ``span`` seconds."""

    __slots__ = ("_lock", "_span", "_stamps", "limit")

    def __init__(self, limit: int, span: float) -> None:
        self.limit = limit
        self._span = span
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._stamps and self._stamps[0] <= now - self._span:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    return
                await asyncio.sleep(self._stamps[0] + self._span - now)


def _chat_of(method: object) -> int | str | None:
    chat = getattr(method, "chat_id", None)
    return chat if isinstance(chat, int | str) else None


def _is_group(chat: int | str) -> bool:
    return isinstance(chat, str) or chat < 0


class PacedSender(BaseRequestMiddleware):
    """See the module docstring."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        rate = max(self.limits.per_second * HEADROOM, 0.1)
        burst = max(1, int(self.limits.per_second * OVERALL_SLACK))
        self._overall = AsyncLimiter(burst, burst / rate)
        self._chats: LRUCache[int | str, AsyncLimiter] = LRUCache(CHATS_TRACKED)
        self._groups: LRUCache[int | str, SlidingWindow] = LRUCache(CHATS_TRACKED)
        self._paused: LRUCache[int | str, float] = LRUCache(CHATS_TRACKED)
        self._paused_all = 0.0
        self._interactive_waiting = 0
        self._interactive_idle = asyncio.Event()
        self._interactive_idle.set()
        #: counters for tests and benchmarks
        self.retried_429 = 0
        self.sent = 0

    def _chat_limiter(self, chat: int | str) -> AsyncLimiter:
        limiter = self._chats.get(chat)
        if limiter is None:
            burst = self.limits.per_chat_burst
            limiter = AsyncLimiter(burst, burst / self.limits.per_chat_per_second)
            self._chats[chat] = limiter
        return limiter

    def _group_window(self, chat: int | str) -> SlidingWindow:
        window = self._groups.get(chat)
        if window is None:
            window = SlidingWindow(self.limits.group_per_minute, 60.0)
            self._groups[chat] = window
        return window

    async def _wait_pause(self, chat: int | str) -> None:
        while True:
            until = max(self._paused_all, self._paused.get(chat, 0.0))
            delay = until - time.monotonic()
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    async def _take_overall(self) -> None:
        if _bulk.get():
            while self._interactive_waiting:
                await self._interactive_idle.wait()
            await self._overall.acquire()
            return
        self._interactive_waiting += 1
        self._interactive_idle.clear()
        try:
            await self._overall.acquire()
        finally:
            self._interactive_waiting -= 1
            if not self._interactive_waiting:
                self._interactive_idle.set()

    async def pace(self, chat: int | str) -> bool:
        """Wait for a slot to send one message to ``chat``; True if the chat had room at once
        (so a 429 for it means the overall limit)."""
        await self._wait_pause(chat)
        limiter = self._chat_limiter(chat)
        had_room = limiter.has_capacity()
        await limiter.acquire()
        if _is_group(chat):
            await self._group_window(chat).acquire()
        await self._take_overall()
        return had_room

    def pause(self, chat: int | str, seconds: float, *, everyone: bool) -> None:
        until = time.monotonic() + seconds
        self._paused[chat] = max(self._paused.get(chat, 0.0), until)
        if everyone:
            self._paused_all = max(self._paused_all, until)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat = _chat_of(method) if isinstance(method, PACED) else None
        if chat is None:
            return await make_request(bot, method)
        limits = self.limits
        max_wait = limits.bulk_max_wait if _bulk.get() else limits.max_wait
        for attempt in range(limits.retries + 1):
            had_room = await self.pace(chat)
            try:
                response = await make_request(bot, method)
            except TelegramRetryAfter as exc:
                self.pause(chat, exc.retry_after, everyone=had_room and not _is_group(chat))
                if attempt == limits.retries or exc.retry_after > max_wait:
                    raise
                self.retried_429 += 1
                log.warning(
                    "flood control on %s to %s: waiting %s s",
                    method.__api_method__,
                    chat,
                    exc.retry_after,
                )
                continue
            self.sent += 1
            return response
        raise AssertionError("unreachable")  # pragma: no cover
