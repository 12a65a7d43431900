"""The SQLite driver connection behind SQLAlchemy's ``aiosqlite`` dialect, with fewer hops.

aiosqlite runs every call on a connection (cursor, execute, fetchall, close, commit) as its
own round trip to the connection's thread, and each round trip waits for a turn of the event
loop: under a burst a write transaction held SQLite's write lock for 18-23 ms, most of it
queued behind other tasks. This module gives SQLAlchemy a connection with the same interface
(``create_async_engine(..., async_creator=...)``) that:

- runs a **write unit of work inline**, on the event loop's thread, without any hop: only
  one runs at a time in the process (``Database.transaction`` holds the write queue, see
  ``storage.database``), its statements are a few microseconds each in SQLite, and nothing
  else is awaited while the write lock is held, so the lock is held for well under a
  millisecond instead of a dozen loop turns. (Commits under WAL with ``synchronous=NORMAL``
  do not wait for the disk.)
- runs **reads** with one hop per statement (execute and the first rows together) on the
  connection's own worker thread, so a long read never stalls the loop; a cursor's
  creation and closing, and the pool's rollback of a connection that holds no transaction,
  cost no hop at all.

A connection is only ever used by one task at a time (the pool hands it out); a call started
on the worker thread is always finished before the next call, inline or not, starts.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

#: rows fetched together with the execute on the worker thread (the rest on demand)
PREFETCH = 256

_inline: ContextVar[bool] = ContextVar("sqlite_inline", default=False)


@contextmanager
def inline() -> Iterator[None]:
    """SQLite calls in this block run on the event loop's thread (a write unit of work)."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


class Connection:
    """What SQLAlchemy's aiosqlite adapter uses of an ``aiosqlite.Connection``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = conn
        self._conn = conn  # the adapter's isolation level setter reaches for these two
        self._tx = _Inline()
        self._executor: ThreadPoolExecutor | None = None
        self._busy: asyncio.Future[Any] | None = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._busy is not None and not self._busy.done():
            # a call abandoned by a cancelled task is still running: never overlap it
            await asyncio.wait({self._busy})
        if _inline.get():
            return fn(*args)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite")
        future = asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        self._busy = future
        return await future

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._db().isolation_level

    def cursor(self) -> Cursor:
        return Cursor(self, self._db().cursor())

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        cursor = self.cursor()
        await cursor.execute(sql, parameters)
        return cursor

    async def commit(self) -> None:
        db = self._db()
        if db.in_transaction:
            await self.run(db.commit)

    async def rollback(self) -> None:
        db = self._db()
        if db.in_transaction:  # the pool's reset of a read connection costs nothing
            await self.run(db.rollback)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._db().create_function(*args, **kwargs)

    async def close(self) -> None:
        db, self._connection = self._connection, None
        if db is None:
            return
        try:
            await self.run(db.close)
        finally:
            self._shutdown()

    def stop(self) -> None:
        db, self._connection = self._connection, None
        if db is not None:
            db.close()
        self._shutdown()

    def _shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None


class _Inline:
    """``_tx.put_nowait((future, function))``, as the adapter sets the isolation level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class Cursor:
    """What the adapter uses of an ``aiosqlite.Cursor``; execute brings the first rows."""

    __slots__ = ("_conn", "_cursor", "_done", "_rows")

    def __init__(self, conn: Connection, cursor: sqlite3.Cursor) -> None:
        self._conn = conn
        self._cursor = cursor
        self._rows: deque[Any] = deque()
        self._done = True

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    def _execute(self, sql: str, parameters: Any) -> list[Any]:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self._cursor.fetchmany(PREFETCH) if self._cursor.description else []

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        rows = await self._conn.run(self._execute, sql, parameters)
        self._rows = deque(rows)
        self._done = len(rows) < PREFETCH
        return self

    async def executemany(self, sql: str, seq_of_parameters: Any) -> Cursor:
        await self._conn.run(self._cursor.executemany, sql, seq_of_parameters)
        self._rows, self._done = deque(), True
        return self

    async def fetchone(self) -> Any:
        if not self._rows and not self._done:
            await self._more(PREFETCH)
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self._cursor.arraysize
        if len(self._rows) < size and not self._done:
            await self._more(max(size, PREFETCH))
        return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        if not self._done:
            rows.extend(await self._conn.run(self._cursor.fetchall))
            self._done = True
        return rows

    async def _more(self, size: int) -> None:
        rows = await self._conn.run(self._cursor.fetchmany, size)
        self._rows.extend(rows)
        self._done = len(rows) < size

    async def close(self) -> None:
        self._rows.clear()
        self._cursor.close()


def connector(args: list[Any], kwargs: dict[str, Any]) -> Callable[[], Any]:
    """The ``async_creator`` for a database: connect as pysqlite would, usable from the
    loop's thread and the connection's worker thread (never at the same time)."""
    options = {**kwargs, "check_same_thread": False}

    async def connect() -> Connection:
        return Connection(sqlite3.connect(*args, **options))

    return connect
