"""``python -m bot`` killed as an operator's machine would kill it, on both engines.

1. SIGKILL at random moments, ten times, while a team keeps sending /start, /tip and
   /kudos (by reply in the group: the card answers in the group, the receiver's DM goes
   through the ledger), restarted each time. After the last run drained: every kudos
   command Telegram had confirmed is exactly one kudos row, every receiver got their DM,
   every command was answered; the repeats stay within the guarantee (DMs: the ledger rows
   claimed at a kill; answers: the updates left in the inbox at a kill), printed.
2. SIGTERM while the channel's sendMessage of a scheduled tip hangs: the send finishes, the
   process exits 0 without a traceback, the slot is posted once and the rotation moves on.
   SIGKILL in the same place: the slot ends up posted, twice only when Telegram had
   accepted the post before the kill.

The cron slot fires in the bot's own clock, moved with Debian's libfaketime to seconds before
it (a slow start-up finds it due and the same job posts it as its catch-up); without
libfaketime the schedule's slot is the minute just gone, posted by that catch-up.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.types import Message
from sqlalchemy import text as sql

from storage.database import Database
from storage.repo import inbox as inbox_repo
from tests.e2e.conftest import TOKEN
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

ROOT = Path(__file__).resolve().parents[2]
#: Debian's libfaketime (package faketime), preloaded into the bot itself: the ``faketime``
#: wrapper would be the process that gets the signals
FAKETIME_LIB = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
KILLS = 10
START_UP_KILLS = (3, 7)  # the cycles killed right after the process lock was taken
CLAIMED = "SELECT key FROM deliveries WHERE state = 'claimed'"
LEASE_SECONDS = 5  # the smallest DELIVERY_LEASE_SECONDS: rows of a dead process come back soon
DELIVERY_CONCURRENCY = 16  # the default: the sends in flight at a kill
#: variables of the machine's environment a started process must not inherit
OWN_PREFIXES = (
    "BOT_",
    "TELEGRAM_",
    "TIPS_",
    "LOG_",
    "WEBHOOK_",
    "DATABASE_",
    "DELIVERY_",
    "RATE_",
    "UPDATES_",
    "ADMIN_",
    "DEFAULT_",
    "FAKETIME",
    "LD_PRELOAD",
)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """No flood control: the stories send far more to one group than Telegram allows."""
    fake = FakeTelegram(token=TOKEN, bot_username="spasibot_bot", bot_name="Spasibot", flood=None)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


def bot_env(tg: FakeTelegram, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": tg.base_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "INFO",
            "RATE_PER_SECOND": "1000",
            "RATE_PER_CHAT_PER_SECOND": "100",
            "RATE_PER_CHAT_BURST": "100",
            "RATE_GROUP_PER_MINUTE": "1000",
            "DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
            "DELIVERY_CONCURRENCY": str(DELIVERY_CONCURRENCY),
        }
    )
    env.update(extra)
    return env


class BotProcess:
    """One run of ``python -m bot``, its output in ``log`` (read while it runs)."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.proc = proc
        self.log = log

    @classmethod
    async def spawn(
        cls, cwd: Path, name: str, env: dict[str, str], *, clock_at: datetime | None = None
    ) -> BotProcess:
        log = cwd / f"{name}.log"
        args: list[str] = [sys.executable, "-m", "bot"]
        if clock_at is not None:
            assert FAKETIME_LIB is not None
            # the process clock starts at clock_at and runs on from there
            env = {
                **env,
                "LD_PRELOAD": str(FAKETIME_LIB),
                "FAKETIME": clock_at.strftime("@%Y-%m-%d %H:%M:%S"),
                "TZ": "UTC",
            }
        with log.open("wb") as out:  # the child keeps its own descriptor
            proc = await asyncio.create_subprocess_exec(
                *args, cwd=cwd, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
            )
        return cls(proc, log)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_for_line(self, marker: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.output():
            if self.proc.returncode is not None:
                raise AssertionError(f"the bot exited ({self.proc.returncode}):\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {marker!r} within {timeout} s:\n{self.output()}")
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def terminate(self, timeout: float = 60.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout)


async def scalar(db: Database, query: str) -> int:
    async with db.read() as conn:
        return int((await conn.execute(sql(query))).scalar_one())


async def eventually_members(db: Database, expected: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    query = "SELECT count(*) FROM memberships WHERE left_at IS NULL"
    while (members := await scalar(db, query)) != expected:
        assert time.monotonic() < deadline, f"{members} members, not {expected}"
        await asyncio.sleep(0.1)


def text_of(message: Message) -> str:
    return message.text or message.caption or ""


# --- 1. kill -9 at random moments while a team is busy ------------------------------------------


@dataclass(frozen=True)
class Command:
    user: FakeUser
    kind: str  # "start" | "tip" | "kudos"
    message: Message
    receiver: FakeUser | None = None
    reason: str = ""


def answer_kind(body: str) -> str:
    if body.startswith("Привет, "):
        return "start"
    if body.startswith("💡"):  # a tip card
        return "tip"
    if body.startswith("🙏"):
        return "dm"
    return "other"


def match_answers(commands: list[Command], kinds: list[str]) -> tuple[list[Command], int]:
    """A user's private commands, in order, against the kinds of the bot's messages in their
    chat, in order: answers come in the order of the commands (one update of a user at a
    time, a replay oldest first), so the commands are a subsequence of the answers. Returns
    the commands without an answer and the number of repeated answers."""
    position, missing = 0, []
    for command in commands:
        while position < len(kinds) and kinds[position] != command.kind:
            position += 1
        if position == len(kinds):
            missing.append(command)
            continue
        position += 1
    answers = sum(1 for k in kinds if k in ("start", "tip"))
    return missing, answers - (len(commands) - len(missing))


def bot_texts(chat: FakeChat, skip: int = 0) -> list[tuple[str, int | None]]:
    """The bot's messages in ``chat`` (text, the message it replies to), cheaply: straight
    from the fake's store, without building aiogram objects."""
    sent = [m for m in chat.live_messages() if m.from_bot][skip:]
    return [
        (m.text or m.caption or "", m.reply_to.message_id if m.reply_to else None) for m in sent
    ]


class Activity:
    """Six colleagues send commands at random moments, whether the bot runs or not (Telegram
    queues them); each run of the bot adds ``PER_RUN`` to what they may send."""

    PER_RUN = 24

    def __init__(self, group: FakeChat, users: list[FakeUser], rng: random.Random) -> None:
        self.group, self.users, self.rng = group, users, rng
        self.commands: list[Command] = []
        self._quota = 0
        self._more = asyncio.Event()
        self._stopped = False

    def allow(self) -> None:
        self._quota += self.PER_RUN
        self._more.set()

    def act(self, n: int) -> None:
        user = self.rng.choice(self.users)
        roll = self.rng.random()
        if roll < 0.45:
            receiver = self.rng.choice([u for u in self.users if u is not user])
            question = receiver.send(f"Клиент №{n} снова пишет", chat=self.group)
            reason = f"за помощь с тикетом №{n}"
            command = user.send(f"/kudos {reason} #эмпатия", chat=self.group, reply_to=question)
            self.commands.append(Command(user, "kudos", command, receiver, reason))
        elif roll < 0.75:
            self.commands.append(Command(user, "start", user.send("/start")))
        else:
            self.commands.append(Command(user, "tip", user.send("/tip")))

    async def run(self) -> None:
        n = 0
        while not self._stopped:
            if self._quota <= 0:
                self._more.clear()
                await self._more.wait()
                continue
            self.act(n)
            n += 1
            self._quota -= 1
            await asyncio.sleep(self.rng.uniform(0.02, 0.15))

    def stop(self) -> None:
        self._stopped = True
        self._more.set()

    def of(self, kind: str) -> list[Command]:
        return [c for c in self.commands if c.kind == kind]


@dataclass
class Outcome:
    """What the users see, counted per command."""

    cards: Counter[int]  # group cards per command message id
    dms: Counter[str]  # DMs per reason
    missing: dict[str, list[Command]]  # private commands without an answer, per user
    answer_repeats: int

    def complete(self, kudos: list[Command]) -> bool:
        return all(
            self.cards[c.message.message_id] and self.dms[c.reason] for c in kudos
        ) and not any(self.missing.values())


def observe(
    group: FakeChat, group_skip: int, users: list[FakeUser], skip: dict[int, int], a: Activity
) -> Outcome:
    cards = Counter(reply for _, reply in bot_texts(group, group_skip) if reply is not None)
    dms: Counter[str] = Counter()
    missing: dict[str, list[Command]] = {}
    repeats = 0
    for user in users:
        texts = [body for body, _ in bot_texts(user.private, skip[user.id])]
        for body in texts:
            if answer_kind(body) == "dm" and "«" in body:
                dms[body.split("«", 1)[1].split("»", 1)[0]] += 1
        mine = [c for c in a.commands if c.user is user and c.kind != "kudos"]
        missing[user.first_name], extra = match_answers(mine, [answer_kind(t) for t in texts])
        repeats += extra
    return Outcome(cards, dms, missing, repeats)


@pytest.mark.timeout(400)  # eleven starts of a process; a loaded machine starts them slowly
async def test_sigkill_at_random_moments_loses_no_command_and_no_message(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(20261204)  # when to kill
    env = bot_env(tg, database_url)
    db = Database(database_url)
    runs: list[BotProcess] = []
    sending: asyncio.Task[None] | None = None

    async def spawn() -> BotProcess:
        run = await BotProcess.spawn(tmp_path, f"run{len(runs)}", env)
        runs.append(run)
        return run

    try:
        run = await spawn()
        users = [
            tg.user(name, username=f"user_{n}", language_code="ru")
            for n, name in enumerate(("Лена", "Анна", "Борис", "Вера", "Глеб", "Дина"))
        ]
        for user in users:
            user.start_bot()
            await tg.next_bot_message(user.private, timeout=120)
        # the team: a group the lead adds the bot to, everyone presses «Вступить в команду»
        group = tg.group("Поддержка", members=users[1:], admins=users[:1])
        tg.add_bot_to_group(group, by=users[0])
        greeting = await tg.next_bot_message(group, timeout=30)
        for user in users:
            answer = await user.press(greeting, "Вступить в команду", timeout=30)
            assert "в команде «Поддержка»" in (answer.text or ""), answer.text
        await eventually_members(db, len(users))
        await run.kill()
        # a busy day: far more kudos than the default budget of 5 a giver
        async with db.transaction() as conn:
            await conn.execute(sql("UPDATE teams SET kudos_budget = 1000"))
        skip = {u.id: len(bot_texts(u.private)) for u in users}
        group_skip = len(bot_texts(group))

        activity = Activity(group, users, random.Random(6))  # who sends what
        sending = asyncio.create_task(activity.run())
        claimed_at_kills: list[int] = []
        in_flight: Counter[str] = Counter()  # DM rows claimed at a kill: how many kills
        inbox_at_kills: list[int] = []
        moments: list[str] = []
        for cycle in range(KILLS):
            activity.allow()
            run = await spawn()
            if cycle in START_UP_KILLS:  # in the middle of start-up: migrations, replay...
                await run.wait_for_line("process lock")
                await asyncio.sleep(rng.uniform(0.0, 0.3))
                moments.append("start-up")
            else:
                await run.wait_for_line("started;")
                await asyncio.sleep(rng.uniform(0.05, 1.5))
                moments.append("running")
            await run.kill()
            claimed_at_kills.append(
                await scalar(db, "SELECT count(*) FROM deliveries WHERE state = 'claimed'")
            )
            async with db.read() as conn:
                in_flight.update(
                    (await conn.execute(sql(f"{CLAIMED} AND key LIKE 'kudos-dm:%'"))).scalars()
                )
            inbox_at_kills.append(await scalar(db, "SELECT count(*) FROM inbox"))
        activity.stop()
        await sending

        # the last run finishes the job (up first: a stop before its signal handlers are in
        # place would end it as SIGTERM's default does, not as the bot does)
        run = await spawn()
        await run.wait_for_line("started;")
        kudos_cmds = activity.of("kudos")

        def look() -> Outcome:
            return observe(group, group_skip, users, skip, activity)

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            waiting = await scalar(
                db, "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'claimed')"
            ) + await scalar(db, "SELECT count(*) FROM inbox")
            if waiting == 0 and tg.pending_updates() == 0 and look().complete(kudos_cmds):
                break
            await asyncio.sleep(0.5)
        assert await run.terminate() == 0, run.output()

        # everything Telegram handed over was confirmed by a later getUpdates offset
        assert tg.pending_updates() == 0
        async with db.read() as conn:
            rows = (await conn.execute(sql("SELECT reason, receiver_id, batch FROM kudos"))).all()
            ledger = (
                await conn.execute(sql("SELECT state, count(*) FROM deliveries GROUP BY state"))
            ).all()
        recorded = Counter((reason, receiver) for reason, receiver, _ in rows)
        dm_key = {reason: f"kudos-dm:{batch}:{receiver}" for reason, receiver, batch in rows}
        seen = look()
        card_repeats = sum(max(0, seen.cards[c.message.message_id] - 1) for c in kudos_cmds)
        dm_repeats = sum(max(0, seen.dms[c.reason] - 1) for c in kudos_cmds)
        print(
            f"\n{database_url.split(':')[0]}: {len(activity.commands)} commands "
            f"({len(kudos_cmds)} /kudos, {len(activity.of('start'))} /start, "
            f"{len(activity.of('tip'))} /tip), {KILLS} kills {moments}; at each kill: ledger "
            f"rows claimed {claimed_at_kills}, inbox rows {inbox_at_kills}; repeated: "
            f"{dm_repeats} DMs (one at most {max(seen.dms.values())} times), {card_repeats} "
            f"group cards, {seen.answer_repeats} private answers; ledger at the end "
            f"{sorted(ledger)}"
        )

        # nothing lost: every /kudos is one row, answered in the group, its DM sent; every
        # private command answered (all failures listed at once)
        lost = {
            "kudos rows": [
                (c.reason, recorded[(c.reason, c.receiver.id if c.receiver else 0)])
                for c in kudos_cmds
                if recorded[(c.reason, c.receiver.id if c.receiver else 0)] != 1
            ],
            "unanswered /kudos": [
                c.reason for c in kudos_cmds if seen.cards[c.message.message_id] == 0
            ],
            "DMs": [c.reason for c in kudos_cmds if seen.dms[c.reason] == 0],
            "private answers": {n: [c.kind for c in cs] for n, cs in seen.missing.items() if cs},
        }
        assert not any(lost.values()), lost
        assert len(rows) == len(kudos_cmds)
        assert dict(ledger) == {"sent": len(kudos_cmds)}
        assert await scalar(db, "SELECT count(*) FROM inbox") == 0
        # repeats only within the guarantee: a DM in flight at a kill (claimed) goes out
        # again, once; an update whose handler had not finished is handled again
        assert dm_repeats <= sum(claimed_at_kills) <= KILLS * DELIVERY_CONCURRENCY
        # each copy beyond the first: the row was in flight at that many kills
        over = {
            c.reason: (seen.dms[c.reason], in_flight[dm_key[c.reason]])
            for c in kudos_cmds
            if seen.dms[c.reason] - 1 > in_flight[dm_key[c.reason]]
        }
        assert not over, over
        assert card_repeats + seen.answer_repeats <= sum(inbox_at_kills)
    finally:
        if sending is not None and not sending.done():
            sending.cancel()
        for each in runs:
            await each.kill()
        await db.close()


async def test_a_replayable_write_leaves_the_update_in_the_inbox(database_url: str) -> None:
    """The fix the kill test needed: a kudos (or a /start) committed, then the process died
    before its answer went out; the update had left the inbox with the write, so it was
    never answered. A replayable write (applied again, it changes nothing) keeps the row
    until the handler returned; the next ordinary write takes it."""
    db = Database(database_url)
    await db.migrate()
    try:
        async with db.transaction() as conn:
            await inbox_repo.add(conn, [inbox_repo.InboxRow(7, "{}")], datetime.now(UTC))
        with inbox_repo.handling(7) as claim:
            async with db.transaction(replayable=True):
                pass  # the kudos is recorded
            assert not claim.settled
            async with db.read() as conn:
                assert [r.update_id for r in await inbox_repo.pending(conn)] == [7]
            async with db.transaction():
                pass  # any other write of the handler
            assert claim.settled
        async with db.read() as conn:
            assert await inbox_repo.pending(conn) == []
    finally:
        await db.close()


# --- 2. a stop in the middle of a scheduled tip post ---------------------------------------------

CHANNEL = "@support_tips"
HANG = 4.0  # seconds the channel's sendMessage hangs
LEAD = 6  # seconds from the bot's start to the slot, in its own clock


@dataclass
class Schedule:
    """When the slot fires and what clock each run starts with."""

    cron: str
    first_clock: datetime | None
    restart_clock: datetime | None


def schedule() -> Schedule:
    if FAKETIME_LIB is not None:
        # a Friday; the bot's clock starts LEAD seconds before the 09:00 slot (a start-up
        # slower than that finds the slot due and its catch-up posts it: the same job)
        slot = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
        restart = slot + timedelta(seconds=60)  # past any lease of run 1
        return Schedule("0 9 * * *", slot - timedelta(seconds=LEAD), restart)
    # no faketime: the minute just gone is the slot, posted by the start-up catch-up
    slot = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    return Schedule(f"{slot.minute} {slot.hour} * * *", None, None)


def titles(tg: FakeTelegram, channel: FakeChat) -> list[str]:
    return [text_of(m).split("\n", 1)[0] for m in tg.bot_messages(channel)]


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    ("stop", "accept_first"),
    [("sigterm", False), ("sigkill", False), ("sigkill", True)],
    ids=["sigterm", "sigkill-before-accepted", "sigkill-after-accepted"],
)
async def test_stop_while_the_scheduled_tip_post_hangs(
    tg: FakeTelegram, database_url: str, tmp_path: Path, stop: str, accept_first: bool
) -> None:
    channel = tg.channel("Советы", username=CHANNEL[1:], bot_is_admin=True)
    admin = tg.user("Админ", language_code="ru")
    admin.start_bot()
    plan = schedule()
    env = bot_env(
        tg,
        database_url,
        TIPS_CHANNEL=CHANNEL,
        TIPS_SCHEDULE=plan.cron,
        DEFAULT_TIMEZONE="UTC",
        ADMIN_IDS=str(admin.id),
    )
    tg.delay_next("sendMessage", HANG, chat_id=CHANNEL, accept_first=accept_first)
    runs: list[BotProcess] = []
    try:
        first = await BotProcess.spawn(tmp_path, "run1", env, clock_at=plan.first_clock)
        runs.append(first)
        await tg.wait_until(lambda: tg.held == 1, timeout=90)  # the post hangs
        log = first.output()
        assert "scheduled tip" in log
        # posted by the cron job once running, or by the start-up catch-up of that job
        by = "cron" if "started;" in log[: log.index("scheduled tip")] else "catch-up"
        accepted = len(tg.bot_messages(channel))
        assert accepted == (1 if accept_first else 0)
        if stop == "sigterm":
            began = time.monotonic()
            assert await first.terminate() == 0, first.output()
            log = first.output()
            assert "Traceback" not in log, log
            assert "CancelledError" not in log, log
            assert "stopped" in log
            assert time.monotonic() - began < HANG + 20
            # the send in flight finished and was recorded before the exit
            assert len(tg.bot_messages(channel)) == 1
        else:
            await first.kill()

        second = await BotProcess.spawn(tmp_path, "run2", env, clock_at=plan.restart_clock)
        runs.append(second)
        await second.wait_for_line("started;")
        if stop == "sigterm" or not accept_first:
            await tg.wait_until(lambda: len(tg.bot_messages(channel)) >= 1, timeout=30)
        else:  # accepted, not recorded: sent again once the lease of the dead run expired
            await tg.wait_until(lambda: len(tg.bot_messages(channel)) >= 2, timeout=30)
        slot_posts = titles(tg, channel)

        admin.send("/tip_now")  # the next post of the rotation
        await tg.wait_until(lambda: len(tg.bot_messages(channel)) > len(slot_posts), timeout=30)
        await tg.wait_until(
            lambda: any("Опубликовал совет" in text_of(m) for m in tg.bot_messages(admin.private)),
            timeout=30,
        )
        assert await second.terminate() == 0, second.output()
        log = second.output()
        assert "Traceback" not in log, log
    finally:
        for each in runs:
            await each.kill()

    posts = titles(tg, channel)
    expected = 2 if (stop == "sigkill" and accept_first) else 1
    print(
        f"\n{stop}, accepted before the stop: {bool(accepted)}, queued by the {by}: the "
        f"slot posted {len(slot_posts)} times, then {posts[len(slot_posts) :]}"
    )
    assert len(slot_posts) == expected
    assert len(set(slot_posts)) == 1  # one tip, the slot's
    assert len(posts) == expected + 1
    assert posts[-1] != slot_posts[0]  # the rotation moved on: not the same tip again
    db = Database(database_url)
    try:
        assert await scalar(db, "SELECT count(*) FROM tip_slots") == 1
        assert await scalar(db, "SELECT count(*) FROM deliveries WHERE key LIKE 'tip:%'") == 2
        assert await scalar(db, "SELECT count(*) FROM deliveries WHERE state <> 'sent'") == 0
    finally:
        await db.close()
