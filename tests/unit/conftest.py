"""Shared fixtures of the unit suite: a fake clock and a real migrated database, on SQLite
and on PostgreSQL (``db`` is parametrized over both engines)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from content import Content, load_content
from storage.database import Database
from tests.clock import FakeClock
from tests.pg import ENGINES


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await database.migrate()
    finally:
        await database.close()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated once per run by the real migrations; each test gets a copy
    (migrating per test would be most of the suite's run time)."""
    path = tmp_path_factory.mktemp("template") / "t.db"
    # In a thread with its own event loop, apart from the loops pytest-asyncio manages.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _migrate(f"sqlite+aiosqlite:///{path}")).result()
    assert not path.with_name("t.db-wal").exists()
    return path


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database on each engine: a copy of the SQLite template file, or a
    PostgreSQL database cloned from the migrated template (skipped without PostgreSQL)."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    migrated_template: Path = request.getfixturevalue("migrated_template")
    shutil.copyfile(migrated_template, tmp_path / "t.db")
    return f"sqlite+aiosqlite:///{tmp_path}/t.db"


@pytest.fixture
async def open_db(db_url: str) -> AsyncIterator[Callable[[], Database]]:
    """Opens extra engines on the same database file (a 'restart'); all are disposed."""
    opened: list[Database] = []

    def _open() -> Database:
        database = Database(db_url)
        opened.append(database)
        return database

    yield _open
    for database in opened:
        await database.close()


@pytest.fixture
def db(open_db: Callable[[], Database]) -> Database:
    """A migrated database (a copy of the template)."""
    return open_db()
