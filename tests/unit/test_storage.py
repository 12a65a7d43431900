"""Storage: migrations, the schema they create, UTC datetimes, SQLite settings, users, FSM."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, func, insert, inspect, select
from sqlalchemy.exc import StatementError

from bot.fsm import DatabaseStorage
from bot.services.users import Person, UsersService
from storage.database import Database
from storage.repo import users as users_repo
from storage.schema import fsm_states, metadata, users
from tests.clock import FakeClock

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


class Form(StatesGroup):
    reason = State()


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _head(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


# --- migrations -----------------------------------------------------------------------------


async def test_migrations_are_idempotent(db: Database) -> None:
    async with db.transaction() as conn:
        head = await conn.run_sync(_head)
        await conn.execute(
            insert(users).values(id=1, first_name="Anna", created_at=datetime.now(UTC))
        )
    await db.migrate()  # the second run (every start-up runs it) changes nothing
    async with db.transaction() as conn:
        assert await conn.run_sync(_head) == head
        assert (await conn.execute(select(func.count()).select_from(users))).scalar() == 1


async def test_migrated_schema_matches_metadata(db: Database) -> None:
    async with db.transaction() as conn:
        assert await conn.run_sync(_diff) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(metadata.tables) <= tables


async def test_fresh_database_directory_is_created(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/nested/dir/bot.db")
    try:
        await database.migrate()
    finally:
        await database.close()
    assert (tmp_path / "nested" / "dir" / "bot.db").exists()


# --- column types and connection settings ------------------------------------------------------


async def test_utc_datetime_round_trip(db: Database) -> None:
    moscow = timezone(timedelta(hours=3))
    moment = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=moscow)
    async with db.transaction() as conn:
        await conn.execute(insert(users).values(id=1, first_name="A", created_at=moment))
    async with db.transaction() as conn:
        stored = (await conn.execute(select(users.c.created_at))).scalar_one()
    assert stored == moment
    assert stored.utcoffset() == timedelta(0)
    assert stored.hour == 7


async def test_utc_datetime_rejects_naive(db: Database) -> None:
    naive = datetime(2026, 11, 23, 10, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.transaction() as conn:
            await conn.execute(insert(users).values(id=1, first_name="A", created_at=naive))
    async with db.transaction() as conn:
        assert (await conn.execute(select(func.count()).select_from(users))).scalar() == 0


async def test_sqlite_pragmas(db: Database) -> None:
    async with db.transaction() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 1000


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    async def failing_unit_of_work() -> None:
        async with db.transaction() as conn:
            await conn.execute(
                insert(users).values(id=1, first_name="A", created_at=datetime.now(UTC))
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await failing_unit_of_work()
    async with db.transaction() as conn:
        assert await users_repo.get(conn, 1) is None


# --- users -------------------------------------------------------------------------------------


async def test_started_blocked_and_back(db: Database, clock: FakeClock) -> None:
    async with db.transaction() as conn:
        assert await users_repo.get(conn, 7) is None
        await users_repo.save_started(
            conn,
            user_id=7,
            first_name="Anna",
            last_name=None,
            username="anna",
            language_code="ru",
            now=clock.now(),
        )
    async with db.transaction() as conn:
        row = await users_repo.get(conn, 7)
    assert row is not None
    assert (row.first_name, row.username, row.language_code) == ("Anna", "anna", "ru")
    assert row.started_at == clock.now()
    assert row.reachable

    clock.advance(timedelta(days=1))
    async with db.transaction() as conn:
        await users_repo.mark_blocked(conn, 7, clock.now())
        row = await users_repo.get(conn, 7)
    assert row is not None
    assert row.blocked_at == clock.now()
    assert not row.reachable

    clock.advance(timedelta(days=1))  # the user unblocks the bot and presses /start again
    async with db.transaction() as conn:
        await users_repo.save_started(
            conn,
            user_id=7,
            first_name="Anya",
            last_name="K",
            username=None,
            language_code="en",
            now=clock.now(),
        )
        row = await users_repo.get(conn, 7)
    assert row is not None
    assert row.reachable
    assert row.blocked_at is None
    assert (row.first_name, row.last_name, row.username) == ("Anya", "K", None)


async def test_mark_blocked_unknown_user_creates_nothing(db: Database, clock: FakeClock) -> None:
    async with db.transaction() as conn:
        await users_repo.mark_blocked(conn, 99, clock.now())
        assert await users_repo.get(conn, 99) is None


async def test_remember_keeps_reachability(db: Database, clock: FakeClock) -> None:
    """Seeing a user in a group records their name but never makes them reachable."""
    names = {"last_name": None, "username": "boris", "language_code": "ru"}
    async with db.transaction() as conn:
        await users_repo.remember(conn, user_id=8, first_name="Boris", now=clock.now(), **names)
        row = await users_repo.get(conn, 8)
    assert row is not None
    assert row.first_name == "Boris"
    assert not row.reachable

    async with db.transaction() as conn:
        await users_repo.save_started(conn, user_id=8, first_name="Boris", now=clock.now(), **names)
        await users_repo.remember(conn, user_id=8, first_name="Borya", now=clock.now(), **names)
        row = await users_repo.get(conn, 8)
    assert row is not None
    assert row.first_name == "Borya"
    assert row.reachable

    async with db.transaction() as conn:
        await users_repo.mark_blocked(conn, 8, clock.now())
        await users_repo.remember(conn, user_id=8, first_name="Borya", now=clock.now(), **names)
        row = await users_repo.get(conn, 8)
    assert row is not None
    assert not row.reachable


async def test_users_service(db: Database, clock: FakeClock) -> None:
    service = UsersService(db, clock)
    await service.started(Person(id=5, first_name="Oleg", language_code="ru"))
    row = await service.get(5)
    assert row is not None
    assert row.reachable
    await service.blocked(5)
    row = await service.get(5)
    assert row is not None
    assert not row.reachable


# --- persisted FSM -----------------------------------------------------------------------------


async def test_fsm_survives_restart(
    db: Database, open_db: Callable[[], Database], clock: FakeClock
) -> None:
    storage = DatabaseStorage(db, clock)
    await storage.set_state(KEY, Form.reason)
    await storage.set_data(KEY, {"quality": "empathy", "text": "Спасибо за помощь"})

    restarted = DatabaseStorage(open_db(), clock)
    assert await restarted.get_state(KEY) == Form.reason.state
    assert await restarted.get_data(KEY) == {"quality": "empathy", "text": "Спасибо за помощь"}


async def test_fsm_keys_are_separate(db: Database, clock: FakeClock) -> None:
    storage = DatabaseStorage(db, clock)
    other_user = StorageKey(bot_id=1, chat_id=42, user_id=43)
    thread = StorageKey(bot_id=1, chat_id=42, user_id=42, thread_id=5)
    other_bot = StorageKey(bot_id=2, chat_id=42, user_id=42)
    await storage.set_state(KEY, "Form:reason")
    for key in (other_user, thread, other_bot):
        assert await DatabaseStorage(db, clock).get_state(key) is None
    await storage.set_data(thread, {"x": 1})
    assert await DatabaseStorage(db, clock).get_data(KEY) == {}


async def test_fsm_clear_removes_the_row(db: Database, clock: FakeClock) -> None:
    storage = DatabaseStorage(db, clock)
    context = FSMContext(storage=storage, key=KEY)
    await context.set_state(Form.reason)
    await context.update_data(step=2)
    async with db.transaction() as conn:
        count = (await conn.execute(select(func.count()).select_from(fsm_states))).scalar()
    assert count == 1

    await context.clear()
    async with db.transaction() as conn:
        count = (await conn.execute(select(func.count()).select_from(fsm_states))).scalar()
    assert count == 0
    assert await DatabaseStorage(db, clock).get_state(KEY) is None
    assert await context.get_data() == {}


async def test_fsm_get_data_is_a_copy(db: Database, clock: FakeClock) -> None:
    storage = DatabaseStorage(db, clock)
    await storage.set_data(KEY, {"a": 1})
    data = await storage.get_data(KEY)
    data["a"] = 2
    assert await storage.get_data(KEY) == {"a": 1}


async def test_fsm_without_cache_sees_other_process(
    db: Database, open_db: Callable[[], Database], clock: FakeClock
) -> None:
    reader = DatabaseStorage(db, clock, cache=False)
    writer = DatabaseStorage(open_db(), clock, cache=False)
    assert await reader.get_state(KEY) is None
    await writer.set_state(KEY, Form.reason)
    await writer.set_data(KEY, {"n": 1})
    assert await reader.get_state(KEY) == Form.reason.state
    assert await reader.get_data(KEY) == {"n": 1}
    await writer.set_state(KEY, None)
    await writer.set_data(KEY, {})
    assert await reader.get_state(KEY) is None
    assert await reader.get_data(KEY) == {}
