"""One client interface for the swarm's operations, over two transports.

``DirectClient`` calls the system's strategy in-process; ``HttpClient`` calls the API through
Locust's FastHttpSession. Both time every call, report it through ``report`` (Locust's request
event in a swarm, nothing in a test) and write it to the ledger. Every call that starts ends in the
ledger: one cut short (Locust kills a user's greenlet with ``GreenletExit`` when it stops without a
stop timeout) is recorded as ``unknown``, since its commit may already have reached the server.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any, Protocol

from scenarios.ledger import Outcome, outcome_of
from system.services.coupler import ProgressLicenseCoupler
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import AdvanceLicenseRequest, Direction, LevelUpRequest
from system.strategies import Strategy

#: (operation name, seconds, exception or None): Locust's request event, or a no-op in tests.
Report = Callable[[str, float, BaseException | None], None]


class Recorder(Protocol):
    specialization: str
    staff_id: int

    def pick_student(self, rng: random.Random) -> int: ...

    def record(self, operation: str, user_id: int, xp: int, outcome: Outcome, latency_s: float,
               attempts: int = 1, error: str | None = None) -> None: ...


class SystemClient(Protocol):
    def level_up(self, rng: random.Random) -> None: ...
    def sync(self, rng: random.Random) -> None: ...
    def read(self, rng: random.Random) -> None: ...
    def advance_license(self, rng: random.Random) -> None: ...
    def bulk_sync_dry_run(self, rng: random.Random) -> None: ...


def interruption(exc: BaseException) -> BaseException | None:
    """The interruption behind ``exc`` (``GreenletExit``, ``KeyboardInterrupt``: not an ``Exception``), also when
    cleaning up after it raised something else on the way out (a rollback on a connection left mid-query)."""
    seen: BaseException | None = exc
    while seen is not None:
        if not isinstance(seen, Exception):
            return seen
        seen = seen.__context__
    return None


INTERRUPTED = "interrupted before the reply: the commit may or may not have happened"


def ignore(_operation: str, _seconds: float, _error: BaseException | None) -> None:
    """A report for tests: the client works the same, nothing is sent to Locust."""


class DirectClient:
    def __init__(self, strategy: Strategy, ctx: Recorder, report: Report = ignore) -> None:
        self.strategy, self.ctx, self.report = strategy, ctx, report

    def _timed(self, operation: str, user_id: int, xp: int, call: Callable[[], Any]) -> None:
        began = time.perf_counter()
        try:
            result = call()
        except BaseException as exc:
            elapsed = time.perf_counter() - began
            stopped = interruption(exc)
            if stopped is not None:  # not a reply: Locust's statistics get nothing, the ledger gets unknown
                self.ctx.record(operation, user_id, xp, Outcome.UNKNOWN, elapsed, error=INTERRUPTED)
                if stopped is exc:
                    raise
                raise stopped from exc  # the stop goes on; what its clean-up raised stays as the cause
            self.report(operation, elapsed, exc)
            error = f"{type(exc).__name__}: {exc}"[:300]
            self.ctx.record(operation, user_id, xp, outcome_of(exc), elapsed, error=error)
            return
        elapsed = time.perf_counter() - began
        self.report(operation, elapsed, None)
        self.ctx.record(operation, user_id, xp, Outcome.OK, elapsed, getattr(result, "attempts", 1))

    def level_up(self, rng: random.Random) -> None:
        student, xp = self.ctx.pick_student(rng), rng.randint(5, 50)
        request = LevelUpRequest(student, self.ctx.specialization, xp, 1, reason="swarm level-up")
        self._timed("level_up", student, xp, lambda: self.strategy.level_up(request))

    def sync(self, rng: random.Random) -> None:
        student = self.ctx.pick_student(rng)
        self._timed("sync", student, 0,
                    lambda: self.strategy.sync(student, self.ctx.specialization, Direction.PROGRESS_TO_LICENSE))

    def read(self, rng: random.Random) -> None:
        student = self.ctx.pick_student(rng)

        def consistency() -> object:
            with self.strategy.db.transaction() as session:
                return ProgressLicenseCoupler(lock_rows=False).validate_consistency(
                    session=session, user_id=student, specialization=self.ctx.specialization)

        self._timed("read", student, 0, consistency)

    def advance_license(self, rng: random.Random) -> None:
        student, level = self.ctx.pick_student(rng), rng.randint(1, 3)
        request = AdvanceLicenseRequest(student, self.ctx.specialization, level, self.ctx.staff_id, "swarm admin")
        self._timed("advance_license", student, 0, lambda: self.strategy.advance_license(request))

    def bulk_sync_dry_run(self, rng: random.Random) -> None:
        def dry_run() -> object:
            with self.strategy.db.transaction() as session:
                return ProgressLicenseSyncService().auto_sync_all(session=session, dry_run=True)

        self._timed("bulk_sync_dry_run", 0, 0, dry_run)


#: The error of a 503 the API sends when it sheds load: the request was refused before it ran.
SHED = "OverloadedError"


def outcome_of_status(status: int, error: str | None = None) -> Outcome:
    """``error`` is the ``error`` field of the API's error body, when there is one."""
    if 200 <= status < 300:
        return Outcome.OK
    if 400 <= status < 500 or (status == 503 and error == SHED):
        return Outcome.FAILED  # the API said it did nothing (bad input, conflict, lock timeout, load shed)
    return Outcome.UNKNOWN  # 5xx or no response: the write may or may not have happened


