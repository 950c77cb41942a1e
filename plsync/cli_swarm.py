"""``plsync swarm``: a Locust swarm (direct or HTTP, local or distributed), judged by the invariant checker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plsync.cli_overload import CalibrationTime, Capacity, Factor, Overload, OverloadTime, PhaseTime, SharedCores
from plsync.options import (
    AsJson,
    DatabaseMode,
    DatabaseUrl,
    Disposable,
    RedisUrl,
    RunsDir,
    duration_option,
    emit_json,
    note,
    out,
    say,
    settings_from,
)
from plsync.rundir import RunDirectory
from plsync.session import OpenSystem
from plsync.swarm import SwarmOptions
from plsync.swarm_remote import ExternalWorkers


def swarm_cmd(strategies: Annotated[list[str] | None, typer.Option("--strategy", help="Repeat to run several "
                                                                       "side by side; default coupled")] = None,
              shape: Annotated[str, typer.Option("--shape", "--workload",
                                                 help="uniform, hotspot, sync_storm, mixed or read_heavy")]
              = "hotspot",
              read_modes: Annotated[list[str] | None, typer.Option(
                  "--read-mode", help="Repeat: the read modes the reads rotate through (direct: two_statements, "
                                      "one_statement, repeatable_read, service; http: api); default every mode of "
                                      "the transport")] = None,
              stages: Annotated[str, typer.Option("--stages", help="steady, ramp or spike")] = "steady",
              users: Annotated[int, typer.Option("--users")] = 64,
              spawn_rate: Annotated[float, typer.Option("--spawn-rate")] = 64,
              run_time: Annotated[int, duration_option("--run-time", help="How long each swarm runs")] = 60,
              transport: Annotated[str, typer.Option("--transport", help="direct or http")] = "direct",
              students: Annotated[int, typer.Option("--students")] = 1000,
              hot_students: Annotated[int | None, typer.Option("--hot-students")] = None,
              workers: Annotated[int, typer.Option("--workers", help="0: local; N: master + N workers")] = 0,
              nemesis: Annotated[str | None, typer.Option("--nemesis", help="pause: freeze a Locust worker "
                                                          "(--workers 2+) or the API process (http) with SIGSTOP "
                                                          "at random moments, past the Redis lease")] = None,
              compare_strategies: Annotated[bool, typer.Option("--compare-strategies")] = False,
              baselines: Annotated[bool, typer.Option("--baselines", help="Also measure pgbench and the HTTP "
                                                                          "ceiling, and report ratios")] = False,
              rate: Annotated[str | None, typer.Option("--rate", help="Open model: requests on a schedule at this "
                                                       "rate (e.g. 800/s), whatever the replies; --stages shape "
                                                       "the rate, --users is the pool (k6's maxVUs)")] = None,
              arrivals: Annotated[str | None, typer.Option("--arrivals", help="constant or poisson (seeded); "
                                                           "default constant, poisson with --overload")] = None,
              max_users: Annotated[int | None, typer.Option("--max-users", help="The open model's pool of users "
                                                            "(default --users)")] = None,
              late_limit: Annotated[float | None, typer.Option("--late-limit", help="Seconds a scheduled request "
                                                               "may start late before it is dropped (counted); "
                                                               "default 5, 1 with --overload")] = None,
              master: Annotated[bool, typer.Option("--master", help="Run Locust's master only: workers on other "
                                                   "hosts join it (--expect-workers)")] = False,
              expect_workers: Annotated[int, typer.Option("--expect-workers", help="With --master: how many "
                                                          "workers to wait for")] = 0,
              master_bind_host: Annotated[str, typer.Option("--master-bind-host", help="With --master: the "
                                                            "address workers reach")] = "0.0.0.0",
              master_port: Annotated[int, typer.Option("--master-port", help="The master's port (both roles)")]
              = 5557,
              worker: Annotated[bool, typer.Option("--worker", help="Run one Locust worker for a master on "
                                                   "--master-host; it runs what the master says")] = False,
              master_host: Annotated[str, typer.Option("--master-host", help="With --worker: the master's "
                                                       "address")] = "",
              overload: Overload = False, overload_factor: Factor = 3.0, overload_time: OverloadTime = 60,
              phase_time: PhaseTime = 20, capacity: Capacity = None, calibration_time: CalibrationTime = 10,
              shared_cores: SharedCores = False,
              runs_dir: RunsDir = Path("runs"),
              as_json: AsJson = False, database_url: DatabaseUrl = None, database: DatabaseMode = None,
              redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """Swarm the system with Locust; exit 1 when a threshold or an invariant fails, or when a worker's ledger
    did not reach the master whole (the run is then incomplete). ``--overload``: the overload profile instead."""
    from loadtests.arrivals import ArrivalPlan, parse_rate
    from loadtests.open_model import describe, read_summary
    from loadtests.workloads import workload_named
    from plsync.errors import RunFailedError
    from plsync.records.files import BASELINES, SWARM, SWARM_READS, SWARMS
    from plsync.records.reads import SwarmReadsRecord
    from plsync.records.swarms import SwarmRecord
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from plsync.swarm import run_swarm
    from plsync.swarm_reads import judge_reads
    from reports.reads import reads_table
    from reports.swarm import cpu_table, remedy_lines, swarm_table
    from system.strategies import strategy_names

    if worker:
        _worker(master, master_host, master_port, transport, strategies, database_url, redis_url)
        return
    if overload:
        from system.errors import ConfigurationError

        clash = [flag for flag, given in (("--rate", rate), ("--workers", workers), ("--nemesis", nemesis),
                                          ("--compare-strategies", compare_strategies), ("--baselines", baselines),
                                          ("--master", master)) if given]
        if clash:  # the overload profile is its own schedule, over HTTP, in one Locust process
            raise ConfigurationError(f"--overload does not go with {', '.join(clash)}")
        _overload(strategies, shape, overload_factor, overload_time, phase_time, capacity, calibration_time,
                  max_users, late_limit or 1.0, students, arrivals or "poisson", runs_dir, as_json, database_url,
                  database, redis_url, disposable, shared_cores)
        return
    chosen = strategy_names() if compare_strategies else list(dict.fromkeys(strategies or ["coupled"]))
    open_model = None
    if rate is not None:  # the open model: --stages shape the rate, the pool of users stays whole
        users = max_users or users
        open_model = ArrivalPlan(parse_rate(rate), arrivals or "constant", users, late_limit or 5.0,
                                 stages=stages)
        stages = "steady"
    external = _external(master, expect_workers, master_bind_host, master_port, workers, chosen, transport,
                         nemesis, baselines, database_url)
    plans = [SwarmOptions(strategy=s, workload=shape, users=users, spawn_rate=spawn_rate, run_time_s=run_time,
                          transport=transport, stages=stages, students=students, hot_students=hot_students,
                          workers=external.count if external else workers, nemesis=nemesis,
                          read_modes=tuple(read_modes or ()), open_model=open_model) for s in chosen]
    settings = settings_from(database_url, database, redis_url, disposable, runs_root=runs_dir)
    settings.require_shared_redis(chosen)
    run = RunDirectory.create(settings.runs_root, "swarm")
    results: list[SwarmRecord] = []
    reads: list[SwarmReadsRecord] = []
    with open_system(settings, with_redis=True, demo_data=False) as system:
        require_disposable(system.env, "replace the data with a swarm population")
        for plan in plans:
            note(f"swarm {plan.strategy}: {plan.users} {plan.transport} users, {plan.workload}, "
             f"{plan.run_time_s}s{f', {plan.workers} workers' if plan.workers else ''}"
             f"{f', nemesis {plan.nemesis}' if plan.nemesis else ''}"
             f"{f', open model {plan.open_model.describe()}' if plan.open_model else ', closed model'}")
            sub = RunDirectory(run.path / plan.strategy)
            if external:
                note(f"master: waiting for {external.count} worker(s) on {external.bind_host}:{external.port}")
            record = run_swarm(system.env, system.config, plan, sub, external=external).record()
            sub.write_record(SWARM, record)
            results.append(record)
            sub.write_record(SWARM_READS, judge_reads(plan.strategy, sub.path / "ledgers",
                                                      workload_reads="read" in workload_named(plan.workload).weights))
            reads.append(sub.read_record(SWARM_READS))
        if baselines:
            _baselines(system, plans[0], run)
    run.write_record(SWARMS, results)
    if as_json:
        emit_json([r.model_dump(mode="json") for r in results])
    else:
        model = (f"open model at {open_model.rate_per_s:g}/s; Locust's percentiles are service times"
                 if open_model else "closed model; Locust's percentiles")
        out.print(swarm_table(results, f"Swarm: {shape}, {users} users, {run_time}s ({transport}; {model})"
                                       f"{f', nemesis {nemesis}' if nemesis else ''}"))
        for line in remedy_lines(results):
            say(line)
        if any(r.rows for r in reads):
            out.print(reads_table(reads, results))
        for line in (n for r in reads for n in r.not_measured):
            say(f"not measured: {line}")
        for plan in plans:
            latency = read_summary(run.path / plan.strategy)
            for line in describe(latency) if latency is not None else ["no latency histograms"]:
                say(f"{plan.strategy}: {line}")
        cpu = cpu_table(results)
        if cpu is not None:
            out.print(cpu)
        if run.has("baselines"):
            from reports.swarm import baselines_table

            for table in baselines_table(run.read_record(BASELINES)):
                out.print(table)
        say(f"results: {run.path}")
    judged: list[SwarmRecord | SwarmReadsRecord] = [*results, *reads]
    failed = [f"{r.strategy}: {f}" for r in judged for f in r.failures_of_gates]
    if failed and not compare_strategies:
        raise RunFailedError("swarm failed:\n  " + "\n  ".join(failed))
    if compare_strategies:
        gated = [f for r in judged if r.strategy != "legacy" for f in r.failures_of_gates]
        if gated:
            raise RunFailedError("swarm failed (legacy is compared, not gated):\n  " + "\n  ".join(gated))


def _overload(strategies: list[str] | None, workload: str, factor: float, overload_s: int, phase_s: int,
              capacity: str | None, calibration_s: int, max_users: int | None, late_limit: float, students: int,
              arrivals: str, runs_dir: Path, as_json: bool, database_url: str | None, database: str | None,
              redis_url: str | None, disposable: bool, shared_cores: bool) -> None:
    from plsync.cli_overload import overload_options, run_overload_cmd
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from system.errors import ConfigurationError

    if len(strategies or []) > 1:
        raise ConfigurationError("--overload runs one strategy")
    strategy = (strategies or ["coupled"])[0]
    options = overload_options(strategy=strategy, workload=workload, factor=factor, overload_s=overload_s,
                               phase_s=phase_s, capacity=capacity, calibration_s=calibration_s,
                               max_users=max_users, late_limit=late_limit, students=students, arrivals=arrivals,
                               shared_cores=shared_cores)
    settings = settings_from(database_url, database, redis_url, disposable, runs_root=runs_dir)
    settings.require_shared_redis([strategy])
    run = RunDirectory.create(settings.runs_root, "overload")
    with open_system(settings, with_redis=True, demo_data=False) as system:
        require_disposable(system.env, "replace the data with an overload population")
        run_overload_cmd(system, run, options, as_json=as_json)


def _external(master: bool, expect: int, bind_host: str, port: int, workers: int, chosen: list[str],
              transport: str, nemesis: str | None, baselines: bool, database_url: str | None
              ) -> ExternalWorkers | None:
    """The master's role, refused (exit 2) where it cannot work."""
    from system.errors import ConfigurationError

    if not master:
        if expect:
            raise ConfigurationError("--expect-workers goes with --master (local workers: --workers N)")
        return None
    problems = [(workers, "--workers starts workers here; --master waits for workers from other hosts"),
                (len(chosen) > 1, "one strategy per master run: its workers quit when the run ends"),
                (transport != "direct", "--master drives the direct transport; over HTTP run `plsync serve` on an "
                                        "address the workers reach and plain `locust -f loadtests/http.py "
                                        "--master` (README)"),
                (nemesis, "the pause nemesis freezes workers it started; it has none here"),
                (baselines, "--baselines measures on this host alone"),
                (not database_url, "workers on other hosts need the database the master prepares: pass "
                                   "--database-url (or PLSYNC_DATABASE_URL) of a server they can reach")]
    for problem, message in problems:
        if problem:
            raise ConfigurationError(message)
    return ExternalWorkers(expect, bind_host, port)


