"""Flood control with an injected clock, and injected failures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError

from tests.fakebot import FakeClock, FakeTelegram, FloodLimits

from .conftest import make_bot


@pytest.fixture
async def flood_bot(flood_tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(flood_tg)
    yield bot
    await bot.session.close()


async def test_per_chat_burst_then_429(
    flood_tg: FakeTelegram, flood_bot: Bot, clock: FakeClock
) -> None:
    tg = flood_tg
    bot = flood_bot
    alice = tg.user("Alice")
    alice.start_bot()
    for index in range(5):
        await bot.send_message(alice.id, f"burst {index}")
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(alice.id, "one too many")
    assert raised.value.retry_after == 1
    assert "Too Many Requests: retry after 1" in str(raised.value)
    assert len(tg.bot_messages(alice.private)) == 5  # a 429 creates no message
    failed = tg.calls_of("sendMessage")[-1]
    assert (failed.ok, failed.error_code) == (False, 429)
    # edits and callback answers are not counted
    await bot.edit_message_text("edited", chat_id=alice.id, message_id=2)
    clock.advance(1.0)
    await bot.send_message(alice.id, "after a second")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(alice.id, "too soon")
    clock.advance(5.0)
    for index in range(5):
        await bot.send_message(alice.id, f"second burst {index}")


async def test_raw_429_response(flood_tg: FakeTelegram) -> None:
    tg = flood_tg
    alice = tg.user("Alice")
    alice.start_bot()
    url = f"{tg.base_url}/bot{tg.token}/sendMessage"
    async with aiohttp.ClientSession() as http:
        for _ in range(5):
            async with http.post(url, data={"chat_id": str(alice.id), "text": "x"}) as response:
                assert response.status == 200
        async with http.post(url, data={"chat_id": str(alice.id), "text": "x"}) as response:
            assert response.status == 429
            assert response.headers["Retry-After"] == "1"
            assert await response.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }


async def test_group_and_global_limits(clock: FakeClock) -> None:
    limits = FloodLimits(per_chat_per_second=100, per_chat_burst=100, global_per_second=30)
    async with FakeTelegram(clock=clock, flood=limits) as tg:
        bot = make_bot(tg)
        try:
            await _group_and_global(tg, bot, clock)
        finally:
            await bot.session.close()


async def _group_and_global(tg: FakeTelegram, bot: Bot, clock: FakeClock) -> None:
    alice = tg.user("Alice")
    group = tg.group("Support", members=[alice], admins=[alice])
    tg.add_bot_to_group(group, by=alice)
    for index in range(20):
        await bot.send_message(group.id, f"group {index}")
        clock.advance(0.5)
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(group.id, "21st in a minute")
    assert raised.value.retry_after == 50  # the first message leaves the window at 60 s
    clock.advance(50)
    await bot.send_message(group.id, "room again")

    users = [tg.user(f"User {n}") for n in range(31)]
    for user in users:
        user.start_bot()
    clock.advance(60)
    for user in users[:30]:
        await bot.send_message(user.id, "broadcast")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(users[30].id, "31st in a second")
    await bot.send_message(users[30].id, "paid", allow_paid_broadcast=True)
    clock.advance(1)
    await bot.send_message(users[30].id, "next second")


async def test_fail_next(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    tg.fail_next("sendMessage", retry_after=7, count=2)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as raised:
            await bot.send_message(alice.id, "x")
        assert raised.value.retry_after == 7
    await bot.send_message(alice.id, "third time lucky")
    tg.fail_next("sendmessage", error_code=500)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(alice.id, "x")
    tg.fail_next("getMe", error_code=400, description="Bad Request: custom")
    with pytest.raises(TelegramBadRequest, match="Bad Request: custom"):
        await bot.get_me()
    assert [m.text for m in tg.bot_messages(alice.private)] == ["third time lucky"]
    assert [(c.ok, c.error_code) for c in tg.calls_of("sendMessage")] == [
        (False, 429),
        (False, 429),
        (True, None),
        (False, 500),
    ]
    with pytest.raises(ValueError, match="unknown Bot API method"):
        tg.fail_next("sendTelepathy")


async def test_fail_next_for_one_chat_only(tg: FakeTelegram, bot: Bot) -> None:
    alice, bob = tg.user("Alice"), tg.user("Bob")
    alice.start_bot()
    bob.start_bot()
    tg.fail_next("sendMessage", error_code=502, chat_id=bob.id)
    await bot.send_message(alice.id, "to Alice")  # other chats are not affected
    with pytest.raises(TelegramServerError):
        await bot.send_message(bob.id, "to Bob")
    await bot.send_message(bob.id, "to Bob again")
    assert [m.text for m in tg.bot_messages(bob.private)] == ["to Bob again"]
