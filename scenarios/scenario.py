"""What a scenario is, the environment it runs in, and how its observed outcome is classified.

Outcomes, from best to worst:
- ``prevented``: no other session ever saw a violation, and none remains;
- ``transient``: another session saw a violation mid-operation, but none remains at the end;
- ``detected_and_repaired``: a violation remained, the detector found it and the background job fixed it;
- ``occurred``: a violation remained that the job cannot fix (lost XP, duplicate history...).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from fixtures.embedded_postgres import EmbeddedPostgres
from fixtures.population import add_students
from fixtures.reset import truncate_data
from scenarios.invariants import InvariantReport, check_invariants
from scenarios.ledger import Ledger, Pair
from scenarios.runner import StrategyRunner
from system.config import SystemConfig
from system.db import Database
from system.scheduler.job import BackgroundSyncJob
from system.strategies import Strategy
from system.strategies.base import FaultPoint

PREVENTED = "prevented"
TRANSIENT = "transient"
REPAIRED = "detected_and_repaired"
OCCURRED = "occurred"
SKIPPED = "skipped"
OUTCOMES = (PREVENTED, TRANSIENT, REPAIRED, OCCURRED)

@dataclass(frozen=True)
class Observation:
    outcome: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScenarioEnv:
    admin: Database
    config: SystemConfig
    strategy_name: str
    postgres: EmbeddedPostgres | None = None
    seed: int = 42

    def reset(self) -> None:
        with self.admin.transaction() as session:
            truncate_data(session)

    def students(self, count: int = 1, specializations: tuple[str, ...] = ("PLAYER",),
                 paired: bool = True) -> list[int]:
        with self.admin.transaction() as session:
            return add_students(session, count, seed=self.seed, specializations=specializations, paired=paired)

    @contextmanager
    def strategy(self, fault: FaultPoint | None = None, *, connections: int = 8,
                 application_name: str | None = None, **overrides: Any) -> Iterator[Strategy]:
        config = dataclasses.replace(self.config, **overrides)
        with StrategyRunner(config, self.strategy_name, connections=connections, fault_point=fault,
                            application_name=application_name) as runner:
            yield runner.strategy

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.admin.transaction() as session:
            result = session.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    def check(self, ledger: Ledger | None = None, baseline: dict[Pair, int] | None = None) -> InvariantReport:
        with self.admin.transaction() as session:
            return check_invariants(session, ledger, baseline)


def _violations(report: InvariantReport, extra: dict[str, int]) -> dict[str, int]:
    found = {r.name: r.violations for r in report.results if r.violations}
    return found | {k: v for k, v in extra.items() if v}


def settle(env: ScenarioEnv, *, seen_midway: list[dict[str, Any]] | None = None, ledger: Ledger | None = None,
           baseline: dict[Pair, int] | None = None, extra: Callable[[], dict[str, int]] | None = None,
           evidence: dict[str, Any] | None = None, pair: Pair | None = None) -> Observation:
    """Classify the end state; run the background job when something is left to repair."""
    evidence = dict(evidence or {})
    extra_now = extra() if extra else {}
    left = _violations(env.check(ledger, baseline), extra_now)
    if seen_midway:
        evidence["seen_by_another_session"] = seen_midway
    if not left:
        return Observation(TRANSIENT if seen_midway else PREVENTED, evidence)
    evidence["violations_after_operation"] = left
    job = BackgroundSyncJob(env.admin, env.config).run_now()
    evidence["background_job"] = {"status": job.status, "issues_found": job.issues_found, "synced": job.synced_count,
                                  "direction": job.direction}
    if pair is not None:
        rows = env.sql("SELECT (SELECT current_level FROM specialization_progress WHERE student_id = :u AND "
                       "specialization_id = :s), (SELECT current_level FROM user_licenses WHERE user_id = :u AND "
                       "specialization_type = :s)", u=pair[0], s=pair[1])
        evidence["after_job"] = {"progress_level": rows[0][0], "license_level": rows[0][1]}
    still = _violations(env.check(ledger, baseline), extra() if extra else {})
    if still:
        evidence["violations_after_job"] = still
        return Observation(OCCURRED, evidence)
    return Observation(REPAIRED, evidence)


@dataclass(frozen=True)
class Scenario:
    name: str
    family: str
    description: str
    steps: Callable[[ScenarioEnv], Observation]
    #: Acceptable outcomes per strategy ("*" for the rest). More than one only for randomized variants,
    #: whose luck we do not assert.
    expected: dict[str, tuple[str, ...]]
    randomized: bool = False
    needs_restartable_server: bool = False
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for strategy, outcomes in self.expected.items():
            unknown = [o for o in outcomes if o not in OUTCOMES]
            if unknown or not outcomes:
                raise ValueError(f"scenario {self.name}: bad expected outcomes {outcomes!r} for {strategy}")
        if "*" not in self.expected:
            raise ValueError(f"scenario {self.name}: expected outcomes need a '*' default")

    def expected_for(self, strategy: str) -> tuple[str, ...]:
        return self.expected.get(strategy, self.expected["*"])

    @property
    def labels(self) -> frozenset[str]:
        """Its tags, and ``randomized`` for a randomized variant: what a profile may leave out."""
        return frozenset(self.tags) | ({"randomized"} if self.randomized else set())
