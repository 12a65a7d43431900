"""Team events end to end: employee of the month, birthday greetings, the weekly digest; each
exactly once, at 10:00 in the team's time zone, across repeated runs and restarts, run
directly as the scheduler does and through APScheduler itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Message

from bot.jobs import run_team_events
from tests.clock import FakeClock
from tests.e2e.conftest import Running, Starter, eventually
from tests.e2e.procs import fake_telegram
from tests.e2e.texts import ru
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

MSK = ZoneInfo("Europe/Moscow")
TEAM = "Поддержка"
JOIN = ru.t("teams.join")
YES, NO = ru.t("settings.yes"), ru.t("settings.no")
#: the catalogue's names of the qualities these stories thank for (#эмпатия by default)
EMPATHY = ru.quality("empathy")
RESPONSIBILITY = ru.quality("responsibility")
PATIENCE = ru.quality("patience")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """The fake without flood control: the stories post many announcements into one group."""
    async with fake_telegram() as fake:
        yield fake


# --- helpers -----------------------------------------------------------------------------------


def text(message: Message) -> str:
    return message.text or message.caption or ""


def month_title(month: str, names: str, n: int, qualities: str) -> str:
    """The first lines of an employee-of-the-month post."""
    return ru("kudos.month_title", month=month, names=names, n=n, qualities=qualities)


def month_reason(reason: str, giver: str) -> str:
    return ru("kudos.month_reason", reason=reason, giver=giver)


def digest(*lines: str) -> str:
    """A weekly digest of the team: its title, then ``lines``."""
    return "\n".join([ru("kudos.digest_title", team=TEAM), *lines])


def birthday_set(date: str) -> str:
    return ru("kudos.birthday_set", date=date)


def at(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    """A moment in Moscow time (the team's default time zone)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=MSK)


def settings_panel(title: str, *, birthdays: str) -> str:
    """A lead's /settings panel of a new team (the defaults but the birthday switch)."""
    return ru(
        "settings.title",
        title=title,
        timezone="Europe/Moscow",
        budget=5,
        announce=YES,
        birthdays=birthdays,
        digest=YES,
    )


async def settle(tg: FakeTelegram, running: Running) -> None:
    """Wait until every update sent so far is fetched and fully handled."""
    await tg.wait_until(lambda: tg.pending_updates() == 0)
    for _ in range(3):
        assert await running.app.updates.drain(5)
        await asyncio.sleep(0.05)


async def form_team(
    tg: FakeTelegram, title: str, lead: FakeUser, joiners: list[FakeUser]
) -> FakeChat:
    group = tg.group(title, members=joiners, admins=[lead])
    tg.add_bot_to_group(group, by=lead)
    greeting = await tg.next_bot_message(group)
    if lead.started:  # whoever added the bot and had started it is a member at once
        done = await tg.next_bot_message(lead.private)
        assert text(done) == ru("teams.joined_private", title=title)
    for user in joiners if lead.started else (lead, *joiners):
        await user.press(greeting, JOIN)
        done = await tg.next_bot_message(user.private)
        # (a second team says that private commands now use it)
        assert text(done).startswith(ru("teams.joined_private", title=title))
    return group


@dataclass
class Squad:
    tg: FakeTelegram
    running: Running
    clock: FakeClock
    group: FakeChat
    lead: FakeUser
    anna: FakeUser
    boris: FakeUser
    vera: FakeUser

    async def thank(
        self, giver: FakeUser, receiver: FakeUser, reason: str, tag: str = "#эмпатия"
    ) -> None:
        giver.send(f"/kudos @{receiver.username} {reason} {tag}", chat=self.group)
        announcement = await self.tg.next_bot_message(self.group)
        assert f"«{reason}»" in text(announcement), text(announcement)
        personal = await self.tg.next_bot_message(receiver.private)
        assert f"«{reason}»" in text(personal), text(personal)

    async def run_events(self) -> None:
        """The team events job, exactly as the scheduler runs it."""
        await run_team_events(self.running.app.jobs)

    async def nothing_new(self, *chats: FakeChat) -> None:
        """Everything sent so far has been read: the run posted nothing."""
        await settle(self.tg, self.running)
        for chat in chats or (self.group,):
            assert len(self.tg.bot_messages(chat)) == chat.bot_cursor, self.tg.bot_messages(chat)[
                chat.bot_cursor :
            ]

    async def private(self, user: FakeUser, command: str) -> str:
        user.send(command)
        return text(await self.tg.next_bot_message(user.private))


async def make_squad(tg: FakeTelegram, start_bot: Starter, clock: FakeClock) -> Squad:
    running = await start_bot(clock=clock)
    lead = tg.user("Лена", username="lena_lead", language_code="ru")
    anna = tg.user("Анна", username="anna_k", language_code="ru")
    boris = tg.user("Борис", username="boris_b", language_code="ru")
    vera = tg.user("Вера", username="vera_v", language_code="ru")
    for user in (lead, anna, boris, vera):
        user.start_bot()
        await tg.next_bot_message(user.private)
    group = await form_team(tg, TEAM, lead, [anna, boris, vera])
    return Squad(tg, running, clock, group, lead, anna, boris, vera)


# --- employee of the month ----------------------------------------------------------------------


async def test_employee_of_the_month_once_at_ten_on_the_first(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(at(2026, 10, 15, 12, 0))  # a Thursday
    s = await make_squad(tg, start_bot, clock)
    await s.thank(s.boris, s.anna, "за октябрьский релиз", "#терпение")
    await s.thank(s.vera, s.anna, "за спокойствие", "#терпение")
    await s.thank(s.boris, s.vera, "за ночные смены")
    clock.set(at(2026, 10, 31, 23, 30))  # still October in Moscow
    await s.thank(s.anna, s.vera, "за последний день месяца", "#ответственность")
    await s.thank(s.boris, s.lead, "за планирование")
    clock.set(at(2026, 11, 1, 0, 30))  # November in Moscow, still 31 October in UTC
    await s.thank(s.anna, s.lead, "за ноябрьский план")
    await s.thank(s.boris, s.lead, "за ноябрьский разбор")

    clock.set(at(2026, 11, 1, 9, 55))  # a Sunday: no digest; not yet 10:00
    await s.run_events()
    await s.nothing_new(s.group, s.anna.private, s.vera.private, s.lead.private)

    clock.set(at(2026, 11, 1, 10, 5))
    await s.run_events()
    post = text(await tg.next_bot_message(s.group))
    lines = post.split("\n")
    # a tie: both, with two kudos each in October; the qualities are both winners'
    assert "\n".join(lines[:2]) == month_title(
        "октябрь 2026", "Анна, Вера", 2, f"{PATIENCE}, {EMPATHY}, {RESPONSIBILITY}"
    )
    assert set(lines[2:]) == {
        month_reason("за октябрьский релиз", "Борис"),
        month_reason("за спокойствие", "Вера"),
        month_reason("за ночные смены", "Борис"),
        month_reason("за последний день месяца", "Анна"),
    }
    assert "Лена" not in post  # her October kudos: 1; the November ones do not count
    for winner in (s.anna, s.vera):
        congratulation = await tg.next_bot_message(winner.private)
        assert text(congratulation) == ru("kudos.month_dm", month="октябрь 2026", team=TEAM)

    # again: nothing; later that day: nothing
    await s.run_events()
    clock.set(at(2026, 11, 1, 18, 0))
    await s.run_events()
    await s.nothing_new(s.group, s.anna.private, s.vera.private, s.lead.private)

    # a restart (its start-up catch-up run included) posts nothing more
    await s.running.stop()
    s.running = await start_bot(clock=clock)
    await s.run_events()
    await s.nothing_new(s.group, s.anna.private, s.vera.private, s.lead.private)


async def test_employee_of_the_month_missed_at_ten_is_caught_up_at_start(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(at(2026, 10, 15, 12, 0))
    s = await make_squad(tg, start_bot, clock)
    await s.thank(s.boris, s.vera, "за ночные смены")
    await s.running.stop()  # the bot is down over 1 November 10:00

    clock.set(at(2026, 11, 1, 14, 0))
    s.running = await start_bot(clock=clock)
    post = text(await tg.next_bot_message(s.group))
    assert post == month_title("октябрь 2026", "Вера", 1, EMPATHY) + "\n" + month_reason(
        "за ночные смены", "Борис"
    )
    await tg.next_bot_message(s.vera.private)
    await s.run_events()
    await s.nothing_new(s.group, s.vera.private)


# --- birthdays ----------------------------------------------------------------------------------


async def test_birthday_greeting_once_a_year_where_greetings_are_on(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(at(2026, 11, 24, 9, 0))  # a Tuesday
    s = await make_squad(tg, start_bot, clock)
    # a second team, with birthday greetings switched off by its lead
    night = await form_team(tg, "Ночная смена", s.lead, [s.anna, s.boris])
    s.lead.send("/settings", chat=night)
    panel = await tg.next_bot_message(night)
    assert text(panel) == settings_panel("Ночная смена", birthdays=YES)
    await s.lead.press(panel, ru.t("settings.birthdays", state=YES))
    assert text(
        next(m for m in tg.bot_messages(night) if m.message_id == panel.message_id)
    ) == settings_panel("Ночная смена", birthdays=NO)

    assert (await s.private(s.anna, "/birthday 24.11")) == birthday_set("24.11")
    assert (await s.private(s.vera, "/birthday 25.11")) == birthday_set("25.11")
    assert (await s.private(s.boris, "/birthday 29.02")) == birthday_set("29.02")

    await s.run_events()  # 09:00: too early
    await s.nothing_new(s.group, night)

    clock.set(at(2026, 11, 24, 10, 1))
    await s.run_events()
    greeting = await tg.next_bot_message(s.group)
    assert text(greeting) == ru("kudos.birthday_greeting", name="Анна")
    await s.run_events()
    clock.set(at(2026, 11, 24, 21, 0))
    await s.run_events()
    await s.nothing_new(s.group, night)  # once; and not in the team with greetings off

    clock.set(at(2026, 11, 25, 10, 1))
    await s.run_events()
    assert text(await tg.next_bot_message(s.group)) == ru("kudos.birthday_greeting", name="Вера")
    await s.nothing_new(s.group, night)

    clock.set(at(2027, 2, 28, 10, 1))  # 29 February is greeted on the 28th in other years
    await s.run_events()
    assert text(await tg.next_bot_message(s.group)) == ru("kudos.birthday_greeting", name="Борис")
    await s.nothing_new(s.group, night)

    clock.set(at(2027, 11, 24, 10, 1))  # a year later: again
    await s.run_events()
    assert text(await tg.next_bot_message(s.group)) == ru("kudos.birthday_greeting", name="Анна")
    await s.run_events()
    await s.nothing_new(s.group, night)

    # /birthday off: no greeting next year
    assert await s.private(s.anna, "/birthday off") == ru("kudos.birthday_off")
    clock.set(at(2028, 11, 24, 10, 1))
    await s.run_events()
    await s.nothing_new(s.group, night)


# --- the weekly digest --------------------------------------------------------------------------


async def test_weekly_digest_on_monday_once_a_week(tg: FakeTelegram, start_bot: Starter) -> None:
    clock = FakeClock(at(2026, 11, 10, 12, 0))  # the week before last
    s = await make_squad(tg, start_bot, clock)
    # everyone joined the week before last: a first thanks later names no newcomer
    await s.thank(s.boris, s.anna, "за старый отчёт")
    clock.set(at(2026, 11, 17, 12, 0))  # last week (16-22 November)
    await s.thank(s.boris, s.anna, "за отчёт")
    await s.thank(s.boris, s.vera, "за дежурство")
    clock.set(at(2026, 11, 22, 23, 30))  # Sunday night in Moscow: last week
    await s.thank(s.vera, s.lead, "за воскресный разбор", "#терпение")
    clock.set(at(2026, 11, 23, 0, 30))  # Monday in Moscow (Sunday in UTC): this week
    await s.thank(s.anna, s.boris, "за понедельник")

    clock.set(at(2026, 11, 23, 9, 59))
    await s.run_events()
    await s.nothing_new()

    clock.set(at(2026, 11, 23, 10, 5))
    await s.run_events()
    posted = await tg.next_bot_message(s.group)
    assert text(posted) == digest(
        ru("kudos.digest_total", n=3),
        ru("kudos.digest_qualities", qualities=f"{EMPATHY}, {PATIENCE}"),
    )
    await s.run_events()
    await s.running.stop()
    s.running = await start_bot(clock=clock)  # a restart the same Monday
    await s.run_events()
    clock.set(at(2026, 11, 24, 10, 5))  # Tuesday
    await s.run_events()
    await s.nothing_new()

    clock.set(at(2026, 11, 30, 10, 5))  # the next Monday: the week of 23-29 November
    await s.run_events()
    assert text(await tg.next_bot_message(s.group)) == digest(
        ru("kudos.digest_total", n=1),
        ru("kudos.digest_qualities", qualities=EMPATHY),
    )
    clock.set(at(2026, 12, 7, 10, 5))  # a quiet week
    await s.run_events()
    assert text(await tg.next_bot_message(s.group)) == digest(ru("kudos.digest_empty"))
    await s.run_events()
    await s.nothing_new()

    # a lead switches the digest off: no digest the next Monday
    s.lead.send("/settings")
    panel = await tg.next_bot_message(s.lead.private)
    while panel.reply_markup is None:  # the leads' review digests of these Mondays came too
        panel = await tg.next_bot_message(s.lead.private)
    await s.lead.press(panel, ru.t("settings.digest", state=YES))
    clock.set(at(2026, 12, 14, 10, 5))
    await s.run_events()
    await s.nothing_new()


# --- through APScheduler -------------------------------------------------------------------------


async def fire_through_scheduler(running: Running) -> None:
    """``run_soon`` and wait until APScheduler has run the job to its end."""
    scheduler = running.app.scheduler
    scheduler.run_soon("team-events")
    now = datetime.now(MSK)

    async def rescheduled() -> bool:
        upcoming = scheduler.next_run("team-events")
        return upcoming is not None and upcoming > now

    await eventually(rescheduled)
    await asyncio.sleep(0.05)  # the submitted run has started
    await scheduler.wait_idle()


async def test_team_events_fire_through_apscheduler(tg: FakeTelegram, start_bot: Starter) -> None:
    clock = FakeClock(at(2026, 11, 24, 10, 30))  # a Tuesday
    s = await make_squad(tg, start_bot, clock)
    assert (await s.private(s.anna, "/birthday 24.11")) == birthday_set("24.11")

    s.running.app.scheduler.run_soon("team-events")
    greeting = await tg.next_bot_message(s.group)
    assert text(greeting) == ru("kudos.birthday_greeting", name="Анна")
    await s.running.app.scheduler.wait_idle()

    await fire_through_scheduler(s.running)  # fired again: nothing more
    await s.nothing_new()

    # the 1st of the month, 10:00: the employee of the month through the scheduler too
    await s.thank(s.boris, s.vera, "за ноябрьские смены")
    clock.set(at(2026, 12, 1, 10, 0, 30))
    s.running.app.scheduler.run_soon("team-events")
    post = await tg.next_bot_message(s.group)
    assert text(post) == month_title("ноябрь 2026", "Вера", 1, EMPATHY) + "\n" + month_reason(
        "за ноябрьские смены", "Борис"
    )
    await tg.next_bot_message(s.vera.private)
    await s.running.app.scheduler.wait_idle()
    await fire_through_scheduler(s.running)
    await s.nothing_new(s.group, s.vera.private)