def error_kind(text: str | None) -> str | None:
    """The ``error`` field of an error body, or None when the answer is not one."""
    try:
        body = json.loads(text or "")
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


class HttpClient:
    """Over Locust's FastHttpSession, which times and reports each request itself."""

    def __init__(self, session: Any, ctx: Recorder, token: Callable[[], str]) -> None:
        self.session, self.ctx, self.token = session, ctx, token  # a callable: tokens expire, long runs renew

    def _call(self, method: str, path: str, name: str, user_id: int, xp: int, body: dict[str, Any] | None = None
              ) -> None:
        began = time.perf_counter()
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {self.token()}"}, "name": name,
                                  "catch_response": True}
        if body is not None:
            kwargs["json"] = body
        try:
            with getattr(self.session, method)(path, **kwargs) as response:
                status = response.status_code or 0
                outcome = outcome_of_status(status, error_kind(response.text) if status == 503 else None)
                error = None
                if outcome is not Outcome.OK:
                    error = f"HTTP {response.status_code}: {(response.text or '')[:200]}"
                    response.failure(error)
        except BaseException as exc:  # a stop mid-request, or the session itself failing: no status seen
            detail = INTERRUPTED if interruption(exc) is not None else f"{type(exc).__name__}: {exc}"[:300]
            self.ctx.record(name, user_id, xp, Outcome.UNKNOWN, time.perf_counter() - began, error=detail)
            raise
        self.ctx.record(name, user_id, xp, outcome, time.perf_counter() - began, error=error)

    def level_up(self, rng: random.Random) -> None:
        student, xp = self.ctx.pick_student(rng), rng.randint(5, 50)
        self._call("post", f"/api/v1/progress/{student}/{self.ctx.specialization}/level-up", "level_up", student, xp,
                   {"xp": xp, "sessions": 1, "reason": "swarm level-up"})

    def sync(self, rng: random.Random) -> None:
        student = self.ctx.pick_student(rng)
        self._call("post", f"/api/v1/licenses/admin/sync/user/{student}", "sync", student, 0,
                   {"specialization": self.ctx.specialization})

    def read(self, rng: random.Random) -> None:
        student = self.ctx.pick_student(rng)
        self._call("get", f"/api/v1/licenses/{student}/{self.ctx.specialization}/consistency", "read", student, 0)

    def advance_license(self, rng: random.Random) -> None:
        student = self.ctx.pick_student(rng)
        self._call("post", f"/api/v1/licenses/{student}/{self.ctx.specialization}/advance", "advance_license",
                   student, 0, {"target_level": rng.randint(1, 3), "reason": "swarm admin"})

    def bulk_sync_dry_run(self, rng: random.Random) -> None:
        self._call("post", "/api/v1/licenses/admin/sync/all", "bulk_sync_dry_run", 0, 0, {"dry_run": True})
