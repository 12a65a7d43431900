"""The delivery ledger and its drainer against the fake Bot API: states, faults, leases,
two claimers, and the paced sender's handling of 429s.

Each test uses a real migrated database (the ``db`` fixture) and a real aiogram Bot whose
session passes the paced sender, talking HTTP to the fake."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.services.deliveries import Ledger, RetryPolicy
from bot.telegram.drainer import Drainer
from bot.telegram.kinds import KIND_TEXT, PlainText
from bot.telegram.sender import Limits, PacedSender
from storage.database import Database
from storage.repo import deliveries as repo
from tests.clock import FakeClock
from tests.fakebot import FakeTelegram

TOKEN = "42:TEST-token_abcdefghijklmnopqrstuvwxyz012"
FAST = Limits(
    per_second=5000, per_chat_per_second=1000, per_chat_burst=1000, group_per_minute=10**6
)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, flood=None) as fake:
        yield fake


def make_bot(tg: FakeTelegram, limits: Limits = FAST) -> tuple[Bot, PacedSender]:
    sender = PacedSender(limits)
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
    session.middleware(sender)
    return Bot(TOKEN, session=session), sender


class Rig:
    def __init__(self, db: Database, tg: FakeTelegram, clock: FakeClock, **drainer: int) -> None:
        self.db = db
        self.clock = clock
        self.ledger = Ledger(
            db, clock, lease=timedelta(seconds=60), retry=RetryPolicy(max_attempts=3)
        )
        self.bot, self.sender = make_bot(tg)
        self.drainer = Drainer(self.ledger, db, self.bot, {KIND_TEXT: PlainText()}, **drainer)

    async def queue(self, key: str, chat_id: int, text: str) -> None:
        async with self.db.transaction() as conn:
            await self.ledger.add(
                conn, key=key, kind=KIND_TEXT, chat_id=chat_id, user_id=chat_id,
                payload={"text": text},
            )  # fmt: skip

    async def row(self, key: str) -> repo.DeliveryRow:
        found = await self.ledger.row(key)
        assert found is not None
        return found

    async def close(self) -> None:
        await self.drainer.stop(5)
        await self.bot.session.close()


@pytest.fixture
async def rig(db: Database, tg: FakeTelegram, clock: FakeClock) -> AsyncIterator[Rig]:
    r = Rig(db, tg, clock)
    r.drainer.start()
    yield r
    await r.close()


def texts(tg: FakeTelegram, user: object) -> list[str]:
    return [m.text or "" for m in tg.bot_messages(user.private)]  # type: ignore[attr-defined]


async def test_a_sent_row_records_telegrams_message_id(rig: Rig, tg: FakeTelegram) -> None:
    anna = tg.user("Анна")
    anna.start_bot()
    await rig.queue("hello:anna", anna.id, "Привет")
    await rig.drainer.drain()
    row = await rig.row("hello:anna")
    assert row.state == "sent"
    sent = tg.bot_messages(anna.private)
    assert [m.text for m in sent] == ["Привет"]
    assert row.message_id == sent[0].message_id
    # the same key queued again is the same message: nothing more is sent
    await rig.queue("hello:anna", anna.id, "Привет")
    await rig.drainer.drain()
    assert texts(tg, anna) == ["Привет"]


async def test_403_marks_unreachable_and_is_not_tried_again(rig: Rig, tg: FakeTelegram) -> None:
    never = tg.user("Никогда")  # never started the bot
    await rig.queue("hi:never", never.id, "Привет")
    await rig.drainer.drain()
    assert (await rig.row("hi:never")).state == "unreachable"
    calls = len(tg.calls_of("sendMessage"))
    rig.clock.advance(timedelta(hours=1))
    await rig.drainer.drain()
    assert len(tg.calls_of("sendMessage")) == calls


async def test_a_permanent_400_fails_once_with_the_reason(rig: Rig, tg: FakeTelegram) -> None:
    anna = tg.user("Анна")
    anna.start_bot()
    await rig.queue("long:anna", anna.id, "я" * 5000)
    await rig.drainer.drain()
    row = await rig.row("long:anna")
    assert row.state == "failed"
    assert row.error is not None
    assert "too long" in row.error
    rig.clock.advance(timedelta(hours=1))
    await rig.drainer.drain()
    assert len(tg.calls_of("sendMessage")) == 1


async def test_5xx_for_a_while_is_retried_with_backoff_then_sent_once(
    rig: Rig, tg: FakeTelegram
) -> None:
    anna = tg.user("Анна")
    anna.start_bot()
    tg.fail_next("sendMessage", error_code=502, count=2)
    await rig.queue("retry:anna", anna.id, "Спасибо!")
    await rig.drainer.drain()
    row = await rig.row("retry:anna")
    assert row.state == "pending"
    assert row.attempts == 1
    assert row.due_at > rig.clock.now()  # backoff: not before its time
    await rig.drainer.drain()
    assert (await rig.row("retry:anna")).attempts == 1  # nothing tried early
    rig.clock.advance(timedelta(minutes=1))
    await rig.drainer.drain()
    assert (await rig.row("retry:anna")).attempts == 2
    rig.clock.advance(timedelta(minutes=1))
    await rig.drainer.drain()
    assert (await rig.row("retry:anna")).state == "sent"
    assert texts(tg, anna) == ["Спасибо!"]


async def test_transient_failures_past_the_limit_end_as_failed(rig: Rig, tg: FakeTelegram) -> None:
    anna = tg.user("Анна")
    anna.start_bot()
    tg.fail_next("sendMessage", error_code=500, count=10)
    await rig.queue("doomed:anna", anna.id, "Спасибо!")
    for _ in range(4):
        await rig.drainer.drain()
        rig.clock.advance(timedelta(minutes=15))
    row = await rig.row("doomed:anna")
    assert row.state == "failed"
    assert row.attempts == 2  # the third attempt was the last (max_attempts=3)
    assert len(tg.calls_of("sendMessage")) == 3


async def test_a_429_pauses_the_chat_and_the_message_goes_out_once(
    rig: Rig, tg: FakeTelegram
) -> None:
    anna = tg.user("Анна")
    anna.start_bot()
    tg.fail_next("sendMessage", error_code=429, retry_after=1)
    await rig.queue("flood:anna", anna.id, "Спасибо!")
    await rig.drainer.drain()
    assert (await rig.row("flood:anna")).state == "sent"
    assert texts(tg, anna) == ["Спасибо!"]
    assert rig.sender.retried_429 == 1
    failed, ok = tg.calls_of("sendMessage")
    assert failed.error_code == 429
    assert ok.at - failed.at >= 0.9  # waited retry_after


async def test_rows_claimed_by_a_dead_process_are_sent_after_the_lease(
    tg: FakeTelegram, db: Database, clock: FakeClock
) -> None:
    anna = tg.user("Анна")
    anna.start_bot()
    rig = Rig(db, tg, clock)  # not started yet: the dead process claims first
    for n in range(3):
        await rig.queue(f"leased:{n}", anna.id, f"#{n}")
    now = rig.clock.now()
    async with db.transaction() as conn:  # a process claims them and dies
        taken = await repo.claim(
            conn, owner="dead:1", now=now, lease_until=now + timedelta(seconds=60), limit=10
        )
    assert len(taken) == 3
    rig.drainer.start()
    try:
        await rig.drainer.drain()
        assert texts(tg, anna) == []  # the lease still holds
        rig.clock.advance(timedelta(seconds=61))
        await rig.drainer.drain()
    finally:
        await rig.close()
    assert texts(tg, anna) == ["#0", "#1", "#2"]  # each once, in order


async def test_two_claimers_send_each_of_2000_rows_exactly_once(
    db: Database, tg: FakeTelegram, clock: FakeClock
) -> None:
    users = [tg.user(f"U{n}") for n in range(200)]
    for user in users:
        user.start_bot()
    first, second = Rig(db, tg, clock), Rig(db, tg, clock)
    async with db.transaction() as conn:
        for n in range(2000):
            user = users[n % len(users)]
            await first.ledger.add(
                conn, key=f"fan:{n}", kind=KIND_TEXT, chat_id=user.id, payload={"text": f"m{n}"}
            )
    first.drainer.start()
    second.drainer.start()
    try:
        await asyncio.gather(first.drainer.drain(60), second.drainer.drain(60))
    finally:
        await first.close()
        await second.close()
    sent = Counter(m.text for u in users for m in tg.bot_messages(u.private))
    assert len(sent) == 2000
    assert set(sent.values()) == {1}
    async with db.read() as conn:
        assert await repo.counts(conn) == {"sent": 2000}
    # per chat, in the order queued
    first_user = [m.text for m in tg.bot_messages(users[0].private)]
    assert first_user == [f"m{n}" for n in range(0, 2000, 200)]


async def test_paced_sender_keeps_a_fan_out_under_the_fakes_limits(
    db: Database, clock: FakeClock
) -> None:
    """With Telegram's real limits on both sides, a fan-out gets no 429 at all."""
    async with FakeTelegram(token=TOKEN) as fake:  # default flood limits: 30/s overall
        users = [fake.user(f"U{n}") for n in range(40)]
        for user in users:
            user.start_bot()
        rig = Rig(db, fake, clock)
        rig.bot, rig.sender = make_bot(fake, Limits())
        rig.drainer = Drainer(rig.ledger, db, rig.bot, {KIND_TEXT: PlainText()})
        rig.drainer.start()
        try:
            async with db.transaction() as conn:
                for n in range(60):
                    user = users[n % len(users)]
                    await rig.ledger.add(
                        conn, key=f"p:{n}", kind=KIND_TEXT, chat_id=user.id, payload={"text": "x"}
                    )
            await rig.drainer.drain(60)
        finally:
            await rig.close()
        calls = fake.calls_of("sendMessage")
        assert len(calls) == 60
        assert all(c.ok for c in calls)


async def test_a_row_held_longer_than_the_lease_is_renewed_not_claimed_again(
    rig: Rig, tg: FakeTelegram
) -> None:
    """A send that waits its turn (a group's 20 a minute, a slow Telegram) past the lease:
    the process that holds it renews the lease, so no claimer sends it a second time."""
    anna = tg.user("Анна")
    anna.start_bot()
    tg.delay_next("sendMessage", 2.0, chat_id=anna.id)
    await rig.queue("slow:anna", anna.id, "Долгий путь")
    await tg.wait_until(lambda: tg.held == 1)  # the send hangs in Telegram
    rig.clock.advance(timedelta(seconds=61))  # the lease has run out
    assert await rig.drainer.renew() == 1  # its holder extends it
    now = rig.clock.now()
    async with rig.db.transaction() as conn:
        stolen = await repo.claim(
            conn, owner="other:2", now=now, lease_until=now + timedelta(seconds=60), limit=10
        )
    assert stolen == []
    await rig.drainer.drain()
    assert texts(tg, anna) == ["Долгий путь"]  # once
    assert (await rig.row("slow:anna")).state == "sent"
    assert await rig.drainer.renew() == 0  # nothing held any more
