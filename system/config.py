"""The system's settings: one frozen object, built by the caller, never at import time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from system.errors import ConfigurationError


@dataclass(frozen=True)
class SystemConfig:
    """Everything the services, strategies, scheduler and API need to run."""

    database_url: str
    redis_url: str | None = None
    #: How long a strategy waits for a row, advisory or Redis lock before giving up (seconds).
    lock_timeout_s: float = 10.0
    #: Statement timeout for every connection (milliseconds, 0 = none).
    statement_timeout_ms: int = 0
    #: Attempts of a SERIALIZABLE transaction before ConcurrencyError.
    serializable_max_attempts: int = 20
    #: Redis lock time-to-live (seconds): a holder that dies frees the lock after this.
    redis_lock_ttl_s: float = 10.0
    pool_size: int = 5
    max_overflow: int = 10
    #: Where the background sync job writes one JSON file per run. No default: a directory relative to
    #: wherever a process happens to start would scatter logs into checkouts.
    sync_log_dir: Path | None = None
    sync_interval_s: float = 6 * 3600
    #: A run that starts later than this after its scheduled time is skipped (APScheduler's misfire grace;
    #: whole seconds: APScheduler takes an int). A setting beside the interval so a compressed soak can scale it.
    sync_misfire_grace_s: int = 300
    #: The health monitor alerts when the last successful run is older than this.
    sync_stale_after_s: float = 7 * 3600
    #: Secret that signs API bearer tokens.
    api_secret: str = "plsync-development-secret"

    def __post_init__(self) -> None:
        self.sqlalchemy_url()  # fail at construction on a malformed URL
        if self.lock_timeout_s <= 0:
            raise ConfigurationError(f"lock_timeout_s must be positive, got {self.lock_timeout_s}")
        if self.serializable_max_attempts < 1:
            raise ConfigurationError("serializable_max_attempts must be at least 1")
        if self.statement_timeout_ms < 0:
            raise ConfigurationError("statement_timeout_ms cannot be negative")
        if self.sync_interval_s <= 0 or self.sync_stale_after_s <= 0:
            raise ConfigurationError("sync_interval_s and sync_stale_after_s must be positive")
        if isinstance(self.sync_misfire_grace_s, bool) or not isinstance(self.sync_misfire_grace_s, int) \
                or self.sync_misfire_grace_s < 1:
            raise ConfigurationError(f"sync_misfire_grace_s must be a whole number of seconds >= 1, got "
                                     f"{self.sync_misfire_grace_s!r}")

    def sqlalchemy_url(self) -> URL:
        return parse_database_url(self.database_url)


def parse_database_url(raw: str) -> URL:
    """Parse a PostgreSQL URL and pin the psycopg2 driver; reject anything else clearly."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigurationError(f"malformed database URL {raw!r}: {exc}", cause=exc) from exc
    backend = url.get_backend_name()
    if backend not in ("postgresql", "postgres"):
        raise ConfigurationError(
            f"database URL must be PostgreSQL (postgresql://...), got {backend!r} in {_redact(raw)}"
        )
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg2")
    if not url.database:
        raise ConfigurationError(f"database URL {_redact(raw)} names no database")
    return url


def _redact(raw: str) -> str:
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"
