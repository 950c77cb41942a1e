"""Swarm smoke runs: direct, HTTP and distributed Locust, each judged by the ledger and invariants."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.provision import Environment
from loadtests.ledger_sink import read_ledgers
from loadtests.ledger_stream import read_manifest
from plsync.rundir import RunDirectory
from plsync.swarm import SwarmOptions, prepare_population, run_swarm
from system.config import SystemConfig
from system.db import Database
from tests.helpers import run_in_own_process


def _env(db: Database, config: SystemConfig) -> Environment:
    return Environment(db.engine.url.render_as_string(hide_password=False), "url", True, config.redis_url)


@pytest.mark.slow
@pytest.mark.parametrize(("strategy", "transport", "workers"), [
    ("coupled", "direct", 0), ("legacy", "direct", 0), ("coupled", "http", 0), ("redis", "direct", 2)])
def test_swarm_smoke(strategy: str, transport: str, workers: int, db: Database, config: SystemConfig,
                     tmp_path: Path) -> None:
    options = SwarmOptions(strategy=strategy, workload="hotspot", users=8, spawn_rate=8, run_time_s=4,
                           transport=transport, students=40, workers=workers)
    result = run_swarm(_env(db, config), config, options, RunDirectory(tmp_path))
    assert result.requests > 20 and result.operations["level_up"]["requests"] == result.requests
    # Every request Locust counted is in the ledger. Locally the two counts are the same; a distributed master
    # may write its summary before the workers' last stats reports arrive (seen on a loaded machine: 42 of 137).
    recorded = sum(result.ledger.values())
    assert recorded == result.requests if not workers else recorded >= result.requests
    assert (tmp_path / "locust_stats.csv").exists() and (tmp_path / "locust.html").exists()
    if workers:  # the workers streamed their ledgers: the master wrote one file per worker, and vouches for each
        manifest = read_manifest(tmp_path / "ledgers")
        assert manifest is not None and len(manifest.workers) == workers, manifest
        assert not result.incomplete_workers and all(w.complete for w in manifest.workers.values()), manifest
        assert len(list((tmp_path / "ledgers").glob("ledger-*.jsonl"))) == workers, manifest
    if transport == "direct":
        # 8 users really hold transactions open at once (psycopg2 made cooperative under gevent).
        assert result.max_open_transactions >= 4, result.max_open_transactions
    if strategy == "legacy":
        return  # expected to lose updates: measured (lost_xp in the result), not asserted either way
    assert result.lost_xp == 0 and result.desynced_pairs == 0
    assert result.passed, result.failures_of_gates


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["advisory", "redis", "redis_fenced", "serializable", "trigger"])
def test_http_hot_spot_loses_nothing_under_every_strategy(strategy: str, db: Database, config: SystemConfig,
                                                          tmp_path: Path) -> None:
    """Every family of strategy through the API's one stack (async routes, the greenlet bridge on asyncpg):
    row locks (coupled, in test_swarm_smoke), an advisory lock, a Redis lock waited for on the event loop
    (plain and fenced), SERIALIZABLE retries sleeping on the loop, the trigger. 16 users on 10 students."""
    options = SwarmOptions(strategy=strategy, workload="hotspot", users=16, spawn_rate=16, run_time_s=3,
                           transport="http", students=20)
    result = run_swarm(_env(db, config), config, options, RunDirectory(tmp_path))
    assert result.requests > 20 and sum(result.ledger.values()) == result.requests
    assert result.max_open_transactions >= 4, result.max_open_transactions  # the API really ran them at once
    assert result.lost_xp == 0 and result.unacknowledged_xp == 0 and result.desynced_pairs == 0
    assert result.passed, result.failures_of_gates


@pytest.mark.slow
def test_swarm_under_the_pause_nemesis(db: Database, config: SystemConfig, tmp_path: Path) -> None:
    """A Locust worker is frozen (SIGSTOP) past the Redis lease at random moments while the other works on the
    same hot students: the fenced remedy loses nothing, and every frozen worker was thawed."""
    options = SwarmOptions(strategy="redis_fenced", workload="hotspot", users=8, spawn_rate=8, run_time_s=6,
                           students=40, workers=2, nemesis="pause")
    result = run_swarm(_env(db, config), config, options, RunDirectory(tmp_path))
    assert result.nemesis is not None and result.remedy_for == "redis"
    freezes = result.nemesis["freezes"]
    assert freezes and all(f["frozen_s"] > result.nemesis["redis_lock_ttl_s"] for f in freezes), freezes
    assert result.requests > 20 and result.lost_xp == 0 and result.desynced_pairs == 0
    assert result.passed, result.failures_of_gates


def test_plain_locust_command_runs_headless(db: Database, config: SystemConfig, tmp_path: Path) -> None:
    prepare_population(db, SwarmOptions(students=20), 1)
    env = {**os.environ, "PLSYNC_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
           "PLSYNC_LEDGER_DIR": str(tmp_path / "ledgers")}
    locust = Path(sys.executable).parent / "locust"
    locustfile = Path(__file__).resolve().parents[2] / "loadtests" / "direct.py"
    result = subprocess.run([str(locust), "-f", str(locustfile), "--headless", "-u", "4", "-r", "4", "-t", "2s",
                             "--only-summary", "--plsync-workload", "uniform"], env=env, capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    ledger = read_ledgers(tmp_path / "ledgers")
    assert ledger.counts()["ok"] > 10


@pytest.mark.slow
def test_baselines_measure_pgbench_and_the_http_ceiling(db: Database, tmp_path: Path) -> None:
    from benchmarks.baselines import http_ceiling, pgbench_tps

    prepare_population(db, SwarmOptions(students=30), 1)
    url = db.engine.url.render_as_string(hide_password=False)
    assert pgbench_tps(url, clients=2, seconds=2, low=1, high=30) > 50
    with db.transaction() as session:  # pgbench really ran the level-up transaction against our tables
        from sqlalchemy import text

        assert session.execute(text("SELECT count(*) FROM license_progressions WHERE reason = 'pgbench'")).scalar()
    ceiling = http_ceiling(users=2, seconds=6, workdir=tmp_path)
    assert ceiling.rps > 50
    # Its CPU split: both Locust and the trivial app's server worked for every request of the steady window.
    assert ceiling.cpu is not None and ceiling.cpu.requests > 50
    for group in ("locust", "api"):
        cost = ceiling.cpu.group(group)
        assert cost is not None and cost.processes == 1 and cost.cpu_us > 0


def test_the_generator_freezes_its_set_up_and_its_spawned_users_out_of_full_collections() -> None:
    """Run in a process of its own: the collector's settings are the whole process's."""
    probe = ("import gc\nfrom locust.env import Environment\nfrom loadtests.common import freeze_what_lasts\n"
             "environment = Environment()\nassert gc.get_freeze_count() == 0\nfreeze_what_lasts(environment)\n"
             "after_set_up = gc.get_freeze_count()\nassert after_set_up > 10_000, after_set_up\n"
             "users = [[n] for n in range(5_000)]\n"
             "environment.events.spawning_complete.fire(user_count=len(users))\n"
             "assert gc.get_freeze_count() >= after_set_up + len(users), gc.get_freeze_count()\nprint('frozen')")
    assert run_in_own_process(probe) == "frozen"
