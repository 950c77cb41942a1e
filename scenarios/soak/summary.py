"""The soak's summary: figures over the steady runs (memory after a warm-up, durations, connections), the
phases, the log analysis and its cross-check, and the invariants; the per-run rows go with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scenarios.invariants import InvariantReport
from scenarios.soak.logs import CrossCheck, LogAnalysis
from scenarios.soak.results import STEADY, PhaseResult, RunRecord, SoakOptions
from scenarios.soak.stats import SlopeFit, Spread, fit_slope, growth_pct, spread


@dataclass(frozen=True)
class Memory:
    """One memory series over the steady runs after the warm-up."""

    first_bytes: int
    last_bytes: int
    growth_pct: float
    slope: SlopeFit


#: Memory grows in steps (pymalloc's 1 MiB arenas, the C heap), not smoothly: one step anywhere in a window of
#: n samples fits a line of up to ~1.5 steps / n. Two steps over the window is therefore the least slope a
#: short soak may call a leak.
STEP_BYTES = 2 * 1024 * 1024


def slope_tolerance(floor: float, samples: int) -> float:
    return max(floor, STEP_BYTES / samples) if samples else floor


def memory(values: list[int], floor: float) -> Memory:
    tolerance = slope_tolerance(floor, len(values))
    if not values:
        return Memory(0, 0, 0.0, fit_slope([], tolerance=tolerance))
    return Memory(values[0], values[-1], growth_pct(values), fit_slope(values, tolerance=tolerance))


@dataclass(frozen=True)
class SoakResult:
    clock: str
    speedup: float | None
    hours: float
    users: int
    strategy: str
    #: The schedule in the soak's clock, and (``job_*``) in real seconds as the job was given it.
    interval_s: float
    misfire_grace_s: float
    stale_after_s: float
    job_interval_s: float
    job_misfire_grace_s: int
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
    #: Over successful runs that started after the work before them was done (on a real clock a run may not).
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
    #: The Python heap tracemalloc sees (allocated since the soak started and alive). The gates read the RSS's
    #: growth and slope where they are (``rss.growth_pct``, ``rss.slope.significant``), not copies of them.
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
    phases: list[PhaseResult]
    log_analysis: LogAnalysis
    log_cross_check: list[CrossCheck]
    log_cross_check_agrees: bool
    invariants_hold: bool
    invariant_violations: dict[str, int]
    wall_seconds: float
    skipped_seconds: float
    runs: list[RunRecord] = field(default_factory=list)


def summarise(*, options: SoakOptions, clock: str, scale: float, job: dict[str, Any], records: list[RunRecord],
              steady_counts: dict[str, int], phases: list[PhaseResult], logs: LogAnalysis,
              cross_check: list[CrossCheck], invariants: InvariantReport, false_alarms: int, work_skipped: int,
              wall_s: float, skipped_s: float) -> SoakResult:
    steady = [r for r in records if r.phase == STEADY]
    measured = steady[options.warmup_runs:] if len(steady) > options.warmup_runs else steady[-1:]
    tolerance = options.slope_tolerance_bytes
    rss = memory([r.rss_bytes for r in measured], tolerance)
    outage = next((p for p in phases if p.phase == "outage"), None)
    alert_after = outage.details.get("alert_after_last_success_s") if outage else None
    successes = [r for r in records if r.status == "success"]
    return SoakResult(
        clock=clock, speedup=options.speedup if clock == "real" else None, hours=options.hours, users=options.users,
        strategy=options.strategy, interval_s=options.interval_s, misfire_grace_s=job["misfire_grace_s"] * scale,
        stale_after_s=job["stale_after_s"] * scale, job_interval_s=job["interval_s"],
        job_misfire_grace_s=job["misfire_grace_s"], job_stale_after_s=job["stale_after_s"],
        load_operations_per_run=options.load.operations, load_threads=options.load.threads,
        faults_per_run=options.load.faults, warmup_runs=options.warmup_runs,
        runs_expected=options.runs_expected, runs_executed=len(steady),
        runs_failed=sum(r.status != "success" for r in steady),
        overlapping_runs=steady_counts.get("skipped_max_instances", 0), missed_runs=steady_counts.get("missed", 0),
        max_desyncs_left_after_run=max((r.desyncs_left for r in successes if not r.run_overlapped_work), default=0),
        runs_overlapping_work=sum(r.run_overlapped_work for r in records), work_skipped=work_skipped,
        injected=sum(r.injected for r in records), repaired=sum(r.synced for r in records),
        duration_s=spread([r.duration_s for r in steady]),
        duration_trend_ms_per_run=fit_slope([r.duration_s * 1000 for r in steady]),
        lateness_s=spread([r.lateness_s for r in steady]),
        rss=rss, uss=memory([r.uss_bytes for r in measured], tolerance),
        traced=memory([r.traced_bytes for r in measured], tolerance),
        connections_first=measured[0].db_connections if measured else 0,
        connections_last=measured[-1].db_connections if measured else 0,
        connections_max=max((r.db_connections for r in steady), default=0),
        threads_first=measured[0].os_threads if measured else 0,
        threads_last=measured[-1].os_threads if measured else 0,
        health_false_alarms=false_alarms,
        health_alert_fired=bool(outage and outage.details.get("alert_at_soak_s") is not None),
        health_alert_after_s=alert_after, health_alert_at_s=outage.details.get("alert_at_soak_s") if outage else None,
        health_alert_cleared=outage.details.get("cleared") if outage else None,
        phases=phases, log_analysis=logs, log_cross_check=cross_check,
        log_cross_check_agrees=all(c.agrees for c in cross_check),
        invariants_hold=invariants.passed, invariant_violations={r.name: r.violations for r in invariants.results},
        wall_seconds=wall_s, skipped_seconds=skipped_s, runs=records)
