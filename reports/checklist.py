"""The production-readiness checklist the seeds wrote by hand ("Blockers Before Production", "Production
Ready: YES"), declared as data: each item names the stages whose gates are its evidence and, where the
seed names one, the scale it must have been measured at. Evaluated from a run, never ticked by hand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reports.run_reader import RunReader

#: A check of scale: None when the run measured at the required scale, else why not.
ScaleCheck = Callable[[RunReader], str | None]


@dataclass(frozen=True)
class Requirement:
    name: str
    source: str
    stages: tuple[str, ...]
    scale: ScaleCheck | None = None
    #: The gates (by name) of those stages that are the evidence; empty: all of them.
    gates: tuple[str, ...] = ()


def _at_least(file: str, field: str, required: int, what: str) -> ScaleCheck:
    def check(run: RunReader) -> str | None:
        data: Any = run.get(file)
        if data is None:
            return None  # the stage's own gates report it as not measured
        values = [item[field] for item in (data if isinstance(data, list) else [data]) if field in item]
        measured = max(values, default=0)
        if measured >= required:
            return None
        return f"measured at {measured:,} {what}, the requirement is {required:,}"

    return check


CHECKLIST: tuple[Requirement, ...] = (
    Requirement("stress testing at 10k users", "002, blockers before production: \"Complete stress testing "
                "(10k users)\"", ("recovery", "swarms"), _at_least("recovery_stress", "users", 10_000, "users")),
    Requirement("24 h scheduler reliability test", "002, blockers before production: \"24h scheduler reliability "
                "test\" (144 runs at 10-minute intervals)", ("soak",), _at_least("soak", "runs_expected", 144, "runs")),
    Requirement("performance benchmarks validated", "002, blockers before production: \"Performance benchmarks "
                "validated\"", ("benchmarks",)),
    Requirement("recovery tools tested", "002, blockers before production: \"Recovery tools tested\"",
                ("recovery", "orphans")),
    Requirement("edge cases handled by every strategy but legacy", "002, ready for staging: \"Edge case handling "
                "verified\"", ("scenarios",)),
    Requirement("concurrent updates lose nothing", "001: \"Race conditions eliminated\", \"Zero Desync\"",
                ("strategies", "swarms"), gates=("lost XP", "desynced pairs", "invariant violations")),
    Requirement("migrations apply cleanly", "004, testing checklist: \"Migration applies cleanly\"", ("migrate",)),
)
