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
from dataclasses import fields
from typing import Any, Protocol

from scenarios.ledger import Outcome, outcome_of
from scenarios.read_history import ReadRecord, WriteRecord, writer_transactions
from scenarios.read_modes import DirectReader, ReadMode
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import (
    AdvanceLicenseRequest,
    Direction,
    LevelUpRequest,
    LevelUpResult,
    LicenseResult,
    SyncResult,
)
from system.strategies import Strategy

#: (operation name, seconds, exception or None): Locust's request event, or a no-op in tests.
Report = Callable[[str, float, BaseException | None], None]


class Recorder(Protocol):
    specialization: str
    staff_id: int
    strategy: str

    def pick_student(self, rng: random.Random) -> int: ...

    def pick_read_mode(self, rng: random.Random) -> ReadMode: ...

    def record(self, operation: str, user_id: int, xp: int, outcome: Outcome, latency_s: float,
               attempts: int = 1, error: str | None = None) -> None: ...

    def record_read(self, record: ReadRecord) -> None: ...

    def record_write(self, record: WriteRecord) -> None: ...


def write_record(operation: str, user_id: int, specialization: str, window: tuple[float, float], result: object,
                 strategy: str, outcome: Outcome = Outcome.OK) -> WriteRecord:
    """What a write moved, from what its result says; levels None when it failed or the result is unknown.

    A level-up's result names progress before and after and the license after; a license advance's the
    license before and after and progress after (its progress before is taken as the license's before:
    the writer of an in-step pair); a sync the side it wrote, before and after, the other side being
    the level it copied.
    """
    began, ended = window
    levels: tuple[int | None, int | None, int | None, int | None] = (None, None, None, None)
    first = "license" if operation == "advance_license" else "progress"
    if isinstance(result, LevelUpResult):
        levels = (result.previous_level, result.level, None, result.license_level)
    elif isinstance(result, LicenseResult):
        levels = (result.previous_level, result.progress_level, result.previous_level, result.level)
    elif isinstance(result, SyncResult):
        if result.direction is Direction.PROGRESS_TO_LICENSE:
            levels = (result.level_after, result.level_after, result.level_before, result.level_after)
        else:
            levels = (result.level_before, result.level_after, result.level_after, result.level_after)
    # A sync is one transaction under every strategy; a level-up or an advance is two under legacy (its hook).
    transactions = 1 if isinstance(result, SyncResult) or operation == "sync" else writer_transactions(strategy)
    return WriteRecord(operation, user_id, specialization, began, ended, *levels,
                       transactions=transactions, outcome=outcome, first_side=first)


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
#: A read a stop cut short: what it saw is unknown; the read checker counts it among the failed reads.
INTERRUPTED_READ = "interrupted before the reply: nothing seen"


def ignore(_operation: str, _seconds: float, _error: BaseException | None) -> None:
    """A report for tests: the client works the same, nothing is sent to Locust."""


