"""The bot process's resident memory (RSS), measured apart from the throughput runs: the
whole bot runs in a process of its own (``bench.botproc``) against a fake server in this
one, so the figures are the bot's alone. Read from /proc/<pid>/status (Linux)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from bench.kudos import join_squad, kudos_burst, kudos_squad
from bench.stack import TOKEN, rss_mib
from bot.clock import SystemClock
from bot.services.teams import TeamsService
from content import load_content
from storage.database import Database
from tests.fakebot import FakeTelegram

#: the bot is left this long after start-up (and after each burst) before RSS is read
SETTLE_SECONDS = 2.0


async def bot_memory(workdir: Path, users: int, per_user: int) -> dict[str, tuple[float, float]]:
    """RSS and peak RSS (MiB) of the bot process: idle after start-up, after a burst of
    ``/tip`` in private and after a burst of ``/kudos`` in a group."""
    db_path = workdir / f"memory-{time.monotonic_ns()}.db"
    figures: dict[str, tuple[float, float]] = {}
    async with FakeTelegram(token=TOKEN, bot_username="bench_bot", flood=None) as tg:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.botproc", tg.base_url, str(db_path), cwd=os.getcwd()
        )
        try:
            await tg.wait_until(lambda: tg.is_polling, timeout=120)
            await asyncio.sleep(SETTLE_SECONDS)
            figures["idle"] = rss_mib(child.pid)

            readers = [tg.user(f"User {i}", language_code="ru") for i in range(users)]
            for person in readers:
                person.start_bot()
            for _ in range(per_user):
                for person in readers:
                    person.send("/tip")
            total = users * (per_user + 1)
            await tg.wait_until(lambda: len(tg.calls_of("sendMessage")) >= total, timeout=600)
            await asyncio.sleep(SETTLE_SECONDS)
            figures["after /tip"] = rss_mib(child.pid)

            # the team is set up through the same database the bot uses, as kudos.py does
            db = Database(f"sqlite+aiosqlite:///{db_path}")
            teams = TeamsService(db, load_content(), SystemClock(), "UTC")
            people, group = kudos_squad(tg, users)
            await join_squad(tg, teams, people, group)
            await db.close()
            await kudos_burst(tg, people, group, per_user, per_kudos=2)
            await asyncio.sleep(SETTLE_SECONDS)
            figures["after /kudos"] = rss_mib(child.pid)
        finally:
            if child.returncode is None:
                child.terminate()
            await child.wait()
    return figures


async def memory_bench(workdir: Path, users: int, per_user: int) -> None:
    print(f"bot process RSS (its own process; {users} users x {per_user} /tip, then /kudos)")
    figures = await bot_memory(workdir, users, per_user)
    print(f"{'moment':<20}{'RSS MiB':>10}{'peak MiB':>10}")
    for moment, (rss, peak) in figures.items():
        print(f"{moment:<20}{rss:>10.1f}{peak:>10.1f}")
    grown = figures["after /kudos"][0] - figures["idle"][0]
    print(f"grown over the run: {grown:+.1f} MiB\n")
