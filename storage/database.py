"""Engine, connection settings and migrations.

Transactions: one unit of work per service call. A service opens
``async with db.transaction() as conn`` and passes ``conn`` to repository functions;
repositories never commit. Everything done on one ``conn`` commits or rolls back together.
Transactions never nest (a nested one raises), and nothing slow (no network) is awaited
inside one.

SQLite takes one writer at a time; rather than letting concurrent updates race for the file
lock (and fail with "database is locked" under a burst), the process runs its SQLite
write transactions one after another through an asyncio lock. Read-only work uses
``db.read()``, which does not queue (WAL readers see the last commit and never block).
PostgreSQL runs everything concurrently (READ COMMITTED); what must happen once relies on
unique keys and ``INSERT … ON CONFLICT`` (``storage.upsert``), never on the SQLite queue.

While an update is being handled (``storage.repo.inbox.handling``), the first write
transaction that commits also deletes the update's inbox row, so a replay after a crash
never applies a committed change twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, func, make_url, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage import sqlite
from storage.repo import inbox as inbox_repo

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
#: the PostgreSQL advisory lock held while migrating (a bigint used for nothing else)
MIGRATION_LOCK = int.from_bytes(b"SPASIBOT", "big")

_in_transaction: ContextVar[bool] = ContextVar("in_transaction", default=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # deleted content is overwritten, not left in free pages (/forget_me means gone)
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class Database:
    """The one engine of the process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split(":///", 1)[1].split("?")[0] if ":///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {}
        if self.is_sqlite:
            # the same connection arguments as the dialect's, through our driver connection
            dialect = make_url(url).get_dialect()()
            args, kwargs = dialect.create_connect_args(make_url(url))
            options["async_creator"] = sqlite.connector(list(args), dict(kwargs))
        self.engine: AsyncEngine = create_async_engine(
            url, echo=echo, pool_pre_ping=not self.is_sqlite, **options
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._serial = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def transaction(self, *, replayable: bool = False) -> AsyncIterator[AsyncConnection]:
        """One unit of work: commits on success, rolls back on any exception.

        ``replayable``: applying it again changes nothing (unique keys make a second run a
        no-op), so it leaves the update being handled in the inbox until its handler
        returned: a crash before the handler answered replays the update, and the answer is
        sent (a kudos, the start of a private chat). Any other write takes the row with it."""
        if _in_transaction.get():
            raise RuntimeError("nested Database.transaction(): pass the open connection down")
        token = _in_transaction.set(True)
        try:
            # SQLite: the whole unit of work runs on the loop's thread, no hop per statement
            # (one write transaction at a time, see ``storage.sqlite``)
            with sqlite.inline() if self.is_sqlite else nullcontext():
                async with self._serial or nullcontext(), self._connect(write=True) as conn:
                    yield conn
                    # while an update is handled, its inbox row goes with its first write
                    claim = None if replayable else await inbox_repo.settle(conn)
            if claim is not None:
                claim.settled = True
        finally:
            _in_transaction.reset(token)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only unit of work. Under WAL readers never wait for the writer, so reads
        skip the SQLite write queue; they must not write."""
        if _in_transaction.get():
            raise RuntimeError("nested Database.read(): pass the open connection down")
        token = _in_transaction.set(True)
        try:
            with sqlite.inline() if self.is_sqlite else nullcontext():
                async with self._connect(write=False) as conn:
                    yield conn
        finally:
            _in_transaction.reset(token)

    @asynccontextmanager
    async def _connect(self, *, write: bool) -> AsyncIterator[AsyncConnection]:
        """A connection from the pool (in a transaction if ``write``), returned at once.

        SQLAlchemy's own context managers close through ``asyncio.shield``, which costs a
        turn of the event loop before the connection is back in the pool: under a burst
        the pool then runs dry and churns (two new SQLite connections per update) and the
        write queue is held for that turn. SQLite runs inline here (``storage.sqlite``):
        closing cannot be interrupted, so it needs no shield."""
        if not self.is_sqlite:
            async with self.engine.begin() if write else self.engine.connect() as conn:
                yield conn
            return
        conn = await self.engine.connect()
        try:
            if write:
                await conn.begin()
            yield conn
            if write:
                await conn.commit()
        finally:
            await conn.close()  # rolls back whatever was not committed

    async def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file and empty it, so that an
        erased row's old page images do not stay in the log (no-op on PostgreSQL)."""
        if not self.is_sqlite:
            return
        async with self._serial or nullcontext(), self.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def migrate(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision``.

        On PostgreSQL the migration holds an advisory lock until it commits, so processes
        starting together migrate one after another (the later ones find nothing to do)."""
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            await conn.run_sync(_upgrade, revision)

    async def close(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)
