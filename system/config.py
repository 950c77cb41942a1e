"""The system's settings: one frozen object, built by the caller, never at import time."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from system.errors import ConfigurationError

#: RFC 7518 section 3.2: an HS256 key must be at least as long as the hash (256 bits).
API_SECRET_MIN_BYTES = 32


def generate_api_secret() -> str:
    """A fresh random secret for a process that was given none: tokens it signs die with it."""
    return secrets.token_urlsafe(API_SECRET_MIN_BYTES)


@dataclass(frozen=True)
class SystemConfig:
    """Everything the services, strategies, scheduler and API need to run."""

    database_url: str
    redis_url: str | None = None
    #: How long a strategy waits for a row, advisory or Redis lock before giving up (seconds).
    lock_timeout_s: float = 10.0
    #: Statement timeout for every connection (milliseconds, 0 = none).
    statement_timeout_ms: int = 0
    #: The server ends a session left idle inside a transaction this long (milliseconds; 0 = the
    #: server's own setting). A client frozen mid-transaction loses its session and its locks.
    idle_in_transaction_timeout_ms: int = 0
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
    #: Secret that signs API bearer tokens (HS256). Never a constant: the caller passes one (plsync takes
    #: PLSYNC_API_SECRET) or each settings object draws its own at random.
    api_secret: str = field(default_factory=generate_api_secret, repr=False)
    #: Lifetime of the tokens the API's clients mint (seconds).
    api_token_ttl_s: float = 900.0
    #: How long the API trusts what it read of a caller (exists, role) before reading it again (seconds).
    api_caller_cache_s: float = 5.0
    #: The largest request body any operation accepts (bytes). None: each operation's own limit, twice the
    #: largest compact JSON its schema admits (at least 1 KiB: 12 KiB for a level-up or a license advance
    #: with its 500-character reason, 1-2 KiB for the admin sync bodies). Checked before the body is read
    #: (system.api.limits).
    api_body_limit_bytes: int | None = None
    #: A body not received whole within this is refused with 408 (a Content-Length that claims more than is sent).
    api_body_timeout_s: float = 5.0
    #: A connection whose request headers are not complete this long after it opened (or after the request's
    #: first byte) is closed: uvicorn has no such timeout of its own (system.api.server).
    api_header_timeout_s: float = 5.0
    #: Connections open at once; past it a new one is closed as soon as it is accepted.
    api_max_connections: int = 4096
    #: Requests that may wait for one of the pool's slots; one more is refused at once with 503.
    api_queue_max: int = 256
    #: How long a request may wait for a slot before it is refused with 503 (seconds).
    api_queue_wait_s: float = 2.0
    #: How long, once the queue has not been empty for 100 ms (a sustained overload), a request may wait
    #: (seconds; system.api.admission).
    api_queue_standing_wait_s: float = 0.1

    def __post_init__(self) -> None:
        self.sqlalchemy_url()  # fail at construction on a malformed URL
        if self.lock_timeout_s <= 0:
            raise ConfigurationError(f"lock_timeout_s must be positive, got {self.lock_timeout_s}")
        if self.serializable_max_attempts < 1:
            raise ConfigurationError("serializable_max_attempts must be at least 1")
        if self.statement_timeout_ms < 0:
            raise ConfigurationError("statement_timeout_ms cannot be negative")
        if len(self.api_secret.encode()) < API_SECRET_MIN_BYTES:
            raise ConfigurationError(f"the API secret must be at least {API_SECRET_MIN_BYTES} bytes long "
                                     "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
        if self.api_token_ttl_s <= 0 or self.api_caller_cache_s < 0:
            raise ConfigurationError("api_token_ttl_s must be positive and api_caller_cache_s non-negative")
        if self.api_body_limit_bytes is not None and self.api_body_limit_bytes < 1:
            raise ConfigurationError(f"api_body_limit_bytes must be positive, got {self.api_body_limit_bytes}")
        if min(self.api_body_timeout_s, self.api_header_timeout_s, self.api_queue_wait_s,
               self.api_queue_standing_wait_s) <= 0:
            raise ConfigurationError("api_body_timeout_s, api_header_timeout_s, api_queue_wait_s and "
                                     "api_queue_standing_wait_s must be positive")
        if self.api_max_connections < 1 or self.api_queue_max < 0:
            raise ConfigurationError("api_max_connections must be at least 1 and api_queue_max non-negative")
        if self.idle_in_transaction_timeout_ms < 0:
            raise ConfigurationError("idle_in_transaction_timeout_ms cannot be negative")
        if self.redis_lock_ttl_s <= 0:
            raise ConfigurationError(f"redis_lock_ttl_s must be positive, got {self.redis_lock_ttl_s}")
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
