"""The weekly self-review end to end: the reminder at the team's time in the member's zone,
exactly once across ticks, restarts and two processes; the four steps with evidence; a
restart in the middle; peer feedback; history; snooze, skip, follow-up, grace, a blocked
user; bad input and forged buttons."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Message

from bot.jobs import queue_review_reminders
from bot.services.errors import NotFound
from bot.services.reviews import ReviewsService
from handlers.reviews.callbacks import Feedback, FeedbackAct, ReviewRate
from handlers.reviews.render import week_label
from tests.clock import FakeClock
from tests.e2e.conftest import Running, Starter, eventually
from tests.e2e.test_teams import labels, started, team_with_group
from tests.e2e.texts import ru
from tests.fakebot import FakeTelegram, FakeUser

MSK = ZoneInfo("Europe/Moscow")
WEEK = "2026-W49"  # Monday 30 November - Sunday 6 December 2026
REMINDER = ru("review.reminder")
START, LATER, SKIP = ru.t("review.start"), ru.t("review.later"), ru.t("review.skip")


def msk(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


def reviews_of(running: Running) -> ReviewsService:
    service = running.app.dp["reviews"]
    assert isinstance(service, ReviewsService)
    return service


async def tick(running: Running) -> None:
    await queue_review_reminders(running.app.jobs)


def from_bot(tg: FakeTelegram, user: FakeUser) -> list[Message]:
    return [m for m in tg.messages(user.private) if m.from_user and m.from_user.is_bot]


def reminders(tg: FakeTelegram, user: FakeUser) -> list[Message]:
    return [m for m in from_bot(tg, user) if (m.text or "") == REMINDER]


async def no_more(tg: FakeTelegram, user: FakeUser, seconds: float = 0.6) -> None:
    """Nothing new from the bot in ``user``'s chat for a while."""
    before = len(from_bot(tg, user))
    await asyncio.sleep(seconds)
    assert len(from_bot(tg, user)) == before


async def crew(tg: FakeTelegram, start_bot: Starter, clock: FakeClock, **settings: Any):
    """A team (Moscow, Friday 16:00 by default) with its lead and two agents who started
    the bot and joined; the schedules computed on Thursday."""
    running = await start_bot(clock=clock, **settings)
    lead = tg.user("Олег", language_code="ru")
    anna = tg.user("Анна", language_code="ru")
    boris = tg.user("Борис", language_code="ru")
    for user in (lead, anna, boris):
        await started(tg, user)
    group, team, greeting = await team_with_group(tg, running, "Поддержка", [anna, boris], [lead])
    for user in (anna, boris):
        await user.press(greeting, ru.t("teams.join"))
        await tg.next_bot_message(user.private)
    await tick(running)  # the new schedules get their next reminder
    for user in (lead, anna, boris):  # the time-zone question of a first review: asked
        await reviews_of(running).mark_zone_asked(user.id)
    return running, lead, anna, boris, group, team


def rating_data(message: Message) -> list[list[str]]:
    """The callback data of 1..5 per quality row of the ratings message."""
    markup = message.reply_markup
    assert markup is not None
    found: dict[int, list[str]] = {}
    for row in markup.inline_keyboard:
        for button in row:
            data = button.callback_data or ""
            if data.startswith("rr1:"):
                parsed = ReviewRate.unpack(data)
                if parsed.value:
                    found.setdefault(parsed.index, []).append(data)
    return [found[i] for i in sorted(found)]


async def rate_all(
    tg: FakeTelegram, user: FakeUser, message: Message, values: list[int]
) -> Message:
    """Rate quality i with values[i] by pressing the buttons (each press edits the message)."""
    for row, value in zip(rating_data(message), values, strict=True):
        await tg.callback_answer(user.press_data(now(tg, message), row[value - 1]))
    return now(tg, message)


def now(tg: FakeTelegram, message: Message) -> Message:
    """The message as it is now (edits applied)."""
    return tg.world.stored(message).build(tg.world)


# --- reminders -------------------------------------------------------------------------------


