"""Findings: how the strategies that do not ship fare on the capacity stage's gates, shown beside the verdict
and never deciding it ("would not be ready with redis"), unless the run gated every strategy
(``--gate-all-strategies``), which makes them gates instead.

One judgement for every place a finding appears: the capacity stage writes its lines into ``capacity.json``
from here, and the scorecard (``scorecard.json``, report.md, report.html) has a line per strategy of the run
that the gates did not judge: what its gates would have said, or *not measured* when the stage did not search it
(a finding is never a pass on nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plsync.records.capacity import CapacityRecord, StrategyCapacityRecord

WOULD_PASS, WOULD_FAIL, NOT_MEASURED = "would_pass", "would_fail", "not_measured"
KIND = "finding"


@dataclass(frozen=True)
class Finding:
    strategy: str
    status: str  # would_pass | would_fail | not_measured
    text: str


def judge(strategy: str, entry: StrategyCapacityRecord | None, slo: str, required: float) -> Finding:
    """What the capacity gates would say of ``strategy`` (``entry``: its search, None when it had none)."""
    if entry is None:
        return Finding(strategy, NOT_MEASURED, f"{strategy}: not measured (the capacity stage did not search it)")
    capacity = entry.capacity_per_s
    lost, desynced = sum(s.lost_xp for s in entry.steps), sum(s.desynced_pairs for s in entry.steps)
    if capacity is None and entry.generator_limited:
        return Finding(strategy, NOT_MEASURED,
                       f"{strategy}: capacity not measured (the generator fell behind before any step passed)")
    if capacity is None or capacity < required or lost or desynced:
        shown = "below the first step" if capacity is None else f"{capacity:g}/s"
        return Finding(strategy, WOULD_FAIL, f"would not be ready with {strategy}: capacity {shown} at {slo} "
                                             f"(required {required:g}/s), lost XP {lost}, desynced pairs {desynced}")
    return Finding(strategy, WOULD_PASS, f"{strategy} would also hold {required:g}/s at {slo} "
                                         f"(capacity {capacity:g}/s)")


def capacity_findings(record: CapacityRecord, required: float, gated: Sequence[str],
                      strategies: Sequence[str] = ()) -> list[Finding]:
    """A finding per strategy of the run (``strategies``; those searched when empty) that is not gated."""
    names = dict.fromkeys([*strategies, *(e.strategy for e in record.strategies)])
    return [judge(s, record.strategy(s), record.slo, required) for s in names if s not in gated]


def gated_strategies(record: CapacityRecord) -> list[str]:
    """The strategies whose capacity rows were gates (a record from before ``gated`` was kept: the shipping one)."""
    return list(record.gated) or [record.shipping]


def run_findings(record: CapacityRecord | None) -> list[Finding]:
    """The findings of a readiness run's capacity record (none without a required rate: not a readiness run)."""
    if record is None or record.required_per_s is None:
        return []
    return capacity_findings(record, record.required_per_s, gated_strategies(record), record.run_strategies)

