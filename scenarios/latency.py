"""Single-threaded latency of one operation under one strategy: median, p95, p99 over many calls."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from plsync.records.stability import instability
from scenarios.runner import StrategyRunner
from system.services.types import LevelUpRequest


@dataclass(frozen=True)
class LatencySummary:
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
    #: pyperf's reasons these samples are unstable (the harness's one rule, plsync/records/stability.py); empty
    #: when stable.
    unstable: list[str] = field(default_factory=list)
    #: Every sample (ms, 0.1 µs resolution): for distributions in reports and significance tests in comparisons.
    samples_ms: list[float] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, strategy: str, operation: str, seconds: list[float]) -> LatencySummary:
        if len(seconds) < 2:
            raise ValueError("need at least two samples")
        ms = [s * 1000 for s in seconds]
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        return cls(strategy, operation, len(ms), statistics.median(ms), cuts[94], cuts[98], statistics.fmean(ms),
                   statistics.stdev(ms), min(ms), max(ms), instability(ms), [round(x, 4) for x in ms])


def time_calls(call: Callable[[int], object], count: int, *, warmup: int = 20) -> list[float]:
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(count):
        began = time.perf_counter()
        call(warmup + i)
        samples.append(time.perf_counter() - began)
    return samples


def measure_level_up_latency(runner: StrategyRunner, *, user_ids: list[int], specialization: str = "PLAYER",
                             operations: int = 1000, xp: int = 25) -> LatencySummary:
    """Level-ups spread round-robin over ``user_ids`` (one at a time: no contention)."""
    strategy = runner.strategy

    def call(i: int) -> object:
        return strategy.level_up(LevelUpRequest(user_ids[i % len(user_ids)], specialization, xp, sessions=1,
                                                reason="latency probe"))

    return LatencySummary.of(strategy.name, "level_up", time_calls(call, operations))