async def test_the_reminder_comes_once_at_the_teams_time_with_three_buttons(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(3, 12))
    running, _, anna, _, _, _ = await crew(tg, start_bot, clock)
    clock.set(msk(4, 15, 59))
    await tick(running)
    await no_more(tg, anna)
    assert reminders(tg, anna) == []

    clock.set(msk(4, 16, 0))
    await tick(running)
    reminder = await tg.next_bot_message(anna.private)
    assert reminder.text == REMINDER
    assert labels(reminder) == [START, LATER, SKIP]
    # another tick, a tick of a second process at the same moment, a restart: nothing more
    await asyncio.gather(tick(running), tick(running))
    await running.stop()
    again = await start_bot(clock=clock)
    await tick(again)
    await no_more(tg, anna)
    assert len(reminders(tg, anna)) == 1


async def test_a_whole_review_in_four_steps_then_history(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(4, 16, 5))
    running, _, anna, _, _, _ = await crew(tg, start_bot, clock)
    anna.send("/review")
    step1 = await tg.next_bot_message(anna.private)
    assert ru("review.step_results", n=2000) in (step1.text or "")

    anna.send("x" * 2001)
    refused = await tg.next_bot_message(anna.private)
    assert refused.text == ru("review.too_long", n=2000, length=2001)

    anna.send("Закрыла 42 заявки, CSAT 4.9; клиент <Пётр> поблагодарил за терпение")
    ratings = await tg.next_bot_message(anna.private)
    assert ru("review.step_ratings") == ratings.text
    rows = rating_data(ratings)
    assert len(rows) == 4  # four qualities a week
    assert ru.t("review.next") not in labels(ratings)
    current = await rate_all(tg, anna, ratings, [4, 3, 4, 3])
    assert ru.t("review.next") in labels(current)
    await anna.press(current, ru.t("review.next"))

    wish = await tg.next_bot_message(anna.private)
    assert wish.text == ru("review.step_wish")
    anna.send("как я объясняю сложное")
    plan = await tg.next_bot_message(anna.private)
    assert plan.text == ru("review.step_plan")
    await anna.press(plan, ru.t("review.skip_step"))

    summary = await tg.next_bot_message(anna.private)
    text = summary.text or ""
    assert "Закрыла 42 заявки" in text
    assert "<Пётр>" in text
    assert "как я объясняю сложное" in text
    assert labels(summary) == [ru.t("review.submit"), ru.t("review.edit"), ru.t("review.cancel")]
    await anna.press(summary, ru.t("review.submit"))
    done = await tg.next_bot_message(anna.private)
    assert done.text == ru("review.submitted", week=week_label(WEEK))

    found = await reviews_of(running).history(anna.id)
    assert [(r.week, r.state) for r in found] == [(WEEK, "submitted")]
    assert sorted(found[0].ratings.values()) == [3, 3, 4, 4]

    anna.send("/reviews")
    history = await tg.next_bot_message(anna.private)
    assert labels(history) == [f"{week_label(WEEK)} · {ru.t('review.status_submitted')}"]
    await anna.press(history, labels(history)[0])
    page = await tg.next_bot_message(anna.private)
    assert "Закрыла 42 заявки" in (page.text or "")
    assert ru("review.history_no_feedback") in (page.text or "")


async def test_a_restart_in_the_middle_resumes_where_the_user_stopped(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(4, 16, 5))
    running, _, anna, _, _, _ = await crew(tg, start_bot, clock)
    anna.send("/review")
    await tg.next_bot_message(anna.private)
    anna.send("Разобрала три сложных обращения")
    await tg.next_bot_message(anna.private)  # the ratings
    await running.stop()

    again = await start_bot(clock=clock)
    anna.send("/review")
    resumed = await tg.next_bot_message(anna.private)
    assert resumed.text == ru("review.step_ratings")
    assert len(rating_data(resumed)) == 4
    draft = (await reviews_of(again).history(anna.id))[0]
    assert draft.results == "Разобрала три сложных обращения"


