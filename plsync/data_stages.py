"""Readiness stages on a seeded population: seed + faults, check against the manifest, repair
(dry run, apply, idempotence) with timings and memory, then orphan recovery against its manifest."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console

from fixtures.faults import FaultMix, inject_faults
from fixtures.provision import Environment
from plsync.rundir import RunDirectory
from scenarios.desync_recovery import run_desync_recovery
from scenarios.detection import score
from scenarios.matrix import run_matrix
from system.config import SystemConfig
from system.db import Database
from system.recovery.orphans import recover_orphans
from system.services.integrity import IntegrityChecker
from system.strategies import strategy_names

ORPHAN_MIX = "orphan_progress=10,orphan_license=10"


@dataclass(frozen=True)
class OrphanStageResult:
    injected: int
    found: int
    exact: bool
    deleted: int
    left_after: int
    backup_file: str | None


def data_stages(db: Database, run: RunDirectory, *, users: int, seed: int, console: Console) -> None:
    result, manifest = run_desync_recovery(db.engine, users=users, seed=seed,
                                           on_progress=lambda m: console.print(f"[dim]data stages: {m}[/]"))
    run.write_json("manifest", manifest.to_json())
    run.write_json("recovery_stress", [result])
    run.write_json("orphans", orphan_stage(db, run, seed=seed))


def swarm_stage(env: Environment, config: SystemConfig, run: RunDirectory, strategies: list[str], *, seconds: int,
                users: int, console: Console) -> None:
    """A short hot-spot Locust swarm per strategy (direct transport), judged like ``plsync swarm``."""
    from plsync.swarm import SwarmOptions, run_swarm

    results = []
    for name in strategies:
        console.print(f"[dim]swarm: {name}, {users} users on 10 students, {seconds}s[/]")
        options = SwarmOptions(strategy=name, workload="hotspot", users=users, spawn_rate=users, run_time_s=seconds,
                               students=200)
        results.append(run_swarm(env, config, options, RunDirectory(run.path / "swarms" / name)))
    run.write_json("swarms", results)


def scenario_stage(config: SystemConfig, run: RunDirectory, env: Environment, console: Console) -> None:
    """The scenarios x strategies matrix (runs last: it wipes the data for every cell)."""
    admin = Database.connect(config, application_name="plsync-scenarios", pre_ping=True)
    try:
        cells = run_matrix(admin, config, strategy_names(), postgres=env.postgres,
                           on_cell=lambda c: console.print(f"[dim]scenario {c.scenario} / {c.strategy}: "
                                                           f"{c.observed}[/]"))
    finally:
        admin.dispose()
    run.write_json("matrix", cells)


def orphan_stage(db: Database, run: RunDirectory, *, seed: int) -> OrphanStageResult:
    truth = inject_faults(db.engine, FaultMix.parse(ORPHAN_MIX), seed=seed)
    expected = {(f.kind, f.user_id, f.specialization) for f in truth.faults}
    with db.transaction() as session:
        report = recover_orphans(session=session)
    found = {("orphan_progress", r["user_id"], r["specialization"]) for r in report.orphan_progress}
    found |= {("orphan_license", r["user_id"], r["specialization"]) for r in report.orphan_licenses}
    exact = score(expected, found).perfect
    with db.transaction() as session:
        applied = recover_orphans(session=session, apply=True, backup_dir=run.path / "orphan-backups")
    with db.transaction() as session:
        left = sum(IntegrityChecker().check_orphan_records(session=session).values())
    return OrphanStageResult(len(truth.faults), report.found, exact, sum(applied.deleted.values()), left,
                             applied.backup_file)
