"""One long-lived Locust process that runs a capacity search's steps, one after another, as they arrive.

Starting Locust per step cost the capacity search most of its time (a process, its imports, a database pool
and a population per step: 8-19 s of overhead for a 6 s step). Here Locust is a library (``Environment`` and
its local runner) in one process: the harness (plsync/capacity_steps.py) writes one step per line on stdin, as
JSON (strategy, offered rate, run time, warm-up, the step's directory), and reads one line back on the
protocol's stdout when the step's results are in its directory: the ledger (``ledgers/``), the encoded
HdrHistograms (``histograms.json``) and what the generator itself did (``step.json``: requests, errors, its
own CPU over the steady window). Each step spawns the pool of users afresh (their ``on_start`` takes the
step's ledger and strategy), runs the open model's schedule (loadtests/open_load.py), then stops the users
gracefully: a request in flight finishes and reaches the ledger.

The users are the locustfiles' own (``DirectUser``, ``ApiUser``): one code path. The direct transport keeps
one database pool for every strategy and switches between them (``direct.use_strategy``); the HTTP transport
drives the API that serves one strategy, so the harness starts one of these per strategy.

    PLSYNC_STEP_DRIVER='{"transport": "direct", "database_url": "..."}' python -m loadtests.step_driver
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import gevent
from locust.env import Environment  # Locust patches the process for gevent as it loads

from loadtests.arrivals import ArrivalPlan
from loadtests.common import SwarmContext, population_of, stats_summary
from loadtests.ledger_sink import LedgerSink
from loadtests.open_load import OpenLoad
from loadtests.workloads import workload_named
from plsync.records.capacity import GeneratorStepRecord
from plsync.records.files import GENERATOR_STEP, HISTOGRAMS
from scenarios.read_modes import modes_for_transport

SETUP_VARIABLE = "PLSYNC_STEP_DRIVER"
#: How long users may take to finish the request they are in when a step stops (Locust's --stop-timeout).
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class DriverSetup:
    """What stays the same for every step of this process."""

    transport: str
    database_url: str
    max_users: int
    workload: str = "hotspot"
    hot_students: int | None = None
    specialization: str = "PLAYER"
    redis_url: str | None = None
    #: HTTP: the API's address and the secret it signs tokens with.
    host: str | None = None
    api_secret: str | None = None


@dataclass(frozen=True)
class Step:
    """One step: ``rate_per_s`` offered for ``run_time_s`` (its first ``warmup_s`` left out of the figures)."""

    id: int
    dir: str
    strategy: str
    rate_per_s: float
    run_time_s: float
    warmup_s: float = 0.0
    arrivals: str = "poisson"
    late_limit_s: float = 1.0
    seed: int = 42
    #: The harness replaced the population since the last step: read the students again.
    reload_population: bool = False


class StepDriver:
    def __init__(self, setup: DriverSetup) -> None:
        self.setup = setup
        self.locustfile = _locustfile(setup)
        self.db: Any = None
        self.strategy = ""
        if setup.transport == "direct":
            self._connect()
        user = self.locustfile.DirectUser if setup.transport == "direct" else self.locustfile.ApiUser
        self.env = Environment(user_classes=[user], host=setup.host, stop_timeout=STOP_TIMEOUT_S)
        self.runner = self.env.create_local_runner()
        self.students, self.staff = population_of(setup.database_url, setup.specialization)

    def _connect(self) -> None:
        from plsync.limits import limits_from_env
        from system.config import SystemConfig
        from system.db import Database

        self.config = SystemConfig(database_url=self.setup.database_url, redis_url=self.setup.redis_url,
                                   pool_size=max(8, self.setup.max_users + 4), max_overflow=8,
                                   **limits_from_env(os.environ))  # type: ignore[arg-type]
        self.db = Database.connect(self.config, application_name="plsync-swarm-capacity")
        # Open the users' connections once, before any schedule starts: never inside a step's response times.
        connections = [self.db.engine.connect() for _ in range(self.setup.max_users)]
        for connection in connections:
            connection.close()

    def run(self, step: Step) -> None:
        setup, directory = self.setup, Path(step.dir)
        directory.mkdir(parents=True, exist_ok=True)
        if step.reload_population:
            self.students, self.staff = population_of(setup.database_url, setup.specialization)
        if step.strategy != self.strategy:
            if setup.transport == "direct":
                self.locustfile.use_strategy(step.strategy, self.db, self.config)
            elif self.strategy:
                raise ValueError(f"this process drives the API of {self.strategy}, not {step.strategy}")
            self.strategy = step.strategy
        ledger = LedgerSink(directory / "ledgers")
        self.locustfile.HOLDER["ctx"] = SwarmContext(
            None, self.students, self.staff, workload_named(setup.workload, setup.hot_students), ledger,
            setup.specialization, None, tuple(modes_for_transport(setup.transport)), step.strategy,
            setup.database_url, setup.redis_url, setup.api_secret)
        plan = ArrivalPlan(step.rate_per_s, step.arrivals, setup.max_users, step.late_limit_s, step.seed,
                           warmup_s=step.warmup_s)
        load = OpenLoad(plan, step.run_time_s)
        recording = self.locustfile.LATENCY
        recording.plan, recording.load = plan, load  # the users take this step's slots (they wait for the start)
        try:
            began = time.perf_counter()
            self.runner.start(setup.max_users, spawn_rate=setup.max_users * 1000)
            spawning = self.runner.spawning_greenlet
            assert spawning is not None
            spawning.join()
            spawned = time.perf_counter()
            load.start()
            gevent.sleep(max(0.0, spawned + step.warmup_s - time.perf_counter()))
            cpu_at_warm = time.process_time()
            gevent.sleep(max(0.0, spawned + step.run_time_s - time.perf_counter()))
            cpu_s, steady = time.process_time() - cpu_at_warm, load.counts["completed"]
            load.stop()  # no more slots; the idle users wake, the busy ones finish their request
            stopping = time.perf_counter()
            self.runner.stop()
            ended = time.perf_counter()
        finally:
            recording.plan, recording.load = None, None
            ledger.close()
        summary = stats_summary(self.env)
        share = load.snapshot() | {"failures": int(summary["failures"])}
        histograms = {"model": "open", "unit": "us", "plan": vars(plan) | {"run_time_s": step.run_time_s},
                      "expected_processes": 1, "processes": [share]}
        _write(directory / HISTOGRAMS.filename, HISTOGRAMS.encode(histograms))
        record = GeneratorStepRecord(
            strategy=step.strategy, transport=setup.transport, offered_per_s=step.rate_per_s,
            run_time_s=step.run_time_s, warmup_s=step.warmup_s, requests=int(summary["requests"]),
            failures=int(summary["failures"]),
            errors=[f"{e['name']}: {e['error']} (x{e['occurrences']})" for e in summary["errors"]],
            steady_requests=steady, cpu_s=cpu_s, cpu_us_per_request=cpu_s / steady * 1e6 if steady else None,
            spawn_s=spawned - began, stop_s=ended - stopping, wall_s=ended - began)
        _write(directory / GENERATOR_STEP.filename, GENERATOR_STEP.encode(record))

    def close(self) -> None:
        self.runner.quit()
        strategy = self.locustfile.HOLDER.pop("strategy", None)
        if strategy is not None:
            strategy.close()
        if self.db is not None:
            self.db.dispose()


def _locustfile(setup: DriverSetup) -> ModuleType:
    if setup.transport == "direct":
        from loadtests import direct
        return direct
    if setup.transport == "http" and setup.host and setup.api_secret:
        from loadtests import http
        return http
    raise ValueError("the step driver runs the direct transport, or http with the API's host and secret")


def _write(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload) + "\n")


def serve(driver: StepDriver, steps: TextIO, replies: TextIO) -> None:
    """One reply line per step line, until the harness closes the stream (or sends ``{"quit": true}``)."""
    for line in steps:
        if not line.strip():
            continue
        message = json.loads(line)
        if message.get("quit"):
            break
        reply: dict[str, Any] = {"id": message.get("id")}
        try:
            driver.run(Step(**message))
            reply["ok"] = True
        except Exception as exc:  # the harness reports it and stops the search; this process stays usable
            traceback.print_exc()
            reply["error"] = f"{type(exc).__name__}: {exc}"
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main() -> None:
    # The protocol owns the real stdout; anything else printed (Locust, libraries) goes to stderr.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("locust.runners").setLevel(logging.ERROR)  # "spawn rate is very high": on purpose
    driver = StepDriver(DriverSetup(**json.loads(os.environ[SETUP_VARIABLE])))
    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    try:
        serve(driver, sys.stdin, replies)
    finally:
        driver.close()


if __name__ == "__main__":
    main()
