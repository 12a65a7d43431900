"""INSERT ... ON CONFLICT for the two supported backends (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert


def _insert(conn: AsyncConnection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    conn: AsyncConnection,
    table: Table,
    values: Mapping[str, Any],
    keys: Sequence[str],
    update: Mapping[str, Any] | None = None,
) -> Insert:
    """Insert ``values``; on a ``keys`` conflict update ``update`` (or do nothing if empty)."""
    stmt = _insert(conn, table).values(**values)
    if update:
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(update))  # type: ignore[no-any-return]
    return stmt.on_conflict_do_nothing(index_elements=list(keys))  # type: ignore[no-any-return]
