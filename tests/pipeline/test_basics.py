"""Start, help, cancel, stray input and forged buttons in private (``tests/e2e/test_basics``
in process: what needs no HTTP)."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from tests.e2e.texts import en, ru
from tests.pipeline.conftest import ADMIN_ID
from tests.pipeline.harness import Person, Pipeline


async def test_start_greets_in_the_users_language(pipe: Pipeline) -> None:
    anna = pipe.person("Анна <b>", username="anna")
    john = pipe.person("John", username="john", language_code="en")
    assert (await pipe.start(anna)).text == ru("start.private", name="Анна <b>")
    assert (await pipe.start(john)).text == en("start.private", name="John")


async def test_an_unknown_language_gets_the_default_locale(pipe: Pipeline) -> None:
    kazakh = pipe.person("Айгерим", language_code="kk")
    german = pipe.person("Jonas", language_code="de")
    assert (await pipe.start(kazakh)).text == ru("start.private", name="Айгерим")
    assert (await pipe.start(german)).text == en("start.private", name="Jonas")


async def _help(pipe: Pipeline, person: Person) -> str:
    [reply] = await pipe.said(person, pipe.send(person, "/help"))
    return reply.text


async def test_help_shows_admin_commands_only_to_admins(pipe: Pipeline) -> None:
    boss = Person(ADMIN_ID, "Boss")
    pipe.world.people[boss.id] = boss
    agent = pipe.person("Agent")
    for person in (boss, agent):
        await pipe.start(person)
    assert ru("help.admin").strip() in await _help(pipe, boss)
    agent_help = await _help(pipe, agent)
    assert agent_help == ru("help.private")
    assert "/tip_now" not in agent_help


async def test_help_in_a_group_points_to_the_private_chat(pipe: Pipeline) -> None:
    lead = pipe.person("Олег")
    group = pipe.group("Support", members=[], admins=[lead])
    await pipe.add_bot(group, by=lead)
    [reply] = await pipe.said(group, pipe.send(lead, "/help", chat=group))
    assert reply.text == ru("help.group")
    assert reply.markup is not None
    assert reply.markup.inline_keyboard[0][0].url == "https://t.me/spasibot_bot"


async def test_cancel_without_and_with_a_conversation(pipe: Pipeline) -> None:
    olga = pipe.person("Olga")
    await pipe.start(olga)
    [reply] = await pipe.said(olga, pipe.send(olga, "/cancel"))
    assert reply.text == ru("cancel.nothing")
    key = StorageKey(bot_id=pipe.bot.id, chat_id=olga.id, user_id=olga.id)
    await pipe.dp.storage.set_state(key, "SomeFlow:step")
    [reply] = await pipe.said(olga, pipe.send(olga, "/cancel"))
    assert reply.text == ru("cancel.done")
    assert await pipe.dp.storage.get_state(key) is None


async def test_unknown_command_and_stray_text_get_a_hint(pipe: Pipeline) -> None:
    ivan = pipe.person("Ivan")
    await pipe.start(ivan)
    [reply] = await pipe.said(ivan, pipe.send(ivan, "/nonsense"))
    assert reply.text == ru("common.unknown_command")
    [reply] = await pipe.said(ivan, pipe.send(ivan, "привет"))
    assert reply.text == ru("common.text_hint")


async def test_the_quiz_commands_are_not_there_yet(pipe: Pipeline) -> None:
    ivan = pipe.person("Ivan")
    await pipe.start(ivan)
    for command in ("/quiz", "/quiztop"):
        [reply] = await pipe.said(ivan, pipe.send(ivan, command))
        assert reply.text == ru("common.unknown_command"), command


async def test_a_tip_on_demand_has_another_tip_button(pipe: Pipeline) -> None:
    nina = pipe.person("Nina")
    await pipe.start(nina)
    [tip] = await pipe.said(nina, pipe.send(nina, "/tip"))
    assert tip.labels() == [ru.t("tips.more")]
    answer = await pipe.press(nina, tip, ru.t("tips.more"))
    assert not answer.show_alert
    shown = [m.text for m in pipe.in_chat(nina.id)[1:]]
    assert len(shown) == 2
    assert shown[0] != shown[1]  # the next tip is another one


async def test_forged_buttons_are_refused_politely(pipe: Pipeline) -> None:
    eve = pipe.person("Eve", language_code="en")
    welcome = await pipe.start(eve)
    for data in ("xx:forged", "tr1:u", "tm1:x"):
        answer = await pipe.press_data(eve, welcome, data)
        assert answer.show_alert, data
        assert answer.text == en.t("errors.stale_button"), data
    assert len(pipe.in_chat(eve.id)) == 1  # nothing was posted


async def test_the_private_only_commands_point_to_the_private_chat_in_a_group(
    pipe: Pipeline,
) -> None:
    lead = pipe.person("Олег")
    group = pipe.group("Support", members=[], admins=[lead])
    await pipe.add_bot(group, by=lead)
    for command in ("/mykudos", "/birthday 25.12", "/tip"):
        [reply] = await pipe.said(group, pipe.send(lead, command, chat=group))
        assert reply.text == ru("common.private_only"), command
