"""KudosService over a real SQLite database: giving, budget, duplicates, undo, boards, export;
the messages it owes as delivery-ledger rows (DMs, announcements, edits after an undo or a
change); the pure helpers (windows, places, #tags); UsersService.forget keeping kudos
anonymous."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.services.deliveries import Ledger, NotYet
from bot.services.errors import DomainError, NotFound
from bot.services.kudos import (
    KIND_ANNOUNCE,
    KIND_DM,
    KIND_EDIT,
    Given,
    KudosService,
    Period,
    dense_places,
    local_day,
    match_quality,
    month_bounds,
    normalize_reason,
    period_start,
)
from bot.services.teams import PortraitQuality, Team, TeamsService
from bot.services.users import Person, UsersService
from content import Content
from storage.database import Database
from storage.repo import deliveries as ledger_repo
from storage.repo import teams as teams_repo
from storage.repo.deliveries import DeliveryRow, Outcome
from storage.repo.kudos import Count
from storage.schema import deliveries
from tests.clock import FakeClock

MSK = ZoneInfo("Europe/Moscow")
VLAT = ZoneInfo("Asia/Vladivostok")
CHAT = -1001
OTHER_CHAT = -1002

ANNA = Person(1, "Anna", username="anna")
BORIS = Person(2, "Boris", username="boris")
VERA = Person(3, "Vera")
GLEB = Person(4, "Gleb")
DINA = Person(5, "Dina")
EGOR = Person(6, "Egor")
ZHENYA = Person(7, "Zhenya")
MEMBERS = (ANNA, BORIS, VERA, GLEB, DINA, EGOR, ZHENYA)
OUTSIDER = Person(9, "Olga")


@pytest.fixture
def teams(db: Database, content: Content, clock: FakeClock) -> TeamsService:
    return TeamsService(db, content, clock, "Europe/Moscow")


@pytest.fixture
def ledger(db: Database, clock: FakeClock) -> Ledger:
    return Ledger(db, clock)


@pytest.fixture
def kudos(db: Database, teams: TeamsService, clock: FakeClock, ledger: Ledger) -> KudosService:
    return KudosService(db, teams, clock, ledger)


@pytest.fixture
def users(db: Database, clock: FakeClock) -> UsersService:
    return UsersService(db, clock)


@pytest.fixture
async def team(teams: TeamsService, users: UsersService) -> Team:
    team, _ = await teams.bot_added(CHAT, "Support")
    for person in MEMBERS:
        await teams.join(team, person)
    await users.started(OUTSIDER)
    return team


@pytest.fixture
async def other(teams: TeamsService) -> Team:
    other, _ = await teams.bot_added(OTHER_CHAT, "Second line")
    for person in (ANNA, BORIS):
        await teams.join(other, person)
    return other


class Thanker:
    """Gives kudos at a given moment with a reason unique to that moment."""

    def __init__(self, kudos: KudosService, clock: FakeClock) -> None:
        self._kudos = kudos
        self._clock = clock
        self._n = 0

    async def __call__(
        self,
        team: Team,
        at: datetime,
        giver: Person,
        *receivers: Person,
        quality: str = "empathy",
        reason: str | None = None,
    ) -> Given:
        self._clock.set(at)
        self._n += 1
        return await self._kudos.give(
            team,
            giver.id,
            [r.id for r in receivers],
            quality,
            reason or f"спасибо за случай номер {self._n}",
        )


@pytest.fixture
def thank(kudos: KudosService, clock: FakeClock) -> Thanker:
    return Thanker(kudos, clock)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


async def refused(key: str, awaitable: object) -> DomainError:
    """Await and expect a DomainError with ``key`` (not a NotFound)."""
    with pytest.raises(DomainError) as caught:
        await awaitable  # type: ignore[misc]
    assert type(caught.value) is DomainError
    assert caught.value.key == key
    return caught.value


async def ledger_rows(db: Database, kind: str | None = None) -> list[DeliveryRow]:
    """The ledger's rows (of ``kind``), in the order they were queued."""
    stmt = select(deliveries.c.key).order_by(deliveries.c.id)
    if kind is not None:
        stmt = stmt.where(deliveries.c.kind == kind)
    async with db.read() as conn:
        keys = list((await conn.execute(stmt)).scalars())
        rows = await ledger_repo.by_keys(conn, keys)
    return sorted(rows, key=lambda r: r.id)


async def ledger_row(db: Database, key: str) -> DeliveryRow:
    async with db.read() as conn:
        found = await ledger_repo.by_key(conn, key)
    assert found is not None, key
    return found


async def mark_sent(db: Database, clock: FakeClock, key: str, message_id: int) -> DeliveryRow:
    """What the drainer records once Telegram accepted the row's message."""
    row = await ledger_row(db, key)
    async with db.transaction() as conn:
        await ledger_repo.finish(
            conn,
            [
                Outcome(
                    row.id,
                    ledger_repo.SENT,
                    clock.now(),
                    message_id=message_id,
                    sent_chat_id=row.chat_id,
                )
            ],
        )
    return await ledger_row(db, key)


def dm(given: Given, receiver: Person) -> str:
    return f"kudos-dm:{given.batch}:{receiver.id}"


# --- giving ---------------------------------------------------------------------------------


async def test_give_records_one_kudos_per_receiver(
    kudos: KudosService, team: Team, clock: FakeClock
) -> None:
    given = await kudos.give(
        team,
        ANNA.id,
        [BORIS.id, VERA.id, BORIS.id],
        "empathy",
        "  выручили\n с   трудным   клиентом ",
        chat_id=CHAT,
        message_id=77,
    )

    assert given.duplicates == []
    assert (given.remaining, given.budget) == (3, 5)
    assert [k.receiver_id for k in given.kudos] == [BORIS.id, VERA.id]
    for row in given.kudos:
        assert (row.team_id, row.giver_id, row.quality_id) == (team.id, ANNA.id, "empathy")
        assert row.reason == "выручили с трудным клиентом"
        assert row.created_at == clock.now()
        assert (row.chat_id, row.message_id) == (CHAT, 77)
        assert await kudos.get(row.id) == row
    assert await kudos.remaining(team, ANNA.id) == 3
    assert (await kudos.board(team, Period.ALL)).total == 2


async def test_give_refuses_self(kudos: KudosService, team: Team) -> None:
    await refused("kudos.self", kudos.give(team, ANNA.id, [ANNA.id], "empathy", "молодец я"))
    await refused(
        "kudos.self", kudos.give(team, ANNA.id, [BORIS.id, ANNA.id], "empathy", "мы молодцы")
    )
    assert (await kudos.board(team, Period.ALL)).total == 0
    assert await kudos.remaining(team, ANNA.id) == 5


