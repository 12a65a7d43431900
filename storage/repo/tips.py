"""Tips in channels: the rotation order, claimed schedule slots, posts and readers' votes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import tip_posts, tip_rotation, tip_slots, tip_votes
from storage.upsert import upsert


@dataclass(frozen=True, slots=True)
class RotationEntry:
    tip_id: str
    position: int
    posted: bool


@dataclass(frozen=True, slots=True)
class PostRow:
    id: int
    channel: str
    chat_id: int
    message_id: int
    tip_id: str


@dataclass(frozen=True, slots=True)
class VoteCounts:
    useful: int = 0
    not_for_me: int = 0


@dataclass(frozen=True, slots=True)
class TipTotals:
    tip_id: str
    posts: int
    useful: int
    not_for_me: int


async def current_round(conn: AsyncConnection, channel: str) -> int | None:
    stmt = select(func.max(tip_rotation.c.round)).where(tip_rotation.c.channel == channel)
    value = (await conn.execute(stmt)).scalar()
    return int(value) if value is not None else None


async def rotation(conn: AsyncConnection, channel: str, round_no: int) -> list[RotationEntry]:
    stmt = (
        select(tip_rotation.c.tip_id, tip_rotation.c.position, tip_rotation.c.posted_at)
        .where(tip_rotation.c.channel == channel, tip_rotation.c.round == round_no)
        .order_by(tip_rotation.c.position)
    )
    return [
        RotationEntry(tip_id=r.tip_id, position=r.position, posted=r.posted_at is not None)
        for r in await conn.execute(stmt)
    ]


async def add_to_round(
    conn: AsyncConnection, channel: str, round_no: int, tip_ids: Sequence[str], first_position: int
) -> None:
    """Append tips to a round in the given order (a new round, or tips new in the content)."""
    if not tip_ids:
        return
    await conn.execute(
        insert(tip_rotation),
        [
            {"channel": channel, "round": round_no, "tip_id": tip, "position": first_position + i}
            for i, tip in enumerate(tip_ids)
        ],
    )


async def mark_posted(
    conn: AsyncConnection, channel: str, round_no: int, tip_id: str, now: datetime | None
) -> None:
    """``now`` None: the tip goes back into the round (its post was refused)."""
    await conn.execute(
        update(tip_rotation)
        .where(
            tip_rotation.c.channel == channel,
            tip_rotation.c.round == round_no,
            tip_rotation.c.tip_id == tip_id,
        )
        .values(posted_at=now)
    )


async def last_posted_tip(conn: AsyncConnection, channel: str) -> str | None:
    """The tip taken last from the rotation (queued or already posted)."""
    stmt = (
        select(tip_rotation.c.tip_id)
        .where(tip_rotation.c.channel == channel, tip_rotation.c.posted_at.is_not(None))
        .order_by(
            tip_rotation.c.round.desc(),
            tip_rotation.c.posted_at.desc(),
            tip_rotation.c.position.desc(),
        )
        .limit(1)
    )
    value: str | None = (await conn.execute(stmt)).scalar()
    return value


async def claim_slot(conn: AsyncConnection, channel: str, slot_at: datetime, now: datetime) -> bool:
    """Take a schedule slot; False when another run (or an earlier process) already has it."""
    stmt = upsert(
        conn,
        tip_slots,
        {"channel": channel, "slot_at": slot_at, "claimed_at": now},
        ["channel", "slot_at"],
    )
    result = await conn.execute(stmt)
    return bool(result.rowcount)


async def release_slot(conn: AsyncConnection, channel: str, slot_at: datetime) -> None:
    await conn.execute(
        delete(tip_slots).where(tip_slots.c.channel == channel, tip_slots.c.slot_at == slot_at)
    )


async def add_post(
    conn: AsyncConnection,
    *,
    channel: str,
    chat_id: int,
    message_id: int,
    tip_id: str,
    now: datetime,
) -> int:
    stmt = (
        insert(tip_posts)
        .values(
            channel=channel, chat_id=chat_id, message_id=message_id, tip_id=tip_id, posted_at=now
        )
        .returning(tip_posts.c.id)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def get_post(conn: AsyncConnection, post_id: int) -> PostRow | None:
    row = (
        await conn.execute(
            select(
                tip_posts.c.id,
                tip_posts.c.channel,
                tip_posts.c.chat_id,
                tip_posts.c.message_id,
                tip_posts.c.tip_id,
            ).where(tip_posts.c.id == post_id)
        )
    ).first()
    if row is None:
        return None
    return PostRow(
        id=row.id,
        channel=row.channel,
        chat_id=row.chat_id,
        message_id=row.message_id,
        tip_id=row.tip_id,
    )


async def post_by_message(conn: AsyncConnection, chat_id: int, message_id: int) -> PostRow | None:
    stmt = select(tip_posts.c.id).where(
        tip_posts.c.chat_id == chat_id, tip_posts.c.message_id == message_id
    )
    post_id = (await conn.execute(stmt)).scalar()
    return await get_post(conn, int(post_id)) if post_id is not None else None


async def get_vote(conn: AsyncConnection, post_id: int, user_id: int) -> int | None:
    stmt = select(tip_votes.c.value).where(
        tip_votes.c.post_id == post_id, tip_votes.c.user_id == user_id
    )
    return (await conn.execute(stmt)).scalar()


async def set_vote(
    conn: AsyncConnection, post_id: int, user_id: int, value: int | None, now: datetime
) -> None:
    """Record, change (``value`` ±1) or withdraw (``None``) a reader's vote."""
    if value is None:
        await conn.execute(
            delete(tip_votes).where(tip_votes.c.post_id == post_id, tip_votes.c.user_id == user_id)
        )
        return
    values = {"value": value, "voted_at": now}
    await conn.execute(
        upsert(
            conn,
            tip_votes,
            {"post_id": post_id, "user_id": user_id, **values},
            ["post_id", "user_id"],
            values,
        )
    )


