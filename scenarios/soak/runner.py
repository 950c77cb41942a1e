"""The 24-hour scheduler soak (seed 002): the production BackgroundSyncJob on APScheduler with its production
options, 144 runs at 10-minute intervals with concurrent clients and fresh faults between them, on a real
clock compressed by a speed-up or on a virtual clock; then an overrun, a database restart and an outage.

The job is driven only through its public surface (start, stop, next_run_time, wakeup, its listener hook):
the scheduler decides when it runs, skips and misfires; the soak only lets time pass and watches.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fixtures.bulk_population import PopulationSpec, populate
from fixtures.embedded_postgres import EmbeddedPostgres
from fixtures.reset import truncate_data
from scenarios.invariants import check_invariants
from scenarios.soak import phases as phase
from scenarios.soak.clients import ClientProcess
from scenarios.soak.clock import SoakClock, VirtualClock, make_clock
from scenarios.soak.logs import analyse_logs, cross_check, summarise
from scenarios.soak.probe import Probe
from scenarios.soak.results import STEADY, PhaseResult, RunRecord, SoakOptions
from scenarios.soak.session import JOB_APPLICATION, Soak, job_config
from scenarios.soak.summary import SoakResult
from scenarios.soak.summary import summarise as summarise_soak
from system.config import SystemConfig
from system.db import Database
from system.scheduler.job import BackgroundSyncJob

JobFactory = Callable[[Database, SystemConfig], BackgroundSyncJob]
#: How often (soak seconds) the health monitor is asked during the outage: every half interval.
HEALTH_POLLS_PER_INTERVAL = 2


def run_soak(base: SystemConfig, options: SoakOptions, *, log_dir: Path, postgres: EmbeddedPostgres | None = None,
             truth: Path | None = None, job_factory: JobFactory = BackgroundSyncJob, with_phases: bool = True,
             on_progress: Callable[[str], None] | None = None,
             on_run: Callable[[RunRecord], None] | None = None) -> SoakResult:
    """Wipe the database's data, seed ``options.users``, soak, and summarise. ``log_dir`` gets the job's JSON
    logs, ``truth`` (JSON lines) every injected fault mix's manifest. ``job_factory`` builds the job (the
    production class by default; a test passes a subclass that leaks on purpose)."""
    say = on_progress or (lambda _m: None)
    admin = Database.connect(base, application_name="plsync-soak", pre_ping=True)
    try:
        with admin.transaction() as session:
            truncate_data(session)
        say(f"seeding {options.users:,} users")
        populate(admin.engine, PopulationSpec(users=options.users, seed=options.seed))
        clock = make_clock(options.clock, options.speedup)
        config = job_config(dataclasses.replace(base, sync_log_dir=log_dir), options, clock)
        with ClientProcess(base, options.strategy, options.load, options.seed, truth=truth) as load, clock:
            began = time.perf_counter()
            soak, results = _soak(admin, config, options, clock, load, postgres, job_factory, with_phases, say,
                                  on_run)
            wall = time.perf_counter() - began
            skipped = clock.skipped_s if isinstance(clock, VirtualClock) else 0.0
            # Still on the soak's clock: connections the soak's engines made carry its times.
            return _summary(admin, soak, results, config, options, clock.name, clock.scale, log_dir, wall, skipped)
    finally:
        admin.dispose()


def _soak(admin: Database, config: SystemConfig, options: SoakOptions, clock: SoakClock, load: ClientProcess,
          postgres: EmbeddedPostgres | None, job_factory: JobFactory, with_phases: bool, say: Callable[[str], None],
          on_run: Callable[[RunRecord], None] | None) -> tuple[Soak, tuple[dict[str, int], list[PhaseResult]]]:
    job_db = Database.connect(config, application_name=JOB_APPLICATION)
    try:
        with Probe(admin) as probe:
            job = job_factory(job_db, config)
            soak = Soak(options=options, clock=clock, admin=admin, job=job, load=load, probe=probe, on_run=on_run)
            job.start()
            try:
                steady_counts = _steady(soak, say)
                results: list[PhaseResult] = []
                if with_phases:
                    say("phase: overrun")
                    results.append(phase.overrun(soak))
                    say("phase: database restart")
                    results.append(phase.restart(soak, postgres))
                    say("phase: outage")
                    results.append(phase.outage(soak, options.interval_s / HEALTH_POLLS_PER_INTERVAL))
            finally:
                job.stop()
    finally:
        job_db.dispose()
    return soak, (steady_counts, results)


def _steady(soak: Soak, say: Callable[[str], None]) -> dict[str, int]:
    """Every fire time of ``hours``: the runs the scheduler makes of them, one cycle each."""
    first = soak.job.next_run_time()
    assert first is not None
    last_due = first + timedelta(seconds=soak.interval_real_s * (soak.options.runs_expected - 1))
    say(f"steady: {soak.options.runs_expected} runs, one every {soak.options.interval_s:g} s of soak time")
    while (due := soak.job.next_run_time()) is not None and due <= last_due + timedelta(milliseconds=1):
        soak.cycle(STEADY)
        if not soak.health().healthy:
            soak.false_alarms += 1
    return dict(soak.observer.counts())


def _summary(admin: Database, soak: Soak, results: tuple[dict[str, int], list[PhaseResult]],
             config: SystemConfig, options: SoakOptions, clock: str, scale: float, log_dir: Path, wall: float,
             skipped: float) -> SoakResult:
    steady_counts, phase_results = results
    limit = config.sync_interval_s + config.sync_misfire_grace_s
    logs = analyse_logs(log_dir, gap_limit_s=limit)
    observed = summarise([{"status": r.status, "job_start": r.started, "job_end": r.ended,
                           "duration_seconds": r.duration_s, "issues_found": r.issues_found,
                           "synced_count": r.synced, "failed_count": r.failed, "error": r.error}
                          for r in soak.records], gap_limit_s=limit)
    with admin.transaction() as session:
        invariants = check_invariants(session, *soak.load.ledger())
    job = {"interval_s": config.sync_interval_s, "misfire_grace_s": config.sync_misfire_grace_s,
           "stale_after_s": config.sync_stale_after_s}
    return summarise_soak(options=options, clock=clock, scale=scale, job=job, records=soak.records,
                          steady_counts=steady_counts, phases=phase_results, logs=logs,
                          cross_check=cross_check(logs, observed), invariants=invariants,
                          false_alarms=soak.false_alarms, work_skipped=soak.work_skipped, wall_s=wall,
                          skipped_s=skipped)
