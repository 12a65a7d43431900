"""Memory stays flat as users grow: every in-memory cache and lock table of the bot is bounded
(in size, in age, or by who holds it), shown here with 20,000 distinct ids. Also the two
hot-path guarantees that are checked without Telegram: no sync filter on the routers of this
module's owners, and aiogram's ``Response[T]`` classes kept alive."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from aiogram import Router
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods.base import Response

from bot import fsm
from bot.services import teams as teams_module
from bot.services.teams import PORTRAIT_CACHE_SIZE, TeamsService
from bot.telegram import leads as leads_module
from bot.telegram.leads import LeadChecker
from bot.telegram.warm import USED_METHODS, keep_response_types
from content import Content
from handlers import setup_routers
from storage.repo import fsm as fsm_repo
from tests.clock import FakeClock

IDS = 20_000


class NoDatabase:
    """Reads that find nothing, without a database (the caches are what is under test)."""

    @asynccontextmanager
    async def read(self) -> AsyncIterator[None]:
        yield None


def _team(team_id: int) -> Any:
    return SimpleNamespace(id=team_id, chat_id=-team_id)


async def test_portrait_cache_and_locks_stay_bounded(content: Content, clock: FakeClock) -> None:
    service = TeamsService(NoDatabase(), content, clock, "UTC")  # type: ignore[arg-type]
    loads = 0

    async def load(team: Any) -> list[Any]:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0)  # others arrive while the load is in flight
        return []

    service._load_portrait = load  # type: ignore[method-assign]
    await asyncio.gather(*(service.portrait(_team(i)) for i in range(IDS)))
    assert loads == IDS
    assert len(service._portraits) <= PORTRAIT_CACHE_SIZE
    assert len(service._portrait_locks) == 0  # a lock goes when nobody holds or awaits it


async def test_a_burst_for_one_team_loads_its_portrait_once(
    content: Content, clock: FakeClock
) -> None:
    service = TeamsService(NoDatabase(), content, clock, "UTC")  # type: ignore[arg-type]
    loads = 0

    async def load(team: Any) -> list[Any]:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.01)
        return []

    service._load_portrait = load  # type: ignore[method-assign]
    await asyncio.gather(*(service.portrait(_team(7)) for _ in range(100)))
    assert loads == 1
    assert len(service._portrait_locks) == 0


async def test_portraits_expire(
    content: Content, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(teams_module, "PORTRAIT_CACHE_SECONDS", 0.01)
    service = TeamsService(NoDatabase(), content, clock, "UTC")  # type: ignore[arg-type]
    loads = 0

    async def load(team: Any) -> list[Any]:
        nonlocal loads
        loads += 1
        return []

    service._load_portrait = load  # type: ignore[method-assign]
    await service.portrait(_team(1))
    await service.portrait(_team(1))
    assert loads == 1
    await asyncio.sleep(0.02)
    await service.portrait(_team(1))
    assert loads == 2


class AdminBot:
    """Answers getChatMember: user ids divisible by 3 are administrators."""

    def __init__(self) -> None:
        self.asked = 0

    async def get_chat_member(self, chat_id: int, user_id: int) -> Any:
        self.asked += 1
        return SimpleNamespace(status="administrator" if user_id % 3 == 0 else "member")


async def test_lead_cache_stays_bounded_and_expires() -> None:
    checker = LeadChecker(teams=None, ttl=0.05)  # type: ignore[arg-type]
    bot = AdminBot()
    for user_id in range(IDS):
        assert await checker.is_chat_admin(bot, -1, user_id) is (user_id % 3 == 0)  # type: ignore[arg-type]
    assert len(checker._cache) <= leads_module.CACHE_SIZE
    asked = bot.asked
    assert await checker.is_chat_admin(bot, -1, IDS - 1) is False  # type: ignore[arg-type]
    assert bot.asked == asked  # cached, False included
    await asyncio.sleep(0.06)
    await checker.is_chat_admin(bot, -1, IDS - 1)  # type: ignore[arg-type]
    assert bot.asked == asked + 1  # expired: asked again


async def test_fsm_cache_stays_bounded(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    async def load(conn: Any, key: str) -> None:
        return None

    monkeypatch.setattr(fsm_repo, "load", load)
    storage = fsm.DatabaseStorage(NoDatabase(), clock)  # type: ignore[arg-type]
    for user_id in range(IDS):
        key = StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)
        assert await storage.get_state(key) is None
    assert storage._cache is not None
    assert len(storage._cache) <= fsm.CACHE_SIZE


# --- hot paths ---------------------------------------------------------------------------------


def _sync_filters(router: Router) -> list[str]:
    found = []
    for name, observer in router.observers.items():
        for handler in observer.handlers:
            for event_filter in handler.filters or []:
                if not event_filter.awaitable:
                    found.append(f"{name} {handler.callback.__name__}: {event_filter.callback!r}")
    for sub in router.sub_routers:
        found.extend(_sync_filters(sub))
    return found


def test_no_router_runs_a_filter_in_a_thread() -> None:
    """aiogram runs a sync filter (a bare ``State``, a magic ``F``) through a worker thread
    for every update that reaches it."""
    assert _sync_filters(setup_routers()) == []


def test_response_classes_are_kept_alive() -> None:
    kept = keep_response_types()
    gc.collect()
    for method, cls in zip(USED_METHODS, kept, strict=True):
        assert Response[method.__returning__] is cls  # type: ignore[name-defined]
