"""Engine and session factories. Callers own transactions: ``with db.session() as s, s.begin(): ...``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from system.config import SystemConfig
from system.errors import InfrastructureError

#: Seconds a new connection may take before the attempt fails.
CONNECT_TIMEOUT_S = 5


def session_settings(config: SystemConfig) -> dict[str, str]:
    """Server settings of every connection. Set per connection, not per transaction: no extra round trip on
    the hot path."""
    settings = {"lock_timeout": str(int(config.lock_timeout_s * 1000))}
    if config.statement_timeout_ms:
        settings["statement_timeout"] = str(config.statement_timeout_ms)
    if config.idle_in_transaction_timeout_ms:
        settings["idle_in_transaction_session_timeout"] = str(config.idle_in_transaction_timeout_ms)
    return settings


def create_db_engine(config: SystemConfig, *, isolation_level: str | None = None,
                     application_name: str = "plsync", pre_ping: bool = False) -> Engine:
    connect_args: dict[str, object] = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": application_name}
    connect_args["options"] = " ".join(f"-c {k}={v}" for k, v in session_settings(config).items())
    kwargs: dict[str, object] = {
        "pool_size": config.pool_size,
        "max_overflow": config.max_overflow,
        # No pre-ping on the hot path: it costs a round trip per transaction. A connection broken by a
        # restart fails its operation (an "unknown" outcome in a ledger) and SQLAlchemy then
        # invalidates the pool. Admin and checker engines ask for it: they must survive restarts.
        "pool_pre_ping": pre_ping,
        "connect_args": connect_args,
    }
    if isolation_level:
        kwargs["isolation_level"] = isolation_level
    return create_engine(config.sqlalchemy_url(), **kwargs)


def create_async_db_engine(config: SystemConfig, *, application_name: str = "plsync") -> AsyncEngine:
    """The same database, pool and session settings on asyncpg, for code on an event loop (the API).

    Its ``sync_engine`` serves synchronous code run through SQLAlchemy's greenlet bridge: every wait for
    the server then yields to the loop. asyncpg prepares each statement once per connection and keeps it.
    """
    settings = session_settings(config) | {"application_name": application_name}
    return create_async_engine(config.sqlalchemy_url().set(drivername="postgresql+asyncpg"),
                               pool_size=config.pool_size, max_overflow=config.max_overflow,
                               connect_args={"timeout": CONNECT_TIMEOUT_S, "server_settings": settings})


@dataclass
class Database:
    """The pair every component needs: an engine and a session factory bound to it."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def on(cls, engine: Engine) -> Database:
        return cls(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))

    @classmethod
    def connect(cls, config: SystemConfig, *, application_name: str = "plsync", pre_ping: bool = False) -> Database:
        db = cls.on(create_db_engine(config, application_name=application_name, pre_ping=pre_ping))
        db.ping()
        return db

    def ping(self) -> None:
        """Fail fast, with a clear message, when the server cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, OSError) as exc:  # asyncpg raises the socket's own error (refused, timed out)
            url = self.engine.url.render_as_string(hide_password=True)
            orig = exc.orig if isinstance(exc, OperationalError) else exc
            first_line = str(orig).strip().splitlines()[0] if orig else str(exc)
            raise InfrastructureError(f"cannot reach PostgreSQL at {url}: {first_line}", cause=exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session, one transaction: commits on success, rolls back and re-raises on error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
