"""/forget_me erases the person: no row of any table holds their id, name or username
afterwards (checked cell by cell on both engines); their kudos stay counted, nameless."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.jobs import run_team_events
from bot.services.reviews import ReviewsService
from storage.schema import deliveries, metadata
from tests.e2e.conftest import Starter, eventually
from tests.e2e.test_kudos import FIX, Squad, choose, current, make_squad, text
from tests.e2e.texts import ru
from tests.fakebot import FakeTelegram


async def traces(squad: Squad, needles: list[str], user_id: int) -> list[str]:
    """Every cell of every table that is the user's id or contains one of ``needles`` or
    the id as a number in a text (keys, JSON)."""
    number = re.compile(rf"(?<!\d){user_id}(?!\d)")
    found = []
    async with squad.running.app.db.read() as conn:
        for table in metadata.sorted_tables:
            for row in (await conn.execute(select(table))).all():
                for column, value in zip(table.columns, row, strict=True):
                    cell = str(value)
                    if value == user_id or number.search(cell) or any(n in cell for n in needles):
                        found.append(f"{table.name}.{column.name}: {cell[:80]}")
    return found


async def forget(tg: FakeTelegram, squad: Squad) -> None:
    s = squad
    s.anna.send("/forget_me")
    ask = await tg.next_bot_message(s.anna.private)
    await s.anna.press(ask, ru.t("kudos.forget_yes"))
    assert text(current(tg, ask)) == ru("kudos.forgotten")
    await s.settle()


async def test_forget_me_leaves_no_row_with_the_person(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    s = await make_squad(tg, start_bot)
    await s.thank(s.boris, s.anna, "за подмену")
    await s.thank(s.anna, s.vera, "за терпение", "#терпение")
    s.anna.send("/birthday 05.06")
    await tg.next_bot_message(s.anna.private)
    said = s.group_send(s.vera, "разобрала очередь")
    s.group_send(s.anna, "/kudos спасибо за очередь", reply_to=said)  # a draft in the group
    await tg.next_bot_message(s.group)
    needles = ["anna_k", "Анна"]
    assert await traces(s, needles, s.anna.id)  # she is there before

    await forget(tg, s)
    assert await traces(s, needles, s.anna.id) == []
    assert await s.total() == 2  # her kudos still count


async def test_forget_me_leaves_no_ledger_row_naming_her_as_giver_or_greeted(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    """Rows that are not for her but name her: the edit of a kudos she gave (its payload
    names the giver) and the birthday greeting to her team (its key and payload)."""
    s = await make_squad(tg, start_bot)
    announcement = await s.thank(s.anna, s.boris, "за подмену", "#терпение")
    await s.anna.press(announcement, FIX)
    await choose(s.anna, tg, announcement, ru.label("empathy"))
    s.anna.send("/birthday 18.11")  # today: the squad's clock is 18 November, noon
    await tg.next_bot_message(s.anna.private)
    await run_team_events(s.running.app.jobs)
    greeting = await tg.next_bot_message(s.group)
    assert text(greeting) == ru("kudos.birthday_greeting", name="Анна")

    async def edited_and_greeted() -> bool:
        async with s.running.app.db.read() as conn:
            rows = (await conn.execute(select(deliveries.c.key, deliveries.c.state))).all()
        kinds = {(key.split(":")[0], state) for key, state in rows}
        return {("edit", "sent"), ("birthday", "sent")} <= kinds

    await eventually(edited_and_greeted)
    needles = ["anna_k", "Анна"]
    before = await traces(s, needles, s.anna.id)
    assert any(t.startswith("deliveries.payload") for t in before)

    await forget(tg, s)
    assert await traces(s, needles, s.anna.id) == []
    assert await s.total() == 1  # her kudos still counts


async def test_forget_me_removes_her_reviews_evidence_and_feedback_but_not_what_she_wrote(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    """Her schedule, reviews, evidence and the feedback on them go; the feedback she wrote on
    a colleague's review stays with that colleague, under a pseudonym."""
    s = await make_squad(tg, start_bot)
    service: ReviewsService = s.running.app.dp["reviews"]
    s.anna.forward("Спасибо за помощь, очень выручили", tg.user("Клиент"))
    await tg.next_bot_message(s.anna.private)
    for author, peer in ((s.anna, s.boris), (s.vera, s.anna)):
        review, _ = await service.open(author.id)
        await service.set_results(review.id, author.id, "сорок две заявки")
        await service.attach_all(review.id, author.id)
        await service.submit(review.id, author.id)
        await service.ask(review.id, author.id, [peer.id], True)
        assert "просит ваш отзыв" in text(await tg.next_bot_message(peer.private))
    for request_id, peer in ((1, s.boris), (2, s.anna)):
        await service.answer(request_id, peer.id, "всё по делу, так держать")
    await s.settle()
    answer = await tg.next_bot_message(s.anna.private)  # Boris's answer reached her
    assert "так держать" in text(answer)
    needles = ["anna_k", "Анна", "выручили"]
    assert await traces(s, needles, s.anna.id)

    await forget(tg, s)
    assert await traces(s, needles, s.anna.id) == []
    assert await service.schedule(s.anna.id) is None
    veras = (await service.history(s.vera.id))[0]
    (kept,) = (await service.read(veras.id, s.vera.id)).feedback
    assert kept.answer == "всё по делу, так держать"
    assert kept.peer_id < 0  # nobody's id
