"""Tips: rotation without repeats per channel, schedule slots, posting, readers' votes.

Rules:
- a channel gets every tip once per round, in a shuffled order persisted in the database
  (so ``/tip_preview`` shows exactly what ``/tip_now`` or the schedule will post, and a
  restart keeps the place); a new round starts reshuffled, never opening with the tip that
  closed the previous one; tips added to the content join the current round at its end;
- a schedule slot (one fire time of the cron) is claimed, the tip taken from the rotation and
  its post queued in the delivery ledger, all in one transaction: a slot is posted exactly
  once even when the job fires twice, catches up after downtime, or the process stops in the
  middle of the post (the row is sent, or still pending at the next start);
- the post is recorded (``tip_posts``, for the rating buttons) when Telegram accepted it; a
  refused post puts the tip back into the round, releases the slot (a later run retries it)
  and queues an alert to each of the bot's admins;
- a reader has one vote per post: pressing the other button changes it, pressing the same
  one again withdraws it.
"""

from __future__ import annotations

import asyncio
import math
import random
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.services.deliveries import PRIORITY_BROADCAST, PRIORITY_PERSONAL, Ledger
from bot.services.errors import NotFound
from content import Content, Tip
from storage.database import Database
from storage.repo import tips as repo
from storage.repo.tips import TipTotals, VoteCounts


class Vote(IntEnum):
    USEFUL = 1
    NOT_FOR_ME = -1


KIND_TIP = "tip.post"
KIND_ALERT = "admin.alert"


@dataclass(frozen=True, slots=True)
class Queued:
    """A tip's post, queued in the ledger under ``key``."""

    tip: Tip
    key: str
    slot_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VoteResult:
    counts: VoteCounts
    now: Vote | None
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class TipScore:
    tip: Tip
    posts: int
    useful: int
    not_for_me: int

    @property
    def votes(self) -> int:
        return self.useful + self.not_for_me

    @property
    def score(self) -> float:
        """How surely readers find it useful: the lower bound of the Wilson interval of the
        share of useful votes (0 without votes; one 👍 is less sure than ten)."""
        return _wilson(self.useful, self.votes)[0]

    @property
    def ceiling(self) -> float:
        """The most the useful share can plausibly be: low only when many said «not for me»
        (the upper bound of the same interval; 1 without votes)."""
        return _wilson(self.useful, self.votes)[1]


#: z for a 95 % interval
_Z = 1.96


def _wilson(successes: int, total: int) -> tuple[float, float]:
    """The Wilson score interval of a share ``successes / total``."""
    if total == 0:
        return 0.0, 1.0
    share = successes / total
    z2 = _Z * _Z
    centre = share + z2 / (2 * total)
    spread = _Z * math.sqrt(share * (1 - share) / total + z2 / (4 * total * total))
    return (centre - spread) / (1 + z2 / total), (centre + spread) / (1 + z2 / total)


@dataclass(frozen=True, slots=True)
class TipBoard:
    """Rated tips: the best (more useful than not) and the worst (the rest), each surest first."""

    posted: int
    best: list[TipScore]
    worst: list[TipScore]


