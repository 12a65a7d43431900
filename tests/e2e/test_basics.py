"""Start, help, cancel, the command menu, errors: the running bot as users meet it."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from tests.e2e.conftest import Starter, eventually
from tests.fakebot import FakeTelegram


async def test_start_greets_in_the_users_language(tg: FakeTelegram, start_bot: Starter) -> None:
    await start_bot()
    anna = tg.user("Анна <b>", username="anna", language_code="ru")
    john = tg.user("John", username="john", language_code="en")

    anna.start_bot()
    reply = await tg.next_bot_message(anna.private)
    assert "Привет, Анна <b>!" in (reply.text or "")  # the name is shown as text, not markup
    assert "/tip" in (reply.text or "")

    john.start_bot()
    reply = await tg.next_bot_message(john.private)
    assert (reply.text or "").startswith("Hi, John!")


async def test_help_depends_on_chat_and_admin_rights(tg: FakeTelegram, start_bot: Starter) -> None:
    boss = tg.user("Boss", language_code="ru")
    agent = tg.user("Agent", language_code="ru")
    await start_bot(admin_ids=frozenset({boss.id}))
    for user in (boss, agent):
        user.start_bot()
        await tg.next_bot_message(user.private)

    boss.send("/help")
    boss_help = await tg.next_bot_message(boss.private)
    agent.send("/help")
    agent_help = await tg.next_bot_message(agent.private)
    assert "/tip_now" in (boss_help.text or "")
    assert "/tip_now" not in (agent_help.text or "")
    assert "/tip" in (agent_help.text or "")

    group = tg.group("Support", members=[boss, agent], admins=[boss])
    tg.add_bot_to_group(group, by=boss)
    greeting = await tg.next_bot_message(group)  # the team is created and greeted first
    assert "Вступить" in str(greeting.reply_markup)
    agent.send("/help", chat=group)
    group_help = await tg.next_bot_message(group)
    assert "группе" in (group_help.text or "")
    buttons = group_help.reply_markup.inline_keyboard  # type: ignore[union-attr]
    assert buttons[0][0].url == "https://t.me/spasibot_bot"


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


async def test_cancel_without_and_with_a_conversation(tg: FakeTelegram, start_bot: Starter) -> None:
    running = await start_bot()
    user = tg.user("Olga", language_code="ru")
    user.start_bot()
    await tg.next_bot_message(user.private)

    user.send("/cancel")
    assert "нечего отменять" in ((await tg.next_bot_message(user.private)).text or "")

    key = StorageKey(bot_id=tg.bot_id, chat_id=user.private.id, user_id=user.id)
    await running.app.dp.storage.set_state(key, "SomeFlow:step")
    user.send("/cancel")
    assert "Отменено" in ((await tg.next_bot_message(user.private)).text or "")
    assert await running.app.dp.storage.get_state(key) is None


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


async def test_unknown_command_and_stray_text_get_a_hint(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    await start_bot()
    user = tg.user("Ivan", language_code="ru")
    user.start_bot()
    await tg.next_bot_message(user.private)
    user.send("/nonsense")
    assert "Не знаю такой команды" in ((await tg.next_bot_message(user.private)).text or "")
    user.send("привет")
    assert "/tip" in ((await tg.next_bot_message(user.private)).text or "")


async def test_forged_button_is_refused_politely(tg: FakeTelegram, start_bot: Starter) -> None:
    await start_bot()
    user = tg.user("Eve", language_code="en")
    user.start_bot()
    welcome = await tg.next_bot_message(user.private)
    query_id = user.press_data(welcome, "xx:forged")
    answer = await tg.callback_answer(query_id)
    assert answer.show_alert
    assert "Nothing changed" in (answer.text or "")
    # a well-formed rating button under a message that is not a channel post
    query_id = user.press_data(welcome, "tr1:u")
    answer = await tg.callback_answer(query_id)
    assert "outdated or not yours" in (answer.text or "")


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
