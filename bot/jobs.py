"""Scheduled jobs: module-level coroutines that take the job context and ids only."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.services.recognition import RecognitionNotifier, RecognitionService
from bot.services.tips import TipPoster, TipsService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobContext:
    tips: TipsService
    tip_poster: TipPoster
    recognition: RecognitionService
    notifier: RecognitionNotifier


async def post_scheduled_tip(ctx: JobContext, *, channel: str) -> None:
    """Post the tip of the current schedule slot to ``channel`` unless it was posted."""
    posted = await ctx.tips.post_due(channel, ctx.tip_poster)
    if posted is not None:
        log.info(
            "scheduled tip %s posted to %s for slot %s", posted.tip.id, channel, posted.slot_at
        )


async def run_team_events(ctx: JobContext) -> None:
    """Employee of the month, birthdays and digests that are due now, each exactly once."""
    done = await ctx.recognition.run(ctx.notifier)
    if done:
        log.info("team events: %s", ", ".join(done))
