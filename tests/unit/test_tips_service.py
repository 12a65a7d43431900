"""TipsService over a real SQLite database: rotation, schedule slots, posting, votes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, MutableSequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.services.errors import ChannelUnavailable, NotFound
from bot.services.tips import TipsService, Vote
from content import Content, Tip
from content.models import TipsFile
from storage.database import Database
from tests.unit.conftest import FakeClock

CHANNEL = "@support_tips"
CHAT_ID = -1001234567890
MSK = ZoneInfo("Europe/Moscow")
SCHEDULE = "0 10 * * mon-fri"
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)  # 2026-11-23 is a Monday


class FakePoster:
    """Records posts; returns (chat_id, incrementing message_id); can be made to fail."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []
        self.alerts: list[ChannelUnavailable] = []
        self.failure: ChannelUnavailable | None = None
        self.delay = 0.0
        self._next_id = 100

    async def post(self, channel: str, tip: Tip) -> tuple[int, int]:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failure is not None:
            raise self.failure
        self.posts.append((channel, tip.id))
        self._next_id += 1
        return CHAT_ID, self._next_id

    async def notify_admins(self, problem: ChannelUnavailable) -> None:
        self.alerts.append(problem)

    @property
    def tip_ids(self) -> list[str]:
        return [tip_id for _, tip_id in self.posts]


def schedule() -> CronTrigger:
    return CronTrigger.from_crontab(SCHEDULE, timezone=MSK)


@pytest.fixture
def poster() -> FakePoster:
    return FakePoster()


@pytest.fixture
def make_service(db: Database, content: Content, clock: FakeClock) -> Callable[..., TipsService]:
    def _make(**kwargs: Any) -> TipsService:
        kwargs.setdefault("schedule", schedule())
        kwargs.setdefault("rng", random.Random(7))
        return TipsService(kwargs.pop("db", db), kwargs.pop("content", content), clock, **kwargs)

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


async def test_round_covers_every_tip_once(
    make_service: Callable[..., TipsService], poster: FakePoster, content: Content
) -> None:
    service = make_service()
    n = len(content.tips)
    for _ in range(n):
        await service.post_next(CHANNEL, poster)
    first_round = poster.tip_ids
    assert sorted(first_round) == sorted(t.id for t in content.tips)

    for _ in range(3):
        await service.post_next(CHANNEL, poster)
    second_round_start = poster.tip_ids[n:]
    assert second_round_start[0] != first_round[-1]
    assert len(set(second_round_start)) == 3
    # the order is reshuffled, not replayed
    assert second_round_start != first_round[:3]


async def test_new_round_never_opens_with_the_last_tip(
    make_service: Callable[..., TipsService], poster: FakePoster, small: Content
) -> None:
    class Scripted(random.Random):
        """First shuffle keeps the order, the second reverses it: round 2 would start with
        the tip that closed round 1."""

        calls = 0

        def shuffle(self, x: MutableSequence[Any]) -> None:  # type: ignore[override]
            self.calls += 1
            if self.calls == 2:
                x.reverse()

    service = make_service(rng=Scripted(0), content=small)
    n = len(small.tips)
    for _ in range(n + 2):
        await service.post_next(CHANNEL, poster)
    assert poster.tip_ids[:n] == [t.id for t in small.tips]
    assert poster.tip_ids[n] != poster.tip_ids[n - 1]
    assert sorted(set(poster.tip_ids[n:])) == sorted(poster.tip_ids[n:])


async def test_peek_next_is_a_promise(
    make_service: Callable[..., TipsService], poster: FakePoster
) -> None:
    service = make_service()
    for _ in range(5):
        upcoming = await service.peek_next(CHANNEL)
        assert await service.peek_next(CHANNEL) == upcoming  # peeking does not advance
        posted = await service.post_next(CHANNEL, poster)
        assert posted.tip == upcoming
        assert poster.tip_ids[-1] == upcoming.id


async def test_restart_continues_the_rotation(
    make_service: Callable[..., TipsService],
    open_db: Callable[[], Database],
    poster: FakePoster,
) -> None:
    before = make_service(rng=random.Random(1))
    for _ in range(10):
        await before.post_next(CHANNEL, poster)
    promised = await before.peek_next(CHANNEL)

    after = make_service(db=open_db(), rng=random.Random(999))  # new process, other seed
    assert await after.peek_next(CHANNEL) == promised
    for _ in range(10):
        await after.post_next(CHANNEL, poster)
    assert poster.tip_ids[10] == promised.id
    assert len(set(poster.tip_ids)) == 20  # no repeats across the restart


