"""Updates in, fairly and without loss.

**Without loss.** Every update taken from Telegram is written to the ``inbox`` table before
Telegram is told it arrived (long polling: the next ``getUpdates`` offset; webhook: the 200
answer). Polling hands a batch to the handlers only once the ``getUpdates`` carrying its
offset has returned, so an update that was handled can never be delivered again; the cost
is one short ``getUpdates`` (timeout 0) per batch. An update leaves the inbox in the same
transaction as its handler's first write (``storage.repo.inbox.handling``), or after the
handler returned if it wrote nothing. At start-up, rows left in the inbox (a crash, or a
stop with updates still queued) are handled first; a replay finds only updates whose effects
were never committed, so nothing is applied twice.

**Fairly.** Updates are queued per user (per chat when there is no user) and served
round-robin by ``concurrency`` workers, one update of a user at a time: a user flooding the
bot holds one worker, the others keep answering everyone else, and a user's updates stay in
order (so the event-isolation lock is never waited on). A user with more than ``slow_after``
updates waiting is told once, politely, and served at a lower priority until their queue
empties; nothing is dropped. Beyond ``hot_per_user`` waiting updates only the update id is
kept in memory (the payload is in the inbox). A user's queue is freed when it empties.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import deque
from collections.abc import AsyncIterator, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakValueDictionary

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.clock import Clock
from bot.i18n import Translations
from storage.database import Database
from storage.repo import inbox as inbox_repo
from storage.repo.inbox import InboxRow

log = logging.getLogger(__name__)

#: waiting updates of one user after which they are asked to slow down (and deprioritised)
SLOW_AFTER = 20
#: waiting updates of one user kept parsed in memory; later ones are re-read from the inbox
HOT_PER_USER = 32
#: while this many updates wait, polling stops fetching (Telegram keeps the rest)
MAX_QUEUED = 100_000
#: a slowed user is served one pick in SLOW_SHARE while other users wait
SLOW_SHARE = 4
#: ids of updates handled lately: the same update delivered again is dropped
RECENT = 10_000
#: seconds of a long poll
POLL_TIMEOUT = 10
#: deletes of inbox rows whose handler wrote nothing are gathered this long, then batched
DONE_FLUSH_SECONDS = 0.05
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


class FreeingEventIsolation(BaseEventIsolation):
    """aiogram's SimpleEventIsolation keeps one lock per (chat, user) forever; here a lock
    lives only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: WeakValueDictionary[Hashable, asyncio.Lock] = WeakValueDictionary()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            yield

    async def close(self) -> None:
        self._locks.clear()

    @property
    def locks(self) -> int:
        """Locks alive (held or waited for). (Not ``__len__``: aiogram tests it for truth.)"""
        return len(self._locks)


def serialize(update: Update) -> str:
    return update.model_dump_json(exclude_unset=True)


def has_event(update: Update) -> bool:
    try:
        update.event_type  # noqa: B018 (raises for an update of no known type)
    except UpdateTypeLookupError:
        return False
    return True


def queue_key(update: Update) -> int:
    """Whose queue: the user's, else the chat's, else the shared queue 0."""
    context = UserContextMiddleware.resolve_event_context(update)
    if context.user is not None:
        return context.user.id
    if context.chat is not None:
        return context.chat.id
    return 0


@dataclass(slots=True)
class _Queue:
    key: int
    items: deque[Update | int] = field(default_factory=deque)
    slow: bool = False
    running: bool = False


