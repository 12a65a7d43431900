"""/kudos guided in private, step by step through the FSM (``tests/e2e/test_kudos_steps``
in process): colleague, quality, reason, confirm."""

from __future__ import annotations

from tests.e2e.texts import ru
from tests.pipeline.harness import Shown
from tests.pipeline.squad import Squad, dm

SEND, CANCEL = ru.t("kudos.send"), ru.t("kudos.cancel")
PATIENCE = ru.quality("patience")


async def _private(s: Squad, text: str) -> list[Shown]:
    return await s.pipe.said(s.boris, s.pipe.send(s.boris, text))


async def _to_confirm(s: Squad, reason: str = "за помощь с отчётом") -> Shown:
    [receivers] = await _private(s, "/kudos")
    assert receivers.text == ru("kudos.pick_receiver")
    assert "Анна" in receivers.labels()
    assert "Борис" not in receivers.labels()  # not oneself
    await s.pipe.press(s.boris, receivers, "Анна")
    picker = s.pipe.last(s.boris.id)
    assert picker.text == ru("kudos.pick_quality", names="Анна")
    await s.choose(s.boris, picker, ru.label("patience"))
    assert s.pipe.last(s.boris.id).text == ru("kudos.ask_reason")
    [confirm] = await _private(s, reason)
    return confirm


async def test_the_private_flow_asks_and_confirms(squad: Squad) -> None:
    s = squad
    confirm = await _to_confirm(s)
    shown_card = ru.html(
        "kudos.card",
        giver="Борис",
        receivers="Анна",
        reason="за помощь с отчётом",
        quality=PATIENCE,
    )
    assert confirm.text == ru("kudos.confirm", card=shown_card)
    assert confirm.labels() == [SEND, CANCEL]
    assert await s.total() == 0
    mark = s.pipe.mark()
    await s.pipe.press(s.boris, confirm, SEND)
    await s.pipe.drain()
    assert await s.total() == 1
    assert [m.text for m in s.pipe.sent_since(mark, s.anna.id)] == [
        dm("Борис", "за помощь с отчётом", PATIENCE)
    ]
    assert s.pipe.current(confirm).labels() == []  # no second send from the same card


async def test_the_private_flow_can_be_cancelled_at_the_confirm(squad: Squad) -> None:
    s = squad
    confirm = await _to_confirm(s)
    mark = s.pipe.mark()
    await s.pipe.press(s.boris, confirm, CANCEL)
    await s.pipe.drain()
    assert [m.text for m in s.pipe.sent_since(mark, s.boris.id)] == [ru("kudos.cancelled")]
    assert s.pipe.sent_since(mark, s.anna.id) == []
    assert await s.total() == 0


async def test_a_short_reason_is_asked_again(squad: Squad) -> None:
    s = squad
    [receivers] = await _private(s, "/kudos")
    await s.pipe.press(s.boris, receivers, "Вера")
    await s.choose(s.boris, s.pipe.last(s.boris.id), ru.label("patience"))
    [again] = await _private(s, "ок")
    assert again.text == ru("kudos.reason_short", n=3)
    [confirm] = await _private(s, "за подмену")
    assert confirm.labels() == [SEND, CANCEL]


async def test_a_typed_name_or_username_finds_the_colleague(squad: Squad) -> None:
    s = squad
    for typed in ("Вера", "@vera_v"):
        await _private(s, "/kudos")
        [picker] = await _private(s, typed)
        assert picker.text == ru("kudos.pick_quality", names="Вера"), typed
        await _private(s, "/cancel")


async def test_an_unknown_name_is_said_to_be_unknown(squad: Squad) -> None:
    s = squad
    await _private(s, "/kudos")
    [reply] = await _private(s, "Захар")
    assert reply.text == ru("kudos.name_not_found", query="Захар")


async def test_cancel_leaves_the_flow(squad: Squad) -> None:
    s = squad
    await _private(s, "/kudos")
    [done] = await _private(s, "/cancel")
    assert done.text == ru("cancel.done")
    [hint] = await _private(s, "Вера")  # no longer an answer to the flow
    assert hint.text == ru("common.text_hint")
