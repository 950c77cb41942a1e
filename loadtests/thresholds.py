"""Pass/fail rules of a swarm, declared as data: latency per operation, failure ratio, invariants at zero."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SwarmThreshold:
    name: str
    metric: str  # p95_ms | p99_ms | failure_ratio
    operation: str  # an operation name, or "*" for the whole run
    max_value: float

    def __post_init__(self) -> None:
        if self.metric not in ("p95_ms", "p99_ms", "failure_ratio"):
            raise ValueError(f"threshold {self.name}: unknown metric {self.metric!r}")
        if self.max_value < 0:
            raise ValueError(f"threshold {self.name}: max_value cannot be negative")

    def fails(self, stats: dict[str, Any]) -> str | None:
        scope = stats if self.operation == "*" else stats["operations"].get(self.operation)
        if scope is None or not scope.get("requests"):
            return None  # the workload did not run this operation
        value = scope["failures"] / scope["requests"] if self.metric == "failure_ratio" else scope[self.metric]
        if value is None or value <= self.max_value:
            return None
        return f"{self.name}: {self.metric} = {value:.4g} (allowed <= {self.max_value:g})"


THRESHOLDS: tuple[SwarmThreshold, ...] = (
    SwarmThreshold("level-up p95", "p95_ms", "level_up", 1000),
    SwarmThreshold("level-up p99", "p99_ms", "level_up", 2000),
    SwarmThreshold("sync p99", "p99_ms", "sync", 2000),
    SwarmThreshold("failed operations", "failure_ratio", "*", 0.05),
)


def threshold_failures(stats: dict[str, Any], metrics: tuple[str, ...] = ("p95_ms", "p99_ms", "failure_ratio")
                       ) -> list[str]:
    return [m for t in THRESHOLDS if t.metric in metrics and (m := t.fails(stats))]


#: The closed model's latency thresholds: what a hot-spot swarm reports as findings (its tail says more about
#: the machine than the design); the open model's capacity at an SLO is what readiness gates.
CLOSED_LATENCY = ("p95_ms", "p99_ms")


def invariant_failures(invariants: dict[str, Any]) -> list[str]:
    return [f"invariant {r['name']}: {r['violations']} violation(s)" for r in invariants["results"] if r["violations"]]


def evaluate_swarm(stats: dict[str, Any], invariants: dict[str, Any], *, faults_injected: bool = False) -> list[str]:
    """Failure messages. Under an injected fault (a process frozen on purpose) waiting behind it is the point:
    latency and failures are reported, not gated; the invariants still are."""
    return ([] if faults_injected else threshold_failures(stats)) + invariant_failures(invariants)
