"""TeamsService over a real SQLite database: the team's life, members, portrait, settings."""

from __future__ import annotations

import pytest

from bot.services.deliveries import Ledger
from bot.services.errors import DomainError, NotFound
from bot.services.kudos import KudosService, Period
from bot.services.teams import Team, TeamsService
from bot.services.users import Person
from content import Content
from storage.database import Database
from tests.clock import FakeClock

DEFAULT_TZ = "Asia/Yekaterinburg"  # not the settings' default: the service must use its own
CHAT = -1001
OTHER_CHAT = -1002

ANNA = Person(1, "Anna", "Ivanova", "anna_iv", "ru")
BORIS = Person(2, "Boris", None, "Boris_K", "en")
VERA = Person(3, "Vera")


@pytest.fixture
def teams(db: Database, content: Content, clock: FakeClock) -> TeamsService:
    return TeamsService(db, content, clock, DEFAULT_TZ)


@pytest.fixture
async def team(teams: TeamsService) -> Team:
    team, _ = await teams.bot_added(CHAT, "Support")
    return team


@pytest.fixture
async def other(teams: TeamsService) -> Team:
    team, _ = await teams.bot_added(OTHER_CHAT, "Another team")
    return team


def default_ids(content: Content) -> set[str]:
    return {q.id for q in content.qualities if q.category in ("values", "personal", "skills")}


async def enabled_ids(teams: TeamsService, team: Team) -> set[str]:
    return {q.id for q in await teams.enabled_qualities(team)}


# --- the team's life --------------------------------------------------------------------------


async def test_bot_added_creates_team_with_defaults(teams: TeamsService, content: Content) -> None:
    team, new = await teams.bot_added(CHAT, "Support")

    assert new is True
    assert team.chat_id == CHAT
    assert team.title == "Support"
    assert team.timezone == DEFAULT_TZ
    assert team.kudos_budget == 5
    assert (team.announce, team.birthdays, team.digest, team.bot_present) == (
        True,
        True,
        True,
        True,
    )
    assert team.join_code
    assert await teams.by_code(team.join_code) == team
    assert await teams.by_chat(CHAT) == team
    assert await teams.by_id(team.id) == team
    assert await teams.active_teams() == [team]


async def test_default_portrait_has_motivation_off(teams: TeamsService, content: Content) -> None:
    team, _ = await teams.bot_added(CHAT, "Support")
    portrait = await teams.portrait(team)

    motivation = {q.id for q in content.qualities if q.category == "motivation"}
    assert motivation, "the catalogue has motivation qualities"
    assert [q.id for q in portrait] == [q.id for q in content.qualities]
    assert {q.id for q in portrait if q.enabled} == default_ids(content)
    assert not any(q.enabled for q in portrait if q.id in motivation)
    assert not any(q.custom for q in portrait)
    for category in ("values", "personal", "skills"):
        assert any(q.enabled and q.category == category for q in portrait)


async def test_join_codes_differ_between_teams(team: Team, other: Team) -> None:
    assert team.id != other.id
    assert team.join_code != other.join_code


async def test_bot_added_again_returns_the_same_team(teams: TeamsService, team: Team) -> None:
    await teams.join(team, ANNA)
    await teams.toggle(team, "career_growth")
    custom = await teams.add_custom(team, "Знание 1С", "Разбирается в конфигурациях")

    again, new = await teams.bot_added(CHAT, "Support (renamed)")

    assert new is False
    assert again.id == team.id
    assert again.join_code == team.join_code
    assert again.title == "Support (renamed)"
    assert again.bot_present is True
    assert await teams.member(again, ANNA.id) is not None
    assert await teams.quality(again, custom.id) == custom
    career = await teams.quality(again, "career_growth")
    assert career is not None
    assert career.enabled is True  # the portrait was not reset
    assert len(await teams.active_teams()) == 1


