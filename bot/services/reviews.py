"""The weekly self-review: schedules, reminders, the review itself, evidence and feedback.

Rules (all here, unit-tested without Telegram):
- every member has a review schedule that follows their team (joined or chosen last): the
  team's weekday and time (leads set them; Friday 16:00 by default) in the user's own zone
  (the team's until they choose one), outside their quiet hours (21:00-09:00 by default);
  a user may skip one week or pause until a date, leads may make a week a holiday;
- the database is the truth of what is due: ``tick()`` (run every minute by APScheduler)
  turns each due schedule into a ledger row keyed by the user and the ISO week of their
  zone, in the same transaction that moves the schedule on. A second tick, a restart or a
  second process cannot queue it twice (the schedule moves on only from the due time it
  read, and the ledger's key is unique), and a reminder is never lost (it is queued before
  the schedule moves on, in one transaction);
- a reminder missed while the bot was down is sent once if it is at most ``grace`` late;
  older ones are dropped and logged;
- one follow-up the next working morning if the week has no review yet, then nothing more;
- a review: results and evidence (required, up to 2,000 characters), self-ratings 1-5 on a
  rotating subset of the portrait's qualities (every quality at least once in four weeks),
  what the author wants feedback on and one thing to improve (both optional), then a
  summary to submit; a submitted review can be changed for 7 days, then only read;
- feedback: up to 3 teammates, each gets the summary (ratings only if the author says so)
  through the ledger, answers or declines within 7 days; the answer reaches the author.
  Nobody sees a review that was not shared with them.
Unit of work: one transaction per public method.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.services.deliveries import PRIORITY_PERSONAL, PRIORITY_TEAM, Ledger
from bot.services.errors import DomainError, NotFound
from bot.services.schedule import (
    Quiet,
    ReviewSchedule,
    follow_up,
    iso_week,
    next_due,
    out_of_quiet,
    week_start,
    within_grace,
)
from bot.services.teams import PortraitQuality, Team, TeamsService
from storage.database import Database
from storage.repo import reviews as repo
from storage.repo import teams as teams_repo
from storage.repo import users as users_repo
from storage.repo.reviews import EvidenceRow, FeedbackRow, ReceivedKudos, ReviewRow, ScheduleRow

log = logging.getLogger(__name__)

KIND_REMIND = "review.remind"
KIND_FOLLOW = "review.follow"
KIND_SNOOZE = "review.snooze"
KIND_ASK = "review.ask"
KIND_ANSWER = "review.answer"
KIND_DIGEST = "review.digest"
#: the leads' digest: Monday at this local hour (team time), about the week just ended
DIGEST_WEEKDAY = 0
DIGEST_HOUR = 9
#: a member nobody thanked for this long is named in the digest
UNTHANKED = timedelta(days=30)

RESULTS_LIMIT = 2000
NOTE_LIMIT = 500
FEEDBACK_LIMIT = 1000
EVIDENCE_LIMIT = 1000
MAX_PEERS = 3
EDITABLE_FOR = timedelta(days=7)
FEEDBACK_EXPIRES = timedelta(days=7)
SNOOZE = timedelta(hours=2)
#: schedules handled per transaction by one tick
TICK_BATCH = 500

STEPS = ("results", "ratings", "wish", "plan", "summary")


class NotInTeam(DomainError):
    key = "review.no_team"


class TooLong(DomainError):
    key = "review.too_long"


class Locked(DomainError):
    key = "review.locked"


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def rotation(qualities: list[str], week: str, per_week: int) -> list[str]:
    """The qualities rated in ``week``: a window of ``per_week`` that moves on by its own size
    every week, so every quality comes up once in ``ceil(n / per_week)`` weeks (a month for
    a portrait of up to 16 qualities with the default 4; a larger portrait takes longer,
    rather than making the two-minute review longer)."""
    n = len(qualities)
    if n <= per_week:
        return list(qualities)
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    index = monday.toordinal() // 7  # consecutive weeks, across years too
    rounds = math.ceil(n / per_week)
    start = (index % rounds) * per_week
    return [qualities[(start + i) % n] for i in range(per_week)]


@dataclass(frozen=True, slots=True)
class Due:
    """What one tick did."""

    queued: int
    dropped: int
    computed: int


@dataclass(frozen=True, slots=True)
class Evidence:
    kudos: list[ReceivedKudos]
    kept: list[EvidenceRow]


@dataclass(frozen=True, slots=True)
class LeadDigest:
    """The leads' weekly digest of one team and week (only what leads may see)."""

    team: Team
    week: str
    members: list[teams_repo.MemberRow]
    submitted: list[int]
    skipped_twice: list[int]
    averages: dict[str, float]
    kudos: dict[str, int]
    unthanked: list[int]
    #: reviews their authors shared with the lead
    shared: list[ReviewRow]


