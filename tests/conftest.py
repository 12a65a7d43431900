"""Session-wide fixtures: the throwaway PostgreSQL server (see ``tests/pg.py``).

Database fixtures (``db_url`` in the unit suite, ``database_url`` end to end) are
parametrized over both engines. A test whose name says ``sqlite`` is about SQLite itself
(its PRAGMAs, its file) and runs on SQLite only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from storage.database import Database
from tests.pg import SKIP_REASON, URL_ENV, PostgresServer, find_binaries

ENGINE_FIXTURES = ("db_url", "database_url")


def _engines() -> str:
    if os.environ.get(URL_ENV):
        return f"databases: sqlite, postgresql ({URL_ENV})"
    bindir = find_binaries()
    if bindir is None:
        return f"databases: sqlite only; the postgresql variants are skipped: {SKIP_REASON}"
    return f"databases: sqlite, postgresql (a throwaway server from {bindir})"


def pytest_report_header() -> str:
    return _engines()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Also under ``-q`` (no header): say when PostgreSQL was not tested."""
    if not os.environ.get(URL_ENV) and find_binaries() is None:
        terminalreporter.write_line(_engines(), yellow=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "sqlite" not in getattr(item, "originalname", ""):
            continue
        if any(callspec.params.get(name) == "postgresql" for name in ENGINE_FIXTURES):
            item.add_marker(pytest.mark.skip(reason="about SQLite itself"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server per test session (per xdist worker); skips without one."""
    server = PostgresServer.from_env()
    if server is None:
        pytest.skip(SKIP_REASON)
    try:
        yield server
    finally:
        server.stop()


async def _migrate(url: str) -> None:
    database = Database(url)
    try:
        await database.migrate()
    finally:
        await database.close()


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> Iterator[str]:
    """A database migrated once by the real migrations; tests get copies of it."""
    name = pg_server.create_database()
    pg_server.run(_migrate(pg_server.url_of(name)))
    pg_server.make_template(name)
    yield name
    pg_server.drop_template(name)


@pytest.fixture
def pg_url(pg_server: PostgresServer, pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test, dropped afterwards."""
    name = pg_server.create_database(template=pg_template)
    yield pg_server.url_of(name)
    pg_server.drop_database(name)
