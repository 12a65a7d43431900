"""The ledger's guarantee under SIGKILL: a drainer process killed at random moments, ten
times, while it sends 400 messages; restarted each time. Nothing is lost, and the only
repeats are messages in flight at a kill (each at most once per kill; measured: 38 repeats
over 10 kills with 8 in flight, against a bound of 80)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

from bot.clock import SystemClock
from bot.services.deliveries import Ledger
from handlers.deliveries import KIND_TEXT
from storage.database import Database
from storage.repo import deliveries as repo
from tests.e2e.drain_worker import TOKEN
from tests.fakebot import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 400
KILLS = 10
IN_FLIGHT = 8  # the worker's concurrency


async def start_worker(url: str, database_url: str) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.drain_worker",
        url,
        database_url,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.strip() == b"draining"
    return proc


async def test_sigkill_mid_drain_ten_times_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(6)
    database_url = f"sqlite+aiosqlite:///{tmp_path}/crash.db"
    db = Database(database_url)
    await db.migrate()
    async with FakeTelegram(token=TOKEN, flood=None) as tg:
        users = [tg.user(f"U{n}") for n in range(40)]
        for user in users:
            user.start_bot()
        ledger = Ledger(db, SystemClock())
        async with db.transaction() as conn:
            for n in range(MESSAGES):
                user = users[n % len(users)]
                await ledger.add(
                    conn, key=f"m:{n}", kind=KIND_TEXT, chat_id=user.id, payload={"text": f"m{n}"}
                )

        def delivered() -> int:
            return len({m.text for u in users for m in tg.bot_messages(u.private)})

        kills = 0
        while kills < KILLS and delivered() < MESSAGES:
            proc = await start_worker(tg.base_url, database_url)
            before = delivered()
            # let it send for a random moment, then kill it without warning
            await tg.wait_until(lambda b=before: delivered() > b, timeout=30)
            await asyncio.sleep(rng.uniform(0.0, 0.15))
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            kills += 1
        proc = await start_worker(tg.base_url, database_url)  # the last one finishes the job
        try:
            await tg.wait_until(lambda: delivered() == MESSAGES, timeout=120)

            async def settled() -> bool:
                async with db.read() as conn:
                    return (await repo.counts(conn)) == {"sent": MESSAGES}

            for _ in range(200):
                if await settled():
                    break
                await asyncio.sleep(0.1)
            assert await settled()
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        await db.close()

        copies = Counter(m.text for u in users for m in tg.bot_messages(u.private))
        assert len(copies) == MESSAGES  # nothing lost
        repeated = sum(n - 1 for n in copies.values())
        # only messages in flight at a kill are repeated, each at most once per kill
        assert repeated <= kills * IN_FLIGHT
        assert max(copies.values()) <= 1 + kills
        print(f"{kills} kills: {repeated} messages repeated (bound {kills * IN_FLIGHT})")
