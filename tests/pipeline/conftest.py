"""The pipeline fixture: the application ``build_application()`` builds (its real routers,
middlewares, services and a migrated SQLite database), with its Bot's session swapped for
the recording session (see ``harness.py``) and the one fake clock."""

from __future__ import annotations

import asyncio
import random
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.app import build_application
from bot.settings import Settings
from storage.database import Database
from tests.clock import FakeClock
from tests.pipeline.harness import Pipeline, RecordingSession, World
from tests.pipeline.squad import Squad, make_squad

TOKEN = "42:TEST-token_abcdefghijklmnopqrstuvwxyz012"
ADMIN_ID = 999


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await database.migrate()
    finally:
        await database.close()


@pytest.fixture(scope="session")
def pipeline_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated by the real migrations per run; each test gets a copy."""
    path = tmp_path_factory.mktemp("pipeline") / "t.db"
    with ThreadPoolExecutor(1) as pool:  # its own event loop, apart from pytest-asyncio's
        pool.submit(asyncio.run, _migrate(f"sqlite+aiosqlite:///{path}")).result()
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def pipe(
    pipeline_template: Path, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Pipeline]:
    shutil.copyfile(pipeline_template, tmp_path / "t.db")
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db",
        admin_ids=frozenset({ADMIN_ID}),
    )
    app = build_application(settings, clock=clock, rng=random.Random(7))
    session = RecordingSession(World(app.bot.id, clock))
    # the one Bot of the application (handlers, notifier, drainer) now talks to the recording
    # session: no HTTP, and no pacing (the paced sender is a middleware of the old session)
    app.bot.session = session
    # started as on_startup starts it (its commit loop records what drain() sends); the
    # scheduler, the command menus and the start-up catch-up are not started
    app.drainer.start()
    try:
        yield Pipeline(app, session, clock)
    finally:
        await app.drainer.stop(5)
        await app.db.close()


@pytest.fixture
async def squad(pipe: Pipeline) -> Squad:
    return await make_squad(pipe)
