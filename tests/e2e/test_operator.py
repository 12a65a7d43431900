"""``python -m bot`` as an operator runs it: every start-up failure is one clear line (or, for
the unexpected, a logged traceback) and never shows the token; Telegram that cannot be reached
is waited for; a second process on the same bot and database is refused; kill -9 and restart
works; a stop signal exits 0."""

from __future__ import annotations

import json
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import TOKEN
from tests.e2e.procs import START, Spawner, count_rows, fake_telegram, free_port
from tests.fakebot import FakeTelegram

SECRET_HALF = TOKEN.split(":", 1)[1]
#: a well-formed token this fake does not know: it answers 401
OTHER_TOKEN = "43:other-token_abcdefghijklmnopqrstuvwxyz0"


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Spawner]:
    """``python -m bot`` on a SQLite file of its own; a test about what is in the database
    passes ``DATABASE_URL=database_url`` (both engines)."""
    async with Spawner(
        tmp_path, BOT_TOKEN=TOKEN, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/op.db"
    ) as spawner:
        yield spawner


def assert_no_token(text: str) -> None:
    assert TOKEN not in text
    assert SECRET_HALF not in text


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- a token Telegram refuses ----------------------------------------------------------------


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_refused_token_is_one_line_naming_bot_token(spawn: Any, log_format: str) -> None:
    async with FakeTelegram(token=OTHER_TOKEN) as tg:
        bot = await spawn(TELEGRAM_API_URL=tg.base_url, LOG_FORMAT=log_format)
        assert await bot.exit_code() == 2
    text = bot.output
    assert_no_token(text)
    assert "Traceback" not in text
    assert len(bot.lines) == 1, text
    if log_format == "json":
        (record,) = _json_lines(text)
        message = record["message"]
    else:
        message = bot.lines[0]
    assert "BOT_TOKEN" in message
    assert "401" in message
    assert "@BotFather" in message


# --- Telegram cannot be reached ----------------------------------------------------------------


@pytest.mark.parametrize(("log_format", "sig"), [("text", signal.SIGTERM), ("json", signal.SIGINT)])
async def test_unreachable_telegram_is_retried_until_stopped(
    spawn: Any, log_format: str, sig: signal.Signals
) -> None:
    bot = await spawn(TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}", LOG_FORMAT=log_format)
    await bot.wait_for("cannot be reached", count=3)  # after 1 s and 2 s
    bot.signal(sig)
    assert await bot.exit_code() == 0
    text = bot.output
    assert_no_token(text)
    assert "Traceback" not in text
    tries = [line for line in bot.lines if "cannot be reached" in line]
    assert len(tries) >= 3
    assert "attempt 1" in tries[0]
    assert "retrying in 1 s" in tries[0]
    assert "retrying in 2 s" in tries[1]
    assert "retrying in 4 s" in tries[2]
    if log_format == "json":
        assert all(isinstance(r, dict) for r in _json_lines(text))  # JSON lines only


async def test_telegram_failing_at_start_is_waited_for(spawn: Any, database_url: str) -> None:
    async with FakeTelegram(token=TOKEN) as tg:
        tg.fail_next("getMe", error_code=502, count=2)
        bot = await spawn(TELEGRAM_API_URL=tg.base_url, DATABASE_URL=database_url)
        await tg.wait_until(lambda: tg.is_polling, timeout=START)
        user = tg.user("Оля", language_code="ru")
        user.start_bot()
        reply = await tg.next_bot_message(user.private, timeout=30)
        assert "Спасибот" in (reply.text or "")
        bot.signal(signal.SIGTERM)
        assert await bot.exit_code() == 0
    text = bot.output
    assert_no_token(text)
    assert "Traceback" not in text
    assert text.count("cannot be reached") == 2
    assert "connected to Telegram as @spasibot_bot" in text


