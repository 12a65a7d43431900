"""Giving a kudos in fewer steps, end to end: a short quality picker (the team's most used
qualities first, the rest a page away) in the group and in private; /tags and an unknown
#tag that names the close ones; a one-tap kudos under a plain thank-you (when the bot can
read the group, and nothing at all in privacy mode); a colleague found by name in private.

Expected texts come from the translations (``ru``), not from copied strings."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Message

from bot.i18n import Translator
from bot.services.kudos import KudosService, Period, match_quality
from bot.services.teams import PortraitQuality, Team, TeamsService
from handlers.kudos.shared import TAG
from tests.clock import FakeClock
from tests.e2e.conftest import TOKEN, Running, Starter
from tests.e2e.test_teams import join_by_button, team_with_group
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

MSK = ZoneInfo("Europe/Moscow")
WEDNESDAY_NOON = datetime(2026, 11, 18, 12, 0, tzinfo=MSK)


def fake(*, privacy_mode: bool = True) -> FakeTelegram:
    return FakeTelegram(
        token=TOKEN,
        bot_username="spasibot_bot",
        bot_name="Spasibot",
        flood=None,
        privacy_mode=privacy_mode,
    )


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """Without flood control: these stories post many messages into one group."""
    server = fake()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def open_tg() -> AsyncIterator[FakeTelegram]:
    """A bot with group privacy mode off: it reads every message of the group."""
    server = fake(privacy_mode=False)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def text(message: Message) -> str:
    return message.text or message.caption or ""


def labels(message: Message) -> list[str]:
    markup = message.reply_markup
    return [b.text for row in markup.inline_keyboard for b in row] if markup else []


def now_of(tg: FakeTelegram, message: Message) -> Message:
    """The message as it is now (edits applied)."""
    return tg.world.stored(message).build(tg.world)


def exists(tg: FakeTelegram, chat: FakeChat, message: Message) -> bool:
    return any(m.message_id == message.message_id for m in tg.messages(chat))


@dataclass
class Crew:
    tg: FakeTelegram
    running: Running
    clock: FakeClock
    group: FakeChat
    lena: FakeUser  # the lead
    anna: FakeUser
    boris: FakeUser
    vera: FakeUser
    anya: FakeUser  # a second Анна
    gleb: FakeUser  # in the group, not in the team

    @property
    def teams(self) -> TeamsService:
        service: TeamsService = self.running.app.dp["teams"]
        return service

    @property
    def kudos(self) -> KudosService:
        service: KudosService = self.running.app.dp["kudos"]
        return service

    @property
    def ru(self) -> Translator:
        return self.running.app.translations.get("ru")

    async def team(self) -> Team:
        team = await self.teams.by_chat(self.group.id)
        assert team is not None
        return team

    async def enabled(self) -> list[PortraitQuality]:
        return await self.kudos.qualities_for(await self.team())

    async def total(self) -> int:
        return (await self.kudos.board(await self.team(), Period.ALL)).total

    def say(self, user: FakeUser, words: str, reply_to: Message | None = None) -> Message:
        return user.send(words, chat=self.group, reply_to=reply_to)

    async def reply(self) -> Message:
        return await self.tg.next_bot_message(self.group)

    async def settle(self) -> None:
        """Every update sent so far is fetched and handled."""
        await self.tg.wait_until(lambda: self.tg.pending_updates() == 0)
        for _ in range(3):
            assert await self.running.app.updates.drain(5)
            await asyncio.sleep(0.05)


async def make_crew(tg: FakeTelegram, start_bot: Starter, **settings: object) -> Crew:
    clock = FakeClock(WEDNESDAY_NOON)
    running = await start_bot(clock=clock, fake=tg, **settings)
    lena = tg.user("Лена", username="lena_lead", language_code="ru")
    anna = tg.user("Анна", last_name="Кузнецова", username="anna_k", language_code="ru")
    boris = tg.user("Борис", last_name="Петров", username="boris_b", language_code="ru")
    vera = tg.user("Вера", username="vera_v", language_code="ru")
    anya = tg.user("Анна", last_name="Смирнова", username="anya_s", language_code="ru")
    gleb = tg.user("Глеб", username="gleb_g", language_code="ru")
    team_members = [lena, anna, boris, vera, anya]
    for user in team_members:
        user.start_bot()
        await tg.next_bot_message(user.private)
    group, _, greeting = await team_with_group(
        tg, running, "Поддержка", [anna, boris, vera, anya, gleb], [lena]
    )
    for user in team_members[1:]:  # Лена added the bot: a member at once
        await join_by_button(tg, user, greeting)
    return Crew(tg, running, clock, group, lena, anna, boris, vera, anya, gleb)


@pytest.fixture
async def crew(tg: FakeTelegram, start_bot: Starter) -> Crew:
    return await make_crew(tg, start_bot)


def quality_labels(c: Crew, message: Message) -> list[str]:
    moves = {c.ru.t("kudos.page_more"), c.ru.t("kudos.page_back"), c.ru.t("kudos.cancel")}
    return [label for label in labels(message) if label not in moves]


async def all_pages(c: Crew, giver: FakeUser, picker: Message) -> list[list[str]]:
    """The quality labels of every page, pressing «Ещё…» until there is none."""
    pages = [quality_labels(c, now_of(c.tg, picker))]
    while c.ru.t("kudos.page_more") in labels(now_of(c.tg, picker)):
        answer = await giver.press(now_of(c.tg, picker), c.ru.t("kudos.page_more"))
        assert not answer.show_alert
        page = now_of(c.tg, picker)
        assert len(quality_labels(c, page)) <= 8
        assert labels(page)[-1] == c.ru.t("kudos.cancel")
        assert c.ru.t("kudos.page_back") in labels(page)
        pages.append(quality_labels(c, page))
    return pages


# --- 1. the quality picker: short, most used first, pages -----------------------------------


async def test_the_group_picker_offers_the_most_used_first_and_pages_through_the_rest(
    crew: Crew,
) -> None:
    c, ru = crew, crew.ru
    for reason, tag, receiver in (
        ("за честный разбор инцидента", "#честность", c.anna),
        ("за честный ответ клиенту", "#честность", c.vera),
        ("за сочувствие к клиенту", "#эмпатия", c.anna),
    ):
        c.say(c.boris, f"/kudos @{receiver.username} {reason} {tag}")
        assert f"«{reason}»" in text(await c.reply())
    assert await c.total() == 3

    question = c.say(c.anna, "Собрала отчёт за всю команду")
    c.say(c.vera, "/kudos спасибо за отчёт", reply_to=question)
    picker = await c.reply()
    first = quality_labels(c, picker)
    assert first[:2] == ["Честность", "Эмпатия"]  # the team's most used, most used first
    assert len(first) == 6
    assert labels(picker)[-2:] == [ru.t("kudos.page_more"), ru.t("kudos.cancel")]
    assert picker.reply_markup is not None
    assert len(picker.reply_markup.inline_keyboard) <= 5  # not a wall of 16 rows

    # only the giver turns the pages
    answer = await c.anna.press(picker, ru.t("kudos.page_more"))
    assert answer.show_alert
    assert answer.text == ru.t("kudos.not_yours")
    assert labels(now_of(c.tg, picker)) == labels(picker)

    pages = await all_pages(c, c.vera, picker)
    offered = [label for page in pages for label in page]
    enabled = await c.enabled()
    assert sorted(offered) == sorted(q.button("ru") for q in enabled)  # each once, all of them
    assert len(c.tg.bot_messages(c.group)) == 5  # edited in place: greeting, 3 cards, picker

    while ru.t("kudos.page_back") in labels(now_of(c.tg, picker)):
        await c.vera.press(now_of(c.tg, picker), ru.t("kudos.page_back"))
    assert quality_labels(c, now_of(c.tg, picker)) == first

    await c.vera.press(now_of(c.tg, picker), ru.t("kudos.page_more"))
    second_page_quality = quality_labels(c, now_of(c.tg, picker))[0]
    answer = await c.vera.press(now_of(c.tg, picker), second_page_quality)
    assert not answer.show_alert
    card = now_of(c.tg, picker)
    assert "«спасибо за отчёт»" in text(card)
    chosen = next(q for q in enabled if q.button("ru") == second_page_quality)
    assert chosen.name("ru") in text(card)
    assert await c.total() == 4


async def test_the_private_picker_is_short_and_pages_too(crew: Crew) -> None:
    c, ru = crew, crew.ru
    c.boris.send("/kudos")
    ask = await c.tg.next_bot_message(c.boris.private)
    await c.boris.press(ask, "Вера")
    picker = await c.tg.next_bot_message(c.boris.private)
    assert len(quality_labels(c, picker)) == 6
    assert labels(picker)[-2:] == [ru.t("kudos.page_more"), ru.t("kudos.cancel")]
    pages = await all_pages(c, c.boris, picker)
    assert sorted(label for page in pages for label in page) == sorted(
        q.button("ru") for q in await c.enabled()
    )
    answer = await c.boris.press(now_of(c.tg, picker), pages[-1][0])
    assert not answer.show_alert
    assert text(await c.tg.next_bot_message(c.boris.private)) == ru.t("kudos.ask_reason")


# --- 2. #tags: /tags, and an unknown one --------------------------------------------------


async def test_tags_lists_every_quality_with_a_tag_that_picks_it(crew: Crew) -> None:
    c, ru = crew, crew.ru
    team = await c.team()
    await c.teams.add_custom(team, "Умеет настраивать роутер", "Настроит любой роутер клиента")
    enabled = await c.enabled()

    c.say(c.vera, "/tags")
    listing = await c.reply()
    assert len(text(listing)) <= 4096
    assert listing.html_text.startswith(ru.t("kudos.tags_title", team="Поддержка"))
    found = dict(re.findall(r"^#(\S+) — (.+)$", text(listing), re.MULTILINE))
    by_label = {q.button("ru"): q for q in enabled}
    assert sorted(found.values()) == sorted(by_label)  # every enabled quality, once
    for tag, label in found.items():
        assert TAG.fullmatch(f"#{tag}"), tag  # /kudos reads it whole
        assert match_quality(tag, enabled) is by_label[label], tag

    c.vera.send("/tags")  # in private: the same list
    assert text(await c.tg.next_bot_message(c.vera.private)) == text(listing)

    router_tag = next(t for t, label in found.items() if label == "Умеет настраивать роутер")
    c.say(c.vera, f"/kudos @anna_k за роутер у клиента #{router_tag}")
    assert "Умеет настраивать роутер" in text(await c.reply())
    assert await c.total() == 1

    c.gleb.send("/tags", chat=c.group)  # not a member: told how to join, no list
    assert text(await c.reply()) == ru.t("teams.not_member")

    for scope in ({"type": "all_private_chats"}, {"type": "all_group_chats"}):
        menu = {command.command: command.description for command in c.tg.commands(scope, "ru")}
        assert menu.get("tags") == ru.t("commands.tags")
    for key in ("help.private", "help.group"):
        assert "/tags" in ru.t(key)


async def test_an_unknown_tag_is_named_with_the_close_ones(crew: Crew) -> None:
    c, ru = crew, crew.ru
    c.say(c.boris, "/kudos @anna_k за спокойствие с клиентом #терпенье")
    answer = await c.reply()
    assert text(answer).startswith(
        ru.t("kudos.unknown_tag", tag="терпенье", close="#усидчивость_и_терпение")
    )
    assert quality_labels(c, answer)[0] == "Усидчивость и терпение"  # the close one first
    assert await c.total() == 0

    await c.boris.press(answer, "Усидчивость и терпение")
    assert "Усидчивость и терпение" in text(now_of(c.tg, answer))
    assert await c.total() == 1

    c.say(c.boris, "/kudos @anna_k за всё хорошее #qwertyzzz")
    far = await c.reply()
    assert text(far).startswith(ru.t("kudos.unknown_tag_far", tag="qwertyzzz"))
    assert await c.total() == 1


# --- 3. a plain thank-you ------------------------------------------------------------------


async def test_a_plain_thank_you_offers_a_one_tap_kudos(
    open_tg: FakeTelegram, start_bot: Starter
) -> None:
    c = await make_crew(open_tg, start_bot)
    ru, tg = c.ru, open_tg
    question = c.say(c.anna, "Подменю тебя завтра на смене")
    thanks = c.say(c.boris, "Спасибо, за подмену на смене!", reply_to=question)
    prompt = await c.reply()
    assert prompt.reply_to_message is not None
    assert prompt.reply_to_message.message_id == thanks.message_id
    assert text(prompt) == ru.t("kudos.thanks_prompt", names="Анна Кузнецова")
    assert len(quality_labels(c, prompt)) == 4
    assert labels(prompt)[-2:] == [ru.t("kudos.page_more"), ru.t("kudos.cancel")]

    choice = quality_labels(c, prompt)[0]
    answer = await c.vera.press(prompt, choice)  # only the replier may press
    assert answer.text == ru.t("kudos.not_yours")
    assert await c.total() == 0

    answer = await c.boris.press(prompt, choice)
    assert not answer.show_alert
    card = now_of(tg, prompt)  # the prompt became the kudos card
    assert "«за подмену на смене»" in text(card)
    assert "Анна" in text(card)
    assert "«за подмену на смене»" in text(await tg.next_bot_message(c.anna.private))
    assert await c.total() == 1

    # nobody used it: gone after about a minute
    plus = c.say(c.vera, "+", reply_to=question)
    unused = await c.reply()
    assert unused.reply_to_message is not None
    assert unused.reply_to_message.message_id == plus.message_id
    await c.settle()  # the prompt's removal is queued after the prompt is sent
    c.clock.advance(timedelta(seconds=50))
    await asyncio.sleep(1.5)  # the ledger is polled every second: not due yet
    assert exists(tg, c.group, unused)
    c.clock.advance(timedelta(seconds=11))
    await tg.wait_until(lambda: not exists(tg, c.group, unused), timeout=10)
    assert exists(tg, c.group, card)  # the used one stays, as the card

    # dismissed: gone at once
    c.say(c.lena, "благодарю", reply_to=question)
    dismissed = await c.reply()
    await c.lena.press(dismissed, ru.t("kudos.cancel"))
    await tg.wait_until(lambda: not exists(tg, c.group, dismissed))

    # not a thank-you, to oneself, to someone outside the team, from outside it: nothing
    outsider = c.say(c.gleb, "Я тоже помогал")
    c.say(c.boris, "Спасибочки всем", reply_to=question)
    c.say(c.anna, "спасибо мне", reply_to=question)
    c.say(c.boris, "спасибо!", reply_to=outsider)
    c.say(c.gleb, "спасибо", reply_to=question)
    c.say(c.boris, "Это спасибо за смену", reply_to=question)
    await c.settle()
    assert len(tg.bot_messages(c.group)) == 2  # the greeting and the card
    assert await c.total() == 1
    # the remaining budget of the replier counts the kudos of the prompt
    assert await c.kudos.remaining(await c.team(), c.boris.id) == 4


async def test_in_privacy_mode_a_thank_you_is_not_seen_and_kudos_still_work(
    crew: Crew,
) -> None:
    c = crew
    question = c.say(c.anna, "Подменю тебя завтра на смене")
    c.say(c.boris, "Спасибо за подмену!", reply_to=question)
    await c.settle()
    assert len(c.tg.bot_messages(c.group)) == 1  # the greeting only
    c.say(c.boris, "/kudos за подмену #ответственность", reply_to=question)
    assert "«за подмену»" in text(await c.reply())
    assert await c.total() == 1


# --- 4. a colleague found by name in private ---------------------------------------------


async def test_the_private_flow_finds_a_colleague_by_name(crew: Crew) -> None:
    c, ru = crew, crew.ru
    pick = ru.t("kudos.pick_quality", names="{}")

    c.boris.send("/kudos")
    await c.tg.next_bot_message(c.boris.private)
    c.boris.send("анна")  # two of them: buttons
    several = await c.tg.next_bot_message(c.boris.private)
    assert text(several) == ru.t("kudos.pick_match")
    assert sorted(labels(several)) == ["Анна Кузнецова", "Анна Смирнова"]
    await c.boris.press(several, "Анна Смирнова")
    assert text(await c.tg.next_bot_message(c.boris.private)) == pick.format("Анна Смирнова")

    for typed in ("кузнецова", "АННА КУЗНЕЦОВА", "Кузнецова Анна", "anna_k"):
        c.boris.send("/cancel")
        await c.tg.next_bot_message(c.boris.private)
        c.boris.send("/kudos")
        await c.tg.next_bot_message(c.boris.private)
        c.boris.send(typed)
        found = await c.tg.next_bot_message(c.boris.private)
        assert text(found) == pick.format("Анна Кузнецова"), typed

    c.boris.send("/cancel")
    await c.tg.next_bot_message(c.boris.private)
    c.boris.send("/kudos")
    await c.tg.next_bot_message(c.boris.private)
    c.boris.send("Гена")
    assert text(await c.tg.next_bot_message(c.boris.private)) == ru.t(
        "kudos.name_not_found", query="Гена"
    )
    c.boris.send("вера")  # still asked: a second try works
    assert text(await c.tg.next_bot_message(c.boris.private)) == pick.format("Вера")
