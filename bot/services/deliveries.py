"""The delivery ledger: every message the bot owes someone outside the interaction that caused it.

A kudos DM, the announcement of a kudos given in private, employee of the month, a birthday
greeting, the digest, a scheduled tip, an admin alert: each is a row written **in the same
transaction** as the domain change that causes it, under a unique key saying what it is for
(``kudos-dm:<kudos id>``, ``tip:<channel>:<slot>``, ``month:<team>:<YYYY-MM>``…), so the same
thing can never be queued twice.

States::

    pending ──claim──▶ claimed (lease) ──▶ sent         (Telegram's message id recorded)
       ▲                  │            ├─▶ unreachable  (403: blocked / never started; kept,
       └──── retry ───────┘            │                 shown when the user comes back)
       (429, 5xx, network, timeout,    ├─▶ failed       (permanent 400, or retries used up:
        with backoff and jitter)       │                 logged once with the row id)
                                       └─▶ cancelled    (what it announced was taken back)

A claimed row whose lease expired (its process died) is claimed again by anyone.

**The guarantee.** A due message is never lost: a row leaves ``pending``/``claimed`` only when
its outcome is committed, and that commit happens only after Telegram answered. The only
duplicate possible is a message whose process died after Telegram accepted it and before the
outcome was committed: it is sent again once its lease expires, at most once per crash (each
message in flight at the moment of the crash can be repeated once; a sender commits outcomes
within milliseconds of Telegram's answer and keeps at most ``concurrency`` messages in flight).

Rendering happens when a row is sent, from the current state of the database: a kudos undone
before its DM went out is not sent at all, and a message edited later is found through the
row's recorded message id. Rows are kept ``keep_days`` after they finish, then pruned;
``/forget_me`` removes a user's rows, and their id from the rows that name them.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from storage.database import Database
from storage.repo import deliveries as repo
from storage.repo.deliveries import DeliveryRow

#: priorities: lower goes first
PRIORITY_PERSONAL = 3
PRIORITY_TEAM = 5
PRIORITY_BROADCAST = 7


class NotYet(Exception):
    """Raised by a kind's ``render`` when what the message depends on has not settled (an
    edit of a message still being sent): the row is tried again shortly, no attempt counted."""

    def __init__(self, seconds: float = 2.0) -> None:
        super().__init__(f"not yet: retry in {seconds} s")
        self.seconds = seconds


def in_flight(row: DeliveryRow) -> bool:
    """The row is being sent now: claimed, its message id not yet recorded."""
    return row.state == repo.CLAIMED and row.message_id is None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base: float = 2.0
    cap: float = 600.0
    jitter: float = 0.3

    def delay(self, attempt: int, rng: random.Random, at_least: float = 0.0) -> float:
        """Seconds before attempt ``attempt + 1``: exponential with ±jitter, capped."""
        raw = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        spread = raw * self.jitter
        return float(max(at_least, raw + rng.uniform(-spread, spread)))


class DeliveryKind(Protocol):
    """How one kind of row becomes a Bot API call, and what its outcome changes.

    ``render`` returns the method to call (an aiogram method object) or None when there is
    nothing to send any more (the row is cancelled). The hooks run inside the transaction
    that records the outcome.
    """

    async def render(self, row: DeliveryRow) -> Any | None: ...

    async def on_sent(
        self, conn: AsyncConnection, row: DeliveryRow, chat_id: int | None, message_id: int | None
    ) -> None: ...

    async def on_failed(self, conn: AsyncConnection, row: DeliveryRow, error: str) -> None: ...

    async def on_unreachable(self, conn: AsyncConnection, row: DeliveryRow) -> None: ...


class BaseKind:
    """A kind whose outcomes change nothing else."""

    async def render(self, row: DeliveryRow) -> Any | None:  # pragma: no cover - abstract
        raise NotImplementedError

    async def on_sent(
        self, conn: AsyncConnection, row: DeliveryRow, chat_id: int | None, message_id: int | None
    ) -> None:
        return None

    async def on_failed(self, conn: AsyncConnection, row: DeliveryRow, error: str) -> None:
        return None

    async def on_unreachable(self, conn: AsyncConnection, row: DeliveryRow) -> None:
        return None


class Ledger:
    """Writing rows (inside the caller's transaction) and waking the drainer."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        keep: timedelta = timedelta(days=90),
        lease: timedelta = timedelta(seconds=60),
        retry: RetryPolicy | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self.keep = keep
        self.lease = lease
        self.retry = retry or RetryPolicy()
        self._work = asyncio.Event()

    @property
    def clock(self) -> Clock:
        return self._clock

    async def add(
        self,
        conn: AsyncConnection,
        *,
        key: str,
        kind: str,
        chat_id: int,
        user_id: int | None = None,
        payload: dict[str, Any] | None = None,
        priority: int = PRIORITY_TEAM,
        reachable: bool = True,
        due_at: datetime | None = None,
        rearm: bool = False,
    ) -> None:
        """Queue a message in the caller's transaction. ``reachable=False``: the user cannot
        get private messages yet (never started the bot, or blocked it): the row waits as
        unreachable, shown when they come back, and nothing is tried now."""
        await repo.enqueue(
            conn,
            key=key,
            kind=kind,
            chat_id=chat_id,
            user_id=user_id,
            payload=payload,
            now=self._clock.now(),
            due_at=due_at,
            priority=priority,
            state=repo.PENDING if reachable else repo.UNREACHABLE,
            rearm=rearm,
        )
        self._work.set()

    async def cancel(self, conn: AsyncConnection, keys: list[str]) -> None:
        await repo.cancel(conn, keys, self._clock.now())

    async def row(self, key: str) -> DeliveryRow | None:
        async with self._db.read() as conn:
            return await repo.by_key(conn, key)

    async def rows(self, conn: AsyncConnection, keys: list[str]) -> dict[str, DeliveryRow]:
        return {row.key: row for row in await repo.by_keys(conn, keys)}

    async def finished(self, key: str, timeout: float) -> DeliveryRow | None:
        """The row under ``key`` once it is sent, unreachable, failed or cancelled; None if it
        is still waiting after ``timeout`` seconds (a reply that reports a queued post)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            row = await self.row(key)
            if row is not None and row.state in repo.FINISHED:
                return row
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.05)

    def wake(self) -> None:
        self._work.set()

    async def wait_for_work(self, timeout: float) -> None:
        """Until someone queued a row, or ``timeout`` seconds (rows of other processes and
        retries that fall due are found by polling)."""
        try:
            await asyncio.wait_for(self._work.wait(), timeout)
        except TimeoutError:
            return
        finally:
            self._work.clear()

    # --- the backlog of a user who was unreachable -------------------------------------------

    async def revive(self, user_id: int, backlog_kind: str = "kudos.dm") -> None:
        """The user started the bot again: what waited for them is sent now (the kudos DMs
        are shown as one backlog message by the caller instead)."""
        async with self._db.transaction() as conn:
            await repo.revive(conn, user_id, backlog_kind, self._clock.now())
        self._work.set()

    async def waiting_for(self, user_id: int, kind: str) -> list[DeliveryRow]:
        async with self._db.read() as conn:
            return await repo.of_user(conn, user_id, repo.UNREACHABLE, kind)

    async def shown(self, row_ids: list[int], chat_id: int, message_id: int) -> None:
        """Rows shown to their reader inside another message (a backlog at /start)."""
        async with self._db.transaction() as conn:
            await repo.mark_sent(conn, row_ids, chat_id, message_id, self._clock.now())

    async def forget_user(self, conn: AsyncConnection, user_id: int) -> int:
        return await repo.forget_user(conn, user_id)

    async def prune(self) -> int:
        async with self._db.transaction() as conn:
            return await repo.prune(conn, self._clock.now() - self.keep)

    async def counts(self) -> dict[str, int]:
        async with self._db.read() as conn:
            return await repo.counts(conn)
