"""Persisted conversation state (the FSM of aiogram, stored by string key)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import fsm_states
from storage.upsert import upsert

#: read on every update: built once (see storage.repo.teams)
_LOAD = select(fsm_states.c.state, fsm_states.c.data).where(fsm_states.c.key == bindparam("key"))


async def load(conn: AsyncConnection, key: str) -> tuple[str | None, dict[str, Any]] | None:
    row = (await conn.execute(_LOAD, {"key": key})).first()
    if row is None:
        return None
    return row.state, json.loads(row.data)


async def save(
    conn: AsyncConnection, key: str, state: str | None, data: dict[str, Any], now: datetime
) -> None:
    if state is None and not data:
        await conn.execute(delete(fsm_states).where(fsm_states.c.key == key))
        return
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    values = {"state": state, "data": encoded, "updated_at": now}
    await conn.execute(upsert(conn, fsm_states, {"key": key, **values}, ["key"], values))


async def forget_user(conn: AsyncConnection, user_id: int) -> None:
    """Drop every conversation state of a user (keys are bot:chat:user[...])."""
    await conn.execute(delete(fsm_states).where(fsm_states.c.key.like(f"%:{int(user_id)}")))
    await conn.execute(delete(fsm_states).where(fsm_states.c.key.like(f"%:{int(user_id)}:%")))
