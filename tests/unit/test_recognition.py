"""RecognitionService over a real SQLite database, read through the delivery ledger: employee
of the month, birthday greetings and the weekly digest, each queued once, at 10:00 team time,
in the same transaction as the claim of its period."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.services.deliveries import PRIORITY_PERSONAL, PRIORITY_TEAM, Ledger
from bot.services.kudos import KudosService
from bot.services.recognition import (
    KIND_BIRTHDAY,
    KIND_DIGEST,
    KIND_MONTH,
    KIND_MONTH_DM,
    RecognitionService,
    birthday_keys,
)
from bot.services.teams import Team, TeamsService
from bot.services.users import Person, UsersService
from content import Content
from storage.database import Database
from storage.repo import deliveries as ledger_repo
from storage.repo.deliveries import DeliveryRow
from storage.repo.kudos import Count
from storage.schema import deliveries
from tests.clock import FakeClock

MSK = ZoneInfo("Europe/Moscow")

ANNA = Person(1, "Anna")
BORIS = Person(2, "Boris")
VERA = Person(3, "Vera")
GLEB = Person(4, "Gleb")
DINA = Person(5, "Dina")
MEMBERS = (ANNA, BORIS, VERA, GLEB, DINA)
EGOR = Person(6, "Egor")  # joins later

EVENT_KINDS = (KIND_MONTH, KIND_MONTH_DM, KIND_BIRTHDAY, KIND_DIGEST)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


class FlakyLedger(Ledger):
    """A ledger whose writes of the kinds in ``fail`` raise (the database hiccups mid-event)."""

    def __init__(self, db: Database, clock: FakeClock) -> None:
        super().__init__(db, clock)
        self.fail: set[str] = set()

    async def add(self, conn: AsyncConnection, **row: Any) -> None:
        if row["kind"] in self.fail:
            raise RuntimeError("database hiccup")
        await super().add(conn, **row)


class Queue:
    """What the team events left in the ledger (kudos DMs and announcements are ignored)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def rows(self, *kinds: str) -> list[DeliveryRow]:
        stmt = (
            select(deliveries.c.key)
            .where(deliveries.c.kind.in_(kinds or EVENT_KINDS))
            .order_by(deliveries.c.id)
        )
        async with self._db.read() as conn:
            keys = list((await conn.execute(stmt)).scalars())
            rows = await ledger_repo.by_keys(conn, keys)
        return sorted(rows, key=lambda r: r.id)

    async def months(self) -> list[tuple[int, date]]:
        """(team, month) of every employee-of-the-month announcement."""
        return [
            (r.payload["team"], date(r.payload["year"], r.payload["month"], 1))
            for r in await self.rows(KIND_MONTH)
        ]

    async def month_dms(self) -> list[tuple[int, int, str]]:
        """(team, winner, state) of every personal message to a winner."""
        return [
            (r.payload["team"], r.user_id or 0, r.state) for r in await self.rows(KIND_MONTH_DM)
        ]

    async def birthdays(self) -> list[tuple[int, int]]:
        return [(r.payload["team"], r.payload["user"]) for r in await self.rows(KIND_BIRTHDAY)]

    async def digests(self) -> list[DeliveryRow]:
        return await self.rows(KIND_DIGEST)

    async def nothing(self) -> bool:
        return await self.rows() == []


@pytest.fixture
def teams(db: Database, content: Content, clock: FakeClock) -> TeamsService:
    return TeamsService(db, content, clock, "Europe/Moscow")


@pytest.fixture
def ledger(db: Database, clock: FakeClock) -> FlakyLedger:
    return FlakyLedger(db, clock)


@pytest.fixture
def kudos(db: Database, teams: TeamsService, clock: FakeClock, ledger: Ledger) -> KudosService:
    return KudosService(db, teams, clock, ledger)


@pytest.fixture
def service(
    db: Database, teams: TeamsService, kudos: KudosService, clock: FakeClock, ledger: Ledger
) -> RecognitionService:
    return RecognitionService(db, teams, kudos, clock, ledger)


@pytest.fixture
def queue(db: Database) -> Queue:
    return Queue(db)