async def test_give_refuses_non_members(
    kudos: KudosService, teams: TeamsService, team: Team
) -> None:
    await refused(
        "kudos.giver_not_member", kudos.give(team, OUTSIDER.id, [BORIS.id], "empathy", "спасибо")
    )
    # one receiver outside the team: nobody is thanked
    await refused(
        "kudos.receiver_not_member",
        kudos.give(team, ANNA.id, [BORIS.id, OUTSIDER.id], "empathy", "спасибо"),
    )
    await teams.leave(team, VERA.id)
    await refused(
        "kudos.receiver_not_member", kudos.give(team, ANNA.id, [VERA.id], "empathy", "спасибо")
    )
    await refused(
        "kudos.giver_not_member", kudos.give(team, VERA.id, [BORIS.id], "empathy", "спасибо")
    )
    assert (await kudos.board(team, Period.ALL)).total == 0


async def test_give_refuses_no_receiver(kudos: KudosService, team: Team) -> None:
    await refused("kudos.no_receiver", kudos.give(team, ANNA.id, [], "empathy", "спасибо"))


async def test_members_of_another_team_are_not_members_here(
    kudos: KudosService, team: Team, teams: TeamsService
) -> None:
    third, _ = await teams.bot_added(-1003, "Third")
    await teams.join(third, OUTSIDER)
    await refused(
        "kudos.receiver_not_member",
        kudos.give(team, ANNA.id, [OUTSIDER.id], "empathy", "спасибо"),
    )


@pytest.mark.parametrize(
    ("reason", "key"),
    [
        ("ab", "kudos.reason_short"),
        ("  a \n ", "kudos.reason_short"),
        ("я" * 501, "kudos.reason_long"),
    ],
)
async def test_give_reason_limits(kudos: KudosService, team: Team, reason: str, key: str) -> None:
    await refused(key, kudos.give(team, ANNA.id, [BORIS.id], "empathy", reason))
    assert (await kudos.board(team, Period.ALL)).total == 0


async def test_give_reason_limits_after_trimming(kudos: KudosService, team: Team) -> None:
    short = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "   a \t b   ")
    assert short.kudos[0].reason == "a b"
    text = "я" * 250 + "  \n  " + "ю" * 249  # 500 once the spaces collapse to one
    long = await kudos.give(team, ANNA.id, [VERA.id], "empathy", text)
    assert len(long.kudos[0].reason) == 500
    error = await refused(
        "kudos.reason_long", kudos.give(team, ANNA.id, [GLEB.id], "empathy", "я" * 501)
    )
    assert error.values == {"n": 500, "length": 501}


async def test_check_reason(kudos: KudosService) -> None:
    assert await kudos.check_reason("  спасибо \n\n  большое ") == "спасибо большое"
    error = await refused("kudos.reason_short", kudos.check_reason(" о "))
    assert error.values == {"n": 3}


async def test_give_quality_must_be_enabled_in_the_portrait(
    kudos: KudosService, teams: TeamsService, team: Team, other: Team
) -> None:
    # motivation is off by default
    await refused(
        "kudos.bad_quality", kudos.give(team, ANNA.id, [BORIS.id], "career_growth", "ура")
    )
    await refused("kudos.bad_quality", kudos.give(team, ANNA.id, [BORIS.id], "no_such", "ура"))
    # switched off by the team
    await teams.toggle(team, "empathy")
    await refused("kudos.bad_quality", kudos.give(team, ANNA.id, [BORIS.id], "empathy", "ура"))
    # another team's own skill
    await teams.add_custom(other, "Знание 1С", "Разбирается в конфигурациях")
    await refused("kudos.bad_quality", kudos.give(team, ANNA.id, [BORIS.id], "c_1", "ура"))
    assert (await kudos.board(team, Period.ALL)).total == 0

    # switched on, and the team's own skill, are fine
    await teams.toggle(team, "career_growth")
    await teams.add_custom(team, "Английский", "Отвечает клиентам на английском")
    given = await kudos.give(team, ANNA.id, [BORIS.id], "career_growth", "растёт на глазах")
    assert given.kudos[0].quality_id == "career_growth"
    given = await kudos.give(team, ANNA.id, [BORIS.id], "c_1", "ответил по-английски")
    assert given.kudos[0].quality_id == "c_1"


# --- the daily budget -------------------------------------------------------------------------


async def test_budget_five_a_day(
    kudos: KudosService, team: Team, other: Team, thank: Thanker
) -> None:
    at = utc(2026, 11, 24, 8, 0)
    for n in range(5):
        given = await thank(team, at + timedelta(minutes=n), ANNA, BORIS)
        assert given.remaining == 4 - n
    error = await refused("kudos.budget", thank(team, at + timedelta(minutes=6), ANNA, VERA))
    assert error.values == {"budget": 5, "left": 0}
    assert await kudos.remaining(team, ANNA.id) == 0
    assert (await kudos.board(team, Period.ALL)).total == 5

    # per giver and per team
    assert (await thank(team, at + timedelta(minutes=7), BORIS, ANNA)).remaining == 4
    assert (await thank(other, at + timedelta(minutes=8), ANNA, BORIS)).remaining == 4


async def test_budget_is_all_or_nothing_for_several_receivers(
    kudos: KudosService, team: Team, thank: Thanker
) -> None:
    at = utc(2026, 11, 24, 8, 0)
    await thank(team, at, ANNA, BORIS, VERA, GLEB)  # 3 spent, 2 left

    error = await refused("kudos.budget", thank(team, at, ANNA, DINA, EGOR, ZHENYA))
    assert error.values == {"budget": 5, "left": 2}
    assert await kudos.remaining(team, ANNA.id) == 2
    assert (await kudos.board(team, Period.ALL)).total == 3

    given = await thank(team, at, ANNA, DINA, EGOR)
    assert (len(given.kudos), given.remaining) == (2, 0)


async def test_budget_follows_the_team_setting(
    kudos: KudosService, teams: TeamsService, team: Team, thank: Thanker
) -> None:
    team = await teams.set_budget(team, 2)
    at = utc(2026, 11, 24, 8, 0)
    given = await thank(team, at, ANNA, BORIS, VERA)
    assert (given.remaining, given.budget) == (0, 2)
    await refused("kudos.budget", thank(team, at, ANNA, GLEB))


