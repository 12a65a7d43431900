"""Team events that happen once per period: employee of the month (the 1st, 10:00 team time),
birthday greetings (the day, 10:00), the weekly digest (Monday, 10:00).

The job runs every few minutes; for each team it decides in the team's time zone what is
due today, claims (team, kind, period) in the database, and only then announces. A claim
is permanent, so an event happens exactly once, across restarts and processes; a run after
downtime catches up what is due the same day.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.kudos import KudosService, Winner
from bot.services.teams import Member, Team, TeamsService
from storage.database import Database
from storage.repo import teams as teams_repo
from storage.repo.kudos import Count

log = logging.getLogger(__name__)

EVENT_TIME = time(10, 0)


@dataclass(frozen=True, slots=True)
class Digest:
    since: datetime
    until: datetime
    total: int
    qualities: list[Count]
    newcomers: list[Member]


class RecognitionNotifier(Protocol):
    """Delivers team events to Telegram (implemented in ``handlers``)."""

    async def employee_of_month(self, team: Team, month: date, winners: list[Winner]) -> None: ...

    async def birthday(self, team: Team, member: Member) -> None: ...

    async def digest(self, team: Team, digest: Digest) -> None: ...


def birthday_keys(day: date) -> list[str]:
    """MM-DD keys greeted on ``day`` (29 February is greeted on the 28th in other years)."""
    keys = [day.strftime("%m-%d")]
    leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
    if day.month == 2 and day.day == 28 and not leap:
        keys.append("02-29")
    return keys


class RecognitionService:
    def __init__(
        self, db: Database, teams: TeamsService, kudos: KudosService, clock: Clock
    ) -> None:
        self._db = db
        self._teams = teams
        self._kudos = kudos
        self._clock = clock

    async def run(self, notifier: RecognitionNotifier) -> list[str]:
        """Do whatever is due now in every team; returns what was done (for logs and tests)."""
        done: list[str] = []
        for team in await self._teams.active_teams():
            try:
                done.extend(await self._run_team(team, notifier))
            except Exception:
                log.exception("team events failed for team %s", team.id)
        return done

    async def _run_team(self, team: Team, notifier: RecognitionNotifier) -> list[str]:
        now = self._clock.now()
        local = now.astimezone(ZoneInfo(team.timezone))
        if local.time() < EVENT_TIME:
            return []
        today = local.date()
        done: list[str] = []
        if today.day == 1:
            last = today - timedelta(days=1)
            month = last.replace(day=1)
            period = month.strftime("%Y-%m")
            if await self._claim(team, "month", period):
                winners = await self._kudos.month_winners(team, month.year, month.month)
                if winners:
                    await self._deliver(
                        team, "month", period, notifier.employee_of_month(team, month, winners)
                    )
                    done.append(f"month:{team.id}:{period}")
        if team.birthdays:
            async with self._db.transaction() as conn:
                people = []
                for key in birthday_keys(today):
                    people.extend(await teams_repo.birthdays_on(conn, team.id, key))
            for member in people:
                period = f"{today.year}:{member.user_id}"
                if await self._claim(team, "birthday", period):
                    await self._deliver(team, "birthday", period, notifier.birthday(team, member))
                    done.append(f"birthday:{team.id}:{member.user_id}")
        if team.digest and today.weekday() == 0:
            iso = today.isocalendar()
            period = f"{iso.year}-W{iso.week:02d}"
            if await self._claim(team, "digest", period):
                tz = ZoneInfo(team.timezone)
                until = datetime.combine(today, time(0), tz)
                since = until - timedelta(days=7)
                total, qualities, newcomer_ids = await self._kudos.digest(team, since, until)
                members = {m.user_id: m for m in await self._teams.members(team)}
                newcomers = [members[i] for i in newcomer_ids if i in members]
                digest = Digest(since, until, total, qualities, newcomers)
                await self._deliver(team, "digest", period, notifier.digest(team, digest))
                done.append(f"digest:{team.id}:{period}")
        return done

    async def _claim(self, team: Team, kind: str, period: str) -> bool:
        async with self._db.transaction() as conn:
            return await teams_repo.claim_event(conn, team.id, kind, period, self._clock.now())

    async def _deliver(self, team: Team, kind: str, period: str, sending: Awaitable[None]) -> None:
        """Await the notifier; an error releases the claim so a later run retries."""
        try:
            await sending
        except Exception:
            async with self._db.transaction() as conn:
                await teams_repo.release_event(conn, team.id, kind, period)
            raise
