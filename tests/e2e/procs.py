"""Starting what the end-to-end tests run: the fake Bot API, ``python -m bot`` and the drain
worker in processes of their own, the application in webhook mode in this process; and
counting rows of the test's database on either engine."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import text

from bot.app import Application, build_application
from bot.settings import Settings
from storage.database import Database
from tests.e2e.conftest import TOKEN
from tests.fakebot import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
START = 90.0  # seconds a start (imports included) may take on a loaded machine
#: variables of the machine's environment a started process must not inherit
OWN_PREFIXES = ("BOT_", "TELEGRAM_", "TIPS_", "LOG_", "WEBHOOK_", "DATABASE_")
WEBHOOK_SECRET = "s3cret-Token_1"


@contextlib.asynccontextmanager
async def fake_telegram(**options: Any) -> AsyncIterator[FakeTelegram]:
    """The fake Bot API of the bot ``TOKEN``, without flood control unless ``flood=`` says
    otherwise (the stories send far more to one chat than Telegram would allow)."""
    options.setdefault("flood", None)
    fake = FakeTelegram(token=TOKEN, bot_username="spasibot_bot", bot_name="Spasibot", **options)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def free_port() -> int:
    """A port nobody listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def count_rows(database_url: str, table: str) -> int:
    """Rows of ``table`` in the test's database, on either engine."""
    db = Database(database_url)
    try:
        async with db.read() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
    finally:
        await db.close()


# --- python -m bot in a process of its own ------------------------------------------------------


class BotProcess:
    """``python -m bot`` in its own process, its output in files (read while it runs)."""

    def __init__(
        self, cwd: Path, name: str, env: dict[str, str], args: tuple[str, ...] = ()
    ) -> None:
        self.args = args
        self.out = cwd / f"{name}.out"
        self.err = cwd / f"{name}.err"
        self.env = env
        self.cwd = cwd
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> Self:
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *self.args,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=err,
            )
        return self

    @property
    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    @property
    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.stderr

    @property
    def lines(self) -> list[str]:
        return [line for line in self.output.splitlines() if line.strip()]

    @property
    def returncode(self) -> int | None:
        assert self.proc is not None
        return self.proc.returncode

    async def wait_for(self, needle: str, count: int = 1, timeout: float = START) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.output.count(needle) < count:
            assert self.proc is not None
            if self.proc.returncode is not None:
                raise AssertionError(f"exited {self.proc.returncode} first:\n{self.output}")
            if loop.time() > deadline:
                raise AssertionError(f"{needle!r} x{count} not seen in {timeout} s:\n{self.output}")
            await asyncio.sleep(0.1)

    async def polling(self, tg: FakeTelegram, timeout: float = START) -> Self:
        """Until it polls ``tg`` (a long poll waits, or another getUpdates came since now)."""
        polls = len(tg.calls_of("getUpdates"))

        def polled() -> bool:
            if self.returncode is not None:
                raise AssertionError(f"exited {self.returncode} first:\n{self.output}")
            return tg.is_polling or len(tg.calls_of("getUpdates")) > polls

        await tg.wait_until(polled, timeout)
        return self

    async def exit_code(self, timeout: float = START) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def kill(self) -> None:
        """kill -9 (nothing is cleaned up: the lock row and the inbox stay behind)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


class Spawner:
    """Starts ``python -m bot`` processes in ``cwd`` (their output files there too) with a
    clean environment: ``PYTHONPATH`` and ``defaults``, then each start's own variables; every
    process still running at the end is killed."""

    def __init__(self, cwd: Path, **defaults: str) -> None:
        self.cwd = cwd
        self.defaults = defaults
        self.started: list[BotProcess] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
        env["PYTHONPATH"] = str(ROOT)
        env.update(self.defaults)
        env.update(extra)
        return env

    async def __call__(self, name: str = "bot", *args: str, **env: str) -> BotProcess:
        bot = BotProcess(self.cwd, name, self.env(**env), args)
        self.started.append(bot)
        return await bot.start()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for bot in self.started:
            await bot.kill()


# --- the drain worker ---------------------------------------------------------------------------


async def start_drain_worker(
    url: str, database_url: str, *args: str, log: Path | None = None
) -> asyncio.subprocess.Process:
    """``python -m tests.e2e.drain_worker URL DB [LEASE_SECONDS]``, once it drains; its
    stderr (the claims it made) goes to ``log``."""
    with contextlib.ExitStack() as files:
        err = files.enter_context(log.open("ab")) if log is not None else subprocess.DEVNULL
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.drain_worker",
            url,
            database_url,
            *args,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
        )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), START)
    assert line.strip() == b"draining"
    return proc


# --- the application in webhook mode, in this process -------------------------------------------


@dataclass
class Webhook:
    app: Application
    base: str  # http://127.0.0.1:port

    @property
    def url(self) -> str:
        return self.base + "/telegram"


def webhook_app(tg: FakeTelegram, database_url: str, **overrides: Any) -> Webhook:
    """The application set up for webhook mode on a free local port (not started yet)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_url": tg.base_url,
        "database_url": database_url,
        "webhook_url": base + "/telegram",
        "webhook_secret": WEBHOOK_SECRET,
        "webhook_host": "127.0.0.1",
        "webhook_port": port,
    }
    values.update(overrides)
    settings = Settings(_env_file=None, **values)
    return Webhook(build_application(settings), base)


@contextlib.asynccontextmanager
async def serving(hook: Webhook, tg: FakeTelegram) -> AsyncIterator[Webhook]:
    """Run it until the end of the block; it has set its webhook on ``tg`` when this yields."""
    task = asyncio.create_task(hook.app.run(handle_signals=False))
    try:
        await tg.wait_until(lambda: any(c.ok for c in tg.calls_of("setWebhook")), timeout=15)
        yield hook
    finally:
        hook.app.stop()
        await asyncio.wait_for(task, 30)