async def test_bot_removed_keeps_data_and_readding_brings_it_back(
    teams: TeamsService, team: Team
) -> None:
    await teams.join(team, ANNA)
    await teams.set_budget(team, 7)

    await teams.bot_removed(CHAT)

    removed = await teams.by_chat(CHAT)
    assert removed is not None
    assert removed.id == team.id
    assert removed.bot_present is False
    assert removed.kudos_budget == 7
    assert await teams.active_teams() == []
    assert [m.user_id for m in await teams.members(removed)] == [ANNA.id]

    back, new = await teams.bot_added(CHAT, "Support")
    assert (back.id, new, back.bot_present, back.kudos_budget) == (team.id, False, True, 7)
    assert [t.id for t in await teams.active_teams()] == [team.id]


async def test_bot_removed_from_unknown_chat_does_nothing(teams: TeamsService, team: Team) -> None:
    await teams.bot_removed(-999)
    assert (await teams.by_id(team.id)).bot_present is True


async def test_migrated_moves_the_chat_id(teams: TeamsService, team: Team) -> None:
    await teams.join(team, ANNA)

    await teams.migrated(CHAT, -100777)

    assert await teams.by_chat(CHAT) is None
    moved = await teams.by_chat(-100777)
    assert moved is not None
    assert moved.id == team.id
    assert moved.join_code == team.join_code
    assert [m.user_id for m in await teams.members(moved)] == [ANNA.id]


async def test_migrated_does_not_overwrite_an_existing_team(
    teams: TeamsService, team: Team, other: Team
) -> None:
    await teams.migrated(CHAT, OTHER_CHAT)
    assert (await teams.by_chat(CHAT)) == team
    assert (await teams.by_chat(OTHER_CHAT)) == other


async def test_by_id_of_unknown_team_is_not_found(teams: TeamsService) -> None:
    with pytest.raises(NotFound):
        await teams.by_id(12345)


# --- members ------------------------------------------------------------------------------


async def test_join_leave_rejoin(teams: TeamsService, team: Team) -> None:
    assert await teams.join(team, ANNA) is True
    assert await teams.join(team, ANNA) is False  # already a member
    member = await teams.member(team, ANNA.id)
    assert member is not None
    assert (member.first_name, member.last_name, member.username) == ("Anna", "Ivanova", "anna_iv")
    assert member.reachable is False  # joined in the group, never started the bot

    assert await teams.leave(team, ANNA.id) is True
    assert await teams.leave(team, ANNA.id) is False
    assert await teams.member(team, ANNA.id) is None
    assert await teams.members(team) == []
    assert await teams.teams_of(ANNA.id) == []

    assert await teams.join(team, ANNA) is True
    assert [m.user_id for m in await teams.members(team)] == [ANNA.id]
    assert [t.id for t in await teams.teams_of(ANNA.id)] == [team.id]


async def test_join_updates_the_name(teams: TeamsService, team: Team) -> None:
    await teams.join(team, ANNA)
    await teams.join(team, Person(ANNA.id, "Anya", None, "anya"))
    member = await teams.member(team, ANNA.id)
    assert member is not None
    assert (member.first_name, member.username) == ("Anya", "anya")


async def test_members_are_listed_by_name(teams: TeamsService, team: Team) -> None:
    for person in (VERA, BORIS, ANNA):
        await teams.join(team, person)
    assert [m.first_name for m in await teams.members(team)] == ["Anna", "Boris", "Vera"]


async def test_teams_of_current_team_and_set_current(
    teams: TeamsService, team: Team, other: Team
) -> None:
    assert await teams.current_team(ANNA.id) is None

    await teams.join(team, ANNA)  # "Support"
    await teams.join(other, ANNA)  # "Another team": joined last, so current
    assert [t.id for t in await teams.teams_of(ANNA.id)] == [other.id, team.id]  # by title
    current = await teams.current_team(ANNA.id)
    assert current is not None
    assert current.id == other.id

    chosen = await teams.set_current(ANNA.id, team.id)
    assert chosen.id == team.id
    current = await teams.current_team(ANNA.id)
    assert current is not None
    assert current.id == team.id

    # leaving the current team falls back to one still joined
    await teams.leave(team, ANNA.id)
    current = await teams.current_team(ANNA.id)
    assert current is not None
    assert current.id == other.id

    with pytest.raises(NotFound):
        await teams.set_current(ANNA.id, team.id)  # left it
    with pytest.raises(NotFound):
        await teams.set_current(BORIS.id, other.id)  # never a member
    with pytest.raises(NotFound):
        await teams.set_current(ANNA.id, 9999)  # no such team


