"""The readiness pipeline: an ordered list of stages, one module each. Adding a stage is adding a module
and a line here."""

from __future__ import annotations

from plsync.stages import (
    benchmarks,
    capacity,
    environment,
    migrate,
    orphans,
    overload,
    reads,
    recovery,
    scenarios,
    soak,
    strategies,
    swarms,
)
from plsync.stages.base import Stage, StageContext, select_stages, validate
from reports import checklist

STAGES: tuple[Stage, ...] = (
    environment.STAGE,
    migrate.STAGE,
    strategies.STAGE,
    recovery.STAGE,
    orphans.STAGE,
    swarms.STAGE,
    reads.STAGE,
    capacity.STAGE,
    overload.STAGE,
    scenarios.STAGE,
    benchmarks.STAGE,
    soak.STAGE,
)
validate(STAGES)
# The checklist's evidence names gates of these stages: a name that does not exist fails here, at import.
checklist.validate(STAGES)


def stage_names() -> list[str]:
    return [s.name for s in STAGES]


__all__ = ["STAGES", "Stage", "StageContext", "select_stages", "stage_names"]
