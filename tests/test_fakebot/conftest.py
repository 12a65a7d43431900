"""Fixtures for the fake Bot API's own tests: a started FakeTelegram and a plain aiogram Bot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tests.fakebot import FakeClock, FakeTelegram, FloodLimits


class QuickCloseSession(AiohttpSession):
    """aiogram's session sleeps 250 ms on close (for TLS); plain local HTTP needs no wait."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(tg: FakeTelegram, *, parse_mode: str | None = "HTML") -> Bot:
    session = QuickCloseSession(api=TelegramAPIServer.from_base(tg.base_url))
    return Bot(tg.token, session=session, default=DefaultBotProperties(parse_mode=parse_mode))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def tg(clock: FakeClock) -> AsyncIterator[FakeTelegram]:
    """A fake with flood control off; flood tests build their own."""
    async with FakeTelegram(clock=clock, flood=None) as fake:
        yield fake


@pytest.fixture
async def flood_tg(clock: FakeClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=clock, flood=FloodLimits()) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = make_bot(tg)
    yield bot
    await bot.session.close()


@contextlib.asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot, tg: FakeTelegram) -> AsyncIterator[None]:
    """Run ``dp.start_polling`` in a task for the duration of the block."""
    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=5)
    )
    try:
        await tg.wait_until(lambda: tg.is_polling or task.done())
        if task.done():
            task.result()
        yield
    finally:
        if not task.done():
            await dp.stop_polling()
        await task
