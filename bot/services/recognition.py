"""Team events that happen once per period: employee of the month (the 1st, 10:00 team time),
birthday greetings (the day, 10:00), the weekly digest (Monday, 10:00).

The job runs every few minutes; for each team it decides in the team's time zone what is
due today, and claims (team, kind, period) and queues its messages in the delivery ledger
in one transaction. A claim is permanent and the ledger sends each row until Telegram
accepts it, so an event happens exactly once, across restarts and processes; a run after
downtime catches up what is due the same day. Texts are rendered when sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.deliveries import PRIORITY_PERSONAL, PRIORITY_TEAM, Ledger
from bot.services.kudos import KudosService
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


KIND_MONTH = "team.month"
KIND_MONTH_DM = "team.month_dm"
KIND_BIRTHDAY = "team.birthday"
KIND_DIGEST = "team.digest"

#: a message of an event: (ledger key, kind, chat id, user id of a personal one, reachable)
Row = tuple[str, str, int, int | None, bool]


def birthday_keys(day: date) -> list[str]:
    """MM-DD keys greeted on ``day`` (29 February is greeted on the 28th in other years)."""
    keys = [day.strftime("%m-%d")]
    leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
    if day.month == 2 and day.day == 28 and not leap:
        keys.append("02-29")
    return keys


class RecognitionService:
    def __init__(
        self, db: Database, teams: TeamsService, kudos: KudosService, clock: Clock, ledger: Ledger
    ) -> None:
        self._ledger = ledger
        self._db = db
        self._teams = teams
        self._kudos = kudos
        self._clock = clock

    async def run(self) -> list[str]:
        """Queue whatever is due now in every team; returns what was done (logs and tests)."""
        done: list[str] = []
        for team in await self._teams.active_teams():
            try:
                done.extend(await self._run_team(team))
            except Exception:
                log.exception("team events failed for team %s", team.id)
        return done

    async def _run_team(self, team: Team) -> list[str]:
        local = self._clock.now().astimezone(ZoneInfo(team.timezone))
        if local.time() < EVENT_TIME:
            return []
        today = local.date()
        done: list[str] = []
        if today.day == 1:
            done.extend(await self._month(team, today))
        if team.birthdays:
            done.extend(await self._birthdays(team, today))
        if team.digest and today.weekday() == 0:
            done.extend(await self._digest(team, today))
        return done

    async def _month(self, team: Team, today: date) -> list[str]:
        """Employee of the month for the month that ended yesterday."""
        month = (today - timedelta(days=1)).replace(day=1)
        period = month.strftime("%Y-%m")
        winners = await self._kudos.month_winners(team, month.year, month.month)
        if not winners:
            return []
        people = await self._teams.members_by_id(team, [w.user_id for w in winners])
        when = {"team": team.id, "year": month.year, "month": month.month}
        rows: list[Row] = [(f"month:{team.id}:{period}", KIND_MONTH, team.chat_id, None, True)]
        rows += [
            (
                f"month-dm:{team.id}:{period}:{w.user_id}",
                KIND_MONTH_DM,
                w.user_id,
                w.user_id,
                w.user_id in people and people[w.user_id].reachable,
            )
            for w in winners
        ]
        if await self._claim_and_queue(team, "month", period, rows, when):
            return [f"month:{team.id}:{period}"]
        return []

    async def _birthdays(self, team: Team, today: date) -> list[str]:
        async with self._db.read() as conn:
            people_today = []
            for key in birthday_keys(today):
                people_today.extend(await teams_repo.birthdays_on(conn, team.id, key))
        done: list[str] = []
        for member in people_today:
            period = f"{today.year}:{member.user_id}"
            row: Row = (f"birthday:{team.id}:{period}", KIND_BIRTHDAY, team.chat_id, None, True)
            payload: dict[str, Any] = {"team": team.id, "user": member.user_id}
            if await self._claim_and_queue(team, "birthday", period, [row], payload):
                done.append(f"birthday:{team.id}:{member.user_id}")
        return done

    async def _digest(self, team: Team, today: date) -> list[str]:
        """The weekly digest on Monday, of the seven days before."""
        iso = today.isocalendar()
        period = f"{iso.year}-W{iso.week:02d}"
        until = datetime.combine(today, time(0), ZoneInfo(team.timezone))
        since = until - timedelta(days=7)
        payload = {"team": team.id, "since": since.isoformat(), "until": until.isoformat()}
        row: Row = (f"digest:{team.id}:{period}", KIND_DIGEST, team.chat_id, None, True)
        if await self._claim_and_queue(team, "digest", period, [row], payload):
            return [f"digest:{team.id}:{period}"]
        return []

    async def _claim_and_queue(
        self,
        team: Team,
        kind: str,
        period: str,
        rows: list[Row],
        payload: dict[str, Any],
    ) -> bool:
        """Claim the event and queue its messages in one transaction (False: done before)."""
        async with self._db.transaction() as conn:
            if not await teams_repo.claim_event(conn, team.id, kind, period, self._clock.now()):
                return False
            for key, row_kind, chat_id, user_id, reachable in rows:
                await self._ledger.add(
                    conn,
                    key=key,
                    kind=row_kind,
                    chat_id=chat_id,
                    user_id=user_id,
                    payload=payload,
                    priority=PRIORITY_PERSONAL if user_id else PRIORITY_TEAM,
                    reachable=reachable,
                )
        return True

    async def digest(self, team: Team, since: datetime, until: datetime) -> Digest:
        total, qualities, newcomer_ids = await self._kudos.digest(team, since, until)
        members = await self._teams.members_by_id(team, newcomer_ids)
        newcomers = [members[i] for i in newcomer_ids if i in members]
        return Digest(since, until, total, qualities, newcomers)
