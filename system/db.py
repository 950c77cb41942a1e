"""Engine and session factories. Callers own transactions: ``with db.session() as s, s.begin(): ...``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from system.config import SystemConfig
from system.errors import InfrastructureError


def create_db_engine(config: SystemConfig, *, isolation_level: str | None = None,
                     application_name: str = "plsync", pre_ping: bool = False) -> Engine:
    # Set per connection, not per transaction: no extra round trip on the hot path.
    options = [f"-c lock_timeout={int(config.lock_timeout_s * 1000)}"]
    if config.statement_timeout_ms:
        options.append(f"-c statement_timeout={config.statement_timeout_ms}")
    if config.idle_in_transaction_timeout_ms:
        options.append(f"-c idle_in_transaction_session_timeout={config.idle_in_transaction_timeout_ms}")
    connect_args: dict[str, object] = {"connect_timeout": 5, "application_name": application_name}
    connect_args["options"] = " ".join(options)
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


@dataclass
class Database:
    """The pair every component needs: an engine and a session factory bound to it."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def connect(cls, config: SystemConfig, *, application_name: str = "plsync", pre_ping: bool = False) -> Database:
        engine = create_db_engine(config, application_name=application_name, pre_ping=pre_ping)
        db = cls(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
        db.ping()
        return db

    def ping(self) -> None:
        """Fail fast, with a clear message, when the server cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            url = self.engine.url.render_as_string(hide_password=True)
            first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise InfrastructureError(f"cannot reach PostgreSQL at {url}: {first_line}", cause=exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One session, one transaction: commits on success, rolls back and re-raises on error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