async def test_budget_resets_at_local_midnight(
    kudos: KudosService, teams: TeamsService, team: Team, thank: Thanker
) -> None:
    """Vladivostok is UTC+10: 13:00 UTC is 23:00 there, 14:30 UTC is 00:30 the next day."""
    team = await teams.set_timezone(team, "Asia/Vladivostok")
    evening = utc(2026, 11, 23, 13, 0)
    for n in range(5):
        await thank(team, evening + timedelta(minutes=n), ANNA, BORIS)
    await refused("kudos.budget", thank(team, evening + timedelta(minutes=30), ANNA, BORIS))

    after_midnight = utc(2026, 11, 23, 14, 30)  # the same UTC day, the next local day
    given = await thank(team, after_midnight, ANNA, BORIS)
    assert given.remaining == 4
    assert await kudos.remaining(team, ANNA.id) == 4


async def test_budget_day_is_local_not_utc(
    kudos: KudosService, teams: TeamsService, team: Team, thank: Thanker
) -> None:
    team = await teams.set_timezone(team, "Asia/Vladivostok")
    # 02:00 and 23:00 on 23 November in Vladivostok: two UTC days, one local day
    for _ in range(3):
        await thank(team, utc(2026, 11, 22, 16, 0), ANNA, BORIS)
    clock_late = utc(2026, 11, 23, 13, 0)
    assert (await thank(team, clock_late, ANNA, BORIS, VERA)).remaining == 0
    await refused("kudos.budget", thank(team, clock_late, ANNA, GLEB))
    assert await kudos.remaining(team, ANNA.id) == 0


def test_local_day() -> None:
    moment = utc(2026, 11, 23, 15, 0)
    assert local_day(moment, "Asia/Vladivostok") == date(2026, 11, 24)
    assert local_day(moment, "Europe/Moscow") == date(2026, 11, 23)
    assert local_day(utc(2026, 11, 23, 2, 0), "America/New_York") == date(2026, 11, 22)


def test_normalize_reason() -> None:
    assert normalize_reason("  a\t\tb \n c  ") == "a b c"
    assert normalize_reason("   ") == ""


# --- the messages a kudos owes: ledger rows written with it ------------------------------------


async def test_give_queues_one_dm_per_receiver(
    kudos: KudosService, users: UsersService, team: Team, db: Database
) -> None:
    await users.started(BORIS)
    await users.started(GLEB)
    await users.blocked(GLEB.id)  # started, then blocked the bot
    # Vera never started the bot

    given = await kudos.give(
        team, ANNA.id, [BORIS.id, VERA.id, GLEB.id], "empathy", "выручили", chat_id=CHAT
    )

    assert given.batch is not None
    rows = await ledger_rows(db)
    assert [r.key for r in rows] == [dm(given, p) for p in (BORIS, VERA, GLEB)]
    for row, item in zip(rows, given.kudos, strict=True):
        assert row.kind == KIND_DM
        assert row.chat_id == row.user_id == item.receiver_id
        assert row.payload == {"kudos": item.id}
        assert row.message_id is None
    assert [r.state for r in rows] == [
        ledger_repo.PENDING,  # reachable: the drainer sends it
        ledger_repo.UNREACHABLE,  # never started: waits until they do, nothing tried now
        ledger_repo.UNREACHABLE,  # blocked
    ]
    # given in the team chat: the chat saw it there, no announcement
    assert await ledger_rows(db, KIND_ANNOUNCE) == []


async def test_given_in_private_is_announced_in_the_team_chat_once(
    kudos: KudosService, teams: TeamsService, team: Team, db: Database
) -> None:
    given = await kudos.give(team, ANNA.id, [BORIS.id, VERA.id], "empathy", "выручили")
    in_dm = await kudos.give(team, ANNA.id, [GLEB.id], "empathy", "подменил", chat_id=ANNA.id)

    announcements = await ledger_rows(db, KIND_ANNOUNCE)
    assert [r.key for r in announcements] == [
        f"kudos-ann:{given.batch}",
        f"kudos-ann:{in_dm.batch}",
    ]
    first = announcements[0]
    assert (first.chat_id, first.user_id, first.state) == (CHAT, None, ledger_repo.PENDING)
    assert first.payload == {"team": team.id, "kudos": [k.id for k in given.kudos]}
    assert len(await ledger_rows(db, KIND_DM)) == 3

    # the team switched announcements off: DMs only
    team = await teams.set_flag(team, "announce", False)
    quiet = await kudos.give(team, ANNA.id, [DINA.id], "empathy", "помогла с отчётом")
    assert len(await ledger_rows(db, KIND_ANNOUNCE)) == 2
    assert (await ledger_rows(db, KIND_DM))[-1].key == dm(quiet, DINA)


async def test_a_duplicate_queues_nothing_more(
    kudos: KudosService, team: Team, db: Database
) -> None:
    first = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    again = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")

    assert (again.kudos, again.duplicates, again.batch) == ([], first.kudos, None)
    assert [r.key for r in await ledger_rows(db)] == [dm(first, BORIS), f"kudos-ann:{first.batch}"]


async def test_a_refused_kudos_queues_nothing(
    kudos: KudosService, teams: TeamsService, team: Team, db: Database
) -> None:
    team = await teams.set_budget(team, 1)
    await refused("kudos.budget", kudos.give(team, ANNA.id, [BORIS.id, VERA.id], "empathy", "ура"))
    await refused(
        "kudos.receiver_not_member",
        kudos.give(team, ANNA.id, [BORIS.id, OUTSIDER.id], "empathy", "спасибо"),
    )
    await refused("kudos.self", kudos.give(team, ANNA.id, [ANNA.id], "empathy", "молодец я"))
    assert await ledger_rows(db) == []


# --- duplicates -------------------------------------------------------------------------------


async def test_same_kudos_on_the_same_day_is_a_duplicate(
    kudos: KudosService, team: Team, clock: FakeClock
) -> None:
    clock.set(utc(2026, 11, 24, 8, 0))
    first = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    clock.advance(timedelta(hours=3))
    again = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "  выручил   с клиентом ")

    assert again.kudos == []
    assert again.duplicates == first.kudos
    assert again.remaining == 4  # no budget spent
    assert await kudos.remaining(team, ANNA.id) == 4
    assert (await kudos.board(team, Period.ALL)).total == 1


