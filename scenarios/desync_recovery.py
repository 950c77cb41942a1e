"""Desync recovery stress (seed 002): N users, K intentional desyncs, then detect and repair.

Measures detection time, repair time, success rate and peak memory, and beside them the same SQL run
directly through the driver in the same run (the raw baseline), so the figures can be read as ratios.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fixtures.bulk_population import PopulationSpec, populate
from fixtures.faults import FaultMix, Manifest, inject_faults
from fixtures.reset import truncate_data
from scenarios.detection import expected_findings, observed_findings, score
from scenarios.measure import measured, table_checksums
from system.services.sync_service import _DESYNC_SQL, ProgressLicenseSyncService
from system.services.types import Direction
from system.sync.applier import apply_plan
from system.sync.planner import plan_repairs

REPEATS = 5


@dataclass(frozen=True)
class RecoveryStressResult:
    users: int
    pairs: int
    faults: int
    seed_seconds: float
    inject_seconds: float
    detection_perfect: bool
    raw_detect_ms: float
    detect_ms: float
    detect_ratio: float
    issues_found: int
    dry_run_unchanged: bool
    raw_repair_ms: float
    repair_ms: float
    repair_ratio: float
    planned: int
    synced: int
    failed: int
    success_rate: float
    remaining_issues: int
    second_run_changes: int
    peak_rss_mb: float
    rss_growth_mb: float


def reset_data(engine: Engine) -> None:
    with engine.begin() as conn:
        truncate_data(conn)


def _median_ms(call: Callable[[], object]) -> float:
    samples = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def _raw_detect(engine: Engine) -> list[tuple[object, ...]]:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute(_DESYNC_SQL.format(spec_filter=""))
            return list(cur.fetchall())
    finally:
        raw.rollback()
        raw.close()


def _raw_repair_ms(engine: Engine) -> float:
    """Detect and apply the same repair statements through the driver, then roll back."""
    sync = ProgressLicenseSyncService()
    with Session(engine) as session:
        began = time.perf_counter()
        plan = plan_repairs(sync.find_desync_issues(session=session), Direction.PROGRESS_TO_LICENSE)
        apply_plan(session=session, plan=plan, synced_by=None, reason="raw baseline")
        session.flush()
        elapsed = (time.perf_counter() - began) * 1000
        session.rollback()
    return elapsed


def run_desync_recovery(engine: Engine, *, users: int = 10_000, mix: FaultMix | None = None, seed: int = 42,
                        on_progress: Callable[[str], None] | None = None) -> tuple[RecoveryStressResult, Manifest]:
    say = on_progress or (lambda _msg: None)
    mix = mix or FaultMix.parse("default")
    sync = ProgressLicenseSyncService()
    reset_data(engine)
    say(f"seeding {users:,} users")
    with measured() as seeding:
        population = populate(engine, PopulationSpec(users=users, seed=seed))
    say(f"injecting {mix.total:,} faults")
    with measured() as injecting:
        manifest = inject_faults(engine, mix, seed=seed)
    with Session(engine) as session:
        detection = score(expected_findings(manifest), observed_findings(session))
    say("detecting (raw SQL and service)")
    raw_detect = _median_ms(lambda: _raw_detect(engine))
    with Session(engine) as session, measured() as detecting:
        detect = _median_ms(lambda: sync.find_desync_issues(session=session))
        issues = sync.find_desync_issues(session=session)
    with Session(engine) as session:
        before = table_checksums(session)
        sync.auto_sync_all(session=session, dry_run=True)
        unchanged = table_checksums(session) == before
    say("repairing")
    raw_repair = _raw_repair_ms(engine)
    with measured() as repairing, Session(engine) as session, session.begin():
        report = sync.auto_sync_all(session=session, dry_run=False)
    with Session(engine) as session:
        remaining = len(sync.find_desync_issues(session=session))
        again = sync.auto_sync_all(session=session, dry_run=False)
        session.rollback()
    result = RecoveryStressResult(
        users=users, pairs=population.pairs, faults=len(manifest.faults), seed_seconds=seeding.seconds,
        inject_seconds=injecting.seconds, detection_perfect=detection.perfect, raw_detect_ms=raw_detect,
        detect_ms=detect, detect_ratio=detect / raw_detect if raw_detect else 0.0, issues_found=len(issues),
        dry_run_unchanged=unchanged, raw_repair_ms=raw_repair, repair_ms=repairing.ms,
        repair_ratio=repairing.ms / raw_repair if raw_repair else 0.0, planned=report.planned,
        synced=report.synced, failed=report.failed,
        success_rate=report.synced / report.planned if report.planned else 1.0, remaining_issues=remaining,
        second_run_changes=again.synced,
        peak_rss_mb=max(m.rss_peak_mb for m in (seeding, injecting, detecting, repairing)),
        rss_growth_mb=max(m.rss_growth_mb for m in (seeding, injecting, detecting, repairing)))
    return result, manifest
