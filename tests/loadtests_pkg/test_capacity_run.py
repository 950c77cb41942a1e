"""``plsync capacity`` and ``plsync swarm --rate``: bad input refused before anything starts, and a small
capacity search run for real (every step a swarm judged by its ledger and invariants)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.provision import Environment
from loadtests.capacity import SearchPlan, Slo
from plsync.capacity import CapacityOptions, run_capacity
from plsync.rundir import RunDirectory
from system.config import SystemConfig
from system.db import Database
from tests.cli import plsync


@pytest.mark.parametrize("args", [
    ("capacity", "--slo", "p98<=50ms"), ("capacity", "--slo", "p99<=fast"), ("capacity", "--start-rate", "0"),
    ("capacity", "--start-rate", "-5/s"), ("capacity", "--max-users", "400"), ("capacity", "--workload", "mixed"),
    ("capacity", "--min-rate", "0"), ("capacity", "--min-rate", "80/s"), ("capacity", "--warmup", "5"),
    ("capacity", "--profile", "huge"), ("capacity", "--strategy", "all", "--strategy", "optimistic"),
    ("swarm", "--rate", "0/s"), ("swarm", "--rate", "lots"), ("swarm", "--rate", "100/s", "--max-users", "400"),
    ("swarm", "--rate", "100/s", "--arrivals", "bursty")])
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], tmp_path: Path) -> None:
    result = plsync(*args, "--runs-dir", str(tmp_path), timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not list(tmp_path.iterdir())  # nothing started, nothing written


@pytest.mark.slow
def test_a_small_capacity_search_records_every_step(db: Database, config: SystemConfig, tmp_path: Path) -> None:
    env = Environment(db.engine.url.render_as_string(hide_password=False), "url", True, config.redis_url)
    options = CapacityOptions(("coupled",), Slo.parse("p99<=5s"), "uniform", max_users=8, step_s=4, warmup_s=1,
                              students=50, search=SearchPlan(start_per_s=10, growth=2, max_per_s=20, bisections=0,
                                                             repeats=2))
    document = run_capacity(env, config, options, RunDirectory(tmp_path), say=lambda _line: None)
    (entry,) = document.strategies
    # A generous SLO at low rates: 10 and 20/s pass, then the boundary (20/s) is run once more.
    assert [s.offered_per_s for s in entry.steps] == [10, 20, 20]
    assert entry.capacity_per_s == 20 and entry.boundary_passes == 2 and len(entry.boundary_slo_ms) == 2
    for step in entry.steps:
        assert step.verdict == "pass", step
        assert step.lost_xp == 0 and step.desynced_pairs == 0 and step.dropped_ratio == 0
        assert step.achieved_per_s == pytest.approx(step.offered_per_s, rel=0.3)
        assert step.p50_ms <= step.p99_ms
        cpu = step.generator_cpu_us_per_request  # None only when the step had no steady window
        assert cpu is None or cpu > 0
        assert (tmp_path / step.run_dir / "histograms.json").exists()
    assert (tmp_path / "capacity.json").exists() and document.model == "open"
