"""A master and workers that share no disk: one worker in a network namespace of its own (another host, as far
as the network goes), each in its own working and ledger directory, started as its own process. The ledgers
reach the master over Locust's channel; a worker killed mid-run makes the run incomplete, naming it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from fixtures.ports import LOOPBACK, free_port
from fixtures.provision import Environment
from loadtests.ledger_stream import read_manifest
from plsync.rundir import RunDirectory
from plsync.swarm import SwarmOptions, SwarmResult, run_swarm
from plsync.swarm_remote import ExternalWorkers
from system.config import SystemConfig
from system.db import Database
from tests.loadtests_pkg.netns import Namespace, Relay, namespaces_available, other_host

LOCUST = Path(sys.executable).parent / "locust"
LOCUSTFILE = Path(__file__).resolve().parents[2] / "loadtests" / "direct.py"
OPTIONS = SwarmOptions(strategy="coupled", workload="hotspot", users=16, spawn_rate=16, run_time_s=5, students=40,
                       workers=2)


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    home: Path

    def locust_id(self, timeout_s: float = 30) -> str:
        """The id the master knows it by (each worker prints it at start-up)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if found := re.search(r"plsync: worker (\S+) \(pid", (self.home / "stderr").read_text()):
                return found.group(1)
            time.sleep(0.1)
        raise AssertionError(f"the worker never said its id: {(self.home / 'stderr').read_text()[-1000:]}")


@contextmanager
def network() -> Iterator[tuple[str, Namespace | None]]:
    """Where the master listens, and the other host (None where namespaces cannot be made: same host then)."""
    if not namespaces_available():
        yield LOOPBACK, None
        return
    with other_host() as ns:
        yield ns.host_address, ns


def start_worker(home: Path, db_url: str, master: str, port: int, ns: Namespace | None) -> Worker:
    """Plain ``locust --worker``, in its own directory, told only the database and where the master is."""
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLSYNC_")}
    env |= {"PLSYNC_DATABASE_URL": db_url, "PLSYNC_LEDGER_DIR": str(home / "ledger")}
    cmd = [str(LOCUST), "-f", str(LOCUSTFILE), "--worker", "--master-host", master, "--master-port", str(port)]
    with (home / "stderr").open("w") as err:
        proc = subprocess.Popen([*(ns.prefix() if ns else []), *cmd], cwd=home, env=env, stdout=subprocess.DEVNULL,
                                stderr=err)
    return Worker(proc, home)


def distributed_swarm(db: Database, config: SystemConfig, tmp_path: Path, kill_one: bool = False
                      ) -> tuple[SwarmResult, list[Worker], Namespace | None]:
    url = db.engine.url.render_as_string(hide_password=False)
    env = Environment(url, "url", True, config.redis_url)
    outcome: dict[str, SwarmResult | BaseException] = {}
    with ExitStack() as stack:
        master_host, ns = stack.enter_context(network())
        external = ExternalWorkers(2, master_host, free_port(), connect_wait_s=60)
        worker_url = url
        if ns is not None:  # the database, as a server the other host reaches at this side of the pair
            parsed = make_url(url)
            relay = Relay(ns.host_address, (parsed.host or LOOPBACK, parsed.port or 5432))
            stack.callback(relay.close)
            worker_url = parsed.set(host=relay.address[0], port=relay.address[1]).render_as_string(
                hide_password=False)
        run = RunDirectory(tmp_path / "master")

        def master() -> None:
            try:
                outcome["result"] = run_swarm(env, config, OPTIONS, run, external=external)
            except BaseException as exc:  # handed to the test's thread
                outcome["error"] = exc

        thread = threading.Thread(target=master)
        thread.start()
        while not (run.path / "locust-0.log").exists() and thread.is_alive():  # the population is ready
            time.sleep(0.05)
        workers = [start_worker(tmp_path / "worker-1", worker_url, master_host, external.port, ns),
                   start_worker(tmp_path / "worker-2", url, master_host, external.port, None)]
        stack.callback(lambda: [w.proc.kill() for w in workers if w.proc.poll() is None])
        if kill_one:
            victim = workers[0]
            victim_id = victim.locust_id()
            deadline = time.monotonic() + 60
            # Its first batch reached the master: it is running users and streaming; now it dies at once.
            while not any(run.path.glob(f"ledgers/ledger-{victim_id}.jsonl")) and time.monotonic() < deadline:
                time.sleep(0.05)
            victim.proc.send_signal(signal.SIGKILL)
        thread.join(timeout=OPTIONS.run_time_s + 200)
        for w in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                w.proc.wait(timeout=30)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    result = outcome["result"]
    assert isinstance(result, SwarmResult)
    return result, workers, ns


