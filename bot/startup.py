"""Start-up as an operator expects it, before the bot takes any update.

- **Telegram is asked first** (``getMe``): a token Telegram refuses (401) stops the process
  with one line naming ``BOT_TOKEN`` (exit code 2); while Telegram cannot be reached
  (connection refused, network errors, timeouts, 5xx, 429) each attempt is logged in one
  line and retried with exponential backoff (1 s doubling up to 30 s) until it answers or
  SIGTERM/SIGINT stops the process (exit code 0).
- **One process per bot and database** (until processes get roles): after the migrations
  the process takes the lock ``bot:<bot id>`` in ``process_locks``, heartbeats it every
  ``HEARTBEAT_SECONDS`` and frees it on a normal stop. A second process is refused with one
  line (exit code 2). The lock of a process that died is taken over: at once when it ran on
  this host and its pid is gone (a restart right after ``kill -9``), after
  ``STALE_SECONDS`` without a heartbeat otherwise.

Everything here raises :class:`StartupError` (one line, an exit code) for ``__main__``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import User

from bot.clock import Clock, SystemClock
from bot.settings import DatabaseSettings, Settings
from storage.database import Database
from storage.repo import locks as locks_repo

log = logging.getLogger(__name__)

#: backoff of the start-up check while Telegram cannot be reached
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0
#: one getMe may take this long
CHECK_TIMEOUT_SECONDS = 10
HEARTBEAT_SECONDS = 10.0
#: a lock not heartbeaten for this long belongs to a process that died (on another host)
STALE_SECONDS = 60.0

TOKEN_REFUSED = (
    "BOT_TOKEN: Telegram refused this token (401 Unauthorized): it was revoked or mistyped. "
    "Open @BotFather, send /mybots, pick the bot, press API Token, and put the current token "
    "into .env as BOT_TOKEN=..."
)


class StartupError(Exception):
    """Start-up cannot go on; the message is one line naming what to fix."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def prepare_storage(settings: DatabaseSettings) -> None:
    """Create the directory of the SQLite database, or say in one line why it cannot be."""
    path = settings.sqlite_path
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise StartupError(
            f"DATABASE_URL: cannot create the directory {str(path.parent)!r} of the SQLite "
            f"database: {reason}"
        ) from None


async def check_telegram(
    bot: Bot,
    stop: asyncio.Event,
    *,
    first_delay: float = RETRY_FIRST_SECONDS,
    max_delay: float = RETRY_MAX_SECONDS,
    timeout: int = CHECK_TIMEOUT_SECONDS,
) -> User | None:
    """``getMe`` until Telegram answers; None when ``stop`` was set first."""
    delay = first_delay
    attempt = 0
    while not stop.is_set():
        attempt += 1
        try:
            me = await _unless_stopped(bot.get_me(request_timeout=timeout), stop)
        except TelegramUnauthorizedError:
            raise StartupError(TOKEN_REFUSED) from None
        except TelegramRetryAfter as error:
            wait = max(float(error.retry_after), delay)
            log.warning("Telegram asks to wait (attempt %d): retrying in %.0f s", attempt, wait)
        except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as error:
            # (a reply that is not JSON: a proxy's error page in front of Telegram)
            wait = delay
            log.warning(
                "Telegram cannot be reached (attempt %d: %s): retrying in %.0f s",
                attempt,
                _one_line(error),
                wait,
            )
        except TelegramAPIError as error:
            raise StartupError(
                f"BOT_TOKEN / TELEGRAM_API_URL: Telegram refused getMe ({_one_line(error)}); "
                "check the token with @BotFather and that TELEGRAM_API_URL (if set) is a Bot "
                "API server"
            ) from None
        else:
            if me is None:
                return None
            log.info("connected to Telegram as @%s (id %s)", me.username, me.id)
            return me
        delay = min(delay * 2, max_delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
    return None


async def _unless_stopped(request: Coroutine[Any, Any, User], stop: asyncio.Event) -> User | None:
    """Await ``request`` unless ``stop`` is set first (then the request is cancelled)."""
    task = asyncio.create_task(request)
    waiter = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, waiter):
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending
    if task.cancelled():
        return None
    return task.result()


def _one_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


# --- the process lock -----------------------------------------------------------------------


