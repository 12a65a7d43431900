"""A bare drainer process for the crash tests: ``python -m tests.e2e.drain_worker URL DB``.

Drains the ledger of ``DB`` through the paced sender to the Bot API at ``URL`` until killed
(the tests kill it with SIGKILL at random moments)."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.clock import SystemClock
from bot.services.deliveries import Ledger
from bot.telegram.drainer import Drainer
from bot.telegram.sender import Limits, PacedSender
from handlers.deliveries import KIND_TEXT, PlainText
from storage.database import Database

TOKEN = "42:TEST-token_abcdefghijklmnopqrstuvwxyz012"
LEASE_SECONDS = 2


async def main(url: str, database_url: str) -> None:
    db = Database(database_url)
    ledger = Ledger(db, SystemClock(), lease=timedelta(seconds=LEASE_SECONDS))
    sender = PacedSender(Limits(per_second=400, per_chat_per_second=100, per_chat_burst=100))
    session = AiohttpSession(api=TelegramAPIServer.from_base(url))
    session.middleware(sender)
    bot = Bot(TOKEN, session=session)
    drainer = Drainer(ledger, db, bot, {KIND_TEXT: PlainText()}, concurrency=8)
    drainer.start()
    print("draining", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
