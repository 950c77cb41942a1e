"""Records of the ``strategies`` stage: single-threaded latency (``latency.json``) and N threads on one student
judged by the invariant checker (``concurrency.json``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from plsync.records.base import Record


class InvariantOutcome(Record):
    name: str
    violations: int
    evidence: list[dict[str, Any]] = Field(default_factory=list)
    #: A quantity over all violations where one applies (XP lost, XP written unacknowledged).
    amount: int = 0


class InvariantsRecord(Record):
    results: list[InvariantOutcome]

    @property
    def violations(self) -> int:
        return sum(r.violations for r in self.results)

    @property
    def failed_names(self) -> list[str]:
        return [r.name for r in self.results if r.violations]


class LatencyRecord(Record):
    strategy: str
    operation: str
    samples: int
    median_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    stdev_ms: float
    min_ms: float
    max_ms: float
    #: pyperf's reasons this measurement is unstable (benchmarks/stats.py); empty when stable.
    unstable: list[str]
    samples_ms: list[float] = Field(default_factory=list)


class ConcurrencyRecord(Record):
    strategy: str
    threads: int
    ops_per_thread: int
    operations: int
    ok: int
    failed: int
    unknown: int
    retries: int
    hook_errors: int
    acknowledged_xp: int
    lost_xp: int
    desynced_pairs: int
    wall_time_s: float
    invariants: InvariantsRecord
    #: (failed + unknown) / operations.
    failed_ratio: float
    #: Violations over every invariant.
    invariant_violations: int
