"""The nemesis: faults and stalls bound to the named checkpoints of an operation.

A ``FaultPlan`` is the strategy's fault point. Each action fires once, on the first arrival at its
point (later arrivals, e.g. a serializable retry, pass through). Actions: raise (a sync hook that
fails), terminate the session's own backend, a statement timeout, a rendezvous of N sessions (both
read before either writes), and an observer that looks at the pair from another connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from system.db import Database
from system.services.sync_service import ProgressLicenseSyncService

Action = Callable[[str, Session | None], None]


class InjectedFault(RuntimeError):
    """Raised by the nemesis where a real system would meet a failing dependency."""


class FaultPlan:
    def __init__(self) -> None:
        self._actions: dict[str, list[Action]] = {}
        self._fired: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self.log: list[str] = []

    def at(self, point: str, action: Action, *, every_thread: bool = False) -> FaultPlan:
        """Bind ``action`` to ``point``: once overall, or once per thread when ``every_thread``."""
        self._actions.setdefault(point, []).append(action if not every_thread else _per_thread(action))
        return self

    def __call__(self, point: str, session: Session | None) -> None:
        for index, action in enumerate(self._actions.get(point, [])):
            per_thread = getattr(action, "per_thread", False)
            with self._lock:
                key = (point, index)
                if not per_thread and key in self._fired:
                    continue
                self._fired.add(key)
                self.log.append(point)
            action(point, session)


def _per_thread(action: Action) -> Action:
    seen: set[int] = set()
    lock = threading.Lock()

    def once_per_thread(point: str, session: Session | None) -> None:
        me = threading.get_ident()
        with lock:
            if me in seen:
                return
            seen.add(me)
        action(point, session)

    once_per_thread.per_thread = True  # type: ignore[attr-defined]
    return once_per_thread


def fail(message: str = "injected failure") -> Action:
    def act(point: str, _session: Session | None) -> None:
        raise InjectedFault(f"{message} at {point}")

    return act


def terminate_own_backend(admin: Database) -> Action:
    """Kill the backend serving the operation's transaction, from another connection."""
    def act(_point: str, session: Session | None) -> None:
        assert session is not None
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()

    return act


def statement_timeout(ms: int = 50) -> Action:
    def act(_point: str, session: Session | None) -> None:
        assert session is not None
        session.execute(text(f"SET LOCAL statement_timeout = {int(ms)}"))
        session.execute(text("SELECT pg_sleep(2)"))

    return act


class Rendezvous:
    """N sessions wait for each other at a point; a session that cannot arrive (blocked by a lock)
    lets the others go after ``timeout_s``, and that blocking is recorded as evidence."""

    def __init__(self, parties: int = 2, timeout_s: float = 0.6) -> None:
        self.barrier = threading.Barrier(parties)
        self.timeout_s = timeout_s
        self.met = 0
        self.timed_out = 0
        self._lock = threading.Lock()

    def __call__(self, _point: str, _session: Session | None) -> None:
        try:
            self.barrier.wait(self.timeout_s)
            with self._lock:
                self.met += 1
        except threading.BrokenBarrierError:
            with self._lock:
                self.timed_out += 1

    def evidence(self) -> dict[str, Any]:
        return {"sessions_met_at_point": self.met, "sessions_that_waited_in_vain": self.timed_out}


class Observer:
    """Looks at one pair from a separate connection while the operation is stalled at a point."""

    def __init__(self, admin: Database, user_id: int, specialization: str) -> None:
        self.admin, self.user_id, self.specialization = admin, user_id, specialization
        self.seen: list[dict[str, Any]] = []

    def __call__(self, point: str, _session: Session | None) -> None:
        with self.admin.transaction() as session:
            issues = [i for i in ProgressLicenseSyncService().find_desync_issues(session=session)
                      if (i.user_id, i.specialization) == (self.user_id, self.specialization)]
        self.seen.extend({"point": point, "kind": i.kind, "progress_level": i.progress_level,
                          "license_level": i.license_level} for i in issues)


@contextmanager
def holding_row_lock(admin: Database, table: str, user_column: str, spec_column: str, user_id: int,
                     specialization: str) -> Iterator[None]:
    """Another session holds ``SELECT ... FOR UPDATE`` on a row for as long as the block runs."""
    conn = admin.engine.connect()
    try:
        trans = conn.begin()
        conn.execute(text(f"SELECT 1 FROM {table} WHERE {user_column} = :u AND {spec_column} = :s FOR UPDATE"),
                     {"u": user_id, "s": specialization})
        yield
        trans.rollback()
    finally:
        conn.close()
