"""Background sync job: APScheduler, every 6 h by default, one instance at a time, one JSON log per run."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from system.config import SystemConfig
from system.db import Database
from system.errors import ConfigurationError
from system.services.sync_service import ProgressLicenseSyncService
from system.services.types import Direction

log = logging.getLogger(__name__)
JOB_ID = "progress_license_sync"
#: Watches the scheduler's events (submitted, executed, skipped, missed); see ``add_listener``.
Listener = Callable[[JobEvent], None]


@dataclass(frozen=True)
class SyncJobRun:
    status: str  # success | failed
    job_start: str
    job_end: str
    duration_seconds: float
    issues_found: int
    synced_count: int
    failed_count: int
    direction: str
    by_action: dict[str, int]
    error: str | None = None


class BackgroundSyncJob:
    def __init__(self, db: Database, config: SystemConfig, *,
                 direction: Direction = Direction.PROGRESS_TO_LICENSE) -> None:
        self.db = db
        self.config = config
        self.direction = direction
        if config.sync_log_dir is None:
            raise ConfigurationError("the background sync job needs a log directory (sync_log_dir)")
        self.log_dir = Path(config.sync_log_dir)
        self._scheduler: BackgroundScheduler | None = None
        self._lock = threading.Lock()
        #: Runs APScheduler skipped because one was still going (max_instances) or came too late (misfire).
        self.skipped_overlapping = 0
        self.missed = 0
        self._listeners: list[tuple[Listener, int]] = []

    def run_now(self) -> SyncJobRun:
        """Run once, now, in the calling thread; the result is also written to the JSON log."""
        started, began = datetime.now(UTC), time.perf_counter()
        try:
            with self.db.transaction() as session:
                report = ProgressLicenseSyncService().auto_sync_all(session=session, direction=self.direction,
                                                                    dry_run=False, reason="background sync job")
            run = SyncJobRun("success", started.isoformat(), datetime.now(UTC).isoformat(),
                             time.perf_counter() - began, report.issues_found, report.synced, report.failed,
                             self.direction.value, report.by_action)
        except Exception as exc:
            log.exception("background sync job failed")
            run = SyncJobRun("failed", started.isoformat(), datetime.now(UTC).isoformat(),
                             time.perf_counter() - began, 0, 0, 0, self.direction.value, {},
                             f"{type(exc).__name__}: {exc}")
        self._write_log(started, run)
        return run

    def _write_log(self, started: datetime, run: SyncJobRun) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            path = self.log_dir / f"{started.strftime('%Y%m%d_%H%M%S_%f')}_sync.json"
            path.write_text(json.dumps(asdict(run), indent=2) + "\n")

    def add_listener(self, listener: Listener, mask: int) -> None:
        """Call ``listener`` with the scheduler's events in ``mask`` (``apscheduler.events``), for whoever
        monitors the job (metrics, a soak). Kept across stop() and start(): each start builds a new scheduler."""
        self._listeners.append((listener, mask))
        if self._scheduler is not None:
            self._scheduler.add_listener(listener, mask)

    def start(self) -> None:
        if self._scheduler is not None:
            return
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(self.run_now, IntervalTrigger(seconds=self.config.sync_interval_s), id=JOB_ID,
                          name="Progress-License Auto-Sync", max_instances=1,
                          misfire_grace_time=self.config.sync_misfire_grace_s, coalesce=True,
                          replace_existing=True)
        scheduler.add_listener(self._on_skip, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        for listener, mask in self._listeners:
            scheduler.add_listener(listener, mask)
        scheduler.start()
        self._scheduler = scheduler

    def _on_skip(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MAX_INSTANCES:
            self.skipped_overlapping += 1
        else:
            self.missed += 1

    def wakeup(self) -> None:
        """Have the scheduler look at its jobs now. Its thread sleeps in real (monotonic) time until the next
        run is due; after the wall clock jumps (an NTP step, a resumed VM, a soak's virtual clock), this makes
        it see the new time at once instead of when its old wait ends."""
        if self._scheduler is not None:
            self._scheduler.wakeup()

    def next_run_time(self) -> datetime | None:
        if self._scheduler is None:
            return None
        job = self._scheduler.get_job(JOB_ID)
        return job.next_run_time if job else None

    def stop(self, wait: bool = True) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=wait)
            self._scheduler = None
