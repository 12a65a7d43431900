"""The update inbox: every update the bot has taken from Telegram and not finished handling.

Transactions: the poller (or the webhook) writes a batch with ``add`` in one transaction of
its own before Telegram is told the batch arrived; a row leaves the inbox in the same
transaction as the first write its handler makes (``Database.transaction`` calls ``settle``
while an update is being handled, see ``handling``), or, when the handler wrote nothing,
with ``delete`` after it returned. So a replay after a crash finds exactly the updates whose
effects were never committed. A ``Database.transaction(replayable=True)`` (a write that
changes nothing when applied again) does not settle: its update stays until the handler
returned, so a crash before the answer replays it and the answer is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import inbox


@dataclass(frozen=True, slots=True)
class InboxRow:
    update_id: int
    payload: str


@dataclass(slots=True)
class Claim:
    """The inbox row of the update being handled; ``settled`` once its delete committed."""

    update_id: int
    settled: bool = False


_current: ContextVar[Claim | None] = ContextVar("inbox_claim", default=None)

_DELETE_ONE = delete(inbox).where(inbox.c.update_id == bindparam("uid"))
_PAYLOAD = select(inbox.c.payload).where(inbox.c.update_id == bindparam("uid"))
_PENDING = select(inbox.c.update_id, inbox.c.payload).order_by(inbox.c.update_id)


@contextmanager
def handling(update_id: int) -> Iterator[Claim]:
    """While the block runs, the first committed write transaction removes the row."""
    claim = Claim(update_id)
    token = _current.set(claim)
    try:
        yield claim
    finally:
        _current.reset(token)


async def settle(conn: AsyncConnection) -> Claim | None:
    """Inside a write transaction about to commit: delete the current update's row if that is
    not done yet. Returns the claim to mark settled once the commit succeeded."""
    claim = _current.get()
    if claim is None or claim.settled:
        return None
    await conn.execute(_DELETE_ONE, {"uid": claim.update_id})
    return claim


async def add(conn: AsyncConnection, rows: Sequence[InboxRow], at: datetime) -> None:
    """Store a batch; an update already stored (delivered again) is kept as it is."""
    if not rows:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(inbox).on_conflict_do_nothing(index_elements=["update_id"])
    await conn.execute(
        stmt,
        [{"update_id": r.update_id, "payload": r.payload, "received_at": at} for r in rows],
    )


async def pending(conn: AsyncConnection) -> list[InboxRow]:
    """Every stored update, oldest first (a replay after a crash)."""
    result = await conn.execute(_PENDING)
    return [InboxRow(row.update_id, row.payload) for row in result]


async def payload(conn: AsyncConnection, update_id: int) -> str | None:
    return (await conn.execute(_PAYLOAD, {"uid": update_id})).scalar_one_or_none()


async def delete_many(conn: AsyncConnection, update_ids: Sequence[int]) -> None:
    if update_ids:
        await conn.execute(_DELETE_ONE, [{"uid": uid} for uid in update_ids])
