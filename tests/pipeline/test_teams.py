"""Teams in process: the bot added to a group, joining, /team, /tags, /mykudos, /top, the
chat's language and presses forged by a modified client (``tests/e2e/test_teams``,
``test_forged``, ``test_languages``: what needs no HTTP)."""

from __future__ import annotations

from tests.e2e.texts import en, ru
from tests.pipeline.harness import Pipeline
from tests.pipeline.squad import JOIN, TEAM, Squad, left

STALE = ru.t("errors.stale_button")


async def test_adding_the_bot_creates_a_team_and_greets_with_one_button(pipe: Pipeline) -> None:
    owner = pipe.person("Олег")
    group = pipe.group("Поддержка L1", members=[], admins=[owner])
    await pipe.add_bot(group, by=owner)
    teams = pipe.dp["teams"]
    team = await teams.by_chat(group.id)
    assert team is not None
    assert (team.title, team.timezone, team.locale) == ("Поддержка L1", "Europe/Moscow", "ru")
    [greeting] = pipe.in_chat(group.id)
    assert greeting.labels() == [JOIN]
    assert greeting.markup is not None
    assert greeting.markup.inline_keyboard[0][0].callback_data == f"tj1:{team.id}"
    # the owner never started the bot: not a member yet, and the greeting tells them
    assert await teams.members(team) == []
    assert "Олег" in greeting.text


async def test_the_adder_who_started_the_bot_is_a_member_at_once(pipe: Pipeline) -> None:
    owner = pipe.person("Олег")
    await pipe.start(owner)
    group = pipe.group("Поддержка", members=[], admins=[owner])
    joined = await pipe.said(owner, pipe.add_bot(group, by=owner))
    assert [m.text for m in joined] == [ru("teams.joined_private", title="Поддержка")]
    team = await pipe.dp["teams"].by_chat(group.id)
    assert [m.user_id for m in await pipe.dp["teams"].members(team)] == [owner.id]


async def test_joining_by_button_twice_says_already(pipe: Pipeline) -> None:
    owner, agent = pipe.person("Олег"), pipe.person("Аня")
    await pipe.start(agent)
    group = pipe.group("Поддержка", members=[agent], admins=[owner])
    await pipe.add_bot(group, by=owner)
    greeting = pipe.last(group.id)
    answer = await pipe.press(agent, greeting, JOIN)
    assert answer.text == ru.t("teams.joined", title="Поддержка")
    assert pipe.last(agent.id).text == ru("teams.joined_private", title="Поддержка")
    again = await pipe.press(agent, greeting, JOIN)
    assert again.text == ru.t("teams.already", title="Поддержка")
    assert len(pipe.in_chat(agent.id)) == 2  # /start's reply and one welcome
    assert len(pipe.in_chat(group.id)) == 1  # nothing said in the group


async def test_someone_who_never_started_the_bot_is_sent_to_the_private_chat(
    pipe: Pipeline,
) -> None:
    owner, shy = pipe.person("Олег"), pipe.person("Тихон")
    group = pipe.group("Поддержка", members=[shy], admins=[owner])
    await pipe.add_bot(group, by=owner)
    team = await pipe.dp["teams"].by_chat(group.id)
    answer = await pipe.press(shy, pipe.last(group.id), JOIN)
    assert answer.url == f"https://t.me/spasibot_bot?start=team_{team.join_code}"
    assert pipe.in_chat(shy.id) == []  # the bot may not write first


async def test_newcomers_get_one_line_not_the_greeting_again(squad: Squad) -> None:
    from aiogram.types import Message

    s = squad
    nick = s.pipe.person("Ник")
    event = Message(
        message_id=s.pipe.world.new_message_id(s.group.id),
        date=s.pipe.clock.now(),
        chat=s.group.chat,
        from_user=nick.user,
        new_chat_members=[nick.user],
    )
    said = await s.pipe.said(s.group, s.pipe.feed(message=event))
    assert [m.text for m in said] == [ru("teams.welcome_new", names="Ник", title=TEAM)]
    assert said[0].labels() == [JOIN]


async def test_forged_presses_on_other_messages_change_nothing(squad: Squad) -> None:
    s = squad
    team = await s.team()
    [panel] = await s.say(s.lead, "/settings")
    shown = len(s.pipe.in_chat(s.group.id))
    forged = [
        (s.greeting, "tm1:x"),  # «another tip» from under the greeting
        (s.greeting, f"ts1:{team.id}:an"),  # a settings switch over the greeting
        (s.greeting, f"pv1:{team.id}:"),  # the portrait panel over the greeting
        (s.greeting, f"mp1:{team.id}:1"),  # /mykudos pages over the greeting
        (panel, f"ts1:{10**30}:b+"),  # an absurd team id
        (panel, f"ts1:{team.id + 1}:b+"),  # another team's id
        (panel, f"tj1:{team.id}"),  # «join» from under the panel
    ]
    greeting = s.pipe.current(s.greeting)
    before = (greeting.text, greeting.markup, s.pipe.current(panel).text)
    for message, data in forged:
        answer = await s.pipe.press_data(s.lead, message, data)
        assert (answer.text, answer.show_alert) == (STALE, True), data
    assert len(s.pipe.in_chat(s.group.id)) == shown  # nothing posted into the group
    greeting = s.pipe.current(s.greeting)
    assert (greeting.text, greeting.markup, s.pipe.current(panel).text) == before
    after = await s.team()
    assert (after.announce, after.kudos_budget) == (team.announce, team.kudos_budget)


