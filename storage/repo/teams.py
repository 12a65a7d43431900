"""Teams (group chats with the bot), memberships, the portrait, profiles, once-per-period events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import memberships, team_events, team_qualities, teams, user_profiles, users
from storage.upsert import upsert


@dataclass(frozen=True, slots=True)
class TeamRow:
    id: int
    chat_id: int
    title: str
    timezone: str
    locale: str
    join_code: str
    kudos_budget: int
    announce: bool
    birthdays: bool
    digest: bool
    bot_present: bool


@dataclass(frozen=True, slots=True)
class MemberRow:
    user_id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None
    reachable: bool
    promoted: bool


@dataclass(frozen=True, slots=True)
class PortraitRow:
    quality_id: str
    enabled: bool
    custom_name: str | None
    custom_meaning: str | None


def _team(row: Any) -> TeamRow:
    return TeamRow(
        id=row.id,
        chat_id=row.chat_id,
        title=row.title,
        timezone=row.timezone,
        locale=row.locale,
        join_code=row.join_code,
        kudos_budget=row.kudos_budget,
        announce=bool(row.announce),
        birthdays=bool(row.birthdays),
        digest=bool(row.digest),
        bot_present=bool(row.bot_present),
    )


# The statements read on every /kudos are built once (a statement built per call costs its
# construction and cache key, ~5x the execution of the compiled one on SQLite).
_BY_CHAT = select(teams).where(teams.c.chat_id == bindparam("chat_id"))
_BY_ID = select(teams).where(teams.c.id == bindparam("team_id"))


async def by_chat(conn: AsyncConnection, chat_id: int) -> TeamRow | None:
    row = (await conn.execute(_BY_CHAT, {"chat_id": chat_id})).first()
    return _team(row) if row else None


async def by_id(conn: AsyncConnection, team_id: int) -> TeamRow | None:
    row = (await conn.execute(_BY_ID, {"team_id": team_id})).first()
    return _team(row) if row else None


async def by_code(conn: AsyncConnection, code: str) -> TeamRow | None:
    row = (await conn.execute(select(teams).where(teams.c.join_code == code))).first()
    return _team(row) if row else None


async def all_active(conn: AsyncConnection) -> list[TeamRow]:
    rows = await conn.execute(select(teams).where(teams.c.bot_present == 1).order_by(teams.c.id))
    return [_team(r) for r in rows]


async def create(
    conn: AsyncConnection,
    *,
    chat_id: int,
    title: str,
    timezone: str,
    locale: str,
    join_code: str,
    now: datetime,
) -> TeamRow:
    await conn.execute(
        insert(teams).values(
            chat_id=chat_id,
            title=title,
            timezone=timezone,
            locale=locale,
            join_code=join_code,
            kudos_budget=5,
            announce=1,
            birthdays=1,
            digest=1,
            bot_present=1,
            created_at=now,
        )
    )
    team = await by_chat(conn, chat_id)
    assert team is not None
    return team


async def update_team(conn: AsyncConnection, team_id: int, **values: Any) -> None:
    await conn.execute(update(teams).where(teams.c.id == team_id).values(**values))


async def add_portrait(conn: AsyncConnection, team_id: int, rows: list[PortraitRow]) -> None:
    if rows:
        await conn.execute(
            insert(team_qualities),
            [
                {
                    "team_id": team_id,
                    "quality_id": r.quality_id,
                    "enabled": int(r.enabled),
                    "custom_name": r.custom_name,
                    "custom_meaning": r.custom_meaning,
                }
                for r in rows
            ],
        )


async def portrait(conn: AsyncConnection, team_id: int) -> list[PortraitRow]:
    rows = await conn.execute(select(team_qualities).where(team_qualities.c.team_id == team_id))
    return [
        PortraitRow(
            quality_id=r.quality_id,
            enabled=bool(r.enabled),
            custom_name=r.custom_name,
            custom_meaning=r.custom_meaning,
        )
        for r in rows
    ]


async def set_quality(conn: AsyncConnection, team_id: int, quality_id: str, enabled: bool) -> None:
    values = {"enabled": int(enabled)}
    await conn.execute(
        upsert(
            conn,
            team_qualities,
            {"team_id": team_id, "quality_id": quality_id, **values},
            ["team_id", "quality_id"],
            values,
        )
    )


async def delete_quality(conn: AsyncConnection, team_id: int, quality_id: str) -> int:
    result = await conn.execute(
        delete(team_qualities).where(
            team_qualities.c.team_id == team_id, team_qualities.c.quality_id == quality_id
        )
    )
    return int(result.rowcount)


async def join(conn: AsyncConnection, team_id: int, user_id: int, now: datetime) -> bool:
    """Make ``user_id`` a member; True when they were not a member before."""
    current = (
        await conn.execute(
            select(memberships.c.left_at).where(
                memberships.c.team_id == team_id, memberships.c.user_id == user_id
            )
        )
    ).first()
    if current is not None and current.left_at is None:
        return False
    values = {"joined_at": now, "left_at": None}
    await conn.execute(
        upsert(
            conn,
            memberships,
            {"team_id": team_id, "user_id": user_id, "promoted": 0, **values},
            ["team_id", "user_id"],
            values,
        )
    )
    return True


async def leave(conn: AsyncConnection, team_id: int, user_id: int, now: datetime) -> bool:
    result = await conn.execute(
        update(memberships)
        .where(
            memberships.c.team_id == team_id,
            memberships.c.user_id == user_id,
            memberships.c.left_at.is_(None),
        )
        .values(left_at=now, promoted=0)
    )
    return bool(result.rowcount)


async def leave_all(conn: AsyncConnection, user_id: int, now: datetime) -> None:
    await conn.execute(
        update(memberships)
        .where(memberships.c.user_id == user_id, memberships.c.left_at.is_(None))
        .values(left_at=now, promoted=0)
    )


async def forget_memberships(conn: AsyncConnection, user_id: int) -> None:
    """``/forget_me``: no membership row keeps their id (their kudos stay, pseudonymous)."""
    await conn.execute(delete(memberships).where(memberships.c.user_id == user_id))


async def forget_events(conn: AsyncConnection, user_id: int) -> None:
    """Team events whose period names the user (their birthday greetings)."""
    await conn.execute(
        delete(team_events).where(
            team_events.c.kind == "birthday", team_events.c.period.like(f"%:{int(user_id)}")
        )
    )


async def set_promoted(conn: AsyncConnection, team_id: int, user_id: int, promoted: bool) -> bool:
    result = await conn.execute(
        update(memberships)
        .where(
            memberships.c.team_id == team_id,
            memberships.c.user_id == user_id,
            memberships.c.left_at.is_(None),
        )
        .values(promoted=int(promoted))
    )
    return bool(result.rowcount)


def _member_query() -> Any:
    return select(
        memberships.c.user_id,
        memberships.c.promoted,
        users.c.first_name,
        users.c.last_name,
        users.c.username,
        users.c.language_code,
        users.c.started_at,
        users.c.blocked_at,
    ).select_from(memberships.outerjoin(users, users.c.id == memberships.c.user_id))


def _member(row: Any) -> MemberRow:
    return MemberRow(
        user_id=row.user_id,
        first_name=row.first_name,
        last_name=row.last_name,
        username=row.username,
        language_code=row.language_code,
        reachable=row.started_at is not None and row.blocked_at is None,
        promoted=bool(row.promoted),
    )


async def members(conn: AsyncConnection, team_id: int) -> list[MemberRow]:
    rows = await conn.execute(
        _member_query()
        .where(memberships.c.team_id == team_id, memberships.c.left_at.is_(None))
        .order_by(func.lower(func.coalesce(users.c.first_name, "")), memberships.c.user_id)
    )
    return [_member(r) for r in rows]


_MEMBERS_BY_ID = _member_query().where(
    memberships.c.team_id == bindparam("team_id"),
    memberships.c.user_id.in_(bindparam("user_ids", expanding=True)),
    memberships.c.left_at.is_(None),
)
_MEMBER = _member_query().where(
    memberships.c.team_id == bindparam("team_id"),
    memberships.c.user_id == bindparam("user_id"),
    memberships.c.left_at.is_(None),
)
_MEMBER_BY_USERNAME = _member_query().where(
    memberships.c.team_id == bindparam("team_id"),
    memberships.c.left_at.is_(None),
    func.lower(users.c.username) == bindparam("username"),
)


async def members_by_id(
    conn: AsyncConnection, team_id: int, user_ids: list[int]
) -> list[MemberRow]:
    if not user_ids:
        return []
    rows = await conn.execute(
        _MEMBERS_BY_ID, {"team_id": team_id, "user_ids": sorted(set(user_ids))}
    )
    return [_member(r) for r in rows]


async def member(conn: AsyncConnection, team_id: int, user_id: int) -> MemberRow | None:
    row = (await conn.execute(_MEMBER, {"team_id": team_id, "user_id": user_id})).first()
    return _member(row) if row else None


async def member_by_username(
    conn: AsyncConnection, team_id: int, username: str
) -> MemberRow | None:
    row = (
        await conn.execute(_MEMBER_BY_USERNAME, {"team_id": team_id, "username": username.lower()})
    ).first()
    return _member(row) if row else None


async def teams_of(conn: AsyncConnection, user_id: int) -> list[TeamRow]:
    rows = await conn.execute(
        select(teams)
        .select_from(teams.join(memberships, memberships.c.team_id == teams.c.id))
        .where(memberships.c.user_id == user_id, memberships.c.left_at.is_(None))
        .order_by(teams.c.title, teams.c.id)
    )
    return [_team(r) for r in rows]


async def profile(conn: AsyncConnection, user_id: int) -> tuple[int | None, str | None]:
    row = (
        await conn.execute(
            select(user_profiles.c.current_team_id, user_profiles.c.birthday).where(
                user_profiles.c.user_id == user_id
            )
        )
    ).first()
    return (row.current_team_id, row.birthday) if row else (None, None)


async def set_profile(conn: AsyncConnection, user_id: int, **values: Any) -> None:
    await conn.execute(
        upsert(conn, user_profiles, {"user_id": user_id, **values}, ["user_id"], values)
    )


async def birthdays_on(conn: AsyncConnection, team_id: int, day: str) -> list[MemberRow]:
    rows = await conn.execute(
        _member_query()
        .join(user_profiles, user_profiles.c.user_id == memberships.c.user_id)
        .where(
            memberships.c.team_id == team_id,
            memberships.c.left_at.is_(None),
            user_profiles.c.birthday == day,
        )
    )
    return [_member(r) for r in rows]


async def claim_event(
    conn: AsyncConnection, team_id: int, kind: str, period: str, now: datetime
) -> bool:
    """True the first time (team, kind, period) is claimed; False ever after."""
    result = await conn.execute(
        upsert(
            conn,
            team_events,
            {"team_id": team_id, "kind": kind, "period": period, "done_at": now},
            ["team_id", "kind", "period"],
        )
    )
    return bool(result.rowcount)


async def release_event(conn: AsyncConnection, team_id: int, kind: str, period: str) -> None:
    await conn.execute(
        delete(team_events).where(
            and_(
                team_events.c.team_id == team_id,
                team_events.c.kind == kind,
                team_events.c.period == period,
            )
        )
    )


async def forget_profile(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(delete(user_profiles).where(user_profiles.c.user_id == user_id))