async def test_duplicate_among_several_receivers(
    kudos: KudosService, team: Team, clock: FakeClock
) -> None:
    clock.set(utc(2026, 11, 24, 8, 0))
    first = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручили с клиентом")
    given = await kudos.give(team, ANNA.id, [BORIS.id, VERA.id], "empathy", "выручили с клиентом")

    assert [k.receiver_id for k in given.kudos] == [VERA.id]
    assert given.duplicates == first.kudos
    assert given.remaining == 3
    assert (await kudos.board(team, Period.ALL)).total == 2


async def test_duplicate_when_the_budget_is_spent(
    kudos: KudosService, team: Team, thank: Thanker
) -> None:
    at = utc(2026, 11, 24, 8, 0)
    first = await thank(team, at, ANNA, BORIS, reason="одно и то же")
    for _ in range(4):
        await thank(team, at, ANNA, VERA)
    again = await thank(team, at, ANNA, BORIS, reason="одно и то же")
    assert (again.kudos, again.duplicates, again.remaining) == ([], first.kudos, 0)


async def test_same_kudos_on_another_day_is_recorded(
    kudos: KudosService, team: Team, clock: FakeClock
) -> None:
    clock.set(utc(2026, 11, 24, 8, 0))
    await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    clock.advance(timedelta(days=1))
    again = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    assert len(again.kudos) == 1
    assert again.duplicates == []
    assert (await kudos.board(team, Period.ALL)).total == 2


async def test_same_reason_other_giver_or_receiver_is_not_a_duplicate(
    kudos: KudosService, team: Team
) -> None:
    await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    assert len((await kudos.give(team, VERA.id, [BORIS.id], "empathy", "выручил с клиентом")).kudos)
    assert len((await kudos.give(team, ANNA.id, [GLEB.id], "empathy", "выручил с клиентом")).kudos)
    assert (await kudos.board(team, Period.ALL)).total == 3


# --- undo and change ----------------------------------------------------------------------


async def test_undo_removes_the_batch_and_restores_the_budget(
    kudos: KudosService, team: Team, clock: FakeClock, db: Database
) -> None:
    start = utc(2026, 11, 24, 8, 0)
    clock.set(start)
    batch = await kudos.give(team, ANNA.id, [BORIS.id, VERA.id], "empathy", "вместе разобрали")
    clock.advance(timedelta(minutes=1))
    single = await kudos.give(team, ANNA.id, [GLEB.id], "teamwork", "подменил на смене")
    assert await kudos.remaining(team, ANNA.id) == 2

    clock.set(start + timedelta(minutes=9, seconds=59))
    undone = await kudos.undo(batch.kudos[1].id, ANNA.id)

    assert sorted(k.id for k in undone) == sorted(k.id for k in batch.kudos)
    for row in batch.kudos:
        assert await kudos.get(row.id) is None
    assert await kudos.get(single.kudos[0].id) == single.kudos[0]
    assert await kudos.remaining(team, ANNA.id) == 4
    assert (await kudos.board(team, Period.ALL)).total == 1
    with pytest.raises(NotFound):
        await kudos.undo(batch.kudos[0].id, ANNA.id)  # already gone

    # given again after the undo, it is a new kudos, not a duplicate, and its DM is a new
    # row (not the cancelled one of the undone kudos, whose id SQLite may hand out again)
    again = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "вместе разобрали")
    assert (len(again.kudos), again.duplicates) == (1, [])
    assert again.batch not in (None, batch.batch)
    fresh = await ledger_row(db, dm(again, BORIS))
    assert fresh.state == ledger_repo.UNREACHABLE  # Boris never started the bot
    assert fresh.payload == {"kudos": again.kudos[0].id}
    assert (await ledger_row(db, dm(batch, BORIS))).state == ledger_repo.CANCELLED


async def test_undo_only_by_the_giver(kudos: KudosService, team: Team) -> None:
    given = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    for other_user in (BORIS.id, VERA.id, OUTSIDER.id):
        await refused("kudos.not_yours", kudos.undo(given.kudos[0].id, other_user))
    with pytest.raises(NotFound):
        await kudos.undo(987654, ANNA.id)
    assert await kudos.get(given.kudos[0].id) == given.kudos[0]


async def test_undo_expires_after_ten_minutes(
    kudos: KudosService, team: Team, clock: FakeClock
) -> None:
    given = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    clock.advance(timedelta(minutes=10, seconds=1))
    error = await refused("kudos.undo_expired", kudos.undo(given.kudos[0].id, ANNA.id))
    assert error.values == {"minutes": 10}
    assert await kudos.get(given.kudos[0].id) == given.kudos[0]
    assert await kudos.remaining(team, ANNA.id) == 4


async def test_change_quality_of_the_batch(
    kudos: KudosService, teams: TeamsService, team: Team, other: Team, clock: FakeClock
) -> None:
    batch = await kudos.give(team, ANNA.id, [BORIS.id, VERA.id], "empathy", "вместе разобрали")
    kept = await kudos.give(team, ANNA.id, [GLEB.id], "empathy", "подменил на смене")
    clock.advance(timedelta(minutes=5))

    updated = await kudos.change_quality(batch.kudos[0].id, ANNA.id, "teamwork")

    assert updated.quality_id == "teamwork"
    assert updated.reason == "вместе разобрали"
    for row in batch.kudos:
        stored = await kudos.get(row.id)
        assert stored is not None
        assert stored.quality_id == "teamwork"
    stored = await kudos.get(kept.kudos[0].id)
    assert stored is not None
    assert stored.quality_id == "empathy"


async def test_change_quality_rules(
    kudos: KudosService, teams: TeamsService, team: Team, other: Team, clock: FakeClock
) -> None:
    await teams.add_custom(other, "Знание 1С", "Разбирается в конфигурациях")
    given = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    kudos_id = given.kudos[0].id

    await refused("kudos.not_yours", kudos.change_quality(kudos_id, BORIS.id, "teamwork"))
    await refused("kudos.bad_quality", kudos.change_quality(kudos_id, ANNA.id, "career_growth"))
    await refused("kudos.bad_quality", kudos.change_quality(kudos_id, ANNA.id, "c_1"))
    await refused("kudos.bad_quality", kudos.change_quality(kudos_id, ANNA.id, "nonsense"))
    clock.advance(timedelta(minutes=11))
    await refused("kudos.undo_expired", kudos.change_quality(kudos_id, ANNA.id, "teamwork"))

    stored = await kudos.get(kudos_id)
    assert stored is not None
    assert stored.quality_id == "empathy"