async def test_forwarded_thanks_and_received_kudos_become_evidence_with_one_tap(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(2, 11))
    running, _, anna, boris, _, team = await crew(tg, start_bot, clock)
    client = tg.user("Клиент")
    anna.forward("Спасибо огромное, Анна, вы очень помогли!", client)
    kept = await tg.next_bot_message(anna.private)
    assert kept.text == ru("review.kept_evidence", week=week_label(WEEK))
    kudos = running.app.dp["kudos"]
    quality = (await kudos.qualities_for(team))[0]
    await kudos.give(team, boris.id, [anna.id], quality.id, "за спокойствие с трудным клиентом")
    await tg.next_bot_message(anna.private)  # the kudos' own message

    clock.set(msk(4, 16, 5))
    anna.send("/review")
    step1 = await tg.next_bot_message(anna.private)
    assert ru(
        "review.evidence_ready", what="благодарности коллег: 1, пересланные сообщения: 1"
    ) in (step1.text or "")
    add = ru.t("review.evidence_add", n=2)
    await anna.press(step1, add)
    again = await tg.next_bot_message(anna.private)
    assert not any(label.startswith("📎") for label in labels(again))
    anna.send("Хорошая неделя")
    await tg.next_bot_message(anna.private)
    page = await reviews_of(running).evidence((await reviews_of(running).history(anna.id))[0])
    assert [(e.source, e.attached) for e in page.kept] == [("forward", True), ("kudos", True)]
    assert page.kept[0].text.startswith("Спасибо огромное")


async def test_later_skip_and_the_follow_up(tg: FakeTelegram, start_bot: Starter) -> None:
    clock = FakeClock(msk(3, 12))
    running, _, anna, boris, _, _ = await crew(tg, start_bot, clock)
    clock.set(msk(4, 16, 0))
    await tick(running)
    anna_reminder = await tg.next_bot_message(anna.private)
    boris_reminder = await tg.next_bot_message(boris.private)

    await anna.press(anna_reminder, LATER)
    assert now(tg, anna_reminder).text == ru("review.snoozed", at="18:00")
    await boris.press(boris_reminder, SKIP)
    skipped = now(tg, boris_reminder)
    assert skipped.text == ru("review.skipped", week=week_label(WEEK))

    clock.set(msk(4, 18, 1))
    running.app.ledger.wake()
    again = await tg.next_bot_message(anna.private)
    assert again.text == REMINDER

    # Monday 09:00: one follow-up for Anna (nothing started), none for Boris (skipped)
    clock.set(msk(7, 9, 1))
    running.app.ledger.wake()
    follow = await tg.next_bot_message(anna.private)
    assert follow.text == ru("review.follow")
    await no_more(tg, boris)
    assert [m.text for m in from_bot(tg, boris)][-1] == skipped.text


async def test_a_reminder_missed_while_down_is_sent_within_the_grace_window_only(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(3, 12))
    running, _, anna, _, _, _ = await crew(tg, start_bot, clock)
    await running.stop()
    clock.set(msk(4, 19))  # 3 hours late: sent once at start-up
    again = await start_bot(clock=clock)
    late = await tg.next_bot_message(anna.private)
    assert late.text == REMINDER
    await again.stop()

    clock.set(msk(12, 5))  # the next Friday 16:00 was 13 hours ago: dropped
    third = await start_bot(clock=clock)
    await tick(third)
    await no_more(tg, anna)
    assert len(reminders(tg, anna)) == 1


async def test_a_user_who_blocked_the_bot_is_not_retried(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(3, 12))
    running, _, anna, _, _, _ = await crew(tg, start_bot, clock)
    anna.block_bot()
    clock.set(msk(4, 16, 0))
    await tick(running)
    key = f"review.remind:{anna.id}:{WEEK}"

    async def unreachable() -> bool:
        row = await running.app.ledger.row(key)
        return row is not None and row.state == "unreachable"

    await eventually(unreachable)
    calls = [
        c for c in tg.calls if c.method == "sendMessage" and c.params.get("chat_id") == anna.id
    ]
    await asyncio.sleep(0.5)
    assert len(
        [c for c in tg.calls if c.method == "sendMessage" and c.params.get("chat_id") == anna.id]
    ) == len(calls)


