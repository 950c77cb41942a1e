"""Capacity at an SLO: the highest offered rate (open model) at which a strategy holds its latency
objective with nothing dropped, failed or lost. Pure: the search takes a function that runs one step.

The search (as a person would do it by hand): geometric steps from a start rate, up until a step fails or,
when the start rate already fails, down until one passes (never below a floor); then bisection between the
last passing and the first failing rate, then repeats at the boundary so the figure carries its spread
(pyperf's rule: unstable when the standard deviation is 10 % of the mean or more).
A step fails on the SLO, on dropped slots past 0.1 %, on errors, or on lost XP or desynced pairs (not for
legacy: measured, not gated). A step that fails because the generator itself fell behind its schedule is
*invalid*: neither a pass nor a failure, and the search stops there.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from system.errors import ConfigurationError

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99.9": 99.9, "p99_9": 99.9}
_SLO = re.compile(r"^\s*(?P<p>p[0-9._]+)\s*<=?\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>us|µs|ms|s)\s*$")
_MS = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0}
MAX_DROPPED_RATIO = 0.001
UNSTABLE_RSD = 0.10


@dataclass(frozen=True)
class Slo:
    """A response-time objective of the open model, e.g. ``p99<=50ms``: the percentile's label (``p99``,
    ``p99_9``, as the histograms name them) and its limit."""

    label: str
    limit_ms: float

    @classmethod
    def parse(cls, text: str) -> Slo:
        match = _SLO.match(text)
        if match is None:
            raise ConfigurationError(f"malformed SLO {text!r} (e.g. 'p99<=50ms'; percentiles "
                                     f"{', '.join(k for k in PERCENTILES if '_' not in k)})")
        if match["p"] not in PERCENTILES:
            raise ConfigurationError(f"the SLO {text!r} names no known percentile "
                                     f"({', '.join(k for k in PERCENTILES if '_' not in k)})")
        limit = float(match["n"]) * _MS[match["unit"]]
        if limit <= 0:
            raise ConfigurationError(f"the SLO's limit must be positive: {text!r}")
        return cls(match["p"].replace(".", "_"), limit)

    def __str__(self) -> str:
        return f"{self.label.replace('_', '.')}<={self.limit_ms:g}ms"


@dataclass(frozen=True)
class StepResult:
    """One open-model run at one offered rate. Latencies are the open model's response time (from the
    intended start) unless named service or lag; ``slo_ms`` is the SLO's percentile of it."""

    offered_per_s: float
    achieved_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    slo_ms: float | None
    service_p99_ms: float | None
    schedule_lag_p99_ms: float | None
    dispatch_lag_slo_ms: float | None  # the generator's own lateness, at the SLO's percentile
    dropped_ratio: float
    failures: int
    lost_xp: int
    desynced_pairs: int
    invariant_violations: int
    generator_cpu_us_per_request: float | None
    verdict: str  # pass | fail | invalid
    reasons: list[str] = field(default_factory=list)
    repeat: int = 0
    run_dir: str = ""


def judge(slo: Slo, *, slo_ms: float | None, dispatch_lag_slo_ms: float | None, dropped_ratio: float,
          failures: int, lost_xp: int, desynced_pairs: int, gated: bool) -> tuple[str, list[str]]:
    """A step's verdict and why. A passing step passes whatever the generator did (its lag only adds to the
    response time); a failing one is invalid when the generator's own lag alone takes half the SLO."""
    reasons = []
    if slo_ms is None:
        reasons.append("no response time measured")
    elif slo_ms > slo.limit_ms:
        reasons.append(f"{slo.label} {slo_ms:.1f}ms > {slo.limit_ms:g}ms")
    if dropped_ratio > MAX_DROPPED_RATIO:
        reasons.append(f"dropped {dropped_ratio:.2%} > {MAX_DROPPED_RATIO:.1%}")
    if failures:
        reasons.append(f"{failures} failed requests")
    if gated and (lost_xp or desynced_pairs):
        reasons.append(f"lost XP {lost_xp}, desynced pairs {desynced_pairs}")
    if not reasons:
        return "pass", []
    if dispatch_lag_slo_ms is not None and dispatch_lag_slo_ms > slo.limit_ms / 2:
        return "invalid", [*reasons, f"the generator's dispatch lag {dispatch_lag_slo_ms:.1f}ms (its own)"]
    return "fail", reasons


