"""Update delivery: a Dispatcher polling the fake, getUpdates semantics, callback queries."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from tests.fakebot import FakeClock, FakeTelegram

from .conftest import polling


def build_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="👍 Yes", callback_data="vote:yes"),
                    InlineKeyboardButton(text="No", callback_data="vote:no"),
                ]
            ]
        )
        name = message.from_user.first_name if message.from_user else "stranger"
        await message.answer(f"Hi, <b>{name}</b>! {command.args or ''}")
        await message.answer("Vote?", reply_markup=markup)

    @dp.callback_query(F.data.startswith("vote:"))
    async def vote(query: CallbackQuery) -> None:
        choice = (query.data or "").split(":")[1]
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"You voted {choice}")
        await query.answer(f"Thanks for voting {choice}", show_alert=choice == "no")

    @dp.message(Command("echo"))
    async def echo(message: Message, command: CommandObject) -> None:
        await message.reply(command.args or "nothing")

    return dp


async def test_dispatcher_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    dp = build_dispatcher()
    alice = tg.user("Alice", username="alice", language_code="ru")
    bob = tg.user("Bob")
    async with polling(dp, bot, tg):
        alice.start_bot(payload="from_ad")
        bob.start_bot()
        greeting = await tg.next_bot_message(alice.private)
        assert greeting.html_text == "Hi, <b>Alice</b>! from_ad"
        question = await tg.next_bot_message(alice.private)
        assert question.reply_markup is not None
        assert [b.text for b in question.reply_markup.inline_keyboard[0]] == ["👍 Yes", "No"]

        answer = await alice.press(question, "👍 Yes")
        assert answer.text == "Thanks for voting yes"
        assert answer.show_alert is False
        assert tg.messages(alice.private)[-1].text == "You voted yes"
        # the keyboard is gone after the edit: pressing again fails clearly
        with pytest.raises(AssertionError, match=r"no button 'No' .* buttons: \[\]"):
            await alice.press(question, "No")

        await tg.next_bot_message(bob.private)  # the greeting
        bob_question = await tg.next_bot_message(bob.private)
        with pytest.raises(AssertionError, match=r"buttons: \['👍 Yes', 'No'\]"):
            await bob.press(bob_question, "Maybe")
        with pytest.raises(AssertionError, match="cannot see another user's private chat"):
            await alice.press(bob_question, "No")
        alert = await bob.press(bob_question, "No")
        assert alert.show_alert is True

        alice.send("/echo hello")
        reply = await tg.next_bot_message(alice.private)
        assert reply.text == "hello"
        assert reply.reply_to_message is not None
        assert reply.reply_to_message.text == "/echo hello"
        await tg.wait_until(lambda: tg.pending_updates() == 0)
    assert tg.calls_of("answerCallbackQuery")
    assert all(call.ok for call in tg.calls if call.method != "getUpdates")


async def test_forged_callback_and_answer_rules(
    tg: FakeTelegram, bot: Bot, clock: FakeClock
) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    message = await bot.send_message(alice.id, "no buttons here")
    query_id = alice.press_data(message, "admin:delete_everything")
    updates = await bot.get_updates(timeout=0)
    query = updates[-1].callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "admin:delete_everything"
    assert query.message is not None
    with pytest.raises(TelegramBadRequest, match="Bad Request: MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    with pytest.raises(TelegramBadRequest, match="Bad Request: URL_INVALID"):
        await bot.answer_callback_query(query_id, url="https://example.com")
    assert await bot.answer_callback_query(query_id, text="x" * 200)
    assert (await tg.callback_answer(query_id)).text == "x" * 200
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(TelegramBadRequest, match="or query ID is invalid"):
        await bot.answer_callback_query("12345")
    late = alice.press_data(message, "late")
    clock.advance(16)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(late)
    with pytest.raises(AssertionError, match="did not answer callback query"):
        await tg.callback_answer(late, timeout=0.05)


async def test_concurrent_get_updates_conflict(tg: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_until(lambda: tg.is_polling)
    second = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    alice = tg.user("Alice")
    alice.start_bot()
    updates = await second
    assert [u.message.text for u in updates if u.message] == ["/start"]


async def test_offsets_and_limit(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    for text in ("one", "two", "three"):
        alice.send(text)
    assert tg.pending_updates() == 4
    batch = await bot.get_updates(limit=2, timeout=0)
    assert [u.message.text for u in batch if u.message] == ["/start", "one"]
    again = await bot.get_updates(timeout=0)  # nothing confirmed yet
    assert len(again) == 4
    confirmed = await bot.get_updates(offset=batch[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in confirmed if u.message] == ["two", "three"]
    assert tg.pending_updates() == 2
    last = await bot.get_updates(offset=-1, timeout=0)
    assert [u.message.text for u in last if u.message] == ["three"]
    assert tg.pending_updates() == 1
    await bot.get_updates(offset=last[-1].update_id + 1, timeout=0)
    assert tg.pending_updates() == 0
    # a long poll wakes up as soon as an update arrives
    waiting = asyncio.create_task(bot.get_updates(timeout=10))
    await tg.wait_until(lambda: tg.is_polling)
    alice.send("wake up")
    woken = await asyncio.wait_for(waiting, 2)
    assert [u.message.text for u in woken if u.message] == ["wake up"]


async def test_cancelled_poll_loses_nothing(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    waiting = asyncio.create_task(bot.get_updates(timeout=10))
    await tg.wait_until(lambda: tg.is_polling)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    alice.start_bot()
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["/start"]


async def test_allowed_updates_are_persisted_and_filter(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    bob = tg.user("Bob")
    group = tg.group("Support", members=[alice, bob], admins=[alice])
    tg.add_bot_to_group(group, by=alice, as_admin=True)
    tg.join_group(group, tg.user("Carol"))
    alice.start_bot()
    kinds = [u.event_type for u in await bot.get_updates(timeout=0)]
    # chat_member is not delivered by default
    assert kinds == ["my_chat_member", "message", "message", "message"]
    batch = await bot.get_updates(timeout=0, allowed_updates=["message", "chat_member"], offset=-1)
    assert [u.event_type for u in batch] == ["message"]
    await bot.get_updates(offset=batch[-1].update_id + 1, timeout=0)
    tg.leave_group(group, bob)
    alice.press_data(tg.messages(alice.private)[0], "ignored: not allowed")
    # allowed_updates not passed again: the previous setting stays
    kinds = [u.event_type for u in await bot.get_updates(timeout=0)]
    assert kinds == ["message", "chat_member"]
    assert tg.pending_updates() == 2  # the callback query was dropped


async def test_chat_member_updates_in_groups(tg: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()
    seen: list[str] = []

    @dp.my_chat_member()
    async def mine(event: ChatMemberUpdated) -> None:
        seen.append(f"me:{event.old_chat_member.status}->{event.new_chat_member.status}")

    @dp.message(F.new_chat_members)
    async def joined(message: Message) -> None:
        names = [u.first_name for u in message.new_chat_members or []]
        seen.append(f"joined:{','.join(names)}")

    alice = tg.user("Alice")
    group = tg.group("Support", members=[alice], admins=[alice], supergroup=False)
    async with polling(dp, bot, tg):
        tg.add_bot_to_group(group, by=alice)
        await tg.wait_until(lambda: len(seen) == 2)
        tg.remove_bot_from_group(group, by=alice)
        await tg.wait_until(lambda: len(seen) == 3)
    assert seen == ["me:left->member", "joined:Spasibot", "me:member->kicked"]
