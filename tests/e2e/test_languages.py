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


async def test_a_group_hears_the_teams_language_whoever_writes(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    from tests.e2e.test_teams import labels, message_in, started, team_with_group

    running = await start_bot()
    ru, en = running.app.translations.get("ru"), running.app.translations.get("en")
    lead = tg.user("Олег", language_code="ru")
    kate = tg.user("Kate", language_code="en")
    anna = tg.user("Анна", language_code="ru")
    for user in (lead, kate, anna):
        await started(tg, user)
    group, team, greeting = await team_with_group(tg, running, "Поддержка", [kate, anna], [lead])
    assert team.locale == "ru"
    for user in (kate, anna):
        await user.press(greeting, ru.t("teams.join"))
        await tg.next_bot_message(user.private)
    await running.app.dp["teams"].set_promoted(team, kate.id, True)

    said = anna.send("закрыла сложный тикет", chat=group)
    kate.send("/kudos thanks for the ticket", chat=group, reply_to=said)
    prompt = await tg.next_bot_message(group)
    assert (prompt.text or "").startswith(ru.t("kudos.pick_quality", names="Анна").split("\n")[0])

    kate.send("/settings", chat=group)
    panel = await tg.next_bot_message(group)
    assert ru.t("settings.yes") in (panel.text or "")  # the panel speaks the team's language
    answer = await kate.press(panel, "➕")
    assert answer.text == en.t("settings.saved")  # only Kate sees it: her language
    assert ru.t("settings.budget", n=team.kudos_budget + 1) in labels(message_in(tg, group, panel))
