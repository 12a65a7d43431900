"""The whole bot in a process of its own for the fan-out pass (``bench.fanout``):
``python -m bench.fanbot API_URL DATABASE_URL RATE``; stops on SIGTERM.

The paced sender at ``RATE`` messages/s overall and 60 per group per minute, 32 sends in
flight, as the fake server's flood limits are set."""

from __future__ import annotations

import asyncio
import logging
import random
import sys

from bench.stack import TOKEN
from bot.app import build_application
from bot.settings import Settings


async def main(api_url: str, database_url: str, rate: float) -> None:
    logging.basicConfig(level=logging.ERROR)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TOKEN,
        telegram_api_url=api_url,
        database_url=database_url,
        rate_per_second=rate,
        rate_group_per_minute=60,
        delivery_concurrency=32,
        log_level="WARNING",
    )
    app = build_application(settings, rng=random.Random(1))
    await app.run_polling(handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
