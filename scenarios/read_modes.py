"""How a reader reads a pair, declared as data: the variable the read checker judges beside the strategy.

Four modes run in-process on a connection of their own; ``api`` is the HTTP consistency endpoint, read
by the swarm's HTTP users. ``system_code`` marks the modes the system itself serves to its users (the
service's ``validate_consistency`` and the endpoint over it): their fractures are the system's, and the
readiness gate judges them; the others are how a reader *could* read, measured as counter-examples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from system.db import Database
from system.errors import ConfigurationError
from system.services.checkpoints import Checkpoint
from system.services.coupler import ProgressLicenseCoupler
from system.services.readers import PairReading, read_pair_one_statement, read_pair_two_statements

READ_COMMITTED = "READ COMMITTED"
REPEATABLE_READ = "REPEATABLE READ"


@dataclass(frozen=True)
class ReadMode:
    name: str
    description: str
    isolation: str
    #: "direct": in-process, on the harness's own connection; "http": through the API.
    transport: str
    system_code: bool = False

    def __post_init__(self) -> None:
        if self.isolation not in (READ_COMMITTED, REPEATABLE_READ) or self.transport not in ("direct", "http"):
            raise ConfigurationError(f"read mode {self.name}: bad isolation or transport")


READ_MODES: dict[str, ReadMode] = {m.name: m for m in (
    ReadMode("two_statements", "progress then license, one SELECT each, READ COMMITTED (the seeds' way)",
             READ_COMMITTED, "direct"),
    ReadMode("one_statement", "one SELECT reading both rows (one snapshot), READ COMMITTED", READ_COMMITTED,
             "direct"),
    ReadMode("repeatable_read", "progress then license in one REPEATABLE READ transaction (one snapshot)",
             REPEATABLE_READ, "direct"),
    ReadMode("service", "ProgressLicenseCoupler.validate_consistency, the system's reader, READ COMMITTED",
             READ_COMMITTED, "direct", system_code=True),
    ReadMode("api", "GET /api/v1/licenses/{user}/{specialization}/consistency, the API's reader", READ_COMMITTED,
             "http", system_code=True),
)}


def read_mode_named(name: str) -> ReadMode:
    try:
        return READ_MODES[name]
    except KeyError:
        raise ConfigurationError(f"unknown read mode {name!r} (choose from {', '.join(READ_MODES)})") from None


def modes_for_transport(transport: str, names: list[str] | None = None) -> list[ReadMode]:
    """The chosen modes (default: every mode of the transport); a mode of the other transport is refused."""
    chosen = [read_mode_named(n) for n in names] if names else [m for m in READ_MODES.values()
                                                                 if m.transport == transport]
    wrong = [m.name for m in chosen if m.transport != transport]
    if wrong:
        usable = ", ".join(m.name for m in READ_MODES.values() if m.transport == transport)
        raise ConfigurationError(f"read mode {', '.join(wrong)} does not run over {transport} (choose from {usable})")
    return chosen


def _service(session: Session, user_id: int, specialization: str, checkpoint: Checkpoint | None) -> PairReading:
    status = ProgressLicenseCoupler(lock_rows=False).validate_consistency(
        session=session, user_id=user_id, specialization=specialization, checkpoint=checkpoint)
    return PairReading(status.progress_level, status.license_level)


Reader = Callable[..., PairReading]
_READERS: dict[str, Reader] = {
    "two_statements": read_pair_two_statements,
    "one_statement": read_pair_one_statement,
    "repeatable_read": read_pair_two_statements,  # the same statements; the snapshot makes the difference
}


class DirectReader:
    """Reads a pair in one of the in-process modes, on its own engine (one per isolation level)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._repeatable = db.engine.execution_options(isolation_level=REPEATABLE_READ)

    def read(self, mode: ReadMode, user_id: int, specialization: str,
             checkpoint: Checkpoint | None = None) -> PairReading:
        if mode.transport != "direct":
            raise ConfigurationError(f"read mode {mode.name} runs through the API, not in-process")
        bind = self._repeatable if mode.isolation == REPEATABLE_READ else self.db.engine
        with self.db.sessions(bind=bind) as session, session.begin():
            if mode.name == "service":
                return _service(session, user_id, specialization, checkpoint)
            return _READERS[mode.name](session=session, user_id=user_id, specialization=specialization,
                                       checkpoint=checkpoint)