class Setup:
    """Builds teams and kudos at chosen moments."""

    def __init__(self, teams: TeamsService, kudos: KudosService, clock: FakeClock) -> None:
        self.teams = teams
        self.kudos = kudos
        self.clock = clock
        self._chat = -1000
        self._n = 0

    async def team(
        self, timezone: str = "Europe/Moscow", *, birthdays: bool = False, digest: bool = True
    ) -> Team:
        """A team with all MEMBERS. Birthdays are off unless a test is about them (so the
        month and digest tests do not depend on the birthday query)."""
        self._chat -= 1
        team, _ = await self.teams.bot_added(self._chat, f"Team {-self._chat}")
        for person in MEMBERS:
            await self.teams.join(team, person)
        team = await self.teams.set_timezone(team, timezone)
        team = await self.teams.set_flag(team, "birthdays", birthdays)
        return await self.teams.set_flag(team, "digest", digest)

    async def thank(
        self, team: Team, at: datetime, giver: Person, *receivers: Person, quality: str = "empathy"
    ) -> None:
        self.clock.set(at)
        self._n += 1
        await self.kudos.give(
            team, giver.id, [r.id for r in receivers], quality, f"спасибо за случай {self._n}"
        )


@pytest.fixture
def setup(teams: TeamsService, kudos: KudosService, clock: FakeClock) -> Setup:
    return Setup(teams, kudos, clock)


async def run_at(service: RecognitionService, clock: FakeClock, at: datetime) -> list[str]:
    clock.set(at)
    return await service.run()


# --- employee of the month --------------------------------------------------------------------


async def test_nothing_before_ten_team_time(
    service: RecognitionService, queue: Queue, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)

    assert await run_at(service, clock, utc(2026, 12, 1, 6, 59)) == []  # 09:59 MSK
    assert await queue.nothing()

    done = await run_at(service, clock, utc(2026, 12, 1, 7, 0))  # 10:00 MSK
    assert done == [f"month:{team.id}:2026-11"]
    assert await queue.months() == [(team.id, date(2026, 11, 1))]
    assert await queue.month_dms() == [(team.id, BORIS.id, ledger_repo.UNREACHABLE)]


async def test_month_rows_name_the_month_and_every_winner(
    service: RecognitionService,
    queue: Queue,
    setup: Setup,
    kudos: KudosService,
    db: Database,
    clock: FakeClock,
) -> None:
    team = await setup.team()
    await UsersService(db, clock).started(BORIS)  # Vera never started the bot
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS, VERA)
    await setup.thank(team, utc(2026, 11, 11, 9, 0), GLEB, BORIS, VERA, quality="teamwork")
    await setup.thank(team, utc(2026, 11, 12, 9, 0), ANNA, DINA)

    await run_at(service, clock, utc(2026, 12, 1, 8, 0))

    announcement, *personal = await queue.rows()
    when = {"team": team.id, "year": 2026, "month": 11}
    assert (announcement.key, announcement.kind) == (f"month:{team.id}:2026-11", KIND_MONTH)
    assert (announcement.chat_id, announcement.user_id) == (team.chat_id, None)
    assert announcement.payload == when
    assert announcement.state == ledger_repo.PENDING
    # ties: both winners get their message; one who never started the bot waits for /start
    assert [(r.key, r.kind, r.chat_id, r.user_id, r.state) for r in personal] == [
        (
            f"month-dm:{team.id}:2026-11:{BORIS.id}",
            KIND_MONTH_DM,
            BORIS.id,
            BORIS.id,
            ledger_repo.PENDING,
        ),
        (
            f"month-dm:{team.id}:2026-11:{VERA.id}",
            KIND_MONTH_DM,
            VERA.id,
            VERA.id,
            ledger_repo.UNREACHABLE,
        ),
    ]
    assert all(r.payload == when for r in personal)
    # the personal messages go before the team's
    async with db.read() as conn:
        result = await conn.execute(select(deliveries.c.key, deliveries.c.priority))
        priorities = {row.key: row.priority for row in result}
    assert priorities[announcement.key] == PRIORITY_TEAM
    assert {priorities[r.key] for r in personal} == {PRIORITY_PERSONAL}
    # what the announcement renders from its payload
    winners = await kudos.month_winners(team, when["year"], when["month"])
    assert [(w.user_id, w.count) for w in winners] == [(BORIS.id, 2), (VERA.id, 2)]
    assert winners[0].qualities == [Count("empathy", 1), Count("teamwork", 1)]
    assert len(winners[0].reasons) == 2


