"""Pass/fail rules of a run, declared as data. Each gate reads one JSON file of the run directory and
returns one outcome line per subject (a strategy, a scenario cell...): the verdict, the terminal summary
and the report are all built from those lines.

Statuses: ``pass``, ``fail``, ``exempt`` (measured, not gated: ``legacy`` is the design expected to lose
updates) and ``not_measured`` (the stage did not run, or wrote nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from benchmarks.targets import target_for

PASS, FAIL, EXEMPT, NOT_MEASURED = "pass", "fail", "exempt", "not_measured"
STATUSES = (PASS, FAIL, EXEMPT, NOT_MEASURED)
_OPS = ("==", "<", "<=", ">=", "empty")
NONE_EXPECTED = "none"


@dataclass(frozen=True)
class GateOutcome:
    stage: str
    gate: str
    subject: str
    status: str
    observed: Any
    expected: str
    source: str
    note: str = ""

    @property
    def message(self) -> str:
        who = f"{self.subject}: " if self.subject else ""
        if self.expected == NONE_EXPECTED:  # the observed value is the list of what went wrong
            return f"{self.stage}: {who}{self.gate}: {_show(self.observed)}{self.note}"
        return f"{self.stage}: {who}{self.gate}: {_show(self.observed)} (needs {self.expected}){self.note}"


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) if value else "none"
    return str(value)


class Gate(Protocol):
    name: str
    source: str

    def check(self, stage: str, data: Any) -> list[GateOutcome]: ...


@dataclass(frozen=True)
class FieldGate:
    """``field <op> value`` on a JSON object, or on each item of a JSON list (one subject per item)."""

    name: str
    source: str
    field: str
    op: str
    value: float | bool | None = None
    #: Keys naming an item's subject (e.g. ``("strategy",)``); empty for a single object.
    per: tuple[str, ...] = ()
    #: Subjects measured but not gated.
    exempt: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"gate {self.name}: unknown operator {self.op!r} (choose from {', '.join(_OPS)})")
        if (self.op == "empty") != (self.value is None):
            raise ValueError(f"gate {self.name}: 'empty' takes no value; the other operators need one")

    @property
    def expected(self) -> str:
        return NONE_EXPECTED if self.op == "empty" else f"{self.op} {self.value}"

    def _holds(self, observed: Any) -> bool:
        if self.op == "empty":
            return not observed
        if self.op == "==":
            return bool(observed == self.value)
        if self.op == "<":
            return bool(observed < self.value)
        return bool(observed <= self.value) if self.op == "<=" else bool(observed >= self.value)

    def check(self, stage: str, data: Any) -> list[GateOutcome]:
        items = data if isinstance(data, list) else [data]
        outcomes = []
        for item in items:
            subject = "/".join(str(item[k]) for k in self.per)
            observed = item[self.field]
            # null: the stage says it could not measure this subject (its note says why), never a pass.
            status = (NOT_MEASURED if observed is None and self.op != "empty" else EXEMPT if subject in self.exempt
                      else PASS if self._holds(observed) else FAIL)
            note = f" ({item['note']})" if status == NOT_MEASURED and item.get("note") else ""
            outcomes.append(GateOutcome(stage, self.name, subject, status, observed, self.expected,
                                        f"{self.source}.json", note))
        return outcomes


@dataclass(frozen=True)
class MatchGate:
    """``field == other`` within one JSON object: a count against the count the same run expected."""

    name: str
    source: str
    field: str
    other: str

    def check(self, stage: str, data: Any) -> list[GateOutcome]:
        observed, wanted = data[self.field], data[self.other]
        return [GateOutcome(stage, self.name, "", PASS if observed == wanted else FAIL, observed,
                            f"== {self.other} ({wanted})", f"{self.source}.json")]


@dataclass(frozen=True)
class TargetGate:
    """Each measurement in ``source`` against the documented target that covers it (benchmarks/targets.py);
    a measurement no target covers is not gated. An unstable measurement (pyperf's rules) says so."""

    source: str
    name: str = "documented latency target"
    #: Keys naming a measurement's subject (those it lacks are left out).
    per: tuple[str, ...] = ("strategy",)

    def check(self, stage: str, data: Any) -> list[GateOutcome]:
        outcomes = []
        for summary in data:
            target = target_for(summary["operation"], summary)
            if target is None:
                continue
            observed = summary[target.metric]
            status = PASS if target.fails(observed) is None else FAIL
            subject = "/".join(str(summary[k]) for k in self.per if summary.get(k) is not None)
            unstable = summary.get("unstable") or []
            note = f" [{target.source}]" + (f" [unstable: {'; '.join(unstable)}]" if unstable else "")
            outcomes.append(GateOutcome(stage, target.name, subject, status, observed,
                                        f"{target.metric} <= {target.max_ms:g} ms", f"{self.source}.json", note))
        return outcomes


def check_gates(stage: str, gates: Sequence[Gate], read: Any, has: Any) -> list[GateOutcome]:
    """Apply ``gates``; a gate whose file is missing is ``not_measured``. ``read``/``has`` take a file name."""
    outcomes: list[GateOutcome] = []
    for gate in gates:
        if not has(gate.source):
            outcomes.append(not_measured(stage, gate))
            continue
        outcomes.extend(gate.check(stage, read(gate.source)))
    return outcomes


def not_measured(stage: str, gate: Gate) -> GateOutcome:
    return GateOutcome(stage, gate.name, "", NOT_MEASURED, None, "a measurement", f"{gate.source}.json")


def failures(outcomes: Sequence[GateOutcome]) -> list[str]:
    return [o.message for o in outcomes if o.status == FAIL]


__all__ = ["EXEMPT", "FAIL", "NOT_MEASURED", "PASS", "FieldGate", "Gate", "GateOutcome", "MatchGate", "TargetGate",
           "check_gates", "failures", "not_measured"]