class DirectClient:
    def __init__(self, strategy: Strategy, ctx: Recorder, report: Report = ignore) -> None:
        self.strategy, self.ctx, self.report = strategy, ctx, report
        self.reader = DirectReader(strategy.db)

    def _timed(self, operation: str, user_id: int, xp: int, call: Callable[[], Any], *,
               history: bool = True) -> Any:
        """Run, time, report and record the call; the result, or None when it raised."""
        began, wall = time.perf_counter(), time.time()
        try:
            result = call()
        except BaseException as exc:
            elapsed = time.perf_counter() - began
            stopped = interruption(exc)
            if stopped is not None:  # not a reply: Locust's statistics get nothing, the ledger gets unknown
                self.ctx.record(operation, user_id, xp, Outcome.UNKNOWN, elapsed, error=INTERRUPTED)
                if history:  # in the history too: the checker explains reads with it as a write that may have landed
                    self.ctx.record_write(write_record(operation, user_id, self.ctx.specialization,
                                                       (wall, time.time()), None, self.strategy.name, Outcome.UNKNOWN))
                if stopped is exc:
                    raise
                raise stopped from exc  # the stop goes on; what its clean-up raised stays as the cause
            self.report(operation, elapsed, exc)
            error = f"{type(exc).__name__}: {exc}"[:300]
            self.ctx.record(operation, user_id, xp, outcome_of(exc), elapsed, error=error)
            if history:
                self.ctx.record_write(write_record(operation, user_id, self.ctx.specialization,
                                                   (wall, time.time()), None, self.strategy.name, outcome_of(exc)))
            return None
        elapsed = time.perf_counter() - began
        self.report(operation, elapsed, None)
        self.ctx.record(operation, user_id, xp, Outcome.OK, elapsed, getattr(result, "attempts", 1))
        if history:
            self.ctx.record_write(write_record(operation, user_id, self.ctx.specialization, (wall, time.time()),
                                               result, self.strategy.name))
        return result

    def level_up(self, rng: random.Random) -> None:
        student, xp = self.ctx.pick_student(rng), rng.randint(5, 50)
        request = LevelUpRequest(student, self.ctx.specialization, xp, 1, reason="swarm level-up")
        self._timed("level_up", student, xp, lambda: self.strategy.level_up(request))

    def sync(self, rng: random.Random) -> None:
        student = self.ctx.pick_student(rng)
        self._timed("sync", student, 0,
                    lambda: self.strategy.sync(student, self.ctx.specialization, Direction.PROGRESS_TO_LICENSE))

    def read(self, rng: random.Random) -> None:
        student, mode = self.ctx.pick_student(rng), self.ctx.pick_read_mode(rng)
        began = time.time()
        try:
            seen = self._timed("read", student, 0, lambda: self.reader.read(mode, student, self.ctx.specialization),
                               history=False)
        except BaseException:  # a stop cut the read short: unknown, left out of the checker's reads and counted
            self.ctx.record_read(ReadRecord(mode.name, student, self.ctx.specialization, began, time.time(), None,
                                            None, Outcome.UNKNOWN, INTERRUPTED_READ))
            raise
        ended = time.time()
        if seen is None:
            self.ctx.record_read(ReadRecord(mode.name, student, self.ctx.specialization, began, ended, None, None,
                                            Outcome.UNKNOWN, "the read failed"))
        else:
            self.ctx.record_read(ReadRecord(mode.name, student, self.ctx.specialization, began, ended,
                                            seen.progress_level, seen.license_level))

    def advance_license(self, rng: random.Random) -> None:
        student, level = self.ctx.pick_student(rng), rng.randint(1, 3)
        request = AdvanceLicenseRequest(student, self.ctx.specialization, level, self.ctx.staff_id, "swarm admin")
        self._timed("advance_license", student, 0, lambda: self.strategy.advance_license(request))

    def bulk_sync_dry_run(self, rng: random.Random) -> None:
        def dry_run() -> object:
            with self.strategy.db.transaction() as session:
                return ProgressLicenseSyncService().auto_sync_all(session=session, dry_run=True)

        self._timed("bulk_sync_dry_run", 0, 0, dry_run, history=False)


#: A connection idle this long is closed before the next request instead of reused: the API (uvicorn) closes
#: one idle for 5 s, and a request sent on it just then gets no reply (its write's outcome unknown). Clients
#: keep their idle timeout below the server's for that reason; an open-model pool leaves users idle for seconds.
IDLE_CLOSE_S = 4.0

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


def failure_label(status: int, kind: str | None, error: str) -> str:
    """What Locust's failure table counts a failed reply under: its status and error kind, without the detail.

    Locust keeps a row per distinct message and rewrites its failures CSV every second. With the detail of each
    503 in it ("55 requests wait; at 252 a second ...") a standard overload run left 3,149 rows; from the overload
    on, the generator stalled for 30-64 ms every second rewriting them (at most about 15 ms before), and the p99
    it measured after the overload stayed two to three times the one before. Counted by status and kind, the
    stalls stayed under 15 ms and the p99 went back to its level. The ledger keeps each detail."""
    return f"HTTP {status} {kind}" if kind else error


