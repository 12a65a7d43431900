"""The composition root: builds every object once and wires them; no globals anywhere.

``build_application()`` is what ``python -m bot`` runs and what the end-to-end tests start,
so the tests exercise the real application.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta

from aiogram import Bot, Dispatcher

from bot.clock import Clock, SystemClock
from bot.fsm import DatabaseStorage
from bot.i18n import Translations
from bot.jobs import (
    JobContext,
    post_scheduled_tip,
    prune_deliveries,
    queue_review_reminders,
    run_team_events,
)
from bot.scheduler import ApScheduler, SchedulerPort
from bot.services.deliveries import Ledger, RetryPolicy
from bot.services.kudos import KudosService
from bot.services.recognition import RecognitionService
from bot.services.reviews import ReviewsService
from bot.services.teams import TeamsService
from bot.services.tips import TipsService
from bot.services.users import UsersService
from bot.settings import Settings, validate_cron
from bot.telegram.charts import Charts
from bot.telegram.commands import CommandMenus
from bot.telegram.drainer import Drainer
from bot.telegram.kinds import delivery_kinds
from bot.telegram.leads import LeadChecker, TeamLeads
from bot.telegram.notifier import KudosNotifier
from bot.telegram.sender import Limits, PacedSender
from bot.telegram.session import build_bot
from bot.telegram.updates import FairDispatcher, FreeingEventIsolation, serve_polling
from bot.telegram.warm import keep_response_types
from bot.telegram.webhook import serve_webhook
from content import Content, load_content
from handlers import setup_routers
from handlers.keyboards import tip_rating
from handlers.middlewares import AnswerCallbacks, UpdateContext
from handlers.reviews.deliveries import review_kinds
from storage.database import Database

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = (
    "start",
    "help",
    "tip",
    "review",
    "reviews",
    "myschedule",
    "progress",
    "kudos",
    "mykudos",
    "top",
    "tags",
    "team",
    "birthday",
    "portrait",
    "settings",
    "export",
    "leave",
    "forget_me",
    "cancel",
)
GROUP_COMMANDS = ("kudos", "tags", "top", "help", "portrait", "settings", "promote", "leave")
ADMIN_COMMANDS = ("tip_preview", "tip_now", "tip_stats")
#: Team events (employee of the month, birthdays, digest) are checked this often.
TEAM_EVENTS_CRON = "*/5 * * * *"
SHUTDOWN_DRAIN_SECONDS = 25.0
#: finished ledger rows past their keeping period are pruned nightly
PRUNE_CRON = "17 3 * * *"
#: review reminders that fell due are queued every minute
REVIEW_CRON = "* * * * *"


@dataclass
class Application:
    settings: Settings
    clock: Clock
    content: Content
    translations: Translations
    db: Database
    bot: Bot
    dp: Dispatcher
    scheduler: SchedulerPort
    tips: TipsService
    jobs: JobContext
    ledger: Ledger
    drainer: Drainer
    sender: PacedSender
    updates: UpdateContext
    charts: Charts
    tip_job_id: str | None = field(default=None)
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    #: the per-user queues of the current run (polling or webhook)
    fair: FairDispatcher | None = field(default=None)

    async def on_startup(self) -> None:
        await self.db.migrate()
        users: UsersService = self.dp["users"]
        languages = {}
        for admin_id in self.settings.admin_ids:
            row = await users.get(admin_id)
            languages[admin_id] = row.language_code if row else None
        menus: CommandMenus = self.dp["menus"]
        await menus.set_all(self.bot, languages)
        channel = self.settings.tips_channel
        if channel:
            self.tip_job_id = f"tips:{channel}"
            trigger = validate_cron(self.settings.tips_schedule, self.settings.default_timezone)
            self.scheduler.add_cron(self.tip_job_id, post_scheduled_tip, trigger, channel=channel)
        self.scheduler.add_cron(
            "team-events", run_team_events, validate_cron(TEAM_EVENTS_CRON, "UTC")
        )
        self.scheduler.add_cron(
            "prune-deliveries", prune_deliveries, validate_cron(PRUNE_CRON, "UTC")
        )
        self.scheduler.add_cron(
            "review-reminders", queue_review_reminders, validate_cron(REVIEW_CRON, "UTC")
        )
        # rows left pending (or claimed by a process that died) go out first
        self.drainer.start()
        self.scheduler.start()
        # catch up what fell due while the bot was down; a failure here is logged, not fatal
        # (the claims and the ledger make every later run complete it exactly once)
        catch_up = [run_team_events(self.jobs), queue_review_reminders(self.jobs)]
        if channel:
            catch_up.append(post_scheduled_tip(self.jobs, channel=channel))
        for work in catch_up:
            try:
                await work
            except Exception:
                log.exception("start-up catch-up failed; the schedule retries it")
        log.info("started; tips channel: %s", channel or "none")
        gc.freeze()  # what start-up built is never collected: no full-GC pause walks it again

    async def on_shutdown(self) -> None:
        log.info("stopping: finishing updates and jobs in flight")
        await self.scheduler.shutdown(SHUTDOWN_DRAIN_SECONDS)
        if not await self.updates.drain(SHUTDOWN_DRAIN_SECONDS):
            log.warning("some updates were still running at shutdown")
        # sends in flight finish and are recorded; what is still pending waits for the next start
        await self.drainer.stop(SHUTDOWN_DRAIN_SECONDS)
        await self.charts.close()
        await self.db.close()
        gc.unfreeze()  # a process that builds several applications (the tests) frees this one
        log.info("stopped")

    def _fair_dispatcher(self) -> FairDispatcher:
        self.fair = FairDispatcher(
            self.dp,
            self.bot,
            self.db,
            self.translations,
            concurrency=self.settings.updates_concurrency,
        )
        return self.fair

    async def run_polling(self, *, handle_signals: bool = True) -> None:
        """Long polling through the inbox and the fair per-user queues until a stop signal,
        ``stop()`` or ``dp.stop_polling()``."""
        await serve_polling(
            self.dp,
            self.bot,
            self._fair_dispatcher(),
            self.clock,
            self.stop_event,
            handle_signals=handle_signals,
            drain_timeout=SHUTDOWN_DRAIN_SECONDS,
        )

    async def run_webhook(self, *, handle_signals: bool = True) -> None:
        """Serve Telegram's webhook calls on WEBHOOK_HOST:WEBHOOK_PORT (and GET /healthz)
        through the inbox and the fair per-user queues until a stop signal or ``stop()``."""
        settings = self.settings
        assert settings.webhook_url is not None
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        await serve_webhook(
            self.dp,
            self.bot,
            self.db,
            self._fair_dispatcher(),
            self.clock,
            self.stop_event,
            url=settings.webhook_url,
            secret=secret,
            host=settings.webhook_host,
            port=settings.webhook_port,
            handle_signals=handle_signals,
            drain_timeout=SHUTDOWN_DRAIN_SECONDS,
        )

    def stop(self) -> None:
        """Stop polling or the webhook server (as SIGTERM does)."""
        self.stop_event.set()

    async def run(self, *, handle_signals: bool = True) -> None:
        """Long polling by default; webhook mode when WEBHOOK_URL is set. First Telegram must
        answer and the process lock be ours (``bot.startup``: a refusal raises StartupError)."""
        from bot.startup import checked_start

        async with checked_start(
            settings=self.settings,
            bot=self.bot,
            db=self.db,
            stop=self.stop_event,
            handle_signals=handle_signals,
        ) as ready:
            if not ready:
                return
            if self.settings.webhook_url:
                await self.run_webhook(handle_signals=handle_signals)
            else:
                await self.run_polling(handle_signals=handle_signals)


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    content: Content | None = None,
    rng: random.Random | None = None,
) -> Application:
    content = content or load_content()
    clock = clock or SystemClock()
    keep_response_types()  # aiogram's Response[T] classes are not rebuilt per API answer
    translations = Translations(content, settings.default_locale)
    db = Database(settings.database_url)
    sender = PacedSender(
        Limits(
            per_second=settings.rate_per_second,
            per_chat_per_second=settings.rate_per_chat_per_second,
            per_chat_burst=settings.rate_per_chat_burst,
            group_per_minute=settings.rate_group_per_minute,
        )
    )
    bot = build_bot(settings, sender)
    ledger = Ledger(
        db,
        clock,
        keep=timedelta(days=settings.delivery_keep_days),
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        retry=RetryPolicy(max_attempts=settings.delivery_max_attempts),
    )
    tips = TipsService(
        db,
        content,
        clock,
        schedule=validate_cron(settings.tips_schedule, settings.default_timezone),
        grace=timedelta(minutes=settings.tips_grace_minutes),
        rng=rng,
        ledger=ledger,
        admin_ids=settings.admin_ids,
    )
    users = UsersService(db, clock)
    teams = TeamsService(db, content, clock, settings.default_timezone)
    kudos = KudosService(db, teams, clock, ledger)
    recognition = RecognitionService(db, teams, kudos, clock, ledger)
    reviews = ReviewsService(
        db,
        teams,
        clock,
        ledger,
        grace=timedelta(hours=settings.review_grace_hours),
        per_week=settings.review_qualities_per_week,
    )
    notifier = KudosNotifier(bot, translations, teams, kudos, users, ledger)
    drainer = Drainer(
        ledger,
        db,
        bot,
        delivery_kinds(
            ledger=ledger,
            content=content,
            translations=translations,
            teams=teams,
            kudos=kudos,
            tips=tips,
            recognition=recognition,
            notifier=notifier,
            tip_buttons=tip_rating,
        )
        | review_kinds(reviews=reviews, teams=teams, translations=translations),
        concurrency=settings.delivery_concurrency,
    )
    charts = Charts()
    jobs = JobContext(
        tips=tips,
        recognition=recognition,
        ledger=ledger,
        reviews=reviews,
        leads=TeamLeads(bot, teams),
    )
    updates = UpdateContext(translations)
    dp = Dispatcher(
        storage=DatabaseStorage(db, clock),
        # one user's updates in one chat run in order (a flow never races with itself);
        # the fair queues keep that order already, and this isolation frees its locks
        events_isolation=FreeingEventIsolation(),
        settings=settings,
        content=content,
        translations=translations,
        clock=clock,
        tips=tips,
        users=users,
        ledger=ledger,
        teams=teams,
        kudos=kudos,
        reviews=reviews,
        charts=charts,
        notifier=notifier,
        leads=LeadChecker(teams),
        menus=CommandMenus(
            translations,
            private=PRIVATE_COMMANDS,
            group=GROUP_COMMANDS,
            admin=ADMIN_COMMANDS,
            admin_ids=settings.admin_ids,
        ),
    )
    dp.update.outer_middleware(updates)
    # outer: a refusal raised by a filter (IsLead, ButtonTeam) is answered too
    dp.callback_query.outer_middleware(AnswerCallbacks())
    dp.include_router(setup_routers())
    app = Application(
        settings=settings,
        clock=clock,
        content=content,
        translations=translations,
        db=db,
        bot=bot,
        dp=dp,
        scheduler=ApScheduler(jobs),
        tips=tips,
        jobs=jobs,
        ledger=ledger,
        drainer=drainer,
        sender=sender,
        updates=updates,
        charts=charts,
    )
    dp.startup.register(app.on_startup)
    dp.shutdown.register(app.on_shutdown)
    return app
