"""Process locks: one running process per bot and database (until processes get roles).

A lock is a row of ``process_locks`` (name, owner, heartbeat_at). ``acquire`` takes it when
it is free, when its holder stopped heartbeating (``stale_before``), when the holder is this
very process (a second acquire), or when the caller tells that the holder is dead (a
process on this host that no longer exists: ``holder_is_dead``). The holder heartbeats, and
releases the row on a normal stop.

Transactions: each function runs on the connection it is given and never commits; the
caller gives each call a transaction of its own (``acquire``: its select and its write
commit together, and the conditional write makes two racing processes see one winner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import process_locks
from storage.upsert import upsert


@dataclass(frozen=True, slots=True)
class LockHolder:
    name: str
    owner: str
    heartbeat_at: datetime


async def holder(conn: AsyncConnection, name: str) -> LockHolder | None:
    row = (
        await conn.execute(
            select(process_locks.c.owner, process_locks.c.heartbeat_at).where(
                process_locks.c.name == name
            )
        )
    ).first()
    return LockHolder(name, row.owner, row.heartbeat_at) if row else None


async def acquire(
    conn: AsyncConnection,
    name: str,
    owner: str,
    now: datetime,
    *,
    stale_before: datetime,
    holder_is_dead: Callable[[str], bool],
) -> LockHolder | None:
    """Take the lock for ``owner``; returns None when taken, else who holds it."""
    current = await holder(conn, name)
    if current is None:
        values = {"name": name, "owner": owner, "heartbeat_at": now}
        result = await conn.execute(upsert(conn, process_locks, values, ["name"]))
        if result.rowcount == 1:
            return None
        current = await holder(conn, name)  # another process inserted it just now
        if current is None:
            return LockHolder(name, "?", now)
    takeover = (
        current.owner == owner
        or current.heartbeat_at < stale_before
        or holder_is_dead(current.owner)
    )
    if not takeover:
        return current
    result = await conn.execute(
        update(process_locks)
        .where(
            process_locks.c.name == name,
            process_locks.c.owner == current.owner,
            process_locks.c.heartbeat_at == current.heartbeat_at,
        )
        .values(owner=owner, heartbeat_at=now)
    )
    if result.rowcount == 1:
        return None
    return await holder(conn, name) or LockHolder(name, "?", now)


async def heartbeat(conn: AsyncConnection, name: str, owner: str, now: datetime) -> bool:
    """Refresh the lock; False when ``owner`` does not hold it any more (taken over)."""
    result = await conn.execute(
        update(process_locks)
        .where(process_locks.c.name == name, process_locks.c.owner == owner)
        .values(heartbeat_at=now)
    )
    return result.rowcount == 1


async def release(conn: AsyncConnection, name: str, owner: str) -> None:
    """Free the lock if ``owner`` holds it."""
    await conn.execute(
        delete(process_locks).where(process_locks.c.name == name, process_locks.c.owner == owner)
    )
