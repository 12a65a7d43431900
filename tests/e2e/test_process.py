"""The bot as an operator runs it: ``python -m bot`` in its own process, and webhook mode."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.conftest import TOKEN
from tests.e2e.procs import Spawner, count_rows, serving, webhook_app
from tests.fakebot import FakeTelegram


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Spawner]:
    """``python -m bot`` in ``tmp_path`` (no .env there), on a SQLite file unless told."""
    async with Spawner(
        tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/proc.db", LOG_LEVEL="DEBUG"
    ) as spawner:
        yield spawner


async def test_without_a_token_it_explains_how_to_get_one(spawn: Spawner) -> None:
    bot = await spawn()
    assert await bot.exit_code(60) == 2
    text = bot.output
    assert "@BotFather" in text
    assert "Traceback" not in text


async def test_invalid_setting_stops_start_up_with_one_line(spawn: Spawner) -> None:
    bot = await spawn(BOT_TOKEN=TOKEN, DEFAULT_TIMEZONE="Mars/Olympus")
    assert await bot.exit_code(60) == 2
    lines = bot.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DEFAULT_TIMEZONE" in lines[0]
    assert "Mars/Olympus" in lines[0]


async def test_process_answers_and_stops_gracefully_on_sigterm(
    tg: FakeTelegram, spawn: Spawner, database_url: str, tmp_path: Path
) -> None:
    bot = await spawn(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.base_url, DATABASE_URL=database_url)
    try:
        user = tg.user("Оля", language_code="ru")
        user.start_bot()
        reply = await tg.next_bot_message(user.private, timeout=60)
        assert "Спасибот" in (reply.text or "")
        bot.signal(signal.SIGTERM)
        await bot.exit_code(60)
    finally:
        await bot.kill()
    assert bot.returncode == 0
    log = bot.stderr
    assert "stopped" in log
    assert "process lock bot:42 released" in log
    assert "Traceback" not in log  # nothing (a scheduled job, a task) is cancelled mid-way
    assert "CancelledError" not in log
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
    if database_url.startswith("sqlite"):
        assert (tmp_path / "spasibot.db").exists()
    assert await count_rows(database_url, "process_locks") == 0  # the lock released


async def test_webhook_mode_with_secret_token(tg: FakeTelegram, database_url: str) -> None:
    webhook = webhook_app(tg, database_url)
    url = webhook.url
    async with serving(webhook, tg):
        hook = tg.calls_of("setWebhook")[-1]
        assert hook.params["url"] == url
        assert hook.params["secret_token"] == "s3cret-Token_1"

        user = tg.user("Web", language_code="en")
        user.start_bot()
        reply = await tg.next_bot_message(user.private, timeout=10)
        assert (reply.text or "").startswith("Hi, Web!")

        async with aiohttp.ClientSession() as http:
            forged = {
                "update_id": 999,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 1, "type": "private"},
                    "text": "/start",
                },
            }
            async with http.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as resp:
                assert resp.status == 403  # a wrong secret is refused
