"""``sync_progress_to_license`` and ``sync_license_to_progress``, one pair at a time, under every strategy:
a pair already in sync, a level mismatch, a missing partner (002: each < 50 ms). Each round puts the
pair back as the manifest has it, so every round does the same work; the ceiling is one prepared
statement doing the same writes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from benchmarks.harness import Bench
from benchmarks.pairs import fault_of_kind, in_sync_pair
from benchmarks.populations import BenchDatabase
from benchmarks.raw_sql import RawSql
from system.services.types import Direction

CASES = ("in_sync", "level_mismatch", "missing_partner")
MISSING = {Direction.PROGRESS_TO_LICENSE: "progress_without_license",
           Direction.LICENSE_TO_PROGRESS: "license_without_progress"}
EXPECTED_ACTION = {"in_sync": "already_in_sync", "level_mismatch": "updated", "missing_partner": "created"}


def _sync(bench: Bench, bench_db: BenchDatabase, strategy: str, case: str, direction: Direction,
          slowdown: Callable[[str, object], None] | None) -> None:
    if case == "in_sync":
        pair = in_sync_pair(bench_db, 0)
        uid, spec, faults = pair.user_id, pair.specialization, []
    else:
        fault = fault_of_kind(bench_db, "license_behind" if case == "level_mismatch" else MISSING[direction])
        uid, spec, faults = fault.user_id, fault.specialization, [fault]
    operation = f"sync_{direction.value}"
    runner = bench_db.runner(strategy)
    runner.strategy.ctx.fault_point = slowdown
    raw = RawSql(bench_db.url)
    try:
        result = bench.measure(operation, {"strategy": strategy, "case": case, "users": bench_db.users},
                               lambda: runner.strategy.sync(uid, spec, direction),
                               prepare=(lambda: bench_db.reinstate(faults)) if faults else None,
                               ceiling=lambda: raw.execute(operation, uid, spec))
    finally:
        runner.strategy.ctx.fault_point = None
        raw.close()
        bench_db.reinstate(faults)
    assert getattr(result, "action", None) == EXPECTED_ACTION[case], result


@pytest.mark.parametrize("case", CASES)
def test_sync_progress_to_license(bench: Bench, bench_db: BenchDatabase, strategy: str, case: str,
                                  slowdown: Callable[[str, object], None] | None) -> None:
    _sync(bench, bench_db, strategy, case, Direction.PROGRESS_TO_LICENSE, slowdown)


@pytest.mark.parametrize("case", CASES)
def test_sync_license_to_progress(bench: Bench, bench_db: BenchDatabase, strategy: str, case: str,
                                  slowdown: Callable[[str, object], None] | None) -> None:
    _sync(bench, bench_db, strategy, case, Direction.LICENSE_TO_PROGRESS, slowdown)
