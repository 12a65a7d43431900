"""Kudos end to end: thanks by reply, by @username and guided in private; qualities, budget,
duplicates, undo, unreachable receivers, boards, /mykudos, HTML safety, export, forget me,
birthdays. A team of four colleagues who started the bot and joined by the button."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import Message

from bot.services.kudos import KudosService, Period
from bot.services.teams import Team, TeamsService
from handlers.callbacks import KudosUndo
from storage.repo import teams as teams_repo
from tests.clock import FakeClock
from tests.e2e.conftest import TOKEN, Running, Starter, eventually
from tests.e2e.texts import Texts, en, ru
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

MSK = ZoneInfo("Europe/Moscow")
#: A Wednesday: no weekly digest (Mondays) or employee of the month (the 1st) interferes.
WEDNESDAY_NOON = datetime(2026, 11, 18, 12, 0, tzinfo=MSK)
TEAM = "Поддержка"
UNDO, FIX = ru.t("kudos.undo"), ru.t("kudos.fix_quality")
ACTIONS = [UNDO, FIX]
CANCEL = ru.t("kudos.cancel")
JOIN = ru.t("teams.join")
NOT_YOURS = ru.t("kudos.not_yours")
GENERIC_ERROR = ru("errors.generic")
DUPLICATE = ru("kudos.duplicate")
SOMEONE = ru.t("kudos.someone")
#: the catalogue's names of the qualities these stories thank for (#терпение is «patience»)
PATIENCE = ru.quality("patience")
EMPATHY = ru.quality("empathy")
RESPONSIBILITY = ru.quality("responsibility")
TEAMWORK = ru.quality("teamwork")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """The fake without flood control: these stories post many announcements into one group
    (flood control itself is covered in test_basics)."""
    fake = FakeTelegram(token=TOKEN, bot_username="spasibot_bot", bot_name="Spasibot", flood=None)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


# --- helpers -----------------------------------------------------------------------------------


def text(message: Message) -> str:
    return message.text or message.caption or ""


def buttons(message: Message) -> list[str]:
    markup = message.reply_markup
    if markup is None:
        return []
    return [b.text for row in markup.inline_keyboard for b in row]


def current(tg: FakeTelegram, message: Message) -> Message:
    """The message as it is now (edits applied)."""
    return tg.world.stored(message).build(tg.world)


MORE = ru.t("kudos.page_more")


async def choose(user: FakeUser, tg: FakeTelegram, picker: Message, label: str) -> Any:
    """Press ``label`` in a quality picker, turning its pages («Ещё…») until it shows."""
    for _ in range(10):
        now = current(tg, picker)
        if label in buttons(now):
            return await user.press(now, label)
        await user.press(now, MORE)
    raise AssertionError(f"no {label!r} on any page of the picker")


def kudos_id_of(message: Message) -> int:
    assert message.reply_markup is not None
    data = message.reply_markup.inline_keyboard[0][0].callback_data
    assert data is not None
    return KudosUndo.unpack(data).kudos_id


def card(giver: str, receivers: str, reason: str, quality: str, tr: Texts = ru) -> str:
    """A kudos card as the chat shows it."""
    return tr("kudos.card", giver=giver, receivers=receivers, reason=reason, quality=quality)


def left(n: int, budget: int = 5) -> str:
    """What follows the card in an announcement or a receipt: the giver's budget left."""
    return "\n\n" + ru("kudos.left_today", left=n, budget=budget)


def dm(giver: str, reason: str, quality: str, team: str = TEAM, tr: Texts = ru) -> str:
    """The receiver's personal message."""
    return tr("kudos.dm", giver=giver, reason=reason, quality=quality, team=team)


def mine_line(giver: str, reason: str, quality: str) -> str:
    """One kudos in /mykudos and in the backlog shown to a returning receiver."""
    return ru("kudos.mine_reason", giver=giver, reason=reason, quality=quality)


def count_line(quality: str, n: int) -> str:
    return ru("kudos.top_quality_line", quality=quality, n=n)


def top(
    period: str,
    places: list[tuple[int, str, int]],
    qualities: list[tuple[str, int]] | None = None,
    *,
    quality: str | None = None,
) -> str:
    """/top: the title for ``period`` (week, month, all) and ``quality``, the places
    (place, name, count) or the empty note, then the qualities (name, count) when given."""
    period_name = ru.t(f"kudos.period_{period}")
    if quality is None:
        lines = [ru("kudos.top_title", period=period_name)]
    else:
        lines = [ru("kudos.top_title_quality", quality=quality, period=period_name)]
    lines += [ru("kudos.top_line", place=p, name=name, n=n) for p, name, n in places]
    if not places:
        lines.append(ru("kudos.top_empty"))
    if qualities:
        lines += ["", ru("kudos.top_qualities"), *(count_line(q, n) for q, n in qualities)]
    return "\n".join(lines)


def settings_panel(budget: int) -> str:
    """The lead's /settings panel of the squad's team (defaults but the budget)."""
    yes = ru.t("settings.yes")
    return ru(
        "settings.title",
        title=TEAM,
        timezone="Europe/Moscow",
        budget=budget,
        announce=yes,
        birthdays=yes,
        digest=yes,
    )


async def settle(tg: FakeTelegram, running: Running) -> None:
    """Wait until every update sent so far is fetched and fully handled (for "nothing was
    sent" checks)."""
    await tg.wait_until(lambda: tg.pending_updates() == 0)
    for _ in range(3):
        assert await running.app.updates.drain(5)
        await asyncio.sleep(0.05)


async def form_team(
    tg: FakeTelegram,
    title: str,
    lead: FakeUser,
    joiners: list[FakeUser],
    others: list[FakeUser] | None = None,
    *,
    supergroup: bool = True,
) -> tuple[FakeChat, Message]:
    """A group with the bot added by ``lead`` (who started the bot: a member at once);
    ``joiners`` (who started the bot) press «Вступить в команду»; ``others`` are in the
    group but not in the team."""
    group = tg.group(
        title, members=[*joiners, *(others or [])], admins=[lead], supergroup=supergroup
    )
    tg.add_bot_to_group(group, by=lead)
    greeting = await tg.next_bot_message(group)
    assert buttons(greeting)[0] == JOIN
    if lead.started:
        done = await tg.next_bot_message(lead.private)
        assert text(done) == ru("teams.joined_private", title=title)
    for user in joiners if lead.started else (lead, *joiners):
        answer = await user.press(greeting, JOIN)
        assert answer.text == ru.t("teams.joined", title=title)
        done = await tg.next_bot_message(user.private)
        # (a second team says that private commands now use it)
        assert text(done).startswith(ru("teams.joined_private", title=title))
    return group, greeting


