"""Every scenario under every strategy lands in its expected cell (randomized variants in short form)."""

from __future__ import annotations

import pytest

from fixtures.suite_server import SuiteServer
from scenarios.catalog import CLAIMS, SCENARIOS, Claim, scenario_named
from scenarios.matrix import run_cell
from scenarios.scenario import PREVENTED, SKIPPED, Scenario
from system.config import SystemConfig
from system.db import Database
from system.errors import ConfigurationError
from system.strategies import strategy_names


@pytest.mark.integration
@pytest.mark.parametrize("strategy", strategy_names())
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_cell(scenario: Scenario, strategy: str, db: Database, config: SystemConfig, pg_server: SuiteServer) -> None:
    cell = run_cell(scenario, strategy, db, config, pg_server.embedded)
    if cell.observed == SKIPPED:
        pytest.skip(cell.evidence["reason"])
    assert cell.matches, f"observed {cell.observed}, expected {cell.expected}: {cell.evidence}"


def test_the_seeds_contradicted_claims_are_reported(db: Database, config: SystemConfig) -> None:
    cell = run_cell(scenario_named("duplicate_auto_sync"), "legacy", db, config, None)
    assert cell.observed == "occurred"
    assert cell.evidence["progression_rows_for_one_change"] == 2
    assert [c["source"] for c in cell.contradicted_claims] == ["000"]
    coupled = run_cell(scenario_named("duplicate_auto_sync"), "coupled", db, config, None)
    assert coupled.observed == PREVENTED and coupled.contradicted_claims == []


def test_registry_validates_on_load() -> None:
    with pytest.raises(ValueError, match="bad expected outcomes"):
        Scenario("x", "f", "d", lambda env: None, {"*": ("fine",)})  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="'\\*' default"):
        Scenario("x", "f", "d", lambda env: None, {"legacy": (PREVENTED,)})  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="unknown outcome"):
        Claim("000", "negative_xp", "*", "fine", "words")
    with pytest.raises(ConfigurationError, match="unknown scenario 'nope'"):
        scenario_named("nope")
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS) >= 13
    assert {c.scenario for c in CLAIMS} <= {s.name for s in SCENARIOS}
