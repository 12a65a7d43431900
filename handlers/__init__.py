"""Telegram adapters. ``setup_routers()`` builds a fresh router tree, in an explicit order:
capability routers first, the error router, the fallback (catch-all) last."""

from __future__ import annotations

from aiogram import Router

from handlers import account, common, errors, export, kudos, reviews, teams, tips


def setup_routers() -> Router:
    root = Router(name="root")
    root.include_routers(
        reviews.schedule_setup(),  # a member's own /settings: before the team's
        teams.setup(),  # before common: it answers /start with a team link
        common.setup(),
        tips.setup(),
        reviews.setup(),  # before kudos: a forwarded message in private is evidence
        kudos.setup(),
        account.setup(),
        export.setup(),
        errors.setup(),
        common.setup_fallback(),
    )
    return root
