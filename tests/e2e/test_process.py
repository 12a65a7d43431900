"""The bot as an operator runs it: ``python -m bot`` in its own process, and webhook mode."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from tests.e2e.conftest import TOKEN
from tests.fakebot import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "TIPS_"))}
    env.update({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/proc.db", "LOG_LEVEL": "DEBUG"})
    env.update(extra)
    return env


async def test_without_a_token_it_explains_how_to_get_one(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,  # no .env there
        env={**_env(tmp_path), "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    text = (out + err).decode()
    assert "@BotFather" in text
    assert "Traceback" not in text


async def test_invalid_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = {
        **_env(tmp_path, BOT_TOKEN=TOKEN, DEFAULT_TIMEZONE="Mars/Olympus"),
        "PYTHONPATH": str(ROOT),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1
    assert "DEFAULT_TIMEZONE" in lines[0]
    assert "Mars/Olympus" in lines[0]


async def test_process_answers_and_stops_gracefully_on_sigterm(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    env = {**_env(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.base_url), "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        user = tg.user("Оля", language_code="ru")
        user.start_bot()
        reply = await tg.next_bot_message(user.private, timeout=60)
        assert "Спасибот" in (reply.text or "")
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    log = err.decode()
    assert "stopped" in log
    assert "process lock bot:42 released" in log
    assert "Traceback" not in log  # nothing (a scheduled job, a task) is cancelled mid-way
    assert "CancelledError" not in log
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
    assert (tmp_path / "proc.db").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_with_secret_token(tg: FakeTelegram, tmp_path: Path) -> None:
    from bot.app import build_application
    from bot.settings import Settings

    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TOKEN,
        telegram_api_url=tg.base_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/hook.db",
        webhook_url=url,
        webhook_secret="s3cret-Token_1",
        webhook_host="127.0.0.1",
        webhook_port=port,
    )
    app = build_application(settings)
    task = asyncio.create_task(app.run(handle_signals=False))
    try:
        await tg.wait_until(lambda: any(c.ok for c in tg.calls_of("setWebhook")), timeout=15)
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
    finally:
        app.stop_event.set()
        await asyncio.wait_for(task, 30)