def _worker(master: bool, master_host: str, port: int, transport: str, strategies: list[str] | None,
            database_url: str | None, redis_url: str | None) -> None:
    """One Locust worker in the foreground; exits with its code (2 before anything starts when this host lacks
    something the master's run needs)."""
    import os

    from plsync.swarm_remote import WorkerPlan, run_worker
    from system.errors import ConfigurationError

    if master:
        raise ConfigurationError("--master and --worker are two processes: start each on its own")
    plan = WorkerPlan(master_host, database_url, port, transport, (strategies or [None])[0], redis_url,
                      os.environ.get("PLSYNC_API_SECRET"))
    note(f"worker: joining the master at {master_host}:{port} ({transport})")
    code = run_worker(plan)
    if code:
        raise typer.Exit(code)


def _baselines(system: OpenSystem, plan: SwarmOptions, run: RunDirectory) -> None:
    """At the swarm's concurrency, in one run: pgbench running the same transaction (prepared), the direct
    swarm, the HTTP swarm, and Locust against an endpoint that does nothing; ratios and CPU per request."""
    import dataclasses

    from benchmarks.baselines import http_ceiling, pgbench_tps
    from plsync.records.files import BASELINES
    from plsync.swarm import prepare_population, run_swarm
    from system.db import Database

    direct = dataclasses.replace(plan, transport="direct", workload="uniform", workers=0)
    admin = Database.connect(system.config, pre_ping=True)
    try:
        prepare_population(admin, direct, 42)
    finally:
        admin.dispose()
    note(f"baseline: pgbench (prepared), {direct.users} clients, {direct.run_time_s}s")
    tps = pgbench_tps(system.env.database_url, clients=direct.users, seconds=direct.run_time_s, low=1,
                      high=direct.students)
    note(f"baseline: direct swarm, {direct.strategy}, uniform, same concurrency")
    swarm = run_swarm(system.env, system.config, direct, RunDirectory(run.path / "baseline-direct"))
    note(f"baseline: HTTP swarm and the async trivial endpoint, {direct.users} users")
    http = run_swarm(system.env, system.config, dataclasses.replace(direct, transport="http"),
                     RunDirectory(run.path / "baseline-http"))
    ceiling = http_ceiling(users=direct.users, seconds=direct.run_time_s, workdir=run.path)
    run.write_record(BASELINES, {
        "clients": direct.users, "seconds": direct.run_time_s, "strategy": direct.strategy, "pgbench_tps": tps,
        "swarm_rps": swarm.rps, "http_swarm_rps": http.rps, "http_ceiling_rps": ceiling.rps,
        "direct_vs_pgbench": swarm.rps / tps if tps else 0.0,
        "http_vs_direct": http.rps / swarm.rps if swarm.rps else 0.0,
        "http_vs_ceiling": http.rps / ceiling.rps if ceiling.rps else 0.0,
        "cpu": {"direct": swarm.cpu, "http": http.cpu, "ceiling": ceiling.cpu}})


def register(app: typer.Typer) -> None:
    app.command("swarm")(swarm_cmd)
