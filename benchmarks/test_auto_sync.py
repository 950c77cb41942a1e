"""``auto_sync_all`` (002: 100 desyncs < 10 s) with 100 and 1,000 desyncs among the population, both
directions, dry run and apply, and the background job's ``run_now()`` (002: < 30 s). Each round of an
apply starts from exactly the chosen desyncs (the rest of the manifest healed); the ceiling detects and
repairs them all in one statement."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.harness import Bench
from benchmarks.populations import DESYNCED_SHARE, BenchDatabase, first_of_each_kind
from benchmarks.raw_sql import RawSql
from plsync.profiles import Profile
from system.scheduler.job import BackgroundSyncJob
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import AutoSyncReport, Direction

DIRECTIONS = (Direction.PROGRESS_TO_LICENSE, Direction.LICENSE_TO_PROGRESS)


@pytest.mark.parametrize("mode", ["dry_run", "apply"])
@pytest.mark.parametrize("direction", DIRECTIONS, ids=[d.value for d in DIRECTIONS])
def test_auto_sync_all(bench: Bench, bench_db: BenchDatabase, desyncs: int, direction: Direction,
                       mode: str) -> None:
    active = first_of_each_kind(bench_db.manifest.faults, desyncs)
    apply = mode == "apply"

    def repair() -> AutoSyncReport:
        with bench_db.db.transaction() as session:
            return ProgressLicenseSyncService().auto_sync_all(session=session, direction=direction,
                                                              dry_run=not apply, reason="benchmark")

    statement = f"repair_{direction.value}" if apply else "auto_sync_dry_run"
    raw = RawSql(bench_db.url)
    bench_db.only(active)
    try:
        found = raw.execute(statement)  # the ceiling does the same work: it repairs (or counts) them all
        assert (found[0][0] if apply else sum(n for _, n in found)) == desyncs
        one_in_ten = apply and direction is Direction.PROGRESS_TO_LICENSE and desyncs * DESYNCED_SHARE == bench_db.users
        report = bench.measure("auto_sync_all", {"users": bench_db.users, "desyncs": desyncs,
                                                 "direction": direction.value, "mode": mode}, repair,
                               prepare=lambda: bench_db.only(active), ceiling=lambda: raw.execute(statement),
                               heavy=True, curve="auto_sync_all" if one_in_ten else None)
    finally:
        raw.close()
        bench_db.reinstate()
    assert isinstance(report, AutoSyncReport)
    assert (report.issues_found, report.planned, report.synced) == (desyncs, desyncs, desyncs if apply else 0)


def test_background_job(bench: Bench, bench_db: BenchDatabase, bench_profile: Profile, tmp_path: Path) -> None:
    desyncs = bench_profile.bench_desyncs[0]
    active = first_of_each_kind(bench_db.manifest.faults, desyncs)
    job = BackgroundSyncJob(bench_db.db, dataclasses.replace(bench_db.config, sync_log_dir=tmp_path))
    raw = RawSql(bench_db.url)
    try:
        run = bench.measure("background_job", {"users": bench_db.users, "desyncs": desyncs}, job.run_now,
                            prepare=lambda: bench_db.only(active), heavy=True,
                            ceiling=lambda: raw.execute("repair_progress_to_license"))
    finally:
        raw.close()
        bench_db.reinstate()
    assert (getattr(run, "status", None), getattr(run, "synced_count", None)) == ("success", desyncs), run
    assert list(tmp_path.glob("*_sync.json")), "the job wrote no log"
