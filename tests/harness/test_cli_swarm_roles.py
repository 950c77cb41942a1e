"""``plsync swarm --master`` and ``--worker``: what each refuses before anything starts, and the two together."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fixtures.ports import LOOPBACK, free_port
from system.db import Database
from tests.cli import PLSYNC, clean_env, plsync


@pytest.mark.parametrize(("args", "env", "says"), [
    (["--worker"], {}, "a worker needs --master-host"),
    (["--worker", "--master-host", "10.0.0.1"], {}, "a worker needs the database the master prepared"),
    (["--worker", "--master-host", "10.0.0.1", "--strategy", "redis"], {"PLSYNC_DATABASE_URL": "postgresql://h/d"},
     "the redis strategy needs the Redis every worker shares"),
    (["--worker", "--master-host", "10.0.0.1", "--transport", "http"], {"PLSYNC_DATABASE_URL": "postgresql://h/d"},
     "an HTTP worker mints its tokens with the API's secret"),
    (["--worker", "--master", "--master-host", "h"], {}, "--master and --worker are two processes"),
    (["--master", "--expect-workers", "2"], {}, "workers on other hosts need the database the master prepares"),
    (["--master", "--expect-workers", "2", "--workers", "2"], {}, "--workers starts workers here"),
    (["--master", "--expect-workers", "1", "--transport", "http", "--database-url", "postgresql://h/d"], {},
     "--master drives the direct transport"),
    (["--expect-workers", "2"], {}, "--expect-workers goes with --master"),
])
def test_a_role_without_what_it_needs_exits_2_before_starting(args: list[str], env: dict[str, str], says: str,
                                                               tmp_path: Path) -> None:
    result = plsync("swarm", *args, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not any(tmp_path.iterdir())  # nothing started, nothing written


def master_with_one_worker(db: Database, tmp_path: Path, *swarm: str) -> dict[str, Any]:
    """A ``plsync swarm --master`` run with ``swarm``'s options and one ``plsync swarm --worker`` told only where
    the master is, each in its own directory; the master's JSON result."""
    url, port = db.engine.url.render_as_string(hide_password=False), free_port()
    (tmp_path / "master").mkdir(), (tmp_path / "worker").mkdir()
    master = subprocess.Popen(
        [PLSYNC, "swarm", "--master", "--expect-workers", "1", "--master-bind-host", LOOPBACK, "--master-port",
         str(port), *swarm, "--students", "30", "--json", "--database-url", url, "--disposable", "--runs-dir",
         str(tmp_path / "master" / "runs")],
        cwd=tmp_path / "master", env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        worker = plsync("swarm", "--worker", "--master-host", LOOPBACK, "--master-port", str(port),
                        "--database-url", url, cwd=tmp_path / "worker", timeout=180)
        out, err = master.communicate(timeout=180)
    finally:
        master.kill()
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert master.returncode == 0, err[-2000:]
    [result] = json.loads(out)
    return dict(result)

@pytest.mark.slow
def test_the_readme_master_and_worker_commands_in_separate_directories(db: Database, tmp_path: Path) -> None:
    result = master_with_one_worker(db, tmp_path, "--users", "8", "--spawn-rate", "8", "--run-time", "4s")
    assert result["workers"] == 1 and result["incomplete_workers"] == {} and result["requests"] > 20
    assert (result["lost_xp"], result["unacknowledged_xp"], result["desynced_pairs"]) == (0, 0, 0)
    assert not list((tmp_path / "worker").rglob("ledger*"))  # the worker's ledger went to the master


@pytest.mark.slow
def test_an_open_model_master_hands_its_schedule_to_a_worker_on_another_host(db: Database, tmp_path: Path) -> None:
    """The worker is told nothing of the schedule: rate, arrivals, seed and the schedule's wall-clock start reach
    it as Locust custom options in the master's spawn message."""
    result = master_with_one_worker(db, tmp_path, "--rate", "40/s", "--arrivals", "poisson", "--users", "8",
                                    "--run-time", "5s")
    latency = result["latency"]
    assert latency["model"] == "open" and latency["arrivals"] == "poisson" and latency["offered_rate_per_s"] == 40
    assert latency["processes"] == latency["expected_processes"] == 1
    slots = latency["slots"]
    # The worker ran the master's schedule: 40/s over the schedule (Poisson: within its noise), every slot
    # accounted for, each completed one in the ledger.
    assert slots["scheduled"] == pytest.approx(40 * latency["schedule_s"], rel=0.35), latency
    assert slots["completed"] + slots["dropped_late"] + slots["unstarted_at_end"] + slots["in_flight_at_end"] == \
        slots["scheduled"]
    assert result["ledger_entries"] == slots["completed"] > 60 and result["incomplete_workers"] == {}
    assert (result["lost_xp"], result["unacknowledged_xp"], result["desynced_pairs"]) == (0, 0, 0)
