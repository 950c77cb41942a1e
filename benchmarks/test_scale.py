"""Scale curves: seeding, and ``auto_sync_all`` repairing a tenth of the population, at every size of the
profile (1k to 1M; 100k and up are ``slow``). The exponent of time against size is fitted at the end of
the session (conftest); detection and the view's refresh are measured at the same sizes in
test_detection.py, and ``auto_sync_all`` at the main population's size in test_auto_sync.py."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from benchmarks.harness import Bench
from benchmarks.populations import Populations
from benchmarks.raw_sql import RawSql
from fixtures.bulk_population import PopulationSpec, PopulationSummary, populate
from fixtures.reset import truncate_data
from scenarios.measure import measured
from system.config import parse_database_url
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import AutoSyncReport, Direction


def test_seed_population(bench: Bench, populations: Populations, scale_users: int,
                         pytestconfig: pytest.Config) -> None:
    url = populations.empty(f"seed_{scale_users}")
    engine = create_engine(parse_database_url(url))
    spec = PopulationSpec(users=scale_users, seed=pytestconfig.getoption("--plsync-seed"))

    def empty() -> None:
        with engine.begin() as conn:
            truncate_data(conn)

    raw = RawSql(url)
    try:
        with measured() as memory:
            summary = bench.measure("seed_population", {"users": scale_users}, lambda: populate(engine, spec),
                                    prepare=empty, ceiling=lambda: raw.execute("seed_population", 1, scale_users),
                                    heavy=True, rounds=bench.rounds_at(scale_users), warmup=0,
                                    curve="seed_population")
        bench.annotate(peak_rss_mb=round(memory.rss_peak_mb, 1), rss_growth_mb=round(memory.rss_growth_mb, 1))
    finally:
        raw.close()
        engine.dispose()
    assert isinstance(summary, PopulationSummary) and summary.users == scale_users and summary.pairs > scale_users


def test_auto_sync_all(bench: Bench, populations: Populations, other_scale_users: int) -> None:
    bench_db = populations.populated(other_scale_users)
    desyncs = len(bench_db.manifest.faults)

    def repair() -> AutoSyncReport:
        with bench_db.db.transaction() as session:
            return ProgressLicenseSyncService().auto_sync_all(session=session, dry_run=False, reason="benchmark")

    raw = RawSql(bench_db.url)
    try:
        report = bench.measure("auto_sync_all", {"users": other_scale_users, "desyncs": desyncs,
                                                 "direction": Direction.PROGRESS_TO_LICENSE.value, "mode": "apply"},
                               repair, prepare=bench_db.reinstate, heavy=True,
                               ceiling=lambda: raw.execute("repair_progress_to_license"),
                               rounds=bench.rounds_at(other_scale_users), curve="auto_sync_all")
    finally:
        raw.close()
        bench_db.reinstate()
    assert isinstance(report, AutoSyncReport) and report.synced == desyncs
