"""/forget_me erases the person: no row of any table holds their id, name or username
afterwards (checked cell by cell on both engines); their kudos stay counted, nameless."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.schema import metadata
from tests.e2e.conftest import Starter
from tests.e2e.test_kudos import Squad, current, make_squad, text
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
