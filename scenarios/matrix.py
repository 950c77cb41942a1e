"""Run scenarios x strategies and compare each observed outcome with the expectation and the seeds' claims."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fixtures.embedded_postgres import EmbeddedPostgres
from scenarios.catalog import SCENARIOS, Scenario, claims_for
from scenarios.scenario import SKIPPED, Observation, ScenarioEnv
from system.config import SystemConfig
from system.db import Database


@dataclass(frozen=True)
class Cell:
    scenario: str
    family: str
    strategy: str
    observed: str
    expected: list[str]
    matches: bool
    seconds: float
    evidence: dict[str, Any] = field(default_factory=dict)
    claims: list[dict[str, str]] = field(default_factory=list)
    contradicted_claims: list[dict[str, str]] = field(default_factory=list)


def run_cell(scenario: Scenario, strategy: str, admin: Database, config: SystemConfig,
             postgres: EmbeddedPostgres | None, seed: int = 42) -> Cell:
    env = ScenarioEnv(admin, config, strategy, postgres, seed)
    began = time.perf_counter()
    try:
        observation = scenario.steps(env)
    except Exception as exc:  # a crashed scenario is a failed cell, with the reason as evidence
        observation = Observation("error", {"error": f"{type(exc).__name__}: {exc}"})
    seconds = time.perf_counter() - began
    expected = list(scenario.expected_for(strategy))
    claims = [{"source": c.source, "strategy": c.strategy, "outcome": c.outcome, "words": c.words}
              for c in claims_for(scenario.name, strategy)]
    contradicted = [c for c in claims if observation.outcome not in (c["outcome"], SKIPPED)]
    matches = observation.outcome in expected or observation.outcome == SKIPPED
    return Cell(scenario.name, scenario.family, strategy, observation.outcome, expected, matches, seconds,
                observation.evidence, claims, contradicted)


def select_scenarios(only: Sequence[str] | None = None, skip_tags: Sequence[str] = ()) -> list[Scenario]:
    """The catalog's scenarios named in ``only`` (all when empty), minus those labelled with a skipped tag."""
    return [s for s in SCENARIOS if (not only or s.name in only) and not s.labels & set(skip_tags)]


def run_matrix(admin: Database, config: SystemConfig, strategies: list[str], *,
               postgres: EmbeddedPostgres | None = None, only: list[str] | None = None,
               skip_tags: Sequence[str] = (),
               on_cell: Callable[[Cell], None] | None = None) -> list[Cell]:
    chosen = select_scenarios(only, skip_tags)
    cells = []
    for scenario in chosen:
        for strategy in strategies:
            cell = run_cell(scenario, strategy, admin, config, postgres)
            cells.append(cell)
            if on_cell is not None:
                on_cell(cell)
    return cells
