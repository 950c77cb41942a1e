"""The readiness pipeline: provision, migrate, then measure every strategy; each stage writes JSON.

Stages so far: environment, migrate, latency (single-threaded level-ups per strategy) and
concurrency (N threads on one student per strategy), then the verdict from the declared gates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import text

from fixtures.population import add_students
from fixtures.provision import Environment, provision
from plsync.data_stages import data_stages, scenario_stage, swarm_stage
from plsync.gates import evaluate
from plsync.rundir import RunDirectory
from plsync.safety import require_disposable
from plsync.settings import HarnessSettings
from scenarios.concurrency import run_concurrent_level_ups
from scenarios.latency import measure_level_up_latency
from scenarios.runner import StrategyRunner
from system import migrate
from system.db import Database
from system.strategies import strategy_class, strategy_names


@dataclass(frozen=True)
class ReadinessOptions:
    strategies: tuple[str, ...] = ()
    threads: int = 16
    ops_per_thread: int = 50
    latency_ops: int = 1000
    latency_students: int = 20
    #: Population of the data stages (seed, check, repair, recovery stress, orphans).
    users: int = 10_000
    #: The short hot-spot swarm per strategy (32 users on 10 students).
    swarm_seconds: int = 10
    swarm_users: int = 32

    def __post_init__(self) -> None:
        for name in self.strategies:
            strategy_class(name)  # unknown -> ConfigurationError before anything starts
        if self.threads < 1 or self.ops_per_thread < 1 or self.latency_ops < 2 or self.users < 1:
            raise ValueError("threads, ops_per_thread and users must be >= 1, latency_ops >= 2")

    def chosen(self) -> list[str]:
        return list(self.strategies) or strategy_names()


def _environment_record(env: Environment, db: Database) -> dict[str, Any]:
    with db.engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
    return {"database_kind": env.database_kind, "server_version": version, "disposable": env.disposable,
            "redis": bool(env.redis_url)}


def run_readiness(settings: HarnessSettings, options: ReadinessOptions, console: Console) -> RunDirectory:
    strategies = options.chosen()
    run = RunDirectory.create(settings.runs_root, "readiness")
    console.print(f"[bold]plsync readiness[/] -> {run.path}")
    with provision(settings) as env:
        require_disposable(env, "seed students and load-test the database")
        config = settings.system_config(env.database_url, env.redis_url)
        db = Database.connect(config)
        try:
            run.write_json("environment", _environment_record(env, db))
            migrate.upgrade(db.engine)
            run.write_json("migrate", {"revision": migrate.current_revision(db.engine)})
            latency, concurrency = _measure(db, config, strategies, options, settings.seed, console)
            run.write_json("latency", latency)
            run.write_json("concurrency", concurrency)
            data_stages(db, run, users=options.users, seed=settings.seed, console=console)
            swarm_stage(env, config, run, strategies, seconds=options.swarm_seconds, users=options.swarm_users,
                        console=console)
            scenario_stage(config, run, env, console)
        finally:
            db.dispose()
    failures = evaluate(run.read_json("latency"), run.read_json("concurrency"),
                        run.read_json("recovery_stress"), run.read_json("orphans"), run.read_json("matrix"),
                        run.read_json("swarms"))
    run.write_json("verdict", {"passed": not failures, "failures": failures})
    return run


def _measure(db: Database, config: Any, strategies: list[str], options: ReadinessOptions, seed: int,
             console: Console) -> tuple[list[Any], list[Any]]:
    latency, concurrency = [], []
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("measuring strategies", total=len(strategies) * 2)
        for name in strategies:
            with db.transaction() as session:
                students = add_students(session, options.latency_students + 1, seed=seed)
            with StrategyRunner(config, name, connections=options.threads + 2) as runner:
                progress.update(task, description=f"{name}: latency ({options.latency_ops} level-ups)")
                latency.append(measure_level_up_latency(runner, user_ids=students[1:],
                                                        operations=options.latency_ops))
                progress.advance(task)
                progress.update(task, description=f"{name}: {options.threads} threads x "
                                                  f"{options.ops_per_thread} on one student")
                concurrency.append(run_concurrent_level_ups(runner, user_id=students[0], threads=options.threads,
                                                            ops_per_thread=options.ops_per_thread))
                progress.advance(task)
        progress.update(task, description="measured every strategy")
    return latency, concurrency
