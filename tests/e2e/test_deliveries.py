"""Messages the bot owes, end to end: each story reproduces a defect of the old fire-and-forget
sends (a DM lost after a non-403 failure, a /start backlog too long for Telegram, an
announcement of a private kudos that could not be withdrawn, an employee-of-the-month post
over 4096 characters) and shows the ledger's answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.kudos import KudosService
from bot.services.teams import TeamsService
from bot.services.users import Person
from storage.repo import deliveries as repo
from tests.e2e import test_kudos as stories
from tests.e2e.conftest import UNPACED, Starter, eventually
from tests.e2e.test_kudos import Squad, current, make_squad, text
from tests.e2e.texts import ru
from tests.fakebot import FakeTelegram

# the kudos stories' fixtures: a fake without flood control and a team of four
tg = stories.tg
squad = stories.squad

LONG_REASON = "за терпение с очень трудным клиентом, " * 12 + "и за вежливость"  # ~480 chars


async def counts(s: Squad) -> dict[str, int]:
    return await s.running.app.ledger.counts()


async def test_a_personal_message_that_fails_with_502_is_retried_not_lost(
    tg: FakeTelegram, squad: Squad
) -> None:
    s = squad
    tg.fail_next("sendMessage", error_code=502, chat_id=s.anna.id)
    s.group_send(s.boris, "/kudos @anna_k за разбор жалобы #терпение")
    assert "«за разбор жалобы»" in text(await tg.next_bot_message(s.group))

    async def retry_planned() -> bool:
        return (await counts(s)).get("pending", 0) == 1

    await eventually(retry_planned)

    def thanked() -> list[str]:
        return [text(m) for m in tg.bot_messages(s.anna.private) if "«за разбор жалобы»" in text(m)]

    assert thanked() == []
    s.clock.advance(timedelta(minutes=1))  # past the backoff
    s.running.app.ledger.wake()
    await tg.wait_until(lambda: bool(thanked()), timeout=15)
    await s.settle()
    assert len(thanked()) == 1
    assert (await counts(s)).get("pending", 0) == 0


async def test_a_backlog_of_long_kudos_fits_one_message_and_is_marked_sent_once(
    tg: FakeTelegram, squad: Squad
) -> None:
    s = squad
    s.anna.block_bot()

    async def anna_blocked() -> bool:
        row = await s.running.app.dp["users"].get(s.anna.id)
        return row is not None and not row.reachable

    await eventually(anna_blocked)
    kudos: KudosService = s.running.app.dp["kudos"]
    team = await s.team()
    givers = [s.boris, s.vera, s.lead]
    for n in range(25):  # 25 kudos over several days (the daily budget is 5 per giver)
        if n and n % 15 == 0:
            s.clock.advance(timedelta(days=1))
        await kudos.give(team, givers[n % 3].id, [s.anna.id], "patience", f"{n}: {LONG_REASON}")
    assert (await counts(s)).get("unreachable") == 25

    s.anna.start_bot()  # back
    await tg.next_bot_message(s.anna.private)  # the greeting
    backlog = await tg.next_bot_message(s.anna.private)
    body = text(backlog)
    assert body.startswith(ru("teams.undelivered_header") + "\n")
    shown = [line for line in body.splitlines() if line.startswith("• ")]
    assert 1 <= len(shown) <= 10
    assert body.endswith("\n" + ru("teams.undelivered_more", n=25 - len(shown)))
    assert "24: за терпение" in body  # the latest are shown
    assert len(body) <= 4096

    async def all_shown() -> bool:  # marked sent once Telegram accepted the backlog
        return (await counts(s)).get("unreachable", 0) == 0

    await eventually(all_shown)

    s.anna.send("/start")  # nothing is shown twice
    await tg.next_bot_message(s.anna.private)
    await s.settle()
    header = ru("teams.undelivered_header")
    assert not any(header in text(m) for m in tg.bot_messages(s.anna.private)[-1:])


async def test_a_private_kudos_is_announced_and_withdrawn_through_the_ledger(
    tg: FakeTelegram, squad: Squad
) -> None:
    s = squad
    kudos: KudosService = s.running.app.dp["kudos"]
    team = await s.team()
    given = await kudos.give(team, s.boris.id, [s.vera.id], "patience", "за спокойный звонок")
    announcement = await tg.next_bot_message(s.group)
    personal = await tg.next_bot_message(s.vera.private)
    assert "«за спокойный звонок»" in text(announcement)
    assert "«за спокойный звонок»" in text(personal)

    async def linked() -> bool:
        row = await kudos.get(given.kudos[0].id)
        return row is not None and row.message_id == announcement.message_id

    await eventually(linked)  # the DM's link and the undo find the announcement by its id

    await kudos.undo(given.kudos[0].id, s.boris.id)

    undone = ru("kudos.undone", giver="Борис")

    async def withdrawn() -> bool:
        return text(current(tg, announcement)) == undone == text(current(tg, personal))

    await eventually(withdrawn)


async def test_an_undo_before_the_dm_went_out_sends_nothing(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    kudos: KudosService = s.running.app.dp["kudos"]
    team = await s.team()
    await s.running.app.drainer.stop(5)  # nothing is sent for now
    given = await kudos.give(team, s.boris.id, [s.vera.id], "patience", "за быстрый ответ")
    before = len(tg.bot_messages(s.vera.private))
    await kudos.undo(given.kudos[0].id, s.boris.id)
    async with s.running.app.db.read() as conn:
        rows = await repo.by_keys(conn, [f"kudos-dm:{given.batch}:{s.vera.id}"])
    assert [r.state for r in rows] == ["cancelled"]
    assert len(tg.bot_messages(s.vera.private)) == before


async def test_employee_of_the_month_with_many_tied_long_names_fits_telegram(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    # 14 private kudos are announced in the group first: lift the 20/min group pacing
    s = await make_squad(tg, start_bot, **UNPACED)
    teams: TeamsService = s.running.app.dp["teams"]
    kudos: KudosService = s.running.app.dp["kudos"]
    team = await s.team()
    people = []
    for n in range(14):
        user = tg.user("Константин-" + "Александр" * 20 + str(n), last_name="Ф" * 60)
        user.start_bot()
        await tg.next_bot_message(user.private)
        person = Person(user.id, user.first_name, user.last_name, None, "ru")
        assert await teams.join(team, person)
        people.append(user)
    for n, user in enumerate(people):
        giver = s.boris if n % 2 else s.vera
        if n and n % 5 == 0:
            s.clock.advance(timedelta(days=1))
        await kudos.give(team, giver.id, [user.id], "patience", f"{n}: {LONG_REASON}")
    s.clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # 12:00 in Moscow, the 1st
    assert await s.running.app.jobs.recognition.run() == [f"month:{team.id}:2026-11"]

    def month_posts() -> list[str]:
        title = ru.prefix("kudos.month_title")
        return [text(m) for m in tg.bot_messages(s.group) if text(m).startswith(title)]

    await tg.wait_until(lambda: bool(month_posts()), timeout=10)
    (post,) = month_posts()
    assert len(post) <= 4096
    assert ru.prefix("common.and_more") in post  # 14 long names: some are named by count
