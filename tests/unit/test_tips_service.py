"""TipsService over a real SQLite database: rotation, schedule slots, posts queued in the
delivery ledger and what their outcome changes, votes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, MutableSequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.services.deliveries import Ledger
from bot.services.errors import NotFound
from bot.services.tips import KIND_ALERT, KIND_TIP, Queued, TipsService, Vote
from content import Content, Tip
from content.models import TipsFile
from storage.database import Database
from storage.repo import deliveries as ledger_repo
from storage.repo.deliveries import DeliveryRow, Outcome
from storage.schema import deliveries
from tests.clock import FakeClock

CHANNEL = "@support_tips"
CHAT_ID = -1001234567890
MSK = ZoneInfo("Europe/Moscow")
SCHEDULE = "0 10 * * mon-fri"
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)  # 2026-11-23 is a Monday
ADMINS = frozenset({11, 12})


async def ledger_rows(db: Database, kind: str) -> list[DeliveryRow]:
    """The ledger's rows of ``kind`` in the order they were first queued."""
    async with db.read() as conn:
        stmt = select(deliveries.c.key).where(deliveries.c.kind == kind)
        keys = list((await conn.execute(stmt.order_by(deliveries.c.id))).scalars())
        rows = await ledger_repo.by_keys(conn, keys)
    return sorted(rows, key=lambda r: r.id)


async def queued_tips(db: Database, channel: str | None = CHANNEL) -> list[str]:
    """The tips queued for posting (in ``channel``, or anywhere), in order."""
    return [
        r.payload["tip"]
        for r in await ledger_rows(db, KIND_TIP)
        if channel is None or r.payload["channel"] == channel
    ]


@dataclass(frozen=True, slots=True)
class Posted:
    tip: Tip
    chat_id: int
    message_id: int


class Telegram:
    """Plays the drainer for tip posts: what it records when Telegram accepted a queued post
    (``recorded``, the row sent with its message id) or refused it (``not_posted``, the row
    failed), each in one outcome transaction."""

    def __init__(self, db: Database, clock: FakeClock) -> None:
        self._db = db
        self._clock = clock
        self._next_id = 100

    async def _pending(self, conn: AsyncConnection, queued: Queued) -> DeliveryRow:
        row = await ledger_repo.by_key(conn, queued.key)
        assert row is not None
        assert (row.kind, row.state) == (KIND_TIP, ledger_repo.PENDING)
        assert row.payload["tip"] == queued.tip.id
        return row

    async def publish(self, service: TipsService, queued: Queued) -> Posted:
        async with self._db.transaction() as conn:
            row = await self._pending(conn, queued)
            self._next_id += 1
            await service.recorded(conn, row.payload, CHAT_ID, self._next_id)
            outcome = Outcome(
                row.id,
                ledger_repo.SENT,
                self._clock.now(),
                message_id=self._next_id,
                sent_chat_id=CHAT_ID,
            )
            await ledger_repo.finish(conn, [outcome])
        return Posted(queued.tip, CHAT_ID, self._next_id)

    async def refuse(self, service: TipsService, queued: Queued, reason: str) -> None:
        async with self._db.transaction() as conn:
            row = await self._pending(conn, queued)
            await service.not_posted(conn, row.payload, reason)
            outcome = Outcome(row.id, ledger_repo.FAILED, self._clock.now(), error="Forbidden")
            await ledger_repo.finish(conn, [outcome])


def schedule() -> CronTrigger:
    return CronTrigger.from_crontab(SCHEDULE, timezone=MSK)


@pytest.fixture
def telegram(db: Database, clock: FakeClock) -> Telegram:
    return Telegram(db, clock)


@pytest.fixture
def make_service(db: Database, content: Content, clock: FakeClock) -> Callable[..., TipsService]:
    def _make(**kwargs: Any) -> TipsService:
        kwargs.setdefault("schedule", schedule())
        kwargs.setdefault("rng", random.Random(7))
        kwargs.setdefault("admin_ids", ADMINS)
        database = kwargs.pop("db", db)
        kwargs.setdefault("ledger", Ledger(database, clock))
        return TipsService(database, kwargs.pop("content", content), clock, **kwargs)

    return _make