async def test_feedback_from_a_colleague_reaches_the_author_and_nobody_else_can_answer(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(4, 16, 5))
    running, lead, anna, boris, _, _ = await crew(tg, start_bot, clock)
    service = reviews_of(running)
    review, _ = await service.open(anna.id)
    await service.set_results(review.id, anna.id, "Закрыла 42 заявки")
    for i in range(len(review.qualities)):
        await service.rate(review.id, anna.id, i, 4)
    await service.ratings_done(review.id, anna.id)
    await service.set_note(review.id, anna.id, "wish", "как я объясняю")
    await service.set_note(review.id, anna.id, "plan", None)
    await service.submit(review.id, anna.id)

    anna.send("/review")
    submitted = await tg.next_bot_message(anna.private)
    await anna.press(submitted, ru.t("review.ask_peers"))
    picker = await tg.next_bot_message(anna.private)
    await anna.press(picker, "Борис")
    await anna.press(now(tg, picker), ru.t("review.send_requests"))
    assert now(tg, picker).text == ru("review.asked", names="Борис")

    request = await tg.next_bot_message(boris.private)
    assert "Анна" in (request.text or "")
    assert "как я объясняю" in (request.text or "")
    assert "★" not in (request.text or "")  # ratings only if Anna chose to show them
    # the lead forges a press on Boris's request: refused, nothing changes
    data = next(b.callback_data for row in request.reply_markup.inline_keyboard for b in row)  # type: ignore[union-attr]
    parsed = Feedback.unpack(data or "")
    assert parsed.act is FeedbackAct.ANSWER
    forged = await service.request_for(parsed.request, boris.id)
    assert forged[0].state == "pending"
    with pytest.raises(NotFound):  # the service refuses whoever is not the one asked
        await service.answer(parsed.request, lead.id, "поддельный ответ")

    await boris.press(request, ru.t("review.answer"))
    prompt = await tg.next_bot_message(boris.private)
    assert prompt.text == ru("review.answer_prompt", n=1000)
    boris.send("Объясняешь понятно, продолжай!")
    thanks = await tg.next_bot_message(boris.private)
    assert thanks.text == ru("review.answer_sent")
    answer = await tg.next_bot_message(anna.private)
    assert answer.text == ru(
        "review.answer_text",
        name="Борис",
        week=week_label(WEEK),
        text="Объясняешь понятно, продолжай!",
    )
    # Boris makes his feedback a public kudos with one tap (and a quality)
    await boris.press(thanks, ru.t("review.make_kudos"))
    await boris.press(now(tg, thanks), labels(now(tg, thanks))[0])
    assert (await tg.next_bot_message(boris.private)).text == ru("review.kudos_made")
    dm = await tg.next_bot_message(anna.private)
    assert "Объясняешь понятно, продолжай!" in (dm.text or "")
    assert "Борис" in (dm.text or "")
    # a second answer to the same request is refused
    await boris.press(request, ru.t("review.answer"))
    await no_more(tg, anna)


# --- the member's own schedule ----------------------------------------------------------------


