"""The composition root: builds every object once and wires them; no globals anywhere.

``build_application()`` is what ``python -m bot`` runs and what the end-to-end tests start,
so the tests exercise the real application.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)

from bot.clock import Clock, SystemClock
from bot.fsm import DatabaseStorage
from bot.i18n import Translations, Translator
from bot.jobs import JobContext, post_scheduled_tip, run_team_events
from bot.scheduler import ApScheduler, SchedulerPort
from bot.services.kudos import KudosService
from bot.services.recognition import RecognitionService
from bot.services.teams import TeamsService
from bot.services.tips import TipsService
from bot.services.users import UsersService
from bot.settings import Settings, validate_cron
from bot.telegram.session import build_bot
from content import LOCALES, Content, load_content
from handlers import setup_routers
from handlers.kudos import KudosNotifier
from handlers.leads import LeadChecker
from handlers.middlewares import AnswerCallbacks, UpdateContext
from handlers.tips import TelegramTipPoster
from storage.database import Database

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = (
    "start",
    "help",
    "tip",
    "kudos",
    "mykudos",
    "top",
    "team",
    "birthday",
    "portrait",
    "settings",
    "export",
    "leave",
    "forget_me",
    "cancel",
)
GROUP_COMMANDS = ("kudos", "top", "help", "portrait", "settings", "promote", "leave")
ADMIN_COMMANDS = ("tip_preview", "tip_now", "tip_stats")
#: Team events (employee of the month, birthdays, digest) are checked this often.
TEAM_EVENTS_CRON = "*/5 * * * *"
SHUTDOWN_DRAIN_SECONDS = 25.0


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
    updates: UpdateContext
    tip_job_id: str | None = field(default=None)
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_startup(self) -> None:
        await self.db.migrate()
        await set_commands(self.bot, self.translations, self.settings.admin_ids)
        channel = self.settings.tips_channel
        if channel:
            self.tip_job_id = f"tips:{channel}"
            trigger = validate_cron(self.settings.tips_schedule, self.settings.default_timezone)
            self.scheduler.add_cron(self.tip_job_id, post_scheduled_tip, trigger, channel=channel)
        self.scheduler.add_cron(
            "team-events", run_team_events, validate_cron(TEAM_EVENTS_CRON, "UTC")
        )
        self.scheduler.start()
        await run_team_events(self.jobs)  # catch up what fell due while the bot was down
        if channel:
            # A slot missed while the bot was down is posted now if still within the grace
            # window; the slot claim in the database makes a second post impossible.
            await post_scheduled_tip(self.jobs, channel=channel)
        log.info("started; tips channel: %s", channel or "none")

    async def on_shutdown(self) -> None:
        log.info("stopping: finishing updates and jobs in flight")
        await self.scheduler.shutdown(SHUTDOWN_DRAIN_SECONDS)
        if not await self.updates.drain(SHUTDOWN_DRAIN_SECONDS):
            log.warning("some updates were still running at shutdown")
        await self.db.close()
        log.info("stopped")

    async def run_polling(self, *, handle_signals: bool = True) -> None:
        await self.dp.start_polling(
            self.bot,
            handle_signals=handle_signals,
            close_bot_session=True,
            tasks_concurrency_limit=self.settings.updates_concurrency,
        )

    async def run_webhook(self, *, handle_signals: bool = True) -> None:
        """Serve Telegram's webhook calls on WEBHOOK_HOST:WEBHOOK_PORT until a stop signal."""
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
        from aiohttp import web

        settings = self.settings
        assert settings.webhook_url is not None
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        web_app = web.Application()
        SimpleRequestHandler(dispatcher=self.dp, bot=self.bot, secret_token=secret).register(
            web_app, path=urlsplit(settings.webhook_url).path or "/"
        )
        setup_application(web_app, self.dp, bot=self.bot)

        async def register_webhook() -> None:
            await self.bot.set_webhook(
                settings.webhook_url or "",
                secret_token=secret,
                allowed_updates=self.dp.resolve_used_update_types(),
            )
            log.info("webhook set: %s", settings.webhook_url)

        self.dp.startup.register(register_webhook)
        runner = web.AppRunner(web_app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        await site.start()
        if handle_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop_event.set)
        try:
            await self.stop_event.wait()
        finally:
            await runner.cleanup()
            await self.bot.session.close()

    async def run(self, *, handle_signals: bool = True) -> None:
        """Long polling by default; webhook mode when WEBHOOK_URL is set."""
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
    translations = Translations(content, settings.default_locale)
    db = Database(settings.database_url)
    bot = build_bot(settings)
    tips = TipsService(
        db,
        content,
        clock,
        schedule=validate_cron(settings.tips_schedule, settings.default_timezone),
        grace=timedelta(minutes=settings.tips_grace_minutes),
        rng=rng,
    )
    users = UsersService(db, clock)
    teams = TeamsService(db, content, clock, settings.default_timezone)
    kudos = KudosService(db, teams, clock)
    notifier = KudosNotifier(bot, translations, teams, kudos, users)
    poster = TelegramTipPoster(bot, content, translations, settings.admin_ids)
    jobs = JobContext(
        tips=tips,
        tip_poster=poster,
        recognition=RecognitionService(db, teams, kudos, clock),
        notifier=notifier,
    )
    updates = UpdateContext(translations)
    dp = Dispatcher(
        storage=DatabaseStorage(db, clock),
        # one user's updates in one chat run in order (a flow never races with itself)
        events_isolation=SimpleEventIsolation(),
        settings=settings,
        content=content,
        translations=translations,
        clock=clock,
        tips=tips,
        users=users,
        poster=poster,
        teams=teams,
        kudos=kudos,
        notifier=notifier,
        leads=LeadChecker(teams),
    )
    dp.update.outer_middleware(updates)
    dp.callback_query.middleware(AnswerCallbacks())
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
        updates=updates,
    )
    dp.startup.register(app.on_startup)
    dp.shutdown.register(app.on_shutdown)
    return app


def _commands(i18n: Translator, names: tuple[str, ...]) -> list[BotCommand]:
    return [BotCommand(command=name, description=i18n.t(f"commands.{name}")) for name in names]


async def set_commands(bot: Bot, translations: Translations, admin_ids: frozenset[int]) -> None:
    """The command menu for private chats and groups, in every locale (default = no language)."""
    for code in (*LOCALES, ""):
        i18n = translations.get(code or translations.default)
        await bot.set_my_commands(
            _commands(i18n, PRIVATE_COMMANDS),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=code or None,
        )
        await bot.set_my_commands(
            _commands(i18n, GROUP_COMMANDS),
            scope=BotCommandScopeAllGroupChats(),
            language_code=code or None,
        )
    default = translations.get(translations.default)
    for admin_id in sorted(admin_ids):
        # Only possible for admins who have started the bot; the others see them in /help.
        with contextlib.suppress(TelegramAPIError):
            await bot.set_my_commands(
                _commands(default, PRIVATE_COMMANDS + ADMIN_COMMANDS),
                scope=BotCommandScopeChat(chat_id=admin_id),
            )