def with_tips(content: Content, tips: list[Tip]) -> Content:
    """The same content with other tips (constructed directly: the files need 40 or more,
    the rules of the rotation do not depend on the number, and a short round keeps the
    multi-round tests fast)."""
    return Content(
        catalogue=content.catalogue,
        tips_file=TipsFile.model_construct(source=content.tips_file.source, tip=tips),
        locales=content.locales,
    )


@pytest.fixture
def small(content: Content) -> Content:
    return with_tips(content, content.tips[:6])


# --- rotation ------------------------------------------------------------------------------


async def test_post_next_queues_the_post(
    make_service: Callable[..., TipsService], db: Database, clock: FakeClock
) -> None:
    service = make_service()
    upcoming = await service.peek_next(CHANNEL)
    queued = await service.post_next(CHANNEL)

    assert (queued.tip, queued.slot_at) == (upcoming, None)
    [row] = await ledger_rows(db, KIND_TIP)
    assert (row.key, row.chat_id, row.user_id, row.state) == (
        queued.key,
        0,  # the channel may be an @username: it is in the payload
        None,
        ledger_repo.PENDING,
    )
    assert row.key.startswith(f"tip:{CHANNEL}:now:")
    assert row.payload == {
        "channel": CHANNEL,
        "tip": upcoming.id,
        "round": 1,
        "slot": None,
        "key": queued.key,
    }
    # taken from the round when queued: the rotation moves on at once
    assert await service.peek_next(CHANNEL) != upcoming
    # nothing is a post before Telegram accepted it
    assert await service.scores() == []
    # two /tip_now at the same moment are two posts
    again = await service.post_next(CHANNEL)
    assert again.key != queued.key
    assert len(await ledger_rows(db, KIND_TIP)) == 2


async def test_round_covers_every_tip_once(
    make_service: Callable[..., TipsService], db: Database, content: Content
) -> None:
    service = make_service()
    n = len(content.tips)
    returned = [(await service.post_next(CHANNEL)).tip.id for _ in range(n)]
    first_round = await queued_tips(db)
    assert first_round == returned
    assert sorted(first_round) == sorted(t.id for t in content.tips)

    for _ in range(3):
        await service.post_next(CHANNEL)
    second_round_start = (await queued_tips(db))[n:]
    assert second_round_start[0] != first_round[-1]
    assert len(set(second_round_start)) == 3
    # the order is reshuffled, not replayed
    assert second_round_start != first_round[:3]
    assert {r.payload["round"] for r in (await ledger_rows(db, KIND_TIP))[n:]} == {2}


class Scripted(random.Random):
    """First shuffle keeps the order, the second reverses it: round 2 would start with the
    tip that closed round 1."""

    calls = 0

    def shuffle(self, x: MutableSequence[Any]) -> None:
        self.calls += 1
        if self.calls == 2:
            x.reverse()


async def test_new_round_never_opens_with_the_last_tip(
    make_service: Callable[..., TipsService], telegram: Telegram, db: Database, small: Content
) -> None:
    service = make_service(rng=Scripted(0), content=small)
    n = len(small.tips)
    for _ in range(n + 2):
        await telegram.publish(service, await service.post_next(CHANNEL))
    tip_ids = await queued_tips(db)
    assert tip_ids[:n] == [t.id for t in small.tips]
    assert tip_ids[n] != tip_ids[n - 1]
    assert sorted(set(tip_ids[n:])) == sorted(tip_ids[n:])


async def test_new_round_never_opens_with_the_last_tip_still_queued(
    make_service: Callable[..., TipsService], db: Database, small: Content
) -> None:
    """/tip_now pressed again before the drainer sent the post that closed the round."""
    service = make_service(rng=Scripted(0), content=small)
    n = len(small.tips)
    for _ in range(n + 1):
        await service.post_next(CHANNEL)
    tip_ids = await queued_tips(db)
    assert tip_ids[n] != tip_ids[n - 1]


