"""Real concurrency: 16 threads, each with its own connection, 50 level-ups each on ONE student; and the same
race with one lock holder frozen past its Redis lease."""

from __future__ import annotations

import dataclasses
import time

import pytest

from fixtures.population import add_students
from scenarios.concurrency import run_concurrent_level_ups
from scenarios.nemesis import FaultPlan
from scenarios.runner import StrategyRunner
from system.config import SystemConfig
from system.db import Database
from system.services.checkpoints import AFTER_PROGRESS_READ
from system.strategies import strategy_class, strategy_names

THREADS, OPS = 16, 50
MEASURED: list[dict[str, object]] = []


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("name", strategy_names())
def test_concurrent_level_ups_on_one_student(name: str, db: Database, config: SystemConfig,
                                             record_property: pytest.RecordProperty) -> None:
    with db.transaction() as session:
        (student,) = add_students(session, 1, seed=11)
    with StrategyRunner(config, name, connections=THREADS + 2) as runner:
        outcome = run_concurrent_level_ups(runner, user_id=student, threads=THREADS, ops_per_thread=OPS, xp=7)
    row = {"strategy": name, "operations": outcome.operations, "ok": outcome.ok, "failed": outcome.failed,
           "unknown": outcome.unknown, "retries": outcome.retries, "lost_xp": outcome.lost_xp,
           "acknowledged_xp": outcome.acknowledged_xp, "desynced": outcome.desynced_pairs,
           "wall_s": round(outcome.wall_time_s, 2)}
    MEASURED.append(row)
    for key, value in row.items():
        record_property(key, value)
    assert outcome.operations == THREADS * OPS == outcome.ok + outcome.failed + outcome.unknown
    assert outcome.unknown == 0, "no connection broke: every outcome is known"
    if name == "legacy":
        # Expected to lose updates; recorded (see the summary at the end of the run), not asserted either way.
        return
    assert outcome.lost_xp == 0, outcome.invariants.get("lost_updates").evidence
    assert outcome.desynced_pairs == 0, outcome.invariants.get("desynced_pairs").evidence
    assert outcome.invariants.passed, outcome.invariants.failed_names()
    assert outcome.ok >= 0.9 * outcome.operations, f"{outcome.failed} of {outcome.operations} gave up"


PAUSED: list[dict[str, object]] = []


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in strategy_names() if strategy_class(n).needs_redis])
def test_a_frozen_lock_holder_among_racing_threads(name: str, db: Database, config: SystemConfig) -> None:
    """8 threads x 20 level-ups on one student; the first to read freezes for 0.5 s, past its 0.2 s Redis lease.
    The others wait for the lease, then race on; the frozen one wakes and writes what it read."""
    with db.transaction() as session:
        (student,) = add_students(session, 1, seed=13)
    plan = FaultPlan().at(AFTER_PROGRESS_READ, lambda _point, _session: time.sleep(0.5))
    limits = dataclasses.replace(config, redis_lock_ttl_s=0.2, lock_timeout_s=2.0)
    with StrategyRunner(limits, name, connections=10, fault_point=plan) as runner:
        outcome = run_concurrent_level_ups(runner, user_id=student, threads=8, ops_per_thread=20, xp=7)
    PAUSED.append({"strategy": name, "ok": outcome.ok, "failed": outcome.failed, "lost_xp": outcome.lost_xp,
                   "wall_s": round(outcome.wall_time_s, 2)})
    assert plan.log == [AFTER_PROGRESS_READ] and outcome.unknown == 0
    if strategy_class(name).remedy_for is None:
        # The lease ran out under the frozen holder: what the others committed meanwhile is overwritten.
        assert outcome.lost_xp > 0, outcome.invariants.get("lost_updates").evidence
        return
    assert outcome.lost_xp == 0 and outcome.invariants.passed, outcome.invariants.failed_names()
    assert outcome.ok + outcome.failed == outcome.operations