@pytest.mark.slow
def test_workers_without_a_shared_disk_give_the_single_host_verdict(db: Database, config: SystemConfig,
                                                                     tmp_path: Path) -> None:
    result, workers, ns = distributed_swarm(db, config, tmp_path)
    assert (ns is not None) == namespaces_available()  # as root, worker 1 really ran on the other side of a veth
    assert all(w.proc.returncode == 0 for w in workers), [(w.home / "stderr").read_text()[-500:] for w in workers]
    ids = {w.locust_id() for w in workers}
    manifest = read_manifest(tmp_path / "master" / "ledgers")
    assert manifest is not None and set(manifest.workers) == ids, manifest
    assert all(w.complete and w.records > 0 for w in manifest.workers.values()), manifest
    # Each worker's ledger is in the master's directory, and nowhere else.
    assert {p.name for p in (tmp_path / "master" / "ledgers").glob("ledger-*.jsonl")} == {
        f"ledger-{i}.jsonl" for i in ids}
    assert not any(any(w.home.rglob("ledger*")) for w in workers)
    assert sum(result.ledger.values()) == sum(w.records for w in manifest.workers.values())
    assert result.requests > 50 and result.incomplete_workers == {}
    # The same verdict as one host gives for the same load: coupled loses nothing and writes nothing unseen.
    single = run_swarm(Environment(db.engine.url.render_as_string(hide_password=False), "url", True,
                                   config.redis_url), config, dataclasses.replace(OPTIONS, workers=0),
                       RunDirectory(tmp_path / "single"))
    assert (result.lost_xp, result.unacknowledged_xp, result.desynced_pairs) == (0, 0, 0)
    assert (single.lost_xp, single.unacknowledged_xp, single.desynced_pairs) == (0, 0, 0)
    assert result.passed and single.passed, (result.failures_of_gates, single.failures_of_gates)


@pytest.mark.slow
def test_a_worker_killed_mid_run_makes_the_run_incomplete_naming_it(db: Database, config: SystemConfig,
                                                                     tmp_path: Path) -> None:
    result, workers, _ns = distributed_swarm(db, config, tmp_path, kill_one=True)
    victim, survivor = (w.locust_id() for w in workers)
    assert workers[0].proc.returncode == -signal.SIGKILL
    assert set(result.incomplete_workers) == {victim}, result.incomplete_workers
    assert "final batch" in result.incomplete_workers[victim]
    assert not result.passed and result.failures_of_gates[0].startswith(f"incomplete: {victim}: ")
    # The ledger's invariants are not judged on a partial ledger (they would call the victim's XP unseen writes).
    assert not any("lost_updates" in f or "unacknowledged_writes" in f for f in result.failures_of_gates)
    manifest = read_manifest(tmp_path / "master" / "ledgers")
    assert manifest is not None and manifest.workers[survivor].complete, manifest


@pytest.mark.slow
def test_a_worker_starts_its_test_only_once_its_own_setup_is_done(db: Database, config: SystemConfig,
                                                                  tmp_path: Path) -> None:
    """A worker connects before its setup runs; the master spawns at once. While a table lock holds the worker's
    setup (its population query) the spawn must wait: users started then would have no context or strategy."""
    url = db.engine.url.render_as_string(hide_password=False)
    external = ExternalWorkers(1, LOOPBACK, free_port(), connect_wait_s=60)
    run = RunDirectory(tmp_path / "master")
    options = dataclasses.replace(OPTIONS, workers=1, run_time_s=6)
    outcome: dict[str, SwarmResult | BaseException] = {}

    def master() -> None:
        try:
            outcome["result"] = run_swarm(Environment(url, "url", True, config.redis_url), config, options, run,
                                          external=external)
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=master)
    thread.start()
    while not (run.path / "locust-0.log").exists() and thread.is_alive():  # the population is ready
        time.sleep(0.05)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("BEGIN; LOCK TABLE specialization_progress IN ACCESS EXCLUSIVE MODE")
        worker = start_worker(tmp_path / "worker", url, LOOPBACK, external.port, None)
        try:
            # Its setup waits on the lock, so it has connected to the master (before its setup), which spawns.
            deadline = time.monotonic() + 60
            while not _waiting_on_a_lock(db) and time.monotonic() < deadline and worker.proc.poll() is None:
                time.sleep(0.1)
            assert _waiting_on_a_lock(db), (worker.home / "stderr").read_text()[-2000:]
            time.sleep(3)
            conn.exec_driver_sql("COMMIT")
            thread.join(timeout=options.run_time_s + 120)
            worker.proc.wait(timeout=30)
        finally:
            if worker.proc.poll() is None:
                worker.proc.kill()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    result = outcome["result"]
    assert isinstance(result, SwarmResult)
    stderr = (worker.home / "stderr").read_text()
    assert worker.proc.returncode == 0 and "Traceback" not in stderr, stderr[-2000:]
    assert result.requests > 20 and result.failures == 0 and result.incomplete_workers == {}
    assert result.ledger_entries == result.requests and result.passed, result.failures_of_gates


def _waiting_on_a_lock(db: Database) -> bool:
    with db.engine.connect() as conn:
        return bool(conn.exec_driver_sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                         "AND query LIKE '%%specialization_progress%%'").scalar())
