"""APScheduler behind a small port.

Jobs are plain module-level coroutines ``async def job(ctx, **ids)``; the scheduler holds the
context (services, the poster) and calls them with ids only, so nothing live is stored in
the job store. The database, not the job store, is the truth of what is due and what was
sent: every job checks and claims its work there, so a job firing twice is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.inflight import InFlight

log = logging.getLogger(__name__)

Ctx = TypeVar("Ctx")

#: A job: ``async def job(ctx, **ids) -> None``, defined at module level.
Job = Callable[..., Awaitable[None]]

#: How late (seconds) a run may start and still run; later ones are caught up from the DB.
MISFIRE_GRACE_SECONDS = 15 * 60


class SchedulerPort(Protocol):
    """What the application needs from a scheduler (the app depends on this, not on
    APScheduler)."""

    def add_cron(self, job_id: str, job: Job, trigger: CronTrigger, **ids: Any) -> None: ...

    def start(self) -> None: ...

    def run_soon(self, job_id: str) -> None: ...

    async def wait_idle(self, timeout: float = 30.0) -> None: ...

    async def shutdown(self, timeout: float = 30.0) -> None: ...


class ApScheduler(Generic[Ctx]):
    """The production adapter over ``AsyncIOScheduler`` (one per process)."""

    def __init__(self, ctx: Ctx) -> None:
        self._ctx = ctx
        self._running = InFlight()
        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
                "coalesce": True,
                "max_instances": 1,
            },
        )

    def add_cron(self, job_id: str, job: Job, trigger: CronTrigger, **ids: Any) -> None:
        self._scheduler.add_job(
            self._run,
            trigger,
            id=job_id,
            name=getattr(job, "__name__", job_id),
            replace_existing=True,
            kwargs={"job": job, "job_id": job_id, "ids": ids},
        )

    async def _run(self, job: Job, job_id: str, ids: dict[str, Any]) -> None:
        with self._running.track():
            try:
                await job(self._ctx, **ids)
            except asyncio.CancelledError:
                # only past the shutdown timeout; the database claims make the next run
                # redo what this one did not commit
                log.warning("scheduled job %s cut off at shutdown", job_id)
            except Exception:
                log.exception("scheduled job %s failed", job_id)

    def next_run(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id)
        return job.next_run_time if job else None

    def run_soon(self, job_id: str) -> None:
        """Fire a job now through the scheduler (tests and operators)."""
        job = self._scheduler.get_job(job_id)
        if job is None:
            raise KeyError(job_id)
        job.modify(next_run_time=datetime.now(UTC))

    def start(self) -> None:
        self._scheduler.start()

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no job is running (tests; shutdown)."""
        if not await self._running.wait_idle(timeout):
            raise TimeoutError(f"scheduled jobs still running after {timeout} s")

    async def shutdown(self, timeout: float = 30.0) -> None:
        """Stop firing new runs, let the running ones finish (up to ``timeout``), then stop.

        APScheduler 3's ``AsyncIOExecutor.shutdown`` cancels the tasks of running coroutine
        jobs whatever ``wait`` says, which would cut a job off in the middle of its work. So
        the scheduler is paused first (no new run starts), the runs already submitted get
        one loop turn to enter ``_run`` (and be counted), and only once they are done (or
        ``timeout`` passed) is it shut down."""
        if not self._scheduler.running:
            await self._running.wait_idle(timeout)
            return
        self._scheduler.pause()
        await asyncio.sleep(0)  # a run submitted just now starts and is counted
        if not await self._running.wait_idle(timeout):
            log.warning("scheduled jobs still running after %.0f s: cut off", timeout)
        self._scheduler.shutdown(wait=False)
