"""Run a Locust swarm against a provisioned system and judge it: ledger + invariant checker + thresholds.

Locust runs as its own process (``locust -f loadtests/<file>.py --headless``), or as a master and
workers on loopback, or as a master alone that workers on other hosts join (``ExternalWorkers``), exactly
as a user would start it; the harness prepares the data, starts the API for the HTTP transport, samples
how many transactions are open at once, and reads back what Locust and the ledgers wrote into the run
directory. Distributed, the ledgers are the ones the workers streamed to the master; a worker whose
ledger did not arrive whole makes the run incomplete, never a pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from fixtures import children
from fixtures.errors import ProvisioningError
from fixtures.population import fresh_population, xp_baseline
from fixtures.ports import LOOPBACK, free_port
from fixtures.provision import Environment
from loadtests.arrivals import ArrivalPlan
from loadtests.cpu_accounting import CpuAccount, CpuSampler, steady_account
from loadtests.history import HistoryPoint, read_history
from loadtests.intervals import Phases
from loadtests.ledger_sink import read_ledgers
from loadtests.ledger_stream import incomplete_workers
from loadtests.open_model import HISTOGRAM_FILE, ModelLatency, read_summary
from loadtests.stages import stages_named
from loadtests.thresholds import CLOSED_LATENCY, evaluate_swarm, threshold_failures
from loadtests.workloads import workload_named
from plsync.cpu_split import Pinning
from plsync.limits import limits_to_env
from plsync.records.swarms import SwarmRecord
from plsync.rundir import RunDirectory, to_jsonable
from plsync.swarm_remote import ExternalWorkers
from plsync.swarm_sampling import OpenTransactionSampler
from scenarios.freezer import SWARM_NEMESES, PauseNemesis
from scenarios.invariants import check_invariants
from scenarios.read_modes import modes_for_transport
from system.config import SystemConfig
from system.db import Database
from system.errors import ConfigurationError
from system.strategies import strategy_class

BIN = Path(sys.executable).parent
#: Users over HTTP hold the API's connections (its cap is 4,096), not the database's.
MAX_HTTP_USERS = 1000
#: An overload run's per-second counts, written by its Locust process (loadtests/intervals.py).
INTERVALS_FILE = "intervals.json"
LOCUSTFILES = Path(__file__).resolve().parent.parent / "loadtests"


@dataclass(frozen=True, kw_only=True)
class SwarmOptions:
    strategy: str = "coupled"
    workload: str = "hotspot"
    users: int = 64
    spawn_rate: float = 64
    run_time_s: int = 60
    transport: str = "direct"
    stages: str = "steady"
    students: int = 1000
    hot_students: int | None = None
    workers: int = 0
    specialization: str = "PLAYER"
    #: A fault injected during the run (``SWARM_NEMESES``), or None.
    nemesis: str | None = None
    #: The read modes the read operation rotates through (scenarios/read_modes.py); empty: every mode of the
    #: transport.
    read_modes: tuple[str, ...] = ()
    #: The open model: requests on an arrival schedule taken by at most ``users`` users; None: closed.
    open_model: ArrivalPlan | None = None
    #: An overload run's phases: the Locust process then writes its per-second counts (``INTERVALS_FILE``).
    phases: Phases | None = None

    def __post_init__(self) -> None:
        strategy_class(self.strategy)
        if self.phases is not None and (self.open_model is None or self.workers or self.transport != "http"):
            raise ConfigurationError("an overload run's per-second counts need the open model over HTTP, in one "
                                     "Locust process (no --workers)")
        if self.open_model is not None and self.open_model.max_users != self.users:
            raise ConfigurationError(f"the open model's user pool ({self.open_model.max_users}) is the swarm's "
                                     f"users ({self.users})")
        if self.nemesis is not None:
            if self.nemesis not in SWARM_NEMESES:
                raise ConfigurationError(f"unknown nemesis {self.nemesis!r} (choose from {', '.join(SWARM_NEMESES)})")
            if self.transport == "direct" and self.workers < 2:
                raise ConfigurationError("the pause nemesis freezes one Locust worker while the others carry on "
                                         "(--workers 2 or more), or the API process (--transport http)")
        workload_named(self.workload)
        stages_named(self.stages)
        if self.transport not in ("direct", "http"):
            raise ConfigurationError(f"unknown transport {self.transport!r} (direct or http)")
        modes_for_transport(self.transport, list(self.read_modes) or None)
        if self.users < 1 or self.spawn_rate <= 0 or self.run_time_s < 1 or self.students < 1:
            raise ConfigurationError("users, spawn rate, run time and students must be positive")
        if not 0 <= self.workers <= 8:
            raise ConfigurationError("workers must be between 0 (local) and 8")
        # Over HTTP a user holds a connection to the API, not to PostgreSQL (the API's pool is its own).
        if self.users > (MAX_HTTP_USERS if self.transport == "http" else 250):
            raise ConfigurationError("more than 250 direct users would exceed the server's 300 connections (use "
                                     f"workers against a server configured for more); over HTTP at most "
                                     f"{MAX_HTTP_USERS}")


@dataclass(frozen=True, kw_only=True)
class SwarmResult:
    """A judged swarm; written into the run directory as its record (``record()``, plsync/records/swarms.py),
    derived figures included: they are computed here, by the producer, not by whoever writes the file."""

    strategy: str
    workload: str
    transport: str
    users: int
    workers: int
    run_time_s: int
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    operations: dict[str, Any]
    ledger: dict[str, int]
    ledger_entries: int
    retries: int
    deadlocks: int
    lost_xp: int
    unacknowledged_xp: int
    desynced_pairs: int
    max_open_transactions: int
    invariants: Any
    failures_of_gates: list[str] = field(default_factory=list)
    #: Locust's aggregated stats, second by second.
    timeline: list[HistoryPoint] = field(default_factory=list)
    #: CPU per request by process (Locust, API, PostgreSQL, the box) over the steady window; None when the
    #: swarm was too short to have one.
    cpu: CpuAccount | None = None
    #: The strategy this one is the remedy of (compared side by side with it).
    remedy_for: str | None = None
    #: What the nemesis froze, when and for how long (None without one).
    nemesis: dict[str, Any] | None = None
    #: The failure-ratio thresholds alone, apart from the invariants: a slow swarm and a swarm that lost XP are
    #: different findings.
    threshold_failures: list[str] = field(default_factory=list)
    #: Closed-model p95/p99 past their thresholds (loadtests/thresholds.py): reported, not gated by readiness.
    closed_latency_findings: list[str] = field(default_factory=list)
    #: Violations over every invariant judged (an incomplete run's ledger invariants are not).
    invariant_violations: int = 0
    #: Distributed: the workers whose ledger did not reach the master whole, with why (the run is then
    #: incomplete: its ledger invariants are not judged, and it does not pass).
    incomplete_workers: dict[str, str] = field(default_factory=dict)
    #: Lossless latency (HdrHistogram, merged over every Locust process), labelled open or closed model.
    latency: ModelLatency | None = None

    @property
    def passed(self) -> bool:
        return not self.failures_of_gates

    def record(self) -> SwarmRecord:
        return SwarmRecord.model_validate(to_jsonable(self))


def prepare_population(db: Database, options: SwarmOptions, seed: int) -> dict[tuple[int, str], int]:
    """Fresh students (ids from 1) and one admin; returns the XP baseline of every pair."""
    with db.transaction() as session:
        fresh_population(session, options.students, options.specialization, seed)
    with db.transaction() as session:
        return xp_baseline(session)


def _swarm_env(env: Environment, options: SwarmOptions, run: RunDirectory, secret: str) -> dict[str, str]:
    values = {"PLSYNC_DATABASE_URL": env.database_url, "PLSYNC_STRATEGY": options.strategy,
              "PLSYNC_WORKLOAD": options.workload, "PLSYNC_STAGES": options.stages,
              "PLSYNC_SPECIALIZATION": options.specialization, "PLSYNC_LEDGER_DIR": str(run.path / "ledgers"),
              "PLSYNC_STATS_OUT": str(run.path / "locust_stats.json"), "PLSYNC_API_SECRET": secret,
              "PLSYNC_HOT_STUDENTS": str(options.hot_students or 0), "PLSYNC_HDR_OUT": str(run.path / HISTOGRAM_FILE),
              "PLSYNC_RATE": "", "PLSYNC_RATE_RUN_TIME": str(options.run_time_s),
              "PLSYNC_WORKERS": str(options.workers),
              "PLSYNC_READ_MODES": ",".join(options.read_modes)}
    plan = options.open_model
    if plan is not None:
        values |= {"PLSYNC_RATE": repr(plan.rate_per_s), "PLSYNC_ARRIVALS": plan.arrivals,
                   "PLSYNC_LATE_LIMIT": repr(plan.late_limit_s), "PLSYNC_ARRIVAL_SEED": str(plan.seed),
                   "PLSYNC_RATE_STAGES": plan.stages, "PLSYNC_WARMUP": repr(plan.warmup_s)}
    if options.phases is not None:
        values |= {"PLSYNC_INTERVALS_OUT": str(run.path / INTERVALS_FILE), "PLSYNC_PHASES": options.phases.encode()}
    if env.redis_url:
        values["PLSYNC_REDIS_URL"] = env.redis_url
    return {**os.environ, **values}


def start_api(env: Environment, strategy: str, log: Path, secret: str,
              extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """``plsync serve`` on loopback, signing with ``secret`` (the one Locust mints its tokens with)."""
    port = free_port()
    args = [str(BIN / "plsync"), "serve", "--host", LOOPBACK, "--port", str(port), "--strategy", strategy,
            "--database-url", env.database_url]
    if env.redis_url:
        args += ["--redis-url", env.redis_url]
    with log.open("w") as err:
        proc = children.spawn(args, stdout=subprocess.DEVNULL, stderr=err,
                              env={**os.environ, "PLSYNC_API_SECRET": secret, **(extra_env or {})})
    url = f"http://{LOOPBACK}:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/health/integrity", timeout=2)
            return proc, url
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                children.stop(proc, timeout=5)
                raise ProvisioningError(f"the API did not start: {log.read_text()[-500:]}") from None
            time.sleep(0.1)


def _freeze_targets(api: subprocess.Popen[bytes] | None, procs: list[subprocess.Popen[bytes]]) -> dict[str, int]:
    """What the pause nemesis freezes: the API process (HTTP), else the Locust workers (never the master,
    which only counts)."""
    if api is not None:
        return {"api": api.pid}
    return {f"worker-{i}": proc.pid for i, proc in enumerate(procs[1:], 1)}


def locust_commands(options: SwarmOptions, run: RunDirectory, host: str | None,
                    external: ExternalWorkers | None = None) -> list[list[str]]:
    locustfile = str(LOCUSTFILES / ("direct.py" if options.transport == "direct" else "http.py"))
    common = [str(BIN / "locust"), "-f", locustfile]
    # The open model's pool is spawned at once: its schedule starts when every user is there.
    spawn_rate = options.spawn_rate if options.open_model is None else max(options.spawn_rate, options.users * 10)
    head = [*common, "--headless", "-u", str(options.users), "-r", str(spawn_rate),
            "-t", f"{options.run_time_s}s", "--csv", str(run.path / "locust"), "--html", str(run.path / "locust.html"),
            "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
    if host:
        head += ["-H", host]
    if external is not None:  # the workers start on other hosts, told where to find this master
        return [[*head, "--master", "--master-bind-host", external.bind_host, "--master-bind-port",
                 str(external.port), "--expect-workers", str(external.count), "--expect-workers-max-wait",
                 str(external.connect_wait_s)]]
    if not options.workers:
        return [head]
    port = free_port()
    master = [*head, "--master", "--master-bind-host", LOOPBACK, "--master-bind-port", str(port),
              "--expect-workers", str(options.workers), "--expect-workers-max-wait", "60"]
    worker = [*common, "--worker", "--master-host", LOOPBACK, "--master-port", str(port), "--loglevel", "WARNING"]
    if host:
        worker += ["-H", host]
    return [master] + [worker] * options.workers


def _process_groups(env: Environment, locust: list[subprocess.Popen[bytes]],
                    api: subprocess.Popen[bytes] | None, distributed: bool = False
                    ) -> dict[str, Callable[[], list[int]]]:
    """Whose CPU a swarm accounts: Locust's processes, the API's, and PostgreSQL's when it runs here."""
    groups: dict[str, Callable[[], list[int]]] = {"locust": lambda: [p.pid for p in locust]}
    if distributed:  # the master alone too: what collecting the workers' ledgers and statistics costs it
        groups["locust_master"] = lambda: [p.pid for p in locust[:1]]
    if api is not None:
        groups["api"] = lambda: [api.pid]
    postgres = env.postgres
    if postgres is not None:
        groups["postgres"] = lambda: [pid for pid in [postgres.postmaster_pid()] if pid]
    return groups


