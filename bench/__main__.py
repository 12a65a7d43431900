"""Benchmarks, measured side by side in one run:
``python -m bench [all|tips|kudos|memory|top|fanout|charts]`` (or ``make bench``, which runs all).
See also ``bench/kudos.py``, ``bench/memory.py``, ``bench/fanout.py`` and ``bench/charts.py``.

updates/s for ``/tip`` through the whole stack (settings, middlewares, FSM storage in SQLite,
the tips service, HTML rendering, the reply over HTTP) against a bare aiogram handler sending
the same card (and a bare echo), polling the same kind of fake Bot API server, with the same
updates. The ratio is what to watch: absolute figures depend on the machine. Throughput runs
without tracemalloc (it taxes the stack that allocates more); memory is measured apart, as
the bot process's RSS (``bench/memory.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import Message

from bench.charts import charts_bench
from bench.fanout import fanout, print_fanout
from bench.kudos import kudos_throughput, top_month
from bench.memory import memory_bench
from bench.stack import TOKEN, bench_settings
from bot.app import build_application
from bot.i18n import Translations
from bot.telegram.render import tip_card
from content import load_content
from handlers.keyboards import more_tip
from tests.fakebot import FakeTelegram


def _enqueue(tg: FakeTelegram, users: int, per_user: int, text: str) -> int:
    people = [tg.user(f"User {i}", language_code="ru") for i in range(users)]
    for person in people:
        person.start_bot()
    for _ in range(per_user):
        for person in people:
            person.send(text)
    return users * (per_user + 1)


async def _measure(
    run: Callable[[FakeTelegram], Awaitable[Callable[[], Awaitable[None]]]],
    users: int,
    per_user: int,
    text: str,
) -> float:
    """Updates/s for one stack on a fresh fake server."""
    async with FakeTelegram(token=TOKEN, bot_username="bench_bot", flood=None) as tg:
        total = _enqueue(tg, users, per_user, text)
        started = time.perf_counter()
        stop = await run(tg)
        await tg.wait_until(lambda: len(tg.calls_of("sendMessage")) >= total, timeout=600)
        elapsed = time.perf_counter() - started
        await stop()
        return total / elapsed


async def _bare_echo(tg: FakeTelegram) -> Callable[[], Awaitable[None]]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False))

    async def stop() -> None:
        await dp.stop_polling()
        await task

    return stop


async def _bare_card(tg: FakeTelegram) -> Callable[[], Awaitable[None]]:
    """A bare aiogram handler answering with the same HTML tip card and button as /tip."""
    content = load_content()
    i18n = Translations(content, "ru").get("ru")
    card = tip_card(content.tips[0], content, i18n)
    markup = more_tip(content.tips[0].id, i18n)
    bot = Bot(
        TOKEN,
        session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    router = Router()

    @router.message()
    async def answer(message: Message) -> None:
        await message.answer(card, reply_markup=markup)

    dp = Dispatcher()
    dp.include_router(router)
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False))

    async def stop() -> None:
        await dp.stop_polling()
        await task

    return stop


def _full_stack(
    workdir: Path,
) -> Callable[[FakeTelegram], Awaitable[Callable[[], Awaitable[None]]]]:
    async def start(tg: FakeTelegram) -> Callable[[], Awaitable[None]]:
        db = workdir / f"bench-{time.monotonic_ns()}.db"
        app = build_application(bench_settings(tg.base_url, db), rng=random.Random(1))
        task = asyncio.create_task(app.run_polling(handle_signals=False))

        async def stop() -> None:
            await app.dp.stop_polling()
            await task

        return stop

    return start


async def tips_bench(users: int, per_user: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        full = _full_stack(Path(tmp))
        print(f"{users} users x ({per_user} messages + /start), best of {rounds} rounds\n")
        scenarios = {
            "bare aiogram echo (baseline)": (_bare_echo, "hello"),
            "bare aiogram, same card as /tip": (_bare_card, "/tip"),
            "/tip, whole stack": (full, "/tip"),
        }
        results: dict[str, list[float]] = {name: [] for name in scenarios}
        for _ in range(rounds):  # interleaved, so all see the same machine state
            for name, (run, text) in scenarios.items():
                results[name].append(await _measure(run, users, per_user, text))
        best = {name: max(runs) for name, runs in results.items()}
        print(f"{'scenario':<36}{'updates/s':>12}")
        for name in results:
            print(f"{name:<36}{best[name]:>12.0f}")
        echo, card, tip = best.values()
        print(f"\nratio /tip ÷ echo: {tip / echo:.2f}")
        print(f"ratio /tip ÷ same-card baseline: {tip / card:.2f}")


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    if args.which in ("tips", "all"):
        await tips_bench(args.users, args.per_user, args.rounds)
        print()
    with tempfile.TemporaryDirectory() as tmp:
        if args.which in ("kudos", "all"):
            await kudos_throughput(Path(tmp), args.users, args.per_user, args.rounds)
        if args.which in ("memory", "all"):
            await memory_bench(Path(tmp), args.users, args.per_user)
        if args.which in ("top", "all"):
            await top_month(Path(tmp), args.big, args.small, args.in_month, repeats=20)
    if args.which in ("fanout", "all"):
        print()
        print_fanout(await fanout(args.fanout, 300))
    if args.which in ("charts", "all"):
        print()
        await charts_bench(args.charts)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "which",
        nargs="?",
        default="all",
        choices=("all", "tips", "kudos", "memory", "top", "fanout", "charts"),
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--per-user", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big", type=int, default=1_000_000, help="history of the big team")
    parser.add_argument("--small", type=int, default=10_000, help="history of the small team")
    parser.add_argument("--in-month", type=int, default=2_000, help="kudos in this month")
    parser.add_argument("--fanout", type=int, default=3000, help="DMs in the fan-out")
    parser.add_argument("--charts", type=int, default=20, help="charts rendered at once")
    asyncio.run(main(parser.parse_args()))
