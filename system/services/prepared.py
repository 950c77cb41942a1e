"""Positional (``$n``) statements prepared once per database connection and run by name: on the hot paths,
planning a statement on every call costs the server more than running it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, CursorResult


def run_prepared(conn: Connection, statements: Mapping[str, str], name: str, *args: object) -> CursorResult[Any]:
    prepared: set[str] = conn.connection.info.setdefault("plsync_prepared", set())
    if name not in prepared:
        conn.exec_driver_sql(f"PREPARE {name} AS {statements[name]}")
        prepared.add(name)
    return conn.exec_driver_sql(f"EXECUTE {name}({', '.join(['%s'] * len(args))})", args)
