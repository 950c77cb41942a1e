"""One soak in progress: the production job on its own scheduler, the clock, the load and the probe, and
the cycle every run goes through: clients and faults, the run itself, then the samples."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from scenarios.invariants import check_ledger
from scenarios.soak.clients import ClientProcess
from scenarios.soak.clock import SoakClock, soak_seconds
from scenarios.soak.observer import MASK, JobObserver, ObservedRun, SoakTimeout
from scenarios.soak.probe import Probe
from scenarios.soak.results import RunRecord, SoakOptions
from system.config import SystemConfig
from system.db import Database
from system.scheduler.health import SyncHealth, check_sync_job_health
from system.scheduler.job import BackgroundSyncJob
from system.services.sync_service import ProgressLicenseSyncService

JOB_APPLICATION = "plsync-sync-job"
#: Share of an interval that must be left before the next run for the work between runs to start.
WORK_ROOM = 0.5
#: The seed's job options, before a real clock compresses them.
MISFIRE_GRACE_S = 300
STALE_AFTER_S = 7 * 3600


def job_config(base: SystemConfig, options: SoakOptions, clock: SoakClock) -> SystemConfig:
    """The job's settings for this soak: the soak's interval, the production grace and health limit, all
    divided by the speed-up on a real clock (APScheduler takes the grace in whole seconds, at least 1)."""
    scale = clock.scale
    interval = options.interval_s / scale
    return dataclasses.replace(
        base, sync_interval_s=interval, sync_misfire_grace_s=max(1, round(MISFIRE_GRACE_S / scale)),
        sync_stale_after_s=STALE_AFTER_S / scale, pool_size=2, max_overflow=2,
        # The overrun phase lengthens a run by holding a lock it needs for more than one interval: the
        # run must wait it out, not give up (unchanged at the default speed-up: 3 x 2 s < 10 s).
        lock_timeout_s=max(base.lock_timeout_s, 3 * interval))


@dataclass(frozen=True)
class Work:
    """What happened between two runs."""

    operations: int
    not_ok: int
    faults: int
    done_at: datetime


class Soak:
    def __init__(self, *, options: SoakOptions, clock: SoakClock, admin: Database, job: BackgroundSyncJob,
                 load: ClientProcess, probe: Probe, on_run: Callable[[RunRecord], None] | None = None) -> None:
        self.options, self.clock, self.admin, self.job = options, clock, admin, job
        self.load, self.probe, self.on_run = load, probe, on_run
        self.config = job.config
        self.observer = JobObserver()
        job.add_listener(self.observer.on_event, MASK)
        self.records: list[RunRecord] = []
        self.started_at: datetime = clock.now()
        self.false_alarms = 0
        self.work_skipped = 0
        self._cycle = 0

    # -- time -----------------------------------------------------------------------------------------
    @property
    def interval_real_s(self) -> float:
        return self.config.sync_interval_s

    @property
    def stale_after_soak_s(self) -> float:
        """The health monitor's limit in the soak's clock (7 h), whatever the job was given."""
        return self.config.sync_stale_after_s * self.clock.scale

    def wait_timeout_s(self) -> float:
        """How long (real seconds) to wait for a run the clock has made due: generous, never forever."""
        return 60.0 + (0.0 if self.clock.name == "virtual" else 3 * self.interval_real_s)

    def soak_s(self, since: datetime | None = None, until: datetime | None = None) -> float:
        return soak_seconds(self.clock, since or self.started_at, until)

    def advance_to_next_run(self) -> datetime:
        """Let time pass until the scheduler's next run is due (a jump on the virtual clock)."""
        due = self.job.next_run_time()
        if due is None:
            raise SoakTimeout("the job has no next run: its scheduler is not running")
        self.clock.wait_until(due, self.job.wakeup)
        return due

    # -- the cycle ------------------------------------------------------------------------------------
    def between_runs(self) -> Work:
        """Concurrent clients, then a fresh fault mix. On a real clock, only when at least half an interval is
        left before the next run: work that is still going when a run starts is work that run cannot see,
        and the desyncs it leaves would be the soak's doing (counted as ``work_skipped``)."""
        self._cycle += 1
        if self.clock.name == "real" and self._real_s_to_next_run() < WORK_ROOM * self.interval_real_s:
            self.work_skipped += 1
            return Work(0, 0, 0, self.clock.now())
        burst = self.load.burst(self._cycle)
        faults = self.load.inject(self._cycle)
        return Work(burst.operations, burst.failed + burst.unknown, faults, self.clock.now())

    def make_room(self, phase: str) -> None:
        """Real clock: when the next run is too close for a phase's work and set-up, let it run first."""
        while self.clock.name == "real" and self._real_s_to_next_run() < WORK_ROOM * self.interval_real_s:
            self.record(self.observer.next_run(self.wait_timeout_s()), phase, Work(0, 0, 0, self.clock.now()))

    def _real_s_to_next_run(self) -> float:
        due = self.job.next_run_time()
        return (due - self.clock.now()).total_seconds() if due is not None else float("inf")

    def cycle(self, phase: str) -> RunRecord:
        work = self.between_runs()
        if self.clock.name == "virtual":
            self.advance_to_next_run()
        return self.record(self.observer.next_run(self.wait_timeout_s()), phase, work)

    def record(self, observed: ObservedRun, phase: str, work: Work) -> RunRecord:
        """Sample right after a run, at the same point of every cycle, and keep the row."""
        sample = self.probe.sample()
        run = observed.run
        span = self.soak_s(datetime.fromisoformat(run.job_start), datetime.fromisoformat(run.job_end))
        record = RunRecord(
            run=len(self.records) + 1, phase=phase, scheduled=observed.scheduled.isoformat(),
            started=run.job_start, ended=run.job_end, lateness_s=observed.lateness_s, duration_s=run.duration_seconds,
            span_soak_s=span, status=run.status, issues_found=run.issues_found, synced=run.synced_count,
            failed=run.failed_count, desyncs_left=self.desyncs(), injected=work.faults,
            load_operations=work.operations, load_not_ok=work.not_ok,
            run_overlapped_work=datetime.fromisoformat(run.job_start) < work.done_at,
            rss_bytes=sample.rss_bytes, uss_bytes=sample.uss_bytes,
            traced_bytes=sample.traced_bytes, threads=sample.threads, os_threads=sample.os_threads,
            db_connections=sample.db_connections, top_growth=sample.top_growth, error=run.error)
        self.records.append(record)
        if self.on_run is not None:
            self.on_run(record)
        return record

    # -- what the soak reads --------------------------------------------------------------------------
    def desyncs(self) -> int:
        with self.admin.transaction() as session:
            return len(ProgressLicenseSyncService().find_desync_issues(session=session))

    def lost_writes(self) -> int:
        """Pairs whose acknowledged XP is not all stored, or that hold XP nobody was told of (the ledger
        against the database, by the invariant checker)."""
        with self.admin.transaction() as session:
            results = check_ledger(session, *self.load.ledger())
        return sum(r.violations for r in results)

    def health(self) -> SyncHealth:
        """The production health monitor, asked at the soak's 'now' (the same clock the job logs with)."""
        assert self.config.sync_log_dir is not None
        return check_sync_job_health(self.config.sync_log_dir, stale_after_s=self.config.sync_stale_after_s,
                                     now=self.clock.now(), alert=lambda _message: None)

    def job_backend_waiting(self) -> bool:
        with self.admin.engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app AND wait_event_type = 'Lock'"),
                {"app": JOB_APPLICATION}).scalar_one())

    def wait_job_blocked(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.job_backend_waiting():
            if time.monotonic() > deadline:
                raise SoakTimeout(f"the job's run did not reach the held lock within {timeout_s:.0f} s")
            time.sleep(0.01)


@contextmanager
def holding_tables(admin: Database, tables: tuple[str, ...] = ("user_licenses",)) -> Iterator[None]:
    """Another session holds ACCESS EXCLUSIVE on ``tables``: the job's first query waits until the block ends
    (or the server goes away under both)."""
    conn = admin.engine.connect()
    try:
        trans = conn.begin()
        conn.execute(text(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE"))
        yield
        with contextlib.suppress(Exception):  # the restart phase kills this session on purpose
            trans.rollback()
    finally:
        with contextlib.suppress(Exception):
            conn.close()
