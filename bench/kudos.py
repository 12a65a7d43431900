"""Kudos benchmarks.

- ``/kudos`` throughput through the whole stack (parsing, rules, a database write, the
  announcement in the group and the receiver's personal message), beside a bare aiogram
  handler that answers the same group messages, against the same kind of fake server.
- ``/top month`` on a team whose history holds 10,000 kudos and on one holding 1,000,000,
  with the same number of kudos in the current month: the leaderboard reads only the window
  (index on team_id, created_at), so both times should be close.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy import insert

from bench.stack import TOKEN, bench_settings
from bot.app import build_application
from bot.clock import SystemClock
from bot.services.deliveries import Ledger
from bot.services.kudos import KudosService, Period
from bot.services.teams import TeamsService
from bot.services.users import Person
from content import load_content
from storage.database import Database
from storage.schema import kudos as kudos_table
from tests.fakebot import FakeTelegram
from tests.fakebot.world import FakeChat, FakeUser

#: what the bare "same two messages" handler sends, as the bot's announcement looks
CARD = (
    "🙏 <b>Agent</b> благодарит <b>Agent</b>\n«спасибо за помощь»\n"
    "Качество: Эмпатия\n\n<i>Осталось благодарностей на сегодня: 4 из 5.</i>"
)


def kudos_squad(tg: FakeTelegram, users: int) -> tuple[list[FakeUser], FakeChat]:
    people = [
        tg.user(f"Agent {i}", username=f"agent_{i:04d}", language_code="ru") for i in range(users)
    ]
    return people, tg.group("Bench team", members=people, admins=[people[0]])


async def join_squad(
    tg: FakeTelegram, teams: TeamsService, people: list[FakeUser], group: FakeChat
) -> None:
    """The bot in the group (greeted), everyone a member, a budget that never runs out."""
    before = len(tg.calls_of("sendMessage"))
    for person in people:
        person.start_bot()
    tg.add_bot_to_group(group, by=people[0])
    greeted = before + len(people) + 1
    await tg.wait_until(lambda: len(tg.calls_of("sendMessage")) >= greeted, timeout=120)
    team = await teams.by_chat(group.id)
    assert team is not None
    for person in people:
        await teams.join(team, Person(person.id, person.first_name, username=person.username))
    await teams.set_budget(team, 50)


async def kudos_burst(
    tg: FakeTelegram, people: list[FakeUser], group: FakeChat, per_user: int, per_kudos: int
) -> float:
    """Seconds until ``per_user`` rounds of each agent thanking the next one are answered
    with ``per_kudos`` messages each."""
    anchors = [p.send("на связи", chat=group) for p in people]
    before = len(tg.calls_of("sendMessage"))
    started = time.perf_counter()
    for round_no in range(per_user):
        for i, person in enumerate(people):
            person.send(
                f"/kudos #эмпатия спасибо за помощь, раз {round_no}",
                chat=group,
                reply_to=anchors[(i + 1) % len(people)],
            )
    total = len(people) * per_user * per_kudos
    await tg.wait_until(lambda: len(tg.calls_of("sendMessage")) - before >= total, timeout=600)
    return time.perf_counter() - started


async def _kudos_run(workdir: Path, users: int, per_user: int, mode: str) -> tuple[float, int]:
    """Updates/s for ``users`` givers each sending ``per_user`` /kudos in one group.

    ``mode``: "echo" (a bare handler answering in the group), "two" (a bare handler sending
    the same two messages as the bot: an HTML card in the group and a private message to the
    receiver), "full" (the whole application)."""
    async with FakeTelegram(token=TOKEN, bot_username="bench_bot", flood=None) as tg:
        people, group = kudos_squad(tg, users)
        if mode != "full":
            bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
            router = Router()

            @router.message(Command("kudos"))
            async def echo(message: Message, bot: Bot) -> None:
                if mode == "echo":
                    await message.answer(message.text or "")
                    return
                await message.answer(CARD, parse_mode="HTML")
                target = message.reply_to_message
                if target is not None and target.from_user is not None:
                    await bot.send_message(target.from_user.id, CARD, parse_mode="HTML")

            dp = Dispatcher()
            dp.include_router(router)
            task = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
            tg.add_bot_to_group(group, by=people[0])
            for person in people:
                person.started = True  # they may get private messages, without /start updates

            async def stop() -> None:
                await dp.stop_polling()
                await task

            per_kudos = 1 if mode == "echo" else 2
        else:
            db = workdir / f"kudos-{time.monotonic_ns()}.db"
            app = build_application(bench_settings(tg.base_url, db), rng=random.Random(1))
            task = asyncio.create_task(app.run_polling(handle_signals=False))
            await tg.wait_until(lambda: tg.is_polling, timeout=30)
            await join_squad(tg, app.dp["teams"], people, group)

            async def stop() -> None:
                await app.dp.stop_polling()
                await task

            per_kudos = 2  # the announcement and the receiver's message

        elapsed = await kudos_burst(tg, people, group, per_user, per_kudos)
        await stop()
        total = users * per_user
        return total / elapsed, total


async def kudos_throughput(workdir: Path, users: int, per_user: int, rounds: int) -> None:
    print(f"/kudos: {users} givers x {per_user} kudos in one group, best of {rounds} rounds")
    rates: dict[str, list[float]] = {"echo": [], "two": [], "full": []}
    for _ in range(rounds):  # interleaved, so all see the same machine state
        for mode in rates:
            rates[mode].append((await _kudos_run(workdir, users, per_user, mode))[0])
    echo, two, full = (max(rates[m]) for m in ("echo", "two", "full"))
    print(f"{'bare aiogram reply to /kudos (baseline)':<48}{echo:>10.0f} updates/s")
    print(f"{'bare aiogram, the same two messages':<48}{two:>10.0f} updates/s")
    print(f"{'/kudos whole stack (DB write + 2 messages)':<48}{full:>10.0f} updates/s")
    print(f"ratio /kudos ÷ echo: {full / echo:.2f}")
    print(f"ratio /kudos ÷ same-two-messages baseline: {full / two:.2f}\n")


async def _fill(db: Database, team_id: int, history: int, in_month: int, now: datetime) -> None:
    """``history`` kudos spread over three years before this month, ``in_month`` in it."""
    rng = random.Random(history)
    qualities = [q.id for q in load_content().qualities[:18]]
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    batch: list[dict[str, object]] = []
    for n in range(history + in_month):
        if n < history:
            created = month_start - timedelta(seconds=rng.randrange(1, 3 * 365 * 86400))
        else:
            created = month_start + timedelta(
                seconds=rng.randrange(0, max(1, int((now - month_start).total_seconds())))
            )
        batch.append(
            {
                "team_id": team_id,
                "giver_id": 1 + rng.randrange(200),
                "receiver_id": 1 + rng.randrange(200),
                "quality_id": rng.choice(qualities),
                "reason": "спасибо за помощь",
                "created_at": created,
                "local_day": created.date().isoformat(),
                "dedupe": f"{team_id}-{n}",
                "chat_id": None,
                "message_id": None,
            }
        )
        if len(batch) == 20_000:
            async with db.transaction() as conn:
                await conn.execute(insert(kudos_table), batch)
            batch = []
    if batch:
        async with db.transaction() as conn:
            await conn.execute(insert(kudos_table), batch)


async def top_month(workdir: Path, big: int, small: int, in_month: int, repeats: int) -> None:
    print(f"/top month: {in_month} kudos this month, history of {small:,} vs {big:,} kudos")
    now = datetime.now(UTC)
    timings: dict[int, float] = {}
    for history in (small, big):
        db = Database(f"sqlite+aiosqlite:///{workdir}/top-{history}.db")
        await db.migrate()
        content = load_content()
        teams = TeamsService(db, content, SystemClock(), "UTC")
        kudos = KudosService(db, teams, SystemClock(), Ledger(db, SystemClock()))
        team, _ = await teams.bot_added(-100_000 - history, "Bench")
        filled = time.perf_counter()
        await _fill(db, team.id, history - in_month, in_month, now)
        fill_time = time.perf_counter() - filled
        await kudos.board(team, Period.MONTH)  # warm the cache
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            board = await kudos.board(team, Period.MONTH)
            samples.append(time.perf_counter() - t0)
        assert board.total == in_month, (board.total, in_month)
        timings[history] = statistics.median(samples)
        print(
            f"  history {history:>9,}: /top month {timings[history] * 1000:7.2f} ms "
            f"(median of {repeats}; filled in {fill_time:.0f} s)"
        )
        await db.close()
    ratio = timings[big] / timings[small]
    print(f"ratio {big:,} ÷ {small:,}: {ratio:.2f} (1.0 = the cost is set by the window only)\n")