async def test_leave_keeps_kudos_history(
    teams: TeamsService, team: Team, db: Database, clock: FakeClock
) -> None:
    kudos = KudosService(db, teams, clock, Ledger(db, clock))
    await teams.join(team, ANNA)
    await teams.join(team, BORIS)
    given = await kudos.give(team, ANNA.id, [BORIS.id], "empathy", "выручил с клиентом")

    await teams.leave(team, BORIS.id)

    assert await kudos.get(given.kudos[0].id) == given.kudos[0]
    board = await kudos.board(team, Period.ALL)
    assert board.total == 1
    assert board.receivers == [(1, BORIS.id, 1)]
    mine = await kudos.mine(team, BORIS.id)
    assert (mine.received, mine.last_received[0].reason) == (1, "выручил с клиентом")


async def test_member_by_username_is_case_insensitive(
    teams: TeamsService, team: Team, other: Team
) -> None:
    await teams.join(team, ANNA)
    await teams.join(team, BORIS)
    await teams.join(other, VERA)

    found = await teams.member_by_username(team, "@boris_k")
    assert found is not None
    assert found.user_id == BORIS.id
    found = await teams.member_by_username(team, "ANNA_IV")
    assert found is not None
    assert found.user_id == ANNA.id
    assert await teams.member_by_username(team, "nobody") is None

    await teams.leave(team, BORIS.id)
    assert await teams.member_by_username(team, "boris_k") is None
    # a member of another team is not found here
    await teams.join(other, Person(4, "Gleb", None, "gleb"))
    assert await teams.member_by_username(team, "gleb") is None


async def test_set_promoted(teams: TeamsService, team: Team) -> None:
    await teams.join(team, ANNA)
    await teams.set_promoted(team, ANNA.id, True)
    member = await teams.member(team, ANNA.id)
    assert member is not None
    assert member.promoted is True
    with pytest.raises(DomainError) as refused:
        await teams.set_promoted(team, BORIS.id, True)
    assert refused.value.key == "teams.not_member"


# --- portrait -----------------------------------------------------------------------------


async def test_toggle_switches_a_quality(
    teams: TeamsService, team: Team, other: Team, content: Content
) -> None:
    switched = await teams.toggle(team, "career_growth")
    assert switched.enabled is True
    assert await enabled_ids(teams, team) == default_ids(content) | {"career_growth"}

    switched = await teams.toggle(team, "empathy")
    assert switched.enabled is False
    assert "empathy" not in await enabled_ids(teams, team)

    # another team's portrait is its own
    assert await enabled_ids(teams, other) == default_ids(content)

    with pytest.raises(NotFound):
        await teams.toggle(team, "no_such_quality")


async def test_toggle_cannot_switch_off_the_last_quality(teams: TeamsService, team: Team) -> None:
    enabled = [q.id for q in await teams.enabled_qualities(team)]
    keep = enabled[-1]
    for quality_id in enabled[:-1]:
        await teams.toggle(team, quality_id)
    assert await enabled_ids(teams, team) == {keep}

    with pytest.raises(DomainError) as refused:
        await teams.toggle(team, keep)
    assert refused.value.key == "portrait.last_quality"
    assert await enabled_ids(teams, team) == {keep}

    # a second quality switched on makes switching off possible again
    await teams.toggle(team, "career_growth")
    assert (await teams.toggle(team, keep)).enabled is False
    assert await enabled_ids(teams, team) == {"career_growth"}


