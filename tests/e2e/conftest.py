"""End-to-end harness: the real application, polling a fake Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application, build_application
from bot.settings import Settings
from tests.fakebot import FakeTelegram
from tests.pg import ENGINES

TOKEN = "42:TEST-token_abcdefghijklmnopqrstuvwxyz012"
ADMIN_ID_PLACEHOLDER = 0
#: settings for a test that sends a lot to one chat against a fake without flood control
UNPACED = {
    "rate_per_second": 1000.0,
    "rate_per_chat_per_second": 100.0,
    "rate_per_chat_burst": 100,
    "rate_group_per_minute": 1000,
}


@dataclass
class Running:
    app: Application
    task: asyncio.Task[None]

    async def stop(self) -> None:
        await self.app.dp.stop_polling()
        await asyncio.wait_for(self.task, 30)


Starter = Callable[..., Awaitable[Running]]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Poll an async condition (for effects that show in the database, not in a chat)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"condition {check.__name__} not met within {timeout} s")
        await asyncio.sleep(0.02)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(token=TOKEN, bot_username="spasibot_bot", bot_name="Spasibot")
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database of one test, on each engine; every start in the test shares it. SQLite:
    a new file the application migrates; PostgreSQL: a fresh database cloned from the
    migrated template (skipped without PostgreSQL)."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return f"sqlite+aiosqlite:///{tmp_path}/spasibot.db"


@pytest.fixture
async def start_bot(tg: FakeTelegram, database_url: str) -> AsyncIterator[Starter]:
    """Start the real application against ``tg``; every started app is stopped at the end.

    Keyword arguments are settings overrides (``tips_channel="@x"``, ``admin_ids=...``) plus
    ``clock=`` and ``fake=`` (another FakeTelegram); the database (``database_url``) is
    shared by every start in one test, so a second start is a restart.
    """
    running: list[Running] = []

    async def start(
        *, clock: Any = None, fake: FakeTelegram | None = None, **overrides: Any
    ) -> Running:
        server = fake or tg
        values: dict[str, Any] = {
            "bot_token": TOKEN,
            "telegram_api_url": server.base_url,
            "database_url": database_url,
            "log_level": "DEBUG",
        }
        values.update(overrides)
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        app = build_application(settings, clock=clock, rng=random.Random(7))
        task = asyncio.create_task(app.run_polling(handle_signals=False))
        handle = Running(app, task)
        running.append(handle)

        def polling() -> bool:
            if task.done():
                return True
            return server.is_polling  # a getUpdates long poll is waiting

        await server.wait_until(polling, timeout=15)
        if task.done():
            task.result()  # start-up failed: raise its error here
        return handle

    yield start
    for handle in reversed(running):
        if not handle.task.done():
            await handle.stop()
