"""Tips end to end: /tip, the channel rotation, schedule and catch-up, ratings, failures."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

from bot.telegram.render import tip_card
from content import load_content
from tests.clock import FakeClock
from tests.e2e.conftest import UNPACED, Starter
from tests.fakebot import FakeTelegram, FakeUser

MSK = ZoneInfo("Europe/Moscow")
CONTENT = load_content()


def buttons(message: Message) -> list[str]:
    markup = message.reply_markup
    assert markup is not None
    return [b.text for row in markup.inline_keyboard for b in row]


def title_of(message: Message) -> str:
    """The tip's title: the first line of the card, without the bulb."""
    return (message.text or "").split("\n", 1)[0].removeprefix("💡").strip()


def tip_by_title(title: str) -> str:
    return next(t.id for t in CONTENT.tips if t.title.ru == title or t.title.en == title)


async def started(tg: FakeTelegram, user: FakeUser) -> None:
    user.start_bot()
    await tg.next_bot_message(user.private)


async def test_tip_in_private_with_another_tip_button(tg: FakeTelegram, start_bot: Starter) -> None:
    await start_bot()
    reader = tg.user("Маша", language_code="ru")
    await started(tg, reader)

    reader.send("/tip")
    first = await tg.next_bot_message(reader.private)
    assert buttons(first) == ["Ещё совет"]
    # every card credits its article: as its source or as what it is based on
    assert any(lead in (first.text or "") for lead in ("Источник: «", "По мотивам статьи «"))
    tip_by_title(title_of(first))  # a real tip from the content

    answer = await reader.press(first, "Ещё совет")
    assert not answer.show_alert
    second = await tg.next_bot_message(reader.private)
    assert title_of(second) != title_of(first)
    assert buttons(second) == ["Ещё совет"]


async def test_tip_in_english_for_english_users(tg: FakeTelegram, start_bot: Starter) -> None:
    await start_bot()
    reader = tg.user("Mary", language_code="en")
    await started(tg, reader)
    reader.send("/tip")
    card = await tg.next_bot_message(reader.private)
    assert buttons(card) == ["Another tip"]
    assert CONTENT.tip(tip_by_title(title_of(card))) is not None
    assert any(lead in (card.text or "") for lead in ("Source: “", "Based on the article “"))


