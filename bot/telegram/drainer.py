"""The drainer: claims due ledger rows, sends them through the paced sender, records outcomes.

``concurrency`` sends are in flight at once, enough to hold the overall limit whatever the
round trip (30/s at 300 ms needs 9). A sender slot is held until the outcome is committed,
so at most ``concurrency`` accepted-but-unrecorded messages exist at any moment (see the
guarantee in ``bot.services.deliveries``). Outcomes are committed in groups: whatever
finished while the previous commit ran goes into the next one, in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import Message

from bot.services.deliveries import DeliveryKind, Ledger, NotYet
from bot.telegram.sender import bulk
from storage.database import Database
from storage.repo import deliveries as repo
from storage.repo.deliveries import DeliveryRow, Outcome

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
NOT_MODIFIED = "message is not modified"


@dataclass
class _Done:
    row: DeliveryRow
    outcome: Outcome
    error: str | None = None
    committed: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Drainer:
    def __init__(
        self,
        ledger: Ledger,
        db: Database,
        bot: Bot,
        kinds: dict[str, DeliveryKind],
        *,
        concurrency: int = 16,
        rng: random.Random | None = None,
    ) -> None:
        self._ledger = ledger
        self._db = db
        self._bot = bot
        self._kinds = kinds
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._rng = rng or random.Random()
        self.owner = f"{socket.gethostname()}:{os.getpid()}"[:64]
        self._done: list[_Done] = []
        self._have_done = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # the last send queued for each chat: sends to one chat go out in ledger order
        self._tails: dict[int | str, asyncio.Task[None]] = {}
        self._committer: asyncio.Task[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._claiming = 0  # claims under way (the runner's and drain()'s)
        # rows this process holds (claimed, not yet recorded): their leases are renewed while
        # it lives, so a row waiting its turn (a group's 20 a minute) is never claimed twice
        self._held: set[int] = set()
        self._renewer: asyncio.Task[None] | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._committer = asyncio.create_task(self._commit_loop(), name="ledger-commit")
        self._runner = asyncio.create_task(self._run(), name="ledger-drain")
        self._renewer = asyncio.create_task(self._renew_loop(), name="ledger-renew")

    async def stop(self, timeout: float) -> None:
        """Claim nothing more; let sends in flight finish and record them (bounded)."""
        self._stopping = True
        self._ledger.wake()
        if self._renewer is not None:
            self._renewer.cancel()
        if self._runner is not None:
            await asyncio.wait({self._runner}, timeout=timeout)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
        if self._committer is not None:
            self._have_done.set()
            await asyncio.wait({self._committer}, timeout=timeout)
            if not self._committer.done():
                self._committer.cancel()
        for task in (self._runner, *self._tasks):
            if task is not None and not task.done():
                # still waiting on Telegram after the drain time: its lease brings it back
                task.cancel()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                claimed = await self.claim_some()
            except Exception:
                log.exception("claiming deliveries failed; retrying")
                claimed = 0
            if not claimed:
                await self._ledger.wait_for_work(POLL_SECONDS)

    async def _renew_loop(self) -> None:
        period = max(0.5, self._ledger.lease.total_seconds() / 3)
        while not self._stopping:
            await asyncio.sleep(period)
            try:
                await self.renew()
            except Exception:
                log.exception("renewing delivery leases failed; retrying")

    async def renew(self) -> int:
        """Extend the leases of the rows this process holds; returns how many."""
        held = sorted(self._held)
        if not held:
            return 0
        now = self._ledger.clock.now()
        async with self._db.transaction() as conn:
            return await repo.renew(conn, self.owner, held, now + self._ledger.lease)

    async def claim_some(self) -> int:
        free = self._concurrency - len(self._tasks)
        if self._tasks and free < max(1, self._concurrency // 2):
            # claim in batches: one claiming transaction serves many sends
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            return 1
        self._claiming += 1
        try:
            return await self._claim(free)
        finally:
            self._claiming -= 1

    async def _claim(self, free: int) -> int:
        now = self._ledger.clock.now()
        async with self._db.transaction() as conn:
            rows = await repo.claim(
                conn,
                owner=self.owner,
                now=now,
                lease_until=now + self._ledger.lease,
                limit=free + self._concurrency,  # a batch ahead; those wait for a slot below
            )
        if rows:
            log.debug("claimed deliveries %s", [r.id for r in rows])
        self._held.update(r.id for r in rows)
        for row in rows:
            await self._slots.acquire()
            chat = _chat_key(row)
            task = asyncio.create_task(
                self._deliver(row, self._tails.get(chat)), name=f"delivery-{row.id}"
            )
            self._tasks.add(task)
            self._tails[chat] = task
            task.add_done_callback(self._forget(chat, row.id))
        return len(rows)

    async def drain(self, timeout: float = 30.0) -> None:
        """Until nothing is due (tests and the catch-up at start-up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not await self.claim_some() and not self._tasks and not self._claiming:
                return
            if self._tasks:
                await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(0.01)  # another claim is under way

    # --- one row ------------------------------------------------------------------------------

    def _forget(self, chat: int | str, row_id: int) -> Any:
        def done(task: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            self._held.discard(row_id)
            if self._tails.get(chat) is task:
                del self._tails[chat]

        return done

    async def _deliver(self, row: DeliveryRow, after: asyncio.Task[None] | None) -> None:
        try:
            if after is not None:
                await asyncio.wait({after})
            done = await self._attempt(row)
            self._done.append(done)
            self._have_done.set()
            # a failed commit is logged by the committer; the row's lease brings it back
            with contextlib.suppress(Exception):
                await done.committed
        finally:
            self._slots.release()

    async def _attempt(self, row: DeliveryRow) -> _Done:
        now = self._ledger.clock.now
        kind = self._kinds.get(row.kind)
        if kind is None:
            log.error("delivery %s: unknown kind %r; marked failed", row.id, row.kind)
            return _Done(row, Outcome(row.id, repo.FAILED, now(), error="unknown kind"))
        try:
            method = await kind.render(row)
            if method is None:
                return _Done(row, Outcome(row.id, repo.CANCELLED, now()))
            with bulk():
                result = await self._bot(method)
        except TelegramForbiddenError as exc:
            log.info("delivery %s to %s: unreachable (%s)", row.id, row.chat_id, exc.message)
            return _Done(row, Outcome(row.id, repo.UNREACHABLE, now(), error=exc.message))
        except (TelegramBadRequest, TelegramNotFound) as exc:
            return self._refused(row, exc)
        except NotYet as exc:  # depends on a send still in flight: soon, no attempt counted
            due = now() + timedelta(seconds=exc.seconds)
            return _Done(row, Outcome(row.id, repo.PENDING, now(), due_at=due))
        except TelegramRetryAfter as exc:
            return self._retry(row, f"429 retry after {exc.retry_after}", exc.retry_after)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # 5xx, network errors, timeouts, a failing database read
            return self._retry(row, f"{type(exc).__name__}: {exc}"[:300], 0.0)
        chat_id, message_id = _ids(result)
        return _Done(
            row, Outcome(row.id, repo.SENT, now(), message_id=message_id, sent_chat_id=chat_id)
        )

    def _refused(self, row: DeliveryRow, exc: TelegramBadRequest | TelegramNotFound) -> _Done:
        now = self._ledger.clock.now()
        if isinstance(exc, TelegramBadRequest) and NOT_MODIFIED in exc.message:
            return _Done(row, Outcome(row.id, repo.SENT, now))
        log.error("delivery %s (%s) refused for good: %s", row.id, row.kind, exc.message)
        return _Done(row, Outcome(row.id, repo.FAILED, now, error=exc.message), exc.message)

    def _retry(self, row: DeliveryRow, error: str, at_least: float) -> _Done:
        now = self._ledger.clock.now()
        attempts = row.attempts + 1
        policy = self._ledger.retry
        if attempts >= policy.max_attempts:
            log.error(
                "delivery %s (%s) failed after %d attempts: %s", row.id, row.kind, attempts, error
            )
            return _Done(row, Outcome(row.id, repo.FAILED, now, error=error), error)
        delay = policy.delay(attempts, self._rng, at_least)
        log.warning(
            "delivery %s (%s): %s; retry %d in %.1f s", row.id, row.kind, error, attempts, delay
        )
        return _Done(
            row,
            Outcome(
                row.id,
                repo.PENDING,
                now,
                error=error,
                due_at=now + timedelta(seconds=delay),
                attempts=attempts,
            ),
        )

    # --- outcomes -----------------------------------------------------------------------------

    async def _commit_loop(self) -> None:
        while True:
            await self._have_done.wait()
            self._have_done.clear()
            batch, self._done = self._done, []
            if not batch:
                if self._stopping and not self._tasks:
                    return
                continue
            try:
                await self._commit(batch)
            except Exception as exc:
                log.exception("recording %d delivery outcomes failed", len(batch))
                for item in batch:
                    if not item.committed.done():
                        item.committed.set_exception(exc)
                continue
            for item in batch:
                if not item.committed.done():
                    item.committed.set_result(None)

    async def _commit(self, batch: list[_Done]) -> None:
        async with self._db.transaction() as conn:
            for item in batch:
                kind = self._kinds.get(item.row.kind)
                if kind is None:
                    continue
                state = item.outcome.state
                if state == repo.SENT:
                    await kind.on_sent(
                        conn, item.row, item.outcome.sent_chat_id, item.outcome.message_id
                    )
                elif state == repo.FAILED:
                    await kind.on_failed(conn, item.row, item.error or "")
                elif state == repo.UNREACHABLE:
                    await kind.on_unreachable(conn, item.row)
            await repo.finish(conn, [item.outcome for item in batch])


def _chat_key(row: DeliveryRow) -> int | str:
    return row.chat_id or str(row.payload.get("channel", ""))


def _ids(result: Any) -> tuple[int | None, int | None]:
    if isinstance(result, Message):
        return result.chat.id, result.message_id
    return None, None