async def test_peek_next_is_a_promise(
    make_service: Callable[..., TipsService], db: Database
) -> None:
    service = make_service()
    for _ in range(5):
        upcoming = await service.peek_next(CHANNEL)
        assert await service.peek_next(CHANNEL) == upcoming  # peeking does not advance
        queued = await service.post_next(CHANNEL)
        assert queued.tip == upcoming
        assert (await queued_tips(db))[-1] == upcoming.id


async def test_restart_continues_the_rotation(
    make_service: Callable[..., TipsService], open_db: Callable[[], Database], db: Database
) -> None:
    before = make_service(rng=random.Random(1))
    for _ in range(10):
        await before.post_next(CHANNEL)
    promised = await before.peek_next(CHANNEL)

    after = make_service(db=open_db(), rng=random.Random(999))  # new process, other seed
    assert await after.peek_next(CHANNEL) == promised
    for _ in range(10):
        await after.post_next(CHANNEL)
    tip_ids = await queued_tips(db)
    assert tip_ids[10] == promised.id
    assert len(set(tip_ids)) == 20  # no repeats across the restart


async def test_channels_rotate_independently(
    make_service: Callable[..., TipsService], db: Database, small: Content
) -> None:
    service = make_service(content=small)
    for _ in range(len(small.tips)):
        await service.post_next(CHANNEL)
        await service.post_next("@other_channel")
    for channel in (CHANNEL, "@other_channel"):
        assert sorted(await queued_tips(db, channel)) == sorted(t.id for t in small.tips)


async def test_new_tip_joins_the_current_round(
    make_service: Callable[..., TipsService], db: Database, small: Content
) -> None:
    newcomer = small.tips[-1]
    old = make_service(content=with_tips(small, small.tips[:-1]))
    for _ in range(2):
        await old.post_next(CHANNEL)

    # the content now has the new tip (another seed: the same seed under the frozen clock
    # would repeat the keys of the posts the old service queued)
    updated = make_service(content=small, rng=random.Random(8))
    for _ in range(len(small.tips) - 2):
        await updated.post_next(CHANNEL)
    tip_ids = await queued_tips(db)
    assert tip_ids[-1] == newcomer.id  # appended at the end of the round
    assert sorted(tip_ids) == sorted(t.id for t in small.tips)


async def test_removed_tip_is_skipped(
    make_service: Callable[..., TipsService], db: Database, small: Content
) -> None:
    service = make_service(content=small)
    await service.post_next(CHANNEL)
    doomed = await service.peek_next(CHANNEL)

    remaining = [t for t in small.tips if t.id != doomed.id]
    updated = make_service(content=with_tips(small, remaining), rng=random.Random(8))
    upcoming = await updated.peek_next(CHANNEL)
    assert upcoming != doomed
    for _ in range(len(remaining) - 1):
        await updated.post_next(CHANNEL)
    tip_ids = await queued_tips(db)
    assert doomed.id not in tip_ids
    assert sorted(tip_ids) == sorted(t.id for t in remaining)


async def test_refused_post_now_goes_back_into_the_rotation(
    make_service: Callable[..., TipsService], telegram: Telegram, db: Database
) -> None:
    service = make_service()
    upcoming = await service.peek_next(CHANNEL)
    queued = await service.post_next(CHANNEL)
    assert await service.peek_next(CHANNEL) != upcoming

    await telegram.refuse(service, queued, "not_admin")

    assert await service.peek_next(CHANNEL) == upcoming  # back in its place
    assert await service.scores() == []
    assert {a.chat_id for a in await ledger_rows(db, KIND_ALERT)} == ADMINS
    again = await service.post_next(CHANNEL)
    assert again.tip == upcoming
    await telegram.publish(service, again)
    assert [s.tip for s in await service.scores()] == [upcoming]


def test_random_tip_excludes_the_one_just_seen(
    make_service: Callable[..., TipsService], content: Content
) -> None:
    service = make_service()
    seen = content.tips[0].id
    picks = {service.random_tip(exclude=seen).id for _ in range(300)}
    assert seen not in picks
    assert len(picks) > len(content.tips) // 2


