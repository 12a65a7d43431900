"""One language per reader: an admin's command menu in the admin's own language."""

from __future__ import annotations

from tests.e2e.conftest import Starter, eventually
from tests.fakebot import FakeTelegram


async def test_an_admin_menu_is_in_the_admins_language(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    admin = tg.user("Kate", language_code="en")
    running = await start_bot(admin_ids=frozenset({admin.id}))
    texts = running.app.translations.get("en")
    admin.start_bot()
    await tg.next_bot_message(admin.private)

    async def menu_set() -> bool:
        return bool(tg.commands({"type": "chat", "chat_id": admin.id}))

    await eventually(menu_set)
    menu = {c.command: c.description for c in tg.commands({"type": "chat", "chat_id": admin.id})}
    assert menu["tip_now"] == texts.t("commands.tip_now")
    assert menu["kudos"] == texts.t("commands.kudos")
