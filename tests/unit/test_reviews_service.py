"""The self-review's rules without Telegram, on both engines: the tick queues each reminder
once per user and week (two ticks at once too), holidays, skip and pause, the grace window,
the rotation of qualities, the review's steps and limits, feedback that only the colleague
asked may answer, /forget_me."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.services.deliveries import Ledger
from bot.services.errors import DomainError, NotFound
from bot.services.reviews import (
    KIND_ASK,
    KIND_FOLLOW,
    KIND_REMIND,
    Locked,
    NotInTeam,
    ReviewsService,
    TooLong,
    rotation,
)
from bot.services.teams import Team, TeamsService
from bot.services.users import Person, UsersService
from content import Content
from storage.database import Database
from storage.schema import deliveries
from tests.clock import FakeClock

MSK = ZoneInfo("Europe/Moscow")
ANNA = Person(1, "Анна", language_code="ru")
BORIS = Person(2, "Борис", language_code="ru")
VERA = Person(3, "Вера", language_code="ru")
WEEK = "2026-W49"


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=MSK)


@pytest.fixture
def teams(db: Database, content: Content, clock: FakeClock) -> TeamsService:
    return TeamsService(db, content, clock, "Europe/Moscow")


@pytest.fixture
def ledger(db: Database, clock: FakeClock) -> Ledger:
    return Ledger(db, clock)


@pytest.fixture
def reviews(db: Database, teams: TeamsService, clock: FakeClock, ledger: Ledger) -> ReviewsService:
    return ReviewsService(db, teams, clock, ledger)


@pytest.fixture
async def team(teams: TeamsService, db: Database, clock: FakeClock) -> Team:
    clock.set(msk(3, 12))  # a Thursday
    users = UsersService(db, clock)
    team, _ = await teams.bot_added(-100500, "Поддержка")
    for person in (ANNA, BORIS, VERA):
        await users.started(person)
        await teams.join(team, person)
    return team


@dataclass
class Queued:
    key: str
    due_at: datetime
    payload: dict[str, object]


async def queued(db: Database, kind: str) -> list[Queued]:
    async with db.read() as conn:
        rows = await conn.execute(select(deliveries).where(deliveries.c.kind == kind))
        return [Queued(r.key, r.due_at, json.loads(r.payload)) for r in rows]


async def test_one_reminder_per_user_and_week_even_with_two_ticks_at_once(
    reviews: ReviewsService, team: Team, clock: FakeClock, db: Database
) -> None:
    first = await reviews.tick()
    assert first.computed == 3
    assert first.queued == 0
    clock.set(msk(4, 15, 59))
    assert (await reviews.tick()).queued == 0
    clock.set(msk(4, 16, 0))
    outcomes = await asyncio.gather(reviews.tick(), reviews.tick())
    assert sum(o.queued for o in outcomes) == 3
    assert (await reviews.tick()).queued == 0
    rows = await queued(db, KIND_REMIND)
    assert sorted(r.key for r in rows) == [f"{KIND_REMIND}:{u}:{WEEK}" for u in (1, 2, 3)]
    # the follow-up is due on Monday at the end of the quiet hours
    follows = await queued(db, KIND_FOLLOW)
    assert {r.due_at for r in follows} == {msk(7, 9).astimezone(follows[0].due_at.tzinfo)}


async def test_holiday_skip_and_pause_queue_nothing_that_week(
    reviews: ReviewsService, team: Team, clock: FakeClock, db: Database
) -> None:
    await reviews.skip(ANNA.id, WEEK)
    await reviews.change(BORIS.id, paused_until="2026-12-10")
    await reviews.tick()
    clock.set(msk(4, 16, 1))
    assert (await reviews.tick()).queued == 1  # only Vera
    await reviews.set_holiday(team, "2026-W50", True)
    await reviews.tick()
    clock.set(msk(11, 16, 1))
    assert (await reviews.tick()).queued == 0  # a holiday for the whole team
    clock.set(msk(18, 16, 1))
    assert (await reviews.tick()).queued == 3  # Boris's pause is over, Anna skipped one week
    rows = await queued(db, KIND_REMIND)
    assert sorted(r.key.split(":", 1)[1] for r in rows) == [
        "1:2026-W51",
        "2:2026-W51",
        "3:2026-W49",
        "3:2026-W51",
    ]


async def test_the_grace_window_after_downtime(
    reviews: ReviewsService, team: Team, clock: FakeClock, db: Database
) -> None:
    await reviews.tick()
    clock.set(msk(5, 3, 59))  # Friday 16:00 was 11 h 59 min ago
    assert (await reviews.tick()).queued == 3
    clock.set(msk(12, 4, 1))  # the next one 12 h 1 min ago: dropped
    outcome = await reviews.tick()
    assert outcome.queued == 0
    assert outcome.dropped == 3


async def test_team_time_and_own_zone(
    reviews: ReviewsService, team: Team, clock: FakeClock, db: Database
) -> None:
    await reviews.set_team_defaults(team, 0, time(10, 0))  # Mondays 10:00
    await reviews.change(ANNA.id, timezone="Asia/Novosibirsk")  # +7: four hours before Moscow
    await reviews.tick()
    row = await reviews.schedule(ANNA.id)
    assert row is not None
    assert row.next_due_at == datetime(2026, 12, 7, 10, tzinfo=ZoneInfo("Asia/Novosibirsk"))
    other = await reviews.schedule(BORIS.id)
    assert other is not None
    assert other.next_due_at == msk(7, 10)


def test_the_rotation_covers_every_quality_within_four_weeks() -> None:
    qualities = [f"q{i}" for i in range(16)]
    weeks = ["2026-W49", "2026-W50", "2026-W51", "2026-W52"]
    seen = set()
    for week in weeks:
        chosen = rotation(qualities, week, 4)
        assert len(chosen) == 4
        assert len(set(chosen)) == 4
        seen |= set(chosen)
    assert seen == set(qualities)
    many = [f"q{i}" for i in range(30)]  # the default portrait is larger: 8 weeks, 4 a week
    weeks = [f"2026-W{n}" for n in range(45, 53)]
    assert set().union(*(rotation(many, w, 4) for w in weeks)) == set(many)
    assert all(len(rotation(many, w, 4)) == 4 for w in weeks)
    assert rotation(["a", "b"], "2026-W49", 4) == ["a", "b"]


async def test_the_review_steps_and_their_limits(
    reviews: ReviewsService, team: Team, clock: FakeClock
) -> None:
    clock.set(msk(4, 17))
    draft, _ = await reviews.open(ANNA.id)
    assert draft.week == WEEK
    assert draft.step == "results"
    assert len(draft.qualities) == 4
    again, _ = await reviews.open(ANNA.id)
    assert again.id == draft.id
    with pytest.raises(TooLong):
        await reviews.set_results(draft.id, ANNA.id, "x" * 2001)
    with pytest.raises(DomainError):
        await reviews.set_results(draft.id, ANNA.id, "   ")
    with pytest.raises(NotFound):
        await reviews.set_results(draft.id, BORIS.id, "чужой черновик")
    step = await reviews.set_results(draft.id, ANNA.id, "  42 заявки  ")
    assert step.results == "42 заявки"
    assert step.step == "ratings"
    with pytest.raises(DomainError):
        await reviews.ratings_done(draft.id, ANNA.id)
    with pytest.raises(NotFound):
        await reviews.rate(draft.id, ANNA.id, 9, 3)
    with pytest.raises(NotFound):
        await reviews.rate(draft.id, ANNA.id, 0, 6)
    for i in range(4):
        await reviews.rate(draft.id, ANNA.id, i, 5 - i % 2)
    assert (await reviews.ratings_done(draft.id, ANNA.id)).step == "wish"
    assert (await reviews.set_note(draft.id, ANNA.id, "wish", None)).step == "plan"
    done = await reviews.set_note(draft.id, ANNA.id, "plan", "отвечать быстрее")
    assert done.step == "summary"
    submitted = await reviews.submit(draft.id, ANNA.id)
    assert submitted.submitted
    with pytest.raises(Locked):
        await reviews.set_results(draft.id, ANNA.id, "поздняя правка")
    # changed within 7 days, then only read
    assert (await reviews.edit(draft.id, ANNA.id)).state == "draft"
    await reviews.submit(draft.id, ANNA.id)
    clock.advance(timedelta(days=8))
    with pytest.raises(Locked):
        await reviews.edit(draft.id, ANNA.id)
    # next week's plan question
    assert await reviews.last_plan(ANNA.id, "2026-W50") == "отвечать быстрее"


async def test_feedback_only_from_the_colleague_asked(
    reviews: ReviewsService, team: Team, clock: FakeClock, db: Database
) -> None:
    clock.set(msk(4, 17))
    draft, _ = await reviews.open(ANNA.id)
    await reviews.set_results(draft.id, ANNA.id, "неделя")
    with pytest.raises(DomainError):
        await reviews.ask(draft.id, ANNA.id, [BORIS.id], False)  # not submitted yet
    await reviews.submit(draft.id, ANNA.id)
    with pytest.raises(NotFound):
        await reviews.ask(draft.id, BORIS.id, [VERA.id], False)  # not Boris's review
    with pytest.raises(NotFound):
        await reviews.ask(draft.id, ANNA.id, [999], False)  # not a teammate
    assert await reviews.ask(draft.id, ANNA.id, [BORIS.id, ANNA.id], True) == [BORIS.id]
    assert await reviews.ask(draft.id, ANNA.id, [BORIS.id], True) == []  # asked already
    (row,) = await queued(db, KIND_ASK)
    request = int(str(row.payload["request"]))
    with pytest.raises(NotFound):
        await reviews.answer(request, VERA.id, "подделка")
    answered = await reviews.answer(request, BORIS.id, "отлично")
    assert answered.state == "answered"
    assert answered.answer == "отлично"
    with pytest.raises(DomainError):
        await reviews.answer(request, BORIS.id, "ещё раз")


async def test_an_expired_request_cannot_be_answered(
    reviews: ReviewsService, team: Team, clock: FakeClock, db: Database
) -> None:
    clock.set(msk(4, 17))
    draft, _ = await reviews.open(ANNA.id)
    await reviews.set_results(draft.id, ANNA.id, "неделя")
    await reviews.submit(draft.id, ANNA.id)
    await reviews.ask(draft.id, ANNA.id, [BORIS.id], False)
    (row,) = await queued(db, KIND_ASK)
    clock.advance(timedelta(days=7, seconds=1))
    with pytest.raises(DomainError) as refusal:
        await reviews.answer(int(str(row.payload["request"])), BORIS.id, "поздно")
    assert refusal.value.key == "review.feedback_expired"


async def test_leaving_the_last_team_ends_the_schedule(
    reviews: ReviewsService, teams: TeamsService, team: Team
) -> None:
    await teams.leave(team, VERA.id)
    assert await reviews.schedule(VERA.id) is None
    with pytest.raises(NotInTeam):
        await reviews.open(VERA.id)