async def test_month_winners_announced_exactly_once(
    service: RecognitionService,
    queue: Queue,
    setup: Setup,
    clock: FakeClock,
    content: Content,
    open_db: Callable[[], Database],
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS, VERA)
    await setup.thank(team, utc(2026, 11, 11, 9, 0), GLEB, BORIS, VERA, quality="teamwork")
    await setup.thank(team, utc(2026, 11, 12, 9, 0), ANNA, DINA)

    assert await run_at(service, clock, utc(2026, 12, 1, 8, 0)) == [f"month:{team.id}:2026-11"]
    queued = await queue.rows()
    assert len(queued) == 3  # the announcement and two winners' messages

    assert await run_at(service, clock, utc(2026, 12, 1, 8, 5)) == []
    assert await run_at(service, clock, utc(2026, 12, 1, 20, 59)) == []  # 23:59 MSK

    # a restart: another engine and other service instances on the same database
    db2 = open_db()
    teams2 = TeamsService(db2, content, clock, "Europe/Moscow")
    ledger2 = Ledger(db2, clock)
    kudos2 = KudosService(db2, teams2, clock, ledger2)
    again = RecognitionService(db2, teams2, kudos2, clock, ledger2)
    assert await again.run() == []
    assert await run_at(service, clock, utc(2026, 12, 2, 8, 0)) == []
    assert await queue.rows() == queued


async def test_month_catches_up_later_the_same_day(
    service: RecognitionService, queue: Queue, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    done = await run_at(service, clock, utc(2026, 12, 1, 18, 0))  # 21:00 MSK
    assert done == [f"month:{team.id}:2026-11"]
    assert len(await queue.months()) == 1


async def test_no_kudos_last_month_no_announcement(
    service: RecognitionService, queue: Queue, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 10, 20, 9, 0), ANNA, BORIS)  # two months ago
    await setup.thank(team, utc(2026, 11, 30, 21, 0), ANNA, VERA)  # 1 Dec 00:00 MSK: this month

    assert await run_at(service, clock, utc(2026, 12, 1, 8, 0)) == []
    assert await queue.nothing()
    assert team.digest  # 1 December 2026 is a Tuesday: no digest either


