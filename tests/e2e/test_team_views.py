"""What a team sees after the first steps, end to end: changing a kudos' quality pages like
giving one; /portrait read-only for members; the time-zone question asked after Start with
its buttons; the digest's newcomers are the week's.

Expected texts come from the translations the bot loads (``ru(running)``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import Message

from bot.i18n import Translations
from bot.jobs import run_team_events
from bot.services.kudos import KudosService, Period
from bot.services.tags import tag_for
from bot.services.teams import Team
from tests.clock import FakeClock
from tests.e2e.conftest import Running, Starter
from tests.e2e.test_team_edges import lead_and_agent
from tests.e2e.test_teams import labels, message_in, started, team_with_group, teams_of
from tests.e2e.texts import ru as seen
from tests.fakebot import FakeChat, FakeTelegram, FakeUser


def ru(running: Running) -> Translations:
    """The application's translations (``ru(running).get("ru")``)."""
    translations = running.app.dp["translations"]
    assert isinstance(translations, Translations)
    return translations


#: quality buttons on a picker's first page (handlers.keyboards.QUALITIES_FIRST_PAGE)
FIRST_PAGE = 6


def kudos_of(running: Running) -> KudosService:
    service = running.app.dp["kudos"]
    assert isinstance(service, KudosService)
    return service


async def thank(
    tg: FakeTelegram, giver: FakeUser, receiver: FakeUser, group: FakeChat, reason: str
) -> Message:
    """``/kudos reason #эмпатия`` as a reply to the receiver; returns what the group shows."""
    said = receiver.send("закрыла сложный тикет", chat=group)
    giver.send(f"/kudos {reason} #эмпатия", chat=group, reply_to=said)
    return await tg.next_bot_message(group)


async def ranked_labels(running: Running, team: Team) -> list[str]:
    """The team's enabled qualities as the giving flow offers them: most used first."""
    return [q.button("ru") for q in await kudos_of(running).qualities_ranked(team)]


# --- 1. another quality: a short first page, «Ещё…» to the rest --------------------------------


async def page_to_and_pick(
    tg: FakeTelegram, giver: FakeUser, chat: FakeChat, card: Message, label: str, more: str
) -> list[list[str]]:
    """Turn the picker's pages until ``label`` shows, press it; returns the pages seen."""
    pages = []
    for _ in range(10):
        now = message_in(tg, chat, card)
        pages.append(labels(now))
        if label in labels(now):
            await giver.press(now, label)
            return pages
        await giver.press(now, more)
    raise AssertionError(f"no {label!r} on any page: {pages}")


