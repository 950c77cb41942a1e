"""The experiment's variable: one interface, six ways of keeping progress and license consistent."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, DBAPIError, EmulatedDBAPIException
from sqlalchemy.orm import Session

from system.config import SystemConfig
from system.db import Database
from system.errors import (
    ConcurrencyError,
    ConfigurationError,
    InfrastructureError,
    InvalidInputError,
    PlsyncError,
)
from system.services.checkpoints import AFTER_GUARD, BEFORE_COMMIT
from system.services.types import (
    AdvanceLicenseRequest,
    Direction,
    LevelUpRequest,
    LevelUpResult,
    LicenseResult,
    SyncResult,
)
from system.strategies.waits import ThreadWaits, Waits

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Called at the named points of system.services.checkpoints; scenarios stall or fail operations there.
FaultPoint = Callable[[str, Session | None], None]


@dataclass
class StrategyContext:
    db: Database
    config: SystemConfig
    redis_client: object | None = None
    fault_point: FaultPoint | None = None
    extra: dict[str, object] = field(default_factory=dict)
    #: How the strategy waits off the database (back-off sleeps, Redis locks): the calling thread by
    #: default; the API's event loop (system.api.bridge) when its code runs in SQLAlchemy's greenlet bridge.
    waits: Waits = field(default_factory=ThreadWaits)

    def at(self, point: str, session: Session | None) -> None:
        if self.fault_point is not None:
            self.fault_point(point, session)


#: SQLSTATEs of the integrity violations a caller's input causes (check, foreign key, not null, unique).
INPUT_VIOLATIONS = {"23514": "CheckViolation", "23503": "ForeignKeyViolation", "23502": "NotNullViolation",
                    "23505": "UniqueViolation"}
#: SQLSTATEs that mean "someone else holds what this needs": retry, nothing changed. Named as psycopg2 names
#: them, whichever driver raised them, so messages (and whoever reads them) stay the same.
CONFLICTS = {"55P03": "LockNotAvailable", "57014": "QueryCanceled", "40001": "SerializationFailure",
             "40P01": "DeadlockDetected"}


def driver_error(exc: DBAPIError) -> BaseException | None:
    """The driver's own exception: psycopg2's, or asyncpg's under SQLAlchemy's emulated DBAPI errors."""
    orig = exc.orig
    return orig.orig if isinstance(orig, EmulatedDBAPIException) else orig


def sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE of a database error (psycopg2's ``pgcode``, the asyncpg adapter's ``sqlstate``), if any."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    return code if isinstance(code, str) else None


def translate(exc: DBAPIError) -> PlsyncError:
    """Map a database error to the typed error of whoever must act on it (by SQLSTATE: any driver)."""
    orig, driver = exc.orig, driver_error(exc)
    detail = str(orig).strip().splitlines()[0] if orig is not None else str(exc)
    code = sqlstate(exc) or ""
    if code in INPUT_VIOLATIONS:
        constraint = (getattr(getattr(driver, "diag", None), "constraint_name", None)  # psycopg2
                      or getattr(driver, "constraint_name", None))  # asyncpg
        return InvalidInputError(f"rejected by the database ({constraint}): {detail}", cause=exc)
    # SQLSTATE class 22 is the value (an int4 overflow...), not the server. asyncpg refuses a value its
    # parameter's type cannot hold before sending it (a DataError, 22000, caused by the codec's OverflowError).
    if code.startswith("22") or isinstance(exc, DataError):
        if isinstance(getattr(driver, "__cause__", None), OverflowError):
            return InvalidInputError(f"value out of range for the database: {detail}", cause=exc)
        return InvalidInputError(f"value rejected by the database: {detail}", cause=exc)
    if code in CONFLICTS:
        return ConcurrencyError(f"{CONFLICTS[code]}: {detail}", cause=exc)
    return InfrastructureError(f"database error: {detail}", cause=exc)


def driver_rejection(exc: ValueError) -> InvalidInputError | None:
    """psycopg2 refuses some text before it reaches the server, with a bare ValueError (not a DBAPIError)."""
    if isinstance(exc, UnicodeEncodeError):  # a lone surrogate cannot be encoded as UTF-8
        return InvalidInputError(f"text is not valid Unicode: {exc.reason} at position {exc.start}", cause=exc)
    if "NUL (0x00)" in str(exc):
        return InvalidInputError("text cannot contain NUL (0x00) characters", cause=exc)
    return None


@contextmanager
def typed_errors() -> Iterator[None]:
    try:
        yield
    except DBAPIError as exc:
        raise translate(exc) from exc
    except OSError as exc:  # asyncpg's connect raises the socket's error (refused, timed out) as it is
        raise InfrastructureError(f"cannot reach the database: {exc}", cause=exc) from exc
    except ValueError as exc:
        typed = driver_rejection(exc)
        if typed is None:
            raise
        raise typed from exc


class Strategy(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    #: Whether it locks in Redis: every process that shares the database must share that Redis.
    needs_redis: ClassVar[bool] = False
    #: The strategy this one is the remedy of (shown side by side with it), if any.
    remedy_for: ClassVar[str | None] = None

    def __init__(self, ctx: StrategyContext) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self._binds: dict[str, Engine] = {}

    @abstractmethod
    def level_up(self, request: LevelUpRequest) -> LevelUpResult: ...

    @abstractmethod
    def advance_license(self, request: AdvanceLicenseRequest) -> LicenseResult: ...

    @abstractmethod
    def sync(self, user_id: int, specialization: str, direction: Direction) -> SyncResult: ...

    def close(self) -> None:  # noqa: B027  (optional hook: most strategies open nothing of their own)
        """Release what the strategy opened itself (the database belongs to the caller)."""

    def transaction(self, work: Callable[[Session], T], *, prepare: Callable[[Session], None] | None = None,
                    isolation_level: str | None = None, guard_reached: bool = False) -> T:
        """Run ``work`` in one transaction: commit on success, roll back whole and raise a typed error.

        ``prepare`` runs first (a lock, a fence). The checkpoints AFTER_GUARD (unless the caller already
        reached it, ``guard_reached``) and BEFORE_COMMIT bracket ``work``.
        """
        bind = self.db.engine
        if isolation_level is not None:  # one option engine per level, sharing the pool (not one per call)
            bind = self._binds.get(isolation_level) or self._binds.setdefault(
                isolation_level, bind.execution_options(isolation_level=isolation_level))
        with typed_errors(), self.db.sessions(bind=bind) as session, session.begin():
            if prepare is not None:
                prepare(session)
            if not guard_reached:
                self.ctx.at(AFTER_GUARD, session)
            result = work(session)
            if self.ctx.fault_point is not None:
                session.flush()  # BEFORE_COMMIT means every write has reached the server
                self.ctx.at(BEFORE_COMMIT, session)
            return result


_REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    if cls.name in _REGISTRY:
        raise ValueError(f"strategy {cls.name!r} registered twice ({_REGISTRY[cls.name].__name__}, {cls.__name__})")
    _REGISTRY[cls.name] = cls
    return cls


def strategy_names() -> list[str]:
    return list(_REGISTRY)


def strategy_class(name: str) -> type[Strategy]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigurationError(f"unknown strategy {name!r} (choose from {', '.join(_REGISTRY)})") from None


def create_strategy(name: str, ctx: StrategyContext) -> Strategy:
    return strategy_class(name)(ctx)