async def test_channels_rotate_independently(
    make_service: Callable[..., TipsService], poster: FakePoster, small: Content
) -> None:
    service = make_service(content=small)
    for _ in range(len(small.tips)):
        await service.post_next(CHANNEL, poster)
        await service.post_next("@other_channel", poster)
    for channel in (CHANNEL, "@other_channel"):
        ids = [tip for ch, tip in poster.posts if ch == channel]
        assert sorted(ids) == sorted(t.id for t in small.tips)


async def test_new_tip_joins_the_current_round(
    make_service: Callable[..., TipsService], poster: FakePoster, small: Content
) -> None:
    newcomer = small.tips[-1]
    old = make_service(content=with_tips(small, small.tips[:-1]))
    for _ in range(2):
        await old.post_next(CHANNEL, poster)

    updated = make_service(content=small)  # the content now has the new tip
    for _ in range(len(small.tips) - 2):
        await updated.post_next(CHANNEL, poster)
    assert poster.tip_ids[-1] == newcomer.id  # appended at the end of the round
    assert sorted(poster.tip_ids) == sorted(t.id for t in small.tips)


async def test_removed_tip_is_skipped(
    make_service: Callable[..., TipsService], poster: FakePoster, small: Content
) -> None:
    service = make_service(content=small)
    await service.post_next(CHANNEL, poster)
    doomed = await service.peek_next(CHANNEL)

    remaining = [t for t in small.tips if t.id != doomed.id]
    updated = make_service(content=with_tips(small, remaining))
    upcoming = await updated.peek_next(CHANNEL)
    assert upcoming != doomed
    for _ in range(len(remaining) - 1):
        await updated.post_next(CHANNEL, poster)
    assert doomed.id not in poster.tip_ids
    assert sorted(poster.tip_ids) == sorted(t.id for t in remaining)


async def test_failed_post_now_changes_nothing(
    make_service: Callable[..., TipsService], poster: FakePoster
) -> None:
    service = make_service()
    upcoming = await service.peek_next(CHANNEL)
    poster.failure = ChannelUnavailable(CHANNEL, "not_admin", "Forbidden")
    with pytest.raises(ChannelUnavailable):
        await service.post_next(CHANNEL, poster)
    assert await service.peek_next(CHANNEL) == upcoming
    poster.failure = None
    assert (await service.post_next(CHANNEL, poster)).tip == upcoming


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
    make_service: Callable[..., TipsService], poster: FakePoster, clock: FakeClock
) -> None:
    service = make_service()
    clock.set(MONDAY_10 + timedelta(seconds=5))
    posted = await service.post_due(CHANNEL, poster)
    assert posted is not None
    assert posted.slot_at == MONDAY_10
    assert await service.post_due(CHANNEL, poster) is None
    clock.set(MONDAY_10 + timedelta(hours=1))
    assert await service.post_due(CHANNEL, poster) is None
    assert len(poster.posts) == 1

    clock.set(MONDAY_10 + timedelta(days=1, minutes=1))  # Tuesday's slot
    assert await service.post_due(CHANNEL, poster) is not None
    assert len(poster.posts) == 2
    assert poster.tip_ids[0] != poster.tip_ids[1]


async def test_post_due_from_two_processes(
    make_service: Callable[..., TipsService],
    open_db: Callable[[], Database],
    poster: FakePoster,
    clock: FakeClock,
) -> None:
    clock.set(MONDAY_10 + timedelta(seconds=5))
    first = make_service()
    second = make_service(db=open_db())
    assert await first.post_due(CHANNEL, poster) is not None
    assert await second.post_due(CHANNEL, poster) is None
    assert len(poster.posts) == 1


async def test_post_due_concurrent_runs(
    make_service: Callable[..., TipsService],
    open_db: Callable[[], Database],
    poster: FakePoster,
    clock: FakeClock,
) -> None:
    clock.set(MONDAY_10 + timedelta(seconds=5))
    poster.delay = 0.05
    first = make_service()
    second = make_service(db=open_db())
    results = await asyncio.gather(
        first.post_due(CHANNEL, poster),
        first.post_due(CHANNEL, poster),
        second.post_due(CHANNEL, poster),
    )
    assert sum(r is not None for r in results) == 1
    assert len(poster.posts) == 1


