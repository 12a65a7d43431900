"""The delivery ledger: messages the bot owes, their state, and Telegram's message ids.

Claiming is one statement on both engines: ``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING``;
on PostgreSQL the inner SELECT takes ``FOR UPDATE SKIP LOCKED`` so that two claimers never
wait for or take the same rows; SQLite runs one writer at a time, which gives the same result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import deliveries
from storage.types import UTCDateTime

PENDING = "pending"
CLAIMED = "claimed"
SENT = "sent"
UNREACHABLE = "unreachable"
FAILED = "failed"
CANCELLED = "cancelled"
FINISHED = (SENT, UNREACHABLE, FAILED, CANCELLED)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    key: str
    kind: str
    chat_id: int
    user_id: int | None
    payload: dict[str, Any]
    state: str
    attempts: int
    due_at: datetime
    message_id: int | None
    sent_chat_id: int | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of a claimed row; written by ``finish``."""

    id: int
    state: str
    now: datetime
    message_id: int | None = None
    sent_chat_id: int | None = None
    error: str | None = None
    due_at: datetime | None = None  # for a retry (state pending)
    attempts: int | None = None


def _row(r: Any) -> DeliveryRow:
    return DeliveryRow(
        id=r.id,
        key=r.key,
        kind=r.kind,
        chat_id=r.chat_id,
        user_id=r.user_id,
        payload=json.loads(r.payload or "{}"),
        state=r.state,
        attempts=r.attempts,
        due_at=r.due_at,
        message_id=r.message_id,
        sent_chat_id=r.sent_chat_id,
        error=r.error,
    )


_COLUMNS = (
    deliveries.c.id,
    deliveries.c.key,
    deliveries.c.kind,
    deliveries.c.chat_id,
    deliveries.c.user_id,
    deliveries.c.payload,
    deliveries.c.state,
    deliveries.c.attempts,
    deliveries.c.due_at,
    deliveries.c.message_id,
    deliveries.c.sent_chat_id,
    deliveries.c.error,
)


def _enqueue(insert: Any, rearm: bool) -> Any:
    stmt = insert(deliveries)
    if not rearm:
        return stmt.on_conflict_do_nothing(index_elements=["key"])
    # an edit queued again is sent again, with the latest payload
    again = ("state", "due_at", "attempts", "payload")
    return stmt.on_conflict_do_update(
        index_elements=["key"], set_={c: stmt.excluded[c] for c in again}
    )


#: built once per engine and mode: a row is queued with every kudos
_ENQUEUE = {
    (name, rearm): _enqueue(insert, rearm)
    for name, insert in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
    for rearm in (False, True)
}


async def enqueue(
    conn: AsyncConnection,
    *,
    key: str,
    kind: str,
    chat_id: int,
    now: datetime,
    user_id: int | None = None,
    payload: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    priority: int = 5,
    state: str = PENDING,
    rearm: bool = False,
) -> None:
    """Queue a message under ``key``; a second enqueue of the same key does nothing, unless
    ``rearm`` (an edit that must be sent again with the latest state)."""
    values = {
        "key": key,
        "kind": kind,
        "chat_id": chat_id,
        "user_id": user_id,
        "payload": json.dumps(payload or {}, ensure_ascii=False, separators=(",", ":")),
        "state": state,
        "priority": priority,
        "due_at": due_at or now,
        "attempts": 0,
        "created_at": now,
    }
    await conn.execute(_ENQUEUE[conn.dialect.name, rearm], values)


async def claim(
    conn: AsyncConnection, *, owner: str, now: datetime, lease_until: datetime, limit: int
) -> list[DeliveryRow]:
    """Take up to ``limit`` due rows (pending and due, or claimed with an expired lease)."""
    due = (
        select(deliveries.c.id)
        .where(
            or_(
                and_(deliveries.c.state == PENDING, deliveries.c.due_at <= now),
                and_(deliveries.c.state == CLAIMED, deliveries.c.lease_until < now),
            )
        )
        .order_by(deliveries.c.priority, deliveries.c.due_at, deliveries.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(deliveries)
        .where(deliveries.c.id.in_(due.scalar_subquery()))
        .values(state=CLAIMED, owner=owner, lease_until=lease_until)
        .returning(*_COLUMNS)
    )
    rows = (await conn.execute(stmt)).all()
    return sorted((_row(r) for r in rows), key=lambda r: r.id)


async def renew(
    conn: AsyncConnection, owner: str, ids: Sequence[int], lease_until: datetime
) -> int:
    """Extend the leases of rows ``owner`` still holds (claimed by it, not yet finished)."""
    result = await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.id.in_(list(ids)),
            deliveries.c.owner == owner,
            deliveries.c.state == CLAIMED,
        )
        .values(lease_until=lease_until)
    )
    return int(result.rowcount or 0)


_FINISH = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        message_id=func.coalesce(bindparam("b_message_id"), deliveries.c.message_id),
        sent_chat_id=func.coalesce(bindparam("b_sent_chat_id"), deliveries.c.sent_chat_id),
        error=bindparam("b_error"),
        finished_at=bindparam("b_finished_at", type_=UTCDateTime()),
        due_at=func.coalesce(bindparam("b_due_at", type_=UTCDateTime()), deliveries.c.due_at),
        attempts=func.coalesce(bindparam("b_attempts"), deliveries.c.attempts),
        lease_until=None,
        owner=None,
    )
)


