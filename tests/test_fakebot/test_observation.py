"""Test helpers: waiting, summaries on timeout, stopping with a pending long poll."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineQueryResultArticle, InputTextMessageContent

from tests.fakebot import FakeTelegram

from .conftest import make_bot


async def test_timeouts_explain_what_happened(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    await bot.send_message(alice.id, "first")
    assert (await tg.next_bot_message(alice.private)).text == "first"
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(alice.id, "<oops>")
    with pytest.raises(AssertionError) as raised:
        await tg.next_bot_message(alice.private, timeout=0.05)
    summary = str(raised.value)
    assert "no new bot message" in summary
    assert "'first'" in summary
    assert "Unsupported start tag" in summary
    with pytest.raises(AssertionError, match="still false"):
        await tg.wait_until(lambda: False, timeout=0.05)


async def test_wait_until_wakes_on_api_calls(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()

    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(alice.id, "done")

    task = asyncio.create_task(later())
    await tg.wait_until(lambda: len(tg.bot_messages(alice.private)) == 1, timeout=2)
    await task
    assert tg.updates_sent()[0]["message"]["text"] == "/start"


async def test_stop_releases_a_pending_long_poll() -> None:
    tg = FakeTelegram(flood=None)
    await tg.start()
    bot = make_bot(tg)
    try:
        waiting = asyncio.create_task(bot.get_updates(timeout=30))
        await tg.wait_until(lambda: tg.is_polling)
        await tg.stop()
        assert await asyncio.wait_for(waiting, 5) == []
    finally:
        await bot.session.close()
        await tg.stop()


async def test_inline_queries(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    query_id = alice.inline_query("thanks")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].inline_query is not None
    assert updates[-1].inline_query.query == "thanks"

    def article(result_id: str) -> InlineQueryResultArticle:
        return InlineQueryResultArticle(
            id=result_id,
            title="t",
            input_message_content=InputTextMessageContent(message_text="x"),
        )

    with pytest.raises(TelegramBadRequest, match="RESULTS_TOO_MUCH"):
        await bot.answer_inline_query(query_id, [article(str(i)) for i in range(51)])
    with pytest.raises(TelegramBadRequest, match="RESULT_ID_INVALID"):
        await bot.answer_inline_query(query_id, [article("x" * 65)])
    with pytest.raises(TelegramBadRequest, match="RESULT_ID_DUPLICATE"):
        await bot.answer_inline_query(query_id, [article("a"), article("a")])
    assert await bot.answer_inline_query(query_id, [article("a"), article("b")])
    results = await tg.inline_answer(query_id)
    assert [r["id"] for r in results] == ["a", "b"]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_inline_query(query_id, [article("a")])


async def test_world_misuse_is_reported(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    bob = tg.user("Bob")
    group = tg.group("Team", members=[alice], admins=[alice])
    with pytest.raises(AssertionError, match="not a member"):
        bob.send("hi", chat=group)
    with pytest.raises(AssertionError, match="start payload"):
        alice.start_bot(payload="has spaces")
    alice.start_bot()
    with pytest.raises(AssertionError, match="own chat"):
        alice.send("hi", chat=bob.private)
    message = await bot.send_message(alice.id, "no keyboard")
    with pytest.raises(AssertionError, match=r"no button 'Go'.*buttons: \[\]"):
        await alice.press(message, "Go")
