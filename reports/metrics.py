"""The comparable figures of a run: one metric per measurement and subject, with its unit, which way is better
and its kind, which decides what a comparison may gate on (reports/compare.py): a count, a ratio to a control
timed in the same run, or a raw measurement (gated only over repeated runs)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from plsync.records.benchmarks import BenchmarkRecord, ScaleFitRecord
from plsync.records.files import (
    BASELINES,
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
COUNT, RATIO, MEASURED = "count", "ratio", "measured"
RAW_SQL = "the same work as raw SQL"


@dataclass(frozen=True)
class Metric:
    name: str
    stage: str
    subject: str
    unit: str
    value: float
    better: str
    kind: str = MEASURED
    #: What a ratio is relative to (timed in the same run).
    control: str = ""

    def __post_init__(self) -> None:
        if self.kind not in (COUNT, RATIO, MEASURED):
            raise ValueError(f"metric {self.name}: unknown kind {self.kind!r}")
        if (self.kind == RATIO) != bool(self.control):
            raise ValueError(f"metric {self.name}: a ratio names its control, and only a ratio does")

    @property
    def key(self) -> str:
        return f"{self.stage}/{self.name}/{self.subject}"


def _latency(run: RunReader) -> Iterator[Metric]:
    for s in run.get(LATENCY, []):
        yield Metric(f"{s.operation} latency median", "strategies", s.strategy, "ms", s.median_ms, LOWER)
        yield Metric(f"{s.operation} latency p99", "strategies", s.strategy, "ms", s.p99_ms, LOWER)


def _concurrency(run: RunReader) -> Iterator[Metric]:
    for c in run.get(CONCURRENCY, []):
        rate = c.operations / c.wall_time_s if c.wall_time_s else 0.0
        yield Metric("level-ups/s on one student", "strategies", c.strategy, "ops/s", rate, HIGHER)
        yield Metric("lost XP (concurrency)", "strategies", c.strategy, "XP", c.lost_xp, LOWER, COUNT)
        yield Metric("retries (concurrency)", "strategies", c.strategy, "", c.retries, LOWER)


def _recovery(run: RunReader) -> Iterator[Metric]:
    for r in run.get(RECOVERY_STRESS, []):
        who = f"{r.users:,} users"
        for value, name, unit in ((r.detect_ms, "find_desync_issues", "ms"), (r.repair_ms, "auto_sync_all", "ms"),
                                  (r.seed_seconds, "seeding", "s"), (r.peak_rss_mb, "peak RSS", "MB")):
            yield Metric(name, "recovery", who, unit, value, LOWER)
        yield Metric("find_desync_issues x raw SQL", "recovery", who, "x", r.detect_ratio, LOWER, RATIO, RAW_SQL)
        yield Metric("auto_sync_all x raw SQL", "recovery", who, "x", r.repair_ratio, LOWER, RATIO, RAW_SQL)


def _swarms(run: RunReader) -> Iterator[Metric]:
    for s in run.get(SWARMS, []):
        yield Metric("swarm throughput", "swarms", s.strategy, "req/s", s.rps, HIGHER)
        yield Metric("swarm p95", "swarms", s.strategy, "ms", s.p95_ms, LOWER)
        yield Metric("swarm p99", "swarms", s.strategy, "ms", s.p99_ms, LOWER)
        yield Metric("lost XP (swarm)", "swarms", s.strategy, "XP", s.lost_xp, LOWER, COUNT)
    baselines = run.get(BASELINES)
    if baselines is not None:
        yield Metric("direct swarm / pgbench", "swarms", baselines.strategy, "x", baselines.direct_vs_pgbench, HIGHER,
                     RATIO, "pgbench running the same transaction")
        yield Metric("HTTP swarm / trivial endpoint", "swarms", baselines.strategy, "x", baselines.http_vs_ceiling,
                     HIGHER, RATIO, "Locust against an endpoint that does nothing")


def _scenarios(run: RunReader) -> Iterator[Metric]:
    cells = run.get(MATRIX)
    if cells is not None:
        yield Metric("cells not as expected", "scenarios", "", "cells", sum(not c.matches for c in cells), LOWER,
                     COUNT)


def _verdict(run: RunReader) -> Iterator[Metric]:
    verdict: VerdictRecord | None = run.get(VERDICT)
    if verdict is not None:
        yield Metric("failed gates", "verdict", "", "gates", len(verdict.failures), LOWER, COUNT)
        for stage in verdict.stages:
            if stage.status == "ran":
                yield Metric("stage wall time", stage.name, "", "s", stage.seconds, LOWER)


def benchmark_metrics(rows: Iterable[BenchmarkRecord], scale: Iterable[ScaleFitRecord] = ()) -> Iterator[Metric]:
    """Each benchmark's median, and the median over its raw-SQL ceiling timed in the same rounds (what gates);
    also for a bare pytest-benchmark file (``plsync bench --compare FILE``)."""
    for row in rows:
        yield Metric(f"{row.name} median", "benchmarks", "", "ms", row.median_ms, LOWER)
        if row.ratio_to_raw:
            yield Metric(f"{row.name} median x raw SQL", "benchmarks", "", "x", row.ratio_to_raw, LOWER, RATIO,
                         "its raw-SQL ceiling (the same rounds)")
    for curve in scale:
        # An exponent compares the run's own sizes with each other: the control is in the same run.
        yield Metric(f"scale exponent of {curve.operation}", "benchmarks", "", "", curve.exponent, LOWER, RATIO,
                     "its own smaller sizes")


def _benchmarks(run: RunReader) -> Iterator[Metric]:
    yield from benchmark_metrics(run.get(BENCHMARKS, []), run.get(BENCHMARK_SCALE, []))


def _soak(run: RunReader) -> Iterator[Metric]:
    soak: SoakRecord | None = run.get(SOAK)
    if soak is None:
        return
    yield Metric("soak run duration median", "soak", "", "ms", soak.duration_s.p50 * 1000, LOWER)
    yield Metric("soak RSS growth", "soak", "", "%", soak.rss.growth_pct, LOWER)
    yield Metric("soak RSS slope", "soak", "", "B/run", soak.rss.slope.slope, LOWER)
    yield Metric("soak runs missed or overlapping", "soak", "", "runs", soak.missed_runs + soak.overlapping_runs,
                 LOWER, COUNT)


#: Each stage's figures; a stage that adds a record adds its extractor here.
EXTRACTORS: tuple[Callable[[RunReader], Iterator[Metric]], ...] = (
    _latency, _concurrency, _recovery, _swarms, _scenarios, _benchmarks, _soak, _verdict)


def run_metrics(run: RunReader) -> list[Metric]:
    return [metric for extract in EXTRACTORS for metric in extract(run)]