async def test_undo_cancels_what_waits_and_withdraws_what_was_sent(
    kudos: KudosService, users: UsersService, team: Team, db: Database, clock: FakeClock
) -> None:
    await users.started(BORIS)
    await users.started(VERA)
    given = await kudos.give(team, ANNA.id, [BORIS.id, VERA.id, GLEB.id], "empathy", "выручили")
    announcement = f"kudos-ann:{given.batch}"
    sent_dm = await mark_sent(db, clock, dm(given, BORIS), message_id=501)
    await mark_sent(db, clock, announcement, message_id=900)
    clock.advance(timedelta(minutes=3))

    await kudos.undo(given.kudos[0].id, ANNA.id)

    # not sent yet: never sent (Vera's was pending, Gleb's waited for him to start the bot)
    assert (await ledger_row(db, dm(given, VERA))).state == ledger_repo.CANCELLED
    assert (await ledger_row(db, dm(given, GLEB))).state == ledger_repo.CANCELLED
    # sent: stays sent, and its message is edited to say the kudos was taken back
    assert await ledger_row(db, dm(given, BORIS)) == sent_dm
    edits = {e.key: e for e in await ledger_rows(db, KIND_EDIT)}
    assert sorted(edits) == sorted([f"edit:{dm(given, BORIS)}", f"edit:{announcement}"])
    ids = [k.id for k in given.kudos]
    personal, public = edits[f"edit:{dm(given, BORIS)}"], edits[f"edit:{announcement}"]
    assert (personal.chat_id, personal.user_id, personal.state) == (
        BORIS.id,
        BORIS.id,
        ledger_repo.PENDING,
    )
    assert personal.payload == {
        "target": dm(given, BORIS),
        "withdrawn": True,
        "giver": ANNA.id,
        "team": team.id,
        "kudos": ids,
    }
    assert (public.chat_id, public.state) == (CHAT, ledger_repo.PENDING)
    assert public.payload["target"] == announcement
    assert public.payload["withdrawn"] is True


async def test_undo_of_nothing_sent_cancels_everything_and_edits_nothing(
    kudos: KudosService, users: UsersService, team: Team, db: Database
) -> None:
    await users.started(BORIS)
    given = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    await kudos.undo(given.kudos[0].id, ANNA.id)
    rows = await ledger_rows(db)
    assert {r.key: r.state for r in rows} == {
        dm(given, BORIS): ledger_repo.CANCELLED,
        f"kudos-ann:{given.batch}": ledger_repo.CANCELLED,
    }


async def test_change_quality_edits_the_sent_dm(
    kudos: KudosService, users: UsersService, team: Team, db: Database, clock: FakeClock
) -> None:
    await users.started(BORIS)
    await users.started(VERA)
    given = await kudos.give(
        team, ANNA.id, [BORIS.id, VERA.id], "empathy", "вместе разобрали", chat_id=CHAT
    )
    sent = await mark_sent(db, clock, dm(given, BORIS), message_id=501)
    clock.advance(timedelta(minutes=2))

    await kudos.change_quality(given.kudos[1].id, ANNA.id, "teamwork")

    [edit] = await ledger_rows(db, KIND_EDIT)
    assert edit.key == f"edit:{dm(given, BORIS)}"
    assert (edit.chat_id, edit.user_id, edit.state) == (BORIS.id, BORIS.id, ledger_repo.PENDING)
    assert edit.payload == {
        "target": dm(given, BORIS),
        "withdrawn": False,
        "giver": ANNA.id,
        "team": team.id,
        "kudos": [k.id for k in given.kudos],
    }
    assert await ledger_row(db, dm(given, BORIS)) == sent
    # not sent yet: still pending, it renders the new quality when it goes out
    assert (await ledger_row(db, dm(given, VERA))).state == ledger_repo.PENDING

    # the edit went out; an undo within the window queues the same edit again, withdrawn
    await mark_sent(db, clock, edit.key, message_id=501)
    clock.advance(timedelta(minutes=2))
    await kudos.undo(given.kudos[0].id, ANNA.id)
    [again] = await ledger_rows(db, KIND_EDIT)
    assert (again.id, again.state, again.payload["withdrawn"]) == (
        edit.id,
        ledger_repo.PENDING,
        True,
    )
    assert (await ledger_row(db, dm(given, VERA))).state == ledger_repo.CANCELLED


# --- boards -----------------------------------------------------------------------------------


@pytest.fixture
async def history(team: Team, thank: Thanker, clock: FakeClock) -> Team:
    """Five kudos around the month and week boundaries of Moscow, seen on Wed 25 Nov 2026."""
    await thank(team, utc(2026, 10, 31, 20, 59), ANNA, VERA)  # 31 Oct 23:59 MSK
    await thank(team, utc(2026, 10, 31, 21, 0), ANNA, VERA)  # 1 Nov 00:00 MSK
    await thank(team, utc(2026, 11, 22, 20, 59), ANNA, BORIS, quality="teamwork")  # Sun 23:59
    await thank(team, utc(2026, 11, 22, 21, 0), ANNA, BORIS)  # Mon 23 Nov 00:00 MSK
    await thank(team, utc(2026, 11, 24, 10, 0), ANNA, GLEB, quality="teamwork")
    clock.set(utc(2026, 11, 25, 12, 0))
    return team


async def test_board_week(kudos: KudosService, history: Team) -> None:
    board = await kudos.board(history, Period.WEEK)
    assert board.period is Period.WEEK
    assert board.since == datetime(2026, 11, 23, tzinfo=MSK)
    assert board.total == 2
    assert board.receivers == [(1, BORIS.id, 1), (1, GLEB.id, 1)]
    assert board.qualities == [Count("empathy", 1), Count("teamwork", 1)]


async def test_board_month(kudos: KudosService, history: Team) -> None:
    board = await kudos.board(history, Period.MONTH)
    assert board.since == datetime(2026, 11, 1, tzinfo=MSK)
    assert board.total == 4
    assert board.receivers == [(1, BORIS.id, 2), (2, VERA.id, 1), (2, GLEB.id, 1)]
    assert board.qualities == [Count("empathy", 2), Count("teamwork", 2)]


async def test_board_all(kudos: KudosService, history: Team) -> None:
    board = await kudos.board(history, Period.ALL)
    assert board.since is None
    assert board.total == 5
    assert board.receivers == [(1, BORIS.id, 2), (1, VERA.id, 2), (2, GLEB.id, 1)]
    assert board.qualities == [Count("empathy", 3), Count("teamwork", 2)]