async def test_add_custom_numbers_and_normalizes(
    teams: TeamsService, team: Team, content: Content
) -> None:
    first = await teams.add_custom(team, "  Знание   1С ", "  Разбирается в\n конфигурациях ")
    second = await teams.add_custom(team, "Английский", "Отвечает клиентам на английском")

    assert first.id == "c_1"
    assert second.id == "c_2"
    assert (first.name("ru"), first.name("en")) == ("Знание 1С", "Знание 1С")
    assert first.meaning("ru") == "Разбирается в конфигурациях"
    assert (first.custom, first.enabled, first.category) == (True, True, "skills")
    portrait = await teams.portrait(team)
    assert [q.id for q in portrait[-2:]] == ["c_1", "c_2"]
    assert await enabled_ids(teams, team) == default_ids(content) | {"c_1", "c_2"}


async def test_custom_ids_are_per_team(teams: TeamsService, team: Team, other: Team) -> None:
    await teams.add_custom(team, "Знание 1С", "Разбирается в конфигурациях")
    theirs = await teams.add_custom(other, "Знание 1С", "То же имя в другой команде")
    assert theirs.id == "c_1"
    assert theirs.meaning("ru") == "То же имя в другой команде"


@pytest.mark.parametrize(
    ("name", "meaning", "key"),
    [
        ("Я", "Нормальное описание", "portrait.bad_name"),
        ("   Я   ", "Нормальное описание", "portrait.bad_name"),
        ("Я" * 41, "Нормальное описание", "portrait.bad_name"),
        ("Имя", "ок", "portrait.bad_meaning"),
        ("Имя", "   о  ", "portrait.bad_meaning"),
        ("Имя", "м" * 301, "portrait.bad_meaning"),
    ],
)
async def test_add_custom_limits(
    teams: TeamsService, team: Team, name: str, meaning: str, key: str
) -> None:
    with pytest.raises(DomainError) as refused:
        await teams.add_custom(team, name, meaning)
    assert refused.value.key == key
    assert not any(q.custom for q in await teams.portrait(team))


async def test_add_custom_accepts_the_limits(teams: TeamsService, team: Team) -> None:
    short = await teams.add_custom(team, "1С", "м" * 300)
    long = await teams.add_custom(team, "Я" * 40, "abc")
    assert (short.name("ru"), len(short.meaning("ru"))) == ("1С", 300)
    assert (len(long.name("ru")), long.meaning("ru")) == (40, "abc")


@pytest.mark.parametrize(
    "name",
    [
        "эмпатия",  # a catalogue quality's Russian name, another case
        "EMPATHY",  # its English name
        "Карьерный рост",  # a quality switched off still has its name
        "knowledge of RELATED fields",
        "знание 1с",  # the team's own skill
    ],
)
async def test_add_custom_refuses_a_duplicate_name(
    teams: TeamsService, team: Team, name: str
) -> None:
    await teams.add_custom(team, "Знание 1С", "Разбирается в конфигурациях")
    with pytest.raises(DomainError) as refused:
        await teams.add_custom(team, name, "Другое описание")
    assert refused.value.key == "portrait.duplicate"
    assert [q.id for q in await teams.portrait(team) if q.custom] == ["c_1"]


async def test_add_custom_at_most_thirty(teams: TeamsService, team: Team) -> None:
    for n in range(1, 31):
        added = await teams.add_custom(team, f"Навык {n}", "Описание навыка")
        assert added.id == f"c_{n}"
    with pytest.raises(DomainError) as refused:
        await teams.add_custom(team, "Навык 31", "Описание навыка")
    assert refused.value.key == "portrait.too_many"
    assert refused.value.values == {"n": 30}
    customs = [q.id for q in await teams.portrait(team) if q.custom]
    assert customs == [f"c_{n}" for n in range(1, 31)]  # numeric order, not c_1, c_10, ...

    await teams.remove_custom(team, "c_5")
    assert (await teams.add_custom(team, "Навык 31", "Описание навыка")).id == "c_31"


async def test_custom_quality_can_be_toggled(teams: TeamsService, team: Team) -> None:
    await teams.add_custom(team, "Знание 1С", "Разбирается в конфигурациях")
    assert (await teams.toggle(team, "c_1")).enabled is False
    assert "c_1" not in await enabled_ids(teams, team)
    assert (await teams.toggle(team, "c_1")).enabled is True