@dataclass
class Squad:
    tg: FakeTelegram
    running: Running
    clock: FakeClock
    group: FakeChat
    greeting: Message
    lead: FakeUser
    anna: FakeUser
    boris: FakeUser
    vera: FakeUser
    gleb: FakeUser  # in the group, never started the bot, not in the team

    @property
    def teams(self) -> TeamsService:
        service: TeamsService = self.running.app.dp["teams"]
        return service

    @property
    def kudos(self) -> KudosService:
        service: KudosService = self.running.app.dp["kudos"]
        return service

    async def team(self) -> Team:
        team = await self.teams.by_chat(self.group.id)
        assert team is not None
        return team

    async def total(self) -> int:
        return (await self.kudos.board(await self.team(), Period.ALL)).total

    async def remaining(self, user: FakeUser) -> int:
        return await self.kudos.remaining(await self.team(), user.id)

    async def settle(self) -> None:
        await settle(self.tg, self.running)

    async def thank(
        self, giver: FakeUser, receiver: FakeUser, reason: str, tag: str = "#эмпатия"
    ) -> Message:
        """``/kudos @receiver reason #tag`` in the group; returns the announcement and reads
        the receiver's personal message."""
        self.group_send(giver, f"/kudos @{receiver.username} {reason} {tag}")
        announcement = await self.tg.next_bot_message(self.group)
        assert f"«{reason}»" in text(announcement), text(announcement)
        if receiver.started and not receiver.blocked:
            personal = await self.tg.next_bot_message(receiver.private)
            assert f"«{reason}»" in text(personal), text(personal)
        return announcement

    def group_send(self, user: FakeUser, message: str, reply_to: Message | None = None) -> Message:
        return user.send(message, chat=self.group, reply_to=reply_to)

    async def group_reply(self) -> str:
        return text(await self.tg.next_bot_message(self.group))


async def make_squad(tg: FakeTelegram, start_bot: Starter, **settings: Any) -> Squad:
    clock = FakeClock(WEDNESDAY_NOON)
    running = await start_bot(clock=clock, **settings)
    lead = tg.user("Лена", username="lena_lead", language_code="ru")
    anna = tg.user("Анна", username="anna_k", language_code="ru")
    boris = tg.user("Борис", username="boris_b", language_code="ru")
    vera = tg.user("Вера", username="vera_v", language_code="ru")
    gleb = tg.user("Глеб", username="gleb_g", language_code="ru")
    for user in (lead, anna, boris, vera):
        user.start_bot()
        welcome = await tg.next_bot_message(user.private)
        assert text(welcome) == ru("start.private", name=user.first_name)
    group, greeting = await form_team(tg, TEAM, lead, [anna, boris, vera], [gleb])
    return Squad(tg, running, clock, group, greeting, lead, anna, boris, vera, gleb)


@pytest.fixture
async def squad(tg: FakeTelegram, start_bot: Starter) -> Squad:
    return await make_squad(tg, start_bot)


# --- 1. by reply with a #tag ---------------------------------------------------------------------


async def test_reply_kudos_with_a_tag_is_announced_and_sent_to_the_receiver(
    tg: FakeTelegram, squad: Squad
) -> None:
    s = squad
    question = s.group_send(s.anna, "Клиент звонит в третий раз, но я держусь")
    command = s.group_send(
        s.boris, "/kudos за терпение с трудным клиентом #терпение", reply_to=question
    )
    announcement = await tg.next_bot_message(s.group)
    reason, quality = "за терпение с трудным клиентом", PATIENCE
    assert text(announcement) == card("Борис", "Анна", reason, quality) + left(4)
    assert buttons(announcement) == ACTIONS
    assert announcement.reply_to_message is not None
    assert announcement.reply_to_message.message_id == command.message_id
    assert "<b>Борис</b>" in announcement.html_text

    personal = await tg.next_bot_message(s.anna.private)
    assert text(personal) == dm("Борис", reason, quality)
    assert personal.reply_markup is not None
    link = personal.reply_markup.inline_keyboard[0][0]
    assert link.text == ru.t("kudos.dm_link")
    assert link.url == f"https://t.me/c/{-s.group.id - 10**12}/{command.message_id}"

    team = await s.team()
    board = await s.kudos.board(team, Period.ALL)
    assert board.total == 1
    assert board.receivers == [(1, s.anna.id, 1)]
    assert [(q.key, q.count) for q in board.qualities] == [("patience", 1)]
    assert await s.remaining(s.boris) == 4
    await s.settle()
    assert len(tg.bot_messages(s.boris.private)) == 2  # welcome and «Готово»: no kudos news


async def test_in_a_basic_group_the_personal_message_has_no_link(
    tg: FakeTelegram, squad: Squad
) -> None:
    s = squad
    group, _ = await form_team(tg, "Ночная смена", s.lead, [s.anna, s.boris], supergroup=False)
    question = s.anna.send("Закрыла очередь до утра", chat=group)
    s.boris.send("/kudos за ночную очередь #ответственность", chat=group, reply_to=question)
    announcement = await tg.next_bot_message(group)
    assert text(announcement) == (
        card("Борис", "Анна", "за ночную очередь", RESPONSIBILITY) + left(4)
    )
    personal = await tg.next_bot_message(s.anna.private)
    assert text(personal) == dm("Борис", "за ночную очередь", RESPONSIBILITY, "Ночная смена")
    assert personal.reply_markup is None
    assert await s.total() == 0  # the other team's statistics are separate