async def test_board_quality_filter(kudos: KudosService, history: Team) -> None:
    board = await kudos.board(history, Period.ALL, quality_id="empathy")
    assert board.receivers == [(1, VERA.id, 2), (2, BORIS.id, 1)]
    board = await kudos.board(history, Period.MONTH, quality_id="teamwork")
    assert board.receivers == [(1, BORIS.id, 1), (1, GLEB.id, 1)]
    board = await kudos.board(history, Period.ALL, quality_id="honesty")
    assert board.receivers == []


async def test_board_is_per_team(
    kudos: KudosService, history: Team, other: Team, thank: Thanker, clock: FakeClock
) -> None:
    await thank(other, utc(2026, 11, 25, 11, 0), ANNA, BORIS)
    clock.set(utc(2026, 11, 25, 12, 0))
    assert (await kudos.board(history, Period.WEEK)).total == 2
    board = await kudos.board(other, Period.ALL)
    assert (board.total, board.receivers) == (1, [(1, BORIS.id, 1)])


async def test_board_top_qualities_are_five(
    kudos: KudosService, team: Team, thank: Thanker
) -> None:
    at = utc(2026, 11, 24, 8, 0)
    plan = [
        ("empathy", 3),
        ("teamwork", 2),
        ("honesty", 2),
        ("politeness", 1),
        ("respect", 1),
        ("tidiness", 1),
    ]
    givers = iter([BORIS, VERA, GLEB, DINA, EGOR, ZHENYA, BORIS, VERA, GLEB, DINA])
    for quality, n in plan:
        for _ in range(n):
            await thank(team, at, next(givers), ANNA, quality=quality)
    board = await kudos.board(team, Period.ALL)
    assert board.qualities == [
        Count("empathy", 3),
        Count("honesty", 2),
        Count("teamwork", 2),
        Count("politeness", 1),
        Count("respect", 1),
    ]
    assert board.total == 10


def test_dense_places() -> None:
    counts = [Count(7, 5), Count(3, 5), Count(9, 3), Count(1, 3), Count(2, 1)]
    assert dense_places(counts) == [(1, 7, 5), (1, 3, 5), (2, 9, 3), (2, 1, 3), (3, 2, 1)]
    assert dense_places([Count(4, 2)]) == [(1, 4, 2)]
    assert dense_places([]) == []


def test_period_start() -> None:
    sunday_night = datetime(2026, 11, 22, 23, 30, tzinfo=MSK)
    assert period_start(Period.WEEK, sunday_night, "Europe/Moscow") == datetime(
        2026, 11, 16, tzinfo=MSK
    )
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=MSK)
    assert period_start(Period.WEEK, monday, "Europe/Moscow") == monday
    assert period_start(Period.MONTH, sunday_night, "Europe/Moscow") == datetime(
        2026, 11, 1, tzinfo=MSK
    )
    assert period_start(Period.ALL, sunday_night, "Europe/Moscow") is None
    # 15:00 UTC on 30 November is 01:00 on Tuesday 1 December in Vladivostok
    late = utc(2026, 11, 30, 15, 0)
    assert period_start(Period.MONTH, late, "Asia/Vladivostok") == datetime(
        2026, 12, 1, tzinfo=VLAT
    )
    assert period_start(Period.WEEK, late, "Asia/Vladivostok") == datetime(
        2026, 11, 30, tzinfo=VLAT
    )
    assert period_start(Period.MONTH, late, "Europe/Moscow") == datetime(2026, 11, 1, tzinfo=MSK)


def test_month_bounds() -> None:
    assert month_bounds(2026, 11, "Europe/Moscow") == (
        datetime(2026, 11, 1, tzinfo=MSK),
        datetime(2026, 12, 1, tzinfo=MSK),
    )
    start, end = month_bounds(2026, 12, "Asia/Vladivostok")
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=VLAT), datetime(2027, 1, 1, tzinfo=VLAT))
    assert start.astimezone(UTC) == utc(2026, 11, 30, 14, 0)


# --- my kudos -----------------------------------------------------------------------------


async def test_mine_counts_qualities_and_pages(
    kudos: KudosService, team: Team, other: Team, thank: Thanker
) -> None:
    at = utc(2026, 11, 24, 8, 0)
    givers = [ANNA, VERA, GLEB, DINA, EGOR, ZHENYA, ANNA]
    qualities = ["empathy", "empathy", "teamwork", "empathy", "honesty", "teamwork", "empathy"]
    for n, (giver, quality) in enumerate(zip(givers, qualities, strict=True)):
        await thank(team, at + timedelta(minutes=n), giver, BORIS, quality=quality, reason=f"r{n}x")
    await thank(team, at + timedelta(minutes=10), BORIS, ANNA, quality="honesty")
    await thank(other, at + timedelta(minutes=11), ANNA, BORIS)  # another team: not counted

    mine = await kudos.mine(team, BORIS.id)
    assert (mine.received, mine.given) == (7, 1)
    assert mine.received_by_quality == [
        Count("empathy", 4),
        Count("teamwork", 2),
        Count("honesty", 1),
    ]
    assert mine.given_by_quality == [Count("honesty", 1)]
    assert [r.reason for r in mine.last_received] == ["r6x", "r5x", "r4x", "r3x", "r2x"]
    assert [r.giver_name for r in mine.last_received] == ["Anna", "Zhenya", "Egor", "Dina", "Gleb"]
    assert {r.receiver_name for r in mine.last_received} == {"Boris"}
    assert mine.has_more is True

    page = await kudos.mine(team, BORIS.id, page=1)
    assert [r.reason for r in page.last_received] == ["r1x", "r0x"]
    assert page.has_more is False
    assert (await kudos.mine(team, BORIS.id, page=0, page_size=7)).has_more is False
    assert (await kudos.mine(team, BORIS.id, page=0, page_size=6)).has_more is True
    assert (await kudos.mine(team, BORIS.id, page=2)).last_received == []

    anna = await kudos.mine(team, ANNA.id)
    assert (anna.received, anna.given) == (1, 2)
    assert anna.given_by_quality == [Count("empathy", 2)]


async def test_mine_of_someone_without_kudos(kudos: KudosService, team: Team) -> None:
    mine = await kudos.mine(team, VERA.id)
    assert (mine.received, mine.given, mine.last_received, mine.has_more) == (0, 0, [], False)
    assert (mine.received_by_quality, mine.given_by_quality) == ([], [])


# --- month winners and digest -------------------------------------------------------------