async def test_remove_custom(teams: TeamsService, team: Team, other: Team) -> None:
    await teams.add_custom(team, "Знание 1С", "Разбирается в конфигурациях")
    await teams.add_custom(team, "Английский", "Отвечает клиентам на английском")
    await teams.add_custom(other, "Свой навык", "Навык другой команды")

    await teams.remove_custom(team, "c_1")

    assert await teams.quality(team, "c_1") is None
    assert [q.id for q in await teams.portrait(team) if q.custom] == ["c_2"]
    assert await teams.quality(other, "c_1") is not None  # the other team's c_1 stays


async def test_remove_custom_only_custom_and_only_own(
    teams: TeamsService, team: Team, other: Team
) -> None:
    await teams.add_custom(other, "Свой навык", "Навык другой команды")

    with pytest.raises(NotFound):
        await teams.remove_custom(team, "empathy")  # a catalogue quality
    with pytest.raises(NotFound):
        await teams.remove_custom(team, "c_1")  # the other team's custom id
    with pytest.raises(NotFound):
        await teams.remove_custom(team, "c_7")  # no such

    assert await teams.quality(other, "c_1") is not None
    empathy = await teams.quality(team, "empathy")
    assert empathy is not None
    assert empathy.enabled is True


# --- settings -----------------------------------------------------------------------------


async def test_set_timezone(teams: TeamsService, team: Team) -> None:
    updated = await teams.set_timezone(team, "  Asia/Vladivostok ")
    assert updated.timezone == "Asia/Vladivostok"
    assert (await teams.by_id(team.id)).timezone == "Asia/Vladivostok"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "   ", "../etc/passwd", "/etc/localtime"])
async def test_set_timezone_refuses_unknown(teams: TeamsService, team: Team, name: str) -> None:
    with pytest.raises(DomainError) as refused:
        await teams.set_timezone(team, name)
    assert refused.value.key == "settings.bad_timezone"
    assert refused.value.values == {"value": name.strip()}
    assert (await teams.by_id(team.id)).timezone == DEFAULT_TZ


async def test_set_timezone_refuses_a_region_without_a_city(
    teams: TeamsService, team: Team
) -> None:
    """A user typing just 'Europe' must get the polite 'unknown time zone' answer
    (zoneinfo raises IsADirectoryError for a tz database folder)."""
    with pytest.raises(DomainError) as refused:
        await teams.set_timezone(team, "Europe")
    assert refused.value.key == "settings.bad_timezone"
    assert (await teams.by_id(team.id)).timezone == DEFAULT_TZ


async def test_set_budget_limits(teams: TeamsService, team: Team) -> None:
    for bad in (0, -1, 51):
        with pytest.raises(DomainError) as refused:
            await teams.set_budget(team, bad)
        assert refused.value.key == "settings.bad_budget"
        assert refused.value.values == {"low": 1, "high": 50}
    assert (await teams.by_id(team.id)).kudos_budget == 5

    assert (await teams.set_budget(team, 1)).kudos_budget == 1
    assert (await teams.set_budget(team, 50)).kudos_budget == 50
    assert (await teams.by_id(team.id)).kudos_budget == 50


async def test_set_flag(teams: TeamsService, team: Team, other: Team) -> None:
    updated = await teams.set_flag(team, "announce", False)
    assert (updated.announce, updated.birthdays, updated.digest) == (False, True, True)
    updated = await teams.set_flag(updated, "birthdays", False)
    updated = await teams.set_flag(updated, "digest", False)
    stored = await teams.by_id(team.id)
    assert (stored.announce, stored.birthdays, stored.digest) == (False, False, False)
    assert (await teams.set_flag(stored, "digest", True)).digest is True

    untouched = await teams.by_id(other.id)
    assert (untouched.announce, untouched.birthdays, untouched.digest) == (True, True, True)

    with pytest.raises(NotFound):
        await teams.set_flag(team, "bot_present", False)
    assert (await teams.by_id(team.id)).bot_present is True
