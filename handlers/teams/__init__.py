"""Teams: membership (the bot in groups, joining, /team, /leave, /promote), the leads'
/portrait and /settings. ``setup()`` builds a fresh router tree of the three."""

from __future__ import annotations

from aiogram import Router

from handlers.teams import membership, portrait, settings


def setup() -> Router:
    router = Router(name="teams")
    router.include_routers(membership.setup(), portrait.setup(), settings.setup())
    return router