async def test_settings_are_for_leads_only(squad: Squad) -> None:
    s = squad
    said = await s.say(s.anna, "/settings")
    assert [m.text for m in said] == [ru("teams.not_lead")]


async def test_the_budget_buttons_change_it_and_the_value_does_not(squad: Squad) -> None:
    s = squad
    [panel] = await s.say(s.lead, "/settings")
    answer = await s.pipe.press(s.lead, panel, "➕")
    assert answer.text == ru.t("settings.saved")
    assert (await s.team()).kudos_budget == 6
    value = ru.t("settings.budget", n=6)
    assert value in s.pipe.current(panel).labels()
    await s.pipe.press(s.lead, panel, value)
    assert (await s.team()).kudos_budget == 6
    await s.pipe.press(s.lead, panel, "➖")
    assert (await s.team()).kudos_budget == 5


async def test_a_genuine_button_double_tap_is_quiet(pipe: Pipeline) -> None:
    lead = pipe.person("Олег")
    await pipe.start(lead)
    for title in ("Альфа", "Бета"):
        await pipe.add_bot(pipe.group(title, members=[], admins=[lead]), by=lead)
    [picker] = await pipe.said(lead, pipe.send(lead, "/team"))
    current = next(label for label in picker.labels() if label.startswith("✅"))
    answer = await pipe.press(lead, picker, current)  # already current: nothing changes
    assert not answer.show_alert
    assert answer.text != ru.t("errors.generic")
    assert all(m.text != ru("errors.generic") for m in pipe.in_chat(lead.id))


async def test_export_of_an_impossible_month_explains_the_format(squad: Squad) -> None:
    s = squad
    for arg in ("0000-01", "2026-13", "99999999999-01"):
        [reply] = await s.pipe.said(s.lead, s.pipe.send(s.lead, f"/export {arg}"))
        assert reply.text == ru("kudos.export_how"), arg


async def test_tags_list_the_teams_qualities_in_the_group_and_in_private(squad: Squad) -> None:
    s = squad
    [in_group] = await s.say(s.anna, "/tags")
    [in_private] = await s.pipe.said(s.anna, s.pipe.send(s.anna, "/tags"))
    assert in_group.text == in_private.text
    assert in_group.text.startswith(ru("kudos.tags_title", team=TEAM))
    lines = in_group.text.splitlines()
    patience = [line for line in lines if line.endswith(f" — {ru.label('patience')}")]
    assert len(patience) == 1
    assert patience[0].startswith("#")


async def test_mykudos_shows_received_and_given(squad: Squad) -> None:
    s = squad
    await s.say(s.boris, "/kudos @anna_k за отчёт #терпение")
    [mine] = await s.pipe.said(s.anna, s.pipe.send(s.anna, "/mykudos"))
    assert mine.text.startswith(ru("kudos.mine_title", team=TEAM, received=1, given=0))
    assert (
        ru("kudos.mine_reason", giver="Борис", reason="за отчёт", quality=ru.quality("patience"))
        in mine.text
    )
    [empty] = await s.pipe.said(s.vera, s.pipe.send(s.vera, "/mykudos"))
    assert ru("kudos.mine_empty") in empty.text


async def test_top_ranks_the_most_thanked(squad: Squad) -> None:
    s = squad
    await s.say(s.boris, "/kudos @anna_k за отчёт #терпение")
    await s.say(s.vera, "/kudos @anna_k за смену #терпение")
    await s.say(s.anna, "/kudos @boris_b за помощь #терпение")
    [board] = await s.say(s.lead, "/top all")
    assert ru("kudos.top_line", place=1, name="Анна", n=2) in board.text
    assert ru("kudos.top_line", place=2, name="Борис", n=1) in board.text


async def test_a_group_hears_the_teams_language_whoever_writes(squad: Squad) -> None:
    s = squad
    kate = s.pipe.person("Kate", username="kate_en", language_code="en")
    await s.pipe.start(kate)
    s.group.members[kate.id] = "member"
    answer = await s.pipe.press(kate, s.greeting, JOIN)
    assert answer.text == en.t("teams.joined", title=TEAM)  # only Kate sees it: her language
    await s.teams.set_promoted(await s.team(), kate.id, True)
    said = await s.say(kate, "/kudos @anna_k thanks for the ticket")
    assert said[0].text == ru("kudos.pick_quality", names="Анна")
    [panel] = await s.say(kate, "/settings")
    assert ru.t("settings.yes") in panel.text
    answer = await s.pipe.press(kate, panel, "➕")
    assert answer.text == en.t("settings.saved")
    assert ru.t("settings.budget", n=6) in s.pipe.current(panel).labels()  # the team's language


async def test_with_announcements_off_the_group_hears_nothing(squad: Squad) -> None:
    s = squad
    await s.teams.set_flag(await s.team(), "announce", False)
    mark = s.pipe.mark()
    said = await s.say(s.boris, "/kudos @anna_k за отчёт #терпение")
    await s.pipe.drain()
    assert said == []
    assert s.pipe.sent_since(mark, s.group.id) == []
    [receipt] = s.pipe.sent_since(mark, s.boris.id)
    assert receipt.text == ru("kudos.recorded_here") + " " + left(4).strip()
    assert len(s.pipe.sent_since(mark, s.anna.id)) == 1  # the receiver still hears
