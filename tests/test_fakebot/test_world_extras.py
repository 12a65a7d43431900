"""The fake's group upgrade and channel subscription helpers."""

from __future__ import annotations

import pytest

from tests.fakebot import FakeTelegram


async def test_migrate_group_sends_both_service_messages() -> None:
    async with FakeTelegram(flood=None) as tg:
        lead = tg.user("Lead")
        group = tg.group("Basic", members=[lead], admins=[lead], supergroup=False)
        tg.add_bot_to_group(group, by=lead)
        new = tg.migrate_group(group, by=lead)
        assert new.type == "supergroup"
        assert new.id != group.id
        assert str(new.id).startswith("-100")
        assert tg.messages(group)[-1].migrate_to_chat_id == new.id
        assert tg.messages(new)[-1].migrate_from_chat_id == group.id
        with pytest.raises(AssertionError):
            tg.migrate_group(new, by=lead)  # only basic groups upgrade


async def test_subscribe_only_to_channels() -> None:
    async with FakeTelegram(flood=None) as tg:
        reader = tg.user("Reader")
        channel = tg.channel("News", username="news_channel")
        tg.subscribe(channel, reader)
        assert channel.status_of(reader) == "member"
        group = tg.group("G", members=[reader])
        with pytest.raises(AssertionError):
            tg.subscribe(group, reader)
