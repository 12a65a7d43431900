"""Giving a kudos in the team chat, through the real Dispatcher in process (the e2e stories
of ``tests/e2e/test_kudos.py`` that need no HTTP, restart or limit)."""

from __future__ import annotations

from tests.e2e.texts import ru
from tests.pipeline.squad import MORE, Squad, card, dm, left

UNDO, FIX = ru.t("kudos.undo"), ru.t("kudos.fix_quality")
CANCEL = ru.t("kudos.cancel")
PATIENCE = ru.quality("patience")
RESPONSIBILITY = ru.quality("responsibility")
TEAMWORK = ru.quality("teamwork")


async def test_reply_kudos_with_a_tag_is_announced_with_actions(squad: Squad) -> None:
    s = squad
    question = await s.pipe.send(s.anna, "Клиент звонит в третий раз", chat=s.group)
    said = await s.say(s.boris, "/kudos за терпение с трудным клиентом #терпение", question)
    assert [m.text for m in said] == [
        card("Борис", "Анна", "за терпение с трудным клиентом", PATIENCE) + left(4)
    ]
    assert said[0].labels() == [UNDO, FIX]
    assert "<b>Борис</b>" in said[0].html
    assert await s.total() == 1
    assert await s.remaining(s.boris) == 4


async def test_the_receiver_gets_a_personal_message_from_the_ledger(squad: Squad) -> None:
    s = squad
    mark = s.pipe.mark()
    await s.say(s.boris, "/kudos @anna_k за подмену в субботу #ответственность")
    await s.pipe.drain()
    personal = s.pipe.sent_since(mark, s.anna.id)
    assert [m.text for m in personal] == [dm("Борис", "за подмену в субботу", RESPONSIBILITY)]
    assert personal[0].labels() == [ru.t("kudos.dm_link")]
    assert s.pipe.sent_since(mark, s.boris.id) == []  # the giver hears it in the group


async def test_kudos_to_two_usernames_costs_two(squad: Squad) -> None:
    s = squad
    said = await s.say(s.boris, "/kudos @anna_k @vera_v за общий релиз #teamwork")
    assert [m.text for m in said] == [
        card("Борис", "Анна, Вера", "за общий релиз", TEAMWORK) + left(3)
    ]
    assert await s.remaining(s.boris) == 3


async def test_without_a_tag_a_short_picker_only_the_giver_can_press(squad: Squad) -> None:
    s = squad
    message = await s.pipe.send(s.anna, "Собрала отчёт", chat=s.group)
    [picker] = await s.say(s.boris, "/kudos спасибо за отчёт", message)
    assert picker.text == ru("kudos.pick_quality", names="Анна")
    labels = picker.labels()
    assert MORE in labels
    assert labels[-1] == CANCEL
    assert len(labels) <= 8
    assert ru.label("location") not in labels  # motivation is not in the default portrait
    answer = await s.pipe.press(s.vera, picker, ru.label("responsibility"))
    assert (answer.text, answer.show_alert) == (ru.t("kudos.not_yours"), True)
    assert s.pipe.current(picker).labels() == labels
    assert await s.total() == 0


async def test_a_picked_quality_turns_the_picker_into_the_card(squad: Squad) -> None:
    s = squad
    message = await s.pipe.send(s.anna, "Собрала отчёт", chat=s.group)
    [picker] = await s.say(s.boris, "/kudos спасибо за отчёт", message)
    answer = await s.pipe.press(s.boris, picker, ru.label("responsibility"))
    assert not answer.show_alert
    now = s.pipe.current(picker)
    assert now.text == card("Борис", "Анна", "спасибо за отчёт", RESPONSIBILITY) + left(4)
    assert now.labels() == [UNDO, FIX]
    assert await s.total() == 1


async def test_more_pages_through_the_rest_in_place(squad: Squad) -> None:
    s = squad
    [picker] = await s.say(s.boris, "/kudos @anna_k за помощь")
    first = picker.labels()
    await s.pipe.press(s.boris, picker, MORE)
    second = s.pipe.current(picker).labels()
    assert second != first
    assert not set(second) - {MORE, CANCEL} & set(first) - {MORE, CANCEL}
    assert len(s.pipe.in_chat(s.group.id)) == 2  # the greeting and the one picker


