"""Pass/fail rules of a readiness run, declared as data and evaluated by one pure function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchmarks.targets import target_for


@dataclass(frozen=True)
class ConcurrencyGate:
    name: str
    metric: str
    max_value: float
    #: Strategies the gate does not bind: ``legacy`` is expected to lose updates, and is measured, not gated.
    exempt: tuple[str, ...] = ("legacy",)

    def fails(self, outcome: dict[str, Any]) -> str | None:
        if outcome["strategy"] in self.exempt:
            return None
        value = outcome[self.metric] if self.metric in outcome else _derived(outcome, self.metric)
        if value <= self.max_value:
            return None
        return f"{outcome['strategy']}: {self.name} = {value:g} (allowed <= {self.max_value:g})"


def _derived(outcome: dict[str, Any], metric: str) -> float:
    if metric == "failed_ratio":
        return float(outcome["failed"] + outcome["unknown"]) / max(1, outcome["operations"])
    if metric == "invariant_violations":
        return float(sum(r["violations"] for r in outcome["invariants"]["results"]))
    raise KeyError(metric)


CONCURRENCY_GATES: tuple[ConcurrencyGate, ...] = (
    ConcurrencyGate("lost XP", "lost_xp", 0),
    ConcurrencyGate("desynced pairs", "desynced_pairs", 0),
    ConcurrencyGate("invariant violations", "invariant_violations", 0),
    ConcurrencyGate("failed or unknown operations ratio", "failed_ratio", 0.05),
)


def evaluate(latency: list[dict[str, Any]], concurrency: list[dict[str, Any]]) -> list[str]:
    """Every failure message of a run; an empty list means the run passes."""
    failures = []
    for summary in latency:
        target = target_for(summary["operation"])
        if target is not None:
            message = target.fails(summary[target.metric])
            if message:
                failures.append(f"{summary['strategy']}: {message}")
    for outcome in concurrency:
        failures.extend(m for gate in CONCURRENCY_GATES if (m := gate.fails(outcome)))
    return failures
