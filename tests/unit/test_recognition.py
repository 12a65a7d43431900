"""RecognitionService over a real SQLite database with a recording notifier: employee of the
month, birthday greetings and the weekly digest, each once, at 10:00 team time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.kudos import KudosService, Winner
from bot.services.recognition import Digest, RecognitionService, birthday_keys
from bot.services.teams import Member, Team, TeamsService
from bot.services.users import Person
from content import Content
from storage.database import Database
from storage.repo.kudos import Count
from tests.unit.conftest import FakeClock

MSK = ZoneInfo("Europe/Moscow")

ANNA = Person(1, "Anna")
BORIS = Person(2, "Boris")
VERA = Person(3, "Vera")
GLEB = Person(4, "Gleb")
DINA = Person(5, "Dina")
MEMBERS = (ANNA, BORIS, VERA, GLEB, DINA)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


class Recorder:
    """A RecognitionNotifier that records what it was asked to deliver; ``fail`` names the
    kinds that raise (Telegram down)."""

    def __init__(self) -> None:
        self.months: list[tuple[int, date, list[tuple[int, int]]]] = []
        self.winners: list[list[Winner]] = []
        self.birthdays: list[tuple[int, int]] = []
        self.digests: list[tuple[int, Digest]] = []
        self.fail: set[str] = set()

    async def employee_of_month(self, team: Team, month: date, winners: list[Winner]) -> None:
        if "month" in self.fail:
            raise RuntimeError("telegram is down")
        self.months.append((team.id, month, [(w.user_id, w.count) for w in winners]))
        self.winners.append(winners)

    async def birthday(self, team: Team, member: Member) -> None:
        if "birthday" in self.fail:
            raise RuntimeError("telegram is down")
        self.birthdays.append((team.id, member.user_id))

    async def digest(self, team: Team, digest: Digest) -> None:
        if "digest" in self.fail:
            raise RuntimeError("telegram is down")
        self.digests.append((team.id, digest))

    @property
    def nothing(self) -> bool:
        return not (self.months or self.birthdays or self.digests)


@pytest.fixture
def teams(db: Database, content: Content, clock: FakeClock) -> TeamsService:
    return TeamsService(db, content, clock, "Europe/Moscow")


@pytest.fixture
def kudos(db: Database, teams: TeamsService, clock: FakeClock) -> KudosService:
    return KudosService(db, teams, clock)


@pytest.fixture
def service(
    db: Database, teams: TeamsService, kudos: KudosService, clock: FakeClock
) -> RecognitionService:
    return RecognitionService(db, teams, kudos, clock)


@pytest.fixture
def notifier() -> Recorder:
    return Recorder()


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


async def run_at(
    service: RecognitionService, notifier: Recorder, clock: FakeClock, at: datetime
) -> list[str]:
    clock.set(at)
    return await service.run(notifier)


# --- employee of the month --------------------------------------------------------------------


async def test_nothing_before_ten_team_time(
    service: RecognitionService, notifier: Recorder, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)

    assert await run_at(service, notifier, clock, utc(2026, 12, 1, 6, 59)) == []  # 09:59 MSK
    assert notifier.nothing

    done = await run_at(service, notifier, clock, utc(2026, 12, 1, 7, 0))  # 10:00 MSK
    assert done == [f"month:{team.id}:2026-11"]
    assert notifier.months == [(team.id, date(2026, 11, 1), [(BORIS.id, 1)])]


async def test_month_winners_announced_exactly_once(
    service: RecognitionService,
    notifier: Recorder,
    setup: Setup,
    clock: FakeClock,
    content: Content,
    open_db: Callable[[], Database],
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS, VERA)
    await setup.thank(team, utc(2026, 11, 11, 9, 0), GLEB, BORIS, VERA, quality="teamwork")
    await setup.thank(team, utc(2026, 11, 12, 9, 0), ANNA, DINA)

    assert await run_at(service, notifier, clock, utc(2026, 12, 1, 8, 0)) == [
        f"month:{team.id}:2026-11"
    ]
    assert notifier.months == [(team.id, date(2026, 11, 1), [(BORIS.id, 2), (VERA.id, 2)])]
    boris = notifier.winners[0][0]
    assert boris.qualities == [Count("empathy", 1), Count("teamwork", 1)]
    assert len(boris.reasons) == 2

    assert await run_at(service, notifier, clock, utc(2026, 12, 1, 8, 5)) == []
    assert await run_at(service, notifier, clock, utc(2026, 12, 1, 20, 59)) == []  # 23:59 MSK

    # a restart: another engine and other service instances on the same database
    db2 = open_db()
    teams2 = TeamsService(db2, content, clock, "Europe/Moscow")
    kudos2 = KudosService(db2, teams2, clock)
    again = RecognitionService(db2, teams2, kudos2, clock)
    assert await again.run(notifier) == []
    assert await run_at(service, notifier, clock, utc(2026, 12, 2, 8, 0)) == []
    assert len(notifier.months) == 1


async def test_month_catches_up_later_the_same_day(
    service: RecognitionService, notifier: Recorder, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    done = await run_at(service, notifier, clock, utc(2026, 12, 1, 18, 0))  # 21:00 MSK
    assert done == [f"month:{team.id}:2026-11"]
    assert len(notifier.months) == 1


async def test_no_kudos_last_month_no_announcement(
    service: RecognitionService, notifier: Recorder, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 10, 20, 9, 0), ANNA, BORIS)  # two months ago
    await setup.thank(team, utc(2026, 11, 30, 21, 0), ANNA, VERA)  # 1 Dec 00:00 MSK: this month

    assert await run_at(service, notifier, clock, utc(2026, 12, 1, 8, 0)) == []
    assert notifier.months == []


async def test_not_on_other_days(
    service: RecognitionService, notifier: Recorder, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team(digest=False)
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    for day in (2, 15, 31):
        assert await run_at(service, notifier, clock, utc(2026, 12, day, 8, 0)) == []
    assert notifier.nothing


async def test_each_team_uses_its_own_time_zone(
    service: RecognitionService, notifier: Recorder, setup: Setup, clock: FakeClock
) -> None:
    moscow = await setup.team("Europe/Moscow")
    vladivostok = await setup.team("Asia/Vladivostok")
    await setup.thank(moscow, utc(2026, 11, 10, 9, 0), ANNA, VERA)
    await setup.thank(vladivostok, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    # 30 Nov 14:30 UTC is already 1 December in Vladivostok: not November there
    await setup.thank(vladivostok, utc(2026, 11, 30, 14, 30), ANNA, GLEB)
    await setup.thank(vladivostok, utc(2026, 11, 30, 14, 31), VERA, GLEB)

    # 01:00 UTC on the 1st: 11:00 in Vladivostok, 04:00 in Moscow
    done = await run_at(service, notifier, clock, utc(2026, 12, 1, 1, 0))
    assert done == [f"month:{vladivostok.id}:2026-11"]
    assert notifier.months == [(vladivostok.id, date(2026, 11, 1), [(BORIS.id, 1)])]

    # 07:00 UTC: 10:00 in Moscow; Vladivostok is done
    done = await run_at(service, notifier, clock, utc(2026, 12, 1, 7, 0))
    assert done == [f"month:{moscow.id}:2026-11"]
    assert notifier.months[1] == (moscow.id, date(2026, 11, 1), [(VERA.id, 1)])
    assert len(notifier.months) == 2


async def test_vladivostok_first_is_still_the_last_day_in_utc(
    service: RecognitionService, notifier: Recorder, setup: Setup, clock: FakeClock
) -> None:
    """At 01:00 UTC on 1 December it is 30 November in UTC; the team's local date decides."""
    team = await setup.team("Asia/Vladivostok")
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    done = await run_at(service, notifier, clock, utc(2026, 11, 30, 23, 59))  # 09:59 local
    assert done == []
    done = await run_at(service, notifier, clock, utc(2026, 12, 1, 0, 0))  # 10:00 local
    assert done == [f"month:{team.id}:2026-11"]


