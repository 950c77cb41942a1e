"""The comparable figures of a run: one metric per measurement and subject, with its unit, which way is
better, and its raw samples where the run kept them (for significance tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from plsync.records.benchmarks import PytestBenchmarkFile
from plsync.records.files import (
    BENCHMARK_SCALE,
    BENCHMARKS,
    CONCURRENCY,
    LATENCY,
    MATRIX,
    RECOVERY_STRESS,
    SOAK,
    SWARMS,
    VERDICT,
)
from plsync.records.run import VerdictRecord
from plsync.records.soak import SoakRecord
from reports.run_reader import RunReader

LOWER, HIGHER = "lower", "higher"


@dataclass(frozen=True)
class Metric:
    name: str
    stage: str
    subject: str
    unit: str
    value: float
    better: str
    samples: tuple[float, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.stage}/{self.name}/{self.subject}"


def _latency(run: RunReader) -> Iterator[Metric]:
    for s in run.get(LATENCY, []):
        samples = tuple(s.samples_ms)
        yield Metric(f"{s.operation} latency median", "strategies", s.strategy, "ms", s.median_ms, LOWER,
                     samples)
        yield Metric(f"{s.operation} latency p99", "strategies", s.strategy, "ms", s.p99_ms, LOWER)


def _concurrency(run: RunReader) -> Iterator[Metric]:
    for c in run.get(CONCURRENCY, []):
        rate = c.operations / c.wall_time_s if c.wall_time_s else 0.0
        yield Metric("level-ups/s on one student", "strategies", c.strategy, "ops/s", rate, HIGHER)
        yield Metric("lost XP (concurrency)", "strategies", c.strategy, "XP", c.lost_xp, LOWER)
        yield Metric("retries (concurrency)", "strategies", c.strategy, "", c.retries, LOWER)


def _recovery(run: RunReader) -> Iterator[Metric]:
    for r in run.get(RECOVERY_STRESS, []):
        who = f"{r.users:,} users"
        for field, name, unit in (("detect_ms", "find_desync_issues", "ms"), ("repair_ms", "auto_sync_all", "ms"),
                                  ("seed_seconds", "seeding", "s"), ("peak_rss_mb", "peak RSS", "MB")):
            yield Metric(name, "recovery", who, unit, getattr(r, field), LOWER)


def _swarms(run: RunReader) -> Iterator[Metric]:
    for s in run.get(SWARMS, []):
        yield Metric("swarm throughput", "swarms", s.strategy, "req/s", s.rps, HIGHER)
        yield Metric("swarm p95", "swarms", s.strategy, "ms", s.p95_ms, LOWER)
        yield Metric("swarm p99", "swarms", s.strategy, "ms", s.p99_ms, LOWER)
        yield Metric("lost XP (swarm)", "swarms", s.strategy, "XP", s.lost_xp, LOWER)


def _scenarios(run: RunReader) -> Iterator[Metric]:
    cells = run.get(MATRIX)
    if cells is not None:
        yield Metric("cells not as expected", "scenarios", "", "cells", sum(not c.matches for c in cells), LOWER)


def _verdict(run: RunReader) -> Iterator[Metric]:
    verdict: VerdictRecord | None = run.get(VERDICT)
    if verdict is not None:
        yield Metric("failed gates", "verdict", "", "gates", len(verdict.failures), LOWER)
        for stage in verdict.stages:
            if stage.status == "ran":
                yield Metric("stage wall time", stage.name, "", "s", stage.seconds, LOWER)


def _benchmarks(run: RunReader) -> Iterator[Metric]:
    """Each benchmark's median, with its rounds (from pytest-benchmark's own file) for significance."""
    rounds: dict[str, tuple[float, ...]] = {}
    saved = run.extra_json("benchmarks/pytest-benchmark.json")
    if saved is not None:
        for bench in PytestBenchmarkFile.model_validate(saved).benchmarks:
            rounds[bench.name] = tuple(x * 1000 for x in bench.stats.data)
    for row in run.get(BENCHMARKS, []):
        yield Metric(f"{row.name} median", "benchmarks", "", "ms", row.median_ms, LOWER,
                     rounds.get(row.name, ()))
        if row.ratio_to_raw:
            yield Metric(f"{row.name} x raw SQL", "benchmarks", "", "x", row.ratio_to_raw, LOWER)
    for curve in run.get(BENCHMARK_SCALE, []):
        yield Metric(f"scale exponent of {curve.operation}", "benchmarks", "", "", curve.exponent, LOWER)


def _soak(run: RunReader) -> Iterator[Metric]:
    soak: SoakRecord | None = run.get(SOAK)
    if soak is None:
        return
    durations = tuple(r.duration_s * 1000 for r in soak.runs if r.phase == "steady")
    yield Metric("soak run duration median", "soak", "", "ms", soak.duration_s.p50 * 1000, LOWER, durations)
    yield Metric("soak RSS growth", "soak", "", "%", soak.rss_growth_pct, LOWER)
    yield Metric("soak RSS slope", "soak", "", "B/run", soak.rss_slope_bytes_per_run, LOWER)
    yield Metric("soak runs missed or overlapping", "soak", "", "runs",
                 soak.missed_runs + soak.overlapping_runs, LOWER)


#: Each stage's figures; a stage that adds JSON adds its extractor here.
EXTRACTORS: tuple[Callable[[RunReader], Iterator[Metric]], ...] = (
    _latency, _concurrency, _recovery, _swarms, _scenarios, _benchmarks, _soak, _verdict)


def run_metrics(run: RunReader) -> list[Metric]:
    return [metric for extract in EXTRACTORS for metric in extract(run)]
