"""Records of the ``benchmarks`` stage and ``plsync bench``: one row per benchmark (``benchmarks.json``), the
scale fits (``benchmark_scale.json``) and how the suite ran (``benchmark_suite.json``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from plsync.records.base import Record


class TargetRef(Record):
    """The documented target (benchmarks/targets.py) a benchmark was judged by, and what it measured."""

    name: str
    metric: str
    max_ms: float
    source: str
    observed_ms: float


class AimRef(Record):
    name: str
    source: str
    median_ms: float | None = None
    ratio_to_raw: float | None = None


class BenchmarkRecord(Record):
    name: str
    operation: str
    #: The parameters that name a result besides its operation (benchmarks.results.PARAMS).
    strategy: str | None = None
    case: str | None = None
    users: int | None = None
    desyncs: int | None = None
    direction: str | None = None
    mode: str | None = None
    source: str | None = None
    rounds: int
    median_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    min_ms: float
    stddev_ms: float
    #: The same work as one prepared SQL statement, timed in the same set-up (the ceiling).
    raw_median_ms: float | None = None
    raw_p99_ms: float | None = None
    ratio_to_raw: float | None = None
    target: TargetRef | None = None
    target_status: str  # pass | fail | none
    target_failure: str | None = None
    aim: AimRef | None = None
    aim_missed: str | None = None
    #: pyperf's reasons the rounds (and the ceiling's) are unstable; empty when stable.
    unstable: list[str] = Field(default_factory=list)
    raw_unstable: list[str] = Field(default_factory=list)
    curve: str | None = None
    size: int | None = None
    notes: Any = None

    def params(self) -> dict[str, Any]:
        """The parameters a target's ``where``/``up_to`` are matched against."""
        return {key: getattr(self, key) for key in ("strategy", "case", "users", "desyncs", "direction", "mode",
                                                     "source")}


class ScaleFitRecord(Record):
    """time = c * size ** exponent over one curve's sizes."""

    operation: str
    sizes: list[int]
    seconds: list[float]
    exponent: float
    r_squared: float
    verdict: str


class BenchmarkSuiteRecord(Record):
    returncode: int
    seconds: float
    failures: list[str]


class _Foreign(BaseModel):
    """A file another tool writes: its fields beyond the ones read here are kept, not refused."""

    model_config = ConfigDict(frozen=True, extra="allow")


class PytestBenchmarkStats(_Foreign):
    min: float
    max: float
    mean: float
    stddev: float
    rounds: int
    median: float
    iqr: float = 0.0
    #: Every round (seconds), when the file was saved with them (``--benchmark-json`` keeps them).
    data: list[float] = Field(default_factory=list)


class PytestBenchmark(_Foreign):
    name: str
    fullname: str | None = None
    stats: PytestBenchmarkStats
    extra_info: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.fullname or self.name


class PytestBenchmarkFile(_Foreign):
    """pytest-benchmark's own JSON (``benchmarks/pytest-benchmark.json`` of a run, or any saved file): not a
    record of the contract (pytest-benchmark owns its shape), decoded here so nothing reads it by string keys."""

    benchmarks: list[PytestBenchmark] = Field(default_factory=list)
