"""An update confirmed to Telegram is never lost: kill -9 with commands in flight, restart,
every command is answered and none is applied twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.database import Database
from storage.repo import inbox as inbox_repo
from tests.e2e.conftest import TOKEN
from tests.e2e.test_kudos import form_team, text
from tests.fakebot import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(token=TOKEN, bot_username="spasibot_bot", bot_name="Spasibot", flood=None)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def start_process(tg: FakeTelegram, tmp_path: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "TIPS_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": tg.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/proc.db",
            "LOG_LEVEL": "INFO",
            # one update at a time: the burst below is still in flight when the bot dies
            "UPDATES_CONCURRENCY": "1",
            "RATE_PER_SECOND": "1000",
            "RATE_PER_CHAT_PER_SECOND": "100",
            "RATE_PER_CHAT_BURST": "100",
        }
    )
    with (tmp_path / "bot.log").open("ab") as log:  # the child keeps its own descriptor
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
    polls = len(tg.calls_of("getUpdates"))
    await tg.wait_until(lambda: tg.is_polling or len(tg.calls_of("getUpdates")) > polls, 60)
    return proc


def count(db_path: Path, table: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


async def test_kill_9_with_commands_in_flight_loses_nothing_and_repeats_nothing(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    proc = await start_process(tg, tmp_path)
    try:
        lead = tg.user("Лена", username="lena_lead", language_code="ru")
        anna = tg.user("Анна", username="anna_k", language_code="ru")
        boris = tg.user("Борис", username="boris_b", language_code="ru")
        for user in (lead, anna, boris):
            user.start_bot()
            await tg.next_bot_message(user.private, timeout=30)
        group, _ = await form_team(tg, "Поддержка", lead, [anna, boris])
        before_burst = len(tg.bot_messages(group))

        # the burst: three kudos between many first /starts
        newcomers = [tg.user(f"N{n}", language_code="en") for n in range(60)]
        thanks = [
            (anna, boris, "за помощь с возвратом"),
            (boris, lead, "за разбор сложного тикета"),
            (lead, anna, "за терпение с клиентом"),
        ]
        for n, user in enumerate(newcomers):
            user.start_bot()
            if n % 20 == 10:
                giver, receiver, reason = thanks[n // 20]
                giver.send(f"/kudos @{receiver.username} {reason} #эмпатия", chat=group)
        # Telegram has confirmed the whole burst: kill the bot right then
        await tg.wait_until(lambda: tg.pending_updates() == 0, timeout=30)
        proc.kill()
        await proc.wait()
        answered = sum(bool(tg.bot_messages(u.private)) for u in newcomers)
        left = count(tmp_path / "proc.db", "inbox")
        print(f"\nkilled with {60 - answered} of 60 /start unanswered, {left} rows in the inbox")
        assert answered < 60, "the bot answered everything before it was killed: no test"
        assert left > 0

        proc = await start_process(tg, tmp_path)
        await tg.wait_until(lambda: all(tg.bot_messages(u.private) for u in newcomers), 60)

        def announced() -> bool:
            return len(tg.bot_messages(group)) >= before_burst + len(thanks)

        await tg.wait_until(announced, timeout=30)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 60) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    # every command answered, none applied twice
    db_path = tmp_path / "proc.db"
    assert count(db_path, "kudos") == len(thanks)
    assert count(db_path, "inbox") == 0
    cards = [text(m) for m in tg.bot_messages(group)[before_burst:]]
    for _, _, reason in thanks:
        assert sum(reason in card for card in cards) == 1, cards
    for user in newcomers:
        welcomes = [m for m in tg.bot_messages(user.private) if (m.text or "").startswith("Hi,")]
        assert 1 <= len(welcomes) <= 2  # at least once; twice only if killed between the two


async def test_the_inbox_row_goes_with_the_first_committed_write(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/inbox.db")
    await db.migrate()
    try:
        now = datetime.now(UTC)
        async with db.transaction() as conn:
            await inbox_repo.add(conn, [inbox_repo.InboxRow(1, "{}")], now)
            await inbox_repo.add(conn, [inbox_repo.InboxRow(1, "{}")], now)  # again: kept once
        with inbox_repo.handling(1) as claim:
            with pytest.raises(RuntimeError):
                async with db.transaction():
                    raise RuntimeError("the handler's write failed")
            assert not claim.settled
            async with db.read() as conn:
                assert [r.update_id for r in await inbox_repo.pending(conn)] == [1]
            async with db.transaction():
                pass  # the handler's write commits
            assert claim.settled
        async with db.read() as conn:
            assert await inbox_repo.pending(conn) == []
    finally:
        await db.close()