def test_get_unknown_tip(make_service: Callable[..., TipsService]) -> None:
    with pytest.raises(NotFound):
        make_service().get("no_such_tip")


# --- schedule slots ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "grace", "expected"),
    [
        (MONDAY_10, timedelta(hours=3), MONDAY_10),
        (MONDAY_10 + timedelta(seconds=30), timedelta(hours=3), MONDAY_10),
        (MONDAY_10 + timedelta(hours=3), timedelta(hours=3), MONDAY_10),
        (MONDAY_10 + timedelta(hours=3, seconds=1), timedelta(hours=3), None),
        (MONDAY_10 - timedelta(seconds=1), timedelta(hours=3), None),
        (MONDAY_10 - timedelta(hours=2), timedelta(days=4), MONDAY_10 - timedelta(days=3)),
        (MONDAY_10 + timedelta(days=5, hours=2), timedelta(hours=3), None),  # Saturday
        (MONDAY_10 + timedelta(days=5, hours=2), timedelta(hours=23), None),
        (
            MONDAY_10 + timedelta(days=5, hours=2),
            timedelta(days=2),
            MONDAY_10 + timedelta(days=4),  # Friday's slot
        ),
        (
            MONDAY_10 + timedelta(days=1, hours=1),
            timedelta(days=2),
            MONDAY_10 + timedelta(days=1),  # the latest slot, not Monday's
        ),
        (MONDAY_10 + timedelta(seconds=30), timedelta(0), None),
        (MONDAY_10, timedelta(0), MONDAY_10),
    ],
)
def test_due_slot(
    make_service: Callable[..., TipsService],
    now: datetime,
    grace: timedelta,
    expected: datetime | None,
) -> None:
    service = make_service(grace=grace)
    assert service.due_slot(now.astimezone(UTC)) == expected


def test_no_schedule_no_slot(make_service: Callable[..., TipsService]) -> None:
    assert make_service(schedule=None).due_slot(MONDAY_10.astimezone(UTC)) is None


async def test_post_due_once_per_slot(
    make_service: Callable[..., TipsService], db: Database, clock: FakeClock
) -> None:
    service = make_service()
    clock.set(MONDAY_10 + timedelta(seconds=5))
    queued = await service.post_due(CHANNEL)
    assert queued is not None
    assert queued.slot_at == MONDAY_10
    assert queued.key == f"tip:{CHANNEL}:{MONDAY_10.isoformat()}"
    [row] = await ledger_rows(db, KIND_TIP)
    assert (row.key, row.state) == (queued.key, ledger_repo.PENDING)
    assert row.payload["slot"] == MONDAY_10.isoformat()
    assert row.payload["tip"] == queued.tip.id

    # the job fires again for the same slot: nothing more is queued
    assert await service.post_due(CHANNEL) is None
    clock.set(MONDAY_10 + timedelta(hours=1))
    assert await service.post_due(CHANNEL) is None
    assert await ledger_rows(db, KIND_TIP) == [row]

    clock.set(MONDAY_10 + timedelta(days=1, minutes=1))  # Tuesday's slot
    tuesday = await service.post_due(CHANNEL)
    assert tuesday is not None
    assert tuesday.slot_at == MONDAY_10 + timedelta(days=1)
    tip_ids = await queued_tips(db)
    assert len(tip_ids) == 2
    assert tip_ids[0] != tip_ids[1]


async def test_post_due_from_two_processes(
    make_service: Callable[..., TipsService],
    open_db: Callable[[], Database],
    db: Database,
    clock: FakeClock,
) -> None:
    clock.set(MONDAY_10 + timedelta(seconds=5))
    first = make_service()
    second = make_service(db=open_db())
    assert await first.post_due(CHANNEL) is not None
    assert await second.post_due(CHANNEL) is None
    assert len(await ledger_rows(db, KIND_TIP)) == 1


