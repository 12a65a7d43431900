"""The weekly self-review: schedules, team holidays, reviews, evidence and feedback requests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import (
    feedback_requests,
    memberships,
    review_evidence,
    review_schedules,
    reviews,
    team_events,
    team_holidays,
    teams,
    users,
)
from storage.schema import kudos as kudos_table
from storage.upsert import upsert

DRAFT = "draft"
SUBMITTED = "submitted"

PENDING = "pending"
ANSWERED = "answered"
DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """A member's schedule with the defaults of their team beside it."""

    user_id: int
    team_id: int
    weekday: int | None
    at: str | None
    timezone: str | None
    quiet_start: str
    quiet_end: str
    paused_until: str | None
    skip_week: str | None
    next_due_at: datetime | None
    next_week: str | None
    zone_asked: bool
    team_weekday: int
    team_time: str
    team_timezone: str
    team_locale: str
    team_title: str
    language_code: str | None
    reachable: bool

    @property
    def zone(self) -> str:
        return self.timezone or self.team_timezone

    @property
    def day(self) -> int:
        return self.team_weekday if self.weekday is None else self.weekday

    @property
    def time(self) -> str:
        return self.at or self.team_time


@dataclass(frozen=True, slots=True)
class ReviewRow:
    id: int
    user_id: int
    team_id: int
    week: str
    state: str
    step: str
    results: str | None
    qualities: list[str]
    ratings: dict[str, int]
    wish: str | None
    plan: str | None
    share_lead: bool
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None

    @property
    def submitted(self) -> bool:
        return self.state == SUBMITTED


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    id: int
    user_id: int
    week: str
    source: str
    text: str
    kudos_id: int | None
    attached: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    id: int
    review_id: int
    author_id: int
    peer_id: int
    state: str
    show_ratings: bool
    answer: str | None
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None


# --- schedules ----------------------------------------------------------------------------


def _schedule_query() -> Any:
    return select(
        review_schedules,
        teams.c.review_weekday.label("team_weekday"),
        teams.c.review_time.label("team_time"),
        teams.c.timezone.label("team_timezone"),
        teams.c.locale.label("team_locale"),
        teams.c.title.label("team_title"),
        users.c.language_code,
        and_(users.c.started_at.is_not(None), users.c.blocked_at.is_(None)).label("reachable"),
    ).select_from(
        review_schedules.join(teams, teams.c.id == review_schedules.c.team_id).outerjoin(
            users, users.c.id == review_schedules.c.user_id
        )
    )


def _schedule(row: Any) -> ScheduleRow:
    return ScheduleRow(
        user_id=row.user_id,
        team_id=row.team_id,
        weekday=row.weekday,
        at=row.at,
        timezone=row.timezone,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        paused_until=row.paused_until,
        skip_week=row.skip_week,
        next_due_at=row.next_due_at,
        next_week=row.next_week,
        zone_asked=bool(row.zone_asked),
        team_weekday=row.team_weekday,
        team_time=row.team_time,
        team_timezone=row.team_timezone,
        team_locale=row.team_locale,
        team_title=row.team_title,
        language_code=row.language_code,
        reachable=bool(row.reachable),
    )


async def enroll(conn: AsyncConnection, user_id: int, team_id: int, now: datetime) -> None:
    """The user's reviews follow ``team_id`` (the team they joined or chose last); their own
    settings are kept; the next reminder is computed again."""
    values = {"team_id": team_id, "next_due_at": None, "next_week": None, "updated_at": now}
    await conn.execute(
        upsert(
            conn,
            review_schedules,
            {"user_id": user_id, "quiet_start": "21:00", "quiet_end": "09:00", "zone_asked": 0}
            | values,
            ["user_id"],
            values,
        )
    )


async def follow_team(
    conn: AsyncConnection, user_id: int, left: int, team_id: int | None, now: datetime
) -> None:
    """After leaving team ``left``: a schedule on that team follows ``team_id``, or is
    deleted when the user is in no team any more."""
    found = await schedule(conn, user_id)
    if found is None or found.team_id != left:
        return
    if team_id is None:
        await conn.execute(delete(review_schedules).where(review_schedules.c.user_id == user_id))
        return
    await enroll(conn, user_id, team_id, now)


async def schedule(conn: AsyncConnection, user_id: int) -> ScheduleRow | None:
    row = (
        await conn.execute(_schedule_query().where(review_schedules.c.user_id == user_id))
    ).first()
    return _schedule(row) if row else None


