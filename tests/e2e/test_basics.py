"""The running bot as users meet it over HTTP: the command menu, conversation state across a
restart, flood control and a user who blocked the bot (start, help, cancel, stray input and
forged buttons are in tests/pipeline/test_basics.py)."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from tests.e2e.conftest import Starter, eventually
from tests.fakebot import FakeTelegram


async def test_command_menu_is_set_for_both_locales_and_chat_types(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    await start_bot()
    calls = tg.calls_of("setMyCommands")
    assert all(c.ok for c in calls)
    seen = {(c.params.get("language_code") or "", str(c.params.get("scope"))) for c in calls}
    for code in ("ru", "en", ""):
        assert any(lang == code and "all_private_chats" in scope for lang, scope in seen)
        assert any(lang == code and "all_group_chats" in scope for lang, scope in seen)
    russian = next(
        c
        for c in calls
        if c.params.get("language_code") == "ru" and "all_private_chats" in str(c.params["scope"])
    )
    assert "Совет" in str(russian.params["commands"])


async def test_conversation_state_survives_a_restart(tg: FakeTelegram, start_bot: Starter) -> None:
    first = await start_bot()
    user = tg.user("Pavel", language_code="ru")
    user.start_bot()
    await tg.next_bot_message(user.private)
    key = StorageKey(bot_id=tg.bot_id, chat_id=user.private.id, user_id=user.id)
    await first.app.dp.storage.set_state(key, "SomeFlow:step")
    await first.app.dp.storage.set_data(key, {"draft": "закрыл 42 тикета"})
    await first.stop()

    second = await start_bot()
    assert await second.app.dp.storage.get_data(key) == {"draft": "закрыл 42 тикета"}
    user.send("/cancel")
    assert "Отменено" in ((await tg.next_bot_message(user.private)).text or "")


async def test_flood_control_429_is_waited_out_and_sent_once(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    await start_bot()
    user = tg.user("Nina", language_code="ru")
    user.start_bot()
    await tg.next_bot_message(user.private)
    sent_before = len(tg.bot_messages(user.private))
    tg.fail_next("sendMessage", error_code=429, retry_after=1)
    user.send("/tip")
    reply = await tg.next_bot_message(user.private, timeout=10)
    assert "💡" in (reply.text or "")
    await tg.wait_until(lambda: len(tg.bot_messages(user.private)) == sent_before + 1)
    sends = [
        c for c in tg.calls_of("sendMessage") if c.params.get("chat_id") in (user.id, str(user.id))
    ]
    assert [c.error_code for c in sends[-2:]] == [429, None]


async def test_a_user_who_blocked_the_bot_is_remembered(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    user = tg.user("Gleb", language_code="ru")
    user.start_bot()
    await tg.next_bot_message(user.private)
    user.block_bot()

    async def blocked() -> bool:
        row = await running.app.dp["users"].get(user.id)
        return row is not None and not row.reachable

    await eventually(blocked)