async def finish(conn: AsyncConnection, outcomes: Sequence[Outcome]) -> None:
    """Record the outcomes of claimed rows in one ``executemany``."""
    if not outcomes:
        return
    await conn.execute(
        _FINISH,
        [
            {
                "b_id": o.id,
                "b_state": o.state,
                "b_message_id": o.message_id,
                "b_sent_chat_id": o.sent_chat_id,
                "b_error": (o.error or "")[:300] or None,
                "b_finished_at": o.now if o.state in FINISHED else None,
                "b_due_at": o.due_at,
                "b_attempts": o.attempts,
            }
            for o in outcomes
        ],
    )


_BY_KEY = select(*_COLUMNS).where(deliveries.c.key == bindparam("key"))


async def by_key(conn: AsyncConnection, key: str) -> DeliveryRow | None:
    row = (await conn.execute(_BY_KEY, {"key": key})).first()
    return _row(row) if row else None


async def by_keys(conn: AsyncConnection, keys: Sequence[str]) -> list[DeliveryRow]:
    if not keys:
        return []
    rows = await conn.execute(select(*_COLUMNS).where(deliveries.c.key.in_(list(keys))))
    return [_row(r) for r in rows]


async def cancel(conn: AsyncConnection, keys: Sequence[str], now: datetime) -> None:
    """Rows waiting are not sent at all (the thing they announced was taken back). A row
    being sent (claimed) is left to finish, so that its message id is recorded and a
    follow-up edit can find it; its render reads the change if it is tried again."""
    if not keys:
        return
    await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.key.in_(list(keys)),
            deliveries.c.state.in_((PENDING, UNREACHABLE)),
        )
        .values(state=CANCELLED, finished_at=now, lease_until=None)
    )


async def of_user(conn: AsyncConnection, user_id: int, state: str, kind: str) -> list[DeliveryRow]:
    rows = await conn.execute(
        select(*_COLUMNS)
        .where(
            deliveries.c.user_id == user_id,
            deliveries.c.state == state,
            deliveries.c.kind == kind,
        )
        .order_by(deliveries.c.id)
    )
    return [_row(r) for r in rows]


async def revive(conn: AsyncConnection, user_id: int, keep_kind: str, now: datetime) -> None:
    """A user came back: their unreachable rows are tried again, except ``keep_kind`` (shown
    to them as one backlog message instead)."""
    await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.user_id == user_id,
            deliveries.c.state == UNREACHABLE,
            deliveries.c.kind != keep_kind,
        )
        .values(state=PENDING, due_at=now, attempts=0)
    )


async def mark_sent(
    conn: AsyncConnection, ids: Sequence[int], chat_id: int, message_id: int, now: datetime
) -> None:
    """Rows shown to their reader in another message (a backlog summary)."""
    if not ids:
        return
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(list(ids)))
        .values(state=SENT, sent_chat_id=chat_id, message_id=message_id, finished_at=now)
    )


def _is_id(value: Any, user_id: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == user_id


async def forget_user(conn: AsyncConnection, user_id: int) -> int:
    """``/forget_me``: every row for the user goes, those that wait and those kept after
    sending (a row being sent is left to finish; the outcome's commit finds it gone).

    Rows for others that name the user go too when their key ends with the id (a birthday
    greeting, ``birthday:<team>:<year>:<user>``); a row that names them only in its payload
    (the edit of a kudos they gave, which must still be shown) is kept without the id: that
    value becomes null. The rows naming them are found by their text (a scan: /forget_me is
    rare) and checked exactly."""
    result = await conn.execute(
        delete(deliveries).where(
            or_(deliveries.c.user_id == user_id, deliveries.c.chat_id == user_id),
            deliveries.c.state != CLAIMED,
        )
    )
    removed = result.rowcount or 0
    needle = f"%{user_id}%"
    found = await conn.execute(
        select(deliveries.c.id, deliveries.c.key, deliveries.c.payload, deliveries.c.state).where(
            or_(deliveries.c.key.like(needle), deliveries.c.payload.like(needle))
        )
    )
    for row in found.all():
        if str(row.key).rsplit(":", 1)[-1] == str(user_id):  # a key about a person ends so
            if row.state != CLAIMED:
                await conn.execute(delete(deliveries).where(deliveries.c.id == row.id))
                removed += 1
            continue
        payload = json.loads(row.payload or "{}")
        if not isinstance(payload, dict):
            continue
        scrubbed = {k: None if _is_id(v, user_id) else v for k, v in payload.items()}
        if scrubbed != payload:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == row.id)
                .values(payload=json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":")))
            )
    return removed


async def prune(conn: AsyncConnection, before: datetime) -> int:
    """Finished rows older than ``before`` are deleted (unreachable ones wait for the user)."""
    result = await conn.execute(
        delete(deliveries).where(
            deliveries.c.state.in_((SENT, FAILED, CANCELLED)),
            deliveries.c.finished_at < before,
        )
    )
    return result.rowcount or 0


async def counts(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(deliveries.c.state, func.count()).group_by(deliveries.c.state))
    return {str(r[0]): int(r[1]) for r in rows}


async def next_due(conn: AsyncConnection) -> datetime | None:
    value: datetime | None = (
        await conn.execute(
            select(func.min(deliveries.c.due_at)).where(deliveries.c.state == PENDING)
        )
    ).scalar()
    return value
