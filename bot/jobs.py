"""Scheduled jobs: module-level coroutines that take the job context and ids only."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.services.tips import TipPoster, TipsService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobContext:
    tips: TipsService
    tip_poster: TipPoster


async def post_scheduled_tip(ctx: JobContext, *, channel: str) -> None:
    """Post the tip of the current schedule slot to ``channel`` unless it was posted."""
    posted = await ctx.tips.post_due(channel, ctx.tip_poster)
    if posted is not None:
        log.info(
            "scheduled tip %s posted to %s for slot %s", posted.tip.id, channel, posted.slot_at
        )