async def test_post_due_concurrent_runs(
    make_service: Callable[..., TipsService],
    open_db: Callable[[], Database],
    db: Database,
    clock: FakeClock,
) -> None:
    clock.set(MONDAY_10 + timedelta(seconds=5))
    first = make_service()
    second = make_service(db=open_db())
    results = await asyncio.gather(
        first.post_due(CHANNEL),
        first.post_due(CHANNEL),
        second.post_due(CHANNEL),
    )
    assert sum(r is not None for r in results) == 1
    assert len(await ledger_rows(db, KIND_TIP)) == 1
    # and the rotation moved by exactly one tip
    [queued] = [r for r in results if r is not None]
    assert await first.peek_next(CHANNEL) != queued.tip


async def test_post_due_catches_up_within_grace(
    make_service: Callable[..., TipsService], clock: FakeClock
) -> None:
    service = make_service(grace=timedelta(hours=3))
    clock.set(MONDAY_10 + timedelta(hours=2, minutes=59))  # the bot was down at 10:00
    queued = await service.post_due(CHANNEL)
    assert queued is not None
    assert queued.slot_at == MONDAY_10


async def test_post_due_not_beyond_grace(
    make_service: Callable[..., TipsService], db: Database, clock: FakeClock
) -> None:
    service = make_service(grace=timedelta(hours=3))
    clock.set(MONDAY_10 + timedelta(hours=3, minutes=1))
    assert await service.post_due(CHANNEL) is None
    clock.set(MONDAY_10 - timedelta(minutes=1))
    assert await service.post_due(CHANNEL) is None
    assert await ledger_rows(db, KIND_TIP) == []


async def test_published_post_is_recorded_for_the_ratings(
    make_service: Callable[..., TipsService], telegram: Telegram, db: Database, clock: FakeClock
) -> None:
    service = make_service()
    clock.set(MONDAY_10 + timedelta(seconds=5))
    queued = await service.post_due(CHANNEL)
    assert queued is not None
    posted = await telegram.publish(service, queued)

    [score] = await service.scores()
    assert (score.tip, score.posts) == (queued.tip, 1)
    result = await service.vote(posted.chat_id, posted.message_id, 1, Vote.USEFUL)
    assert result.counts.useful == 1
    assert await ledger_rows(db, KIND_ALERT) == []
    # the slot stays taken
    clock.set(MONDAY_10 + timedelta(minutes=30))
    assert await service.post_due(CHANNEL) is None


async def test_refused_post_frees_the_slot_and_alerts_every_admin(
    make_service: Callable[..., TipsService], telegram: Telegram, db: Database, clock: FakeClock
) -> None:
    service = make_service()
    clock.set(MONDAY_10 + timedelta(seconds=5))
    upcoming = await service.peek_next(CHANNEL)
    queued = await service.post_due(CHANNEL)
    assert queued is not None
    assert queued.tip == upcoming

    clock.set(MONDAY_10 + timedelta(minutes=1))
    await telegram.refuse(service, queued, "not_admin")

    assert await service.peek_next(CHANNEL) == upcoming  # back into the rotation
    assert await service.scores() == []  # no post recorded
    alerts = await ledger_rows(db, KIND_ALERT)
    assert sorted((a.chat_id, a.user_id) for a in alerts) == [(11, 11), (12, 12)]
    assert len({a.key for a in alerts}) == 2
    for alert in alerts:
        assert alert.state == ledger_repo.PENDING
        assert alert.payload == {"channel": CHANNEL, "reason": "not_admin"}

    # the admin fixed the channel; the next run takes the freed slot and queues it again
    clock.set(MONDAY_10 + timedelta(minutes=30))
    again = await service.post_due(CHANNEL)
    assert again is not None
    assert (again.slot_at, again.tip, again.key) == (MONDAY_10, upcoming, queued.key)
    [row] = await ledger_rows(db, KIND_TIP)  # the same row, armed again
    assert row.state == ledger_repo.PENDING
    assert row.attempts == 0
    assert row.payload["tip"] == upcoming.id
    await telegram.publish(service, again)
    assert [s.tip for s in await service.scores()] == [upcoming]
    assert len(await ledger_rows(db, KIND_ALERT)) == 2  # no new alert
    assert await service.post_due(CHANNEL) is None


