"""``plsync swarm``: a Locust swarm (direct or HTTP, local or distributed), judged by the invariant checker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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


def swarm_cmd(strategies: Annotated[list[str] | None, typer.Option("--strategy", help="Repeat to run several "
                                                                       "side by side; default coupled")] = None,
              shape: Annotated[str, typer.Option("--shape", help="uniform, hotspot, sync_storm or mixed")]
              = "hotspot",
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
              arrivals: Annotated[str, typer.Option("--arrivals", help="constant or poisson (seeded)")] = "constant",
              max_users: Annotated[int | None, typer.Option("--max-users", help="The open model's pool of users "
                                                            "(default --users)")] = None,
              late_limit: Annotated[float, typer.Option("--late-limit", help="Seconds a scheduled request may "
                                                        "start late before it is dropped (counted)")] = 5.0,
              runs_dir: RunsDir = Path("runs"),
              as_json: AsJson = False, database_url: DatabaseUrl = None, database: DatabaseMode = None,
              redis_url: RedisUrl = None, disposable: Disposable = False) -> None:
    """Swarm the system with Locust; exit 1 when a threshold or an invariant fails."""
    from loadtests.arrivals import ArrivalPlan, parse_rate
    from loadtests.open_model import describe, read_summary
    from plsync.errors import RunFailedError
    from plsync.safety import require_disposable
    from plsync.session import open_system
    from plsync.swarm import run_swarm
    from reports.swarm import cpu_table, remedy_lines, swarm_table
    from system.strategies import strategy_names

    chosen = strategy_names() if compare_strategies else list(dict.fromkeys(strategies or ["coupled"]))
    open_model = None
    if rate is not None:  # the open model: --stages shape the rate, the pool of users stays whole
        users = max_users or users
        open_model = ArrivalPlan(parse_rate(rate), arrivals, users, late_limit, stages=stages)
        stages = "steady"
    plans = [SwarmOptions(s, shape, users, spawn_rate, run_time, transport, stages, students, hot_students, workers,
                          nemesis=nemesis, open_model=open_model) for s in chosen]
    settings = settings_from(database_url, database, redis_url, disposable, runs_root=runs_dir)
    settings.require_shared_redis(chosen)
    run = RunDirectory.create(settings.runs_root, "swarm")
    results = []
    with open_system(settings, with_redis=True, demo_data=False) as system:
        require_disposable(system.env, "replace the data with a swarm population")
        for plan in plans:
            note(f"swarm {plan.strategy}: {plan.users} {plan.transport} users, {plan.workload}, "
             f"{plan.run_time_s}s{f', {plan.workers} workers' if plan.workers else ''}"
             f"{f', nemesis {plan.nemesis}' if plan.nemesis else ''}"
             f"{f', open model {plan.open_model.describe()}' if plan.open_model else ', closed model'}")
            sub = RunDirectory(run.path / plan.strategy)
            result = run_swarm(system.env, system.config, plan, sub)
            sub.write_json("swarm", result)
            results.append(sub.read_json("swarm"))
        if baselines:
            _baselines(system, plans[0], run)
    run.write_json("swarms", results)
    if as_json:
        emit_json(results)
    else:
        model = (f"open model at {open_model.rate_per_s:g}/s; Locust's percentiles are service times"
                 if open_model else "closed model; Locust's percentiles")
        out.print(swarm_table(results, f"Swarm: {shape}, {users} users, {run_time}s ({transport}; {model})"
                                       f"{f', nemesis {nemesis}' if nemesis else ''}"))
        for line in remedy_lines(results):
            say(line)
        for plan in plans:
            latency = read_summary(run.path / plan.strategy)
            for line in describe(latency) if latency is not None else ["no latency histograms"]:
                say(f"{plan.strategy}: {line}")
        cpu = cpu_table(results)
        if cpu is not None:
            out.print(cpu)
        if run.has("baselines"):
            from reports.swarm import baselines_table

            for table in baselines_table(run.read_json("baselines")):
                out.print(table)
        say(f"results: {run.path}")
    failed = [f"{r['strategy']}: {f}" for r in results for f in r["failures_of_gates"]]
    if failed and not compare_strategies:
        raise RunFailedError("swarm failed:\n  " + "\n  ".join(failed))
    if compare_strategies:
        gated = [f for r in results if r["strategy"] != "legacy" for f in r["failures_of_gates"]]
        if gated:
            raise RunFailedError("swarm failed (legacy is compared, not gated):\n  " + "\n  ".join(gated))


def _baselines(system: OpenSystem, plan: SwarmOptions, run: RunDirectory) -> None:
    """At the swarm's concurrency, in one run: pgbench running the same transaction (prepared), the direct
    swarm, the HTTP swarm, and Locust against an endpoint that does nothing; ratios and CPU per request."""
    import dataclasses

    from benchmarks.baselines import http_ceiling, pgbench_tps
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
    run.write_json("baselines", {
        "clients": direct.users, "seconds": direct.run_time_s, "strategy": direct.strategy, "pgbench_tps": tps,
        "swarm_rps": swarm.rps, "http_swarm_rps": http.rps, "http_ceiling_rps": ceiling.rps,
        "direct_vs_pgbench": swarm.rps / tps if tps else 0.0,
        "http_vs_direct": http.rps / swarm.rps if swarm.rps else 0.0,
        "http_vs_ceiling": http.rps / ceiling.rps if ceiling.rps else 0.0,
        "cpu": {"direct": swarm.cpu, "http": http.cpu, "ceiling": ceiling.cpu}})


def register(app: typer.Typer) -> None:
    app.command("swarm")(swarm_cmd)
