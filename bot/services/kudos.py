"""Kudos: peer recognition tagged with a quality of the team's portrait.

Rules (all here, unit-tested without Telegram):
- the giver and every receiver are members of the team; nobody thanks themselves;
- the reason is 3-500 characters after trimming;
- the quality is one the team's portrait has switched on;
- each giver has a daily budget per team (team setting, default 5) that resets at midnight
  in the team's time zone; thanking several colleagues at once spends one per receiver,
  and all or none are recorded;
- the same giver, receiver and reason on one day is recorded once (Telegram redelivery,
  double taps): the repeat returns the existing kudos marked as a duplicate;
- the giver may undo a kudos, or change its quality, for 10 minutes; an undo takes back the
  whole batch (the kudos one command gave) and a change applies to the whole batch;
- the receiver's personal message, and the team chat's announcement of a kudos given in
  private, are ledger rows written in the same transaction as the kudos (``bot.services.
  deliveries``): an undo cancels the ones not sent yet and queues the withdrawal (an edit
  through the recorded message id) of the ones sent; a quality change queues their edit.
Unit of work: one transaction per public method.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.services.deliveries import PRIORITY_PERSONAL, PRIORITY_TEAM, Ledger, in_flight
from bot.services.errors import DomainError, NotFound
from bot.services.teams import Member, PortraitQuality, Team, TeamsService
from storage.database import Database
from storage.repo import kudos as repo
from storage.repo import teams as teams_repo
from storage.repo.kudos import Count, ExportPerson, KudosRow, ReasonRow

REASON_LIMITS = (3, 500)
UNDO_WINDOW = timedelta(minutes=10)

Kudos = KudosRow


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


KIND_DM = "kudos.dm"
KIND_ANNOUNCE = "kudos.announce"
KIND_EDIT = "kudos.edit"
#: removes a one-tap kudos prompt nobody used (payload ``message``: its id in ``chat_id``)
KIND_PROMPT = "kudos.prompt"
#: a one-tap kudos prompt in the team chat stays this long unless it is used first
PROMPT_LIFETIME = timedelta(minutes=1)


def dm_key(item: KudosRow) -> str:
    """Keyed by batch and receiver, never by the row id alone (SQLite reuses the id of a
    deleted last row, so an undone kudos's id comes back)."""
    return f"kudos-dm:{item.batch or f'id{item.id}'}:{item.receiver_id}"


def announce_key(batch: str) -> str:
    return f"kudos-ann:{batch}"


def prompt_key(chat_id: int, message_id: int) -> str:
    return f"kudos-prompt:{chat_id}:{message_id}"


@dataclass(frozen=True, slots=True)
class Given:
    kudos: list[Kudos]
    duplicates: list[Kudos]
    remaining: int
    budget: int
    batch: str | None = None
    #: the giver and the receivers, as checked in the transaction that recorded the kudos
    people: dict[int, Member] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Board:
    period: Period
    since: datetime | None
    total: int
    receivers: list[tuple[int, int, int]]  # (place, user_id, count); equal counts share a place
    qualities: list[Count]


@dataclass(frozen=True, slots=True)
class MyKudos:
    received: int
    given: int
    received_by_quality: list[Count]
    given_by_quality: list[Count]
    last_received: list[ReasonRow]
    has_more: bool


@dataclass(frozen=True, slots=True)
class Winner:
    user_id: int
    count: int
    qualities: list[Count]
    reasons: list[ReasonRow]


def normalize_reason(text: str) -> str:
    return " ".join(text.split())


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def period_start(period: Period, now: datetime, timezone: str) -> datetime | None:
    """Calendar windows in the team's time zone: this week since Monday, this month since
    the 1st, or everything."""
    if period is Period.ALL:
        return None
    tz = ZoneInfo(timezone)
    today = now.astimezone(tz).date()
    first = (
        today - timedelta(days=today.weekday()) if period is Period.WEEK else today.replace(day=1)
    )
    return datetime.combine(first, time(0), tz)


def month_bounds(year: int, month: int, timezone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(timezone)
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def dense_places(counts: list[Count]) -> list[tuple[int, int, int]]:
    """(place, id, count) with ties sharing a place: 5, 5, 3 -> places 1, 1, 2."""
    places: list[tuple[int, int, int]] = []
    place, previous = 0, None
    for entry in counts:
        if entry.count != previous:
            place += 1
            previous = entry.count
        places.append((place, int(entry.key or 0), entry.count))
    return places


class KudosService:
    def __init__(self, db: Database, teams: TeamsService, clock: Clock, ledger: Ledger) -> None:
        self._db = db
        self._teams = teams
        self._clock = clock
        self._ledger = ledger

    async def check_reason(self, reason: str) -> str:
        text = normalize_reason(reason)
        if len(text) < REASON_LIMITS[0]:
            raise DomainError("kudos.reason_short", n=REASON_LIMITS[0])
        if len(text) > REASON_LIMITS[1]:
            raise DomainError("kudos.reason_long", n=REASON_LIMITS[1], length=len(text))
        return text

    async def remaining(self, team: Team, giver_id: int) -> int:
        day = local_day(self._clock.now(), team.timezone).isoformat()
        async with self._db.read() as conn:
            used = await repo.given_on(conn, team.id, giver_id, day)
        return max(0, team.kudos_budget - used)

    async def check_receivers(self, team: Team, giver_id: int, receiver_ids: list[int]) -> None:
        """Refuse self-kudos and non-members before asking the giver anything else."""
        async with self._db.read() as conn:
            await _check_people(conn, team, giver_id, receiver_ids)

    async def give(
        self,
        team: Team,
        giver_id: int,
        receiver_ids: list[int],
        quality_id: str,
        reason: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> Given:
        text = await self.check_reason(reason)
        receivers = list(dict.fromkeys(receiver_ids))
        if not receivers:
            raise DomainError("kudos.no_receiver")
        quality = await self._teams.quality(team, quality_id)
        if quality is None or not quality.enabled:
            raise DomainError("kudos.bad_quality")
        now = self._clock.now()
        day = local_day(now, team.timezone).isoformat()
        async with self._db.transaction(replayable=True) as conn:
            people = await _check_people(conn, team, giver_id, receivers)
            keys = {r: _dedupe(giver_id, r, text, day) for r in receivers}
            duplicates = await repo.by_dedupes(conn, team.id, list(keys.values()))
            fresh = [r for r in receivers if r not in {d.receiver_id for d in duplicates}]
            used = await repo.given_on(conn, team.id, giver_id, day)
            left = team.kudos_budget - used
            if len(fresh) > left:
                raise DomainError("kudos.budget", budget=team.kudos_budget, left=max(left, 0))
            recorded: list[Kudos] = []
            batch = secrets.token_hex(6)
            for receiver_id in fresh:
                row = await repo.add(
                    conn,
                    team_id=team.id,
                    giver_id=giver_id,
                    receiver_id=receiver_id,
                    quality_id=quality.id,
                    reason=text,
                    now=now,
                    local_day=day,
                    dedupe=keys[receiver_id],
                    chat_id=chat_id,
                    message_id=message_id,
                    batch=batch,
                )
                if row is None:  # raced with a redelivery of the same update
                    found = await repo.by_dedupe(conn, team.id, keys[receiver_id])
                    if found is not None:
                        duplicates.append(found)
                    continue
                recorded.append(row)
                await self._ledger.add(
                    conn,
                    key=dm_key(row),
                    kind=KIND_DM,
                    chat_id=receiver_id,
                    user_id=receiver_id,
                    payload={"kudos": row.id},
                    priority=PRIORITY_PERSONAL,
                    reachable=people[receiver_id].reachable,
                )
            if recorded and chat_id != team.chat_id and team.announce:
                # given in private: the team chat hears of it through the ledger
                await self._ledger.add(
                    conn,
                    key=announce_key(batch),
                    kind=KIND_ANNOUNCE,
                    chat_id=team.chat_id,
                    payload={"team": team.id, "kudos": [k.id for k in recorded]},
                    priority=PRIORITY_TEAM,
                )
        return Given(
            recorded,
            duplicates,
            max(0, left - len(recorded)),
            team.kudos_budget,
            batch if recorded else None,
            people,
        )

    async def _own_recent(self, kudos_id: int, user_id: int) -> Kudos:
        async with self._db.transaction() as conn:
            row = await repo.get(conn, kudos_id)
        if row is None:
            raise NotFound()
        if row.giver_id != user_id:
            raise DomainError("kudos.not_yours")
        if self._clock.now() - row.created_at > UNDO_WINDOW:
            raise DomainError("kudos.undo_expired", minutes=int(UNDO_WINDOW.total_seconds() // 60))
        return row

    async def editable(self, kudos_id: int, user_id: int) -> Kudos:
        """The kudos if ``user_id`` gave it and may still undo or change it."""
        return await self._own_recent(kudos_id, user_id)

    async def undo(self, kudos_id: int, user_id: int) -> list[Kudos]:
        """The giver takes back a kudos, and the others given with it by the same command,
        within the undo window; the budget is restored."""
        row = await self._own_recent(kudos_id, user_id)
        async with self._db.transaction() as conn:
            batch = await repo.batch_of(conn, row)
            for item in batch:
                await repo.remove(conn, item.id)
            await self._follow_up(conn, row, batch, withdrawn=True)
        return batch

    async def _follow_up(
        self, conn: AsyncConnection, row: Kudos, batch: list[Kudos], *, withdrawn: bool
    ) -> None:
        """The messages already sent about ``batch`` are edited (withdrawn, or shown with the
        new quality); the ones not sent yet are cancelled (undo) or will render the change."""
        keys = [dm_key(k) for k in batch]
        if row.batch is not None:
            keys.append(announce_key(row.batch))
        # sent, or being sent now (the edit waits for its message id)
        sent = [
            d
            for d in (await self._ledger.rows(conn, keys)).values()
            if d.message_id is not None or in_flight(d)
        ]
        if withdrawn:
            await self._ledger.cancel(conn, keys)
        for target in sent:
            await self._ledger.add(
                conn,
                key=f"edit:{target.key}",
                kind=KIND_EDIT,
                chat_id=target.sent_chat_id or target.chat_id,
                user_id=target.user_id,
                payload={
                    "target": target.key,
                    "withdrawn": withdrawn,
                    "giver": row.giver_id,
                    "team": row.team_id,
                    "kudos": [k.id for k in batch],
                },
                priority=PRIORITY_PERSONAL,
                rearm=True,
            )

    async def change_quality(self, kudos_id: int, user_id: int, quality_id: str) -> Kudos:
        row = await self._own_recent(kudos_id, user_id)
        team = await self._teams.by_id(row.team_id)
        quality = await self._teams.quality(team, quality_id)
        if quality is None or not quality.enabled:
            raise DomainError("kudos.bad_quality")
        async with self._db.transaction() as conn:
            batch = await repo.batch_of(conn, row)
            for item in batch:
                await repo.set_quality(conn, item.id, quality_id)
            await self._follow_up(conn, row, batch, withdrawn=False)
            updated = await repo.get(conn, kudos_id)
        assert updated is not None
        return updated

    async def get(self, kudos_id: int) -> Kudos | None:
        async with self._db.read() as conn:
            return await repo.get(conn, kudos_id)

    async def by_ids(self, kudos_ids: list[int]) -> list[Kudos]:
        async with self._db.read() as conn:
            return await repo.by_ids(conn, kudos_ids)

    @staticmethod
    async def linked(
        conn: AsyncConnection, kudos_ids: list[int], chat_id: int, message_id: int
    ) -> None:
        """The team chat's announcement of these kudos is message ``message_id`` (the DM's
        link points at it); run in the ledger's outcome transaction."""
        await repo.set_link(conn, kudos_ids, chat_id, message_id)

    # --- boards ---------------------------------------------------------------------------

    async def board(self, team: Team, period: Period, quality_id: str | None = None) -> Board:
        since = period_start(period, self._clock.now(), team.timezone)
        async with self._db.read() as conn:
            receivers = await repo.top_receivers(conn, team.id, since, quality_id=quality_id)
            qualities = await repo.top_qualities(conn, team.id, since, limit=5)
            total = await repo.total(conn, team.id, since)
        return Board(period, since, total, dense_places(receivers), qualities)

    async def mine(self, team: Team, user_id: int, page: int = 0, page_size: int = 5) -> MyKudos:
        async with self._db.read() as conn:
            received = await repo.count_for(conn, team.id, receiver_id=user_id)
            given = await repo.count_for(conn, team.id, giver_id=user_id)
            by_q_in = await repo.top_qualities(conn, team.id, None, receiver_id=user_id)
            by_q_out = await repo.top_qualities(conn, team.id, None, giver_id=user_id)
            last = await repo.reasons(
                conn, team.id, receiver_id=user_id, limit=page_size + 1, offset=page * page_size
            )
        return MyKudos(received, given, by_q_in, by_q_out, last[:page_size], len(last) > page_size)

    async def month_winners(self, team: Team, year: int, month: int) -> list[Winner]:
        """The most thanked colleagues of a calendar month in the team's time zone (ties: all)."""
        since, until = month_bounds(year, month, team.timezone)
        async with self._db.read() as conn:
            top = await repo.top_receivers(conn, team.id, since, until, limit=None)
            if not top:
                return []
            best = top[0].count
            winners = []
            for entry in (e for e in top if e.count == best):
                user_id = int(entry.key or 0)
                qualities = await repo.top_qualities(
                    conn, team.id, since, until, receiver_id=user_id, limit=3
                )
                reasons = await repo.reasons(
                    conn, team.id, receiver_id=user_id, since=since, until=until, limit=3
                )
                winners.append(Winner(user_id, entry.count, qualities, reasons))
        return winners

    async def digest(
        self, team: Team, since: datetime, until: datetime
    ) -> tuple[int, list[Count], list[int]]:
        async with self._db.read() as conn:
            total = await repo.total(conn, team.id, since, until)
            qualities = await repo.top_qualities(conn, team.id, since, until, limit=3)
            newcomers = await repo.first_time_receivers(conn, team.id, since, until)
        return total, qualities, newcomers

    async def export_rows(
        self, team: Team, since: datetime | None, until: datetime | None
    ) -> AsyncIterator[tuple[datetime, str | None, str | None, str, str]]:
        """(when, giver, receiver, quality id, reason) of the team's kudos in the window,
        oldest first, streamed; a person is named unambiguously (:func:`export_name`), None
        for a former member."""
        async for row in repo.stream_export(self._db.engine, team.id, since, until):
            yield (
                row.created_at,
                export_name(row.giver),
                export_name(row.receiver),
                row.quality_id,
                row.reason,
            )

    async def qualities_for(self, team: Team) -> list[PortraitQuality]:
        return await self._teams.enabled_qualities(team)

    async def qualities_ranked(self, team: Team) -> list[PortraitQuality]:
        """The enabled qualities, the ones the team thanks for most often first."""
        qualities = await self.qualities_for(team)
        async with self._db.read() as conn:
            used = await repo.top_qualities(conn, team.id, None, limit=len(qualities) + 100)
        return rank_by_use(qualities, {str(c.key): c.count for c in used})

    # --- the one-tap prompt under a plain thank-you ----------------------------------------

    async def prompt_shown(self, chat_id: int, message_id: int) -> None:
        """A one-tap kudos prompt was posted: the ledger removes it after PROMPT_LIFETIME
        unless it is used (or dismissed) first."""
        async with self._db.transaction() as conn:
            await self._ledger.add(
                conn,
                key=prompt_key(chat_id, message_id),
                kind=KIND_PROMPT,
                chat_id=chat_id,
                payload={"message": message_id},
                priority=PRIORITY_TEAM,
                due_at=self._clock.now() + PROMPT_LIFETIME,
            )

    async def prompt_closed(self, chat_id: int, message_id: int) -> None:
        """The prompt was used or dismissed: nothing removes it later."""
        async with self._db.transaction() as conn:
            await self._ledger.cancel(conn, [prompt_key(chat_id, message_id)])


def export_name(person: ExportPerson | None) -> str | None:
    """A person as an export names them: «Анна Петрова (@anna_k)», or with the Telegram id
    when there is no username («Тимур (id 42)»): two colleagues of one name stay apart."""
    if person is None:
        return None
    name = f"{person.first_name} {person.last_name}" if person.last_name else person.first_name
    handle = f"@{person.username}" if person.username else f"id {person.id}"
    return f"{name} ({handle})"


async def _check_people(
    conn: AsyncConnection, team: Team, giver_id: int, receiver_ids: list[int]
) -> dict[int, Member]:
    if giver_id in receiver_ids:
        raise DomainError("kudos.self")
    found = {
        m.user_id: m
        for m in await teams_repo.members_by_id(conn, team.id, [giver_id, *receiver_ids])
    }
    if giver_id not in found:
        raise DomainError("kudos.giver_not_member")
    if any(r not in found for r in receiver_ids):
        raise DomainError("kudos.receiver_not_member")
    return found


def _dedupe(giver_id: int, receiver_id: int, reason: str, day: str) -> str:
    raw = f"{giver_id}:{receiver_id}:{reason.casefold()}:{day}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def rank_by_use(qualities: list[PortraitQuality], used: Mapping[str, int]) -> list[PortraitQuality]:
    """The most used first; equal use (and never used) keeps the portrait's order."""
    return sorted(qualities, key=lambda q: -used.get(q.id, 0))


def thanks_reason(text: str, words: Iterable[str]) -> str | None:
    """For a message that starts with a thank-you word (``спасибо``, ``thanks``, ``+1``), the
    rest of it ("" when nothing follows); None when it starts otherwise. A word counts only
    as a whole word: «спасибочки», «+7 999…» do not start with one."""
    stripped = text.strip()
    for word in sorted({w.strip().casefold() for w in words if w.strip()}, key=len, reverse=True):
        if stripped[: len(word)].casefold() != word:
            continue
        rest = stripped[len(word) :]
        if rest[:1].isalnum():
            continue
        return rest.strip(" \t\n,.!:;—–-+)")
    return None


def normalized(text: str) -> str:
    """Casefolded, ``_``/``-`` as spaces, ё as е, single spaces: how tags and names compare."""
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").replace("ё", "е").split())


def match_quality(tag: str, qualities: list[PortraitQuality]) -> PortraitQuality | None:
    """The portrait quality a ``#tag`` names: its id, full name or button label (either
    language), else the only quality with a word of its name equal to the tag, else the only
    one the tag starts."""
    wanted = normalized(tag.lstrip("#"))
    if len(wanted) < 3:
        return None
    for q in qualities:
        whole = (q.id, q.name_ru, q.name_en, q.label_ru, q.label_en)
        if wanted in {normalized(text) for text in whole}:
            return q
    by_word = [
        q
        for q in qualities
        if wanted in normalized(q.name_ru).split() or wanted in normalized(q.name_en).split()
    ]
    if len(by_word) == 1:
        return by_word[0]
    by_prefix = [
        q
        for q in qualities
        if normalized(q.name_ru).startswith(wanted) or normalized(q.name_en).startswith(wanted)
    ]
    return by_prefix[0] if len(by_prefix) == 1 else None
