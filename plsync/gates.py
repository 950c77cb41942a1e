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


@dataclass(frozen=True)
class ResultGate:
    """A rule on one field of a stage's result: ``field <op> value``."""

    stage: str
    name: str
    field: str
    op: str  # "==", "<=", ">="
    value: float | bool

    def fails(self, result: dict[str, Any]) -> str | None:
        observed = result[self.field]
        ok = {"==": observed == self.value, "<=": observed <= self.value, ">=": observed >= self.value}[self.op]
        return None if ok else f"{self.stage}: {self.name}: {self.field} = {observed} (needs {self.op} {self.value})"


RECOVERY_GATES: tuple[ResultGate, ...] = (
    ResultGate("recovery", "detection matches the manifest exactly", "detection_perfect", "==", True),
    ResultGate("recovery", "dry run changes nothing", "dry_run_unchanged", "==", True),
    ResultGate("recovery", "every planned repair applied", "success_rate", ">=", 1.0),
    ResultGate("recovery", "no issue left after repair", "remaining_issues", "==", 0),
    ResultGate("recovery", "a second repair changes nothing", "second_run_changes", "==", 0),
    ResultGate("recovery", "find_desync_issues over 10k users (002: < 5 s)", "detect_ms", "<=", 5000),
    ResultGate("recovery", "auto_sync_all of the desyncs (002: < 10 s)", "repair_ms", "<=", 10000),
)
ORPHAN_GATES: tuple[ResultGate, ...] = (
    ResultGate("orphans", "found exactly the injected orphans", "exact", "==", True),
    ResultGate("orphans", "none left after recovery", "left_after", "==", 0),
)


def evaluate(latency: list[dict[str, Any]], concurrency: list[dict[str, Any]],
             recovery: list[dict[str, Any]] | None = None, orphans: dict[str, Any] | None = None,
             matrix: list[dict[str, Any]] | None = None,
             swarms: list[dict[str, Any]] | None = None) -> list[str]:
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
    for result in recovery or []:
        failures.extend(m for gate in RECOVERY_GATES if (m := gate.fails(result)))
    if orphans is not None:
        failures.extend(m for gate in ORPHAN_GATES if (m := gate.fails(orphans)))
    for cell in matrix or []:  # a contradicted seed claim is a finding, not a failure; a surprise is
        if not cell["matches"]:
            failures.append(f"scenario {cell['scenario']} / {cell['strategy']}: observed {cell['observed']}, "
                            f"expected {' or '.join(cell['expected'])}")
    for swarm in swarms or []:  # legacy is swarmed to show what it loses, not gated
        if swarm["strategy"] != "legacy":
            failures.extend(f"swarm {swarm['strategy']}: {f}" for f in swarm["failures_of_gates"])
    return failures
