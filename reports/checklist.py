"""The production-readiness checklist the seeds wrote by hand ("Blockers Before Production", "Production
Ready: YES"), declared as data: each item names the gates that are its evidence, by stage and gate name, and,
where the seed names one, the scale it must have been measured at. Evaluated from a run, never ticked by hand.

The references are checked against the stage list (``validate``, called where ``plsync.stages`` builds it):
an item naming a stage or gate that does not exist fails at import, naming it. In a run, an item whose
evidence has no outcome (a gate renamed since, a stage skipped) is *not measured*, never *pass*.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from plsync.records import RunFile, read_path
from plsync.records.files import RECOVERY_STRESS, SOAK
from reports.run_reader import RunReader

#: A check of scale: None when the run measured at the required scale, else why not.
ScaleCheck = Callable[[RunReader], str | None]


class ChecklistError(TypeError):
    """A checklist item referring to a stage or gate the stage list does not declare."""


@dataclass(frozen=True)
class Evidence:
    """The gates of one stage that are (part of) an item's evidence; ``gates`` empty: every gate of the stage."""

    stage: str
    gates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requirement:
    name: str
    source: str
    evidence: tuple[Evidence, ...]
    scale: ScaleCheck | None = None

    def __post_init__(self) -> None:
        if not self.evidence:
            raise ChecklistError(f"checklist item {self.name!r} names no evidence: it could only ever pass on none")

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(e.stage for e in self.evidence)


def every_gate(*stages: str) -> tuple[Evidence, ...]:
    return tuple(Evidence(stage) for stage in stages)


def _at_least(file: RunFile[Any], field: str, required: int, what: str) -> ScaleCheck:
    if not file.has_field(field):
        raise ChecklistError(f"scale check: {file.filename} has no field {field!r}")

    def check(run: RunReader) -> str | None:
        data = run.get(file)
        if data is None:
            return None  # the stage's own gates report it as not measured
        values = [read_path(item, field) for item in (data if isinstance(data, list) else [data])]
        measured = max(values, default=0)
        if measured >= required:
            return None
        return f"measured at {measured:,} {what}, the requirement is {required:,}"

    return check


CHECKLIST: tuple[Requirement, ...] = (
    Requirement("stress testing at 10k users", "002, blockers before production: \"Complete stress testing "
                "(10k users)\"", every_gate("recovery", "swarms"),
                _at_least(RECOVERY_STRESS, "users", 10_000, "users")),
    Requirement("24 h scheduler reliability test", "002, blockers before production: \"24h scheduler reliability "
                "test\" (144 runs at 10-minute intervals)", every_gate("soak"),
                _at_least(SOAK, "runs_expected", 144, "runs")),
    Requirement("performance benchmarks validated", "002, blockers before production: \"Performance benchmarks "
                "validated\"", every_gate("benchmarks")),
    Requirement("recovery tools tested", "002, blockers before production: \"Recovery tools tested\"",
                every_gate("recovery", "orphans")),
    Requirement("edge cases handled by every strategy but legacy", "002, ready for staging: \"Edge case handling "
                "verified\"", every_gate("scenarios")),
    Requirement("concurrent updates lose nothing", "001: \"Race conditions eliminated\", \"Zero Desync\"",
                (Evidence("strategies", ("lost XP", "desynced pairs", "invariant violations")),
                 Evidence("swarms", ("lost XP", "desynced pairs", "invariant violations")))),
    Requirement("readers never see a desync the writers did not make", "001: \"Zero Desync\" (as a reader sees "
                "it: the service's consistency check and the API's consistency endpoint, during level-ups)",
                (Evidence("reads", ("the system's reader shows no fractured read",)),)),
    Requirement("bounded under overload", "the specification, \"Bounded under abuse\": sheds excess load with 503 "
                "+ Retry-After; an overload run shows goodput, memory and recovery (not one of the seeds' items)",
                every_gate("overload")),
    Requirement("migrations apply cleanly", "004, testing checklist: \"Migration applies cleanly\"",
                every_gate("migrate")),
)


class _Gate(Protocol):
    @property
    def name(self) -> str: ...


class _Stage(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def gates(self) -> Sequence[_Gate]: ...


def resolve(item: Requirement, stages: Iterable[_Stage]) -> list[tuple[str, str]]:
    """The (stage, gate) pairs an item's evidence names, checked against the stage list; raises
    ``ChecklistError`` naming an unknown stage or gate, or a stage with no gate to be evidence."""
    declared = {s.name: [g.name for g in s.gates] for s in stages}
    pairs = []
    for evidence in item.evidence:
        if evidence.stage not in declared:
            raise ChecklistError(f"checklist item {item.name!r}: no stage {evidence.stage!r} (stages: "
                                 f"{', '.join(declared)})")
        names = declared[evidence.stage]
        unknown = [g for g in evidence.gates if g not in names]
        if unknown:
            raise ChecklistError(f"checklist item {item.name!r}: stage {evidence.stage!r} declares no gate "
                                 f"{', '.join(repr(g) for g in unknown)} (its gates: {names})")
        chosen = list(evidence.gates) or names
        if not chosen:
            raise ChecklistError(f"checklist item {item.name!r}: stage {evidence.stage!r} has no gate to be its "
                                 "evidence")
        pairs += [(evidence.stage, g) for g in chosen]
    return pairs


def validate(stages: Sequence[_Stage], checklist: Sequence[Requirement] | None = None) -> None:
    """Every item's evidence exists in ``stages``: called when the stage list is built."""
    for item in CHECKLIST if checklist is None else checklist:
        resolve(item, stages)