def _pin_system(pinning: Pinning, env: Environment, api: subprocess.Popen[bytes] | None, redis: bool) -> None:
    """The system's processes on this machine to the system's cores: the API, and the servers the harness
    started (one given by URL runs where its owner put it: the pinning says so)."""
    if api is not None:
        pinning.system("api", api.pid)
    pinning.system("postgres", env.postgres.postmaster_pid() if env.postgres else None)
    if redis:
        pinning.system("redis", env.redis_pid)


def _cpu_account(cpu: CpuSampler, timeline: list[HistoryPoint], users: int) -> CpuAccount | None:
    return steady_account(cpu, [(p.epoch, p.users, p.total_requests) for p in timeline], users)


def _latency_failures(latency: ModelLatency | None) -> list[str]:
    """Histograms missing, or missing a process's share: the run's latency cannot be judged."""
    if latency is None:
        return ["latency: no histograms were written (not measured)"]
    if not latency.complete:
        return [f"latency: histograms from {latency.processes} of {latency.expected_processes} Locust processes"]
    return []


def _judged(stats: dict[str, Any], invariants: dict[str, Any], faults_injected: bool,
            incomplete: dict[str, str], entries: int) -> list[str]:
    """The gates' failures; with a worker's ledger missing, the ledger's invariants are not judged (they would
    count its acknowledged XP as never written) and the run says which worker made it incomplete. An empty
    ledger judges nothing: "0 lost" of no operation is not a pass."""
    empty = [] if entries else ["no operation reached the ledger: the run judged nothing"]
    if not incomplete:
        return empty + evaluate_swarm(stats, invariants, faults_injected=faults_injected)
    rest = {**invariants, "results": [r for r in invariants["results"] if r["name"] not in LEDGER_INVARIANTS]}
    return [f"incomplete: {who}: {why}" for who, why in incomplete.items()] + empty + \
        evaluate_swarm(stats, rest, faults_injected=faults_injected)


