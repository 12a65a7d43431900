"""A bare drainer process for the crash tests:
``python -m tests.e2e.drain_worker URL DB [LEASE_SECONDS]``.

Drains the ledger of ``DB`` (a SQLAlchemy URL, SQLite or PostgreSQL) through the paced sender
to the Bot API at ``URL`` until killed (the tests kill it with SIGKILL at random moments);
rows it claimed are claimed again by anyone ``LEASE_SECONDS`` (default 2) after its claim.
Its drainer logs each claim (``claimed deliveries [ids]``) on stderr."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.clock import SystemClock
from bot.services.deliveries import Ledger
from bot.telegram.drainer import Drainer
from bot.telegram.kinds import KIND_TEXT, PlainText
from bot.telegram.sender import Limits, PacedSender
from storage.database import Database

TOKEN = "42:TEST-token_abcdefghijklmnopqrstuvwxyz012"
LEASE_SECONDS = 2.0
CONCURRENCY = 8  # sends in flight: the most a kill can leave sent but unrecorded


async def main(url: str, database_url: str, lease: float = LEASE_SECONDS) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("bot.telegram.drainer").setLevel(logging.DEBUG)
    db = Database(database_url)
    ledger = Ledger(db, SystemClock(), lease=timedelta(seconds=lease))
    sender = PacedSender(Limits(per_second=400, per_chat_per_second=100, per_chat_burst=100))
    session = AiohttpSession(api=TelegramAPIServer.from_base(url))
    session.middleware(sender)
    bot = Bot(TOKEN, session=session)
    drainer = Drainer(ledger, db, bot, {KIND_TEXT: PlainText()}, concurrency=CONCURRENCY)
    drainer.start()
    print("draining", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    lease = float(sys.argv[3]) if len(sys.argv) > 3 else LEASE_SECONDS
    asyncio.run(main(sys.argv[1], sys.argv[2], lease))
