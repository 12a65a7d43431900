"""Teams at the edges users hit (issue: teams and kudos as a team would want them)."""

from __future__ import annotations

from tests.e2e.conftest import Starter
from tests.e2e.test_forged import ru
from tests.e2e.test_teams import labels, message_in, started, team_with_group, teams_of
from tests.fakebot import FakeTelegram


async def test_the_budget_value_between_minus_and_plus_changes_nothing(
    tg: FakeTelegram, start_bot: Starter
) -> None:
    running = await start_bot()
    texts = ru(running).get("ru")
    lead = tg.user("Олег", language_code="ru")
    await started(tg, lead)
    group, team, _ = await team_with_group(tg, running, "Поддержка", [], [lead])
    lead.send("/settings", chat=group)
    panel = await tg.next_bot_message(group)
    value = texts.t("settings.budget", n=team.kudos_budget)
    row = labels(panel)
    assert row[row.index(value) - 1 : row.index(value) + 2] == ["➖", value, "➕"]

    answer = await lead.press(panel, value)
    assert answer.text == value  # it says the value
    assert (await teams_of(running).by_id(team.id)).kudos_budget == team.kudos_budget
    assert message_in(tg, group, panel).text == panel.text

    await lead.press(panel, "➕")
    assert (await teams_of(running).by_id(team.id)).kudos_budget == team.kudos_budget + 1