#: The invariants judged against the ledger (the others read the database alone).
LEDGER_INVARIANTS = ("lost_updates", "unacknowledged_writes")


def run_swarm(env: Environment, config: SystemConfig, options: SwarmOptions, run: RunDirectory, *,
              seed: int = 42, external: ExternalWorkers | None = None,
              api_watch: Callable[[int], AbstractContextManager[object]] | None = None,
              pinning: Pinning | None = None) -> SwarmResult:
    """``api_watch``: given the API process's id, a context held while the swarm runs (an overload run samples
    the API's memory in it). ``pinning``: the API and the harness's servers go to its system cores, Locust to
    its generator core (an overload run; its owner restores the masks)."""
    admin = Database.connect(config, application_name="plsync-harness", pre_ping=True)
    api: subprocess.Popen[bytes] | None = None
    procs: list[subprocess.Popen[bytes]] = []
    schedule = SWARM_NEMESES[options.nemesis] if options.nemesis else None
    # The limits the nemesis is meant to outrun, for every process of the run.
    limits = limits_to_env({"redis_lock_ttl_s": schedule.redis_lock_ttl_s}) if schedule else {}
    nemesis: PauseNemesis | None = None
    try:
        baseline = prepare_population(admin, options, seed)
        host = None
        if options.transport == "http":
            api, host = start_api(env, options.strategy, run.path / "api.log", config.api_secret, limits)
        if pinning is not None:
            _pin_system(pinning, env, api, strategy_class(options.strategy).needs_redis)
        child_env = _swarm_env(env, options, run, config.api_secret) | limits
        groups = _process_groups(env, procs, api, distributed=bool(options.workers or external))
        watch = api_watch(api.pid) if api is not None and api_watch is not None else nullcontext()
        with OpenTransactionSampler(admin) as sampler, CpuSampler(groups) as cpu, watch:
            for i, cmd in enumerate(locust_commands(options, run, host, external)):
                # Every path Locust is given is absolute: its working directory is the run's, for
                # whatever else it writes, but nothing depends on it.
                with (run.path / f"locust-{i}.log").open("w") as log:
                    procs.append(children.spawn(cmd, env=child_env, stdout=log, stderr=subprocess.STDOUT,
                                                cwd=run.path))
                if pinning is not None:
                    pinning.generator("locust", procs[-1].pid)
            if schedule is not None:
                nemesis = PauseNemesis(_freeze_targets(api, procs), schedule, seed=seed, begin=sampler.busy,
                                       duration_s=options.run_time_s).start()
            try:
                procs[0].wait(timeout=options.run_time_s + 120 + (external.connect_wait_s if external else 0))
            finally:
                if nemesis is not None:
                    nemesis.stop()  # every frozen process is thawed before the workers are awaited
            for worker in procs[1:]:
                worker.wait(timeout=30)
        stats_file = run.path / "locust_stats.json"
        if not stats_file.exists():
            raise ProvisioningError(f"Locust wrote no results; see {run.path / 'locust-0.log'}")
        stats = json.loads(stats_file.read_text())
        timeline = read_history(run.path / "locust_stats_history.csv")
        ledger = read_ledgers(run.path / "ledgers")
        incomplete = incomplete_workers(run.path / "ledgers") if options.workers or external else {}
        with admin.transaction() as session:
            report = check_invariants(session, ledger, baseline)
        invariants = to_jsonable(report)
        errors = [e.error or "" for e in ledger.entries if e.error]
        latency = read_summary(run.path)
        return SwarmResult(
            strategy=options.strategy, workload=options.workload, transport=options.transport, users=options.users,
            workers=options.workers, run_time_s=options.run_time_s, requests=stats["requests"],
            failures=stats["failures"], rps=stats["rps"], p50_ms=stats["p50_ms"], p95_ms=stats["p95_ms"],
            p99_ms=stats["p99_ms"], operations=stats["operations"], ledger=ledger.counts(),
            ledger_entries=len(ledger.entries), retries=ledger.retries(),
            deadlocks=sum("DeadlockDetected" in e for e in errors), lost_xp=report.get("lost_updates").amount,
            unacknowledged_xp=report.get("unacknowledged_writes").amount,
            desynced_pairs=report.violations("desynced_pairs"), max_open_transactions=sampler.peak,
            invariants=invariants,
            failures_of_gates=_judged(stats, invariants, nemesis is not None, incomplete, len(ledger.entries))
            + _latency_failures(latency),
            timeline=timeline, cpu=_cpu_account(cpu, timeline, options.users),
            remedy_for=strategy_class(options.strategy).remedy_for,
            nemesis=None if nemesis is None else {
                "name": options.nemesis, "redis_lock_ttl_s": schedule.redis_lock_ttl_s if schedule else None,
                "freezes": nemesis.events},
            threshold_failures=threshold_failures(stats, ("failure_ratio",)),
            closed_latency_findings=threshold_failures(stats, CLOSED_LATENCY),
            invariant_violations=sum(r.violations for r in report.results
                                     if not (incomplete and r.name in LEDGER_INVARIANTS)),
            incomplete_workers=incomplete, latency=latency)
    finally:
        for proc in procs:
            children.stop(proc)
        if api is not None:
            children.stop(api)
        admin.dispose()