async def test_each_reader_gets_their_own_language(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    john = tg.user("John", username="john_en", language_code="en")
    john.start_bot()
    await tg.next_bot_message(john.private)
    tg.join_group(s.group, john)
    greeting = await tg.next_bot_message(s.group)  # in the chat's language (set by the lead)
    answer = await john.press(greeting, JOIN)  # the answer is in John's
    assert answer.text == en.t("teams.joined", title=TEAM)
    await tg.next_bot_message(john.private)

    message = john.send("Fixed the login bug", chat=s.group)
    s.group_send(s.boris, "/kudos за починку входа #терпение", reply_to=message)
    announcement = await tg.next_bot_message(s.group)  # in the chat's language
    assert text(announcement) == (card("Борис", "John", "за починку входа", PATIENCE) + left(4))
    personal = await tg.next_bot_message(john.private)  # in the receiver's language
    assert text(personal) == dm("Борис", "за починку входа", en.quality("patience"), tr=en)
    assert buttons(personal) == [en.t("kudos.dm_link")]

    john.send("/kudos @anna_k for the handover notes #patience", chat=s.group)
    announcement = await tg.next_bot_message(s.group)  # an English giver, a Russian chat
    assert text(announcement) == card("John", "Анна", "for the handover notes", PATIENCE) + left(4)
    assert buttons(announcement) == ACTIONS
    personal = await tg.next_bot_message(s.anna.private)
    assert text(personal) == dm("John", "for the handover notes", PATIENCE)


# --- 2. without a #tag: the quality picker -------------------------------------------------------


async def test_without_a_tag_the_giver_picks_the_quality(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    message = s.group_send(s.anna, "Собрала отчёт за всю команду")
    s.group_send(s.boris, "/kudos спасибо за отчёт", reply_to=message)
    picker = await tg.next_bot_message(s.group)
    assert text(picker) == ru("kudos.pick_quality", names="Анна")
    labels = buttons(picker)
    # a short first page (no kudos yet: the catalogue's order), the rest one tap away
    assert {ru.label("flexibility"), ru.label("responsibility")} <= set(labels)
    assert MORE in labels
    assert len(labels) <= 8
    assert ru.label("location") not in labels  # motivation is not in the default portrait
    assert labels[-1] == CANCEL

    for label in (ru.label("responsibility"), CANCEL):  # only the giver may press them
        answer = await s.vera.press(picker, label)
        assert answer.text == NOT_YOURS
        assert answer.show_alert
    assert buttons(current(tg, picker)) == labels
    assert await s.total() == 0

    answer = await s.boris.press(picker, ru.label("responsibility"))
    assert not answer.show_alert
    announcement = current(tg, picker)  # the picker became the announcement
    assert text(announcement) == card("Борис", "Анна", "спасибо за отчёт", RESPONSIBILITY) + left(4)
    assert buttons(announcement) == ACTIONS
    personal = await tg.next_bot_message(s.anna.private)
    assert text(personal) == dm("Борис", "спасибо за отчёт", RESPONSIBILITY)
    assert await s.total() == 1
    assert len(tg.bot_messages(s.group)) == 2  # the greeting and the (edited) picker

    # pressing a quality again on the announcement is impossible: those buttons are gone;
    # a second picker can be cancelled
    message = s.group_send(s.vera, "Подменила меня на смене")
    s.group_send(s.boris, "/kudos за подмену", reply_to=message)
    picker = await tg.next_bot_message(s.group)
    answer = await s.boris.press(picker, CANCEL)
    assert not answer.show_alert
    cancelled = current(tg, picker)
    assert text(cancelled) == ru("kudos.cancelled")
    assert buttons(cancelled) == []
    await s.settle()
    assert await s.total() == 1
    assert len(tg.bot_messages(s.vera.private)) == 2  # welcome and «Готово» only


# --- 3. @usernames and refusals -----------------------------------------------------------------


async def test_kudos_by_username_to_one_and_to_two(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    s.group_send(s.boris, "/kudos @anna_k за подмену в субботу #ответственность")
    assert await s.group_reply() == (
        card("Борис", "Анна", "за подмену в субботу", RESPONSIBILITY) + left(4)
    )
    assert text(await tg.next_bot_message(s.anna.private)) == dm(
        "Борис", "за подмену в субботу", RESPONSIBILITY
    )

    s.group_send(s.boris, "/kudos @anna_k @vera_v за общий релиз #teamwork")
    assert await s.group_reply() == (
        card("Борис", "Анна, Вера", "за общий релиз", TEAMWORK) + left(2)
    )
    for receiver in (s.anna, s.vera):
        personal = await tg.next_bot_message(receiver.private)
        assert text(personal) == dm("Борис", "за общий релиз", TEAMWORK)
    assert await s.total() == 3
    assert await s.remaining(s.boris) == 2


async def test_refusals_record_nothing(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    s.group_send(s.boris, "/kudos @ghost_user за помощь #эмпатия")
    unknown = await tg.next_bot_message(s.group)
    assert text(unknown) == ru("kudos.unknown_username", username="@ghost_user")
    assert buttons(unknown) == [JOIN]

    s.group_send(s.boris, "/kudos @boris_b за себя любимого #эмпатия")
    assert await s.group_reply() == ru("kudos.self")

    own = s.group_send(s.anna, "Я молодец, закрыла 40 тикетов")
    s.group_send(s.anna, "/kudos за 40 тикетов #эмпатия", reply_to=own)
    assert await s.group_reply() == ru("kudos.self")

    s.group_send(s.anna, "/kudos спасибо, бот #эмпатия", reply_to=s.greeting)
    assert await s.group_reply() == ru("kudos.bot")

    s.group_send(s.boris, "/kudos @anna_k ок #эмпатия")
    assert await s.group_reply() == ru("kudos.reason_short", n=3)

    s.group_send(s.boris, "/kudos @anna_k " + "а" * 501 + " #эмпатия")
    assert await s.group_reply() == ru("kudos.reason_long", length=501, n=500)

    message = s.group_send(s.anna, "Разобралась с интеграцией")
    s.group_send(s.gleb, "/kudos за интеграцию #эмпатия", reply_to=message)
    assert await s.group_reply() == ru("kudos.giver_not_member")

    outsider = s.group_send(s.gleb, "Я тоже помогал")
    s.group_send(s.boris, "/kudos за помощь со сменой #эмпатия", reply_to=outsider)
    assert await s.group_reply() == ru("kudos.receiver_not_member")

    s.group_send(s.boris, "/kudos")
    assert await s.group_reply() == ru("kudos.how")

    s.group_send(s.boris, "/kudos за всё хорошее #эмпатия")
    assert await s.group_reply() == ru("kudos.no_receiver")

    await s.settle()
    assert await s.total() == 0
    assert await s.remaining(s.boris) == 5
    assert await s.remaining(s.anna) == 5
    for user in (s.anna, s.boris, s.vera):
        assert len(tg.bot_messages(user.private)) == 2  # welcome and «Готово» only
    assert not any(GENERIC_ERROR in text(m) for m in tg.bot_messages(s.group))

    # the limits themselves are allowed: 3 and 500 characters
    await s.thank(s.boris, s.anna, "ура")
    await s.thank(s.boris, s.anna, "б" * 500)
    assert await s.total() == 2


# --- 4. the daily budget ------------------------------------------------------------------------


async def test_daily_budget_lead_raises_it_and_it_resets_at_team_midnight(
    tg: FakeTelegram, squad: Squad
) -> None:
    s = squad
    # 23:50 in Moscow is 20:50 UTC: the UTC date does not change at the team's midnight
    s.clock.set(datetime(2026, 11, 18, 23, 50, tzinfo=MSK))
    for n in range(4):
        announcement = await s.thank(s.boris, s.anna if n % 2 else s.vera, f"причина номер {n}")
        assert text(announcement).endswith(left(5 - n - 1).strip())

    # one left: thanking two colleagues at once records neither
    s.group_send(s.boris, "/kudos @anna_k @vera_v вдвоём молодцы #эмпатия")
    assert await s.group_reply() == ru("kudos.budget", left=1, budget=5)
    assert await s.total() == 4

    fifth = await s.thank(s.boris, s.anna, "пятая благодарность")
    assert text(fifth).endswith(left(0).strip())
    s.group_send(s.boris, "/kudos @anna_k шестая благодарность #эмпатия")
    assert await s.group_reply() == ru("kudos.budget", left=0, budget=5)
    assert await s.total() == 5
    # the budget is per giver: Vera still has all of hers
    await s.thank(s.vera, s.anna, "за помощь с отчётом")
    assert await s.remaining(s.vera) == 4

    # a non-lead's /settings is their own review schedule, not the team's; the lead raises
    # the budget
    s.anna.send("/settings")
    own = await tg.next_bot_message(s.anna.private)
    assert text(own).startswith(
        ru("review.settings_title", day="x", time="", whose="", zone="", quiet="", status="").split(
            "\n"
        )[0]
    )
    assert ru.t("settings.budget", n=5) not in buttons(own)
    s.lead.send("/settings")
    panel = await tg.next_bot_message(s.lead.private)
    assert text(panel) == settings_panel(budget=5)
    answer = await s.lead.press(panel, "➕")
    assert answer.text == ru.t("settings.saved")
    panel = current(tg, panel)
    assert text(panel) == settings_panel(budget=6)
    assert ru.t("settings.budget", n=6) in buttons(panel)

    sixth = await s.thank(s.boris, s.anna, "шестая благодарность")
    assert text(sixth).endswith(left(0, 6).strip())

    s.clock.set(datetime(2026, 11, 18, 23, 59, 30, tzinfo=MSK))
    s.group_send(s.boris, "/kudos @vera_v седьмая благодарность #эмпатия")
    assert await s.group_reply() == ru("kudos.budget", left=0, budget=6)

    s.clock.set(datetime(2026, 11, 19, 0, 0, 30, tzinfo=MSK))  # still 18 Nov in UTC
    next_day = await s.thank(s.boris, s.vera, "седьмая благодарность")
    assert text(next_day).endswith(left(5, 6).strip())
    assert await s.total() == 8


# --- 5. duplicates ------------------------------------------------------------------------------


async def test_the_same_kudos_sent_twice_is_recorded_once(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    message = s.group_send(s.anna, "Ответила клиенту за две минуты")
    s.group_send(s.boris, "/kudos за быстрый ответ #эмпатия", reply_to=message)
    s.group_send(s.boris, "/kudos за быстрый ответ #эмпатия", reply_to=message)  # a double send
    # both sends are handled concurrently, so the two replies may come in either order
    replies = {text(await tg.next_bot_message(s.group)) for _ in range(2)}
    assert replies == {
        card("Борис", "Анна", "за быстрый ответ", EMPATHY) + left(4),
        DUPLICATE,
    }
    await tg.next_bot_message(s.anna.private)
    await s.settle()
    # the same words with other case and spacing, a minute later
    s.clock.advance(timedelta(minutes=1))
    s.group_send(s.boris, "/kudos  за  БЫСТРЫЙ ответ   #эмпатия", reply_to=message)
    assert text(await tg.next_bot_message(s.group)) == DUPLICATE
    await s.settle()

    assert await s.total() == 1
    assert await s.remaining(s.boris) == 4
    assert len(tg.bot_messages(s.anna.private)) == 3  # welcome, «Готово», one thank-you
    replies = [text(m) for m in tg.bot_messages(s.group)[1:]]  # after the greeting
    cards = [r for r in replies if r.startswith("🙏")]
    assert len(cards) == 1, replies
    assert all(r == DUPLICATE for r in replies if r not in cards), replies

    # the same again through the quality picker: the picker says it is already recorded
    s.group_send(s.boris, "/kudos за быстрый ответ", reply_to=message)
    picker = await tg.next_bot_message(s.group)
    await s.boris.press(picker, ru.label("responsibility"))
    assert text(current(tg, picker)) == DUPLICATE
    assert buttons(current(tg, picker)) == []
    await s.settle()
    assert await s.total() == 1
    assert len(tg.bot_messages(s.anna.private)) == 3


# --- 6. undo and another quality ---------------------------------------------------------------


async def test_undo_within_ten_minutes_by_the_giver_only(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    announcement = await s.thank(s.boris, s.anna, "за разбор инцидента", "#терпение")
    assert await s.remaining(s.boris) == 4

    answer = await s.vera.press(announcement, UNDO)
    assert answer.text == NOT_YOURS
    assert answer.show_alert
    assert await s.total() == 1

    s.clock.advance(timedelta(minutes=9))
    answer = await s.boris.press(announcement, UNDO)
    assert not answer.show_alert
    undone = current(tg, announcement)
    assert text(undone) == ru("kudos.undone", giver="Борис")
    assert buttons(undone) == []
    assert await s.total() == 0
    assert await s.remaining(s.boris) == 5

    # one command thanking two: one undo takes back both, the budget is restored by two
    s.group_send(s.boris, "/kudos @anna_k @vera_v за общий релиз #эмпатия")
    both = await tg.next_bot_message(s.group)
    assert text(both).endswith(left(3).strip())
    for receiver in (s.anna, s.vera):
        await tg.next_bot_message(receiver.private)
    await s.boris.press(both, UNDO)
    assert text(current(tg, both)) == ru("kudos.undone", giver="Борис")
    assert await s.total() == 0
    assert await s.remaining(s.boris) == 5

    late = await s.thank(s.boris, s.anna, "за ночную смену")
    s.clock.advance(timedelta(minutes=10, seconds=30))
    answer = await s.boris.press(late, UNDO)
    assert answer.show_alert
    assert answer.text == ru.t("kudos.undo_expired", minutes=10)
    assert text(current(tg, late)) == text(late)
    assert await s.total() == 1


async def test_the_giver_changes_the_quality(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    announcement = await s.thank(s.boris, s.vera, "за спокойствие на звонке", "#терпение")
    kudos_id = kudos_id_of(announcement)

    answer = await s.anna.press(announcement, FIX)
    assert answer.text == NOT_YOURS
    assert buttons(current(tg, announcement)) == ACTIONS

    await s.boris.press(announcement, FIX)
    picker = current(tg, announcement)
    assert text(picker) == text(announcement)
    # a short first page, the most used first, the rest a page away
    assert ru.label("patience") in buttons(picker)
    assert MORE in buttons(picker)
    assert len(buttons(picker)) <= 8

    answer = await s.anna.press(picker, ru.label("patience"))
    assert answer.text == NOT_YOURS
    answer = await s.anna.press(picker, MORE)
    assert answer.text == NOT_YOURS
    assert buttons(current(tg, announcement)) == buttons(picker)
    kudos = await s.kudos.get(kudos_id)
    assert kudos is not None
    assert kudos.quality_id == "patience"

    answer = await choose(s.boris, tg, picker, ru.label("empathy"))
    assert answer.text == ru.t("kudos.quality_changed")
    changed = current(tg, announcement)
    assert text(changed).startswith(card("Борис", "Вера", "за спокойствие на звонке", EMPATHY))
    assert buttons(changed) == ACTIONS
    kudos = await s.kudos.get(kudos_id)
    assert kudos is not None
    assert kudos.quality_id == "empathy"
    assert await s.total() == 1


# --- 7. guided /kudos in private ---------------------------------------------------------------


async def test_guided_kudos_in_private(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    s.boris.send("/kudos")
    ask = await tg.next_bot_message(s.boris.private)
    assert text(ask) == ru("kudos.pick_receiver")
    assert buttons(ask) == ["Анна", "Вера", "Лена"]  # members but the giver; not Глеб

    s.boris.send("@ghost_user")
    refusal = await tg.next_bot_message(s.boris.private)
    assert text(refusal) == ru("kudos.unknown_username", username="@ghost_user")
    s.boris.send("@boris_b")
    refusal = await tg.next_bot_message(s.boris.private)
    assert text(refusal) == ru("kudos.self")

    s.boris.send("@anna_k")  # the flow goes on
    pick = await tg.next_bot_message(s.boris.private)
    assert text(pick) == ru("kudos.pick_quality", names="Анна")
    assert buttons(pick)[-1] == CANCEL
    await choose(s.boris, tg, pick, ru.label("empathy"))
    ask_reason = await tg.next_bot_message(s.boris.private)
    assert text(ask_reason) == ru("kudos.ask_reason")

    s.boris.send("ок")
    short = await tg.next_bot_message(s.boris.private)
    assert text(short) == ru("kudos.reason_short", n=3)
    s.boris.send("за терпеливые объяснения новичку")
    confirm = await tg.next_bot_message(s.boris.private)
    names = {"giver": "Борис", "receivers": "Анна", "reason": "за терпеливые объяснения новичку"}
    the_card = card(**names, quality=EMPATHY)
    assert text(confirm) == ru(
        "kudos.confirm", card=ru.html("kudos.card", **names, quality=EMPATHY)
    )
    assert buttons(confirm) == [ru.t("kudos.send"), CANCEL]
    assert await s.total() == 0

    await s.boris.press(confirm, ru.t("kudos.send"))
    assert buttons(current(tg, confirm)) == []
    receipt = await tg.next_bot_message(s.boris.private)
    assert text(receipt) == the_card + left(4)
    assert buttons(receipt) == ACTIONS
    announcement = await tg.next_bot_message(s.group)
    assert text(announcement) == the_card
    assert buttons(announcement) == []
    personal = await tg.next_bot_message(s.anna.private)
    assert text(personal) == dm("Борис", "за терпеливые объяснения новичку", EMPATHY)
    assert await s.total() == 1

    # cancelled at the confirmation: nothing is sent anywhere
    group_before = len(tg.bot_messages(s.group))
    s.boris.send("/kudos")
    ask = await tg.next_bot_message(s.boris.private)
    await s.boris.press(ask, "Вера")
    pick = await tg.next_bot_message(s.boris.private)
    assert text(pick) == ru("kudos.pick_quality", names="Вера")
    await s.boris.press(pick, ru.label("responsibility"))
    await tg.next_bot_message(s.boris.private)
    s.boris.send("за дежурство в выходные")
    confirm = await tg.next_bot_message(s.boris.private)
    await s.boris.press(confirm, CANCEL)
    cancelled = await tg.next_bot_message(s.boris.private)
    assert text(cancelled) == ru("kudos.cancelled")
    assert buttons(current(tg, confirm)) == []
    await s.settle()
    assert await s.total() == 1
    assert len(tg.bot_messages(s.group)) == group_before
    assert len(tg.bot_messages(s.vera.private)) == 2

    # cancelled at the quality step with the picker's own button
    s.boris.send("/kudos")
    ask = await tg.next_bot_message(s.boris.private)
    await s.boris.press(ask, "Лена")
    pick = await tg.next_bot_message(s.boris.private)
    await s.boris.press(pick, CANCEL)
    assert text(current(tg, pick)) == ru("kudos.cancelled")
    s.boris.send("просто текст")
    hint = await tg.next_bot_message(s.boris.private)
    assert text(hint) == ru("common.text_hint")  # the flow is over: stray text gets the hint

    # /cancel at the reason step: a command is not taken for the reason
    s.boris.send("/kudos")
    await s.boris.press(await tg.next_bot_message(s.boris.private), "Анна")
    await choose(s.boris, tg, await tg.next_bot_message(s.boris.private), EMPATHY)
    await tg.next_bot_message(s.boris.private)
    s.boris.send("/cancel")
    assert text(await tg.next_bot_message(s.boris.private)) == ru("cancel.done")
    s.boris.send("за то, что уже не отправится")
    assert text(await tg.next_bot_message(s.boris.private)) == ru("common.text_hint")
    await s.settle()
    assert await s.total() == 1


async def test_undo_in_private_also_withdraws_the_group_announcement(
    tg: FakeTelegram, squad: Squad
) -> None:
    s = squad
    s.boris.send("/kudos")
    await s.boris.press(await tg.next_bot_message(s.boris.private), "Анна")
    await choose(s.boris, tg, await tg.next_bot_message(s.boris.private), EMPATHY)
    await tg.next_bot_message(s.boris.private)
    s.boris.send("за помощь с клиентом")
    await s.boris.press(await tg.next_bot_message(s.boris.private), ru.t("kudos.send"))
    receipt = await tg.next_bot_message(s.boris.private)
    announcement = await tg.next_bot_message(s.group)
    await tg.next_bot_message(s.anna.private)
    assert await s.total() == 1

    await s.boris.press(receipt, UNDO)
    assert text(current(tg, receipt)) == ru("kudos.undone", giver="Борис")
    assert await s.total() == 0
    assert await s.remaining(s.boris) == 5

    # the group must not keep announcing a kudos that no longer exists (the ledger edits it)
    async def withdrawn() -> bool:
        still = {m.message_id: m for m in tg.bot_messages(s.group)}.get(announcement.message_id)
        return still is None or text(still) == ru("kudos.undone", giver="Борис")

    await eventually(withdrawn)


# --- 8. receivers the bot cannot write to -------------------------------------------------------


async def test_unreachable_receivers_get_their_kudos_when_they_come(
    tg: FakeTelegram, squad: Squad
) -> None:
    s = squad
    team = await s.team()
    # Глеб never started the bot: the button sends him to it; a member whose thanks wait
    answer = await s.gleb.press(s.greeting, JOIN)
    assert answer.url == f"https://t.me/spasibot_bot?start=team_{team.join_code}"
    gleb = await s.teams.member(team, s.gleb.id)
    assert gleb is not None
    assert not gleb.reachable
    s.group_send(s.boris, "/kudos @gleb_g за помощь с базой знаний #эмпатия")
    assert ru("kudos.waiting_start", names="Глеб") in await s.group_reply()
    assert tg.bot_messages(s.gleb.private) == []

    # Вера blocked the bot and the bot knows it
    s.vera.block_bot()

    async def vera_blocked() -> bool:
        row = await s.running.app.dp["users"].get(s.vera.id)
        return row is not None and not row.reachable

    await eventually(vera_blocked)
    # Анна blocked the bot too, but the bot has not heard of it: its message fails with 403
    s.anna.blocked = True

    await s.thank(s.boris, s.vera, "за ночную смену", "#ответственность")
    await s.thank(s.boris, s.anna, "за помощь с базой знаний")
    await s.settle()
    assert await s.total() == 3  # Глеб's waits for him
    assert len(tg.bot_messages(s.vera.private)) == 2  # welcome and «Готово»
    assert len(tg.bot_messages(s.anna.private)) == 2
    assert not any(GENERIC_ERROR in text(m) for m in tg.bot_messages(s.group))
    failed = [c for c in tg.calls if not c.ok]
    assert [(c.method, c.params.get("chat_id")) for c in failed] == [("sendMessage", s.anna.id)]

    async def anna_blocked() -> bool:
        row = await s.running.app.dp["users"].get(s.anna.id)
        return row is not None and not row.reachable

    assert await anna_blocked()  # remembered: no more attempts until she is back
    await s.thank(s.vera, s.anna, "за отчёт")
    await s.settle()
    assert len([c for c in tg.calls if not c.ok]) == 1

    for user, missed in (
        (s.vera, mine_line("Борис", "за ночную смену", RESPONSIBILITY)),
        (
            s.anna,
            mine_line("Борис", "за помощь с базой знаний", EMPATHY)
            + "\n"
            + mine_line("Вера", "за отчёт", EMPATHY),
        ),
    ):
        user.start_bot()  # back: unblocks the bot
        welcome = await tg.next_bot_message(user.private)
        assert text(welcome) == ru("start.private", name=user.first_name)
        pending = await tg.next_bot_message(user.private)
        assert text(pending) == ru("teams.undelivered_header") + "\n" + missed

    # shown once; new kudos arrive as usual now
    s.vera.send("/start")
    await tg.next_bot_message(s.vera.private)
    await s.thank(s.anna, s.vera, "за быстрые ответы")
    await s.settle()
    assert len(tg.bot_messages(s.vera.private)) == 6

    # Глеб starts the bot with the team link: welcomed, shown the thanks that waited, and
    # thanked like everyone from now on
    s.gleb.start_bot(f"team_{team.join_code}")
    joined = await tg.next_bot_message(s.gleb.private)
    assert text(joined) == ru("teams.joined_private", title=TEAM)
    pending = await tg.next_bot_message(s.gleb.private)
    assert text(pending) == ru("teams.undelivered_header") + "\n" + mine_line(
        "Борис", "за помощь с базой знаний", EMPATHY
    )
    await s.thank(s.boris, s.gleb, "за новую статью")


# --- 9. boards ---------------------------------------------------------------------------------


async def test_top_by_period_and_quality_with_shared_places(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    s.clock.set(datetime(2026, 10, 20, 12, 0, tzinfo=MSK))  # last month
    for n in range(3):
        await s.thank(s.boris, s.lead, f"за наставничество {n}", "#терпение")
    s.clock.set(datetime(2026, 11, 3, 12, 0, tzinfo=MSK))  # this month, an earlier week
    for n in range(2):
        await s.thank(s.boris, s.vera, f"за дежурство {n}")
    s.clock.set(WEDNESDAY_NOON)  # this week
    await s.thank(s.boris, s.anna, "за отчёт")
    await s.thank(s.vera, s.anna, "за подмену", "#ответственность")

    month = top("month", [(1, "Анна", 2), (1, "Вера", 2)], [(EMPATHY, 3), (RESPONSIBILITY, 1)])
    week = top("week", [(1, "Анна", 2)], [(EMPATHY, 1), (RESPONSIBILITY, 1)])
    ever = top(
        "all",
        [(1, "Лена", 3), (2, "Анна", 2), (2, "Вера", 2)],
        [(EMPATHY, 3), (PATIENCE, 3), (RESPONSIBILITY, 1)],
    )
    # the period in English or in Russian, as /help writes it
    for command, board in (
        ("/top", month),
        ("/top week", week),
        ("/top неделя", week),
        ("/top month", month),
        ("/top месяц", month),
        ("/top all", ever),
        ("/top всё", ever),
    ):
        s.group_send(s.boris, command)
        assert await s.group_reply() == board, command
    s.group_send(s.boris, "/top #эмпатия")
    assert await s.group_reply() == top("month", [(1, "Вера", 2), (2, "Анна", 1)], quality=EMPATHY)
    s.group_send(s.boris, "/top all #терпение")
    assert await s.group_reply() == top("all", [(1, "Лена", 3)], quality=PATIENCE)
    for bad in ("/top вчера", "/top #xyzzy"):
        s.group_send(s.boris, bad)
        assert await s.group_reply() == ru("kudos.bad_period")

    s.anna.send("/top week")  # in private: the current team
    private = await tg.next_bot_message(s.anna.private)
    assert text(private) == week

    s.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=MSK))  # the next Monday: a new week
    s.group_send(s.boris, "/top week")
    assert await s.group_reply() == top("week", [])


async def test_mykudos_counts_qualities_reasons_and_pages(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    for n in range(5):
        await s.thank(s.boris, s.anna, f"благодарность номер {n}")
        s.clock.advance(timedelta(minutes=1))
    await s.thank(s.vera, s.anna, "за подмену", "#ответственность")
    s.clock.advance(timedelta(minutes=1))
    await s.thank(s.anna, s.boris, "за наставничество")

    s.anna.send("/mykudos")
    mine = await tg.next_bot_message(s.anna.private)
    assert text(mine) == "\n".join(
        [
            ru("kudos.mine_title", team=TEAM, received=6, given=1),
            "",
            ru("kudos.mine_received"),
            count_line(EMPATHY, 5),
            count_line(RESPONSIBILITY, 1),
            "",
            ru("kudos.mine_given"),
            count_line(EMPATHY, 1),
            "",
            ru("kudos.mine_last"),
            mine_line("Вера", "за подмену", RESPONSIBILITY),
            *(mine_line("Борис", f"благодарность номер {n}", EMPATHY) for n in (4, 3, 2, 1)),
        ]
    )
    assert buttons(mine) == [ru.t("kudos.next")]

    await s.anna.press(mine, ru.t("kudos.next"))
    page = current(tg, mine)
    assert text(page).endswith(
        ru("kudos.mine_last") + "\n" + mine_line("Борис", "благодарность номер 0", EMPATHY)
    )
    assert buttons(page) == [ru.t("kudos.prev")]
    await s.anna.press(page, ru.t("kudos.prev"))
    assert text(current(tg, mine)) == text(mine)

    s.vera.send("/mykudos")
    few = await tg.next_bot_message(s.vera.private)
    assert text(few).startswith(ru("kudos.mine_title", team=TEAM, received=0, given=1) + "\n")
    assert buttons(few) == []

    s.group_send(s.anna, "/mykudos")
    pointer = await tg.next_bot_message(s.group)
    assert text(pointer) == ru("common.private_only")
    assert pointer.reply_markup is not None
    assert pointer.reply_markup.inline_keyboard[0][0].url == "https://t.me/spasibot_bot"


# --- 10. HTML in reasons and names --------------------------------------------------------------


async def test_html_in_reasons_and_names_is_shown_as_text(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    tom = tg.user("Том <i>&", username="tom_tags", language_code="ru")
    tom.start_bot()
    await tg.next_bot_message(tom.private)
    tg.join_group(s.group, tom)
    greeting = await tg.next_bot_message(s.group)
    await tom.press(greeting, JOIN)
    await tg.next_bot_message(tom.private)

    message = tom.send("Починил <b>всё</b>", chat=s.group)
    reason = "<b>x</b> & <script>alert(1)</script>"
    s.group_send(s.anna, f"/kudos {reason} #эмпатия", reply_to=message)
    announcement = await tg.next_bot_message(s.group)
    assert text(announcement) == card("Анна", "Том <i>&", reason, EMPATHY) + left(4)
    personal = await tg.next_bot_message(tom.private)
    assert text(personal) == dm("Анна", reason, EMPATHY)

    await s.thank(tom, s.anna, "за <code> & </pre>")
    s.group_send(s.boris, "/top")
    assert await s.group_reply() == top(
        "month", [(1, "Анна", 1), (1, "Том <i>&", 1)], [(EMPATHY, 2)]
    )
    undo = tg.bot_messages(s.group)[-2]
    await tom.press(undo, UNDO)
    assert text(current(tg, undo)) == ru("kudos.undone", giver="Том <i>&")
    assert not [c for c in tg.calls if not c.ok]


# --- 11. export ---------------------------------------------------------------------------------


async def test_export_csv_for_leads(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    await s.thank(s.boris, s.anna, "за подмену")
    s.clock.advance(timedelta(minutes=5))
    await s.thank(s.vera, s.boris, "=СУММ(A1:A3) и формулы", "#ответственность")
    s.clock.set(datetime(2026, 10, 30, 18, 0, tzinfo=MSK))
    await s.thank(s.anna, s.vera, "за октябрь", "#терпение")
    s.clock.set(datetime(2026, 11, 18, 12, 30, tzinfo=MSK))

    s.lead.send("/export")
    document = await tg.next_bot_message(s.lead.private)
    assert text(document) == ru(
        "kudos.export_ready", team=TEAM, period=ru.t("kudos.period_month"), n=2
    )
    data = tg.document_bytes(document)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ru.t("kudos.export_header").split(","),
        ["2026-11-18 12:00", "Борис (@boris_b)", "Анна (@anna_k)", EMPATHY, "за подмену"],
        [
            "2026-11-18 12:05",
            "Вера (@vera_v)",
            "Борис (@boris_b)",
            RESPONSIBILITY,
            "'=СУММ(A1:A3) и формулы",
        ],
    ]
    assert (tg.document(document).file_name or "").endswith(".csv")

    s.lead.send("/export 2026-10")
    october = await tg.next_bot_message(s.lead.private)
    rows = list(
        csv.reader(io.StringIO(tg.document_bytes(october).decode("utf-8-sig")), delimiter=";")
    )
    assert rows[1:] == [
        ["2026-10-30 18:00", "Анна (@anna_k)", "Вера (@vera_v)", PATIENCE, "за октябрь"]
    ]
    for command in ("/export all", "/export всё"):  # as /help writes it
        s.lead.send(command)
        everything = await tg.next_bot_message(s.lead.private)
        assert text(everything) == ru(
            "kudos.export_ready", team=TEAM, period=ru.t("kudos.period_all"), n=3
        )
        rows = list(
            csv.reader(
                io.StringIO(tg.document_bytes(everything).decode("utf-8-sig")), delimiter=";"
            )
        )
        assert len(rows) == 4
        assert rows[1][4] == "за октябрь"

    for bad in ("/export 2026-13", "/export вчера"):
        s.lead.send(bad)
        how = await tg.next_bot_message(s.lead.private)
        assert text(how) == ru("kudos.export_how")

    s.anna.send("/export")
    refusal = await tg.next_bot_message(s.anna.private)
    assert text(refusal) == ru("teams.not_lead")
    assert refusal.document is None
    s.group_send(s.lead, "/export")
    assert await s.group_reply() == ru("common.private_only")


# --- 12. forget me -----------------------------------------------------------------------------


async def test_forget_me_keeps_the_kudos_without_the_name(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    await s.thank(s.boris, s.anna, "за подмену")
    await s.thank(s.vera, s.anna, "за отчёт")
    await s.thank(s.anna, s.vera, "за терпение", "#терпение")
    s.anna.send("/birthday 05.06")
    await tg.next_bot_message(s.anna.private)
    team = await s.team()

    s.anna.send("/forget_me")
    ask = await tg.next_bot_message(s.anna.private)
    assert text(ask) == ru("kudos.forget_confirm")
    assert buttons(ask) == [ru.t("kudos.forget_yes"), ru.t("kudos.forget_no")]
    await s.anna.press(ask, ru.t("kudos.forget_no"))
    assert text(current(tg, ask)) == ru("kudos.kept")
    assert buttons(current(tg, ask)) == []
    assert await s.teams.member(team, s.anna.id) is not None

    s.anna.send("/forget_me")
    ask = await tg.next_bot_message(s.anna.private)
    await s.anna.press(ask, ru.t("kudos.forget_yes"))
    assert text(current(tg, ask)) == ru("kudos.forgotten")
    assert await s.teams.member(team, s.anna.id) is None
    assert await s.running.app.dp["users"].get(s.anna.id) is None
    async with s.running.app.db.transaction() as conn:
        assert await teams_repo.profile(conn, s.anna.id) == (None, None)
    assert await s.total() == 3

    s.vera.send("/mykudos")
    mine = await tg.next_bot_message(s.vera.private)
    assert mine_line(SOMEONE, "за терпение", PATIENCE) in text(mine).split("\n")

    s.group_send(s.boris, "/top")
    assert await s.group_reply() == top(
        "month", [(1, SOMEONE, 2), (2, "Вера", 1)], [(EMPATHY, 2), (PATIENCE, 1)]
    )


# --- 13. birthday -------------------------------------------------------------------------------


async def test_birthday_set_refused_and_removed(tg: FakeTelegram, squad: Squad) -> None:
    s = squad

    async def birthday() -> str | None:
        async with s.running.app.db.transaction() as conn:
            return (await teams_repo.profile(conn, s.anna.id))[1]

    how = ru("kudos.birthday_how")
    s.anna.send("/birthday 31.12")
    saved = await tg.next_bot_message(s.anna.private)
    assert text(saved) == ru("kudos.birthday_set", date="31.12")
    assert await birthday() == "12-31"

    for bad in ("/birthday 31.02", "/birthday 1.13", "/birthday", "/birthday завтра"):
        s.anna.send(bad)
        assert text(await tg.next_bot_message(s.anna.private)) == how
    assert await birthday() == "12-31"

    s.anna.send("/birthday 29.02")  # a leap day is a valid birthday
    assert text(await tg.next_bot_message(s.anna.private)) == ru("kudos.birthday_set", date="29.02")
    assert await birthday() == "02-29"

    s.anna.send("/birthday off")
    off = await tg.next_bot_message(s.anna.private)
    assert text(off) == ru("kudos.birthday_off")
    assert await birthday() is None

    s.anna.send("/birthday 05.06")
    assert text(await tg.next_bot_message(s.anna.private)) == ru("kudos.birthday_set", date="05.06")
    s.anna.send("/birthday выкл")  # as /help writes it
    assert text(await tg.next_bot_message(s.anna.private)) == ru("kudos.birthday_off")
    assert await birthday() is None

    s.group_send(s.anna, "/birthday 01.01")
    assert await s.group_reply() == ru("common.private_only")
    assert await birthday() is None
