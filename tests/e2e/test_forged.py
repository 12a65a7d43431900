"""Buttons that hold against a modified client: a press is authorised against the message it
came from (its data must be one of that message's buttons), absurd ids and odd arguments get a
polite answer, and a double tap that changes nothing is answered quietly."""

from __future__ import annotations

from bot.i18n import Translations
from tests.e2e.conftest import Running, Starter
from tests.e2e.test_teams import join_by_button, message_in, started, team_with_group, teams_of
from tests.fakebot import FakeTelegram


def ru(running: Running) -> Translations:
    translations = running.app.dp["translations"]
    assert isinstance(translations, Translations)
    return translations


async def test_forged_presses_on_other_messages_change_nothing(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    stale = ru(running).get("ru").t("errors.stale_button")
    lead = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    await started(tg, lead)
    await started(tg, agent)
    group, team, greeting = await team_with_group(tg, running, "Поддержка", [agent], [lead])
    await join_by_button(tg, agent, greeting)
    lead.send("/settings", chat=group)
    panel = await tg.next_bot_message(group)
    shown = len(tg.messages(group))
    forged = [
        (greeting, "tm1:x"),  # «another tip» from under the greeting: would post tips here
        (greeting, f"ts1:{team.id}:an"),  # a settings switch: would overwrite the greeting
        (greeting, f"pv1:{team.id}:"),  # the portrait panel, over the greeting
        (greeting, f"mp1:{team.id}:1"),  # /mykudos pages, over the greeting
        (panel, f"ts1:{10**30}:b+"),  # an absurd team id
        (panel, f"ts1:{team.id + 1}:b+"),  # another team's id
        (panel, f"tj1:{team.id}"),  # «join» from under the panel
    ]
    for message, data in forged:
        answer = await tg.callback_answer(lead.press_data(message, data))
        assert answer.show_alert, data
        assert answer.text == stale, data
    assert len(tg.messages(group)) == shown  # nothing posted into the group
    now = message_in(tg, group, greeting)
    assert now.text == greeting.text
    assert now.reply_markup == greeting.reply_markup
    assert message_in(tg, group, panel).text == panel.text
    after = await teams_of(running).by_id(team.id)
    assert (after.announce, after.kudos_budget) == (team.announce, team.kudos_budget)


async def test_a_genuine_button_still_works_and_a_double_tap_is_quiet(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    await started(tg, lead)
    # the lead adds the bot to two groups and so is a member of both
    await team_with_group(tg, running, "Альфа", [], [lead])
    await team_with_group(tg, running, "Бета", [], [lead])
    lead.send("/team")
    picker = await tg.next_bot_message(lead.private)
    assert picker.reply_markup is not None
    labels = [b.text for row in picker.reply_markup.inline_keyboard for b in row]
    current = next(label for label in labels if label.startswith("✅"))
    # the team that is already current: the edit changes nothing and Telegram says so
    answer = await lead.press(picker, current)
    assert not answer.show_alert
    assert answer.text != ru(running).get("ru").t("errors.generic")
    generic = ru(running).get("ru").t("errors.generic")
    assert all(m.text != generic for m in tg.messages(lead.private))


async def test_export_of_an_impossible_month_explains_the_format(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    how = ru(running).get("ru").t("kudos.export_how")
    lead = tg.user("Олег", language_code="ru")
    await started(tg, lead)
    await team_with_group(tg, running, "Поддержка", [], [lead])  # a member: had started
    for arg in ("0000-01", "2026-13", "99999999999-01"):
        lead.send(f"/export {arg}")
        assert (await tg.next_bot_message(lead.private)).text == how, arg
