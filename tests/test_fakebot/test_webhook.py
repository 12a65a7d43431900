"""Webhook delivery: secret header, retries, replies with a method, conflicts with polling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.fakebot import FakeTelegram


class Receiver:
    """A tiny webhook endpoint that fails the first ``failures`` deliveries with HTTP 500."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, Any], str | None]] = []

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500)
        body = await request.json()
        self.received.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.json_response({})


class Endpoint:
    """A local aiohttp server whose POST /hook is served by a swappable handler."""

    def __init__(self) -> None:
        self.url = ""
        self.handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        assert self.handler is not None
        return await self.handler(request)


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    holder = Endpoint()
    app = web.Application()
    app.router.add_post("/hook", holder.dispatch)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    holder.url = f"http://{host}:{port}/hook"
    yield holder
    await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retry(
    tg: FakeTelegram, bot: Bot, endpoint: Endpoint
) -> None:
    url = endpoint.url
    receiver = Receiver(failures=2)
    endpoint.handler = receiver.handle
    alice = tg.user("Alice")
    alice.start_bot()
    assert await bot.set_webhook(url, secret_token="s3cr3t_-X", allowed_updates=["message"])
    await tg.wait_until(lambda: len(receiver.received) == 1)
    body, secret = receiver.received[0]
    assert secret == "s3cr3t_-X"
    assert body["message"]["text"] == "/start"
    info = await bot.get_webhook_info()
    assert info.url == url
    assert info.pending_update_count == 0
    assert info.allowed_updates == ["message"]
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"

    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook"):
        await bot.get_updates(timeout=0)

    alice.send("second")
    await tg.wait_until(lambda: len(receiver.received) == 2)
    assert receiver.received[1][0]["message"]["text"] == "second"

    assert await bot.delete_webhook()
    alice.send("polled")
    assert (await bot.get_webhook_info()).url == ""
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["polled"]
    assert len(receiver.received) == 2


@pytest.mark.parametrize(
    ("secret", "error"),
    [
        ("has space", "Bad Request: secret token contains unallowed characters"),
        ("ключ", "Bad Request: secret token contains unallowed characters"),
        ("x" * 257, "Bad Request: secret token is too long"),
    ],
)
async def test_webhook_secret_rules(tg: FakeTelegram, bot: Bot, secret: str, error: str) -> None:
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token=secret)
    assert raised.value.message == error
    assert (await bot.get_webhook_info()).url == ""


async def test_drop_pending_updates(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user("Alice")
    alice.start_bot()
    assert tg.pending_updates() == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert tg.pending_updates() == 0


async def test_aiogram_webhook_handler_and_reply_method(
    tg: FakeTelegram, bot: Bot, endpoint: Endpoint
) -> None:
    url = endpoint.url
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> SendMessage:
        # returned methods are sent back in the webhook answer (multipart form)
        return message.answer("Hello from the <b>webhook</b> reply")

    handler = SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token="tok")
    endpoint.handler = handler.handle
    await bot.set_webhook(url, secret_token="tok")
    alice = tg.user("Alice")
    alice.start_bot()
    reply = await tg.next_bot_message(alice.private)
    assert reply.html_text == "Hello from the <b>webhook</b> reply"
    await bot.delete_webhook()