async def due(conn: AsyncConnection, now: datetime, limit: int) -> list[ScheduleRow]:
    """Schedules whose reminder is due (or not computed yet), oldest first; only members who
    are still in their team."""
    member = (
        select(memberships.c.user_id)
        .where(
            memberships.c.team_id == review_schedules.c.team_id,
            memberships.c.user_id == review_schedules.c.user_id,
            memberships.c.left_at.is_(None),
        )
        .exists()
    )
    rows = await conn.execute(
        _schedule_query()
        .where(
            or_(review_schedules.c.next_due_at.is_(None), review_schedules.c.next_due_at <= now),
            member,
        )
        .order_by(review_schedules.c.next_due_at.is_not(None), review_schedules.c.next_due_at)
        .limit(limit)
    )
    return [_schedule(r) for r in rows]


async def advance(
    conn: AsyncConnection,
    user_id: int,
    *,
    was: datetime | None,
    due_at: datetime,
    week: str,
) -> bool:
    """Move the schedule on to its next reminder, if nobody did it first (two processes
    ticking at once: only one of them wins each reminder)."""
    current = (
        review_schedules.c.next_due_at.is_(None)
        if was is None
        else review_schedules.c.next_due_at == was
    )
    result = await conn.execute(
        update(review_schedules)
        .where(review_schedules.c.user_id == user_id, current)
        .values(next_due_at=due_at, next_week=week)
    )
    return bool(result.rowcount)


async def change_schedule(
    conn: AsyncConnection, user_id: int, now: datetime, **values: Any
) -> None:
    """Change the user's own settings; the next reminder is computed again."""
    await conn.execute(
        update(review_schedules)
        .where(review_schedules.c.user_id == user_id)
        .values(**values, next_due_at=None, next_week=None, updated_at=now)
    )