@dataclass(frozen=True)
class SearchPlan:
    start_per_s: float = 10.0
    growth: float = 2.0
    max_per_s: float = 3200.0
    bisections: int = 2
    repeats: int = 3  # runs at the boundary, the first included
    #: The floor: when the start rate fails the search steps down, never below this rate.
    min_per_s: float = 5.0

    def __post_init__(self) -> None:
        if not (0 < self.min_per_s <= self.start_per_s <= self.max_per_s and self.growth > 1):
            raise ConfigurationError("capacity steps need positive rates with min <= start <= max, and growth > 1")
        if self.bisections < 0 or self.repeats < 1:
            raise ConfigurationError("bisections >= 0 and repeats >= 1")


@dataclass(frozen=True)
class StrategyCapacity:
    strategy: str
    slo: str
    #: The highest offered rate whose step passed (None: even the start rate failed).
    capacity_per_s: float | None
    #: The lowest rate that failed (None: none did up to the maximum, or the generator stopped the search).
    first_fail_per_s: float | None
    generator_limited: bool
    #: The SLO percentile at the capacity over its repeats, its relative standard deviation, and pyperf's verdict.
    boundary_slo_ms: list[float]
    spread: float | None
    unstable: bool
    boundary_passes: int
    steps: list[StepResult]


def search(strategy: str, slo: Slo, plan: SearchPlan, run_step: Callable[[float, int], StepResult]
           ) -> StrategyCapacity:
    steps: list[StepResult] = []

    def step(rate: float, repeat: int = 0) -> StepResult:
        steps.append(run_step(rate, repeat))
        return steps[-1]

    last_pass: float | None = None
    first_fail: float | None = None
    generator_limited = False
    rate = plan.start_per_s
    # Up while steps pass; down (a system slower than the start rate) while they fail; stop at the first change.
    while plan.min_per_s * (1 - 1e-9) <= rate <= plan.max_per_s * (1 + 1e-9):
        verdict = step(rate).verdict
        if verdict == "invalid":
            generator_limited = True
            break
        if verdict == "pass":
            last_pass = rate
            if first_fail is not None:
                break
            rate *= plan.growth
        else:
            first_fail = rate
            if last_pass is not None:
                break
            rate = round(rate / plan.growth, 1)
    for _ in range(plan.bisections):
        if last_pass is None or first_fail is None or first_fail / last_pass < 1.1:
            break
        middle = round(math.sqrt(last_pass * first_fail), 1)  # geometric: the steps grew geometrically
        verdict = step(middle).verdict
        if verdict == "pass":
            last_pass = middle
        elif verdict == "fail":
            first_fail = middle
        else:
            generator_limited = True
            break
    boundary = [s for s in steps if last_pass is not None and s.offered_per_s == last_pass]
    for repeat in range(1, plan.repeats if last_pass is not None else 1):
        boundary.append(step(last_pass, repeat))  # type: ignore[arg-type]
    values = [s.slo_ms for s in boundary if s.slo_ms is not None]
    mean = statistics.fmean(values) if values else 0.0
    spread = statistics.stdev(values) / mean if len(values) > 1 and mean else None
    passes = sum(s.verdict == "pass" for s in boundary)
    # pyperf's rule (stdev >= 10 % of the mean, or min/max 50 % or more from it), or a boundary that flips.
    far = bool(mean) and (min(values) <= 0.5 * mean or max(values) >= 1.5 * mean)
    unstable = (spread is not None and spread >= UNSTABLE_RSD) or far or passes < len(boundary)
    return StrategyCapacity(strategy, str(slo), last_pass, first_fail, generator_limited, values, spread, unstable,
                            passes, steps)