def lock_owner() -> str:
    """``host:pid:nonce``: the nonce tells this process from an earlier one with its pid."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_is_dead(owner: str) -> bool:
    """True when ``owner`` was a process on this host that no longer runs."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid = parts[0], int(parts[1])
    if host != socket.gethostname()[:80]:
        return False
    if pid == os.getpid():
        return True  # this pid is ours: the holder was an earlier process (a container restart)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


class ProcessLock:
    """The lock ``name`` held by this process in the database (see the module doc)."""

    def __init__(
        self,
        db: Database,
        name: str,
        *,
        clock: Clock | None = None,
        owner: str | None = None,
        stale: timedelta = timedelta(seconds=STALE_SECONDS),
        is_dead: Callable[[str], bool] = holder_is_dead,
    ) -> None:
        self._db = db
        self.name = name
        # real time across processes, whatever clock the application runs on
        self._clock = clock or SystemClock()
        self.owner = owner or lock_owner()
        self._stale = stale
        self._is_dead = is_dead
        self.held = False

    async def acquire(self) -> None:
        now = self._clock.now()
        async with self._db.transaction() as conn:
            holder = await locks_repo.acquire(
                conn,
                self.name,
                self.owner,
                now,
                stale_before=now - self._stale,
                holder_is_dead=self._is_dead,
            )
        if holder is not None:
            seen = max(0, int((now - holder.heartbeat_at).total_seconds()))
            raise StartupError(
                f"another Spasibot process ({holder.owner.rsplit(':', 1)[0]}, seen {seen} s "
                f"ago) runs this bot on this DATABASE_URL: stop it first (a process that died "
                f"on another host is replaced after {int(self._stale.total_seconds())} s)"
            )
        self.held = True
        log.info("process lock %s taken by %s", self.name, self.owner)

    async def heartbeat(self) -> bool:
        """False when another process took the lock over."""
        async with self._db.transaction() as conn:
            return await locks_repo.heartbeat(conn, self.name, self.owner, self._clock.now())

    async def keep(self, on_lost: Callable[[], None], every: float = HEARTBEAT_SECONDS) -> None:
        """Heartbeat until cancelled; ``on_lost`` when the lock was taken over."""
        while True:
            await asyncio.sleep(every)
            try:
                if not await self.heartbeat():
                    log.error(
                        "process lock %s was taken over by another process: stopping", self.name
                    )
                    self.held = False
                    on_lost()
                    return
            except Exception as error:  # the database is away for a moment: try again
                log.warning("process lock heartbeat failed: %s", _one_line(error))

    async def release(self) -> None:
        if not self.held:
            return
        async with self._db.transaction() as conn:
            await locks_repo.release(conn, self.name, self.owner)
        self.held = False
        log.info("process lock %s released", self.name)


# --- the whole start-up ---------------------------------------------------------------------


@asynccontextmanager
async def checked_start(
    *,
    settings: Settings,
    bot: Bot,
    db: Database,
    stop: asyncio.Event,
    handle_signals: bool,
) -> AsyncIterator[bool]:
    """Telegram answers, the database is migrated and the process lock is ours: yields True
    (serve inside the block); False when a stop signal came first. On leaving, the lock is
    released and the database and the bot session are closed."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT) if handle_signals else ()
    for sig in signals:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, _on_signal, sig, stop)
    lock = ProcessLock(db, f"bot:{settings.bot_id}")
    keeper: asyncio.Task[None] | None = None
    try:
        stop.clear()
        if await check_telegram(bot, stop) is None:
            yield False
            return
        try:
            await db.migrate()
        except Exception as error:
            raise StartupError(
                f"DATABASE_URL: cannot open or migrate the database ({_one_line(error)})",
                exit_code=1,
            ) from None
        await lock.acquire()
        keeper = asyncio.create_task(lock.keep(stop.set), name="process-lock")
        if stop.is_set():
            yield False
            return
        yield True
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        try:
            await lock.release()
        except Exception as error:  # it goes stale and is taken over at the next start
            log.warning("process lock not released: %s", _one_line(error))
        await db.close()
        await bot.session.close()


def _on_signal(sig: signal.Signals, stop: asyncio.Event) -> None:
    log.warning("received %s: stopping", sig.name)
    stop.set()