async def vote_counts(conn: AsyncConnection, post_id: int) -> VoteCounts:
    stmt = select(
        func.coalesce(func.sum(case((tip_votes.c.value > 0, 1), else_=0)), 0),
        func.coalesce(func.sum(case((tip_votes.c.value < 0, 1), else_=0)), 0),
    ).where(tip_votes.c.post_id == post_id)
    useful, not_for_me = (await conn.execute(stmt)).one()
    return VoteCounts(useful=int(useful), not_for_me=int(not_for_me))


async def totals_by_tip(conn: AsyncConnection) -> list[TipTotals]:
    """Votes summed per tip over all its posts (tips never posted are absent)."""
    votes = (
        select(
            tip_votes.c.post_id,
            func.sum(case((tip_votes.c.value > 0, 1), else_=0)).label("useful"),
            func.sum(case((tip_votes.c.value < 0, 1), else_=0)).label("not_for_me"),
        )
        .group_by(tip_votes.c.post_id)
        .subquery()
    )
    stmt = (
        select(
            tip_posts.c.tip_id,
            func.count(tip_posts.c.id),
            func.coalesce(func.sum(votes.c.useful), 0),
            func.coalesce(func.sum(votes.c.not_for_me), 0),
        )
        .select_from(tip_posts.outerjoin(votes, and_(votes.c.post_id == tip_posts.c.id)))
        .group_by(tip_posts.c.tip_id)
    )
    return [
        TipTotals(tip_id=r[0], posts=int(r[1]), useful=int(r[2]), not_for_me=int(r[3]))
        for r in await conn.execute(stmt)
    ]


async def forget_voter(conn: AsyncConnection, user_id: int, pseudonym: int) -> None:
    """``/forget_me``: their votes still count, under a pseudonym."""
    await conn.execute(
        update(tip_votes).where(tip_votes.c.user_id == user_id).values(user_id=pseudonym)
    )
