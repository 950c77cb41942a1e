"""Positional (``$n``) statements prepared once per database connection and run by name: on the hot paths,
planning a statement on every call costs the server more than running it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, CursorResult


def run_prepared(conn: Connection, statements: Mapping[str, str], name: str, *args: object) -> CursorResult[Any]:
    if conn.dialect.driver != "psycopg2":
        # asyncpg (the API's driver) prepares every statement itself and keeps it per connection (SQLAlchemy's
        # prepared_statement_cache_size); the statements are already written in its $n style.
        return conn.exec_driver_sql(statements[name], args)
    # psycopg2 sends statements unprepared: prepare each once per connection, then EXECUTE it by name.
    prepared: set[str] = conn.connection.info.setdefault("plsync_prepared", set())
    if name not in prepared:
        conn.exec_driver_sql(f"PREPARE {name} AS {statements[name]}")
        prepared.add(name)
    return conn.exec_driver_sql(f"EXECUTE {name}({', '.join(['%s'] * len(args))})", args)
