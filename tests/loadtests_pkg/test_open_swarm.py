"""Open-model swarms end to end: every slot accounted for, histograms from every process, both transports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.provision import Environment
from loadtests.arrivals import ArrivalPlan
from loadtests.open_model import HISTOGRAM_FILE
from plsync.rundir import RunDirectory
from plsync.swarm import SwarmOptions, run_swarm
from system.config import SystemConfig
from system.db import Database


def _env(db: Database, config: SystemConfig) -> Environment:
    return Environment(db.engine.url.render_as_string(hide_password=False), "url", True, config.redis_url)


@pytest.mark.slow
@pytest.mark.parametrize(("transport", "workers", "arrivals"), [
    ("direct", 0, "constant"), ("http", 0, "poisson"), ("direct", 2, "constant")])
def test_an_open_model_swarm_accounts_for_every_slot(transport: str, workers: int, arrivals: str, db: Database,
                                                     config: SystemConfig, tmp_path: Path) -> None:
    plan = ArrivalPlan(80, arrivals, max_users=12, late_limit_s=5)
    options = SwarmOptions(strategy="coupled", workload="uniform", users=12, spawn_rate=12, run_time_s=4,
                           transport=transport, students=50, workers=workers, open_model=plan)
    result = run_swarm(_env(db, config), config, options, RunDirectory(tmp_path))
    latency = result.latency
    assert latency is not None and latency.model == "open" and latency.complete, latency
    assert latency.processes == max(workers, 1)
    slots = latency.slots
    assert slots is not None and latency.schedule_s is not None and latency.response_time is not None
    # The schedule ran at its rate: 80/s over however long the schedule ran (Poisson: within its noise).
    assert slots.scheduled == pytest.approx(80 * latency.schedule_s, rel=0.25), (slots, latency.schedule_s)
    assert slots.completed + slots.dropped_late + slots.unstarted_at_end + slots.in_flight_at_end == slots.scheduled
    assert latency.response_time.count == latency.service_time.count == slots.completed > 100
    # Every request sent is in the ledger, and Locust's statistics (its web UI's) saw the same requests.
    assert sum(result.ledger.values()) == slots.completed
    if not workers:
        assert result.requests == slots.completed
    # Response time runs from the intended start, service time from the send: never shorter.
    assert latency.response_time.percentiles_ms["p50"] >= latency.service_time.percentiles_ms["p50"]
    # Judged by the ledger and invariants (the closed-model latency thresholds say more about this machine).
    assert result.lost_xp == 0 and result.desynced_pairs == 0 and result.failures == latency.failures == 0
    kept = json.loads((tmp_path / HISTOGRAM_FILE).read_text())  # the encoded histograms stay in the run directory
    assert kept["model"] == "open" and len(kept["processes"]) == max(workers, 1)


@pytest.mark.slow
def test_a_closed_swarm_keeps_lossless_service_times(db: Database, config: SystemConfig, tmp_path: Path) -> None:
    options = SwarmOptions(strategy="coupled", workload="uniform", users=4, spawn_rate=4, run_time_s=3,
                           students=30)
    result = run_swarm(_env(db, config), config, options, RunDirectory(tmp_path))
    assert result.latency is not None and result.latency.model == "closed" and result.latency.response_time is None
    assert result.latency.service_time.count == result.requests > 20


@pytest.mark.slow
def test_the_trivial_endpoint_runs_in_the_open_model(tmp_path: Path) -> None:
    """What the generator alone holds at a rate: Locust on a schedule against an endpoint that does nothing."""
    from benchmarks.baselines import http_ceiling
    from loadtests.open_model import read_summary

    ceiling = http_ceiling(users=4, seconds=4, workdir=tmp_path, rate_per_s=100)
    latency = read_summary(tmp_path)
    assert latency is not None and latency.model == "open" and latency.slots is not None
    assert latency.slots.completed == latency.service_time.count > 200
    assert latency.achieved_rate_per_s == pytest.approx(100, rel=0.25)
    assert ceiling.rps == pytest.approx(100, rel=0.3)