async def test_tip_in_a_group_points_to_the_private_chat(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    await start_bot()
    agent = tg.user("Agent", language_code="ru")
    group = tg.group("Support", members=[agent], admins=[agent])
    tg.add_bot_to_group(group, by=agent)
    greeting = await tg.next_bot_message(group)  # the team is created and greeted first
    assert "Вступить" in str(greeting.reply_markup)
    agent.send("/tip", chat=group)
    reply = await tg.next_bot_message(group)
    assert "личном чате" in (reply.text or "")


async def test_preview_then_post_now_posts_that_tip_with_rating_buttons(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    admin = tg.user("Lead", language_code="ru")
    channel = tg.channel("Советы", username="support_tips", bot_is_admin=True)
    await start_bot(admin_ids=frozenset({admin.id}), tips_channel="@support_tips")
    await started(tg, admin)

    admin.send("/tip_preview")
    preview = await tg.next_bot_message(admin.private)
    assert "«Советы»" in (preview.text or "")  # the channel by its title, not its address
    assert "@support_tips" not in (preview.text or "")
    assert tg.bot_messages(channel) == []

    admin.send("/tip_now")
    done = await tg.next_bot_message(admin.private)
    post = await tg.next_bot_message(channel)
    assert "Опубликовал" in (done.text or "")
    assert "«Советы»" in (done.text or "")
    assert title_of(post) in (preview.text or "")
    assert buttons(post) == ["👍 Полезно · 0", "🤷 Не для меня · 0"]


async def test_non_admin_cannot_post_or_preview(tg: FakeTelegram, start_bot: Starter) -> None:
    channel = tg.channel("Советы", username="support_tips", bot_is_admin=True)
    await start_bot(tips_channel="@support_tips")
    agent = tg.user("Agent", language_code="ru")
    await started(tg, agent)
    for command in ("/tip_now", "/tip_preview", "/tip_stats"):
        agent.send(command)
        reply = await tg.next_bot_message(agent.private)
        assert "только администраторам" in (reply.text or "")
    assert tg.bot_messages(channel) == []


async def test_rotation_covers_every_tip_before_any_repeat_and_survives_restart(
    start_bot: Starter,
) -> None:
    # flood control off: this test posts a whole round plus a bit at full speed
    async with FakeTelegram(
        token="42:TEST-token_abcdefghijklmnopqrstuvwxyz012", flood=None
    ) as fake:
        channel = fake.channel("Советы", username="support_tips", bot_is_admin=True)
        running = await start_bot(fake=fake, tips_channel="@support_tips", **UNPACED)
        total = len(CONTENT.tips)
        half = total // 2
        for _ in range(half):
            await running.app.tips.post_next("@support_tips")
        await running.app.drainer.drain()
        await running.stop()

        running = await start_bot(fake=fake, tips_channel="@support_tips", **UNPACED)  # restart
        upcoming = await running.app.tips.peek_next("@support_tips")
        for _ in range(total - half + 3):
            await running.app.tips.post_next("@support_tips")
        await running.app.drainer.drain()

        posted = [tip_by_title(title_of(m)) for m in fake.bot_messages(channel)]
        assert posted[half] == upcoming.id
        first_round, second_round = posted[:total], posted[total:]
        assert sorted(first_round) == sorted(t.id for t in CONTENT.tips)
        assert len(second_round) == 3
        assert second_round[0] != first_round[-1]
        assert len(set(second_round)) == 3


async def test_readers_rate_a_post_and_counts_change_in_place(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    admin = tg.user("Lead", language_code="ru")
    channel = tg.channel("Советы", username="support_tips", bot_is_admin=True)
    await start_bot(admin_ids=frozenset({admin.id}), tips_channel="@support_tips")
    await started(tg, admin)
    admin.send("/tip_now")
    await tg.next_bot_message(admin.private)
    post = await tg.next_bot_message(channel)
    anna, boris = tg.user("Anna", language_code="ru"), tg.user("Boris", language_code="en")
    for reader in (anna, boris):
        tg.subscribe(channel, reader)

    def current() -> Message:
        return next(m for m in tg.messages(channel) if m.message_id == post.message_id)

    answer = await anna.press(current(), "👍 Полезно · 0")
    assert "полезный" in (answer.text or "")
    assert buttons(current()) == ["👍 Полезно · 1", "🤷 Не для меня · 0"]

    answer = await boris.press(current(), "🤷 Не для меня · 0")
    assert "honest" in (answer.text or "")  # answered in Boris's language
    assert buttons(current()) == ["👍 Полезно · 1", "🤷 Не для меня · 1"]

    await anna.press(current(), "🤷 Не для меня · 1")  # Anna changes her mind: one vote each
    assert buttons(current()) == ["👍 Полезно · 0", "🤷 Не для меня · 2"]

    answer = await anna.press(current(), "🤷 Не для меня · 2")  # the same button withdraws
    assert "снят" in (answer.text or "")
    assert buttons(current()) == ["👍 Полезно · 0", "🤷 Не для меня · 1"]

    await started(tg, admin)
    admin.send("/tip_stats")
    stats = await tg.next_bot_message(admin.private)
    assert title_of(post) in (stats.text or "")
    assert "🤷 1" in (stats.text or "")


async def test_channel_where_the_bot_is_not_admin(tg: FakeTelegram, start_bot: Starter) -> None:
    admin = tg.user("Lead", language_code="ru")
    channel = tg.channel("Советы", username="support_tips", bot_is_admin=False)
    running = await start_bot(admin_ids=frozenset({admin.id}), tips_channel="@support_tips")
    await started(tg, admin)
    before = await running.app.tips.peek_next("@support_tips")

    admin.send("/tip_now")
    reply = await tg.next_bot_message(admin.private)
    assert "не администратор" in (reply.text or "")
    assert tg.bot_messages(channel) == []
    assert (await running.app.tips.peek_next("@support_tips")).id == before.id  # not marked posted

    tg.set_bot_admin(channel, True)
    admin.send("/tip_now")
    await tg.next_bot_message(admin.private)
    post = await tg.next_bot_message(channel)
    assert tip_by_title(title_of(post)) == before.id


async def test_unknown_channel_is_reported(tg: FakeTelegram, start_bot: Starter) -> None:
    admin = tg.user("Lead", language_code="en")
    await start_bot(admin_ids=frozenset({admin.id}), tips_channel="@no_such_channel")
    await started(tg, admin)
    admin.send("/tip_now")
    reply = await tg.next_bot_message(admin.private)
    assert "was not found" in (reply.text or "")


async def test_scheduled_post_catches_up_once_and_alerts_admins_on_failure(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    admin = tg.user("Lead", language_code="ru")
    await started_before_bot(tg, admin)
    channel = tg.channel("Советы", username="support_tips", bot_is_admin=True)
    # Monday 23 Nov 2026, 10:20 in Moscow: the 10:00 slot was missed while the bot was down
    clock = FakeClock(datetime(2026, 11, 23, 10, 20, tzinfo=MSK).astimezone(UTC))
    settings = {"admin_ids": frozenset({admin.id}), "tips_channel": "@support_tips", "clock": clock}

    first = await start_bot(**settings)
    await tg.next_bot_message(admin.private)  # the welcome for the earlier /start
    caught_up = await tg.next_bot_message(channel)
    await first.stop()
    running = await start_bot(**settings)  # a restart in the same slot posts nothing more
    assert tg.bot_messages(channel) == [caught_up]

    # Tuesday 10:00:30: the cron job fires through APScheduler and posts the next tip
    clock.set(datetime(2026, 11, 24, 10, 0, 30, tzinfo=MSK))
    assert running.app.tip_job_id is not None
    running.app.scheduler.run_soon(running.app.tip_job_id)
    second = await tg.next_bot_message(channel)
    assert title_of(second) != title_of(caught_up)
    await running.app.scheduler.wait_idle()

    # Wednesday: the bot lost its admin rights; the admins hear about it, nothing is marked
    tg.set_bot_admin(channel, False)
    clock.set(datetime(2026, 11, 25, 10, 0, 30, tzinfo=MSK))
    running.app.scheduler.run_soon(running.app.tip_job_id)
    alert = await tg.next_bot_message(admin.private)
    assert "не опубликован" in (alert.text or "")
    assert "не администратор" in (alert.text or "")
    await running.app.scheduler.wait_idle()

    # admin rights back, the same slot is retried and posted once
    tg.set_bot_admin(channel, True)
    running.app.scheduler.run_soon(running.app.tip_job_id)
    third = await tg.next_bot_message(channel)
    assert len(tg.bot_messages(channel)) == 3
    assert title_of(third) not in {title_of(caught_up), title_of(second)}


async def started_before_bot(tg: FakeTelegram, user: FakeUser) -> None:
    """The user started the bot earlier (so it may write to them), with no bot running now."""
    user.start_bot()


async def test_over_long_text_is_rejected_by_the_fake_and_every_card_fits(
    start_bot: Starter,
) -> None:
    async with FakeTelegram(
        token="42:TEST-token_abcdefghijklmnopqrstuvwxyz012", flood=None
    ) as fake:
        running = await start_bot(fake=fake, **UNPACED)
        reader = fake.user("Reader", language_code="ru")
        reader.start_bot()
        await fake.next_bot_message(reader.private)
        bot = running.app.bot
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(reader.id, "я" * 4097)

        for code in ("ru", "en"):
            i18n = running.app.translations.get(code)
            for tip in CONTENT.tips:
                await bot.send_message(reader.id, tip_card(tip, CONTENT, i18n))
        assert len(fake.bot_messages(reader.private)) == 1 + 2 * len(CONTENT.tips)
