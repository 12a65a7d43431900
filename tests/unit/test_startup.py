"""Start-up and shutdown pieces: the process lock, the Telegram check, the scheduler's stop."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from datetime import timedelta
from typing import Any, cast

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetMe
from aiogram.types import User

from bot.scheduler import ApScheduler
from bot.settings import validate_cron
from bot.startup import ProcessLock, StartupError, check_telegram, holder_is_dead, lock_owner
from storage.database import Database
from storage.repo import locks as locks_repo
from tests.clock import FakeClock

ME = User(id=42, is_bot=True, first_name="Spasibot", username="spasibot_bot")


# --- the lock repository ----------------------------------------------------------------------


def _never_dead(_owner: str) -> bool:
    return False


async def _acquire(db: Database, owner: str, clock: FakeClock, **kw: Any) -> Any:
    now = clock.now()
    async with db.transaction() as conn:
        return await locks_repo.acquire(
            conn,
            "bot:42",
            owner,
            now,
            stale_before=now - timedelta(seconds=60),
            holder_is_dead=kw.get("dead", _never_dead),
        )


async def test_lock_free_held_and_refused(db: Database, clock: FakeClock) -> None:
    assert await _acquire(db, "a:1:x", clock) is None
    clock.advance(timedelta(seconds=5))
    refused = await _acquire(db, "b:2:y", clock)
    assert refused is not None
    assert refused.owner == "a:1:x"
    assert await _acquire(db, "a:1:x", clock) is None  # the holder again: fine


async def test_stale_lock_is_taken_over_and_the_old_holder_learns_it(
    db: Database, clock: FakeClock
) -> None:
    assert await _acquire(db, "a:1:x", clock) is None
    clock.advance(timedelta(seconds=61))
    assert await _acquire(db, "b:2:y", clock) is None
    async with db.transaction() as conn:
        assert not await locks_repo.heartbeat(conn, "bot:42", "a:1:x", clock.now())
        assert await locks_repo.heartbeat(conn, "bot:42", "b:2:y", clock.now())


async def test_dead_holder_is_taken_over_at_once(db: Database, clock: FakeClock) -> None:
    assert await _acquire(db, "a:1:x", clock) is None
    assert await _acquire(db, "b:2:y", clock, dead=lambda owner: owner == "a:1:x") is None
    async with db.read() as conn:
        holder = await locks_repo.holder(conn, "bot:42")
    assert holder is not None
    assert holder.owner == "b:2:y"


async def test_released_lock_is_free(db: Database, clock: FakeClock) -> None:
    assert await _acquire(db, "a:1:x", clock) is None
    async with db.transaction() as conn:
        await locks_repo.release(conn, "bot:42", "b:2:y")  # not the holder: nothing happens
    assert await _acquire(db, "b:2:y", clock) is not None
    async with db.transaction() as conn:
        await locks_repo.release(conn, "bot:42", "a:1:x")
    assert await _acquire(db, "b:2:y", clock) is None


async def test_process_lock_refuses_with_one_line(db: Database, clock: FakeClock) -> None:
    first = ProcessLock(db, "bot:42", clock=clock, owner="host-a:1:x", is_dead=_never_dead)
    second = ProcessLock(db, "bot:42", clock=clock, owner="host-b:2:y", is_dead=_never_dead)
    await first.acquire()
    with pytest.raises(StartupError) as info:
        await second.acquire()
    message = str(info.value)
    assert "\n" not in message
    assert "another Spasibot process" in message
    assert "host-a:1" in message
    assert "DATABASE_URL" in message
    assert info.value.exit_code == 2
    await first.release()
    await second.acquire()
    assert second.held


def test_holder_is_dead() -> None:
    host = socket.gethostname()
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    gone = int(child.stdout)
    assert holder_is_dead(f"{host}:{gone}:abcd")
    assert holder_is_dead(f"{host}:{os.getpid()}:abcd")  # our pid: an earlier process had it
    assert not holder_is_dead(f"{host}:{os.getppid()}:abcd")  # alive
    assert not holder_is_dead(f"elsewhere-{host}:{gone}:abcd")  # another host: heartbeat rules
    assert not holder_is_dead("garbage")
    owner = lock_owner()
    assert owner.startswith(f"{host}:{os.getpid()}:")
    assert owner != lock_owner()  # the nonce tells two processes with one pid apart


# --- the Telegram check -----------------------------------------------------------------------


class StubBot:
    def __init__(self, *answers: Exception | User) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def get_me(self, request_timeout: int | None = None) -> User:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else ME
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_refused_token_is_one_line_naming_bot_token() -> None:
    bot = StubBot(TelegramUnauthorizedError(method=GetMe(), message="Unauthorized"))
    with pytest.raises(StartupError) as info:
        await check_telegram(cast(Bot, bot), asyncio.Event())
    message = str(info.value)
    assert message.startswith("BOT_TOKEN: ")
    assert "@BotFather" in message
    assert "\n" not in message
    assert info.value.exit_code == 2


async def test_unreachable_telegram_is_retried_with_growing_delays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.startup")
    bot = StubBot(
        TelegramNetworkError(method=GetMe(), message="ClientConnectorError: refused"),
        TelegramServerError(method=GetMe(), message="Bad Gateway"),
        TelegramNetworkError(method=GetMe(), message="Request timeout error"),
        ClientDecodeError("Failed to decode object", ValueError("x"), "<html>502</html>"),
    )
    me = await check_telegram(cast(Bot, bot), asyncio.Event(), first_delay=0.01, max_delay=0.02)
    assert me == ME
    assert bot.calls == 5
    tries = [r.getMessage() for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(tries) == 4
    assert "attempt 1" in tries[0]
    assert "retrying in 0 s" in tries[0]
    assert all(r.exc_info is None for r in caplog.records)  # one line each, no traceback


async def test_stop_while_waiting_for_telegram() -> None:
    stop = asyncio.Event()
    errors = [TelegramNetworkError(method=GetMe(), message="down") for _ in range(100)]
    bot = StubBot(*errors)
    asyncio.get_running_loop().call_later(0.2, stop.set)
    assert await asyncio.wait_for(check_telegram(cast(Bot, bot), stop), 5) is None


async def test_stop_while_a_request_hangs() -> None:
    class Hanging:
        async def get_me(self, request_timeout: int | None = None) -> User:
            await asyncio.sleep(3600)
            return ME

    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.1, stop.set)
    assert await asyncio.wait_for(check_telegram(cast(Bot, Hanging()), stop), 5) is None


# --- the scheduler's stop ---------------------------------------------------------------------


class Steps:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.go_on = asyncio.Event()
        self.finished = False


async def half_way_job(steps: Steps) -> None:
    steps.started.set()
    await steps.go_on.wait()  # e.g. between two writes of one unit of work
    steps.finished = True


async def test_shutdown_lets_a_running_job_finish(caplog: pytest.LogCaptureFixture) -> None:
    steps = Steps()
    scheduler: ApScheduler[Steps] = ApScheduler(steps)
    scheduler.add_cron("job", half_way_job, validate_cron("0 0 1 1 *"))
    scheduler.start()
    scheduler.run_soon("job")
    await asyncio.wait_for(steps.started.wait(), 10)
    stopping = asyncio.create_task(scheduler.shutdown(timeout=10))
    await asyncio.sleep(0.2)
    assert not stopping.done()  # waits for the job, does not cancel it
    steps.go_on.set()
    await asyncio.wait_for(stopping, 10)
    assert steps.finished
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_shutdown_timeout_cuts_off_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    steps = Steps()
    scheduler: ApScheduler[Steps] = ApScheduler(steps)
    scheduler.add_cron("job", half_way_job, validate_cron("0 0 1 1 *"))
    scheduler.start()
    scheduler.run_soon("job")
    await asyncio.wait_for(steps.started.wait(), 10)
    await scheduler.shutdown(timeout=0.1)
    await asyncio.sleep(0.05)  # the cancelled job task runs its last step
    assert not steps.finished
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "scheduled jobs still running after 0 s: cut off",
        "scheduled job job cut off at shutdown",
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_shutdown_without_jobs_or_start() -> None:
    scheduler: ApScheduler[Steps] = ApScheduler(Steps())
    await scheduler.shutdown(timeout=1)
    scheduler.start()
    await scheduler.shutdown(timeout=1)
