"""``delay_next``: a call that hangs before it takes effect, or whose answer alone is late."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram import Bot

from tests.fakebot import FakeTelegram


async def test_a_delayed_call_takes_effect_after_the_wait(tg: FakeTelegram, bot: Bot) -> None:
    alice, bob = tg.user("Alice"), tg.user("Bob")
    alice.start_bot()
    bob.start_bot()
    tg.delay_next("sendMessage", 0.5, chat_id=alice.id)
    began = time.monotonic()
    slow = asyncio.create_task(bot.send_message(alice.id, "late"))
    await tg.wait_until(lambda: tg.held == 1)
    assert tg.bot_messages(alice.private) == []  # not done yet
    await bot.send_message(bob.id, "other chats are not held")
    assert time.monotonic() - began < 0.4
    assert tg.held == 1
    sent = await slow
    assert time.monotonic() - began >= 0.5
    assert tg.held == 0
    assert [m.text for m in tg.bot_messages(alice.private)] == ["late"]
    assert sent.message_id == tg.bot_messages(alice.private)[0].message_id
    await bot.send_message(alice.id, "once only")  # count=1: the next call is not held
    assert time.monotonic() - began < 1.0


async def test_a_client_that_gives_up_while_held_sent_nothing(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    tg.delay_next("sendMessage", 5)
    task = asyncio.create_task(bot.send_message(alice.id, "never"))
    await tg.wait_until(lambda: tg.held == 1)
    task.cancel()  # the client goes away (a killed process)
    with pytest.raises(asyncio.CancelledError):
        await task
    await tg.wait_until(lambda: tg.held == 0, timeout=3)
    await asyncio.sleep(0.1)
    assert tg.bot_messages(alice.private) == []


async def test_accept_first_holds_only_the_answer(tg: FakeTelegram, bot: Bot) -> None:
    channel = tg.channel("Tips", username="tips")
    tg.delay_next("sendmessage", 5, chat_id="@tips", accept_first=True, count=2)
    task = asyncio.create_task(bot.send_message("@tips", "accepted"))
    await tg.wait_until(lambda: tg.held == 1)
    assert [m.text for m in tg.bot_messages(channel)] == ["accepted"]  # done at once
    task.cancel()  # the answer never arrives
    with pytest.raises(asyncio.CancelledError):
        await task
    await tg.wait_until(lambda: tg.held == 0, timeout=3)
    assert [m.text for m in tg.bot_messages(channel)] == ["accepted"]
    assert [c.ok for c in tg.calls_of("sendMessage")] == [True]
    with pytest.raises(ValueError, match="unknown Bot API method"):
        tg.delay_next("sendTelepathy", 1)
    with pytest.raises(ValueError, match="seconds >= 0"):
        tg.delay_next("sendMessage", -1)
