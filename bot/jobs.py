"""Scheduled jobs: module-level coroutines that take the job context and ids only."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot.services.deliveries import Ledger
from bot.services.recognition import RecognitionService
from bot.services.reviews import ReviewsService
from bot.services.teams import Team
from bot.services.tips import TipsService

log = logging.getLogger(__name__)


class LeadsPort(Protocol):
    async def lead_ids(self, team: Team) -> list[int]:
        """Who leads ``team`` now (its chat's admins and the members a lead promoted)."""
        ...


@dataclass(frozen=True, slots=True)
class JobContext:
    tips: TipsService
    recognition: RecognitionService
    ledger: Ledger
    reviews: ReviewsService
    leads: LeadsPort


async def post_scheduled_tip(ctx: JobContext, *, channel: str) -> None:
    """Queue the tip of the current schedule slot for ``channel`` unless it was queued."""
    queued = await ctx.tips.post_due(channel)
    if queued is not None:
        log.info("scheduled tip %s queued for %s, slot %s", queued.tip.id, channel, queued.slot_at)


async def run_team_events(ctx: JobContext) -> None:
    """Employee of the month, birthdays and digests that are due now, each exactly once."""
    done = await ctx.recognition.run()
    if done:
        log.info("team events: %s", ", ".join(done))


async def prune_deliveries(ctx: JobContext) -> None:
    """Finished ledger rows older than the keeping period are deleted."""
    removed = await ctx.ledger.prune()
    if removed:
        log.info("pruned %d old delivery rows", removed)


async def queue_review_reminders(ctx: JobContext) -> None:
    """Every review reminder that is due now becomes a ledger row, once per user and week."""
    due = await ctx.reviews.tick()
    if due.queued or due.dropped:
        log.info("review reminders: %d queued, %d dropped (too late)", due.queued, due.dropped)
    for team, week in await ctx.reviews.digests_due():
        leads = await ctx.leads.lead_ids(team)
        if await ctx.reviews.queue_digests(team, week, leads):
            log.info(
                "review digest of team %s for %s queued for %d leads", team.id, week, len(leads)
            )
