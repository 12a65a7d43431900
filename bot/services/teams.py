"""Teams and the team portrait.

A team is a group chat the bot was added to; members join by a button or a deep link; a user
may be in several teams and picks the current one in private. The portrait is the team's
chosen qualities: catalogue qualities switched on or off, plus the team's own skills.
Everything is scoped per team. Unit of work: one transaction per public method.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from weakref import WeakValueDictionary

from cachetools import TTLCache

from bot.clock import Clock
from bot.services.errors import DomainError, NotFound
from bot.services.timezones import TimeZones, ZoneOffer
from bot.services.users import Person
from content import Content
from storage.database import Database
from storage.repo import kudos as kudos_repo
from storage.repo import reviews as reviews_repo
from storage.repo import teams as repo
from storage.repo import users as users_repo
from storage.repo.teams import MemberRow, PortraitRow, TeamRow

#: New teams start with these categories switched on (motivation is personal, not a portrait).
DEFAULT_CATEGORIES = ("values", "personal", "skills")
CUSTOM_PREFIX = "c_"
MAX_CUSTOM = 30
NAME_LIMITS = (2, 40)
MEANING_LIMITS = (3, 300)
BUDGET_LIMITS = (1, 50)
PORTRAIT_CACHE_SECONDS = 30.0
#: portraits of this many teams at most are kept (the least recently cached go first)
PORTRAIT_CACHE_SIZE = 2_000

Team = TeamRow
Member = MemberRow


@dataclass(frozen=True, slots=True)
class PortraitQuality:
    id: str
    category: str
    name_ru: str
    name_en: str
    meaning_ru: str
    meaning_en: str
    enabled: bool
    custom: bool
    #: a shorter text for buttons (the catalogue's long names), else the name
    label_ru: str = ""
    label_en: str = ""

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_ru

    def button(self, locale: str) -> str:
        label = self.label_en if locale == "en" else self.label_ru
        return label or self.name(locale)

    def meaning(self, locale: str) -> str:
        return self.meaning_en if locale == "en" else self.meaning_ru


def _name_words(text: str | None) -> list[str]:
    return (text or "").casefold().replace("ё", "е").replace("-", " ").split()


def match_members(query: str, members: list[Member]) -> list[Member]:
    """The members a typed name means: every word of ``query`` is a word of their first or
    last name (case and ё/е do not matter: «анна», «Кузнецова», «Анна Кузнецова»), or the
    query is their username (with or without ``@``)."""
    wanted = _name_words(query.strip().lstrip("@"))
    if not wanted:
        return []
    found = []
    for m in members:
        words = _name_words(m.first_name) + _name_words(m.last_name)
        by_name = all(w in words for w in wanted)
        by_username = len(wanted) == 1 and (m.username or "").casefold() == wanted[0]
        if by_name or by_username:
            found.append(m)
    return found


class TeamsService:
    def __init__(self, db: Database, content: Content, clock: Clock, default_timezone: str) -> None:
        self._db = db
        self._content = content
        self._clock = clock
        self._default_timezone = default_timezone
        self._zones = TimeZones(content.timezones)
        # portraits are read on every kudos and change rarely: cached briefly (bounded in size
        # and age), dropped on change; a team's lock lives only while someone holds or awaits it
        self._portraits: TTLCache[int, list[PortraitQuality]] = TTLCache(
            PORTRAIT_CACHE_SIZE, PORTRAIT_CACHE_SECONDS, timer=time.monotonic
        )
        self._portrait_locks: WeakValueDictionary[int, asyncio.Lock] = WeakValueDictionary()

    # --- the team's life ------------------------------------------------------------------

    async def bot_added(self, chat_id: int, title: str, locale: str = "ru") -> tuple[Team, bool]:
        """Create the team of a group (or bring back one the bot was removed from).

        ``locale`` (the language of whoever added the bot) becomes the chat's language.
        Returns the team and whether it is new.
        """
        now = self._clock.now()
        async with self._db.transaction() as conn:
            team = await repo.by_chat(conn, chat_id)
            if team is not None:
                await repo.update_team(conn, team.id, bot_present=1, title=title[:256])
                return (await repo.by_id(conn, team.id)) or team, False
            team = await repo.create(
                conn,
                chat_id=chat_id,
                title=title[:256],
                timezone=self._default_timezone,
                locale=locale,
                join_code=secrets.token_urlsafe(9)[:12].replace("-", "x").replace("_", "y"),
                now=now,
            )
            await repo.add_portrait(
                conn,
                team.id,
                [
                    PortraitRow(q.id, q.category in DEFAULT_CATEGORIES, None, None)
                    for q in self._content.qualities
                ],
            )
            return team, True

    async def bot_removed(self, chat_id: int) -> None:
        """The bot left or was removed: the team and its history stay."""
        async with self._db.transaction() as conn:
            team = await repo.by_chat(conn, chat_id)
            if team is not None:
                await repo.update_team(conn, team.id, bot_present=0)

    async def migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: same team, new chat id."""
        async with self._db.transaction() as conn:
            team = await repo.by_chat(conn, old_chat_id)
            if team is not None and await repo.by_chat(conn, new_chat_id) is None:
                await repo.update_team(conn, team.id, chat_id=new_chat_id)

    async def by_chat(self, chat_id: int) -> Team | None:
        async with self._db.read() as conn:
            return await repo.by_chat(conn, chat_id)

    async def by_id(self, team_id: int) -> Team:
        async with self._db.read() as conn:
            team = await repo.by_id(conn, team_id)
        if team is None:
            raise NotFound()
        return team

    async def by_code(self, code: str) -> Team | None:
        async with self._db.read() as conn:
            return await repo.by_code(conn, code)

    async def active_teams(self) -> list[Team]:
        async with self._db.read() as conn:
            return await repo.all_active(conn)

    # --- members --------------------------------------------------------------------------

    async def join(self, team: Team, person: Person) -> bool:
        """Add ``person`` to ``team``; True if they were not a member. The joined team
        becomes their current one."""
        now = self._clock.now()
        async with self._db.transaction() as conn:
            await users_repo.remember(
                conn,
                user_id=person.id,
                first_name=person.first_name,
                last_name=person.last_name,
                username=person.username,
                language_code=person.language_code,
                now=now,
            )
            new = await repo.join(conn, team.id, person.id, now)
            await repo.set_profile(conn, person.id, current_team_id=team.id)
            # the weekly review follows the team joined last
            await reviews_repo.enroll(conn, person.id, team.id, now)
        return new

    async def leave(self, team: Team, user_id: int) -> bool:
        async with self._db.transaction() as conn:
            now = self._clock.now()
            left = await repo.leave(conn, team.id, user_id, now)
            current, _ = await repo.profile(conn, user_id)
            if current == team.id:
                await repo.set_profile(conn, user_id, current_team_id=None)
            # the review schedule moves to a team they are still in, or goes
            others = [t for t in await repo.teams_of(conn, user_id) if t.id != team.id]
            await reviews_repo.follow_team(
                conn, user_id, team.id, others[0].id if others else None, now
            )
        return left

    async def member(self, team: Team, user_id: int) -> Member | None:
        async with self._db.read() as conn:
            return await repo.member(conn, team.id, user_id)

    async def member_by_username(self, team: Team, username: str) -> Member | None:
        async with self._db.read() as conn:
            return await repo.member_by_username(conn, team.id, username.lstrip("@"))

    async def members_by_id(self, team: Team, user_ids: list[int]) -> dict[int, Member]:
        """Current members among ``user_ids``, in one query."""
        async with self._db.read() as conn:
            return {m.user_id: m for m in await repo.members_by_id(conn, team.id, user_ids)}

    async def members(self, team: Team) -> list[Member]:
        async with self._db.read() as conn:
            return await repo.members(conn, team.id)

    async def teams_of(self, user_id: int) -> list[Team]:
        async with self._db.read() as conn:
            return await repo.teams_of(conn, user_id)

    async def current_team(self, user_id: int) -> Team | None:
        """The team chosen in private; if none (or left), the first team the user is in."""
        async with self._db.read() as conn:
            current, _ = await repo.profile(conn, user_id)
            mine = await repo.teams_of(conn, user_id)
        for team in mine:
            if team.id == current:
                return team
        return mine[0] if mine else None

    async def set_current(self, user_id: int, team_id: int) -> Team:
        async with self._db.transaction() as conn:
            if await repo.member(conn, team_id, user_id) is None:
                raise NotFound()
            await repo.set_profile(conn, user_id, current_team_id=team_id)
            await reviews_repo.enroll(conn, user_id, team_id, self._clock.now())
            team = await repo.by_id(conn, team_id)
        assert team is not None
        return team

    async def set_promoted(self, team: Team, user_id: int, promoted: bool) -> None:
        async with self._db.transaction() as conn:
            if not await repo.set_promoted(conn, team.id, user_id, promoted):
                raise DomainError("teams.not_member")

    async def set_birthday(self, user_id: int, day: str | None) -> None:
        """``day`` as MM-DD, or None to stop the greetings."""
        async with self._db.transaction() as conn:
            await repo.set_profile(conn, user_id, birthday=day)

    # --- portrait -------------------------------------------------------------------------

    async def portrait(self, team: Team) -> list[PortraitQuality]:
        """Catalogue order first (by category), then the team's own skills.

        Cached for PORTRAIT_CACHE_SECONDS (so another process's change shows within that
        time); this process's own changes drop the cache at once.
        """
        cached = self._portraits.get(team.id)
        if cached is not None:
            return cached
        lock = self._portrait_locks.get(team.id)
        if lock is None:
            lock = self._portrait_locks[team.id] = asyncio.Lock()
        async with lock:  # one load for a burst of requests
            cached = self._portraits.get(team.id)
            if cached is not None:
                return cached
            result = await self._load_portrait(team)
            self._portraits[team.id] = result
        return result

    async def _load_portrait(self, team: Team) -> list[PortraitQuality]:
        async with self._db.read() as conn:
            rows = {r.quality_id: r for r in await repo.portrait(conn, team.id)}
        result: list[PortraitQuality] = []
        for q in self._content.qualities:
            row = rows.get(q.id)
            enabled = row.enabled if row else q.category in DEFAULT_CATEGORIES
            result.append(
                PortraitQuality(
                    q.id,
                    q.category,
                    q.name.ru,
                    q.name.en,
                    q.meaning.ru,
                    q.meaning.en,
                    enabled,
                    False,
                    q.button("ru"),
                    q.button("en"),
                )
            )
        customs = sorted(
            (r for r in rows.values() if r.quality_id.startswith(CUSTOM_PREFIX)),
            key=lambda r: int(r.quality_id.removeprefix(CUSTOM_PREFIX)),
        )
        for r in customs:
            name, meaning = r.custom_name or r.quality_id, r.custom_meaning or ""
            result.append(
                PortraitQuality(
                    r.quality_id, "skills", name, name, meaning, meaning, r.enabled, True
                )
            )
        return result

    async def enabled_qualities(self, team: Team) -> list[PortraitQuality]:
        return [q for q in await self.portrait(team) if q.enabled]

    async def quality(self, team: Team, quality_id: str) -> PortraitQuality | None:
        return next((q for q in await self.portrait(team) if q.id == quality_id), None)

    async def toggle(self, team: Team, quality_id: str) -> PortraitQuality:
        current = await self.quality(team, quality_id)
        if current is None:
            raise NotFound()
        enabled = not current.enabled
        if not enabled and len(await self.enabled_qualities(team)) <= 1:
            raise DomainError("portrait.last_quality")
        async with self._db.transaction() as conn:
            await repo.set_quality(conn, team.id, quality_id, enabled)
        self._portraits.pop(team.id, None)
        updated = await self.quality(team, quality_id)
        assert updated is not None
        return updated

    async def add_custom(self, team: Team, name: str, meaning: str) -> PortraitQuality:
        name, meaning = " ".join(name.split()), " ".join(meaning.split())
        if not NAME_LIMITS[0] <= len(name) <= NAME_LIMITS[1]:
            raise DomainError("portrait.bad_name", low=NAME_LIMITS[0], high=NAME_LIMITS[1])
        if not MEANING_LIMITS[0] <= len(meaning) <= MEANING_LIMITS[1]:
            raise DomainError("portrait.bad_meaning", low=MEANING_LIMITS[0], high=MEANING_LIMITS[1])
        existing = await self.portrait(team)
        if any(
            q.name_ru.casefold() == name.casefold() or q.name_en.casefold() == name.casefold()
            for q in existing
        ):
            raise DomainError("portrait.duplicate")
        customs = [q for q in existing if q.custom]
        if len(customs) >= MAX_CUSTOM:
            raise DomainError("portrait.too_many", n=MAX_CUSTOM)
        async with self._db.transaction() as conn:
            # numbers are never reused: old kudos keep naming the skill they were given for
            used = await kudos_repo.max_custom_number(conn, team.id, CUSTOM_PREFIX)
            number = max([used, *(int(q.id.removeprefix(CUSTOM_PREFIX)) for q in customs)]) + 1
            quality_id = f"{CUSTOM_PREFIX}{number}"
            await repo.add_portrait(conn, team.id, [PortraitRow(quality_id, True, name, meaning)])
        self._portraits.pop(team.id, None)
        added = await self.quality(team, quality_id)
        assert added is not None
        return added

    async def remove_custom(self, team: Team, quality_id: str) -> None:
        if not quality_id.startswith(CUSTOM_PREFIX):
            raise NotFound()
        async with self._db.transaction() as conn:
            if not await repo.delete_quality(conn, team.id, quality_id):
                raise NotFound()
        self._portraits.pop(team.id, None)

    # --- settings ---------------------------------------------------------------------------

    async def set_timezone(self, team: Team, name: str) -> Team:
        """Set the zone named by a city (``content/timezones.toml``) or an IANA name."""
        zone = self._zones.resolve(name)
        if zone is None:
            raise DomainError("settings.bad_timezone", value=name.strip())
        changed = await self._update(team, timezone=zone)
        async with self._db.transaction() as conn:  # reminders move to the new zone
            await reviews_repo.recompute_team(conn, team.id)
        return changed

    def resolve_zone(self, name: str) -> str | None:
        """The IANA zone a typed city or zone name stands for, or None."""
        return self._zones.resolve(name)

    def timezone_offers(self, locale: str) -> list[ZoneOffer]:
        """The zones the time-zone question offers as buttons, with their offsets now."""
        return self._zones.offers(locale, self._clock.now())

    async def set_budget(self, team: Team, budget: int) -> Team:
        if not BUDGET_LIMITS[0] <= budget <= BUDGET_LIMITS[1]:
            raise DomainError("settings.bad_budget", low=BUDGET_LIMITS[0], high=BUDGET_LIMITS[1])
        return await self._update(team, kudos_budget=budget)

    async def set_flag(self, team: Team, flag: str, value: bool) -> Team:
        if flag not in ("announce", "birthdays", "digest"):
            raise NotFound()
        return await self._update(team, **{flag: int(value)})

    async def _update(self, team: Team, **values: object) -> Team:
        async with self._db.transaction() as conn:
            await repo.update_team(conn, team.id, **values)
            updated = await repo.by_id(conn, team.id)
        assert updated is not None
        return updated