class FairDispatcher:
    """Per-user queues served round-robin by ``concurrency`` workers (see the module doc)."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        db: Database,
        translations: Translations,
        *,
        concurrency: int,
        slow_after: int = SLOW_AFTER,
        hot_per_user: int = HOT_PER_USER,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self._dp = dp
        self._bot = bot
        self._db = db
        self._translations = translations
        self._concurrency = concurrency
        self._slow_after = slow_after
        self._hot = hot_per_user
        self._max_queued = max_queued
        self._queues: dict[int, _Queue] = {}
        self._ready: deque[_Queue] = deque()
        self._ready_slow: deque[_Queue] = deque()
        self._available = asyncio.Semaphore(0)
        self._picks = 0
        self._accepted: set[int] = set()  # queued or being handled
        self._recent: deque[int] = deque(maxlen=RECENT)
        self._recent_ids: set[int] = set()
        self._room = asyncio.Event()
        self._room.set()
        self._done: list[int] = []
        self._done_due = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._notices: set[asyncio.Task[None]] = set()
        self._closing = False
        #: for tests and logs
        self.handled = 0
        self.notices_sent = 0

    # --- state, for tests and logs --------------------------------------------------------------
    @property
    def queued(self) -> int:
        """Updates waiting or being handled."""
        return len(self._accepted)

    @property
    def users(self) -> int:
        """Per-user queues alive (a queue is freed when it empties)."""
        return len(self._queues)

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> list[Update]:
        """Start the workers; returns the updates left in the inbox, oldest first."""
        async with self._db.read() as conn:
            rows = await inbox_repo.pending(conn)
        left: list[Update] = []
        broken: list[int] = []
        for row in rows:
            try:
                left.append(Update.model_validate_json(row.payload, context={"bot": self._bot}))
            except ValueError:
                log.exception("inbox row %s cannot be read; dropped", row.update_id)
                broken.append(row.update_id)
        self._finished(broken)
        self._closing = False
        self._workers = [
            asyncio.create_task(self._work(), name=f"updates-worker-{n}")
            for n in range(self._concurrency)
        ]
        self._flusher = asyncio.create_task(self._flush_loop(), name="inbox-flusher")
        if left:
            log.info("replaying %d updates left in the inbox", len(left))
        return left

    async def stop(self, timeout: float) -> None:
        """Finish the updates being handled (waiting ones stay in the inbox for the next
        start), then write the pending inbox deletes."""
        self._closing = True
        for _ in self._workers:
            self._available.release()
        late: set[asyncio.Task[None]] = set()
        if self._workers:
            _, late = await asyncio.wait(self._workers, timeout=timeout)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if late:
            log.warning("%d updates cut off at shutdown: replayed at the next start", len(late))
        self._workers = []
        for notice in list(self._notices):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(notice, timeout)
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self._flush()
        left = len(self._accepted)
        if left:
            log.info("%d updates wait in the inbox for the next start", left)
        self._queues.clear()
        self._ready.clear()
        self._ready_slow.clear()
        self._accepted.clear()
        self._available = asyncio.Semaphore(0)

    # --- intake ---------------------------------------------------------------------------------
    def seen(self, update_id: int) -> bool:
        """Queued, being handled, or handled lately."""
        return update_id in self._accepted or update_id in self._recent_ids

    async def wait_for_room(self) -> None:
        await self._room.wait()

    @property
    def has_room(self) -> bool:
        return self._room.is_set()

    async def store(self, updates: Sequence[Update], clock: Clock) -> None:
        """Write updates to the inbox in one transaction."""
        rows = [InboxRow(u.update_id, serialize(u)) for u in updates]
        async with self._db.transaction() as conn:
            await inbox_repo.add(conn, rows, clock.now())

    def accept(self, update: Update) -> None:
        """Queue a stored update for handling (it is in the inbox and Telegram knows it
        arrived). The same update twice is queued once."""
        uid = update.update_id
        if self.seen(uid):
            if uid in self._recent_ids:
                self._finished([uid])  # handled already: a redelivery stored it again
            return
        self._accepted.add(uid)
        if len(self._accepted) >= self._max_queued:
            self._room.clear()
        key = queue_key(update)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _Queue(key)
        queue.items.append(update if len(queue.items) < self._hot else uid)
        if len(queue.items) > self._slow_after and not queue.slow:
            queue.slow = True
            self._notify_slow(update)
        if not queue.running and len(queue.items) == 1:
            self._make_ready(queue)

    # --- workers --------------------------------------------------------------------------------
    def _make_ready(self, queue: _Queue) -> None:
        (self._ready_slow if queue.slow else self._ready).append(queue)
        self._available.release()

    def _pick(self) -> _Queue:
        self._picks += 1
        if self._ready_slow and (not self._ready or self._picks % SLOW_SHARE == 0):
            return self._ready_slow.popleft()
        return self._ready.popleft()

    async def _work(self) -> None:
        while True:
            await self._available.acquire()
            if self._closing:
                return
            queue = self._pick()
            item = queue.items.popleft()
            queue.running = True
            uid = item if isinstance(item, int) else item.update_id
            try:
                update = item if isinstance(item, Update) else await self._load(item)
                if update is not None:
                    await self._handle(update)
            except Exception:
                log.exception("update %s could not be handled", uid)
            finally:
                queue.running = False
                self._accepted.discard(uid)
                self._remember(uid)
                if len(self._accepted) < self._max_queued:
                    self._room.set()
                if queue.items:
                    self._make_ready(queue)
                else:
                    del self._queues[queue.key]

    async def _load(self, update_id: int) -> Update | None:
        async with self._db.read() as conn:
            payload = await inbox_repo.payload(conn, update_id)
        if payload is None:
            return None
        return Update.model_validate_json(payload, context={"bot": self._bot})

    async def _handle(self, update: Update) -> None:
        with inbox_repo.handling(update.update_id) as claim:
            try:
                if has_event(update):
                    response = await self._dp.feed_update(self._bot, update, bots=(self._bot,))
                    if isinstance(response, TelegramMethod):
                        await self._dp.silent_call_request(self._bot, response)
                else:
                    log.warning("update %s has no known type; skipped", update.update_id)
            except Exception:
                # the error router logs the handlers' errors; this is what escaped it (kept
                # no longer: a replay would fail the same way)
                log.exception("update %s failed", update.update_id)
            # (a cancelled handler keeps its row: it is replayed at the next start)
            if not claim.settled:
                self._finished([update.update_id])
            # tasks the handler started keep this context: they must not delete again
            claim.settled = True
        self.handled += 1

    def _remember(self, update_id: int) -> None:
        if len(self._recent) == self._recent.maxlen:
            self._recent_ids.discard(self._recent[0])
        self._recent.append(update_id)
        self._recent_ids.add(update_id)

    # --- the polite notice ----------------------------------------------------------------------
    def _notify_slow(self, update: Update) -> None:
        user = UserContextMiddleware.resolve_event_context(update).user
        if user is None or user.is_bot:
            return
        log.info("user %s has %d updates waiting: asked to slow down", user.id, self._slow_after)
        text = self._translations.for_language(user.language_code).t("errors.slow_down")
        task = asyncio.create_task(self._send_notice(user.id, text))
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def _send_notice(self, user_id: int, text: str) -> None:
        try:
            await self._bot.send_message(user_id, text)
            self.notices_sent += 1
        except TelegramAPIError as error:  # never started the bot, blocked it...
            log.info("slow-down notice to %s not sent: %s", user_id, error)

    # --- inbox deletes of handlers that wrote nothing --------------------------------------------
    def _finished(self, update_ids: Sequence[int]) -> None:
        if update_ids:
            self._done.extend(update_ids)
            self._done_due.set()

    async def _flush_loop(self) -> None:
        while True:
            await self._done_due.wait()
            await asyncio.sleep(DONE_FLUSH_SECONDS)
            self._done_due.clear()
            if not await self._flush():
                await asyncio.sleep(1.0)
                self._done_due.set()

    async def _flush(self) -> bool:
        ids, self._done = self._done, []
        if not ids:
            return True
        try:
            async with self._db.transaction() as conn:
                await inbox_repo.delete_many(conn, ids)
        except Exception:
            log.exception("could not remove %d handled updates from the inbox", len(ids))
            self._done.extend(ids)
            return False
        return True


class Poller:
    """Long polling that confirms an offset only for updates stored in the inbox, and hands
    them to the handlers only once Telegram has taken the confirmation."""

    def __init__(
        self,
        bot: Bot,
        dispatcher: FairDispatcher,
        clock: Clock,
        allowed_updates: list[str],
        *,
        timeout: int = POLL_TIMEOUT,
        backoff: BackoffConfig = BACKOFF,
    ) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._clock = clock
        self._allowed = allowed_updates
        self._timeout = timeout
        self._backoff = backoff

    async def run(self, left: Sequence[Update]) -> None:
        """Poll until cancelled; ``left`` (from the inbox) are confirmed, then handled first."""
        backoff = Backoff(config=self._backoff)
        waiting = list(left)
        offset = max(u.update_id for u in waiting) + 1 if waiting else None
        failed = False
        log.info("polling started")
        while True:
            await self._dispatcher.wait_for_room()
            timeout = 0 if waiting else self._timeout
            request = GetUpdates(offset=offset, timeout=timeout, allowed_updates=self._allowed)
            session_timeout = self._bot.session.timeout
            try:
                if session_timeout:
                    updates = await self._bot(
                        request, request_timeout=int(session_timeout + timeout)
                    )
                else:
                    updates = await self._bot(request)
            except Exception as error:
                failed = True
                log.error("failed to fetch updates - %s: %s", type(error).__name__, error)
                log.warning("retrying in %.1f s (attempt %d)", backoff.next_delay, backoff.counter)
                await backoff.asleep()
                continue
            if failed:
                log.info("connection to Telegram established again")
                backoff.reset()
                failed = False
            # Telegram has now confirmed every update before ``offset``
            for update in waiting:
                self._dispatcher.accept(update)
            waiting = []
            if updates:
                await self._store(updates, backoff)
                waiting = list(updates)
                offset = updates[-1].update_id + 1

    async def _store(self, updates: Sequence[Update], backoff: Backoff) -> None:
        """The offset moves only after the batch is stored; a database failure is retried."""
        while True:
            try:
                await self._dispatcher.store(updates, self._clock)
            except Exception:
                log.exception("could not store %d updates; retrying", len(updates))
                await backoff.asleep()
            else:
                return


@asynccontextmanager
async def lifecycle(
    dp: Dispatcher, bot: Bot, stop: asyncio.Event, *, handle_signals: bool
) -> AsyncIterator[dict[str, Any]]:
    """What aiogram's start_polling does around the loop: one run at a time, SIGINT/SIGTERM
    set ``stop``, ``dp.stop_polling()`` works, startup and shutdown emitted with the
    workflow data, and the bot session closed at the end."""
    # aiogram's stop_polling() sets its stop signal and waits for its stopped signal while its
    # running lock is held: the same three objects drive this loop, so it stops ours too
    async with dp._running_lock:
        stopped = asyncio.Event()
        dp._stop_signal = stop
        dp._stopped_signal = stopped
        stop.clear()
        loop = asyncio.get_running_loop()
        signals = (signal.SIGTERM, signal.SIGINT) if handle_signals else ()
        for sig in signals:
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, _on_signal, sig, stop)
        workflow: dict[str, Any] = {"dispatcher": dp, "bots": (bot,), **dp.workflow_data}
        workflow.pop("bot", None)
        try:
            await dp.emit_startup(bot=bot, **workflow)
            try:
                yield workflow
            finally:
                await dp.emit_shutdown(bot=bot, **workflow)
        finally:
            for sig in signals:
                with contextlib.suppress(NotImplementedError):
                    loop.remove_signal_handler(sig)
            try:
                await bot.session.close()
            finally:
                stopped.set()


def _on_signal(sig: signal.Signals, stop: asyncio.Event) -> None:
    log.warning("received %s: stopping", sig.name)
    stop.set()


async def run_until(stop: asyncio.Event, work: asyncio.Task[None]) -> None:
    """Wait for ``stop`` or for ``work`` to end (its error is raised); cancel the other."""
    waiter = asyncio.create_task(stop.wait())
    done, pending = await asyncio.wait({work, waiter}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await asyncio.gather(*done)


async def serve_polling(
    dp: Dispatcher,
    bot: Bot,
    dispatcher: FairDispatcher,
    clock: Clock,
    stop: asyncio.Event,
    *,
    handle_signals: bool,
    drain_timeout: float,
) -> None:
    """Long polling through the inbox and the fair queues until ``stop`` is set."""
    async with lifecycle(dp, bot, stop, handle_signals=handle_signals):
        left = await dispatcher.start()
        try:
            poller = Poller(bot, dispatcher, clock, dp.resolve_used_update_types())
            await run_until(stop, asyncio.create_task(poller.run(left), name="poller"))
        finally:
            log.info("polling stopped")
            await dispatcher.stop(drain_timeout)