class TipsService:
    def __init__(
        self,
        db: Database,
        content: Content,
        clock: Clock,
        *,
        schedule: CronTrigger | None = None,
        grace: timedelta = timedelta(hours=3),
        rng: random.Random | None = None,
        ledger: Ledger,
        admin_ids: frozenset[int] = frozenset(),
    ) -> None:
        self._ledger = ledger
        self._admin_ids = admin_ids
        self._db = db
        self._content = content
        self._clock = clock
        self._schedule = schedule
        self._grace = grace
        self._rng = rng or random.Random()
        # a lock lives while someone holds or waits for it (the table stays small)
        self._lock_table: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._lock_table.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._lock_table[key] = lock
        return lock

    # --- on demand -------------------------------------------------------------------------

    def random_tip(self, exclude: str | None = None) -> Tip:
        """Any tip but ``exclude`` (the one the reader just saw)."""
        pool = [t for t in self._content.tips if t.id != exclude] or self._content.tips
        return self._rng.choice(pool)

    def get(self, tip_id: str) -> Tip:
        tip = self._content.tip(tip_id)
        if tip is None:
            raise NotFound()
        return tip

    # --- rotation --------------------------------------------------------------------------

    async def peek_next(self, channel: str) -> Tip:
        """The tip the channel gets next (the order is persisted, so this is a promise)."""
        async with self._lock(channel), self._db.transaction() as conn:
            _, tip_id = await self._next_in_rotation(conn, channel)
        return self.get(tip_id)

    async def _next_in_rotation(self, conn: AsyncConnection, channel: str) -> tuple[int, str]:
        known = [t.id for t in self._content.tips]
        round_no = await repo.current_round(conn, channel)
        if round_no is not None:
            entries = await repo.rotation(conn, channel, round_no)
            in_round = {e.tip_id for e in entries}
            fresh = [t for t in known if t not in in_round]
            if fresh:
                self._rng.shuffle(fresh)
                last = entries[-1].position + 1 if entries else 0
                await repo.add_to_round(conn, channel, round_no, fresh, last)
                entries = await repo.rotation(conn, channel, round_no)
            valid = set(known)
            for entry in entries:
                if not entry.posted and entry.tip_id in valid:
                    return round_no, entry.tip_id
        order = list(known)
        self._rng.shuffle(order)
        last_posted = await repo.last_posted_tip(conn, channel)
        if len(order) > 1 and order[0] == last_posted:
            order.append(order.pop(0))
        round_no = (round_no or 0) + 1
        await repo.add_to_round(conn, channel, round_no, order, 0)
        return round_no, order[0]

    async def post_next(self, channel: str) -> Queued:
        """Queue the next tip of the rotation for posting now (``/tip_now``)."""
        key = f"tip:{channel}:now:{self._clock.now().isoformat()}:{self._rng.getrandbits(32):x}"
        async with self._lock(channel), self._db.transaction() as conn:
            tip = await self._queue(conn, channel, key, None)
        return Queued(tip, key)

    async def _queue(
        self, conn: AsyncConnection, channel: str, key: str, slot_at: datetime | None
    ) -> Tip:
        round_no, tip_id = await self._next_in_rotation(conn, channel)
        # taken from the round now, so the rotation moves on; put back if the post is refused
        await repo.mark_posted(conn, channel, round_no, tip_id, self._clock.now())
        await self._ledger.add(
            conn,
            key=key,
            kind=KIND_TIP,
            chat_id=0,  # the channel may be an @username: it is in the payload
            payload={
                "channel": channel,
                "tip": tip_id,
                "round": round_no,
                "slot": slot_at.isoformat() if slot_at else None,
                "key": key,
            },
            priority=PRIORITY_BROADCAST,
            rearm=slot_at is not None,  # a refused slot claimed again is tried again
        )
        return self.get(tip_id)

    async def recorded(
        self, conn: AsyncConnection, payload: dict[str, Any], chat_id: int, message_id: int
    ) -> None:
        """Telegram accepted the post (in the ledger's outcome transaction)."""
        await repo.add_post(
            conn,
            channel=str(payload["channel"]),
            chat_id=chat_id,
            message_id=message_id,
            tip_id=str(payload["tip"]),
            now=self._clock.now(),
        )

    async def not_posted(self, conn: AsyncConnection, payload: dict[str, Any], reason: str) -> None:
        """Telegram refused the post for good: the tip goes back into the round, the slot is
        free for a later run, and every admin is told why."""
        channel = str(payload["channel"])
        await repo.mark_posted(conn, channel, int(payload["round"]), str(payload["tip"]), None)
        if payload.get("slot"):
            await repo.release_slot(conn, channel, datetime.fromisoformat(payload["slot"]))
        attempt = self._clock.now().isoformat()
        for admin_id in sorted(self._admin_ids):
            await self._ledger.add(
                conn,
                key=f"alert:{payload['key']}:{attempt}:{admin_id}",
                kind=KIND_ALERT,
                chat_id=admin_id,
                user_id=admin_id,
                payload={"channel": channel, "reason": reason},
                priority=PRIORITY_PERSONAL,
            )

    # --- schedule ---------------------------------------------------------------------------

    def due_slot(self, now: datetime) -> datetime | None:
        """The latest fire time of the schedule at or before ``now`` within the grace window."""
        if self._schedule is None:
            return None
        start = now - self._grace
        latest: datetime | None = None
        moment = self._schedule.get_next_fire_time(None, start)
        while moment is not None and moment <= now:
            latest = moment
            moment = self._schedule.get_next_fire_time(moment, moment + timedelta(seconds=1))
        return latest

    async def post_due(self, channel: str) -> Queued | None:
        """Queue the post for the current schedule slot unless it was queued already.

        Called by the cron job and once at start-up (catching up a slot missed while the bot
        was down, if it is still within the grace window).
        """
        now = self._clock.now()
        slot = self.due_slot(now)
        if slot is None:
            return None
        async with self._lock(channel), self._db.transaction() as conn:
            if not await repo.claim_slot(conn, channel, slot, now):
                return None
            tip = await self._queue(conn, channel, f"tip:{channel}:{slot.isoformat()}", slot)
        return Queued(tip, f"tip:{channel}:{slot.isoformat()}", slot)

    # --- votes ------------------------------------------------------------------------------

    async def vote(self, chat_id: int, message_id: int, user_id: int, vote: Vote) -> VoteResult:
        """Record a reader's vote on a channel post; the same vote again withdraws it."""
        now = self._clock.now()
        # one reader's presses are serialised, so a double tap cannot vote twice
        async with (
            self._lock(f"vote:{chat_id}:{message_id}:{user_id}"),
            self._db.transaction() as conn,
        ):
            post = await repo.post_by_message(conn, chat_id, message_id)
            if post is None:
                raise NotFound()
            before = await repo.get_vote(conn, post.id, user_id)
            new: Vote | None = None if before == vote.value else vote
            await repo.set_vote(conn, post.id, user_id, new.value if new else None, now)
            counts = await repo.vote_counts(conn, post.id)
        return VoteResult(counts=counts, now=new, chat_id=chat_id, message_id=message_id)

    async def scores(self) -> list[TipScore]:
        """Posted tips, best rated first."""
        async with self._db.read() as conn:
            totals: list[TipTotals] = await repo.totals_by_tip(conn)
        scored = [
            TipScore(tip, t.posts, t.useful, t.not_for_me)
            for t in totals
            if (tip := self._content.tip(t.tip_id)) is not None
        ]
        scored.sort(key=lambda s: (-s.score, -s.ceiling, s.tip.id))
        return scored

    async def board(self, size: int) -> TipBoard:
        """The ``size`` best and worst rated tips; a tip without votes is in neither."""
        scores = await self.scores()
        rated = [s for s in scores if s.votes]
        best = [s for s in rated if s.useful > s.not_for_me]
        worst = sorted(
            (s for s in rated if s.useful <= s.not_for_me),
            key=lambda s: (s.ceiling, -s.votes, s.tip.id),
        )
        return TipBoard(len(scores), best[:size], worst[:size])