async def test_month_winners_ties_and_details(
    kudos: KudosService, team: Team, thank: Thanker
) -> None:
    at = utc(2026, 11, 10, 8, 0)
    await thank(team, at, ANNA, BORIS, quality="teamwork", reason="закрыл смену")
    await thank(team, at + timedelta(hours=1), VERA, BORIS, reason="помог с возвратом")
    await thank(team, at, ANNA, GLEB, reason="разобрал очередь")
    await thank(team, at + timedelta(hours=2), VERA, GLEB, reason="научил новичка")
    await thank(team, at, ANNA, DINA, reason="просто молодец")

    winners = await kudos.month_winners(team, 2026, 11)

    assert [(w.user_id, w.count) for w in winners] == [(BORIS.id, 2), (GLEB.id, 2)]
    boris = winners[0]
    assert boris.qualities == [Count("empathy", 1), Count("teamwork", 1)]
    assert [r.reason for r in boris.reasons] == ["помог с возвратом", "закрыл смену"]
    assert await kudos.month_winners(team, 2026, 10) == []
    assert await kudos.month_winners(team, 2026, 12) == []


async def test_month_winners_returns_every_tie(
    kudos: KudosService, teams: TeamsService, team: Team, thank: Thanker
) -> None:
    """Six colleagues thanked once each all share first place."""
    team = await teams.set_budget(team, 10)
    await thank(team, utc(2026, 11, 10, 8, 0), ANNA, BORIS, VERA, GLEB, DINA, EGOR, ZHENYA)
    winners = await kudos.month_winners(team, 2026, 11)
    assert sorted(w.user_id for w in winners) == [p.id for p in MEMBERS[1:]]
    assert {w.count for w in winners} == {1}


async def test_month_winners_use_the_team_calendar_month(
    kudos: KudosService, teams: TeamsService, team: Team, thank: Thanker
) -> None:
    team = await teams.set_timezone(team, "Asia/Vladivostok")
    await thank(team, utc(2026, 10, 31, 13, 0), ANNA, BORIS)  # 31 Oct 23:00 in Vladivostok
    await thank(team, utc(2026, 10, 31, 15, 0), ANNA, VERA)  # 1 Nov 01:00 in Vladivostok
    await thank(team, utc(2026, 10, 31, 15, 1), GLEB, VERA)
    await thank(team, utc(2026, 11, 30, 13, 59), ANNA, GLEB)  # 30 Nov 23:59 local
    await thank(team, utc(2026, 11, 30, 14, 0), ANNA, DINA)  # 1 Dec 00:00 local

    october = await kudos.month_winners(team, 2026, 10)
    november = await kudos.month_winners(team, 2026, 11)
    december = await kudos.month_winners(team, 2026, 12)

    assert [(w.user_id, w.count) for w in october] == [(BORIS.id, 1)]
    assert [(w.user_id, w.count) for w in november] == [(VERA.id, 2)]
    assert [(w.user_id, w.count) for w in december] == [(DINA.id, 1)]


async def test_digest_counts_the_window_and_newcomers(
    kudos: KudosService, teams: TeamsService, clock: FakeClock, team: Team, thank: Thanker
) -> None:
    since = datetime(2026, 11, 16, tzinfo=MSK)
    until = datetime(2026, 11, 23, tzinfo=MSK)

    async def joined(person: Person, at: datetime) -> None:
        clock.set(at)
        await teams.leave(team, person.id)
        await teams.join(team, person)

    for person in MEMBERS:
        await joined(person, utc(2026, 11, 9, 9, 0))  # the team formed the week before
    await joined(VERA, utc(2026, 11, 15, 20, 59))  # Sun 23:59 MSK: before the window
    await joined(ZHENYA, utc(2026, 11, 15, 21, 0))  # Mon 00:00 MSK: its first moment
    await joined(GLEB, utc(2026, 11, 19, 9, 0))
    await thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS)  # before: Boris is no newcomer
    await thank(team, utc(2026, 11, 15, 20, 59), ANNA, EGOR)  # Sun 23:59 MSK: before
    await thank(team, utc(2026, 11, 15, 21, 0), ANNA, ZHENYA, quality="honesty")  # Mon 00:00
    await thank(team, utc(2026, 11, 17, 9, 0), ANNA, BORIS, VERA, quality="teamwork")
    await thank(team, utc(2026, 11, 18, 9, 0), BORIS, EGOR, quality="honesty")
    await thank(team, utc(2026, 11, 20, 9, 0), BORIS, GLEB)
    await thank(team, utc(2026, 11, 22, 21, 0), ANNA, DINA)  # Mon 23 Nov 00:00 MSK: after

    total, qualities, newcomers = await kudos.digest(team, since, until)

    assert total == 5
    assert qualities == [Count("honesty", 2), Count("teamwork", 2), Count("empathy", 1)]
    # first thanked in the window and joined in it (Vera joined a minute before it)
    assert newcomers == [ZHENYA.id, GLEB.id]


# --- export -----------------------------------------------------------------------------------


Row = tuple[datetime, str | None, str | None, str, str]


async def collect(
    kudos: KudosService, team: Team, since: datetime | None, until: datetime | None
) -> list[Row]:
    return [row async for row in kudos.export_rows(team, since, until)]


async def test_export_rows_in_order_with_names(
    kudos: KudosService, team: Team, other: Team, thank: Thanker
) -> None:
    third = utc(2026, 11, 12, 9, 0)
    first = utc(2026, 11, 10, 9, 0)
    second = utc(2026, 11, 11, 9, 0)
    await thank(team, third, GLEB, ANNA, quality="honesty", reason="честно сказал клиенту")
    await thank(team, first, ANNA, BORIS, reason="выручил с клиентом")
    await thank(team, second, BORIS, VERA, quality="teamwork", reason="подменил на смене")
    await thank(other, second, ANNA, BORIS, reason="в другой команде")

    rows = await collect(kudos, team, None, None)
    assert rows == [
        (first, "Anna (@anna)", "Boris (@boris)", "empathy", "выручил с клиентом"),
        (second, "Boris (@boris)", "Vera (id 3)", "teamwork", "подменил на смене"),
        (third, "Gleb (id 4)", "Anna (@anna)", "honesty", "честно сказал клиенту"),
    ]
    assert all(row[0].tzinfo is not None for row in rows)
    window = await collect(kudos, team, second, third)
    assert [row[4] for row in window] == ["подменил на смене"]


# --- forget me ----------------------------------------------------------------------------


