"""Pure statistics of benchmark rounds: the summary a target reads, pyperf's instability rules, and the
exponent of time against size. pytest-benchmark computes its own stats (min, median, stddev...) from
the same rounds; these add what it lacks (percentiles, instability, scale fits)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# pyperf's rules for an unstable result are the harness's one rule, declared with the run directory's contract
# (the latency probe of the strategies stage and the reports apply the same).
from plsync.records.stability import SPREAD_LIMIT, STDEV_LIMIT, instability


def percentile(values: Sequence[float], pct: int) -> float:
    """The ``pct``-th percentile, inclusive method (the largest value when there are too few rounds)."""
    if not values:
        raise ValueError("no values")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


@dataclass(frozen=True)
class RoundsSummary:
    rounds: int
    median_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    min_ms: float
    stddev_ms: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> RoundsSummary:
        if not seconds:
            raise ValueError("no rounds")
        ms = [s * 1000 for s in seconds]
        stddev = statistics.stdev(ms) if len(ms) > 1 else 0.0
        return cls(len(ms), statistics.median(ms), percentile(ms, 95), percentile(ms, 99), statistics.fmean(ms),
                   max(ms), min(ms), stddev)

    def metric(self, name: str) -> float:
        value: float = getattr(self, name)
        return value


@dataclass(frozen=True)
class ScaleFit:
    """time = c * size ** exponent, fitted by least squares on log-log axes."""

    operation: str
    sizes: list[int]
    seconds: list[float]
    exponent: float
    r_squared: float

    @property
    def verdict(self) -> str:
        if self.exponent > 1.15:
            return "super-linear"
        if self.exponent < 0.85:
            return "sub-linear (fixed costs dominate the smaller sizes)"
        return "linear"


def fit_exponent(operation: str, sizes: Sequence[int], seconds: Sequence[float]) -> ScaleFit:
    if len(sizes) != len(seconds):
        raise ValueError("sizes and seconds differ in length")
    if len(set(sizes)) < 2:
        raise ValueError(f"{operation}: need at least two different sizes to fit an exponent")
    if min(sizes) <= 0 or min(seconds) <= 0:
        raise ValueError(f"{operation}: sizes and times must be positive")
    from scipy import stats as scipy_stats  # imported when needed: it costs seconds on a busy machine

    fit = scipy_stats.linregress([math.log(n) for n in sizes], [math.log(s) for s in seconds])
    r_squared = float(fit.rvalue) ** 2 if len(sizes) > 2 else 1.0
    return ScaleFit(operation, list(sizes), list(seconds), float(fit.slope), r_squared)


__all__ = ["SPREAD_LIMIT", "STDEV_LIMIT", "RoundsSummary", "ScaleFit", "fit_exponent", "instability", "percentile"]
