"""The PostgreSQL server the suite runs on: embedded by default, or PLSYNC_DATABASE_URL's server.

Either way each use gets its own fresh database, created and dropped by the suite, so an existing
server's own databases are never written to.
"""

from __future__ import annotations

import os
import uuid

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from fixtures.embedded_postgres import DISPOSABLE_MARK, EmbeddedPostgres
from system.config import parse_database_url


class SuiteServer:
    def __init__(self) -> None:
        self.embedded: EmbeddedPostgres | None = None
        external = os.environ.get("PLSYNC_DATABASE_URL")
        if external:
            self.admin_url = parse_database_url(external)
        else:
            self.embedded = EmbeddedPostgres().start()
            self.admin_url = make_url(self.embedded.url("postgres"))
        self.created: list[str] = []

    def _admin(self):  # type: ignore[no-untyped-def]
        u = self.admin_url
        conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                                dbname=u.database or "postgres", connect_timeout=5)
        conn.autocommit = True
        return conn

    def create_database(self, prefix: str = "plsync_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                cur.execute(sql.SQL("COMMENT ON DATABASE {} IS %s").format(sql.Identifier(name)), (DISPOSABLE_MARK,))
        finally:
            conn.close()
        self.created.append(name)
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
            return
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                for name in self.created:
                    cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        finally:
            conn.close()