async def test_forget_keeps_kudos_without_the_person(
    kudos: KudosService,
    teams: TeamsService,
    users: UsersService,
    team: Team,
    other: Team,
    thank: Thanker,
    db: Database,
) -> None:
    await users.started(ANNA)
    await teams.set_birthday(ANNA.id, "05-17")
    out = await thank(team, utc(2026, 11, 10, 9, 0), ANNA, BORIS, reason="выручил с клиентом")
    back = await thank(team, utc(2026, 11, 11, 9, 0), BORIS, ANNA, reason="помогла с отчётом")

    await users.forget(ANNA.id)

    # memberships end
    assert await teams.teams_of(ANNA.id) == []
    assert await teams.member(team, ANNA.id) is None
    assert await teams.member(other, ANNA.id) is None
    assert ANNA.id not in [m.user_id for m in await teams.members(team)]
    assert await teams.current_team(ANNA.id) is None
    # profile and user row gone
    async with db.transaction() as conn:
        assert await teams_repo.profile(conn, ANNA.id) == (None, None)
    assert await users.get(ANNA.id) is None
    # the kudos stay under one pseudonym (a negative id no Telegram user has), naming nobody
    stored_out = await kudos.get(out.kudos[0].id)
    stored_back = await kudos.get(back.kudos[0].id)
    assert stored_out is not None
    assert stored_back is not None
    pseudonym = stored_out.giver_id
    assert pseudonym is not None
    assert pseudonym < 0
    assert stored_out.receiver_id == BORIS.id
    assert (stored_back.giver_id, stored_back.receiver_id) == (BORIS.id, pseudonym)
    board = await kudos.board(team, Period.ALL)
    assert board.total == 2
    assert sorted(board.receivers) == [(1, pseudonym, 1), (1, BORIS.id, 1)]
    assert await teams.member(team, pseudonym) is None
    rows = await collect(kudos, team, None, None)
    assert [(r[1], r[2]) for r in rows] == [(None, "Boris (@boris)"), ("Boris (@boris)", None)]
    boris = await kudos.mine(team, BORIS.id)
    assert (boris.received, boris.given) == (1, 1)
    assert boris.last_received[0].giver_name is None


# --- #tags ----------------------------------------------------------------------------------


@pytest.fixture
async def portrait(teams: TeamsService, team: Team) -> list[PortraitQuality]:
    return await teams.portrait(team)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("#терпение", "patience"),  # a word of «Усидчивость и терпение»
        ("#ТЕРПЕНИЕ", "patience"),
        ("#эмпатия", "empathy"),
        ("#Эмпатия", "empathy"),
        ("#empathy", "empathy"),
        ("#EMPATHY", "empathy"),
        ("#product_knowledge", "product_knowledge"),
        ("#работа_в_команде", "teamwork"),
        ("#teamwork", "teamwork"),
        ("#эмпат", "empathy"),  # the only name it starts
        ("эмпатия", "empathy"),  # without the #
    ],
)
def test_match_quality(portrait: list[PortraitQuality], tag: str, expected: str) -> None:
    found = match_quality(tag, portrait)
    assert found is not None
    assert found.id == expected


@pytest.mark.parametrize(
    "tag",
    [
        "#работа",  # «Работа в команде», «Работа в хелпдеске», «Работа на результат»
        "#знание",  # «Знание конкурентов», «Знание продукта»
        "#эм",  # too short
        "#ab",
        "#",
        "",
        "#космос",
    ],
)
def test_match_quality_ambiguous_short_or_unknown(
    portrait: list[PortraitQuality], tag: str
) -> None:
    assert match_quality(tag, portrait) is None


def test_match_quality_ignores_yo() -> None:
    light = PortraitQuality(
        "c_1", "skills", "Лёгкость общения", "Лёгкость общения", "м", "м", True, True
    )
    other = PortraitQuality("c_2", "skills", "Ещё навык", "Ещё навык", "м", "м", True, True)
    qualities = [light, other]
    assert match_quality("#легкость", qualities) is light
    assert match_quality("#ЛЁГКОСТЬ", qualities) is light
    assert match_quality("#легкость_общения", qualities) is light
    assert match_quality("#еще_навык", qualities) is other
    assert match_quality("#c_2", qualities) is other


async def test_undo_while_the_dm_is_being_sent_withdraws_it_once_it_is_recorded(
    kudos: KudosService, users: UsersService, team: Team, db: Database, clock: FakeClock
) -> None:
    """The DM was claimed (Telegram is being asked) when the giver pressed undo: the row is
    left to finish, the withdrawal waits for its message id, then edits that message."""
    await users.started(BORIS)
    given = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    now = clock.now()
    async with db.transaction() as conn:
        claimed = await ledger_repo.claim(
            conn, owner="drainer", now=now, lease_until=now + timedelta(minutes=1), limit=10
        )
    assert dm(given, BORIS) in {r.key for r in claimed}

    await kudos.undo(given.kudos[0].id, ANNA.id)
    # in flight: not cancelled under the sender's feet, and its withdrawal is queued
    assert (await ledger_row(db, dm(given, BORIS))).state == ledger_repo.CLAIMED
    edit = await ledger_row(db, f"edit:{dm(given, BORIS)}")
    assert edit.payload["withdrawn"] is True
    # Telegram accepted the DM: its message id is recorded, and the edit can find it
    sent = await mark_sent(db, clock, dm(given, BORIS), message_id=777)
    assert (sent.state, sent.message_id) == (ledger_repo.SENT, 777)


async def test_an_edit_of_a_message_still_being_sent_waits_for_it(
    kudos: KudosService,
    teams: TeamsService,
    users: UsersService,
    ledger: Ledger,
    team: Team,
    db: Database,
    clock: FakeClock,
) -> None:
    from bot.telegram.kinds import KudosEdit

    await users.started(BORIS)
    given = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")
    now = clock.now()
    async with db.transaction() as conn:
        await ledger_repo.claim(
            conn, owner="drainer", now=now, lease_until=now + timedelta(minutes=1), limit=10
        )
    await kudos.undo(given.kudos[0].id, ANNA.id)
    edit = await ledger_row(db, f"edit:{dm(given, BORIS)}")
    render = KudosEdit(kudos, teams, notifier=None, ledger=ledger).render  # type: ignore[arg-type]
    with pytest.raises(NotYet):
        await render(edit)  # the DM has no message id yet: try again shortly
    async with db.transaction() as conn:
        await ledger_repo.cancel(conn, [dm(given, BORIS)], clock.now())  # a claimed row: kept
    assert (await ledger_row(db, dm(given, BORIS))).state == ledger_repo.CLAIMED
