"""A fan-out of 3,000 DMs through the ledger, with ``/kudos`` replies asked for meanwhile.

``python -m bench.fanout [--messages 3000] [--rate 300]``

The fake Bot API enforces Telegram's flood limits with its overall limit raised to
``--rate`` messages/s. The bot runs whole (polling, the paced sender at the same rate, the
drainer on SQLite) **in a process of its own** (``bench.fanbot``), as it does against
Telegram, which is not in the bot's process: the fake's own work does not eat the bot's
core. Printed: the achieved rate as a fraction of the limit (target ≥ 0.95), the 429 answers
and how many messages ended failed (target 0), and the delay of each ``/kudos`` reply sent
during the fan-out (p50, p99; target ≤ 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.stack import TOKEN
from bot.clock import SystemClock
from bot.services.deliveries import Ledger
from bot.telegram.kinds import KIND_TEXT
from storage.database import Database
from tests.e2e.test_kudos import TEAM, form_team
from tests.fakebot import FakeTelegram, FloodLimits

ROOT = Path(__file__).resolve().parents[1]


async def fanout(messages: int = 3000, rate: int = 300) -> dict[str, float]:
    limits = FloodLimits(global_per_second=rate, per_group_per_minute=60)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'fan.db'}"
        async with FakeTelegram(token=TOKEN, flood=limits) as tg:
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.fanbot",
                tg.base_url,
                url,
                str(rate),
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            try:
                await tg.wait_until(lambda: tg.is_polling, timeout=120)
                return await _measure(tg, url, messages, rate)
            finally:
                bot.send_signal(signal.SIGTERM)
                await asyncio.wait_for(bot.wait(), 60)


async def _measure(tg: FakeTelegram, url: str, messages: int, rate: int) -> dict[str, float]:
    lead = tg.user("Лена", username="lena_lead", language_code="ru")
    anna = tg.user("Анна", username="anna_k", language_code="ru")
    boris = tg.user("Борис", username="boris_b", language_code="ru")
    vera = tg.user("Вера", username="vera_v", language_code="ru")
    for user in (lead, anna, boris, vera):
        user.start_bot()
        await tg.next_bot_message(user.private, timeout=60)
    group, _ = await form_team(tg, TEAM, lead, [anna, boris, vera])
    readers = [tg.user(f"Reader {n}") for n in range(messages)]
    for reader in readers:
        reader.start_bot()
    await tg.wait_until(
        lambda: sum(len(tg.bot_messages(r.private)) for r in readers[-5:]) >= 5, timeout=120
    )  # every greeting answered: the fan-out starts from a quiet bot
    before = len(tg.calls_of("sendMessage"))
    db = Database(url)
    ledger = Ledger(db, SystemClock())
    async with db.transaction() as conn:
        for n, reader in enumerate(readers):
            await ledger.add(
                conn,
                key=f"bench:{n}",
                kind=KIND_TEXT,
                chat_id=reader.id,
                user_id=reader.id,
                payload={"text": f"Новость #{n}"},
                priority=7,
            )
    started = time.perf_counter()
    delays: list[float] = []
    givers = [boris, vera, lead, anna]
    probe = 0

    def delivered() -> int:
        # the stored messages, not ``bot_messages``: building 6,000 ``Message`` models every
        # half second stalled the fake's loop for ~0.1 s, which bunched the requests it
        # served afterwards into one 1-second window (429s the bot's pacing did not cause)
        return sum(
            1 for r in readers if sum(1 for m in r.private.live_messages() if m.from_bot) > 1
        )

    while delivered() < messages and time.perf_counter() - started < 600:
        if probe < 16:
            giver = givers[probe % len(givers)]
            receiver = anna if giver is not anna else boris
            count = len(tg.bot_messages(group))
            sent_at = time.perf_counter()
            giver.send(f"/kudos @{receiver.username} за замер номер {probe} #терпение", chat=group)
            await tg.wait_until(lambda c=count: len(tg.bot_messages(group)) > c, timeout=30)
            delays.append(time.perf_counter() - sent_at)
            probe += 1
        await asyncio.sleep(0.5)
    calls = tg.calls_of("sendMessage")[before:]
    too_many = sum(1 for c in calls if c.error_code == 429)
    ours = {r.id for r in readers}
    stamps = [c.at for c in calls if c.ok and c.params.get("chat_id") in ours]
    # first to last accepted DM, by the fake's clock
    elapsed = (max(stamps) - min(stamps)) * messages / max(1, len(stamps) - 1)
    counts = await ledger.counts()
    await db.close()
    delays.sort()
    return {
        "messages": messages,
        "rate_limit": rate,
        "achieved_per_s": messages / elapsed,
        "fraction_of_limit": messages / elapsed / rate,
        "answers_429": too_many,
        "failed_rows": counts.get("failed", 0),
        "reply_p50_s": statistics.median(delays),
        "reply_p99_s": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rate", type=int, default=300)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print_fanout(asyncio.run(fanout(args.messages, args.rate)))


def print_fanout(result: dict[str, float]) -> None:
    print(
        f"fan-out of {result['messages']} DMs at a {result['rate_limit']}/s limit: "
        f"{result['achieved_per_s']:.0f}/s = {result['fraction_of_limit']:.2f} of the limit "
        f"(target ≥ 0.95); 429 answers {result['answers_429']}, failed rows "
        f"{result['failed_rows']} (target 0); /kudos reply during the fan-out "
        f"p50 {result['reply_p50_s']:.2f} s, p99 {result['reply_p99_s']:.2f} s (target ≤ 1 s)"
    )


if __name__ == "__main__":
    main()
