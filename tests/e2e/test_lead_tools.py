"""Leads' tools end to end: the time-zone question (cities, IANA names, buttons) and /export
(CSV that Excel opens with Russian settings, and .xlsx)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import Message
from openpyxl import load_workbook

from bot.services.teams import Team, TeamsService
from handlers.callbacks import TimezoneChoice
from tests.clock import FakeClock
from tests.e2e.conftest import Running, Starter
from tests.fakebot import FakeChat, FakeTelegram, FakeUser

MSK = ZoneInfo("Europe/Moscow")
#: a Wednesday in November: no digest or employee of the month; Kyiv is on winter time (+2)
NOON = datetime(2026, 11, 18, 12, 0, tzinfo=MSK)
TEAM = "Поддержка"
NOT_LEAD = "Это могут делать только лиды команды"
STALE = "Эта кнопка устарела или не ваша. Ничего не изменилось."
#: the buttons of the time-zone question (Russia west to east, then its neighbours)
ZONE_BUTTONS = [
    "Калининград UTC+2",
    "Москва UTC+3",
    "Самара UTC+4",
    "Екатеринбург UTC+5",
    "Омск UTC+6",
    "Новосибирск UTC+7",
    "Красноярск UTC+7",
    "Иркутск UTC+8",
    "Якутск UTC+9",
    "Владивосток UTC+10",
    "Магадан UTC+11",
    "Камчатка UTC+12",
    "Минск UTC+3",
    "Киев UTC+2",
    "Алматы UTC+5",
    "Ташкент UTC+5",
    "Бишкек UTC+6",
    "Ереван UTC+4",
    "Тбилиси UTC+4",
    "Баку UTC+4",
]


def text(message: Message) -> str:
    return message.text or message.caption or ""


def labels(message: Message) -> list[str]:
    markup = message.reply_markup
    if markup is None:
        return []
    return [b.text for row in markup.inline_keyboard for b in row]


def current(tg: FakeTelegram, message: Message) -> Message:
    """The message as it is now (edits applied)."""
    return tg.world.stored(message).build(tg.world)


def wall_clock(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Moscow time as a workbook holds it: a naive wall-clock time (Excel has no zones)."""
    return datetime(year, month, day, hour, minute, tzinfo=MSK).replace(tzinfo=None)


def teams_of(running: Running) -> TeamsService:
    service = running.app.dp["teams"]
    assert isinstance(service, TeamsService)
    return service


async def started(tg: FakeTelegram, user: FakeUser) -> None:
    user.start_bot()
    await tg.next_bot_message(user.private)


async def team_of(tg: FakeTelegram, running: Running, lead: FakeUser) -> tuple[FakeChat, Team]:
    group = tg.group(TEAM, members=[], admins=[lead])
    tg.add_bot_to_group(group, by=lead)
    await tg.next_bot_message(group)
    if lead.started:  # whoever added the bot and had started it is a member at once
        await tg.next_bot_message(lead.private)
    team = await teams_of(running).by_chat(group.id)
    assert team is not None
    return group, team


async def ask_zone(tg: FakeTelegram, lead: FakeUser, group: FakeChat) -> Message:
    """/settings in the group, «🕒 Часовой пояс»: the question in the lead's private chat."""
    lead.send("/settings", chat=group)
    panel = await tg.next_bot_message(group)
    await lead.press(panel, "🕒 Часовой пояс")
    return await tg.next_bot_message(lead.private)


# --- the time zone ---------------------------------------------------------------------------


