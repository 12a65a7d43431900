"""Teams at the edges users hit (issue: teams and kudos as a team would want them)."""

from __future__ import annotations

from typing import Any

from bot.i18n import Translations
from tests.e2e.conftest import Running, Starter
from tests.e2e.test_teams import labels, message_in, started, team_with_group, teams_of
from tests.fakebot import FakeTelegram


def ru(running: Running) -> Translations:
    """The application's translations (``ru(running).get("ru")``)."""
    translations = running.app.dp["translations"]
    assert isinstance(translations, Translations)
    return translations


async def lead_and_agent(tg: FakeTelegram, start_bot: Starter, **settings: Any) -> tuple[Any, ...]:
    """A team added by its lead (who had started the bot) and an agent who joined by button:
    (running, ru texts, lead, agent, group, team, greeting); ``settings`` go to ``start_bot``
    (``clock=`` too)."""
    running = await start_bot(**settings)
    texts = ru(running).get("ru")
    lead = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    for user in (lead, agent):
        await started(tg, user)
    group, team, greeting = await team_with_group(tg, running, "Поддержка", [agent], [lead])
    await agent.press(greeting, texts.t("teams.join"))
    await tg.next_bot_message(agent.private)
    return running, texts, lead, agent, group, team, greeting


async def test_the_budget_value_between_minus_and_plus_changes_nothing(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    texts = ru(running).get("ru")
    lead = tg.user("Олег", language_code="ru")
    await started(tg, lead)
    group, team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    lead.send("/settings", chat=group)
    panel = await tg.next_bot_message(group)
    value = texts.t("settings.budget", n=team.kudos_budget)
    row = labels(panel)
    assert row[row.index(value) - 1 : row.index(value) + 2] == ["➖", value, "➕"]

    answer = await lead.press(panel, value)
    assert answer.text == value  # it says the value
    assert (await teams_of(running).by_id(team.id)).kudos_budget == team.kudos_budget
    assert message_in(tg, group, panel).text == panel.text

    await lead.press(panel, "➕")
    assert (await teams_of(running).by_id(team.id)).kudos_budget == team.kudos_budget + 1


async def test_the_lead_who_added_the_bot_can_give_kudos_at_once(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running, texts, lead, agent, group, team, greeting = await lead_and_agent(tg, start_bot)
    assert "и вы тоже" not in (greeting.text or "")  # the lead is in already
    said = agent.send("закрыла сложный тикет", chat=group)
    lead.send("/kudos спасибо за тикет #эмпатия", chat=group, reply_to=said)
    card = await tg.next_bot_message(group)
    assert "спасибо за тикет" in (card.text or "")
    assert texts.t("teams.no_team") not in (card.text or "")
    assert (await teams_of(running).by_id(team.id)).id == team.id


async def test_a_kudos_to_a_member_who_has_not_pressed_start_waits_for_them(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    texts = ru(running).get("ru")
    lead = tg.user("Олег", language_code="ru")
    shy = tg.user("Тихон", language_code="ru")
    await started(tg, lead)
    group, team, greeting = await team_with_group(tg, running, "Поддержка", [shy], [lead])
    answer = await shy.press(greeting, texts.t("teams.join"))
    assert answer.url == f"https://t.me/spasibot_bot?start=team_{team.join_code}"
    # Тихон pressed «join» but not Start: a member, whose thanks wait
    said = shy.send("помог коллеге", chat=group)
    lead.send("/kudos спасибо за помощь #эмпатия", chat=group, reply_to=said)
    card = await tg.next_bot_message(group)
    assert texts.t("kudos.waiting_start", names="Тихон") in (card.text or "")
    assert tg.bot_messages(shy.private) == []

    shy.start_bot(f"team_{team.join_code}")
    welcome = await tg.next_bot_message(shy.private)
    assert texts.t("teams.joined_private", title="Поддержка") in (welcome.text or "")
    backlog = await tg.next_bot_message(shy.private)
    assert "спасибо за помощь" in (backlog.text or "")


async def test_a_question_opened_before_start_is_asked_after_start(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    texts = ru(running).get("ru")
    lead = tg.user("Олег", language_code="ru")  # never started the bot
    group, _team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    lead.send("/portrait", chat=group)
    root = await tg.next_bot_message(group)
    answer = await lead.press(root, "➕ Добавить свой навык")
    assert answer.url == "https://t.me/spasibot_bot?start=ask"

    lead.start_bot("ask")
    await tg.next_bot_message(lead.private)  # the greeting
    question = await tg.next_bot_message(lead.private)
    assert question.text == texts.t("portrait.ask_name")
    lead.send("Настройка роутера")
    assert (await tg.next_bot_message(lead.private)).text == texts.t("portrait.ask_meaning")


async def test_a_newcomer_gets_one_line_not_the_greeting_again(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    texts = ru(running).get("ru")
    lead = tg.user("Олег", language_code="ru")
    newcomer = tg.user("Вера", language_code="ru")
    group, _team, greeting = await team_with_group(tg, running, "Поддержка", [], [lead])
    tg.join_group(group, newcomer)
    welcome = await tg.next_bot_message(group)
    assert welcome.text == texts.t("teams.welcome_new", names="Вера", title="Поддержка")
    assert welcome.text != greeting.text
    assert labels(welcome) == [texts.t("teams.join")]


async def test_with_announcements_off_the_group_hears_nothing_and_the_giver_gets_a_receipt(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running, texts, lead, agent, group, team, _greeting = await lead_and_agent(tg, start_bot)
    await teams_of(running).set_flag(team, "announce", False)
    in_group = len(tg.bot_messages(group))

    said = agent.send("закрыла сложный тикет", chat=group)
    lead.send("/kudos спасибо за тикет #эмпатия", chat=group, reply_to=said)
    receipt = await tg.next_bot_message(lead.private)
    assert (receipt.text or "").startswith(texts.t("kudos.recorded_here"))
    dm = await tg.next_bot_message(agent.private)
    assert "спасибо за тикет" in (dm.text or "")

    # without a #tag: the quality buttons appear in the group, then leave it
    lead.send("/kudos и за вежливость", chat=group, reply_to=said)
    draft = await tg.next_bot_message(group)
    first = labels(draft)[0]
    await lead.press(draft, first)
    receipt = await tg.next_bot_message(lead.private)
    assert (receipt.text or "").startswith(texts.t("kudos.recorded_here"))
    assert len(tg.bot_messages(group)) == in_group  # the draft was removed, nothing else said


async def test_joining_a_second_team_says_that_private_commands_now_use_it(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    texts = ru(running).get("ru")
    lead_a, lead_b = tg.user("Олег", language_code="ru"), tg.user("Ира", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    for user in (lead_a, lead_b, agent):
        await started(tg, user)
    _, _, greeting_a = await team_with_group(tg, running, "Альфа", [agent], [lead_a])
    _, team_b, greeting_b = await team_with_group(tg, running, "Бета", [agent], [lead_b])
    await agent.press(greeting_a, texts.t("teams.join"))
    first = await tg.next_bot_message(agent.private)
    assert texts.t("teams.now_current", title="Альфа") not in (first.text or "")
    await agent.press(greeting_b, texts.t("teams.join"))
    second = await tg.next_bot_message(agent.private)
    assert texts.t("teams.now_current", title="Бета") in (second.text or "")
    assert await teams_of(running).current_team(agent.id) == team_b