async def test_not_on_other_days(
    service: RecognitionService, queue: Queue, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team(digest=False)
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    for day in (2, 15, 31):
        assert await run_at(service, clock, utc(2026, 12, day, 8, 0)) == []
    assert await queue.nothing()


async def test_each_team_uses_its_own_time_zone(
    service: RecognitionService, queue: Queue, setup: Setup, clock: FakeClock
) -> None:
    moscow = await setup.team("Europe/Moscow")
    vladivostok = await setup.team("Asia/Vladivostok")
    await setup.thank(moscow, utc(2026, 11, 10, 9, 0), ANNA, VERA)
    await setup.thank(vladivostok, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    # 30 Nov 14:30 UTC is already 1 December in Vladivostok: not November there
    await setup.thank(vladivostok, utc(2026, 11, 30, 14, 30), ANNA, GLEB)
    await setup.thank(vladivostok, utc(2026, 11, 30, 14, 31), VERA, GLEB)

    # 01:00 UTC on the 1st: 11:00 in Vladivostok, 04:00 in Moscow
    done = await run_at(service, clock, utc(2026, 12, 1, 1, 0))
    assert done == [f"month:{vladivostok.id}:2026-11"]
    assert await queue.months() == [(vladivostok.id, date(2026, 11, 1))]
    assert [(t, u) for t, u, _ in await queue.month_dms()] == [(vladivostok.id, BORIS.id)]

    # 07:00 UTC: 10:00 in Moscow; Vladivostok is done
    done = await run_at(service, clock, utc(2026, 12, 1, 7, 0))
    assert done == [f"month:{moscow.id}:2026-11"]
    assert await queue.months() == [
        (vladivostok.id, date(2026, 11, 1)),
        (moscow.id, date(2026, 11, 1)),
    ]
    assert [(t, u) for t, u, _ in await queue.month_dms()] == [
        (vladivostok.id, BORIS.id),
        (moscow.id, VERA.id),
    ]


async def test_vladivostok_first_is_still_the_last_day_in_utc(
    service: RecognitionService, setup: Setup, clock: FakeClock
) -> None:
    """At 01:00 UTC on 1 December it is 30 November in UTC; the team's local date decides."""
    team = await setup.team("Asia/Vladivostok")
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    done = await run_at(service, clock, utc(2026, 11, 30, 23, 59))  # 09:59 local
    assert done == []
    done = await run_at(service, clock, utc(2026, 12, 1, 0, 0))  # 10:00 local
    assert done == [f"month:{team.id}:2026-11"]


async def test_teams_without_the_bot_are_skipped(
    service: RecognitionService,
    queue: Queue,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    await teams.bot_removed(team.chat_id)

    assert await run_at(service, clock, utc(2026, 12, 1, 8, 0)) == []
    assert await queue.nothing()

    await teams.bot_added(team.chat_id, team.title)
    assert await run_at(service, clock, utc(2026, 12, 1, 9, 0)) == [f"month:{team.id}:2026-11"]


async def test_failed_queueing_claims_nothing_and_is_retried(
    service: RecognitionService,
    queue: Queue,
    ledger: FlakyLedger,
    setup: Setup,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The claim and the rows are one transaction: a failure after the announcement was
    written (at a winner's message) leaves neither, and the next run does the month."""
    team = await setup.team()
    other = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    await setup.thank(other, utc(2026, 11, 10, 9, 0), ANNA, VERA)
    ledger.fail = {KIND_MONTH_DM}

    with caplog.at_level(logging.ERROR):
        assert await run_at(service, clock, utc(2026, 12, 1, 8, 0)) == []
    assert await queue.nothing()
    assert [r.levelno for r in caplog.records].count(logging.ERROR) == 2  # both teams tried

    ledger.fail = set()
    done = await run_at(service, clock, utc(2026, 12, 1, 8, 5))
    assert done == [f"month:{team.id}:2026-11", f"month:{other.id}:2026-11"]
    assert await run_at(service, clock, utc(2026, 12, 1, 8, 10)) == []
    assert len(await queue.months()) == 2
    assert len(await queue.month_dms()) == 2


# --- birthdays --------------------------------------------------------------------------------


def test_birthday_keys() -> None:
    assert birthday_keys(date(2026, 12, 3)) == ["12-03"]
    assert birthday_keys(date(2027, 2, 28)) == ["02-28", "02-29"]  # not a leap year
    assert birthday_keys(date(2028, 2, 28)) == ["02-28"]  # leap: greeted on the 29th
    assert birthday_keys(date(2028, 2, 29)) == ["02-29"]
    assert birthday_keys(date(2100, 2, 28)) == ["02-28", "02-29"]  # 2100 is not leap
    assert birthday_keys(date(2000, 2, 28)) == ["02-28"]  # 2000 is
    assert birthday_keys(date(2027, 3, 1)) == ["03-01"]


async def test_birthday_greeted_once_a_year(
    service: RecognitionService,
    queue: Queue,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team(birthdays=True)
    await teams.set_birthday(BORIS.id, "12-03")
    await teams.set_birthday(VERA.id, "12-04")

    assert await run_at(service, clock, utc(2026, 12, 3, 6, 59)) == []  # 09:59 MSK
    done = await run_at(service, clock, utc(2026, 12, 3, 7, 0))
    assert done == [f"birthday:{team.id}:{BORIS.id}"]
    [greeting] = await queue.rows()
    assert (greeting.key, greeting.kind) == (f"birthday:{team.id}:2026:{BORIS.id}", KIND_BIRTHDAY)
    assert (greeting.chat_id, greeting.user_id) == (team.chat_id, None)  # in the team chat
    assert greeting.payload == {"team": team.id, "user": BORIS.id}
    assert greeting.state == ledger_repo.PENDING
    assert await run_at(service, clock, utc(2026, 12, 3, 15, 0)) == []

    await run_at(service, clock, utc(2026, 12, 4, 7, 0))
    assert await queue.birthdays() == [(team.id, BORIS.id), (team.id, VERA.id)]

    await run_at(service, clock, utc(2027, 12, 3, 7, 0))  # a year later
    assert (await queue.rows())[-1].key == f"birthday:{team.id}:2027:{BORIS.id}"
    assert len(await queue.birthdays()) == 3


async def test_birthday_only_for_current_members(
    service: RecognitionService,
    queue: Queue,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team(birthdays=True)
    other = await setup.team(birthdays=True)
    await teams.set_birthday(BORIS.id, "12-03")
    await teams.set_birthday(VERA.id, "12-03")
    await teams.leave(team, VERA.id)

    await run_at(service, clock, utc(2026, 12, 3, 7, 0))

    assert sorted(await queue.birthdays()) == [
        (team.id, BORIS.id),
        (other.id, BORIS.id),
        (other.id, VERA.id),
    ]


async def test_leap_day_birthday_on_28_february_in_other_years(
    service: RecognitionService,
    queue: Queue,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team(birthdays=True, digest=False)
    await teams.set_birthday(BORIS.id, "02-29")
    await teams.set_birthday(VERA.id, "02-28")

    await run_at(service, clock, utc(2027, 2, 28, 7, 0))
    assert sorted(await queue.birthdays()) == [(team.id, BORIS.id), (team.id, VERA.id)]
    await run_at(service, clock, utc(2027, 3, 1, 7, 0))
    assert len(await queue.birthdays()) == 2

    await run_at(service, clock, utc(2028, 2, 28, 7, 0))  # 2028 is a leap year
    assert (await queue.birthdays())[2:] == [(team.id, VERA.id)]
    await run_at(service, clock, utc(2028, 2, 29, 7, 0))
    assert (await queue.birthdays())[2:] == [(team.id, VERA.id), (team.id, BORIS.id)]
    assert [r.key for r in await queue.rows()][2:] == [
        f"birthday:{team.id}:2028:{VERA.id}",
        f"birthday:{team.id}:2028:{BORIS.id}",
    ]


async def test_birthdays_off_no_greetings(
    service: RecognitionService,
    queue: Queue,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    await setup.team(birthdays=False)
    await teams.set_birthday(BORIS.id, "12-03")
    assert await run_at(service, clock, utc(2026, 12, 3, 7, 0)) == []
    assert await queue.birthdays() == []


async def test_failed_birthday_greeting_is_retried(
    service: RecognitionService,
    queue: Queue,
    ledger: FlakyLedger,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team(birthdays=True)
    await teams.set_birthday(BORIS.id, "12-03")
    ledger.fail = {KIND_BIRTHDAY}
    assert await run_at(service, clock, utc(2026, 12, 3, 7, 0)) == []
    assert await queue.nothing()
    ledger.fail = set()
    done = await run_at(service, clock, utc(2026, 12, 3, 7, 5))
    assert done == [f"birthday:{team.id}:{BORIS.id}"]
    assert await queue.birthdays() == [(team.id, BORIS.id)]


# --- the weekly digest ------------------------------------------------------------------------


async def test_digest_on_monday_once_per_week(
    service: RecognitionService,
    queue: Queue,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    clock.set(utc(2026, 11, 9, 9, 0))
    team = await setup.team()  # formed the week before last
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)  # the week before
    clock.set(utc(2026, 11, 15, 21, 0))  # Monday 00:00 in Moscow: the week's first moment
    await teams.join(team, EGOR)
    await setup.thank(team, utc(2026, 11, 15, 21, 0), ANNA, EGOR, quality="honesty")
    await setup.thank(team, utc(2026, 11, 17, 9, 0), ANNA, BORIS, VERA, quality="teamwork")
    await setup.thank(team, utc(2026, 11, 20, 9, 0), BORIS, GLEB, quality="honesty")
    await setup.thank(team, utc(2026, 11, 21, 9, 0), BORIS, ANNA)
    await teams.leave(team, GLEB.id)  # a newcomer who left is not named

    assert await run_at(service, clock, utc(2026, 11, 22, 8, 0)) == []  # Sunday
    assert await run_at(service, clock, utc(2026, 11, 23, 6, 59)) == []  # Mon 09:59
    done = await run_at(service, clock, utc(2026, 11, 23, 7, 0))

    assert done == [f"digest:{team.id}:2026-W48"]
    [row] = await queue.digests()
    assert (row.key, row.chat_id, row.user_id) == (
        f"digest:{team.id}:2026-W48",
        team.chat_id,
        None,
    )
    since = datetime(2026, 11, 16, tzinfo=MSK)
    until = datetime(2026, 11, 23, tzinfo=MSK)
    assert row.payload == {
        "team": team.id,
        "since": since.isoformat(),
        "until": until.isoformat(),
    }
    # what it renders from its payload
    digest = await service.digest(
        team,
        datetime.fromisoformat(row.payload["since"]),
        datetime.fromisoformat(row.payload["until"]),
    )
    assert (digest.since, digest.until) == (since, until)
    assert digest.total == 5
    assert digest.qualities == [Count("honesty", 2), Count("teamwork", 2), Count("empathy", 1)]
    # Vera and Anna were thanked for the first time too, but joined before: no newcomers
    assert [m.user_id for m in digest.newcomers] == [EGOR.id]
    assert digest.newcomers[0].first_name == "Egor"

    assert await run_at(service, clock, utc(2026, 11, 23, 18, 0)) == []
    assert await run_at(service, clock, utc(2026, 11, 24, 7, 0)) == []  # Tuesday
    assert len(await queue.digests()) == 1

    await setup.thank(team, utc(2026, 11, 25, 9, 0), ANNA, BORIS)
    done = await run_at(service, clock, utc(2026, 11, 30, 7, 0))
    assert done == [f"digest:{team.id}:2026-W49"]
    second = (await queue.digests())[1]
    assert second.payload["since"] == until.isoformat()
    nxt = await service.digest(
        team,
        datetime.fromisoformat(second.payload["since"]),
        datetime.fromisoformat(second.payload["until"]),
    )
    assert (nxt.total, nxt.newcomers) == (1, [])


async def test_digest_off_no_digest(
    service: RecognitionService, queue: Queue, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team(digest=False)
    await setup.thank(team, utc(2026, 11, 17, 9, 0), ANNA, BORIS)
    assert await run_at(service, clock, utc(2026, 11, 23, 7, 0)) == []
    assert await queue.digests() == []


async def test_failed_digest_is_retried(
    service: RecognitionService,
    queue: Queue,
    ledger: FlakyLedger,
    setup: Setup,
    clock: FakeClock,
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 17, 9, 0), ANNA, BORIS)
    ledger.fail = {KIND_DIGEST}
    assert await run_at(service, clock, utc(2026, 11, 23, 7, 0)) == []
    ledger.fail = set()
    done = await run_at(service, clock, utc(2026, 11, 23, 7, 5))
    assert done == [f"digest:{team.id}:2026-W48"]
    assert len(await queue.digests()) == 1


async def test_digest_in_the_team_time_zone(
    service: RecognitionService, queue: Queue, setup: Setup, clock: FakeClock
) -> None:
    """Kiritimati is UTC+14: Monday 10:00 there is Sunday 20:00 UTC."""
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    team = await setup.team("Pacific/Kiritimati")
    await setup.thank(team, utc(2026, 11, 17, 9, 0), ANNA, BORIS)
    assert await run_at(service, clock, utc(2026, 11, 22, 19, 59)) == []
    done = await run_at(service, clock, utc(2026, 11, 22, 20, 0))
    assert done == [f"digest:{team.id}:2026-W48"]
    [row] = await queue.digests()
    since = datetime.fromisoformat(row.payload["since"])
    until = datetime.fromisoformat(row.payload["until"])
    assert since == datetime(2026, 11, 16, tzinfo=kiritimati)
    assert until == datetime(2026, 11, 23, tzinfo=kiritimati)
    assert (await service.digest(team, since, until)).total == 1
    # Monday 10:00 UTC is already Monday evening there: nothing more this week
    assert await run_at(service, clock, utc(2026, 11, 23, 10, 0)) == []


# --- everything at once, with the default settings ------------------------------------------


async def test_default_team_on_a_monday_the_first(
    service: RecognitionService,
    queue: Queue,
    teams: TeamsService,
    setup: Setup,
    clock: FakeClock,
) -> None:
    """1 February 2027 is a Monday: employee of January, a birthday and the digest, all with
    the settings a new team starts with (birthdays and digest on)."""
    team, _ = await teams.bot_added(-555, "Default team")
    for person in MEMBERS:
        await teams.join(team, person)
    await teams.set_birthday(VERA.id, "02-01")
    await setup.thank(team, utc(2027, 1, 27, 9, 0), ANNA, BORIS)

    done = await run_at(service, clock, utc(2027, 2, 1, 7, 0))

    assert done == [
        f"month:{team.id}:2027-01",
        f"birthday:{team.id}:{VERA.id}",
        f"digest:{team.id}:2027-W05",
    ]
    assert [(r.key, r.kind) for r in await queue.rows()] == [
        (f"month:{team.id}:2027-01", KIND_MONTH),
        (f"month-dm:{team.id}:2027-01:{BORIS.id}", KIND_MONTH_DM),
        (f"birthday:{team.id}:2027:{VERA.id}", KIND_BIRTHDAY),
        (f"digest:{team.id}:2027-W05", KIND_DIGEST),
    ]
    assert await run_at(service, clock, utc(2027, 2, 1, 9, 0)) == []
    assert len(await queue.rows()) == 4
