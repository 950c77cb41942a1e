"""What the soak sees of the scheduler: its events, taken through the job's listener hook. Executed runs
arrive with their scheduled time and the job's own result; skips (max_instances) and misfires are counted
from APScheduler's events, not inferred."""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobExecutionEvent,
    JobSubmissionEvent,
)

from system.scheduler.job import SyncJobRun

MASK = EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED
NAMES = {EVENT_JOB_SUBMITTED: "submitted", EVENT_JOB_EXECUTED: "executed", EVENT_JOB_ERROR: "error",
         EVENT_JOB_MAX_INSTANCES: "skipped_max_instances", EVENT_JOB_MISSED: "missed"}


class SoakTimeout(RuntimeError):
    """The scheduler did not do what the soak waited for in time: the soak cannot go on."""


@dataclass(frozen=True)
class ObservedRun:
    scheduled: datetime
    run: SyncJobRun

    @property
    def lateness_s(self) -> float:
        return (datetime.fromisoformat(self.run.job_start) - self.scheduled).total_seconds()


class JobObserver:
    def __init__(self) -> None:
        self._runs: queue.Queue[ObservedRun] = queue.Queue()
        self._counts: Counter[str] = Counter()
        self._submitted: list[datetime] = []
        self._changed = threading.Condition()

    def on_event(self, event: JobEvent) -> None:
        """The listener (called in the scheduler's and the executor's threads)."""
        with self._changed:
            self._counts[NAMES.get(event.code, str(event.code))] += 1
            if isinstance(event, JobSubmissionEvent) and event.code == EVENT_JOB_SUBMITTED:
                self._submitted.extend(event.scheduled_run_times)
            self._changed.notify_all()
        if isinstance(event, JobExecutionEvent) and isinstance(event.retval, SyncJobRun):
            self._runs.put(ObservedRun(event.scheduled_run_time, event.retval))

    def counts(self) -> Counter[str]:
        with self._changed:
            return Counter(self._counts)

    def next_run(self, timeout_s: float) -> ObservedRun:
        try:
            return self._runs.get(timeout=timeout_s)
        except queue.Empty:
            raise SoakTimeout(f"no run of the job finished within {timeout_s:.0f} s") from None

    def pending_runs(self) -> int:
        return self._runs.qsize()

    def wait_count(self, name: str, at_least: int, timeout_s: float) -> None:
        """Until the scheduler has emitted ``at_least`` events called ``name`` (see NAMES) in all."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while self._counts[name] < at_least:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SoakTimeout(f"the scheduler emitted {self._counts[name]} '{name}' events, not "
                                      f"{at_least}, within {timeout_s:.0f} s")
                self._changed.wait(left)

    def submitted(self) -> list[datetime]:
        with self._changed:
            return list(self._submitted)