async def test_a_member_sets_their_own_schedule_and_bad_input_is_explained(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(2, 11))
    running, _, anna, _, _, _ = await crew(tg, start_bot, clock)
    anna.send("/settings")
    panel = await tg.next_bot_message(anna.private)
    assert "пятница, 16:00 " + ru("review.whose_team") in (panel.text or "")
    assert ru("review.status_next", at="04.12 16:00") in (panel.text or "")

    await anna.press(panel, "пн")  # Mondays
    panel = now(tg, panel)
    assert "понедельник, 16:00 " + ru("review.whose_own") in (panel.text or "")

    await anna.press(panel, ru.t("review.set_time"))
    assert (await tg.next_bot_message(anna.private)).text == ru("review.ask_time")
    anna.send("25:99")
    assert (await tg.next_bot_message(anna.private)).text == ru("review.bad_time", value="25:99")
    anna.send("9.30")
    assert (await tg.next_bot_message(anna.private)).text == ru("review.schedule_saved")
    panel = await tg.next_bot_message(anna.private)
    assert "понедельник, 09:30" in (panel.text or "")

    await anna.press(panel, ru.t("review.set_zone"))
    question = await tg.next_bot_message(anna.private)
    assert question.text == ru("review.ask_zone")
    assert len(labels(question)) >= 5  # the zones of Russia and its neighbours
    anna.send("Атлантида")
    assert (await tg.next_bot_message(anna.private)).text == ru(
        "review.bad_zone", value="Атлантида"
    )
    anna.send("Новосибирск")
    await tg.next_bot_message(anna.private)
    panel = await tg.next_bot_message(anna.private)
    assert "Asia/Novosibirsk" in (panel.text or "")
    # Monday 7 December, 09:30 in Novosibirsk
    row = await reviews_of(running).schedule(anna.id)
    assert row is not None
    assert row.next_due_at == datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Asia/Novosibirsk"))

    await anna.press(panel, ru.t("review.set_quiet"))
    await tg.next_bot_message(anna.private)
    anna.send("когда-нибудь")
    bad = await tg.next_bot_message(anna.private)
    assert bad.text == ru("review.bad_quiet", value="когда-нибудь")
    anna.send("22-10")  # 09:30 is now quiet: the reminder waits for 10:00
    await tg.next_bot_message(anna.private)
    panel = await tg.next_bot_message(anna.private)
    assert "22:00–10:00" in (panel.text or "")
    row = await reviews_of(running).schedule(anna.id)
    assert row is not None
    assert row.next_due_at == datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Novosibirsk"))

    await anna.press(panel, ru.t("review.set_pause"))
    await tg.next_bot_message(anna.private)
    anna.send("2026-12-01")  # in the past
    assert (await tg.next_bot_message(anna.private)).text == ru(
        "review.bad_pause", value="2026-12-01"
    )
    anna.send("15.12")
    await tg.next_bot_message(anna.private)
    panel = await tg.next_bot_message(anna.private)
    assert ru("review.status_paused", date="15.12.2026") in (panel.text or "")
    row = await reviews_of(running).schedule(anna.id)
    assert row is not None
    assert row.next_due_at == datetime(2026, 12, 21, 10, 0, tzinfo=ZoneInfo("Asia/Novosibirsk"))
    await anna.press(panel, ru.t("review.set_resume"))
    assert ru.t("review.set_pause") in labels(now(tg, panel))


async def test_someone_in_no_team_is_told_how_to_join(tg: FakeTelegram, start_bot: Starter) -> None:
    await start_bot()
    loner = tg.user("Игорь", language_code="ru")
    await started(tg, loner)
    for command in ("/review", "/myschedule"):
        loner.send(command)
        assert (await tg.next_bot_message(loner.private)).text == ru("review.no_team")
    loner.send("/reviews")
    assert (await tg.next_bot_message(loner.private)).text == ru("review.history_empty")


# --- the lead's team settings ------------------------------------------------------------------