async def test_a_second_refusal_alerts_again(
    make_service: Callable[..., TipsService], telegram: Telegram, db: Database, clock: FakeClock
) -> None:
    service = make_service()
    clock.set(MONDAY_10 + timedelta(seconds=5))
    queued = await service.post_due(CHANNEL)
    assert queued is not None
    await telegram.refuse(service, queued, "not_admin")
    clock.set(MONDAY_10 + timedelta(minutes=30))
    again = await service.post_due(CHANNEL)
    assert again is not None
    await telegram.refuse(service, again, "not_found")
    alerts = await ledger_rows(db, KIND_ALERT)
    assert len(alerts) == 4  # one per admin and refusal
    assert sorted(a.payload["reason"] for a in alerts) == ["not_admin"] * 2 + ["not_found"] * 2


async def test_no_admins_no_alerts(
    make_service: Callable[..., TipsService], telegram: Telegram, db: Database, clock: FakeClock
) -> None:
    service = make_service(admin_ids=frozenset())
    clock.set(MONDAY_10 + timedelta(seconds=5))
    queued = await service.post_due(CHANNEL)
    assert queued is not None
    await telegram.refuse(service, queued, "not_admin")
    assert await ledger_rows(db, KIND_ALERT) == []
    assert await service.peek_next(CHANNEL) == queued.tip


async def test_failure_while_queueing_releases_the_slot(
    make_service: Callable[..., TipsService], db: Database, clock: FakeClock
) -> None:
    """The slot, the rotation and the row are one transaction: nothing stays claimed."""

    class Broken(Ledger):
        async def add(self, conn: AsyncConnection, **row: Any) -> None:
            raise RuntimeError("database hiccup")

    clock.set(MONDAY_10 + timedelta(seconds=5))
    broken = make_service(ledger=Broken(db, clock))
    upcoming = await broken.peek_next(CHANNEL)
    with pytest.raises(RuntimeError):
        await broken.post_due(CHANNEL)
    service = make_service()
    assert await service.peek_next(CHANNEL) == upcoming
    queued = await service.post_due(CHANNEL)
    assert queued is not None
    assert queued.tip == upcoming
    assert len(await ledger_rows(db, KIND_TIP)) == 1


# --- votes ---------------------------------------------------------------------------------


async def post(service: TipsService, telegram: Telegram) -> Posted:
    return await telegram.publish(service, await service.post_next(CHANNEL))


async def test_vote_change_and_withdraw(
    make_service: Callable[..., TipsService], telegram: Telegram
) -> None:
    service = make_service()
    posted = await post(service, telegram)
    chat, message = posted.chat_id, posted.message_id
    result = await service.vote(chat, message, 1, Vote.USEFUL)
    assert result.now is Vote.USEFUL
    assert (result.counts.useful, result.counts.not_for_me) == (1, 0)
    assert (result.chat_id, result.message_id) == (chat, message)

    result = await service.vote(chat, message, 2, Vote.USEFUL)
    assert (result.counts.useful, result.counts.not_for_me) == (2, 0)

    result = await service.vote(chat, message, 1, Vote.NOT_FOR_ME)  # changes, not adds
    assert result.now is Vote.NOT_FOR_ME
    assert (result.counts.useful, result.counts.not_for_me) == (1, 1)

    result = await service.vote(chat, message, 1, Vote.NOT_FOR_ME)  # same again: withdrawn
    assert result.now is None
    assert (result.counts.useful, result.counts.not_for_me) == (1, 0)

    result = await service.vote(chat, message, 1, Vote.NOT_FOR_ME)  # and back
    assert result.now is Vote.NOT_FOR_ME
    assert (result.counts.useful, result.counts.not_for_me) == (1, 1)


async def test_votes_are_per_post(
    make_service: Callable[..., TipsService], telegram: Telegram
) -> None:
    service = make_service()
    first = await post(service, telegram)
    second = await post(service, telegram)
    await service.vote(first.chat_id, first.message_id, 1, Vote.USEFUL)
    result = await service.vote(second.chat_id, second.message_id, 1, Vote.USEFUL)
    assert result.now is Vote.USEFUL
    assert (result.counts.useful, result.counts.not_for_me) == (1, 0)


