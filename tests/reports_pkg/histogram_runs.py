"""Run directories holding histograms.json files as Locust processes write them, for the reports' tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from loadtests.histograms import LatencyHistogram
from plsync.records.capacity import (
    CapacityRecord,
    CapacityStepRecord,
    HistogramsRecord,
    ProcessHistogramsRecord,
    StrategyCapacityRecord,
)
from plsync.records.files import CAPACITY, HISTOGRAMS
from plsync.rundir import RunDirectory


def encoded(values_ms: Sequence[float]) -> str:
    histogram = LatencyHistogram()
    for value in values_ms:
        histogram.record(int(value * 1000))
    return histogram.encode()


def write_histograms(directory: Path, processes: Sequence[dict[str, Sequence[float]]], *, rate: float = 100.0,
                     dropped: int = 0, expected: int | None = None) -> None:
    """An open-model histograms.json: one share per process, each ``{"response": [ms...], ...}``."""
    shares = []
    for index, values in enumerate(processes):
        completed = len(values["response"])
        shares.append(ProcessHistogramsRecord(
            worker=index, workers=len(processes), histograms={k: encoded(v) for k, v in values.items()},
            counts={"scheduled": completed + dropped, "completed": completed, "dropped_late": dropped,
                    "unstarted_at_end": 0, "in_flight_at_end": 0},
            schedule_s=10.0, warmup_s=1.0))
    plan: dict[str, float | int | str | None] = {"rate_per_s": rate, "arrivals": "poisson", "max_users": 16,
                                                 "late_limit_s": 5.0, "run_time_s": 10}
    RunDirectory(directory).write_record(HISTOGRAMS, HistogramsRecord(
        model="open", unit="us", plan=plan, expected_processes=expected or len(processes), processes=shares))


def spread(scale: float, n: int = 1000) -> dict[str, list[float]]:
    """Response times 1..n ms times ``scale``; service times half those, lag the rest."""
    response = [scale * (i + 1) for i in range(n)]
    return {"response": response, "service": [r / 2 for r in response], "lag": [r / 2 for r in response]}


def write_capacity(directory: Path, steps: dict[str, Sequence[tuple[float, float]]]) -> None:
    """A plsync capacity run: per strategy, (offered rate, scale) steps, each with its own histograms."""
    entries = []
    for strategy, rates in steps.items():
        records = []
        for number, (rate, scale) in enumerate(rates, start=1):
            run_dir = f"{strategy}/step-{number:02d}-{rate:g}per_s"
            write_histograms(directory / run_dir, [spread(scale)], rate=rate)
            records.append(CapacityStepRecord(
                offered_per_s=rate, achieved_per_s=rate, p50_ms=1.0, p99_ms=1.0, slo_ms=1.0, service_p99_ms=None,
                schedule_lag_p99_ms=None, dispatch_lag_slo_ms=None, dropped_ratio=0.0, failures=0, lost_xp=0,
                desynced_pairs=0, invariant_violations=0, generator_cpu_us_per_request=None, verdict="pass",
                run_dir=run_dir))
        entries.append(StrategyCapacityRecord(
            strategy=strategy, slo="p99<=50ms", capacity_per_s=rates[-1][0], first_fail_per_s=None,
            generator_limited=False, boundary_slo_ms=[], spread=None, unstable=False, boundary_passes=0,
            steps=records))
    RunDirectory(directory).write_record(CAPACITY, CapacityRecord(
        model="open", slo="p99<=50ms", slo_label="p99", slo_limit_ms=50.0, workload="hotspot", transport="direct",
        max_users=16, step_s=4, warmup_s=1.0, arrivals="poisson", shipping="coupled", strategies=entries))
