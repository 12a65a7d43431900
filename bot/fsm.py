"""aiogram FSM storage persisted in the database, so a conversation survives a restart.

Reads are served from a write-through cache of this process (the FSM middleware reads the
state on every update); every write goes to the database first. Run one polling process per
database, or pass ``cache=False`` when several processes share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from cachetools import LRUCache

from bot.clock import Clock
from storage.database import Database
from storage.repo import fsm as repo

#: conversations kept in memory at most; the least recently used go first (and are read
#: from the database again when their user comes back)
CACHE_SIZE = 10_000


def _key(key: StorageKey) -> str:
    parts = [str(key.bot_id), str(key.chat_id), str(key.user_id)]
    if key.thread_id:
        parts.append(f"t{key.thread_id}")
    if key.business_connection_id:
        parts.append(f"b{key.business_connection_id}")
    if key.destiny != "default":
        parts.append(f"d{key.destiny}")
    return ":".join(parts)


class DatabaseStorage(BaseStorage):
    def __init__(
        self, db: Database, clock: Clock, *, cache: bool = True, cache_size: int = CACHE_SIZE
    ) -> None:
        self._db = db
        self._clock = clock
        self._cache: LRUCache[str, tuple[str | None, dict[str, Any]]] | None = (
            LRUCache(cache_size) if cache else None
        )

    async def _load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        if self._cache is not None:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
        async with self._db.read() as conn:
            found = await repo.load(conn, key)
        value = found or (None, {})
        self._remember(key, value)
        return value

    def forget_user(self, user_id: int) -> None:
        """Drop a user's cached conversations (their rows are deleted by ``/forget_me``), so
        that no draft in memory is written back later."""
        if self._cache is None:
            return
        for key in [k for k in self._cache if k.split(":")[2:3] == [str(user_id)]]:
            del self._cache[key]

    def _remember(self, key: str, value: tuple[str | None, dict[str, Any]]) -> None:
        if self._cache is not None:
            self._cache[key] = value

    async def _store(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        async with self._db.transaction() as conn:
            await repo.save(conn, key, state, data, self._clock.now())
        self._remember(key, (state, data))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        k = _key(key)
        _, data = await self._load(k)
        await self._store(k, name, data)

    async def get_state(self, key: StorageKey) -> str | None:
        state, _ = await self._load(_key(key))
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        k = _key(key)
        state, _ = await self._load(k)
        await self._store(k, state, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        _, data = await self._load(_key(key))
        return dict(data)

    async def close(self) -> None:
        """The database is closed by its owner (the app lifecycle)."""
