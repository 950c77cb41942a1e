"""Pass/fail rules of a run, declared as data against the records of the run directory (plsync/records/). Each
gate reads one run file's records and returns one outcome line per subject (a strategy, a scenario cell...):
the verdict, the terminal summary and the report are all built from those lines.

A gate is checked against its file's record when it is declared (so at import, when the stage list is built):
a gate naming a field its record lacks raises ``GateDeclarationError`` naming the gate and the field.

Statuses: ``pass``, ``fail``, ``exempt`` (measured, not gated: ``legacy`` is the design expected to lose
updates) and ``not_measured`` (the stage did not run, or wrote nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from benchmarks.targets import METRICS, target_for
from plsync.records import RunFile, read_path

PASS, FAIL, EXEMPT, NOT_MEASURED = "pass", "fail", "exempt", "not_measured"
STATUSES = (PASS, FAIL, EXEMPT, NOT_MEASURED)
_OPS = ("==", "<", "<=", ">=", "empty")
NONE_EXPECTED = "none"


class GateDeclarationError(TypeError):
    """A gate declared against a field (or operator) its run file's record does not have."""


def require_field(gate: str, file: RunFile[Any], path: str, what: str = "field") -> None:
    if not file.has_field(path):
        fields = ", ".join(file.record.model_fields)
        raise GateDeclarationError(f"gate {gate!r}: {file.filename} ({file.record.__name__}) has no {what} "
                                   f"{path!r}; its fields: {fields}")


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
    @property
    def name(self) -> str: ...

    @property
    def file(self) -> RunFile[Any]: ...

    @property
    def source(self) -> str: ...

    def check(self, stage: str, data: Any) -> list[GateOutcome]: ...


@dataclass(frozen=True)
class FieldGate:
    """``field <op> value`` on a file's record, or on each record of a list file (one subject per record).
    ``field`` may be a dotted path into nested records (``rss.slope.p_value``)."""

    name: str
    file: RunFile[Any]
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
        require_field(self.name, self.file, self.field)
        for key in self.per:
            require_field(self.name, self.file, key, "subject field")

    @property
    def source(self) -> str:
        return self.file.name

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
            subject = "/".join(str(read_path(item, k)) for k in self.per)
            observed = read_path(item, self.field)
            # null: the stage says it could not measure this subject (its note says why), never a pass.
            status = (NOT_MEASURED if observed is None and self.op != "empty" else EXEMPT if subject in self.exempt
                      else PASS if self._holds(observed) else FAIL)
            why = getattr(item, "note", None)
            note = f" ({why})" if status == NOT_MEASURED and why else ""
            outcomes.append(GateOutcome(stage, self.name, subject, status, observed, self.expected,
                                        f"{self.source}.json", note))
        return outcomes


@dataclass(frozen=True)
class MatchGate:
    """``field == other`` within one record: a count against the count the same run expected."""

    name: str
    file: RunFile[Any]
    field: str
    other: str

    def __post_init__(self) -> None:
        require_field(self.name, self.file, self.field)
        require_field(self.name, self.file, self.other)

    @property
    def source(self) -> str:
        return self.file.name

    def check(self, stage: str, data: Any) -> list[GateOutcome]:
        observed, wanted = read_path(data, self.field), read_path(data, self.other)
        return [GateOutcome(stage, self.name, "", PASS if observed == wanted else FAIL, observed,
                            f"== {self.other} ({wanted})", f"{self.source}.json")]


@dataclass(frozen=True)
class TargetGate:
    """Each measurement in ``source`` against the documented target that covers it (benchmarks/targets.py);
    a measurement no target covers is not gated. An unstable measurement (pyperf's rules) says so."""

    file: RunFile[Any]
    name: str = "documented latency target"
    #: Fields naming a measurement's subject (those it lacks are left out).
    per: tuple[str, ...] = ("strategy",)

    def __post_init__(self) -> None:
        for path in ("operation", "unstable", *METRICS):
            require_field(self.name, self.file, path)
        for key in self.per:
            require_field(self.name, self.file, key, "subject field")

    @property
    def source(self) -> str:
        return self.file.name

    def check(self, stage: str, data: Any) -> list[GateOutcome]:
        outcomes = []
        for summary in data:
            target = target_for(summary.operation, summary.model_dump())
            if target is None:
                continue
            observed = read_path(summary, target.metric)
            status = PASS if target.fails(observed) is None else FAIL
            subject = "/".join(str(read_path(summary, k)) for k in self.per if read_path(summary, k) is not None)
            unstable = summary.unstable
            note = f" [{target.source}]" + (f" [unstable: {'; '.join(unstable)}]" if unstable else "")
            outcomes.append(GateOutcome(stage, target.name, subject, status, observed,
                                        f"{target.metric} <= {target.max_ms:g} ms", f"{self.source}.json", note))
        return outcomes


def check_gates(stage: str, gates: Sequence[Gate], read: Any, has: Any) -> list[GateOutcome]:
    """Apply ``gates``; a gate whose file is missing is ``not_measured``. ``read``/``has`` take a ``RunFile``
    (``read`` returns its decoded records)."""
    outcomes: list[GateOutcome] = []
    for gate in gates:
        if not has(gate.file):
            outcomes.append(not_measured(stage, gate))
            continue
        outcomes.extend(gate.check(stage, read(gate.file)))
    return outcomes


def not_measured(stage: str, gate: Gate) -> GateOutcome:
    return GateOutcome(stage, gate.name, "", NOT_MEASURED, None, "a measurement", f"{gate.source}.json")


def failures(outcomes: Sequence[GateOutcome]) -> list[str]:
    return [o.message for o in outcomes if o.status == FAIL]


__all__ = ["EXEMPT", "FAIL", "NOT_MEASURED", "PASS", "FieldGate", "Gate", "GateDeclarationError", "GateOutcome",
           "MatchGate", "TargetGate", "check_gates", "failures", "not_measured", "require_field"]