class HttpClient:
    """Over Locust's FastHttpSession, which times and reports each request itself."""

    def __init__(self, session: Any, ctx: Recorder, token: Callable[[], str]) -> None:
        self.session, self.ctx, self.token = session, ctx, token  # a callable: tokens expire, long runs renew
        #: The last request's (status, error field of its body): 0 when no reply came (an overload run counts
        #: every reply by it: loadtests/intervals.py).
        self.last_reply: tuple[int, str | None] = (0, None)
        self._idle_since: float | None = None

    def _call(self, method: str, path: str, name: str, user_id: int, xp: int, body: dict[str, Any] | None = None,
              *, wrote: type | None = None) -> tuple[Outcome, Any]:
        """Send, judge and record the request; (outcome, the reply's JSON when it succeeded).

        ``wrote``: the result type the reply carries when the call is a write the history records.
        """
        began, wall = time.perf_counter(), time.time()
        if self._idle_since is not None and began - self._idle_since > IDLE_CLOSE_S:
            self.session.client.close()  # a new connection, not one the server may be closing right now
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {self.token()}"}, "name": name,
                                  "catch_response": True}
        if body is not None:
            kwargs["json"] = body
        reply: Any = None
        self.last_reply = (0, None)
        try:
            with getattr(self.session, method)(path, **kwargs) as response:
                status = response.status_code or 0
                kind = error_kind(response.text) if not 200 <= status < 300 else None
                self.last_reply = (status, kind if status == 503 else None)
                outcome = outcome_of_status(status, kind)
                error = None
                if outcome is not Outcome.OK:
                    error = f"HTTP {response.status_code}: {(response.text or '')[:200]}"  # the ledger keeps it all
                    response.failure(failure_label(status, kind, error))
                else:
                    reply = response.json()
        except BaseException as exc:  # a stop mid-request, or the session itself failing: no status seen
            self._idle_since = time.perf_counter()
            detail = INTERRUPTED if interruption(exc) is not None else f"{type(exc).__name__}: {exc}"[:300]
            self.ctx.record(name, user_id, xp, Outcome.UNKNOWN, time.perf_counter() - began, error=detail)
            if wrote is not None:
                self.ctx.record_write(write_record(name, user_id, self.ctx.specialization, (wall, time.time()), None,
                                                   self.ctx.strategy, Outcome.UNKNOWN))
            raise
        self._idle_since = time.perf_counter()
        self.ctx.record(name, user_id, xp, outcome, time.perf_counter() - began, error=error)
        if wrote is not None:
            result = None if reply is None else wrote(**{f.name: reply[f.name] for f in fields(wrote)})
            self.ctx.record_write(write_record(name, user_id, self.ctx.specialization, (wall, time.time()), result,
                                               self.ctx.strategy, outcome))
        return outcome, reply

    def level_up(self, rng: random.Random) -> None:
        student, xp = self.ctx.pick_student(rng), rng.randint(5, 50)
        self._call("post", f"/api/v1/progress/{student}/{self.ctx.specialization}/level-up", "level_up", student, xp,
                   {"xp": xp, "sessions": 1, "reason": "swarm level-up"}, wrote=LevelUpResult)

    def sync(self, rng: random.Random) -> None:
        student = self.ctx.pick_student(rng)
        self._call("post", f"/api/v1/licenses/admin/sync/user/{student}", "sync", student, 0,
                   {"specialization": self.ctx.specialization})

    def read(self, rng: random.Random) -> None:
        student, mode = self.ctx.pick_student(rng), self.ctx.pick_read_mode(rng)  # over HTTP: the API's reader
        began = time.time()
        try:
            outcome, reply = self._call("get", f"/api/v1/licenses/{student}/{self.ctx.specialization}/consistency",
                                        "read", student, 0)
        except BaseException as exc:  # no reply: unknown, left out of the checker's reads and counted
            error = INTERRUPTED_READ if interruption(exc) is not None else "the read failed"
            self.ctx.record_read(ReadRecord(mode.name, student, self.ctx.specialization, began, time.time(), None,
                                            None, Outcome.UNKNOWN, error))
            raise
        progress, lic = (reply["progress_level"], reply["license_level"]) if reply is not None else (None, None)
        self.ctx.record_read(ReadRecord(mode.name, student, self.ctx.specialization, began, time.time(), progress,
                                        lic, outcome, None if reply is not None else "the read failed"))

    def advance_license(self, rng: random.Random) -> None:
        student = self.ctx.pick_student(rng)
        self._call("post", f"/api/v1/licenses/{student}/{self.ctx.specialization}/advance", "advance_license",
                   student, 0, {"target_level": rng.randint(1, 3), "reason": "swarm admin"}, wrote=LicenseResult)

    def bulk_sync_dry_run(self, rng: random.Random) -> None:
        self._call("post", "/api/v1/licenses/admin/sync/all", "bulk_sync_dry_run", 0, 0, {"dry_run": True})
