"""Kudos: peer thanks tagged with a portrait quality.

Leaderboards read only the window asked for (index on team_id, created_at), so their cost
grows with the window, not with the history.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import aliased

from storage.schema import kudos, memberships, users


@dataclass(frozen=True, slots=True)
class KudosRow:
    id: int
    team_id: int
    giver_id: int | None
    receiver_id: int | None
    quality_id: str
    reason: str
    created_at: datetime
    chat_id: int | None
    message_id: int | None
    batch: str | None = None


@dataclass(frozen=True, slots=True)
class Count:
    key: str | int | None
    count: int


@dataclass(frozen=True, slots=True)
class ReasonRow:
    kudos_id: int
    giver_name: str | None
    receiver_name: str | None
    quality_id: str
    reason: str
    created_at: datetime


def _row(r: Any) -> KudosRow:
    return KudosRow(
        id=r.id,
        team_id=r.team_id,
        giver_id=r.giver_id,
        receiver_id=r.receiver_id,
        quality_id=r.quality_id,
        reason=r.reason,
        created_at=r.created_at,
        chat_id=r.chat_id,
        message_id=r.message_id,
        batch=r.batch,
    )


# Statements of every /kudos and every kudos DM, built once (see storage.repo.teams).
_ADD = {
    name: insert(kudos)
    .on_conflict_do_nothing(index_elements=["team_id", "dedupe"])
    .returning(*kudos.c)
    for name, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}
_GET = select(kudos).where(kudos.c.id == bindparam("kudos_id"))
_BY_DEDUPES = select(kudos).where(
    kudos.c.team_id == bindparam("team_id"),
    kudos.c.dedupe.in_(bindparam("dedupes", expanding=True)),
)
_BY_DEDUPE = select(kudos).where(
    kudos.c.team_id == bindparam("team_id"), kudos.c.dedupe == bindparam("dedupe")
)
_GIVEN_ON = select(func.count()).where(
    kudos.c.team_id == bindparam("team_id"),
    kudos.c.giver_id == bindparam("giver_id"),
    kudos.c.local_day == bindparam("local_day"),
)
_BY_IDS = (
    select(kudos).where(kudos.c.id.in_(bindparam("kudos_ids", expanding=True))).order_by(kudos.c.id)
)


async def add(
    conn: AsyncConnection,
    *,
    team_id: int,
    giver_id: int,
    receiver_id: int,
    quality_id: str,
    reason: str,
    now: datetime,
    local_day: str,
    dedupe: str,
    chat_id: int | None,
    message_id: int | None,
    delivered_at: datetime | None = None,
    batch: str | None = None,
) -> KudosRow | None:
    """Insert a kudos; None when the same one was already recorded (a redelivery)."""
    values = {
        "team_id": team_id,
        "giver_id": giver_id,
        "receiver_id": receiver_id,
        "quality_id": quality_id,
        "reason": reason,
        "created_at": now,
        "local_day": local_day,
        "dedupe": dedupe,
        "chat_id": chat_id,
        "message_id": message_id,
        "delivered_at": delivered_at,
        "batch": batch,
    }
    row = (await conn.execute(_ADD[conn.dialect.name], values)).first()
    return _row(row) if row is not None else None


async def get(conn: AsyncConnection, kudos_id: int) -> KudosRow | None:
    row = (await conn.execute(_GET, {"kudos_id": kudos_id})).first()
    return _row(row) if row else None


async def by_dedupes(conn: AsyncConnection, team_id: int, dedupes: list[str]) -> list[KudosRow]:
    if not dedupes:
        return []
    rows = await conn.execute(_BY_DEDUPES, {"team_id": team_id, "dedupes": dedupes})
    return [_row(r) for r in rows]


async def by_dedupe(conn: AsyncConnection, team_id: int, dedupe: str) -> KudosRow | None:
    row = (await conn.execute(_BY_DEDUPE, {"team_id": team_id, "dedupe": dedupe})).first()
    return _row(row) if row else None


async def given_on(conn: AsyncConnection, team_id: int, giver_id: int, local_day: str) -> int:
    params = {"team_id": team_id, "giver_id": giver_id, "local_day": local_day}
    return int((await conn.execute(_GIVEN_ON, params)).scalar_one())


async def batch_of(conn: AsyncConnection, row: KudosRow) -> list[KudosRow]:
    """The kudos given together with ``row`` (one command thanking several colleagues)."""
    if row.batch is not None:
        rows = await conn.execute(
            select(kudos).where(kudos.c.team_id == row.team_id, kudos.c.batch == row.batch)
        )
        return [_row(r) for r in rows]
    rows = await conn.execute(
        select(kudos).where(
            kudos.c.team_id == row.team_id,
            kudos.c.giver_id == row.giver_id,
            kudos.c.created_at == row.created_at,
            kudos.c.reason == row.reason,
        )
    )
    return [_row(r) for r in rows]


async def remove(conn: AsyncConnection, kudos_id: int) -> None:
    await conn.execute(delete(kudos).where(kudos.c.id == kudos_id))


async def set_quality(conn: AsyncConnection, kudos_id: int, quality_id: str) -> None:
    await conn.execute(update(kudos).where(kudos.c.id == kudos_id).values(quality_id=quality_id))


async def set_link(
    conn: AsyncConnection, kudos_ids: list[int], chat_id: int, message_id: int
) -> None:
    if kudos_ids:
        await conn.execute(
            update(kudos)
            .where(kudos.c.id.in_(kudos_ids))
            .values(chat_id=chat_id, message_id=message_id)
        )


async def by_ids(conn: AsyncConnection, kudos_ids: list[int]) -> list[KudosRow]:
    if not kudos_ids:
        return []
    rows = await conn.execute(_BY_IDS, {"kudos_ids": list(kudos_ids)})
    return [_row(r) for r in rows]


async def mark_delivered(conn: AsyncConnection, kudos_ids: list[int], now: datetime | None) -> None:
    if kudos_ids:
        await conn.execute(update(kudos).where(kudos.c.id.in_(kudos_ids)).values(delivered_at=now))


async def undelivered(conn: AsyncConnection, receiver_id: int) -> list[KudosRow]:
    rows = await conn.execute(
        select(kudos)
        .where(kudos.c.receiver_id == receiver_id, kudos.c.delivered_at.is_(None))
        .order_by(kudos.c.id)
    )
    return [_row(r) for r in rows]


def _window(team_id: int, since: datetime | None, until: datetime | None) -> list[Any]:
    conditions: list[Any] = [kudos.c.team_id == team_id]
    if since is not None:
        conditions.append(kudos.c.created_at >= since)
    if until is not None:
        conditions.append(kudos.c.created_at < until)
    return conditions


async def top_receivers(
    conn: AsyncConnection,
    team_id: int,
    since: datetime | None,
    until: datetime | None = None,
    quality_id: str | None = None,
    limit: int | None = 10,
) -> list[Count]:
    conditions = _window(team_id, since, until)
    conditions.append(kudos.c.receiver_id.is_not(None))
    if quality_id is not None:
        conditions.append(kudos.c.quality_id == quality_id)
    n = func.count().label("n")
    stmt = (
        select(kudos.c.receiver_id, n)
        .where(*conditions)
        .group_by(kudos.c.receiver_id)
        .order_by(n.desc(), kudos.c.receiver_id)
        .limit(limit)
    )
    return [Count(r.receiver_id, int(r.n)) for r in await conn.execute(stmt)]


async def max_custom_number(conn: AsyncConnection, team_id: int, prefix: str) -> int:
    """The highest custom-quality number ever used in this team's kudos (ids never reused)."""
    stmt = (
        select(kudos.c.quality_id)
        .where(kudos.c.team_id == team_id, kudos.c.quality_id.like(f"{prefix}%"))
        .distinct()
    )
    numbers = [
        int(q[len(prefix) :]) for (q,) in await conn.execute(stmt) if q[len(prefix) :].isdigit()
    ]
    return max(numbers, default=0)