async def mark_zone_asked(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(
        update(review_schedules).where(review_schedules.c.user_id == user_id).values(zone_asked=1)
    )


async def set_team_defaults(conn: AsyncConnection, team_id: int, *, weekday: int, at: str) -> None:
    await conn.execute(
        update(teams).where(teams.c.id == team_id).values(review_weekday=weekday, review_time=at)
    )
    await recompute_team(conn, team_id)


async def recompute_team(conn: AsyncConnection, team_id: int) -> None:
    await conn.execute(
        update(review_schedules)
        .where(review_schedules.c.team_id == team_id)
        .values(next_due_at=None, next_week=None)
    )


async def team_defaults(conn: AsyncConnection, team_id: int) -> tuple[int, str]:
    row = (
        await conn.execute(
            select(teams.c.review_weekday, teams.c.review_time).where(teams.c.id == team_id)
        )
    ).one()
    return int(row.review_weekday), str(row.review_time)


async def holidays(conn: AsyncConnection, team_id: int) -> frozenset[str]:
    rows = await conn.execute(
        select(team_holidays.c.week).where(team_holidays.c.team_id == team_id)
    )
    return frozenset(r.week for r in rows)


async def set_holiday(conn: AsyncConnection, team_id: int, week: str, on: bool) -> None:
    if on:
        await conn.execute(
            upsert(conn, team_holidays, {"team_id": team_id, "week": week}, ["team_id", "week"])
        )
    else:
        await conn.execute(
            delete(team_holidays).where(
                team_holidays.c.team_id == team_id, team_holidays.c.week == week
            )
        )
    await recompute_team(conn, team_id)


# --- reviews ------------------------------------------------------------------------------


def _review(row: Any) -> ReviewRow:
    return ReviewRow(
        id=row.id,
        user_id=row.user_id,
        team_id=row.team_id,
        week=row.week,
        state=row.state,
        step=row.step,
        results=row.results,
        qualities=json.loads(row.qualities or "[]"),
        ratings={k: int(v) for k, v in json.loads(row.ratings or "{}").items()},
        wish=row.wish,
        plan=row.plan,
        share_lead=bool(row.share_lead),
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
    )


async def review(conn: AsyncConnection, user_id: int, week: str) -> ReviewRow | None:
    row = (
        await conn.execute(
            select(reviews).where(reviews.c.user_id == user_id, reviews.c.week == week)
        )
    ).first()
    return _review(row) if row else None


async def review_by_id(conn: AsyncConnection, review_id: int) -> ReviewRow | None:
    row = (await conn.execute(select(reviews).where(reviews.c.id == review_id))).first()
    return _review(row) if row else None


async def create_draft(
    conn: AsyncConnection,
    *,
    user_id: int,
    team_id: int,
    week: str,
    qualities: list[str],
    now: datetime,
) -> ReviewRow:
    """The week's draft (the existing one if a replay or a second tap made it first)."""
    await conn.execute(
        upsert(
            conn,
            reviews,
            {
                "user_id": user_id,
                "team_id": team_id,
                "week": week,
                "state": DRAFT,
                "step": "results",
                "qualities": json.dumps(qualities),
                "ratings": "{}",
                "share_lead": 0,
                "created_at": now,
                "updated_at": now,
            },
            ["user_id", "week"],
        )
    )
    found = await review(conn, user_id, week)
    assert found is not None
    return found


async def change_review(
    conn: AsyncConnection, review_id: int, now: datetime, **values: Any
) -> None:
    if "ratings" in values:
        values["ratings"] = json.dumps(values["ratings"], sort_keys=True)
    await conn.execute(
        update(reviews).where(reviews.c.id == review_id).values(**values, updated_at=now)
    )


async def delete_review(conn: AsyncConnection, review_id: int) -> None:
    await conn.execute(delete(reviews).where(reviews.c.id == review_id))


async def reviews_of(conn: AsyncConnection, user_id: int, limit: int) -> list[ReviewRow]:
    rows = await conn.execute(
        select(reviews)
        .where(reviews.c.user_id == user_id)
        .order_by(reviews.c.week.desc())
        .limit(limit)
    )
    return [_review(r) for r in rows]


async def team_week(conn: AsyncConnection, team_id: int, week: str) -> list[ReviewRow]:
    rows = await conn.execute(
        select(reviews).where(reviews.c.team_id == team_id, reviews.c.week == week)
    )
    return [_review(r) for r in rows]


async def submitted_weeks(conn: AsyncConnection, team_id: int, weeks: list[str]) -> list[ReviewRow]:
    rows = await conn.execute(
        select(reviews).where(
            reviews.c.team_id == team_id,
            reviews.c.week.in_(weeks),
            reviews.c.state == SUBMITTED,
        )
    )
    return [_review(r) for r in rows]


# --- evidence -----------------------------------------------------------------------------


def _evidence(row: Any) -> EvidenceRow:
    return EvidenceRow(
        id=row.id,
        user_id=row.user_id,
        week=row.week,
        source=row.source,
        text=row.text,
        kudos_id=row.kudos_id,
        attached=bool(row.attached),
        created_at=row.created_at,
    )


async def add_evidence(
    conn: AsyncConnection,
    *,
    user_id: int,
    week: str,
    source: str,
    text: str,
    now: datetime,
    kudos_id: int | None = None,
    attached: bool = False,
) -> int:
    result = await conn.execute(
        insert(review_evidence)
        .values(
            user_id=user_id,
            week=week,
            source=source,
            text=text,
            kudos_id=kudos_id,
            attached=int(attached),
            created_at=now,
        )
        .returning(review_evidence.c.id)
    )
    return int(result.scalar_one())


async def evidence(conn: AsyncConnection, user_id: int, week: str) -> list[EvidenceRow]:
    rows = await conn.execute(
        select(review_evidence)
        .where(review_evidence.c.user_id == user_id, review_evidence.c.week == week)
        .order_by(review_evidence.c.id)
    )
    return [_evidence(r) for r in rows]


async def attach(conn: AsyncConnection, user_id: int, evidence_id: int, on: bool) -> bool:
    result = await conn.execute(
        update(review_evidence)
        .where(review_evidence.c.id == evidence_id, review_evidence.c.user_id == user_id)
        .values(attached=int(on))
    )
    return bool(result.rowcount)


# --- feedback -----------------------------------------------------------------------------


def _feedback(row: Any) -> FeedbackRow:
    return FeedbackRow(
        id=row.id,
        review_id=row.review_id,
        author_id=row.author_id,
        peer_id=row.peer_id,
        state=row.state,
        show_ratings=bool(row.show_ratings),
        answer=row.answer,
        created_at=row.created_at,
        expires_at=row.expires_at,
        answered_at=row.answered_at,
    )


async def request_feedback(
    conn: AsyncConnection,
    *,
    review_id: int,
    author_id: int,
    peer_id: int,
    show_ratings: bool,
    now: datetime,
    expires_at: datetime,
) -> int | None:
    """A new request (None if this colleague was asked about this review already)."""
    stmt = upsert(
        conn,
        feedback_requests,
        {
            "review_id": review_id,
            "author_id": author_id,
            "peer_id": peer_id,
            "state": PENDING,
            "show_ratings": int(show_ratings),
            "created_at": now,
            "expires_at": expires_at,
        },
        ["review_id", "peer_id"],
    ).returning(feedback_requests.c.id)
    found = (await conn.execute(stmt)).scalar()
    return None if found is None else int(found)


async def feedback(conn: AsyncConnection, request_id: int) -> FeedbackRow | None:
    row = (
        await conn.execute(select(feedback_requests).where(feedback_requests.c.id == request_id))
    ).first()
    return _feedback(row) if row else None


async def feedback_of(conn: AsyncConnection, review_id: int) -> list[FeedbackRow]:
    rows = await conn.execute(
        select(feedback_requests)
        .where(feedback_requests.c.review_id == review_id)
        .order_by(feedback_requests.c.id)
    )
    return [_feedback(r) for r in rows]


async def close_feedback(
    conn: AsyncConnection, request_id: int, *, state: str, answer: str | None, now: datetime
) -> bool:
    """Answer or decline a pending request; False if it was closed already."""
    result = await conn.execute(
        update(feedback_requests)
        .where(feedback_requests.c.id == request_id, feedback_requests.c.state == PENDING)
        .values(state=state, answer=answer, answered_at=now)
    )
    return bool(result.rowcount)


# --- /forget_me ----------------------------------------------------------------------------


async def forget_user(conn: AsyncConnection, user_id: int, pseudonym: int) -> None:
    """Their schedule, reviews (with the feedback on them) and evidence go; feedback they
    wrote for others stays, under a pseudonym."""
    own = select(reviews.c.id).where(reviews.c.user_id == user_id)
    await conn.execute(delete(feedback_requests).where(feedback_requests.c.review_id.in_(own)))
    await conn.execute(delete(reviews).where(reviews.c.user_id == user_id))
    await conn.execute(delete(review_evidence).where(review_evidence.c.user_id == user_id))
    await conn.execute(delete(review_schedules).where(review_schedules.c.user_id == user_id))
    await conn.execute(
        delete(feedback_requests).where(
            feedback_requests.c.peer_id == user_id, feedback_requests.c.state != ANSWERED
        )
    )
    await conn.execute(
        update(feedback_requests)
        .where(feedback_requests.c.peer_id == user_id)
        .values(peer_id=pseudonym)
    )


# --- what colleagues said (kudos), beside the self-view --------------------------------------


@dataclass(frozen=True, slots=True)
class ReceivedKudos:
    id: int
    giver_id: int | None
    quality_id: str
    reason: str
    created_at: datetime


async def kudos_received(
    conn: AsyncConnection, user_id: int, team_id: int, since: datetime, until: datetime
) -> list[ReceivedKudos]:
    rows = await conn.execute(
        select(
            kudos_table.c.id,
            kudos_table.c.giver_id,
            kudos_table.c.quality_id,
            kudos_table.c.reason,
            kudos_table.c.created_at,
        )
        .where(
            kudos_table.c.receiver_id == user_id,
            kudos_table.c.team_id == team_id,
            kudos_table.c.created_at >= since,
            kudos_table.c.created_at < until,
        )
        .order_by(kudos_table.c.created_at)
    )
    return [ReceivedKudos(r.id, r.giver_id, r.quality_id, r.reason, r.created_at) for r in rows]


async def kudos_per_quality(
    conn: AsyncConnection, user_id: int, team_id: int, since: datetime
) -> dict[str, int]:
    rows = await conn.execute(
        select(kudos_table.c.quality_id, func.count())
        .where(
            kudos_table.c.receiver_id == user_id,
            kudos_table.c.team_id == team_id,
            kudos_table.c.created_at >= since,
        )
        .group_by(kudos_table.c.quality_id)
    )
    return {r[0]: int(r[1]) for r in rows}


async def team_kudos_per_quality(
    conn: AsyncConnection, team_id: int, since: datetime, until: datetime
) -> dict[str, int]:
    rows = await conn.execute(
        select(kudos_table.c.quality_id, func.count())
        .where(
            kudos_table.c.team_id == team_id,
            kudos_table.c.created_at >= since,
            kudos_table.c.created_at < until,
        )
        .group_by(kudos_table.c.quality_id)
    )
    return {r[0]: int(r[1]) for r in rows}


async def thanked_since(conn: AsyncConnection, team_id: int, since: datetime) -> set[int]:
    rows = await conn.execute(
        select(kudos_table.c.receiver_id)
        .where(kudos_table.c.team_id == team_id, kudos_table.c.created_at >= since)
        .distinct()
    )
    return {int(r[0]) for r in rows if r[0] is not None}


async def event_done(conn: AsyncConnection, team_id: int, kind: str, period: str) -> bool:
    found = await conn.execute(
        select(team_events.c.team_id).where(
            team_events.c.team_id == team_id,
            team_events.c.kind == kind,
            team_events.c.period == period,
        )
    )
    return found.first() is not None
