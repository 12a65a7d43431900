"""The whole bot in a process of its own, for the memory pass of ``python -m bench``:
``python -m bench.botproc API_URL DB_PATH``; stops on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import random
import sys
from pathlib import Path

from bench.stack import bench_settings
from bot.app import build_application


async def main(api_url: str, db: Path) -> None:
    logging.basicConfig(level=logging.WARNING)
    app = build_application(bench_settings(api_url, db), rng=random.Random(1))
    await app.run_polling(handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
