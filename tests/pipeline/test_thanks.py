"""A plain thank-you in the group (``tests/e2e/test_kudos_steps``, section 3, in process): a
reply starting with «спасибо» or «+» offers a one-tap kudos only the replier can press; an
unused prompt is removed by the ledger a minute later (the fake clock moves, then a drain)."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.texts import ru
from tests.pipeline.squad import MORE, Squad

CANCEL = ru.t("kudos.cancel")


async def test_a_thank_you_reply_offers_a_one_tap_kudos(squad: Squad) -> None:
    s = squad
    question = await s.pipe.send(s.anna, "Подменю тебя завтра", chat=s.group)
    [prompt] = await s.say(s.boris, "Спасибо, за подмену на смене!", question)
    assert prompt.text == ru("kudos.thanks_prompt", names="Анна")
    assert prompt.labels()[-2:] == [MORE, CANCEL]
    choice = prompt.labels()[0]
    answer = await s.pipe.press(s.vera, prompt, choice)
    assert answer.text == ru.t("kudos.not_yours")
    assert await s.total() == 0
    mark = s.pipe.mark()
    await s.pipe.press(s.boris, prompt, choice)
    await s.pipe.drain()
    assert "«за подмену на смене»" in s.pipe.current(prompt).text  # the prompt became the card
    [personal] = s.pipe.sent_since(mark, s.anna.id)
    assert personal.text.startswith(ru.prefix("kudos.dm"))
    assert "«за подмену на смене»" in personal.text
    assert await s.total() == 1


async def test_an_unused_prompt_is_removed_after_a_minute(squad: Squad) -> None:
    s = squad
    question = await s.pipe.send(s.anna, "Подменю тебя завтра", chat=s.group)
    [prompt] = await s.say(s.vera, "+", question)
    await s.pipe.drain()
    s.pipe.clock.advance(timedelta(seconds=50))
    await s.pipe.drain()
    assert not s.pipe.current(prompt).deleted  # not due yet
    s.pipe.clock.advance(timedelta(seconds=11))
    await s.pipe.drain()
    assert s.pipe.current(prompt).deleted
    assert await s.total() == 0


async def test_a_dismissed_prompt_goes_at_once(squad: Squad) -> None:
    s = squad
    question = await s.pipe.send(s.anna, "Подменю тебя завтра", chat=s.group)
    [prompt] = await s.say(s.lead, "благодарю", question)
    await s.pipe.press(s.lead, prompt, CANCEL)
    await s.pipe.drain()
    assert s.pipe.current(prompt).deleted


async def test_no_prompt_for_other_words_oneself_or_outsiders(squad: Squad) -> None:
    s = squad
    question = await s.pipe.send(s.anna, "Подменю тебя завтра", chat=s.group)
    outsider = await s.pipe.send(s.gleb, "Я тоже помогал", chat=s.group)
    assert await s.say(s.boris, "Спасибочки всем", question) == []
    assert await s.say(s.anna, "спасибо мне", question) == []
    assert await s.say(s.boris, "спасибо за помощь", outsider) == []
    assert await s.say(s.gleb, "спасибо за помощь", question) == []