async def top_qualities(
    conn: AsyncConnection,
    team_id: int,
    since: datetime | None,
    until: datetime | None = None,
    receiver_id: int | None = None,
    giver_id: int | None = None,
    limit: int = 50,
) -> list[Count]:
    conditions = _window(team_id, since, until)
    if receiver_id is not None:
        conditions.append(kudos.c.receiver_id == receiver_id)
    if giver_id is not None:
        conditions.append(kudos.c.giver_id == giver_id)
    n = func.count().label("n")
    stmt = (
        select(kudos.c.quality_id, n)
        .where(*conditions)
        .group_by(kudos.c.quality_id)
        .order_by(n.desc(), kudos.c.quality_id)
        .limit(limit)
    )
    return [Count(r.quality_id, int(r.n)) for r in await conn.execute(stmt)]


async def total(
    conn: AsyncConnection, team_id: int, since: datetime | None, until: datetime | None = None
) -> int:
    stmt = select(func.count()).where(*_window(team_id, since, until))
    return int((await conn.execute(stmt)).scalar_one())


async def reasons(
    conn: AsyncConnection,
    team_id: int,
    *,
    receiver_id: int | None = None,
    giver_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 5,
    offset: int = 0,
) -> list[ReasonRow]:
    giver = aliased(users)
    receiver = aliased(users)
    conditions = _window(team_id, since, until)
    if receiver_id is not None:
        conditions.append(kudos.c.receiver_id == receiver_id)
    if giver_id is not None:
        conditions.append(kudos.c.giver_id == giver_id)
    stmt = (
        select(
            kudos.c.id,
            giver.c.first_name.label("giver_name"),
            receiver.c.first_name.label("receiver_name"),
            kudos.c.quality_id,
            kudos.c.reason,
            kudos.c.created_at,
        )
        .select_from(
            kudos.outerjoin(giver, giver.c.id == kudos.c.giver_id).outerjoin(
                receiver, receiver.c.id == kudos.c.receiver_id
            )
        )
        .where(*conditions)
        .order_by(kudos.c.created_at.desc(), kudos.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        ReasonRow(r.id, r.giver_name, r.receiver_name, r.quality_id, r.reason, r.created_at)
        for r in await conn.execute(stmt)
    ]


async def count_for(
    conn: AsyncConnection,
    team_id: int,
    *,
    receiver_id: int | None = None,
    giver_id: int | None = None,
) -> int:
    conditions: list[Any] = [kudos.c.team_id == team_id]
    if receiver_id is not None:
        conditions.append(kudos.c.receiver_id == receiver_id)
    if giver_id is not None:
        conditions.append(kudos.c.giver_id == giver_id)
    return int((await conn.execute(select(func.count()).where(*conditions))).scalar_one())


async def first_time_receivers(
    conn: AsyncConnection, team_id: int, since: datetime, until: datetime
) -> list[int]:
    """Newcomers thanked for the first time: receivers who joined the team in [since, until)
    and whose first kudos in this team falls in it too (a member of longer standing thanked
    for the first time is no newcomer)."""
    first = (
        select(kudos.c.receiver_id, func.min(kudos.c.created_at).label("first_at"))
        .where(kudos.c.team_id == team_id, kudos.c.receiver_id.is_not(None))
        .group_by(kudos.c.receiver_id)
        .subquery()
    )
    stmt = (
        select(first.c.receiver_id)
        .join(
            memberships,
            (memberships.c.team_id == team_id) & (memberships.c.user_id == first.c.receiver_id),
        )
        .where(
            first.c.first_at >= since,
            first.c.first_at < until,
            memberships.c.joined_at >= since,
            memberships.c.joined_at < until,
        )
        .order_by(first.c.first_at)
    )
    return [int(r[0]) for r in await conn.execute(stmt)]


async def forget_user(conn: AsyncConnection, user_id: int, pseudonym: int) -> None:
    """Keep the kudos in team statistics but no longer name the person: their Telegram id
    is replaced by ``pseudonym`` (a negative number no user has), so boards still count
    them as one former member and nothing leads back to them."""
    # the duplicate check's hash was made from their id: recomputing it for a guessed id
    # would trace the pseudonym back, so it becomes a value derived from nothing of theirs
    scrubbed = literal("forgotten:", String) + cast(kudos.c.id, String)
    await conn.execute(
        update(kudos).where(kudos.c.giver_id == user_id).values(giver_id=pseudonym, dedupe=scrubbed)
    )
    await conn.execute(
        update(kudos)
        .where(kudos.c.receiver_id == user_id)
        .values(receiver_id=pseudonym, dedupe=scrubbed)
    )


@dataclass(frozen=True, slots=True)
class ExportPerson:
    """Who gave or received an exported kudos, as the users table knows them."""

    id: int
    first_name: str
    last_name: str | None
    username: str | None


@dataclass(frozen=True, slots=True)
class ExportRow:
    created_at: datetime
    #: None when the user row is gone (``/forget_me``)
    giver: ExportPerson | None
    receiver: ExportPerson | None
    quality_id: str
    reason: str


def _person(user_id: Any, first: Any, last: Any, username: Any) -> ExportPerson | None:
    if user_id is None or first is None:
        return None
    return ExportPerson(int(user_id), str(first), last, username)


async def stream_export(
    engine: AsyncEngine, team_id: int, since: datetime | None, until: datetime | None
) -> AsyncIterator[ExportRow]:
    """Rows for export, streamed from the database in batches (not built in memory)."""
    giver = aliased(users)
    receiver = aliased(users)
    stmt = (
        select(
            kudos.c.created_at,
            giver.c.id,
            giver.c.first_name,
            giver.c.last_name,
            giver.c.username,
            receiver.c.id,
            receiver.c.first_name,
            receiver.c.last_name,
            receiver.c.username,
            kudos.c.quality_id,
            kudos.c.reason,
        )
        .select_from(
            kudos.outerjoin(giver, giver.c.id == kudos.c.giver_id).outerjoin(
                receiver, receiver.c.id == kudos.c.receiver_id
            )
        )
        .where(*_window(team_id, since, until))
        .order_by(kudos.c.created_at, kudos.c.id)
        .execution_options(yield_per=500)
    )
    async with engine.connect() as conn:
        result = await conn.stream(stmt)
        async for row in result:
            yield ExportRow(
                created_at=row[0],
                giver=_person(*row[1:5]),
                receiver=_person(*row[5:9]),
                quality_id=row[9],
                reason=row[10],
            )
