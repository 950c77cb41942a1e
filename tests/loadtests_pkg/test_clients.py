"""The swarm's direct client outside Locust (events ignored): same calls, same ledger."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from loadtests.clients import DirectClient, error_kind, outcome_of_status
from scenarios.invariants import check_invariants
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
