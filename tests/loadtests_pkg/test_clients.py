"""The swarm's direct client outside Locust (events ignored): same calls, same ledger."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import gevent
import pytest

from loadtests.clients import INTERRUPTED, DirectClient, HttpClient, error_kind, interruption, outcome_of_status
from scenarios.invariants import check_invariants, stored_xp
from scenarios.ledger import Ledger, LedgerEntry, Outcome
from system.config import SystemConfig
from system.db import Database
from tests.helpers import strategy


@dataclass
class FakeRecorder:
    students: list[int]
    staff_id: int = 0
    specialization: str = "PLAYER"
    ledger: Ledger = field(default_factory=Ledger)

    def pick_student(self, rng: random.Random) -> int:
        return rng.choice(self.students)

    def record(self, operation: str, user_id: int, xp: int, outcome: Outcome, latency_s: float,
               attempts: int = 1, error: str | None = None) -> None:
        entry = LedgerEntry(operation, user_id, self.specialization, xp, outcome, latency_s, attempts, error)
        self.ledger.record(entry)


def test_direct_client_every_operation_into_the_ledger(db: Database, config: SystemConfig,
                                                       students: list[int]) -> None:
    recorder = FakeRecorder(students[:3], staff_id=students[-1])
    reports: list[tuple[str, bool]] = []
    rng = random.Random(1)
    with strategy("coupled", db, config) as impl:
        client = DirectClient(impl, recorder, lambda op, _s, err: reports.append((op, err is None)))
        for operation in ("level_up", "level_up", "sync", "read", "advance_license", "bulk_sync_dry_run"):
            getattr(client, operation)(rng)
    assert [op for op, _ in reports] == ["level_up", "level_up", "sync", "read", "advance_license",
                                         "bulk_sync_dry_run"]
    assert all(ok for _, ok in reports) and recorder.ledger.counts() == {"ok": 6, "failed": 0, "unknown": 0}
    with db.transaction() as session:
        assert check_invariants(session, recorder.ledger, {(s, "PLAYER"): 0 for s in students[:3]}).passed


def test_http_status_maps_to_outcome() -> None:
    assert [outcome_of_status(s) for s in (200, 404, 409, 422, 500, 0)] == [
        Outcome.OK, Outcome.FAILED, Outcome.FAILED, Outcome.FAILED, Outcome.UNKNOWN, Outcome.UNKNOWN]
    # A 503 of load shedding was refused before it ran: failed, never done; any other 503 may have written.
    shed = '{"detail": "the API is overloaded", "error": "OverloadedError"}'
    assert outcome_of_status(503, error_kind(shed)) is Outcome.FAILED
    assert outcome_of_status(503, error_kind('{"error": "InfrastructureError"}')) is Outcome.UNKNOWN
    assert outcome_of_status(503, error_kind("Service Unavailable")) is Outcome.UNKNOWN


class _ReplyNeverArrives:
    """A strategy whose level-up commits and then hangs before returning, as a reply still on its way does when
    Locust stops the user (it kills the user's greenlet: GreenletExit at the next switch)."""

    def __init__(self, impl: Any, commit_first: bool) -> None:
        self.impl, self.commit_first = impl, commit_first

    def level_up(self, request: Any) -> Any:
        if self.commit_first:
            self.impl.level_up(request)
        gevent.sleep(30)
        return self.impl.level_up(request)


@pytest.mark.parametrize("commit_first", [True, False])
def test_a_call_cut_short_by_a_stop_is_recorded_as_unknown(commit_first: bool, db: Database, config: SystemConfig,
                                                           students: list[int]) -> None:
    recorder = FakeRecorder(students[:1])
    with db.transaction() as session:
        before = stored_xp(session, [(students[0], "PLAYER")])[(students[0], "PLAYER")]
    with strategy("coupled", db, config) as impl:
        client = DirectClient(_ReplyNeverArrives(impl, commit_first), recorder)  # type: ignore[arg-type]
        user = gevent.spawn(client.level_up, random.Random(3))
        gevent.sleep(0.5)  # the level-up ran (and committed when commit_first); the user waits for its reply
        user.kill(block=True, timeout=5)
    assert user.dead and isinstance(user.value, gevent.GreenletExit)  # the stop went on, not swallowed
    [entry] = recorder.ledger.entries
    assert entry.outcome is Outcome.UNKNOWN and entry.xp > 0 and entry.error == INTERRUPTED
    with db.transaction() as session:  # stored or not, an unknown outcome explains it: no unacknowledged write
        gained = stored_xp(session, [(students[0], "PLAYER")])[(students[0], "PLAYER")] - before
        report = check_invariants(session, recorder.ledger, {(students[0], "PLAYER"): before})
    assert gained == (entry.xp if commit_first else 0)  # committed before the stop, or never sent
    assert report.passed, report.failed_names()
    assert report.get("lost_updates").amount == 0 and report.get("unacknowledged_writes").amount == 0


def test_an_interruption_behind_its_clean_up_error_still_counts() -> None:
    """A rollback that fails on the way out of a killed call raises something else; its context is the stop."""
    try:
        try:
            raise gevent.GreenletExit()
        except BaseException:
            raise RuntimeError("execute cannot be used while an asynchronous query is underway") from None
    except RuntimeError as exc:
        # ``from None`` hides the context from tracebacks but keeps it: the stop is still found.
        assert isinstance(interruption(exc), gevent.GreenletExit)
    assert interruption(ValueError("bad input")) is None


class _HangingSession:
    """Locust's FastHttpSession as far as HttpClient uses it: a request that never gets its response."""

    def post(self, _path: str, **_kwargs: Any) -> Any:
        gevent.sleep(30)
        raise AssertionError("never reached: the user was stopped")


def test_http_call_cut_short_is_recorded_as_unknown() -> None:
    recorder = FakeRecorder([1])
    client = HttpClient(_HangingSession(), recorder, lambda: "token")
    user = gevent.spawn(client.level_up, random.Random(3))
    gevent.sleep(0.1)
    user.kill(block=True, timeout=5)
    [entry] = recorder.ledger.entries
    assert entry.outcome is Outcome.UNKNOWN and entry.operation == "level_up" and entry.error == INTERRUPTED