@dataclass(frozen=True, slots=True)
class Progress:
    """The self-view beside the peers' view over the last weeks (oldest week first)."""

    weeks: list[str]
    #: quality id -> rating per week (None: not rated that week)
    ratings: dict[str, list[int | None]]
    #: quality id -> kudos received in the same period
    kudos: dict[str, int]
    qualities: dict[str, PortraitQuality]

    def average(self, quality_id: str) -> float | None:
        values = [v for v in self.ratings.get(quality_id, []) if v is not None]
        return sum(values) / len(values) if values else None


@dataclass(frozen=True, slots=True)
class History:
    review: ReviewRow
    feedback: list[FeedbackRow]
    evidence: list[EvidenceRow]


def _schedule(row: ScheduleRow, holidays: frozenset[str]) -> ReviewSchedule:
    paused = date.fromisoformat(row.paused_until) if row.paused_until else None
    return ReviewSchedule(
        weekday=row.day,
        at=hhmm(row.time),
        zone=zone(row.zone),
        quiet=Quiet(hhmm(row.quiet_start), hhmm(row.quiet_end)),
        paused_until=paused,
        skip_week=row.skip_week,
        holidays=holidays,
    )


class ReviewsService:
    def __init__(
        self,
        db: Database,
        teams: TeamsService,
        clock: Clock,
        ledger: Ledger,
        *,
        grace: timedelta = timedelta(hours=12),
        per_week: int = 4,
    ) -> None:
        self._db = db
        self._teams = teams
        self._clock = clock
        self._ledger = ledger
        self.grace = grace
        self.per_week = per_week

    @property
    def clock(self) -> Clock:
        return self._clock

    # --- schedules --------------------------------------------------------------------------

    async def schedule(self, user_id: int) -> ScheduleRow | None:
        async with self._db.read() as conn:
            return await repo.schedule(conn, user_id)

    async def rules(self, user_id: int) -> tuple[ScheduleRow, ReviewSchedule] | None:
        async with self._db.read() as conn:
            row = await repo.schedule(conn, user_id)
            if row is None:
                return None
            return row, _schedule(row, await repo.holidays(conn, row.team_id))

    async def change(self, user_id: int, **values: object) -> ScheduleRow:
        """Change the user's own schedule (weekday, at, timezone, quiet_start, quiet_end,
        paused_until, skip_week); the next reminder is computed at the next tick."""
        async with self._db.transaction() as conn:
            if await repo.schedule(conn, user_id) is None:
                raise NotInTeam()
            await repo.change_schedule(conn, user_id, self._clock.now(), **values)
            row = await repo.schedule(conn, user_id)
        assert row is not None
        return row

    async def mark_zone_asked(self, user_id: int) -> None:
        async with self._db.transaction() as conn:
            await repo.mark_zone_asked(conn, user_id)

    async def set_team_defaults(self, team: Team, weekday: int, at: time) -> None:
        async with self._db.transaction() as conn:
            await repo.set_team_defaults(conn, team.id, weekday=weekday, at=at.strftime("%H:%M"))

    async def team_defaults(self, team: Team) -> tuple[int, str]:
        async with self._db.read() as conn:
            return await repo.team_defaults(conn, team.id)

    async def set_holiday(self, team: Team, week: str, on: bool) -> frozenset[str]:
        async with self._db.transaction() as conn:
            await repo.set_holiday(conn, team.id, week, on)
            return await repo.holidays(conn, team.id)

    async def holidays(self, team: Team) -> frozenset[str]:
        async with self._db.read() as conn:
            return await repo.holidays(conn, team.id)

    def week_now(self, row: ScheduleRow) -> str:
        return iso_week(self._clock.now(), zone(row.zone))

    # --- the minute tick ----------------------------------------------------------------------

    async def tick(self) -> Due:
        """Queue every reminder that is due (see the module's rules)."""
        queued = dropped = computed = 0
        while True:
            now = self._clock.now()
            async with self._db.transaction() as conn:
                rows = await repo.due(conn, now, TICK_BATCH)
                holidays: dict[int, frozenset[str]] = {}
                for row in rows:
                    if row.team_id not in holidays:
                        holidays[row.team_id] = await repo.holidays(conn, row.team_id)
                    outcome = await self._one(conn, row, _schedule(row, holidays[row.team_id]), now)
                    queued += outcome == "queued"
                    dropped += outcome == "dropped"
                    computed += outcome == "computed"
            if len(rows) < TICK_BATCH:
                return Due(queued=queued, dropped=dropped, computed=computed)

    async def tick_user(self, user_id: int) -> None:
        """Compute one user's next reminder now (their schedule changed), so that what they
        are shown is right; a due reminder is left to the minute tick."""
        now = self._clock.now()
        async with self._db.transaction() as conn:
            row = await repo.schedule(conn, user_id)
            if row is None or row.next_due_at is not None:
                return
            rules = _schedule(row, await repo.holidays(conn, row.team_id))
            due_at, week = next_due(rules, now)
            await repo.advance(conn, user_id, was=None, due_at=due_at, week=week)

    async def _one(
        self, conn: AsyncConnection, row: ScheduleRow, rules: ReviewSchedule, now: datetime
    ) -> str:
        was = row.next_due_at
        after = now if was is None else max(now, was)
        # the week just due is never the next one (a day moved later in the same week)
        due_at, week = next_due(rules, after, last_week=row.next_week if was else None)
        if not await repo.advance(conn, row.user_id, was=was, due_at=due_at, week=week):
            return "lost"  # another tick moved it on first
        if was is None or row.next_week is None:
            return "computed"
        if not within_grace(was, now, self.grace):
            log.info(
                "review reminder of user %s for %s dropped: %s late",
                row.user_id,
                row.next_week,
                now - was,
            )
            return "dropped"
        if (
            row.next_week == rules.skip_week
            or row.next_week in rules.holidays
            or await self._submitted(conn, row.user_id, row.next_week)
        ):
            return "skipped"
        await self._ledger.add(
            conn,
            key=f"{KIND_REMIND}:{row.user_id}:{row.next_week}",
            kind=KIND_REMIND,
            chat_id=row.user_id,
            user_id=row.user_id,
            payload={"week": row.next_week},
            priority=PRIORITY_TEAM,
            reachable=row.reachable,
        )
        again = follow_up(rules, was, week=row.next_week, within_week=False)
        if again is not None:
            await self._ledger.add(
                conn,
                key=f"{KIND_FOLLOW}:{row.user_id}:{row.next_week}",
                kind=KIND_FOLLOW,
                chat_id=row.user_id,
                user_id=row.user_id,
                payload={"week": row.next_week},
                priority=PRIORITY_TEAM,
                due_at=again,
                reachable=row.reachable,
            )
        return "queued"

    @staticmethod
    async def _submitted(conn: AsyncConnection, user_id: int, week: str) -> bool:
        found = await repo.review(conn, user_id, week)
        return found is not None and found.submitted

    async def still_wanted(self, user_id: int, week: str, *, follow: bool = False) -> bool:
        """A reminder (or its follow-up) about to be sent is still worth sending: the week is
        the user's current one (or the one just gone), not skipped, and has no submitted
        review (a follow-up: no review started at all)."""
        async with self._db.read() as conn:
            row = await repo.schedule(conn, user_id)
            if row is None or row.skip_week == week:
                return False
            found = await repo.review(conn, user_id, week)
        if found is not None and (follow or found.submitted):
            return False
        return week in self._recent_weeks(row, back=timedelta(days=7) if follow else self.grace)

    def _recent_weeks(self, row: ScheduleRow, back: timedelta) -> set[str]:
        """The user's current week, and the one ``back`` ago (a reminder sent late, the
        follow-up on Monday about the week just ended)."""
        now = self._clock.now()
        tz = zone(row.zone)
        return {iso_week(now, tz), iso_week(now - back, tz)}

    async def snooze(self, user_id: int, week: str) -> datetime:
        """«In 2 hours»: the reminder again in two hours (out of the quiet hours)."""
        rules = await self.rules(user_id)
        if rules is None:
            raise NotInTeam()
        row, schedule = rules
        at = out_of_quiet(self._clock.now() + SNOOZE, schedule.zone, schedule.quiet)
        async with self._db.transaction() as conn:
            await self._ledger.add(
                conn,
                key=f"{KIND_SNOOZE}:{user_id}:{week}:{at:%Y%m%d%H%M}",
                kind=KIND_SNOOZE,
                chat_id=user_id,
                user_id=user_id,
                payload={"week": week},
                priority=PRIORITY_PERSONAL,
                due_at=at,
                reachable=row.reachable,
            )
        return at

    async def skip(self, user_id: int, week: str) -> None:
        await self.change(user_id, skip_week=week)

    # --- the review ---------------------------------------------------------------------------

    async def open(self, user_id: int, week: str | None = None) -> tuple[ReviewRow, Team]:
        """The user's review of ``week`` — this week's, or the one just ended that a Monday
        follow-up is about (any other week is this week's) — a new draft if there is none."""
        row = await self.schedule(user_id)
        if row is None:
            raise NotInTeam()
        team = await self._teams.by_id(row.team_id)
        if week is None or week not in self._recent_weeks(row, back=timedelta(days=7)):
            week = self.week_now(row)
        portrait = [q.id for q in await self._teams.enabled_qualities(team)]
        async with self._db.transaction(replayable=True) as conn:
            found = await repo.review(conn, user_id, week)
            if found is None:
                found = await repo.create_draft(
                    conn,
                    user_id=user_id,
                    team_id=team.id,
                    week=week,
                    qualities=rotation(portrait, week, self.per_week),
                    now=self._clock.now(),
                )
        return found, team

    async def own(self, review_id: int, user_id: int, *, draft: bool = True) -> ReviewRow:
        """The user's review (a forged or stale id is refused)."""
        async with self._db.read() as conn:
            found = await repo.review_by_id(conn, review_id)
        if found is None or found.user_id != user_id:
            raise NotFound()
        if draft and found.submitted:
            raise Locked()
        return found

    async def _change(self, review: ReviewRow, **values: object) -> ReviewRow:
        async with self._db.transaction() as conn:
            await repo.change_review(conn, review.id, self._clock.now(), **values)
            found = await repo.review_by_id(conn, review.id)
        assert found is not None
        return found

    async def set_results(self, review_id: int, user_id: int, text: str) -> ReviewRow:
        review = await self.own(review_id, user_id)
        text = text.strip()
        if len(text) > RESULTS_LIMIT:
            raise TooLong(n=RESULTS_LIMIT, length=len(text))
        if not text:
            raise DomainError("review.results_empty")
        return await self._change(review, results=text, step=_after("results"))

    async def rate(self, review_id: int, user_id: int, index: int, value: int) -> ReviewRow:
        review = await self.own(review_id, user_id)
        if not 0 <= index < len(review.qualities) or not 1 <= value <= 5:
            raise NotFound()
        ratings = dict(review.ratings) | {review.qualities[index]: value}
        return await self._change(review, ratings=ratings)

    async def ratings_done(self, review_id: int, user_id: int) -> ReviewRow:
        review = await self.own(review_id, user_id)
        if any(q not in review.ratings for q in review.qualities):
            raise DomainError("review.rate_all")
        return await self._change(review, step=_after("ratings"))

    async def set_note(
        self, review_id: int, user_id: int, field: str, text: str | None
    ) -> ReviewRow:
        """``field`` is ``wish`` (what I want feedback on) or ``plan`` (one thing to improve);
        None skips it."""
        if field not in ("wish", "plan"):
            raise NotFound()
        review = await self.own(review_id, user_id)
        if text is not None:
            text = text.strip()
            if len(text) > NOTE_LIMIT:
                raise TooLong(n=NOTE_LIMIT, length=len(text))
        return await self._change(review, **{field: text or None, "step": _after(field)})

    async def edit(self, review_id: int, user_id: int) -> ReviewRow:
        """Back to the first step (what was written is kept and offered again); a submitted
        review becomes a draft again if it is at most 7 days old."""
        review = await self.own(review_id, user_id, draft=False)
        if review.submitted:
            assert review.submitted_at is not None
            if self._clock.now() - review.submitted_at > EDITABLE_FOR:
                raise Locked()
        return await self._change(review, state=repo.DRAFT, step="results")

    async def submit(self, review_id: int, user_id: int) -> ReviewRow:
        review = await self.own(review_id, user_id, draft=False)
        if review.submitted:
            return review  # a double tap
        if not review.results:
            raise DomainError("review.results_empty")
        return await self._change(
            review, state=repo.SUBMITTED, step="summary", submitted_at=self._clock.now()
        )

    async def cancel(self, review_id: int, user_id: int) -> None:
        review = await self.own(review_id, user_id)
        async with self._db.transaction() as conn:
            await repo.delete_review(conn, review.id)

    async def share_with_lead(self, review_id: int, user_id: int, on: bool) -> ReviewRow:
        review = await self.own(review_id, user_id, draft=False)
        return await self._change(review, share_lead=int(on))

    async def last_plan(self, user_id: int, week: str) -> str | None:
        """What the user planned to improve in the last submitted week before ``week``."""
        async with self._db.read() as conn:
            for found in await repo.reviews_of(conn, user_id, 8):
                if found.week < week and found.submitted:
                    return found.plan
        return None

    # --- evidence -----------------------------------------------------------------------------

    async def keep_evidence(self, user_id: int, text: str) -> tuple[str, int]:
        """A message forwarded to the bot: kept as evidence of the user's current week."""
        row = await self.schedule(user_id)
        if row is None:
            raise NotInTeam()
        text = text.strip()
        if len(text) > EVIDENCE_LIMIT:
            text = text[: EVIDENCE_LIMIT - 1] + "…"
        week = self.week_now(row)
        async with self._db.transaction(replayable=True) as conn:
            new_id = await repo.add_evidence(
                conn, user_id=user_id, week=week, source="forward", text=text, now=self._clock.now()
            )
        return week, new_id

    async def evidence(self, review: ReviewRow) -> Evidence:
        """The week's kudos received and the messages kept, to be added with one tap."""
        row = await self.schedule(review.user_id)
        tz = zone(row.zone if row else "UTC")
        start = week_start(review.week, tz)
        async with self._db.read() as conn:
            got = await repo.kudos_received(
                conn, review.user_id, review.team_id, start, start + timedelta(days=7)
            )
            kept = await repo.evidence(conn, review.user_id, review.week)
        return Evidence(kudos=got, kept=kept)

    async def attach_all(self, review_id: int, user_id: int) -> Evidence:
        """One tap: the week's kudos and kept messages become the review's evidence."""
        review = await self.own(review_id, user_id)
        found = await self.evidence(review)
        now = self._clock.now()
        known = {e.kudos_id for e in found.kept if e.kudos_id}
        async with self._db.transaction() as conn:
            for kept in found.kept:
                if not kept.attached:
                    await repo.attach(conn, user_id, kept.id, True)
            for k in found.kudos:
                if k.id not in known:
                    await repo.add_evidence(
                        conn,
                        user_id=user_id,
                        week=review.week,
                        source="kudos",
                        text=k.reason,
                        kudos_id=k.id,
                        now=now,
                        attached=True,
                    )
        return await self.evidence(review)

    # --- history ------------------------------------------------------------------------------

    async def history(self, user_id: int, limit: int = 12) -> list[ReviewRow]:
        async with self._db.read() as conn:
            return await repo.reviews_of(conn, user_id, limit)

    async def read(self, review_id: int, user_id: int) -> History:
        """A review its author opens (with the feedback on it and its evidence)."""
        review = await self.own(review_id, user_id, draft=False)
        async with self._db.read() as conn:
            answers = await repo.feedback_of(conn, review.id)
            kept = await repo.evidence(conn, user_id, review.week)
        return History(review=review, feedback=answers, evidence=[e for e in kept if e.attached])

    # --- feedback -----------------------------------------------------------------------------

    async def teammates(self, review_id: int, user_id: int) -> list[teams_repo.MemberRow]:
        review = await self.own(review_id, user_id, draft=False)
        team = await self._teams.by_id(review.team_id)
        return [m for m in await self._teams.members(team) if m.user_id != user_id]

    async def ask(
        self, review_id: int, user_id: int, peer_ids: list[int], show_ratings: bool
    ) -> list[int]:
        """Ask up to 3 teammates for feedback on a submitted review; the ids of those asked
        now (someone asked already is not asked again)."""
        review = await self.own(review_id, user_id, draft=False)
        if not review.submitted:
            raise DomainError("review.submit_first")
        peers = list(dict.fromkeys(p for p in peer_ids if p != user_id))
        if not peers:
            raise DomainError("review.pick_peers")
        if len(peers) > MAX_PEERS:
            raise DomainError("review.too_many_peers", n=MAX_PEERS)
        team = await self._teams.by_id(review.team_id)
        members = await self._teams.members_by_id(team, peers)
        now = self._clock.now()
        asked = []
        async with self._db.transaction(replayable=True) as conn:
            already = await repo.feedback_of(conn, review.id)
            if len({f.peer_id for f in already} | set(peers)) > MAX_PEERS:
                raise DomainError("review.too_many_peers", n=MAX_PEERS)
            for peer in peers:
                member = members.get(peer)
                if member is None:
                    raise NotFound()
                request_id = await repo.request_feedback(
                    conn,
                    review_id=review.id,
                    author_id=user_id,
                    peer_id=peer,
                    show_ratings=show_ratings,
                    now=now,
                    expires_at=now + FEEDBACK_EXPIRES,
                )
                if request_id is None:
                    continue
                asked.append(peer)
                await self._ledger.add(
                    conn,
                    key=f"{KIND_ASK}:{request_id}",
                    kind=KIND_ASK,
                    chat_id=peer,
                    user_id=peer,
                    payload={"request": request_id},
                    priority=PRIORITY_PERSONAL,
                    reachable=member.reachable,
                )
        return asked

    async def request_for(self, request_id: int, peer_id: int) -> tuple[FeedbackRow, ReviewRow]:
        """A feedback request as its colleague sees it (anyone else is refused; an expired or
        closed request says so)."""
        async with self._db.read() as conn:
            found = await repo.feedback(conn, request_id)
            review = await repo.review_by_id(conn, found.review_id) if found else None
        if found is None or review is None or found.peer_id != peer_id:
            raise NotFound()
        return found, review

    async def open_request(self, request_id: int, peer_id: int) -> tuple[FeedbackRow, ReviewRow]:
        found, review = await self.request_for(request_id, peer_id)
        if found.state != repo.PENDING:
            raise DomainError("review.feedback_closed")
        if self._clock.now() >= found.expires_at:
            raise DomainError("review.feedback_expired")
        return found, review

    async def answer(self, request_id: int, peer_id: int, text: str | None) -> FeedbackRow:
        """The colleague's answer (None: they decline); the author gets it through the ledger."""
        found, _ = await self.open_request(request_id, peer_id)
        if text is not None:
            text = text.strip()
            if len(text) > FEEDBACK_LIMIT:
                raise TooLong(n=FEEDBACK_LIMIT, length=len(text))
            if not text:
                raise DomainError("review.feedback_empty")
        author = await self.schedule(found.author_id)
        async with self._db.transaction(replayable=True) as conn:
            state = repo.ANSWERED if text else repo.DECLINED
            if not await repo.close_feedback(
                conn, request_id, state=state, answer=text, now=self._clock.now()
            ):
                raise DomainError("review.feedback_closed")
            await self._ledger.add(
                conn,
                key=f"{KIND_ANSWER}:{request_id}",
                kind=KIND_ANSWER,
                chat_id=found.author_id,
                user_id=found.author_id,
                payload={"request": request_id},
                priority=PRIORITY_PERSONAL,
                reachable=author.reachable if author else True,
            )
            closed = await repo.feedback(conn, request_id)
        assert closed is not None
        return closed

    async def feedback(self, request_id: int) -> tuple[FeedbackRow, ReviewRow] | None:
        """For the delivery kinds: the request and its review (None once they are gone)."""
        async with self._db.read() as conn:
            found = await repo.feedback(conn, request_id)
            review = await repo.review_by_id(conn, found.review_id) if found else None
        return (found, review) if found and review else None

    async def person_name(self, user_id: int) -> str | None:
        """«First Last» of a user the bot knows (None for a forgotten one)."""
        async with self._db.read() as conn:
            found = await users_repo.get(conn, user_id)
        if found is None:
            return None
        return f"{found.first_name} {found.last_name}" if found.last_name else found.first_name

    async def author_name(self, review: ReviewRow) -> str | None:
        return await self.person_name(review.user_id)

    async def qualities(self, team_id: int) -> dict[str, PortraitQuality]:
        team = await self._teams.by_id(team_id)
        return {q.id: q for q in await self._teams.portrait(team)}

    # --- /progress ---------------------------------------------------------------------------

    async def progress(self, user_id: int, weeks: int = 12) -> Progress:
        row = await self.schedule(user_id)
        if row is None:
            raise NotInTeam()
        tz = zone(row.zone)
        now = self._clock.now()
        this = week_start(iso_week(now, tz), tz)
        names = [iso_week(this - timedelta(days=7 * i - 3), tz) for i in range(weeks - 1, -1, -1)]
        since = week_start(names[0], tz)
        async with self._db.read() as conn:
            mine = {r.week: r for r in await repo.reviews_of(conn, user_id, weeks + 4)}
            kudos = await repo.kudos_per_quality(conn, user_id, row.team_id, since)
        ratings: dict[str, list[int | None]] = {}
        for index, week in enumerate(names):
            review = mine.get(week)
            if review is None or not review.submitted:
                continue
            for quality, value in review.ratings.items():
                ratings.setdefault(quality, [None] * len(names))[index] = value
        qualities = await self.qualities(row.team_id)
        return Progress(weeks=names, ratings=ratings, kudos=kudos, qualities=qualities)

    # --- the leads' digest ------------------------------------------------------------------

    async def digests_due(self) -> list[tuple[Team, str]]:
        """(team, week) whose leads' digest is due now and not queued yet."""
        due = []
        for team in await self._teams.active_teams():
            week = self.digest_week_due(team)
            if week is None:
                continue
            async with self._db.read() as conn:
                if not await repo.event_done(conn, team.id, "review_digest", week):
                    due.append((team, week))
        return due

    def digest_week_due(self, team: Team) -> str | None:
        """The week whose digest is due now in ``team`` (Monday 09:00 team time or later, about
        the week just ended), or None outside Monday."""
        tz = zone(team.timezone)
        local = self._clock.now().astimezone(tz)
        if local.weekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
            return None
        return iso_week(local - timedelta(days=7), tz)

    async def queue_digests(self, team: Team, week: str, lead_ids: list[int]) -> bool:
        """One private digest per lead, once per team and week (False: queued before)."""
        reachable = await self._teams.members_by_id(team, lead_ids)
        async with self._db.transaction() as conn:
            if not await teams_repo.claim_event(
                conn, team.id, "review_digest", week, self._clock.now()
            ):
                return False
            for lead in lead_ids:
                member = reachable.get(lead)
                await self._ledger.add(
                    conn,
                    key=f"{KIND_DIGEST}:{team.id}:{week}:{lead}",
                    kind=KIND_DIGEST,
                    chat_id=lead,
                    user_id=lead,
                    payload={"team": team.id, "week": week},
                    priority=PRIORITY_TEAM,
                    reachable=member.reachable if member else True,
                )
        return True

    async def lead_digest(self, team: Team, week: str) -> LeadDigest:
        tz = zone(team.timezone)
        start = week_start(week, tz)
        before = iso_week(start - timedelta(days=3), tz)
        members = await self._teams.members(team)
        async with self._db.read() as conn:
            this = {r.user_id: r for r in await repo.submitted_weeks(conn, team.id, [week])}
            last = {r.user_id for r in await repo.submitted_weeks(conn, team.id, [before])}
            kudos = await repo.team_kudos_per_quality(
                conn, team.id, start, start + timedelta(days=7)
            )
            thanked = await repo.thanked_since(conn, team.id, start + timedelta(days=7) - UNTHANKED)
        ratings: dict[str, list[int]] = {}
        for review in this.values():
            for quality, value in review.ratings.items():
                ratings.setdefault(quality, []).append(value)
        ids = [m.user_id for m in members]
        return LeadDigest(
            team=team,
            week=week,
            members=members,
            submitted=[u for u in ids if u in this],
            skipped_twice=[u for u in ids if u not in this and u not in last],
            averages={q: sum(v) / len(v) for q, v in ratings.items()},
            kudos=kudos,
            unthanked=[u for u in ids if u not in thanked],
            shared=[r for r in this.values() if r.share_lead],
        )


def _after(step: str) -> str:
    """The next step of a draft (a review being edited goes on through every step)."""
    return STEPS[STEPS.index(step) + 1]
