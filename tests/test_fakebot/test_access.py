"""Who the bot may write to: private chats, groups, supergroups, channels."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError

from tests.fakebot import FakeTelegram


async def test_private_chat_rules(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    with pytest.raises(
        TelegramForbiddenError, match="Forbidden: bot can't initiate conversation with a user"
    ):
        await bot.send_message(alice.id, "hi")
    with pytest.raises(AssertionError, match="has not started the bot"):
        alice.send("hello?")
    alice.start_bot()
    await bot.send_message(alice.id, "hi")

    alice.block_bot()
    updates = await bot.get_updates(timeout=0)
    blocked = updates[-1].my_chat_member
    assert blocked is not None
    assert blocked.chat.id == alice.id
    assert blocked.new_chat_member.status == "kicked"
    for attempt in (
        bot.send_message(alice.id, "still there?"),
        bot.send_poll(alice.id, "Q", ["a", "b"]),
        bot.send_chat_action(alice.id, "typing"),
    ):
        with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
            await attempt
    with pytest.raises(AssertionError, match="blocked the bot"):
        alice.send("x")

    alice.unblock_bot()
    await bot.send_message(alice.id, "welcome back")
    assert [m.text for m in tg.bot_messages(alice.private)] == ["hi", "welcome back"]
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(999_999, "nobody")


@pytest.mark.parametrize("supergroup", [True, False])
async def test_group_membership(tg: FakeTelegram, bot: Bot, supergroup: bool) -> None:
    kind = "supergroup" if supergroup else "group"
    alice = tg.user("Alice")
    bob = tg.user("Bob")
    group = tg.group("Support", members=[alice, bob], admins=[alice], supergroup=supergroup)
    assert group.type == kind
    with pytest.raises(
        TelegramForbiddenError, match=f"Forbidden: bot is not a member of the {kind} chat"
    ):
        await bot.send_message(group.id, "hello")
    with pytest.raises(AssertionError, match="is not an administrator"):
        tg.add_bot_to_group(group, by=bob, as_admin=True)
    tg.add_bot_to_group(group, by=bob)
    sent = await bot.send_message(group.id, "hello")
    assert sent.chat.type == kind
    assert sent.chat.title == "Support"

    admins = await bot.get_chat_administrators(group.id)
    assert [(m.user.first_name, m.status) for m in admins] == [("Alice", "creator")]
    assert (await bot.get_chat_member(group.id, bob.id)).status == "member"
    assert (await bot.get_chat_member(group.id, tg.bot_id)).status == "member"
    assert await bot.get_chat_member_count(group.id) == 3

    tg.remove_bot_from_group(group, by=alice)
    with pytest.raises(
        TelegramForbiddenError, match=f"Forbidden: bot was kicked from the {kind} chat"
    ):
        await bot.send_message(group.id, "hello again")
    tg.add_bot_to_group(group, by=alice)
    assert await bot.leave_chat(group.id)
    with pytest.raises(TelegramForbiddenError, match=f"bot is not a member of the {kind} chat"):
        await bot.send_message(group.id, "hello again")


async def test_privacy_mode(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    group = tg.group("Support", members=[alice], admins=[alice])
    tg.add_bot_to_group(group, by=alice)
    joined = await bot.get_updates(timeout=0)
    await bot.get_updates(offset=joined[-1].update_id + 1, timeout=0)
    bot_message = await bot.send_message(group.id, "I am here")
    alice.send("just chatting", chat=group)
    alice.send("/stats", chat=group)
    alice.send("/stats@other_bot", chat=group)
    alice.send("/stats@SpasiBot_bot", chat=group)
    alice.send("a reply to the bot", chat=group, reply_to=bot_message)
    received = [u.message.text for u in await bot.get_updates(timeout=0) if u.message]
    assert received == ["/stats", "/stats@SpasiBot_bot", "a reply to the bot"]
    assert len(tg.messages(group)) == 7  # everything is in the chat history
    tg.set_bot_admin(group, True)
    alice.send("just chatting again", chat=group)
    updates = await bot.get_updates(offset=-2, timeout=0)
    assert updates[-1].message is not None
    assert updates[-1].message.text == "just chatting again"


async def test_channels(tg: FakeTelegram, bot: Bot) -> None:
    channel = tg.channel("Tips", username="support_tips", bot_is_admin=True)
    post = await bot.send_message("@support_tips", "Tip of the day")
    assert post.chat.id == channel.id
    assert post.chat.type == "channel"
    assert post.from_user is None
    assert post.sender_chat is not None
    assert post.sender_chat.id == channel.id
    by_id = await bot.send_message(channel.id, "Another tip")
    assert by_id.sender_chat is not None
    assert (await bot.get_chat("@support_tips")).title == "Tips"
    with pytest.raises(TelegramBadRequest, match="non-anonymous polls can't be sent"):
        await bot.send_poll(channel.id, "Q", ["a", "b"], is_anonymous=False)

    tg.set_bot_admin(channel, False)
    with pytest.raises(
        TelegramForbiddenError, match="Forbidden: bot is not a member of the channel chat"
    ):
        await bot.send_message("@support_tips", "Tip")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message("@no_such_channel", "Tip")
    with pytest.raises(TelegramBadRequest, match="member list is inaccessible"):
        await bot.get_chat_member(channel.id, tg.bot_id)
    kinds = [u.event_type for u in await bot.get_updates(timeout=0)]
    assert kinds == ["my_chat_member"]
