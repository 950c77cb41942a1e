"""The level-up under every strategy, and the lock hold time of the atomic update (001: 10-50 ms).

Each round puts the pair back (level, XP, sessions, license) so a round that levels up always levels up
from the same state. The lock hold is a distribution over rounds, measured from inside the transaction:
from the locking statement returning to the commit returning (benchmarks/lock_clock.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from benchmarks.harness import Bench
from benchmarks.lock_clock import LOCK_CLOCK, LOCK_TAKEN
from benchmarks.pairs import PairRows, in_sync_pair, requirement
from benchmarks.populations import BenchDatabase
from benchmarks.raw_sql import RawSql
from system.services.types import LevelUpRequest

CASES = ("xp_only", "levels_up")


def _start(bench_db: BenchDatabase, pair: PairRows, case: str) -> dict[str, int]:
    """Progress totals one XP short of the next level (``levels_up``) or at this level's floor."""
    xp, sessions = requirement(bench_db, pair.specialization, pair.level + (case == "levels_up"))
    return {"total_xp": xp - (case == "levels_up"), "completed_sessions": sessions}


def _level_up(bench: Bench, bench_db: BenchDatabase, strategy: str, case: str, *, operation: str,
              hook: Callable[[str, object], None] | None) -> None:
    pair = in_sync_pair(bench_db, 1 + CASES.index(case))
    start = _start(bench_db, pair, case)
    request = LevelUpRequest(pair.user_id, pair.specialization, xp=1, reason="benchmark level-up")
    runner = bench_db.runner(strategy)
    runner.strategy.ctx.fault_point = hook
    raw = RawSql(bench_db.url)

    def ceiling() -> float | None:
        if operation == "level_up":
            raw.execute("level_up", pair.user_id, pair.specialization, 1, 0)
            return None
        raw.command("BEGIN")  # lock hold by hand: FOR UPDATE returned -> the same writes -> COMMIT returned
        raw.execute("lock_pair", pair.user_id, pair.specialization)
        began = time.perf_counter()
        raw.execute("level_up", pair.user_id, pair.specialization, 1, 0)
        raw.command("COMMIT")
        return time.perf_counter() - began

    params = {"strategy": strategy, "case": case, "users": bench_db.users}
    try:
        result = bench.measure(operation, params, lambda: runner.strategy.level_up(request),
                               prepare=lambda: pair.put_back(bench_db, **start), ceiling=ceiling,
                               notes=LOCK_TAKEN[strategy][1] if operation == "lock_hold" else None)
    finally:
        runner.strategy.ctx.fault_point = None
        raw.close()
        pair.put_back(bench_db)
    expected = pair.level + (case == "levels_up")
    # legacy's sync hook fires on a level-up only: without one it reports no license level.
    license_level = None if strategy == "legacy" and case == "xp_only" else expected
    assert (getattr(result, "level", None), getattr(result, "license_level", None)) == (expected, license_level)


@pytest.mark.parametrize("case", CASES)
def test_level_up(bench: Bench, bench_db: BenchDatabase, strategy: str, case: str,
                  slowdown: Callable[[str, object], None] | None) -> None:
    _level_up(bench, bench_db, strategy, case, operation="level_up", hook=slowdown)


@pytest.mark.strategies(*LOCK_TAKEN)
@pytest.mark.benchmark(timer=LOCK_CLOCK)
def test_lock_hold(bench: Bench, bench_db: BenchDatabase, strategy: str,
                   slowdown: Callable[[str, object], None] | None) -> None:
    point, _ = LOCK_TAKEN[strategy]
    LOCK_CLOCK.arm(point)

    def hook(reached: str, session: object) -> None:
        LOCK_CLOCK.at(reached, session)
        if slowdown is not None:
            slowdown(reached, session)

    _level_up(bench, bench_db, strategy, "levels_up", operation="lock_hold", hook=hook)
