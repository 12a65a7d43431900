"""Teams end to end: the bot in groups, joining, /team, /leave, /promote, /portrait, /settings,
a group upgraded to a supergroup, and the chat's language."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, Message

from bot.services.kudos import Period
from bot.services.teams import Team, TeamsService
from tests.e2e.conftest import Running, Starter, eventually
from tests.e2e.texts import ru
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

NOT_LEAD = ru("teams.not_lead")
JOIN = ru.t("teams.join")


def teams_of(running: Running) -> TeamsService:
    service = running.app.dp["teams"]
    assert isinstance(service, TeamsService)
    return service


def labels(message: Message) -> list[str]:
    markup = message.reply_markup
    assert markup is not None, f"no keyboard under {message.text!r}"
    return [b.text for row in markup.inline_keyboard for b in row]


def button(message: Message, label: str) -> InlineKeyboardButton:
    markup = message.reply_markup
    assert markup is not None, f"no keyboard under {message.text!r}"
    for row in markup.inline_keyboard:
        for candidate in row:
            if candidate.text == label:
                return candidate
    raise AssertionError(f"no button {label!r}; buttons: {labels(message)}")


async def started(tg: FakeTelegram, user: FakeUser) -> None:
    user.start_bot()
    await tg.next_bot_message(user.private)


async def team_with_group(
    tg: FakeTelegram,
    running: Running,
    title: str,
    members: list[FakeUser],
    admins: list[FakeUser],
) -> tuple[FakeChat, Team, Message]:
    """A group with the bot added by its owner: the group, its team and the greeting."""
    group = tg.group(title, members=members, admins=admins)
    tg.add_bot_to_group(group, by=admins[0])
    greeting = await tg.next_bot_message(group)
    if admins[0].started:  # the one who added the bot and had started it: a member at once
        joined = await tg.next_bot_message(admins[0].private)
        assert title in (joined.text or "")
    team = await teams_of(running).by_chat(group.id)
    assert team is not None
    return group, team, greeting


async def join_by_button(tg: FakeTelegram, user: FakeUser, greeting: Message) -> None:
    answer = await user.press(greeting, JOIN)
    assert "Вы в команде" in (answer.text or "")
    assert "Готово: вы в команде" in ((await tg.next_bot_message(user.private)).text or "")


def message_in(tg: FakeTelegram, chat: FakeChat, message: Message) -> Message:
    """``message`` as it is now in ``chat`` (edits applied)."""
    return next(m for m in tg.messages(chat) if m.message_id == message.message_id)


# --- 1. the bot joins a group --------------------------------------------------------------


async def test_adding_the_bot_creates_a_team_and_greets_with_join_buttons(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    owner = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    group = tg.group("Поддержка L1", members=[owner, agent], admins=[owner])

    tg.add_bot_to_group(group, by=owner)
    greeting = await tg.next_bot_message(group)

    team = await teams_of(running).by_chat(group.id)
    assert team is not None
    assert team.title == "Поддержка L1"
    assert team.timezone == "Europe/Moscow"
    assert team.bot_present
    assert "«Поддержка L1»" in (greeting.text or "")
    assert labels(greeting) == [JOIN]  # one button: it opens the private chat
    assert button(greeting, JOIN).callback_data == f"tj1:{team.id}"
    # the owner never started the bot: not a member yet, and the greeting tells them
    assert await teams_of(running).members(team) == []
    assert "Олег, и вы тоже" in (greeting.text or "")


# --- 2. joining --------------------------------------------------------------------------


async def test_member_who_started_the_bot_joins_by_button(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    owner = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    await started(tg, agent)
    group, team, greeting = await team_with_group(tg, running, "Поддержка", [agent], [owner])

    answer = await agent.press(greeting, JOIN)
    assert answer.text == (
        "Вы в команде «Поддержка»! Откройте личный чат со мной, чтобы получать благодарности."
    )
    assert answer.url is None
    welcome = await tg.next_bot_message(agent.private)
    assert (welcome.text or "").startswith("Готово: вы в команде «Поддержка».")

    again = await agent.press(greeting, JOIN)
    assert again.text == "Вы уже в команде «Поддержка»."
    assert [m.user_id for m in await teams_of(running).members(team)] == [agent.id]
    assert len(tg.bot_messages(agent.private)) == 2  # /start's reply and one welcome
    assert len(tg.bot_messages(group)) == 1  # nothing said in the group


async def test_member_who_never_started_the_bot_is_sent_to_the_private_chat(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    owner = tg.user("Олег", language_code="ru")
    shy = tg.user("Тихон", language_code="ru")
    _group, team, greeting = await team_with_group(tg, running, "Поддержка", [shy], [owner])

    answer = await shy.press(greeting, JOIN)
    assert answer.url == f"https://t.me/spasibot_bot?start=team_{team.join_code}"
    assert tg.bot_messages(shy.private) == []  # the bot may not write first

    shy.start_bot(f"team_{team.join_code}")  # Telegram opened the link: START
    welcome = await tg.next_bot_message(shy.private)
    assert "Готово: вы в команде «Поддержка»" in (welcome.text or "")
    assert [m.user_id for m in await teams_of(running).members(team)] == [shy.id]
    assert await teams_of(running).current_team(shy.id) == team


async def test_start_with_a_team_link_joins_and_an_unknown_code_is_refused(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    owner = tg.user("Олег", language_code="ru")
    newcomer = tg.user("Вера", language_code="ru")
    _group, team, _greeting = await team_with_group(tg, running, "Поддержка", [], [owner])

    newcomer.start_bot("team_zzz")
    refusal = await tg.next_bot_message(newcomer.private)
    assert "Ссылка-приглашение устарела или неверна" in (refusal.text or "")
    assert await teams_of(running).teams_of(newcomer.id) == []

    newcomer.send(f"/start team_{team.join_code}")
    welcome = await tg.next_bot_message(newcomer.private)
    assert "Готово: вы в команде «Поддержка»" in (welcome.text or "")
    assert [t.id for t in await teams_of(running).teams_of(newcomer.id)] == [team.id]


# --- 3. the bot removed and re-added -----------------------------------------------------


async def test_removing_the_bot_keeps_the_team_and_re_adding_greets_again(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    owner = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    await started(tg, agent)
    group, team, greeting = await team_with_group(tg, running, "Поддержка", [agent], [owner])
    await join_by_button(tg, agent, greeting)

    tg.remove_bot_from_group(group, by=owner)

    async def bot_gone() -> bool:
        row = await teams_of(running).by_chat(group.id)
        return row is not None and not row.bot_present

    await eventually(bot_gone)
    assert [m.user_id for m in await teams_of(running).members(team)] == [agent.id]

    tg.add_bot_to_group(group, by=owner)
    greeting_again = await tg.next_bot_message(group)
    assert "«Поддержка»" in (greeting_again.text or "")
    assert button(greeting_again, JOIN).callback_data == f"tj1:{team.id}"
    back = await teams_of(running).by_chat(group.id)
    assert back is not None
    assert back.id == team.id
    assert back.join_code == team.join_code
    assert back.bot_present
    assert [m.user_id for m in await teams_of(running).members(team)] == [agent.id]
    again = await agent.press(greeting_again, JOIN)
    assert again.text == "Вы уже в команде «Поддержка»."


# --- 4. several teams ----------------------------------------------------------------------


async def test_user_in_two_teams_switches_the_current_one(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    owner = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    await started(tg, agent)
    _g1, first, greeting1 = await team_with_group(tg, running, "Альфа", [agent], [owner])
    _g2, second, greeting2 = await team_with_group(tg, running, "Бета <b>&", [agent], [owner])
    await join_by_button(tg, agent, greeting1)
    await join_by_button(tg, agent, greeting2)  # the team joined last becomes the current one

    agent.send("/team")
    listing = await tg.next_bot_message(agent.private)
    assert listing.text == "Текущая команда: Бета <b>&. Выберите другую:"
    assert labels(listing) == ["Альфа", "✅ Бета <b>&"]

    answer = await agent.press(listing, "Альфа")
    assert answer.text == "Текущая команда: «Альфа»."
    listing = message_in(tg, agent.private, listing)
    assert listing.text == "Текущая команда: Альфа. Выберите другую:"
    assert labels(listing) == ["✅ Альфа", "Бета <b>&"]
    assert await teams_of(running).current_team(agent.id) == first

    answer = await agent.press(listing, "Бета <b>&")
    assert answer.text == "Текущая команда: «Бета <b>&»."
    assert labels(message_in(tg, agent.private, listing)) == ["Альфа", "✅ Бета <b>&"]
    assert await teams_of(running).current_team(agent.id) == second


async def test_team_with_one_or_no_team(tg: FakeTelegram, start_bot: Starter) -> None:
    running = await start_bot()
    owner = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    await started(tg, agent)
    agent.send("/team")
    assert "ни в одной команде" in ((await tg.next_bot_message(agent.private)).text or "")

    _group, _team, greeting = await team_with_group(tg, running, "Альфа", [agent], [owner])
    await join_by_button(tg, agent, greeting)
    agent.send("/team")
    only = await tg.next_bot_message(agent.private)
    assert only.text == "Ваша команда: Альфа."
    assert only.reply_markup is None


# --- 5. leaving ----------------------------------------------------------------------------


async def test_leave_command_and_leaving_the_group_end_membership(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    owner = tg.user("Олег", language_code="ru")
    anna = tg.user("Аня", language_code="ru")
    boris = tg.user("Борис", language_code="ru")
    for user in (anna, boris):
        await started(tg, user)
    group, team, greeting = await team_with_group(tg, running, "Поддержка", [anna, boris], [owner])
    await join_by_button(tg, anna, greeting)
    await join_by_button(tg, boris, greeting)
    service = teams_of(running)
    assert {m.user_id for m in await service.members(team)} == {anna.id, boris.id}

    anna.send("/leave", chat=group)
    reply = await tg.next_bot_message(group)
    assert reply.text == "Вы вышли из команды «Поддержка». История благодарностей сохранена."
    assert [m.user_id for m in await service.members(team)] == [boris.id]
    assert await service.member(team, anna.id) is None
    assert await service.teams_of(anna.id) == []

    anna.send("/leave", chat=group)
    assert "Вы не состоите в этой команде" in ((await tg.next_bot_message(group)).text or "")

    tg.leave_group(group, boris)

    async def boris_gone() -> bool:
        return await service.members(team) == []

    await eventually(boris_gone)
    assert await service.current_team(boris.id) is None
    anna.send("/team")
    assert "ни в одной команде" in ((await tg.next_bot_message(anna.private)).text or "")


# --- 6. the portrait ----------------------------------------------------------------------


async def test_portrait_is_for_leads_and_toggles_change_the_team_portrait(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    group, team, _greeting = await team_with_group(tg, running, "Поддержка", [agent], [lead])
    service = teams_of(running)

    agent.send("/portrait", chat=group)  # not in the team: not even the read-only portrait
    refusal = await tg.next_bot_message(group)
    assert ru("teams.not_member") in (refusal.text or "")

    lead.send("/portrait", chat=group)
    root = await tg.next_bot_message(group)
    assert "Портрет команды «Поддержка»" in (root.text or "")
    assert labels(root) == [
        "Ценности",
        "Личные качества",
        "Мотивация",
        "Профессиональные знания и навыки",
        "➕ Добавить свой навык",
    ]

    opened = await lead.press(root, "Ценности")
    assert not opened.show_alert
    values = message_in(tg, group, root)
    assert (values.text or "").startswith("Ценности\n")
    assert "✅ Гибкость" in labels(values)
    assert all(label[0] in "✅▫" for label in labels(values)[:-1])
    assert labels(values)[-1] == "« Назад"

    answer = await lead.press(values, "✅ Гибкость")
    assert answer.text == "Выключено: Гибкость"
    values = message_in(tg, group, root)
    assert "▫️ Гибкость" in labels(values)
    quality = await service.quality(team, "flexibility")
    assert quality is not None
    assert not quality.enabled

    # the agent presses the lead's button (same callback data): refused, nothing changes
    toggle_data = button(values, "▫️ Гибкость").callback_data
    assert toggle_data is not None
    refused = await tg.callback_answer(agent.press_data(values, toggle_data))
    assert refused.show_alert
    assert NOT_LEAD in (refused.text or "")
    quality = await service.quality(team, "flexibility")
    assert quality is not None
    assert not quality.enabled
    assert "▫️ Гибкость" in labels(message_in(tg, group, root))

    answer = await lead.press(values, "▫️ Гибкость")
    assert answer.text == "Включено: Гибкость"
    assert "✅ Гибкость" in labels(message_in(tg, group, root))
    quality = await service.quality(team, "flexibility")
    assert quality is not None
    assert quality.enabled

    back = await lead.press(message_in(tg, group, root), "« Назад")
    assert not back.show_alert
    assert "Ценности" in labels(message_in(tg, group, root))


async def test_forged_toggle_for_another_team_is_refused(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    lead_a = tg.user("Олег", language_code="ru")
    lead_b = tg.user("Борис", language_code="ru")
    group_a, team_a, _ = await team_with_group(tg, running, "Альфа", [], [lead_a])
    _group_b, team_b, _ = await team_with_group(tg, running, "Бета", [], [lead_b])
    service = teams_of(running)
    empathy = await service.quality(team_b, "empathy")
    assert empathy is not None
    assert empathy.enabled

    lead_a.send("/portrait", chat=group_a)
    root = await tg.next_bot_message(group_a)
    # data that is no button of that panel: refused before any handler (and a handler would
    # refuse it again: the presser does not lead team B)
    refused = await tg.callback_answer(lead_a.press_data(root, f"pq1:{team_b.id}:empathy"))
    assert refused.show_alert
    assert "Эта кнопка устарела или не ваша" in (refused.text or "")
    empathy = await service.quality(team_b, "empathy")
    assert empathy is not None
    assert empathy.enabled
    assert message_in(tg, group_a, root).text == root.text  # the message was not touched
    own = await service.quality(team_a, "empathy")
    assert own is not None
    assert own.enabled


# --- 7. custom skills ------------------------------------------------------------------------


async def open_portrait(tg: FakeTelegram, lead: FakeUser, group: FakeChat) -> Message:
    lead.send("/portrait", chat=group)
    return await tg.next_bot_message(group)


async def test_lead_adds_and_removes_a_custom_skill(tg: FakeTelegram, start_bot: Starter) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    await started(tg, lead)
    group, team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    root = await open_portrait(tg, lead, group)

    await lead.press(root, "➕ Добавить свой навык")
    ask = await tg.next_bot_message(lead.private)
    assert (ask.text or "").startswith("Как называется навык?")

    lead.send("Умеет настраивать роутер")
    assert "что этот навык значит" in ((await tg.next_bot_message(lead.private)).text or "")
    lead.send("Помогает клиенту настроить домашний роутер по телефону")
    done = await tg.next_bot_message(lead.private)
    assert done.text == "Навык «Умеет настраивать роутер» добавлен в портрет команды."
    skill = await teams_of(running).quality(team, "c_1")
    assert skill is not None
    assert skill.custom
    assert skill.enabled
    assert skill.category == "skills"
    assert skill.meaning("ru") == "Помогает клиенту настроить домашний роутер по телефону"

    await lead.press(root, "Профессиональные знания и навыки")
    skills = message_in(tg, group, root)
    assert "✅ Умеет настраивать роутер" in labels(skills)
    assert "🗑 Умеет настраивать роутер" in labels(skills)

    answer = await lead.press(skills, "🗑 Умеет настраивать роутер")
    assert answer.text == "Навык удалён из портрета."
    skills = message_in(tg, group, root)
    assert not any("роутер" in label for label in labels(skills))
    assert await teams_of(running).quality(team, "c_1") is None


async def test_custom_skill_name_too_short_then_cancel(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    await started(tg, lead)
    group, team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    root = await open_portrait(tg, lead, group)
    await lead.press(root, "➕ Добавить свой навык")
    await tg.next_bot_message(lead.private)

    lead.send("Я")
    assert (await tg.next_bot_message(lead.private)).text == (
        "Название должно быть от 2 до 40 символов."
    )
    lead.send("Знает SQL")  # still waiting for a name
    assert "что этот навык значит" in ((await tg.next_bot_message(lead.private)).text or "")

    lead.send("/cancel")
    assert "Отменено" in ((await tg.next_bot_message(lead.private)).text or "")
    lead.send("Пишет запросы к базе")  # no flow any more: a stray text
    hint = await tg.next_bot_message(lead.private)
    assert "/tip" in (hint.text or "")
    assert not [q for q in await teams_of(running).portrait(team) if q.custom]


async def test_cancel_while_asked_for_the_skill_name(tg: FakeTelegram, start_bot: Starter) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    await started(tg, lead)
    group, team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    root = await open_portrait(tg, lead, group)
    await lead.press(root, "➕ Добавить свой навык")
    await tg.next_bot_message(lead.private)

    lead.send("/cancel")
    assert "Отменено" in ((await tg.next_bot_message(lead.private)).text or "")
    assert not [q for q in await teams_of(running).portrait(team) if q.custom]


async def test_lead_who_never_started_the_bot_presses_add_skill(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    group, _team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    root = await open_portrait(tg, lead, group)

    answer = await lead.press(root, "➕ Добавить свой навык")
    # the bot cannot write first: the lead should be led to the private chat, not get an error
    assert "Что-то пошло не так" not in (answer.text or "")
    lead.start_bot()
    greeting = await tg.next_bot_message(lead.private)
    assert (greeting.text or "").startswith("Привет, Олег!")


# --- 8. /promote ---------------------------------------------------------------------------


async def test_lead_promotes_a_member_who_then_edits_the_portrait(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня <i>&", last_name="Ким", language_code="ru")
    other = tg.user("Борис", language_code="ru")
    for user in (agent, other):
        await started(tg, user)
    group, team, greeting = await team_with_group(tg, running, "Поддержка", [agent, other], [lead])
    await join_by_button(tg, agent, greeting)
    await join_by_button(tg, other, greeting)

    agent.send("/portrait", chat=group)  # a member: the portrait read-only
    read_only = await tg.next_bot_message(group)
    assert read_only.text == ru("portrait.read_title", title="Поддержка")
    assert ru.t("portrait.add") not in labels(read_only)

    # a non-lead cannot promote
    said = other.send("Всем привет", chat=group)
    agent.send("/promote", chat=group, reply_to=said)
    assert NOT_LEAD in ((await tg.next_bot_message(group)).text or "")
    member = await teams_of(running).member(team, other.id)
    assert member is not None
    assert not member.promoted

    said = agent.send("Я разобралась с роутерами", chat=group)
    lead.send("/promote", chat=group, reply_to=said)
    promoted = await tg.next_bot_message(group)
    assert promoted.text == "Аня <i>& Ким теперь лид команды."
    member = await teams_of(running).member(team, agent.id)
    assert member is not None
    assert member.promoted

    agent.send("/portrait", chat=group)
    root = await tg.next_bot_message(group)
    assert "Портрет команды «Поддержка»" in (root.text or "")
    answer = await agent.press(root, "Ценности")
    assert not answer.show_alert


async def test_promote_without_a_reply_explains_how(tg: FakeTelegram, start_bot: Starter) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    group, _team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    lead.send("/promote", chat=group)
    assert (await tg.next_bot_message(group)).text == ru("teams.promote_how")


# --- 9. /settings ---------------------------------------------------------------------------


async def test_lead_changes_settings_and_time_zone(tg: FakeTelegram, start_bot: Starter) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    agent = tg.user("Аня", language_code="ru")
    await started(tg, lead)
    group, team, _ = await team_with_group(tg, running, "Поддержка", [agent], [lead])
    service = teams_of(running)

    agent.send("/settings", chat=group)
    assert NOT_LEAD in ((await tg.next_bot_message(group)).text or "")

    lead.send("/settings", chat=group)
    panel = await tg.next_bot_message(group)
    text = panel.text or ""
    assert "Настройки команды «Поддержка»" in text
    assert "Часовой пояс: Europe/Moscow" in text
    assert "Благодарностей в день на человека: 5" in text
    assert "Объявлять благодарности в группе: да" in text
    assert labels(panel) == [
        "🕒 Часовой пояс",
        "➖",
        "🎯 Лимит в день: 5",
        "➕",
        "📣 Объявления: да",
        "🎂 Дни рождения: да",
        "📰 Дайджест: да",
        ru.t("review.team_button"),
    ]

    answer = await lead.press(panel, "➕")
    assert answer.text == "Сохранено."
    panel = message_in(tg, group, panel)
    assert "Благодарностей в день на человека: 6" in (panel.text or "")
    assert "🎯 Лимит в день: 6" in labels(panel)

    await lead.press(panel, "📣 Объявления: да")
    panel = message_in(tg, group, panel)
    assert "Объявлять благодарности в группе: нет" in (panel.text or "")
    assert "📣 Объявления: нет" in labels(panel)
    saved = await service.by_id(team.id)
    assert (saved.kudos_budget, saved.announce, saved.birthdays) == (6, False, True)

    # the agent presses the lead's panel: refused
    data = button(panel, "➕").callback_data
    assert data is not None
    refused = await tg.callback_answer(agent.press_data(panel, data))
    assert refused.show_alert
    assert NOT_LEAD in (refused.text or "")
    assert (await service.by_id(team.id)).kudos_budget == 6

    await lead.press(panel, "🕒 Часовой пояс")
    ask = await tg.next_bot_message(lead.private)
    assert "IANA" in (ask.text or "")

    lead.send("Mars/<Olympus>")
    bad = await tg.next_bot_message(lead.private)
    assert (bad.text or "").startswith("Не знаю часового пояса «Mars/<Olympus>». Напишите город")
    assert (await service.by_id(team.id)).timezone == "Europe/Moscow"

    lead.send("Asia/Yekaterinburg")
    shown = await tg.next_bot_message(lead.private)
    assert "Часовой пояс: Asia/Yekaterinburg" in (shown.text or "")
    assert "🕒 Часовой пояс" in labels(shown)
    assert (await service.by_id(team.id)).timezone == "Asia/Yekaterinburg"

    lead.send("Europe/London")  # the flow is over: no longer a time zone
    assert "/tip" in ((await tg.next_bot_message(lead.private)).text or "")
    assert (await service.by_id(team.id)).timezone == "Asia/Yekaterinburg"


async def test_cancel_while_asked_for_the_time_zone(tg: FakeTelegram, start_bot: Starter) -> None:
    running = await start_bot()
    lead = tg.user("Олег", language_code="ru")
    await started(tg, lead)
    group, team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    lead.send("/settings", chat=group)
    panel = await tg.next_bot_message(group)
    await lead.press(panel, "🕒 Часовой пояс")
    await tg.next_bot_message(lead.private)

    lead.send("/cancel")
    assert "Отменено" in ((await tg.next_bot_message(lead.private)).text or "")
    assert (await teams_of(running).by_id(team.id)).timezone == "Europe/Moscow"


# --- 10. HTML in titles and names ----------------------------------------------------------


async def test_html_in_the_group_title_is_shown_as_text(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    owner = tg.user("<b>Олег</b>", language_code="ru")
    agent = tg.user("Аня & <Ко>", language_code="ru")
    await started(tg, agent)
    group, team, greeting = await team_with_group(tg, running, "<b>Team</b> & co", [agent], [owner])
    assert team.title == "<b>Team</b> & co"
    assert "Привет, «<b>Team</b> & co»!" in (greeting.text or "")
    assert not greeting.entities or all(e.type != "bold" for e in greeting.entities)

    answer = await agent.press(greeting, JOIN)
    assert "«<b>Team</b> & co»" in (answer.text or "")
    welcome = await tg.next_bot_message(agent.private)
    assert "«<b>Team</b> & co»" in (welcome.text or "")

    owner.send("/portrait", chat=group)
    root = await tg.next_bot_message(group)
    assert "Портрет команды «<b>Team</b> & co»" in (root.text or "")


# --- the group becomes a supergroup; the chat's language -----------------------------------


async def test_a_group_upgraded_to_a_supergroup_keeps_its_team(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    lead, agent = tg.user("Лида", language_code="ru"), tg.user("Пётр", language_code="ru")
    for user in (lead, agent):
        await started(tg, user)
    group = tg.group("Старая группа", members=[lead, agent], admins=[lead], supergroup=False)
    tg.add_bot_to_group(group, by=lead)
    greeting = await tg.next_bot_message(group)
    await join_by_button(tg, agent, greeting)
    before = await teams_of(running).by_chat(group.id)
    assert before is not None

    supergroup = tg.migrate_group(group, by=lead)

    async def moved() -> bool:
        return await teams_of(running).by_chat(supergroup.id) is not None

    await eventually(moved)
    after = await teams_of(running).by_chat(supergroup.id)
    assert after is not None
    assert after.id == before.id
    assert await teams_of(running).by_chat(group.id) is None
    # the lead who added the bot (and had started it) and the agent who joined
    assert sorted(m.user_id for m in await teams_of(running).members(after)) == sorted(
        [lead.id, agent.id]
    )
    agent.send("/top", chat=supergroup)  # the team answers in its new chat
    board = (await tg.next_bot_message(supergroup)).text
    month = ru.t("kudos.period_month")
    assert board == ru("kudos.top_title", period=month) + "\n" + ru("kudos.top_empty")


async def test_the_team_chat_speaks_the_language_of_whoever_added_the_bot(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    lead = tg.user("Kate", language_code="en")
    anna = tg.user("Анна", language_code="ru")
    for user in (lead, anna):
        await started(tg, user)
    _group, team, greeting = await team_with_group(tg, running, "Support EU", [lead, anna], [lead])
    assert team.locale == "en"
    assert (greeting.text or "").startswith("Hi, “Support EU”!")
    answer = await anna.press(greeting, "Join the team")  # a Russian reader's own answer
    assert (answer.text or "").startswith("Вы в команде")


async def test_kudos_to_someone_outside_the_team_offers_the_way_in(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    lead, outsider = tg.user("Лида", language_code="ru"), tg.user("Гость", language_code="ru")
    await started(tg, lead)
    group, team, _ = await team_with_group(tg, running, "Команда", [lead, outsider], [lead])
    said = outsider.send("помог с клиентом", chat=group)
    lead.send("/kudos спасибо за помощь #эмпатия", chat=group, reply_to=said)
    reply = await tg.next_bot_message(group)
    assert "не в команде" in (reply.text or "")
    assert labels(reply) == [JOIN]
    board = await running.app.dp["kudos"].board(team, Period.ALL)
    assert board.total == 0
