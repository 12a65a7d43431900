"""Webhook mode: Telegram's calls go through the inbox and the same fair queues as polling.

A call is checked (the secret header: 403; an empty body, invalid JSON or a JSON value that
is not an update: 400), stored in the inbox, answered 200, and only then queued for
handling. ``GET /healthz`` answers 200 ``{"database": "ok", "telegram": "ok"}`` or 503
naming what failed (the database: ``SELECT 1``; Telegram: ``getMe`` with a short timeout,
its result kept for a few seconds).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import text

from bot.clock import Clock
from bot.telegram.updates import FairDispatcher, has_event, lifecycle
from storage.database import Database

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT = 2.0
#: how long a getMe answer (good or bad) is reused by the health check
HEALTH_CACHE_SECONDS = 5.0


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=status)


class WebhookEndpoint:
    def __init__(
        self, bot: Bot, dispatcher: FairDispatcher, clock: Clock, secret: str | None
    ) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._clock = clock
        self._secret = secret.encode() if secret else None

    async def _parse(self, request: web.Request) -> Update | web.Response:
        """The update in the request, or the refusal to answer with."""
        if self._secret is not None:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, self._secret):
                return _refuse(403, "wrong secret token")
        body = await request.read()
        if not body.strip():
            return _refuse(400, "empty body")
        try:
            data = json.loads(body)
        except ValueError:
            return _refuse(400, "invalid JSON")
        try:
            update = Update.model_validate(data, context={"bot": self._bot})
        except ValidationError:
            return _refuse(400, "not an update")
        if not has_event(update):
            return _refuse(400, "not an update")
        return update

    async def handle(self, request: web.Request) -> web.StreamResponse:
        update = await self._parse(request)
        if isinstance(update, web.Response):
            return update
        if self._dispatcher.seen(update.update_id):
            return web.Response(status=200)  # delivered again: queued or handled already
        if not self._dispatcher.has_room:
            return _refuse(503, "busy")  # Telegram delivers it again later
        try:
            await self._dispatcher.store([update], self._clock)
        except Exception:
            log.exception("could not store update %s", update.update_id)
            return _refuse(503, "storage unavailable")
        response = web.Response(status=200)
        await response.prepare(request)
        await response.write_eof()
        # queued only once the answer is out: Telegram does not send this update again
        self._dispatcher.accept(update)
        return response


class Health:
    def __init__(self, bot: Bot, db: Database) -> None:
        self._bot = bot
        self._db = db
        self._telegram: tuple[float, bool] | None = None

    async def _database_ok(self) -> bool:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), self._db.read() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("health: database failed: %s: %s", type(error).__name__, error)
            return False
        return True

    async def _telegram_ok(self) -> bool:
        now = time.monotonic()
        if self._telegram is not None and now - self._telegram[0] < HEALTH_CACHE_SECONDS:
            return self._telegram[1]
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT + 1):
                await self._bot.get_me(request_timeout=int(HEALTH_TIMEOUT))
            ok = True
        except Exception as error:
            log.warning("health: Telegram failed: %s: %s", type(error).__name__, error)
            ok = False
        self._telegram = (time.monotonic(), ok)
        return ok

    async def handle(self, _request: web.Request) -> web.Response:
        database, telegram = await asyncio.gather(self._database_ok(), self._telegram_ok())
        body = {
            "database": "ok" if database else "failed",
            "telegram": "ok" if telegram else "failed",
        }
        return web.json_response(body, status=200 if database and telegram else 503)


async def serve_webhook(
    dp: Dispatcher,
    bot: Bot,
    db: Database,
    dispatcher: FairDispatcher,
    clock: Clock,
    stop: asyncio.Event,
    *,
    url: str,
    secret: str | None,
    host: str,
    port: int,
    handle_signals: bool,
    drain_timeout: float,
) -> None:
    """Serve Telegram's webhook calls on ``host:port`` until ``stop`` is set."""
    async with lifecycle(dp, bot, stop, handle_signals=handle_signals):
        web_app = web.Application()
        web_app.router.add_post(
            urlsplit(url).path or "/", WebhookEndpoint(bot, dispatcher, clock, secret).handle
        )
        web_app.router.add_get(HEALTH_PATH, Health(bot, db).handle)
        runner = web.AppRunner(web_app, handle_signals=False, access_log=None)
        for update in await dispatcher.start():
            dispatcher.accept(update)  # left in the inbox by the last run
        try:
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
            await bot.set_webhook(
                url, secret_token=secret, allowed_updates=dp.resolve_used_update_types()
            )
            log.info("webhook set: %s", url)
            await stop.wait()
        finally:
            log.info("webhook server stopping")
            await runner.cleanup()
            await dispatcher.stop(drain_timeout)