async def test_a_quality_from_a_later_page_is_recorded(squad: Squad) -> None:
    s = squad
    [picker] = await s.say(s.boris, "/kudos @anna_k за помощь")
    team = await s.team()
    portrait = await s.teams.portrait(team)
    last = portrait[-1]
    await s.choose(s.boris, picker, last.button(ru.code))
    now = s.pipe.current(picker)
    assert now.text == card("Борис", "Анна", "за помощь", last.name(ru.code)) + left(4)


async def test_the_picker_can_be_cancelled(squad: Squad) -> None:
    s = squad
    [picker] = await s.say(s.boris, "/kudos @vera_v за подмену")
    answer = await s.pipe.press(s.boris, picker, CANCEL)
    assert not answer.show_alert
    now = s.pipe.current(picker)
    assert (now.text, now.labels()) == (ru("kudos.cancelled"), [])
    await s.pipe.drain()
    assert await s.total() == 0
    assert s.pipe.in_chat(s.vera.id)[-1].text.startswith(
        ru("teams.joined_private", title="Поддержка")
    )


async def test_self_kudos_is_refused(squad: Squad) -> None:
    s = squad
    said = await s.say(s.boris, "/kudos @boris_b за себя любимого #терпение")
    assert [m.text for m in said] == [ru("kudos.self")]
    assert await s.total() == 0


async def test_a_too_short_reason_is_refused(squad: Squad) -> None:
    s = squad
    said = await s.say(s.boris, "/kudos @anna_k ок #терпение")
    assert [m.text for m in said] == [ru("kudos.reason_short", n=3)]
    assert await s.total() == 0


async def test_an_unknown_tag_names_close_ones(squad: Squad) -> None:
    s = squad
    said = await s.say(s.boris, "/kudos @anna_k за помощь #терпени")
    assert len(said) == 1
    assert said[0].text.startswith(ru.prefix("kudos.unknown_tag") + "терпени")
    assert said[0].text.endswith(ru("kudos.pick_quality", names="Анна"))  # the picker follows
    assert await s.total() == 0


async def test_the_daily_budget_runs_out(squad: Squad) -> None:
    s = squad
    for n in range(5):
        said = await s.say(s.boris, f"/kudos @anna_k за тикет номер {n} #терпение")
        assert said[0].text.endswith(left(4 - n)), n
    said = await s.say(s.boris, "/kudos @anna_k за шестой тикет #терпение")
    assert [m.text for m in said] == [ru("kudos.budget", left=0, budget=5)]
    assert await s.total() == 5


async def test_the_budget_resets_at_midnight_team_time(squad: Squad) -> None:
    from datetime import timedelta

    s = squad
    for n in range(5):
        await s.say(s.boris, f"/kudos @anna_k за тикет номер {n} #терпение")
    s.pipe.clock.advance(timedelta(days=1))
    said = await s.say(s.boris, "/kudos @anna_k за новый день #терпение")
    assert said[0].text.endswith(left(4))


async def test_the_same_thanks_is_not_recorded_twice(squad: Squad) -> None:
    s = squad
    await s.say(s.boris, "/kudos @anna_k за отчёт #терпение")
    said = await s.say(s.boris, "/kudos @anna_k за отчёт #терпение")
    assert [m.text for m in said] == [ru("kudos.duplicate")]
    assert await s.total() == 1


async def test_a_colleague_outside_the_team_is_offered_the_join_link(squad: Squad) -> None:
    s = squad
    said = await s.say(s.boris, "/kudos @gleb_g за помощь #терпение")
    assert len(said) == 1
    assert said[0].labels() == [ru.t("teams.join")]
    assert await s.total() == 0


async def test_the_giver_can_undo_within_ten_minutes(squad: Squad) -> None:
    s = squad
    [announcement] = await s.say(s.boris, "/kudos @anna_k за отчёт #терпение")
    answer = await s.pipe.press(s.vera, announcement, UNDO)
    assert answer.show_alert  # only the giver
    assert await s.total() == 1
    answer = await s.pipe.press(s.boris, announcement, UNDO)
    assert not answer.show_alert
    assert await s.total() == 0
    assert s.pipe.current(announcement).labels() == []