async def test_changing_the_quality_offers_a_short_page_and_more_in_the_group(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running, texts, lead, agent, group, team, _greeting = await lead_and_agent(tg, start_bot)
    more, keep = texts.t("kudos.page_more"), texts.t("kudos.keep_quality")
    actions = [texts.t("kudos.undo"), texts.t("kudos.fix_quality")]
    card = await thank(tg, lead, agent, group, "за разбор очереди")
    await tg.next_bot_message(agent.private)
    assert labels(card) == actions
    everything = await ranked_labels(running, team)
    assert len(everything) > FIRST_PAGE

    await lead.press(card, texts.t("kudos.fix_quality"))
    picker = message_in(tg, group, card)
    assert labels(picker) == [*everything[:FIRST_PAGE], more, keep]

    # leaving it as it was brings the undo and fix buttons back, nothing changed
    await lead.press(picker, keep)
    assert labels(message_in(tg, group, card)) == actions

    await lead.press(message_in(tg, group, card), texts.t("kudos.fix_quality"))
    last = everything[-1]  # on a later page
    pages = await page_to_and_pick(tg, lead, group, card, last, more)
    assert len(pages) > 1
    assert all(len(page) <= 8 + 3 for page in pages)  # never a wall of buttons
    assert texts.t("kudos.page_back") in pages[1]
    offered = [label for page in pages for label in page if label in everything]
    assert offered == everything[: len(offered)]  # every quality once, in the giving order
    changed = message_in(tg, group, card)
    assert labels(changed) == actions
    [given] = (await kudos_of(running).board(team, Period.ALL)).qualities
    assert given.key != "empathy"
    quality = await teams_of(running).quality(team, str(given.key))
    assert quality is not None
    assert quality.button("ru") == last
    assert quality.name("ru") in (changed.text or "")


async def test_changing_the_quality_in_private_pages_the_same_way(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running, texts, lead, agent, group, team, _greeting = await lead_and_agent(tg, start_bot)
    more, keep = texts.t("kudos.page_more"), texts.t("kudos.keep_quality")
    await teams_of(running).set_flag(team, "announce", False)  # the receipt comes in private
    said = agent.send("закрыла сложный тикет", chat=group)
    lead.send("/kudos за разбор очереди #эмпатия", chat=group, reply_to=said)
    receipt = await tg.next_bot_message(lead.private)
    await tg.next_bot_message(agent.private)
    everything = await ranked_labels(running, team)

    await lead.press(receipt, texts.t("kudos.fix_quality"))
    picker = message_in(tg, lead.private, receipt)
    assert labels(picker) == [*everything[:FIRST_PAGE], more, keep]
    await lead.press(picker, more)
    second = labels(message_in(tg, lead.private, receipt))
    back = texts.t("kudos.page_back")
    assert second == [*everything[FIRST_PAGE : FIRST_PAGE + 8], back, more, keep]
    pick = second[0]
    answer = await lead.press(message_in(tg, lead.private, receipt), pick)
    assert answer.text == texts.t("kudos.quality_changed")
    [given] = (await kudos_of(running).board(team, Period.ALL)).qualities
    quality = await teams_of(running).quality(team, str(given.key))
    assert quality is not None
    assert quality.button("ru") == pick


# --- 3. the time-zone question asked after Start keeps its buttons -----------------------------


async def test_the_time_zone_question_asked_after_start_has_its_zone_buttons(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    texts = ru(running).get("ru")
    lead = tg.user("Олег", language_code="ru")  # never started the bot
    group, team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    lead.send("/settings", chat=group)
    panel = await tg.next_bot_message(group)
    answer = await lead.press(panel, texts.t("settings.timezone"))
    assert answer.url == "https://t.me/spasibot_bot?start=ask"

    lead.start_bot("ask")
    await tg.next_bot_message(lead.private)  # the greeting
    question = await tg.next_bot_message(lead.private)
    assert question.text == texts.t("settings.ask_timezone")
    zones = labels(question)

    # asked at once, now that the lead has started the bot: the same question, same buttons
    await lead.press(panel, texts.t("settings.timezone"))
    direct = await tg.next_bot_message(lead.private)
    assert direct.text == question.text
    assert labels(direct) == zones

    # a zone of the question asked after Start sets it
    answer = await lead.press(question, zones[-1])
    assert answer.text == texts.t("settings.saved")
    assert (await teams_of(running).by_id(team.id)).timezone != "Europe/Moscow"
    assert labels(message_in(tg, lead.private, question)) != zones  # it became the panel


# --- 2. /portrait read-only for members ---------------------------------------------------------


async def test_a_member_reads_the_portrait_and_a_lead_still_edits_it(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running, texts, lead, agent, group, team, _greeting = await lead_and_agent(tg, start_bot)
    service = teams_of(running)
    await service.add_custom(team, "Настройка роутера", "Настроит роутер клиента по телефону")
    enabled = await service.enabled_qualities(team)
    values = [q for q in enabled if q.category == "values"]
    asked = agent.send("/portrait", chat=group)
    root = await tg.next_bot_message(group)
    assert root.reply_to_message is not None
    assert root.reply_to_message.message_id == asked.message_id
    assert root.text == seen("portrait.read_title", title="Поддержка")
    sections = labels(root)
    own = texts.t("portrait.section", title=texts.t("portrait.own"), n=1)
    assert sections == [
        texts.t("portrait.section", title="Ценности", n=len(values)),
        texts.t("portrait.section", title="Личные качества", n=9),
        texts.t("portrait.section", title="Профессиональные знания и навыки", n=13),
        own,
    ]  # no switches, no «add a skill»: nothing here edits the portrait

    await agent.press(root, sections[0])
    shown = message_in(tg, group, root)
    lines = [
        seen(
            "portrait.read_line",
            tag=tag_for(q, enabled, "ru"),
            name=q.name("ru"),
            meaning=q.meaning("ru"),
        )
        for q in values
    ]
    assert shown.text == "\n\n".join([seen("portrait.read_section", section="Ценности"), *lines])
    assert "#гибкость — Гибкость\n" in (shown.text or "")
    assert labels(shown) == [texts.t("portrait.back")]

    await agent.press(shown, texts.t("portrait.back"))
    await agent.press(message_in(tg, group, root), own)
    skills = message_in(tg, group, root).text or ""
    assert skills == "\n\n".join(
        [
            seen("portrait.read_section", section=texts.t("portrait.own")),
            seen(
                "portrait.read_line",
                tag="настройка_роутера",
                name="Настройка роутера",
                meaning="Настроит роутер клиента по телефону",
            ),
        ]
    )

    # in private, for the current team: the same, as an answer
    agent.send("/portrait")
    private = await tg.next_bot_message(agent.private)
    assert private.text == root.text
    assert labels(private) == sections

    # the lead still gets the panel that edits it
    lead.send("/portrait", chat=group)
    panel = await tg.next_bot_message(group)
    assert texts.t("portrait.add") in labels(panel)
    await lead.press(panel, "Ценности")
    assert any(label.startswith("✅") for label in labels(message_in(tg, group, panel)))


# --- 4. the digest's newcomers joined during its week ------------------------------------------

NOVOSIBIRSK = ZoneInfo("Asia/Novosibirsk")  # UTC+7: its Monday starts on Sunday in Moscow


def in_novosibirsk(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NOVOSIBIRSK)


async def test_the_digest_names_as_newcomers_only_those_who_joined_that_week(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    clock = FakeClock(in_novosibirsk(18, 12, 0))  # a Wednesday, the week before
    running, texts, lead, agent, group, team, greeting = await lead_and_agent(
        tg, start_bot, clock=clock
    )
    await teams_of(running).set_timezone(team, "Asia/Novosibirsk")
    vera, gleb = tg.user("Вера", language_code="ru"), tg.user("Глеб", language_code="ru")
    for user in (vera, gleb):
        await started(tg, user)
    # the digest of Monday 30 November covers 23-29 November in the team's time zone
    for user, joined in ((vera, in_novosibirsk(22, 23, 30)), (gleb, in_novosibirsk(23, 0, 30))):
        clock.set(joined)
        tg.join_group(group, user)
        await tg.next_bot_message(group)  # the one-line welcome
        await user.press(greeting, texts.t("teams.join"))
        await tg.next_bot_message(user.private)

    clock.set(in_novosibirsk(25, 12, 0))
    for receiver in (agent, vera, gleb):  # the first thanks of each of them
        said = receiver.send("разобрал очередь", chat=group)
        lead.send(
            f"/kudos спасибо за очередь, {receiver.first_name} #эмпатия", chat=group, reply_to=said
        )
        await tg.next_bot_message(group)
        await tg.next_bot_message(receiver.private)

    clock.set(in_novosibirsk(30, 10, 5))
    await run_team_events(running.app.jobs)
    digest = await tg.next_bot_message(group)
    assert digest.text == "\n".join(
        [
            seen("kudos.digest_title", team="Поддержка"),
            seen("kudos.digest_total", n=3),
            seen("kudos.digest_qualities", qualities=seen.quality("empathy")),
            # Аня joined the week before, Вера on its last evening: only Глеб is new
            seen("kudos.digest_newcomers", names="Глеб"),
        ]
    )
