"""Webhook mode through the inbox and the fair queues: refusals, concurrency, /healthz."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiogram.types import TelegramObject

from bot.app import Application
from tests.e2e.conftest import eventually
from tests.e2e.procs import WEBHOOK_SECRET, fake_telegram, serving, webhook_app
from tests.fakebot import FakeTelegram

SECRET = WEBHOOK_SECRET


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram() as fake:
        yield fake


class Tracker:
    """An outer middleware that makes handling slow and records the most updates at once."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.now = 0
        self.most = 0
        self.done = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(self.delay)
            return await handler(event, data)
        finally:
            self.now -= 1
            self.done += 1


@dataclass
class Hook:
    app: Application
    url: str
    base: str
    tracker: Tracker
    http: aiohttp.ClientSession

    async def post(self, body: bytes, secret: str | None = SECRET) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with self.http.post(self.url, data=body, headers=headers) as resp:
            return resp.status

    async def health(self) -> tuple[int, dict[str, str]]:
        async with self.http.get(self.base + "/healthz") as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def hook(tg: FakeTelegram, database_url: str) -> AsyncIterator[Hook]:
    webhook = webhook_app(
        tg,
        database_url,
        updates_concurrency=4,
        rate_per_second=1000,
        rate_per_chat_per_second=100,
        rate_per_chat_burst=100,
    )
    tracker = Tracker(delay=0.05)
    webhook.app.dp.update.outer_middleware(tracker)
    errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        async with serving(webhook, tg), aiohttp.ClientSession() as http:
            yield Hook(webhook.app, webhook.url, webhook.base, tracker, http)
    finally:
        loop.set_exception_handler(None)
    assert errors == [], errors  # no unhandled task exception


async def _done(hook: Hook, n: int) -> bool:
    return hook.tracker.done == n


def update(update_id: int, user_id: int, text: str = "/help") -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": f"U{user_id}", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
            "from": user,
            "text": text,
        },
    }


async def test_refusals(hook: Hook) -> None:
    import json

    good = json.dumps(update(1, 5)).encode()
    assert await hook.post(good, secret="wrong") == 403
    assert await hook.post(good, secret=None) == 403
    assert await hook.post(b"") == 400
    assert await hook.post(b"{not json") == 400
    assert await hook.post(b"[1, 2]") == 400
    assert await hook.post(b'"text"') == 400
    assert await hook.post(b'{"foo": 1}') == 400
    assert await hook.post(b'{"update_id": 7}') == 400  # no event in it
    assert await hook.post(b'{"update_id": "x", "message": 1}') == 400
    assert hook.tracker.done == 0


async def test_updates_concurrency_applies_and_every_update_is_handled(
    tg: FakeTelegram, hook: Hook
) -> None:
    import json

    users = [tg.user(f"W{n}", language_code="en") for n in range(100)]
    for user in users:
        user.started = True  # they wrote to the bot before
    bodies = [json.dumps(update(1000 + n, u.id)).encode() for n, u in enumerate(users)]
    statuses = await asyncio.gather(*(hook.post(body) for body in bodies))
    assert statuses == [200] * 100
    await tg.wait_until(lambda: all(tg.bot_messages(u.private) for u in users), timeout=30)
    await eventually(lambda: _done(hook, 100))
    print(f"\nmost updates handled at once: {hook.tracker.most} (UPDATES_CONCURRENCY=4)")
    assert 1 < hook.tracker.most <= 4
    # the same update delivered again is not handled again
    assert await hook.post(bodies[0]) == 200
    await asyncio.sleep(0.3)
    assert hook.tracker.done == 100
    assert len(tg.bot_messages(users[0].private)) == 1


async def test_healthz(tg: FakeTelegram, hook: Hook, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.telegram.webhook as webhook

    monkeypatch.setattr(webhook, "HEALTH_CACHE_SECONDS", 0.0)
    assert await hook.health() == (200, {"database": "ok", "telegram": "ok"})
    await tg.stop()
    status, body = await hook.health()
    assert status == 503
    assert body == {"database": "ok", "telegram": "failed"}
