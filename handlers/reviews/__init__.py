"""The weekly self-review: the flow, peer feedback, the history."""

from __future__ import annotations

from aiogram import Router

from handlers.reviews import feedback, flow, history, progress, settings, team


def schedule_setup() -> Router:
    """A member's own schedule (/settings of a non-lead, /myschedule): before the team's."""
    return settings.setup()


def setup() -> Router:
    router = Router(name="reviews")
    router.include_routers(
        flow.setup(), feedback.setup(), history.setup(), progress.setup(), team.setup()
    )
    return router