async def test_post_due_catches_up_within_grace(
    make_service: Callable[..., TipsService], poster: FakePoster, clock: FakeClock
) -> None:
    service = make_service(grace=timedelta(hours=3))
    clock.set(MONDAY_10 + timedelta(hours=2, minutes=59))  # the bot was down at 10:00
    posted = await service.post_due(CHANNEL, poster)
    assert posted is not None
    assert posted.slot_at == MONDAY_10


async def test_post_due_not_beyond_grace(
    make_service: Callable[..., TipsService], poster: FakePoster, clock: FakeClock
) -> None:
    service = make_service(grace=timedelta(hours=3))
    clock.set(MONDAY_10 + timedelta(hours=3, minutes=1))
    assert await service.post_due(CHANNEL, poster) is None
    assert poster.posts == []
    clock.set(MONDAY_10 - timedelta(minutes=1))
    assert await service.post_due(CHANNEL, poster) is None
    assert poster.posts == []


async def test_channel_unavailable_releases_the_slot(
    make_service: Callable[..., TipsService], poster: FakePoster, clock: FakeClock
) -> None:
    service = make_service()
    clock.set(MONDAY_10 + timedelta(seconds=5))
    upcoming = await service.peek_next(CHANNEL)
    problem = ChannelUnavailable(CHANNEL, "not_admin", "Forbidden: bot is not a member")
    poster.failure = problem

    assert await service.post_due(CHANNEL, poster) is None
    assert poster.alerts == [problem]
    assert poster.posts == []
    assert await service.peek_next(CHANNEL) == upcoming  # rotation unchanged
    assert await service.scores() == []  # no post recorded

    poster.failure = None  # the admin fixed the channel; the next run retries
    clock.set(MONDAY_10 + timedelta(minutes=30))
    posted = await service.post_due(CHANNEL, poster)
    assert posted is not None
    assert posted.slot_at == MONDAY_10
    assert posted.tip == upcoming
    assert len(poster.alerts) == 1


async def test_unexpected_error_releases_the_slot(
    make_service: Callable[..., TipsService], poster: FakePoster, clock: FakeClock
) -> None:
    class Broken(FakePoster):
        async def post(self, channel: str, tip: Tip) -> tuple[int, int]:
            raise RuntimeError("network down")

    service = make_service()
    clock.set(MONDAY_10 + timedelta(seconds=5))
    with pytest.raises(RuntimeError):
        await service.post_due(CHANNEL, Broken())
    assert await service.post_due(CHANNEL, poster) is not None
    assert len(poster.posts) == 1


# --- votes ---------------------------------------------------------------------------------


async def test_vote_change_and_withdraw(
    make_service: Callable[..., TipsService], poster: FakePoster
) -> None:
    service = make_service()
    posted = await service.post_next(CHANNEL, poster)
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
    make_service: Callable[..., TipsService], poster: FakePoster
) -> None:
    service = make_service()
    first = await service.post_next(CHANNEL, poster)
    second = await service.post_next(CHANNEL, poster)
    await service.vote(first.chat_id, first.message_id, 1, Vote.USEFUL)
    result = await service.vote(second.chat_id, second.message_id, 1, Vote.USEFUL)
    assert result.now is Vote.USEFUL
    assert (result.counts.useful, result.counts.not_for_me) == (1, 0)


async def test_vote_on_unknown_message(
    make_service: Callable[..., TipsService], poster: FakePoster
) -> None:
    service = make_service()
    posted = await service.post_next(CHANNEL, poster)
    with pytest.raises(NotFound):
        await service.vote(posted.chat_id, posted.message_id + 1000, 1, Vote.USEFUL)
    with pytest.raises(NotFound):
        await service.vote(posted.chat_id + 1, posted.message_id, 1, Vote.USEFUL)


async def test_scores_best_first(
    make_service: Callable[..., TipsService], poster: FakePoster
) -> None:
    service = make_service()
    assert await service.scores() == []
    loved, mixed, unrated, disliked = [await service.post_next(CHANNEL, poster) for _ in range(4)]
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
    make_service: Callable[..., TipsService], poster: FakePoster, small: Content
) -> None:
    service = make_service(content=small)
    posts = [await service.post_next(CHANNEL, poster) for _ in range(len(small.tips) + 1)]
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
