"""Percentiles recomputed from the encoded HdrHistograms a run keeps (``histograms.json``), never from the rounded
percentiles stored beside them: any percentile, exact to 3 significant digits, merged over every Locust process.

A run may hold several sets of histograms: a swarm run one at its root, a readiness run one per swarm
(``swarms/<name>/``), a capacity search one per step (``<strategy>/<step>/``, named in ``capacity.json``, the
readiness stage's under ``capacity/``). Each set is named by stage and subject so runs can be compared set by
set: a capacity step by its strategy and offered rate (repeats at one rate merged: one rate, one measurement).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtests.histograms import LatencyHistogram
from loadtests.open_model import HISTOGRAM_FILE
from plsync.records.capacity import CapacityRecord, HistogramsRecord
from plsync.records.files import CAPACITY, HISTOGRAMS, SWARM
from reports.metrics import LOWER, Metric
from reports.run_reader import RunReader
from system.errors import ConfigurationError

DEFAULT_PERCENTILES = (50.0, 99.0, 99.9)
#: The histograms of each model, in the order they are shown, with what each measures.
MEASURES = {"response": "response time (from the intended start)", "service": "service time (from the send)",
            "lag": "schedule lag (send - intended start)"}


def parse_percentiles(expressions: Sequence[str]) -> tuple[float, ...]:
    """``p50,p99`` or ``99.9`` (repeatable, comma-separated) -> percentiles; none given: p50, p99, p99.9."""
    found: list[float] = []
    for expression in expressions:
        for part in filter(None, (p.strip() for p in expression.split(","))):
            match = re.fullmatch(r"[pP]?([0-9]+(?:\.[0-9]+)?)", part)
            value = float(match.group(1)) if match else -1.0
            if not 0 < value <= 100:
                raise ConfigurationError(f"--percentile {part!r}: expected a percentile in (0, 100], e.g. p99 or "
                                     "p99.9")
            found.append(value)
    return tuple(dict.fromkeys(found)) or DEFAULT_PERCENTILES


def label(percentile: float) -> str:
    return f"p{percentile:g}"


@dataclass
class HistogramSet:
    """One measurement's histograms, merged over its processes (and over repeats of a capacity step)."""

    stage: str
    subject: str
    model: str  # open | closed
    histograms: dict[str, LatencyHistogram]
    #: Where they were read from, relative to the run directory.
    files: list[str]
    #: Open model: the slots scheduled, completed, dropped late, cut off or in flight at the end (summed).
    counts: dict[str, int]
    processes: int
    expected_processes: int
    failures: int
    #: The open model's arrival plan (rate, arrivals, pool, late limit) of the first file; None when closed.
    plan: dict[str, float | int | str | None] | None = None
    clamped: int = 0

    def add(self, record: HistogramsRecord, relative: str) -> None:
        for process in record.processes:
            for name, blob in process.histograms.items():
                self.histograms.setdefault(name, LatencyHistogram()).add_encoded(blob)
            for key, value in process.counts.items():
                self.counts[key] = self.counts.get(key, 0) + int(value)
            self.failures += process.failures
            self.clamped += process.clamped
        self.plan = self.plan or record.plan
        self.processes += len(record.processes)
        self.expected_processes += record.expected_processes
        self.files.append(relative)

    def percentile_ms(self, measure: str, percentile: float) -> float | None:
        histogram = self.histograms.get(measure)
        return None if histogram is None else histogram.percentile_ms(percentile)


def _read(path: Path) -> HistogramsRecord | None:
    if not path.exists():
        return None
    return HISTOGRAMS.decode(json.loads(path.read_text()), str(path))


def _swarm_subject(directory: Path) -> str:
    """A swarm run's strategy (its swarm.json), so that runs of one strategy compare."""
    swarm = RunReader(directory).get(SWARM)
    return "" if swarm is None else str(swarm.strategy)


def _capacity_step_dirs(run: RunReader, record: CapacityRecord) -> Iterator[tuple[str, str, Path]]:
    """(strategy, offered rate, step directory) of every step whose directory is in this run."""
    for strategy in record.strategies:
        for step in strategy.steps:
            for base in (run.path, run.path / "capacity"):  # plsync capacity's own run; readiness's stage
                directory = base / step.run_dir
                if step.run_dir and (directory / HISTOGRAM_FILE).exists():
                    yield strategy.strategy, f"{step.offered_per_s:g}/s", directory
                    break


def histogram_sets(run: RunReader) -> list[HistogramSet]:
    """Every set of histograms the run keeps, in a stable order."""
    sets: dict[tuple[str, str], HistogramSet] = {}

    def add(stage: str, subject: str, path: Path) -> None:
        record = _read(path)
        if record is None:
            return
        found = sets.setdefault((stage, subject), HistogramSet(stage, subject, record.model, {}, [], {}, 0, 0, 0))
        found.add(record, str(path.relative_to(run.path)))

    add("swarm", _swarm_subject(run.path), run.path / HISTOGRAM_FILE)
    # plsync swarm: one directory per strategy; readiness: swarms/<name>/.
    for parent, stage in ((run.path, "swarm"), (run.path / "swarms", "swarms")):
        for directory in sorted(parent.iterdir()) if parent.is_dir() else ():
            if (directory / HISTOGRAM_FILE).exists():
                add(stage, _swarm_subject(directory) or directory.name, directory / HISTOGRAM_FILE)
    capacity = run.get(CAPACITY) or (RunReader(run.path / "capacity").get(CAPACITY)
                                      if (run.path / "capacity").is_dir() else None)
    if capacity is not None:
        for strategy, rate, directory in _capacity_step_dirs(run, capacity):
            add("capacity", f"{strategy} @ {rate}", directory / HISTOGRAM_FILE)
    return list(sets.values())


def histogram_metrics(run: RunReader, percentiles: Sequence[float] = DEFAULT_PERCENTILES) -> list[Metric]:
    """A metric per set, measure and percentile: raw measurements (gated only over repeated runs)."""
    metrics = []
    for found in histogram_sets(run):
        for measure in MEASURES:
            for percentile in percentiles:
                value = found.percentile_ms(measure, percentile)
                if value is not None:
                    metrics.append(Metric(f"{measure} {label(percentile)} ({found.model} model, histograms)",
                                          found.stage, found.subject, "ms", value, LOWER))
    return metrics
