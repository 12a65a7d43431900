"""Fair queues: one user flooding the bot does not delay the others; per-user state is freed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.telegram.updates import FairDispatcher, FreeingEventIsolation
from tests.e2e.conftest import Running, Starter, eventually
from tests.e2e.procs import fake_telegram
from tests.fakebot import FakeTelegram

FAST_SENDS = {
    "rate_per_second": 1000,
    "rate_per_chat_per_second": 100,
    "rate_per_chat_burst": 100,
}
SLOW_DOWN_EN = "You are sending a lot at once"


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """Without flood control: one private chat gets hundreds of answers here."""
    async with fake_telegram() as fake:
        yield fake


def fair_of(running: Running) -> FairDispatcher:
    fair = running.app.fair
    assert fair is not None
    return fair


def isolation_of(running: Running) -> FreeingEventIsolation:
    isolation = running.app.dp.fsm.events_isolation
    assert isinstance(isolation, FreeingEventIsolation)
    return isolation


async def inbox_rows(running: Running) -> int:
    from sqlalchemy import func, select

    from storage.schema import inbox

    async with running.app.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(inbox))).scalar_one())


async def test_a_flood_from_one_user_does_not_delay_another(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot(updates_concurrency=4, **FAST_SENDS)
    flooder = tg.user("Flood", language_code="en")
    other = tg.user("Calm", language_code="en")
    flooder.start_bot()
    await tg.next_bot_message(flooder.private, timeout=10)

    for n in range(300):
        flooder.send(f"/help {n}")
    other.start_bot()
    sent = time.monotonic()
    reply = await tg.next_bot_message(other.private, timeout=30)
    waited = time.monotonic() - sent
    answered = len(tg.bot_messages(flooder.private))
    print(f"\nthe other user's reply after {waited:.2f} s; the flooder had {answered} answers")
    assert (reply.text or "").startswith("Hi, Calm!")
    assert waited < 3.0, waited

    # the flooder is answered in full, in order, and told once to slow down
    await tg.wait_until(lambda: len(tg.bot_messages(flooder.private)) >= 302, timeout=60)
    texts = [m.text or "" for m in tg.bot_messages(flooder.private)]
    assert sum(SLOW_DOWN_EN in t for t in texts) == 1
    assert fair_of(running).notices_sent == 1

    # nothing per user is left behind, nor in the inbox
    await eventually(lambda: _idle(running), timeout=10)
    assert fair_of(running).handled >= 302


async def _idle(running: Running) -> bool:
    fair = fair_of(running)
    return (
        fair.users == 0
        and fair.queued == 0
        and isolation_of(running).locks == 0
        and await inbox_rows(running) == 0
    )


async def test_per_user_state_is_freed_as_distinct_users_grow(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot(updates_concurrency=8, **FAST_SENDS)
    users = [tg.user(f"U{n}", language_code="en") for n in range(400)]
    for user in users:
        user.start_bot()
    await tg.wait_until(lambda: all(tg.bot_messages(u.private) for u in users), timeout=60)
    await eventually(lambda: _idle(running), timeout=10)
    fair = fair_of(running)
    print(f"\n{fair.handled} updates of {len(users)} users; queues alive: {fair.users}")
    assert fair.users == 0
    assert isolation_of(running).locks == 0


async def test_one_users_updates_are_handled_in_order(tg: FakeTelegram, start_bot: Starter) -> None:
    await start_bot(updates_concurrency=8, **FAST_SENDS)
    user = tg.user("Order", language_code="en")
    user.start_bot()
    await tg.next_bot_message(user.private, timeout=10)
    for _ in range(5):
        user.send("/help")
        user.send("/tip")
    await tg.wait_until(lambda: len(tg.bot_messages(user.private)) >= 11, timeout=30)
    kinds = ["tip" if m.reply_markup else "help" for m in tg.bot_messages(user.private)[1:]]
    assert kinds == ["help", "tip"] * 5, kinds
    await asyncio.sleep(0)