async def test_time_zone_by_city_by_iana_name_or_by_button(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot(clock=FakeClock(NOON))
    lead = tg.user("Олег", language_code="ru")
    await started(tg, lead)
    group, team = await team_of(tg, running, lead)
    service = teams_of(running)

    # a city typed in Russian, in any case
    ask = await ask_zone(tg, lead, group)
    assert "IANA" in text(ask)
    assert "город" in text(ask)
    assert labels(ask) == ZONE_BUTTONS
    lead.send("самара")
    shown = await tg.next_bot_message(lead.private)
    assert "Часовой пояс: Europe/Samara" in text(shown)
    assert (await service.by_id(team.id)).timezone == "Europe/Samara"

    # an English city, and an IANA name in the wrong case
    for typed, zone in (("Kyiv", "Europe/Kyiv"), ("asia/YEKATERINBURG", "Asia/Yekaterinburg")):
        await ask_zone(tg, lead, group)
        lead.send(typed)
        shown = await tg.next_bot_message(lead.private)
        assert f"Часовой пояс: {zone}" in text(shown)
        assert (await service.by_id(team.id)).timezone == zone

    # an unknown name: what is accepted, and the buttons again; then a button sets the zone
    first = await ask_zone(tg, lead, group)
    lead.send("Марс <Олимп>")
    bad = await tg.next_bot_message(lead.private)
    assert text(bad) == (
        "Не знаю часового пояса «Марс <Олимп>». Напишите город (например, «Самара» или "
        "«Новосибирск») или название пояса IANA, например Europe/Moscow, — или выберите "
        "город кнопкой."
    )
    assert labels(bad) == ZONE_BUTTONS
    assert (await service.by_id(team.id)).timezone == "Asia/Yekaterinburg"

    answer = await lead.press(bad, "Новосибирск UTC+7")
    assert answer.text == "Сохранено."
    assert (await service.by_id(team.id)).timezone == "Asia/Novosibirsk"
    panel = current(tg, bad)  # the question became the settings panel
    assert "Часовой пояс: Asia/Novosibirsk" in text(panel)
    assert "🕒 Часовой пояс" in labels(panel)
    assert "Новосибирск UTC+7" not in labels(panel)

    # the flow is over: a typed city is no answer, a button of the earlier question is stale
    lead.send("Омск")
    assert "/tip" in text(await tg.next_bot_message(lead.private))
    stale = await lead.press(first, "Магадан UTC+11")
    assert stale.text == STALE
    assert (await service.by_id(team.id)).timezone == "Asia/Novosibirsk"


async def test_a_zone_button_checks_the_lead_again(tg: FakeTelegram, start_bot: Starter) -> None:
    running = await start_bot(clock=FakeClock(NOON))
    owner = tg.user("Олег", language_code="ru")
    deputy = tg.user("Дина", username="dina_d", language_code="ru")
    for user in (owner, deputy):
        await started(tg, user)
    group = tg.group(TEAM, members=[deputy], admins=[owner])
    tg.add_bot_to_group(group, by=owner)
    greeting = await tg.next_bot_message(group)
    await deputy.press(greeting, "Вступить в команду")
    await tg.next_bot_message(deputy.private)
    service = teams_of(running)
    team = await service.by_chat(group.id)
    assert team is not None
    await service.set_promoted(team, deputy.id, True)

    ask = await ask_zone(tg, deputy, group)
    assert "Москва UTC+3" in labels(ask)
    await service.set_promoted(team, deputy.id, False)  # no longer a lead

    refused = await deputy.press(ask, "Баку UTC+4")
    assert refused.show_alert
    assert NOT_LEAD in (refused.text or "")
    assert (await service.by_id(team.id)).timezone == "Europe/Moscow"
    # the flow ended with the refusal: the next press is stale, typing is no answer
    again = await deputy.press(ask, "Баку UTC+4")
    assert again.text == STALE
    deputy.send("Баку")
    assert "/tip" in text(await tg.next_bot_message(deputy.private))
    assert (await service.by_id(team.id)).timezone == "Europe/Moscow"


async def test_an_english_lead_gets_english_zone_buttons(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot(clock=FakeClock(NOON))
    lead = tg.user("Olga", language_code="en")
    await started(tg, lead)
    group, team = await team_of(tg, running, lead)
    lead.send("/settings", chat=group)
    panel = await tg.next_bot_message(group)
    await lead.press(panel, labels(panel)[0])
    ask = await tg.next_bot_message(lead.private)
    assert labels(ask)[:3] == ["Kaliningrad UTC+2", "Moscow UTC+3", "Samara UTC+4"]
    data = ask.reply_markup.inline_keyboard[0][0].callback_data if ask.reply_markup else None
    assert data is not None
    assert TimezoneChoice.unpack(data).zone == "Europe/Kaliningrad"
    lead.send("Tbilisi")
    await tg.next_bot_message(lead.private)
    assert (await teams_of(running).by_id(team.id)).timezone == "Asia/Tbilisi"


# --- export ----------------------------------------------------------------------------------


async def export_team(
    tg: FakeTelegram, start_bot: Starter
) -> tuple[FakeUser, FakeChat, list[FakeUser]]:
    """A team whose lead Лена (@lena_lead) has Анна Петрова (@anna_k), Тимур (no username)
    and a second Анна (@anna_m); three kudos this month, one in October."""
    clock = FakeClock(NOON)
    await start_bot(clock=clock)
    lead = tg.user("Лена", username="lena_lead", language_code="ru")
    anna = tg.user("Анна", username="anna_k", language_code="ru", last_name="Петрова")
    timur = tg.user("Тимур", language_code="ru")
    other_anna = tg.user("Анна", username="anna_m", language_code="ru")
    people = [anna, timur, other_anna]
    for user in (lead, *people):
        await started(tg, user)
    group = tg.group(TEAM, members=people, admins=[lead])
    tg.add_bot_to_group(group, by=lead)
    greeting = await tg.next_bot_message(group)
    await tg.next_bot_message(lead.private)  # the lead who added the bot: a member at once
    for user in people:
        await user.press(greeting, "Вступить в команду")
        await tg.next_bot_message(user.private)

    async def thank(giver: FakeUser, receiver: FakeUser, words: str, tag: str) -> None:
        said = receiver.send("вот", chat=group)
        giver.send(f"/kudos {words} {tag}", chat=group, reply_to=said)
        assert f"«{words}»" in text(await tg.next_bot_message(group))
        await tg.next_bot_message(receiver.private)

    clock.set(datetime(2026, 10, 30, 18, 0, tzinfo=MSK))
    await thank(anna, timur, "за октябрь", "#терпение")
    clock.set(NOON)
    await thank(timur, anna, 'подменил; и "выручил"', "#эмпатия")
    await thank(other_anna, anna, "=СУММ(A1:A3) и формулы", "#ответственность")
    return lead, group, people


async def test_export_csv_opens_in_excel_with_russian_settings(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    lead, _group, (_anna, timur, _other) = await export_team(tg, start_bot)

    lead.send("/export")
    document = await tg.next_bot_message(lead.private)
    assert text(document) == "Благодарности команды «Поддержка», этот месяц. Строк: 2."
    assert (tg.document(document).file_name or "").endswith(".csv")
    data = tg.document_bytes(document)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM
    body = data.decode("utf-8-sig")
    # Excel with Russian settings splits cells at «;» (its list separator there)
    assert body.splitlines()[0] == "дата;от кого;кому;качество;за что"
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[1:] == [
        [
            "2026-11-18 12:00",
            f"Тимур (id {timur.id})",
            "Анна Петрова (@anna_k)",
            "Эмпатия",
            'подменил; и "выручил"',
        ],
        [
            "2026-11-18 12:00",
            "Анна (@anna_m)",
            "Анна Петрова (@anna_k)",
            "Ответственность",
            "'=СУММ(A1:A3) и формулы",
        ],
    ]


async def test_export_xlsx(tg: FakeTelegram, start_bot: Starter) -> None:
    lead, _group, (_anna, timur, _other) = await export_team(tg, start_bot)

    lead.send("/export xlsx")
    document = await tg.next_bot_message(lead.private)
    assert text(document) == "Благодарности команды «Поддержка», этот месяц. Строк: 2."
    assert (tg.document(document).file_name or "").endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(tg.document_bytes(document))).active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        ["дата", "от кого", "кому", "качество", "за что"],
        [
            wall_clock(2026, 11, 18, 12, 0),
            f"Тимур (id {timur.id})",
            "Анна Петрова (@anna_k)",
            "Эмпатия",
            'подменил; и "выручил"',
        ],
        [
            wall_clock(2026, 11, 18, 12, 0),
            "Анна (@anna_m)",
            "Анна Петрова (@anna_k)",
            "Ответственность",
            "=СУММ(A1:A3) и формулы",
        ],
    ]
    assert sheet["E3"].data_type == "s"  # a text, never run as a formula

    lead.send("/export xlsx 2026-10")
    october = await tg.next_bot_message(lead.private)
    sheet = load_workbook(io.BytesIO(tg.document_bytes(october))).active
    assert sheet is not None
    assert [c.value for c in sheet[2]] == [
        wall_clock(2026, 10, 30, 18, 0),
        "Анна Петрова (@anna_k)",
        f"Тимур (id {timur.id})",
        "Усидчивость и терпение",
        "за октябрь",
    ]
    lead.send("/export всё xlsx")
    everything = await tg.next_bot_message(lead.private)
    assert text(everything).endswith("Строк: 3.")

    lead.send("/export xlsx вчера")
    how = await tg.next_bot_message(lead.private)
    assert "/export xlsx" in text(how)
    assert how.document is None
