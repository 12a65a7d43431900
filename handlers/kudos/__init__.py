"""Kudos: given in the team chat (``group``), offered under a plain thank-you there
(``thanks``) or guided in private (``private``), the giver's undo and quality fix
(``actions``), /top and /mykudos (``boards``), /tags (``tags``). What the ledger sends about
kudos is rendered by ``bot.telegram.notifier``."""

from __future__ import annotations

from aiogram import Router

from handlers.kudos import actions, boards, group, private, tags, thanks

__all__ = ["setup"]


def setup() -> Router:
    router = Router(name="kudos")
    router.include_routers(
        group.setup(),
        actions.setup(),
        private.setup(),
        boards.setup(),
        tags.setup(),
        thanks.setup(),
    )
    return router