# --- settings and storage ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql://root:hunter2@db/spasibot"}, "DATABASE_URL"),
        ({"WEBHOOK_URL": "http://bot.example.com/hook", "WEBHOOK_SECRET": "s"}, "WEBHOOK_URL"),
        ({"WEBHOOK_URL": "https://bot.example.com/hook"}, "WEBHOOK_SECRET"),
        ({"BOT_TOKEN": TOKEN + " x"}, "BOT_TOKEN"),
    ],
)
async def test_invalid_setting_is_one_line(spawn: Any, env: dict[str, str], variable: str) -> None:
    bot = await spawn(LOG_FORMAT="json", **env)
    assert await bot.exit_code() == 2
    text = bot.output
    assert_no_token(text)
    assert "hunter2" not in text
    assert len(bot.lines) == 1, text
    assert bot.lines[0].startswith(f"spasibot: {variable}: ")


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_database_directory_that_cannot_be_created(
    spawn: Any, tmp_path: Path, log_format: str
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    bot = await spawn(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/a-file/data/spasibot.db",
        TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}",
        LOG_FORMAT=log_format,
    )
    assert await bot.exit_code() == 2
    text = bot.output
    assert_no_token(text)
    assert "Traceback" not in text
    assert len(bot.lines) == 1, text
    assert "DATABASE_URL: cannot create the directory" in text


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_crash_in_start_up_is_logged_without_the_token(
    spawn: Any, log_format: str, database_url: str
) -> None:
    async with FakeTelegram(token=TOKEN) as tg:
        # an error whose text carries the token, as aiohttp's errors carry the request URL
        tg.fail_next(
            "setMyCommands",
            error_code=400,
            description=f"Bad Request: cannot serve /bot{TOKEN}/setMyCommands",
        )
        bot = await spawn(
            TELEGRAM_API_URL=tg.base_url, LOG_FORMAT=log_format, DATABASE_URL=database_url
        )
        assert await bot.exit_code() == 1
    text = bot.output
    assert_no_token(text)
    assert "/bot***/setMyCommands" in text
    if log_format == "json":
        records = _json_lines(text)
        crash = records[-1]
        assert crash["level"] == "CRITICAL"
        assert "Traceback" in crash["exception"]


async def test_migrate_reads_the_same_database_settings(spawn: Any, tmp_path: Path) -> None:
    refused = await spawn("refused", "migrate", DATABASE_URL="mysql://root:hunter2@db/x")
    assert await refused.exit_code() == 2
    assert refused.lines == [
        "spasibot: DATABASE_URL: unsupported scheme 'mysql': use sqlite+aiosqlite:///path.db "
        "or postgresql+asyncpg://user:password@host:5432/db"
    ]
    migrated = await spawn("migrated", "migrate", DATABASE_URL=f"sqlite:///{tmp_path}/new/m.db")
    assert await migrated.exit_code() == 0
    assert migrated.lines[-1] == f"database is up to date: sqlite+aiosqlite:///{tmp_path}/new/m.db"
    with sqlite3.connect(tmp_path / "new" / "m.db") as conn:
        assert conn.execute("SELECT count(*) FROM process_locks").fetchone() == (0,)


# --- one process per bot and database ----------------------------------------------------------


@pytest.mark.timeout(400)
async def test_second_process_is_refused_and_kill_9_then_restart_works(
    spawn: Any, database_url: str
) -> None:
    async with fake_telegram() as tg:
        first = await spawn("first", TELEGRAM_API_URL=tg.base_url, DATABASE_URL=database_url)
        await first.wait_for("polling started")

        second = await spawn("second", TELEGRAM_API_URL=tg.base_url, DATABASE_URL=database_url)
        assert await second.exit_code() == 2
        # the usual start-up log lines (connected, migrations), then the refusal
        refusal = second.lines[-1]
        assert refusal.startswith("spasibot: another Spasibot process"), second.output
        assert "DATABASE_URL" in refusal
        assert "Traceback" not in second.output
        assert [line for line in second.lines if "spasibot:" in line] == [refusal]
        assert_no_token(second.output)

        await first.kill()  # kill -9: the lock row stays behind
        assert await count_rows(database_url, "process_locks") == 1

        third = await spawn("third", TELEGRAM_API_URL=tg.base_url, DATABASE_URL=database_url)
        await third.wait_for("polling started")
        user = tg.user("Оля", language_code="ru")
        user.start_bot()
        reply = await tg.next_bot_message(user.private, timeout=30)
        assert "Спасибот" in (reply.text or "")
        third.signal(signal.SIGTERM)
        assert await third.exit_code() == 0
    assert "process lock bot:42 released" in third.output
    assert await count_rows(database_url, "process_locks") == 0
    for bot in (first, second, third):
        assert_no_token(bot.output)
    assert "Traceback" not in third.output