async def test_vote_on_unknown_message(
    make_service: Callable[..., TipsService], telegram: Telegram
) -> None:
    service = make_service()
    queued = await service.post_next(CHANNEL)
    with pytest.raises(NotFound):  # queued, not posted yet: nothing to vote on
        await service.vote(CHAT_ID, 101, 1, Vote.USEFUL)
    posted = await telegram.publish(service, queued)
    with pytest.raises(NotFound):
        await service.vote(posted.chat_id, posted.message_id + 1000, 1, Vote.USEFUL)
    with pytest.raises(NotFound):
        await service.vote(posted.chat_id + 1, posted.message_id, 1, Vote.USEFUL)


async def test_scores_best_first(
    make_service: Callable[..., TipsService], telegram: Telegram
) -> None:
    service = make_service()
    assert await service.scores() == []
    loved, mixed, unrated, disliked = [await post(service, telegram) for _ in range(4)]
    for user in (1, 2, 3):
        await service.vote(loved.chat_id, loved.message_id, user, Vote.USEFUL)
    await service.vote(mixed.chat_id, mixed.message_id, 1, Vote.USEFUL)
    await service.vote(mixed.chat_id, mixed.message_id, 2, Vote.NOT_FOR_ME)
    for user in (1, 2):
        await service.vote(disliked.chat_id, disliked.message_id, user, Vote.NOT_FOR_ME)

    scores = await service.scores()
    assert [s.tip for s in scores] == [loved.tip, mixed.tip, unrated.tip, disliked.tip]
    by_tip = {s.tip.id: s for s in scores}
    assert (by_tip[loved.tip.id].useful, by_tip[loved.tip.id].not_for_me) == (3, 0)
    assert (by_tip[disliked.tip.id].useful, by_tip[disliked.tip.id].not_for_me) == (0, 2)
    assert all(s.posts == 1 for s in scores)
    assert scores[0].score > scores[1].score > scores[-1].score


async def test_scores_sum_over_posts_of_a_tip(
    make_service: Callable[..., TipsService], telegram: Telegram, small: Content
) -> None:
    service = make_service(content=small)
    posts = [await post(service, telegram) for _ in range(len(small.tips) + 1)]
    again = posts[-1]
    earlier = next(p for p in posts[:-1] if p.tip == again.tip)
    await service.vote(earlier.chat_id, earlier.message_id, 1, Vote.USEFUL)
    await service.vote(again.chat_id, again.message_id, 1, Vote.USEFUL)
    await service.vote(again.chat_id, again.message_id, 2, Vote.NOT_FOR_ME)

    scores = await service.scores()
    assert len(scores) == len(small.tips)
    top = scores[0]
    assert top.tip == again.tip
    assert (top.posts, top.useful, top.not_for_me) == (2, 2, 1)


async def test_board_weighs_the_number_of_votes_and_shows_the_worst_of_few_tips(
    make_service: Callable[..., TipsService], telegram: Telegram
) -> None:
    service = make_service()
    unrated, mixed, loved_by_one, loved_by_many = [await post(service, telegram) for _ in range(4)]
    await service.vote(mixed.chat_id, mixed.message_id, 1, Vote.USEFUL)
    for user in (2, 3):
        await service.vote(mixed.chat_id, mixed.message_id, user, Vote.NOT_FOR_ME)
    await service.vote(loved_by_one.chat_id, loved_by_one.message_id, 1, Vote.USEFUL)
    for user in range(1, 11):
        await service.vote(loved_by_many.chat_id, loved_by_many.message_id, user, Vote.USEFUL)

    board = await service.board(5)
    assert board.posted == 4
    # ten 👍 are surer than one; a tip nobody rated is not "better" than 👍1 🤷2
    assert [s.tip for s in board.best] == [loved_by_many.tip, loved_by_one.tip]
    assert [s.tip for s in board.worst] == [mixed.tip]  # shown with only four tips posted
    assert unrated.tip not in [s.tip for s in board.best + board.worst]
    scores = {s.tip.id: s for s in await service.scores()}
    assert scores[mixed.tip.id].score > scores[unrated.tip.id].score