async def test_a_lead_sets_the_teams_day_time_and_a_holiday(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(2, 11))
    running, lead, anna, boris, _group, _ = await crew(tg, start_bot, clock)
    lead.send("/settings")
    team_panel = await tg.next_bot_message(lead.private)
    await lead.press(team_panel, ru.t("review.team_button"))
    panel = await tg.next_bot_message(lead.private)
    assert "пятница, 16:00" in (panel.text or "")

    await lead.press(panel, "чт")
    await lead.press(now(tg, panel), ru.t("review.team_time"))
    assert (await tg.next_bot_message(lead.private)).text == ru("review.team_ask_time")
    lead.send("11:00")
    panel = await tg.next_bot_message(lead.private)
    assert "четверг, 11:00" in (panel.text or "")
    # next week (7-13 December) is a holiday for the team
    await lead.press(panel, ru.t("review.team_holiday_on", week="07.12–13.12"))
    assert "07.12–13.12" in (now(tg, panel).text or "").split("\n")[-1]

    # a member's forged press on the lead's panel changes nothing
    data = [b.callback_data for row in panel.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    anna.send("/myschedule")
    own = await tg.next_bot_message(anna.private)
    answer = await tg.callback_answer(anna.press_data(own, data[0] or ""))
    assert answer.text == ru.t("errors.stale_button")

    await tick(running)
    clock.set(msk(3, 11, 1))  # Thursday 11:00 this week: reminders
    await tick(running)
    assert (await tg.next_bot_message(anna.private)).text == REMINDER
    assert (await tg.next_bot_message(boris.private)).text == REMINDER
    clock.set(msk(10, 11, 1))  # the holiday week: none
    await tick(running)
    await no_more(tg, anna)
    clock.set(msk(17, 11, 1))
    await tick(running)
    assert (await tg.next_bot_message(anna.private)).text == REMINDER


# --- the leads' digest -----------------------------------------------------------------------


async def submit(
    service: ReviewsService, user: FakeUser, text: str, rating: int, *, share: bool = False
) -> None:
    review, _ = await service.open(user.id)
    await service.set_results(review.id, user.id, text)
    for i in range(len(review.qualities)):
        await service.rate(review.id, user.id, i, rating)
    await service.ratings_done(review.id, user.id)
    await service.set_note(review.id, user.id, "wish", None)
    await service.set_note(review.id, user.id, "plan", None)
    await service.submit(review.id, user.id)
    if share:
        await service.share_with_lead(review.id, user.id, True)


async def test_the_lead_gets_a_monday_digest_with_only_what_was_shared(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(4, 17))
    running, lead, anna, boris, _, team = await crew(tg, start_bot, clock)
    service = reviews_of(running)
    await submit(service, anna, "Анна: 42 заявки, <без секретов>", 4, share=True)
    await submit(service, boris, "Борис: личное, только для себя", 2)
    kudos = running.app.dp["kudos"]
    quality = (await kudos.qualities_for(team))[0]
    await kudos.give(team, boris.id, [anna.id], quality.id, "за терпение с трудным клиентом")
    await tg.next_bot_message(anna.private)

    clock.set(msk(7, 8, 59))  # Monday before 09:00: nothing yet
    await tick(running)
    await no_more(tg, lead)
    clock.set(msk(7, 9, 1))
    await asyncio.gather(tick(running), tick(running))
    digest = await tg.next_bot_message(lead.private)
    text = digest.text or ""
    assert text.startswith(ru("review.digest_title", week=week_label(WEEK), title="Поддержка"))
    assert ru("review.digest_submitted", n=2, total=3, names="Анна, Борис") in text
    assert "Анна: 42 заявки, <без секретов>" in text  # shared with the lead
    assert "личное" not in text  # Boris did not share his
    assert ru("review.digest_averages") in text
    assert f"{quality.button('ru')}: 1" in text  # kudos per quality
    assert "Олег" in text.split(ru("review.digest_unthanked", names="").split(":")[0])[-1]
    await tick(running)
    await no_more(tg, lead)
    assert sum(1 for m in from_bot(tg, lead) if (m.text or "").startswith("Итоги недели")) == 1


# --- /progress ---------------------------------------------------------------------------------


async def test_progress_sends_two_charts_and_reads_them(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(4, 17))
    running, _, anna, boris, _, team = await crew(tg, start_bot, clock)
    anna.send("/progress")
    assert (await tg.next_bot_message(anna.private)).text == ru("review.progress_none")

    service = reviews_of(running)
    kudos = running.app.dp["kudos"]
    for week in range(3):
        clock.set(msk(4, 17) + timedelta(days=7 * week))
        await submit(service, anna, f"неделя {week}", 3 + week % 2)
    rated = (await service.history(anna.id))[0].qualities[0]
    await kudos.give(team, boris.id, [anna.id], rated, "за спокойствие с трудным клиентом")
    await tg.next_bot_message(anna.private)

    anna.send("/progress")
    trend = await tg.next_bot_message(anna.private, timeout=30)
    versus = await tg.next_bot_message(anna.private, timeout=30)
    assert trend.photo
    assert versus.photo
    assert max(p.width for p in trend.photo) >= 800  # readable on a phone
    name = (await service.qualities(team.id))[rated].button("ru")
    caption = versus.caption or ""
    assert ru("review.progress_top", quality=name, times="1 раз") in caption
    assert ru("review.progress_low", quality="", value="").split("«")[0] in caption


async def test_the_first_review_asks_the_time_zone_once(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(msk(4, 17))
    running = await start_bot(clock=clock)
    lead = tg.user("Олег", language_code="ru")
    anna = tg.user("Анна", language_code="ru")
    for user in (lead, anna):
        await started(tg, user)
    _, _, greeting = await team_with_group(tg, running, "Поддержка", [anna], [lead])
    await anna.press(greeting, ru.t("teams.join"))
    await tg.next_bot_message(anna.private)
    anna.send("/review")
    question = await tg.next_bot_message(anna.private)
    assert question.text == ru("review.zone_once", zone="Europe/Moscow")
    step1 = await tg.next_bot_message(anna.private)
    assert ru("review.step_results", n=2000) in (step1.text or "")
    samara = next(label for label in labels(question) if label.startswith("Самара"))
    await anna.press(question, samara)
    saved = await tg.next_bot_message(anna.private)
    assert saved.text == ru("review.zone_saved", zone="Europe/Samara")
    anna.send("Результаты недели")  # the review goes on where it was
    assert (await tg.next_bot_message(anna.private)).text == ru("review.step_ratings")
    anna.send("/review")  # not asked again
    again = await tg.next_bot_message(anna.private)
    assert again.text == ru("review.step_ratings")


async def test_reminders_follow_daylight_saving_changes_both_ways(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    """A team in Berlin: Friday 16:00 local is 14:00 UTC in summer time and 15:00 UTC in
    winter time; the reminder follows the local time across both changes."""
    berlin = ZoneInfo("Europe/Berlin")
    utc = ZoneInfo("UTC")
    clock = FakeClock(datetime(2026, 10, 20, 12, tzinfo=berlin))
    running, _, anna, _, _, team = await crew(tg, start_bot, clock)
    teams = running.app.dp["teams"]
    await teams.set_timezone(team, "Europe/Berlin")
    await reviews_of(running).set_team_defaults(team, 4, time(16, 0))

    async def reminded_at(moment: datetime) -> int:
        """Tick at ``moment``; the number of reminders once the ledger is idle."""
        clock.set(moment)
        await tick(running)

        async def idle() -> bool:
            return not (await running.app.ledger.counts()).get("claimed")

        await asyncio.sleep(0.2)
        await eventually(idle)
        await asyncio.sleep(0.2)
        return len(reminders(tg, anna))

    await tick(running)
    # before the change (CEST, +2): 14:00 UTC
    assert await reminded_at(datetime(2026, 10, 23, 13, 59, tzinfo=utc)) == 0
    assert await reminded_at(datetime(2026, 10, 23, 14, 0, tzinfo=utc)) == 1
    # after the clocks went back on 25 October (CET, +1): 15:00 UTC, not 14:00
    assert await reminded_at(datetime(2026, 10, 30, 14, 0, tzinfo=utc)) == 1
    row = await reviews_of(running).schedule(anna.id)
    assert row is not None
    assert row.next_due_at == datetime(2026, 10, 30, 15, 0, tzinfo=utc), row
    assert await reminded_at(datetime(2026, 10, 30, 15, 0, tzinfo=utc)) == 2
    # and forward again on 28 March 2027: back to 14:00 UTC
    clock.set(datetime(2027, 3, 20, 12, tzinfo=utc))  # the winter goes by
    await reviews_of(running).change(anna.id, skip_week=None)
    await tick(running)
    row = await reviews_of(running).schedule(anna.id)
    assert row is not None
    assert row.next_due_at == datetime(2027, 3, 26, 15, 0, tzinfo=utc)  # still CET
    n = await reminded_at(datetime(2027, 3, 26, 15, 0, tzinfo=utc))
    assert n == 3
    row = await reviews_of(running).schedule(anna.id)
    assert row is not None
    assert row.next_due_at == datetime(2027, 4, 2, 14, 0, tzinfo=utc)  # CEST again
    assert await reminded_at(datetime(2027, 4, 2, 14, 0, tzinfo=utc)) == 4
