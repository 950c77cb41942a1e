"""Records of the ``soak`` stage and ``plsync soak`` (``soak.json``, ``soak_phases.json``): the scheduler soak's
figures over its steady runs, its phases, the job's own logs cross-checked, and the per-run series."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from plsync.records.base import Record


class Spread(Record):
    count: int
    p50: float
    p95: float
    max: float
    mean: float


class SlopeFit(Record):
    samples: int
    slope: float
    stderr: float
    intercept: float
    #: One-sided p-value of "slope <= tolerance"; None with fewer than 3 samples.
    p_value: float | None
    tolerance: float
    alpha: float
    #: p_value < alpha: a positive slope beyond the tolerance that noise alone would rarely produce.
    significant: bool


class Memory(Record):
    first_bytes: int
    last_bytes: int
    growth_pct: float
    slope: SlopeFit


class Gap(Record):
    after: str
    before: str
    seconds: float


class LogAnalysis(Record):
    files: int
    unreadable: list[str]
    statuses: dict[str, int]
    duration_s: Spread
    issues_found: int
    synced: int
    failed: int
    gaps: list[Gap]
    gap_limit_s: float
    errors: list[str] = Field(default_factory=list)
    starts: list[str] = Field(default_factory=list)


class CrossCheck(Record):
    check: str
    from_logs: Any
    observed: Any

    @property
    def agrees(self) -> bool:
        return bool(self.from_logs == self.observed)


class SoakPhaseRecord(Record):
    phase: str
    #: True or False when measured; None when it could not be (said in ``note``).
    holds: bool | None
    note: str
    details: dict[str, Any] = Field(default_factory=dict)


class SoakRunRecord(Record):
    run: int
    phase: str
    scheduled: str
    started: str
    ended: str
    lateness_s: float
    duration_s: float
    span_soak_s: float
    status: str
    issues_found: int
    synced: int
    failed: int
    desyncs_left: int
    injected: int
    load_operations: int
    load_not_ok: int
    run_overlapped_work: bool
    rss_bytes: int
    uss_bytes: int
    traced_bytes: int
    threads: int
    os_threads: int
    db_connections: int
    top_growth: list[str] = Field(default_factory=list)
    error: str | None = None


class SoakRecord(Record):
    clock: str
    speedup: float | None
    hours: float
    users: int
    strategy: str
    interval_s: float
    misfire_grace_s: float
    stale_after_s: float
    job_interval_s: float
    job_misfire_grace_s: float
    job_stale_after_s: float
    load_operations_per_run: int
    load_threads: int
    faults_per_run: int
    warmup_runs: int
    runs_expected: int
    runs_executed: int
    runs_failed: int
    overlapping_runs: int
    missed_runs: int
    max_desyncs_left_after_run: int
    runs_overlapping_work: int
    work_skipped: int
    injected: int
    repaired: int
    duration_s: Spread
    duration_trend_ms_per_run: SlopeFit
    lateness_s: Spread
    rss: Memory
    uss: Memory
    traced: Memory
    connections_first: int
    connections_last: int
    connections_max: int
    threads_first: int
    threads_last: int
    health_false_alarms: int
    health_alert_fired: bool
    health_alert_after_s: float | None
    health_alert_at_s: float | None
    health_alert_cleared: bool | None
    phases: list[SoakPhaseRecord]
    log_analysis: LogAnalysis
    log_cross_check: list[CrossCheck]
    log_cross_check_agrees: bool
    invariants_hold: bool
    invariant_violations: dict[str, int]
    wall_seconds: float
    skipped_seconds: float
    runs: list[SoakRunRecord] = Field(default_factory=list)