async def test_teams_without_the_bot_are_skipped(
    service: RecognitionService,
    notifier: Recorder,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    await teams.bot_removed(team.chat_id)

    assert await run_at(service, notifier, clock, utc(2026, 12, 1, 8, 0)) == []
    assert notifier.nothing

    await teams.bot_added(team.chat_id, team.title)
    assert await run_at(service, notifier, clock, utc(2026, 12, 1, 9, 0)) == [
        f"month:{team.id}:2026-11"
    ]


async def test_failed_delivery_is_retried(
    service: RecognitionService,
    notifier: Recorder,
    setup: Setup,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    team = await setup.team()
    other = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)
    await setup.thank(other, utc(2026, 11, 10, 9, 0), ANNA, VERA)
    notifier.fail = {"month"}

    with caplog.at_level(logging.ERROR):
        assert await run_at(service, notifier, clock, utc(2026, 12, 1, 8, 0)) == []
    assert notifier.months == []
    assert [r.levelno for r in caplog.records].count(logging.ERROR) == 2  # both teams tried

    notifier.fail = set()
    done = await run_at(service, notifier, clock, utc(2026, 12, 1, 8, 5))
    assert done == [f"month:{team.id}:2026-11", f"month:{other.id}:2026-11"]
    assert await run_at(service, notifier, clock, utc(2026, 12, 1, 8, 10)) == []
    assert len(notifier.months) == 2


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
    notifier: Recorder,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team(birthdays=True)
    await teams.set_birthday(BORIS.id, "12-03")
    await teams.set_birthday(VERA.id, "12-04")

    assert await run_at(service, notifier, clock, utc(2026, 12, 3, 6, 59)) == []  # 09:59 MSK
    done = await run_at(service, notifier, clock, utc(2026, 12, 3, 7, 0))
    assert done == [f"birthday:{team.id}:{BORIS.id}"]
    assert notifier.birthdays == [(team.id, BORIS.id)]
    assert await run_at(service, notifier, clock, utc(2026, 12, 3, 15, 0)) == []

    await run_at(service, notifier, clock, utc(2026, 12, 4, 7, 0))
    assert notifier.birthdays == [(team.id, BORIS.id), (team.id, VERA.id)]

    await run_at(service, notifier, clock, utc(2027, 12, 3, 7, 0))  # a year later
    assert notifier.birthdays[-1] == (team.id, BORIS.id)
    assert len(notifier.birthdays) == 3


async def test_birthday_only_for_current_members(
    service: RecognitionService,
    notifier: Recorder,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team(birthdays=True)
    other = await setup.team(birthdays=True)
    await teams.set_birthday(BORIS.id, "12-03")
    await teams.set_birthday(VERA.id, "12-03")
    await teams.leave(team, VERA.id)

    await run_at(service, notifier, clock, utc(2026, 12, 3, 7, 0))

    assert sorted(notifier.birthdays) == [
        (team.id, BORIS.id),
        (other.id, BORIS.id),
        (other.id, VERA.id),
    ]


async def test_leap_day_birthday_on_28_february_in_other_years(
    service: RecognitionService,
    notifier: Recorder,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team(birthdays=True, digest=False)
    await teams.set_birthday(BORIS.id, "02-29")
    await teams.set_birthday(VERA.id, "02-28")

    await run_at(service, notifier, clock, utc(2027, 2, 28, 7, 0))
    assert sorted(notifier.birthdays) == [(team.id, BORIS.id), (team.id, VERA.id)]
    await run_at(service, notifier, clock, utc(2027, 3, 1, 7, 0))
    assert len(notifier.birthdays) == 2

    notifier.birthdays.clear()
    await run_at(service, notifier, clock, utc(2028, 2, 28, 7, 0))  # 2028 is a leap year
    assert notifier.birthdays == [(team.id, VERA.id)]
    await run_at(service, notifier, clock, utc(2028, 2, 29, 7, 0))
    assert notifier.birthdays == [(team.id, VERA.id), (team.id, BORIS.id)]


async def test_birthdays_off_no_greetings(
    service: RecognitionService,
    notifier: Recorder,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    await setup.team(birthdays=False)
    await teams.set_birthday(BORIS.id, "12-03")
    assert await run_at(service, notifier, clock, utc(2026, 12, 3, 7, 0)) == []
    assert notifier.birthdays == []


async def test_failed_birthday_greeting_is_retried(
    service: RecognitionService,
    notifier: Recorder,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team(birthdays=True)
    await teams.set_birthday(BORIS.id, "12-03")
    notifier.fail = {"birthday"}
    assert await run_at(service, notifier, clock, utc(2026, 12, 3, 7, 0)) == []
    notifier.fail = set()
    done = await run_at(service, notifier, clock, utc(2026, 12, 3, 7, 5))
    assert done == [f"birthday:{team.id}:{BORIS.id}"]
    assert notifier.birthdays == [(team.id, BORIS.id)]


# --- the weekly digest ------------------------------------------------------------------------


async def test_digest_on_monday_once_per_week(
    service: RecognitionService,
    notifier: Recorder,
    setup: Setup,
    teams: TeamsService,
    clock: FakeClock,
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)  # the week before
    await setup.thank(team, utc(2026, 11, 15, 21, 0), ANNA, DINA, quality="honesty")  # Mon 00:00
    await setup.thank(team, utc(2026, 11, 17, 9, 0), ANNA, BORIS, VERA, quality="teamwork")
    await setup.thank(team, utc(2026, 11, 20, 9, 0), BORIS, GLEB, quality="honesty")
    await setup.thank(team, utc(2026, 11, 21, 9, 0), BORIS, ANNA)
    await teams.leave(team, GLEB.id)  # a newcomer who left is not named

    assert await run_at(service, notifier, clock, utc(2026, 11, 22, 8, 0)) == []  # Sunday
    assert await run_at(service, notifier, clock, utc(2026, 11, 23, 6, 59)) == []  # Mon 09:59
    done = await run_at(service, notifier, clock, utc(2026, 11, 23, 7, 0))

    assert done == [f"digest:{team.id}:2026-W48"]
    [(team_id, digest)] = notifier.digests
    assert team_id == team.id
    assert digest.since == datetime(2026, 11, 16, tzinfo=MSK)
    assert digest.until == datetime(2026, 11, 23, tzinfo=MSK)
    assert digest.total == 5
    assert digest.qualities == [Count("honesty", 2), Count("teamwork", 2), Count("empathy", 1)]
    assert [m.user_id for m in digest.newcomers] == [DINA.id, VERA.id, ANNA.id]
    assert digest.newcomers[0].first_name == "Dina"

    assert await run_at(service, notifier, clock, utc(2026, 11, 23, 18, 0)) == []
    assert await run_at(service, notifier, clock, utc(2026, 11, 24, 7, 0)) == []  # Tuesday
    assert len(notifier.digests) == 1

    await setup.thank(team, utc(2026, 11, 25, 9, 0), ANNA, BORIS)
    done = await run_at(service, notifier, clock, utc(2026, 11, 30, 7, 0))
    assert done == [f"digest:{team.id}:2026-W49"]
    assert notifier.digests[1][1].total == 1
    assert notifier.digests[1][1].newcomers == []


async def test_digest_off_no_digest(
    service: RecognitionService, notifier: Recorder, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team(digest=False)
    await setup.thank(team, utc(2026, 11, 17, 9, 0), ANNA, BORIS)
    assert await run_at(service, notifier, clock, utc(2026, 11, 23, 7, 0)) == []
    assert notifier.digests == []


async def test_failed_digest_is_retried(
    service: RecognitionService, notifier: Recorder, setup: Setup, clock: FakeClock
) -> None:
    team = await setup.team()
    await setup.thank(team, utc(2026, 11, 17, 9, 0), ANNA, BORIS)
    notifier.fail = {"digest"}
    assert await run_at(service, notifier, clock, utc(2026, 11, 23, 7, 0)) == []
    notifier.fail = set()
    done = await run_at(service, notifier, clock, utc(2026, 11, 23, 7, 5))
    assert done == [f"digest:{team.id}:2026-W48"]
    assert len(notifier.digests) == 1


async def test_digest_in_the_team_time_zone(
    service: RecognitionService, notifier: Recorder, setup: Setup, clock: FakeClock
) -> None:
    """Kiritimati is UTC+14: Monday 10:00 there is Sunday 20:00 UTC."""
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    team = await setup.team("Pacific/Kiritimati")
    await setup.thank(team, utc(2026, 11, 17, 9, 0), ANNA, BORIS)
    assert await run_at(service, notifier, clock, utc(2026, 11, 22, 19, 59)) == []
    done = await run_at(service, notifier, clock, utc(2026, 11, 22, 20, 0))
    assert done == [f"digest:{team.id}:2026-W48"]
    digest = notifier.digests[0][1]
    assert digest.since == datetime(2026, 11, 16, tzinfo=kiritimati)
    assert digest.until == datetime(2026, 11, 23, tzinfo=kiritimati)
    assert digest.total == 1
    # Monday 10:00 UTC is already Monday evening there: nothing more this week
    assert await run_at(service, notifier, clock, utc(2026, 11, 23, 10, 0)) == []


# --- everything at once, with the default settings ------------------------------------------


async def test_default_team_on_a_monday_the_first(
    service: RecognitionService,
    notifier: Recorder,
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

    done = await run_at(service, notifier, clock, utc(2027, 2, 1, 7, 0))

    assert done == [
        f"month:{team.id}:2027-01",
        f"birthday:{team.id}:{VERA.id}",
        f"digest:{team.id}:2027-W05",
    ]
    assert notifier.months == [(team.id, date(2027, 1, 1), [(BORIS.id, 1)])]
    assert notifier.birthdays == [(team.id, VERA.id)]
    assert [d.total for _, d in notifier.digests] == [1]
