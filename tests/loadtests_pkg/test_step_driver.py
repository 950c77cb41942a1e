"""The capacity search's step driver: several steps through one long-lived Locust process, strategies switched
between them, each step's results (ledger, histograms, the generator's record) in its own directory and only
its own, judged by the invariant checker against the XP read just before it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loadtests.ledger_sink import read_ledgers
from loadtests.open_model import read_summary
from plsync.capacity_steps import Population, StepDriverProcess, StepOrder, run_step
from system.config import SystemConfig
from system.db import Database

pytestmark = pytest.mark.slow


def _order(step_id: int, directory: Path, strategy: str, rate: float) -> StepOrder:
    return StepOrder(step_id, str(directory), strategy, rate, run_time_s=2.0, warmup_s=0.5, arrivals="constant",
                     late_limit_s=1.0, seed=42)


def test_steps_run_in_one_process_each_with_its_own_results(db: Database, config: SystemConfig,
                                                            tmp_path: Path) -> None:
    population = Population(db, students=30)
    population.rebuild()
    setup = {"transport": "direct", "database_url": db.engine.url.render_as_string(hide_password=False),
             "max_users": 8, "workload": "uniform", "redis_url": config.redis_url}
    plan = [("coupled", 20.0), ("serializable", 40.0), ("coupled", 10.0)]
    seen = [population.generation]
    with StepDriverProcess(setup, tmp_path / "generator.log") as driver:
        pid = driver.proc.pid
        runs = []
        for step_id, (strategy, rate) in enumerate(plan, 1):
            if step_id == 3:
                population.rebuild()  # the driver must read the new students, or its writes miss them
            runs.append(run_step(driver, population, _order(step_id, tmp_path / f"s{step_id}", strategy, rate),
                                 seen_generation=seen))
            assert driver.proc.poll() is None and driver.proc.pid == pid  # the same process, still alive
    assert driver.proc.poll() is not None  # closing the stream ended it
    for step_id, ((strategy, rate), done) in enumerate(zip(plan, runs, strict=True), 1):
        directory = tmp_path / f"s{step_id}"
        generator, latency = done.generator, read_summary(directory)
        assert generator.strategy == strategy and generator.offered_per_s == rate
        assert latency is not None and latency.complete and latency.offered_rate_per_s == rate
        slots = latency.slots
        assert slots is not None and slots.dropped_late == 0
        # 1.5 s of steady schedule at the step's own rate: its slots, not another step's.
        assert abs(slots.scheduled - 1.5 * rate) <= 2, (step_id, slots)
        assert slots.completed == slots.scheduled - slots.unstarted_at_end - slots.in_flight_at_end
        assert generator.steady_requests > 0 and generator.cpu_us_per_request is not None
        # The ledger in this step's directory holds this step's requests (warm-up included) and no other's.
        ledger = read_ledgers(directory / "ledgers")
        assert len(ledger.entries) == generator.requests > slots.completed
        assert generator.failures == 0 and not generator.errors
        report = done.invariants
        assert report.passed, report.failed_names()
        assert report.get("lost_updates").amount == 0
    # Step 3 ran on the rebuilt population: the driver was told to read the students again.
    assert seen == [population.generation] and "reload_population" not in (tmp_path / "generator.log").read_text()
    assert json.loads((tmp_path / "s2" / "histograms.json").read_text())["plan"]["rate_per_s"] == 40.0
