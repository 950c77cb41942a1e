"""Real concurrency: 16 threads, each with its own connection, 50 level-ups each on ONE student."""

from __future__ import annotations

import pytest

from fixtures.population import add_students
from scenarios.concurrency import run_concurrent_level_ups
from scenarios.runner import StrategyRunner
from system.config import SystemConfig
from system.db import Database
from system.strategies import strategy_names

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
