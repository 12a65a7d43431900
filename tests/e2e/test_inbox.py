"""An update confirmed to Telegram is never lost: kill -9 with commands in flight, restart,
every command is answered and none is applied twice."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.database import Database
from storage.repo import inbox as inbox_repo
from tests.e2e.conftest import TOKEN
from tests.e2e.procs import BotProcess, Spawner, count_rows, fake_telegram
from tests.e2e.test_kudos import form_team, text
from tests.fakebot import FakeTelegram


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as fake:
        yield fake


@pytest.fixture
async def spawn(tmp_path: Path, database_url: str) -> AsyncIterator[Spawner]:
    async with Spawner(
        tmp_path,
        BOT_TOKEN=TOKEN,
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
        # one update at a time: the burst below is still in flight when the bot dies
        UPDATES_CONCURRENCY="1",
        RATE_PER_SECOND="1000",
        RATE_PER_CHAT_PER_SECOND="100",
        RATE_PER_CHAT_BURST="100",
    ) as spawner:
        yield spawner


async def start_process(tg: FakeTelegram, spawn: Spawner, name: str) -> BotProcess:
    bot = await spawn(name, TELEGRAM_API_URL=tg.base_url)
    return await bot.polling(tg)


async def test_kill_9_with_commands_in_flight_loses_nothing_and_repeats_nothing(
    tg: FakeTelegram, spawn: Spawner, database_url: str
) -> None:
    proc = await start_process(tg, spawn, "first")
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
        await proc.kill()
        answered = sum(bool(tg.bot_messages(u.private)) for u in newcomers)
        left = await count_rows(database_url, "inbox")
        print(f"\nkilled with {60 - answered} of 60 /start unanswered, {left} rows in the inbox")
        assert answered < 60, "the bot answered everything before it was killed: no test"
        assert left > 0

        proc = await start_process(tg, spawn, "restarted")
        await tg.wait_until(lambda: all(tg.bot_messages(u.private) for u in newcomers), 60)

        def announced() -> bool:
            return len(tg.bot_messages(group)) >= before_burst + len(thanks)

        await tg.wait_until(announced, timeout=30)
        proc.signal(signal.SIGTERM)
        assert await proc.exit_code(60) == 0
    finally:
        await proc.kill()

    # every command answered, none applied twice
    assert await count_rows(database_url, "kudos") == len(thanks)
    assert await count_rows(database_url, "inbox") == 0
    cards = [text(m) for m in tg.bot_messages(group)[before_burst:]]
    for _, _, reason in thanks:
        assert sum(reason in card for card in cards) == 1, cards
    for user in newcomers:
        welcomes = [m for m in tg.bot_messages(user.private) if (m.text or "").startswith("Hi,")]
        assert 1 <= len(welcomes) <= 2  # at least once; twice only if killed between the two


async def test_the_inbox_row_goes_with_the_first_committed_write(database_url: str) -> None:
    db = Database(database_url)
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
