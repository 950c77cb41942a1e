"""What a soak records: one row per run of the job, one result per phase, and the soak's summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scenarios.soak.load import LoadSize
from system.errors import ConfigurationError

STEADY = "steady"
LEAK_TOLERANCE_BYTES = 32 * 1024.0


@dataclass(frozen=True)
class SoakOptions:
    hours: float = 24.0
    interval_s: float = 600.0
    clock: str = "virtual"
    #: Real clock only: the interval, misfire grace and health limit are divided by this.
    speedup: float = 300.0
    users: int = 10_000
    strategy: str = "coupled"
    load: LoadSize = field(default_factory=lambda: LoadSize(operations=16, threads=2, faults=20))
    #: Runs left out of the memory regression while caches fill.
    warmup_runs: int = 12
    #: Bytes per run a memory slope must significantly exceed to count as a leak (at least; a short soak's is
    #: higher, see summary.STEP_BYTES): eight pages a run, 4.5 MiB over 144 runs. Below it lies the creep of
    #: an unchanged job plus the soak's own rows (~10 KiB a run measured here), which a test against zero
    #: would call significant on every long soak.
    slope_tolerance_bytes: float = LEAK_TOLERANCE_BYTES
    seed: int = 42

    def __post_init__(self) -> None:
        if self.hours <= 0 or self.interval_s <= 0:
            raise ConfigurationError("the soak's hours and interval must be positive")
        if self.runs_expected < 1:
            raise ConfigurationError(f"{self.hours} h at one run every {self.interval_s:g} s is not one run")
        if self.speedup <= 0:
            raise ConfigurationError(f"the speed-up must be positive, got {self.speedup}")
        if self.users < 10:
            raise ConfigurationError(f"the soak needs at least 10 users (got {self.users})")
        if self.warmup_runs < 0:
            raise ConfigurationError("warmup_runs cannot be negative")

    @property
    def runs_expected(self) -> int:
        return int(self.hours * 3600 // self.interval_s)


@dataclass(frozen=True)
class RunRecord:
    run: int
    phase: str
    scheduled: str
    started: str
    ended: str
    #: Real seconds between the scheduled time and the run's start (both clocks measure the same thing).
    lateness_s: float
    duration_s: float
    #: The run's span in the soak's clock (its logged end minus start, times the speed-up when real).
    span_soak_s: float
    status: str
    issues_found: int
    synced: int
    failed: int
    desyncs_left: int
    injected: int
    load_operations: int
    load_not_ok: int
    #: The run started before the clients and faults before it were done (a real clock that is too fast).
    run_overlapped_work: bool
    rss_bytes: int
    uss_bytes: int
    #: Python objects alive that tracemalloc saw allocated since the soak started (see probe.py).
    traced_bytes: int
    threads: int
    os_threads: int
    db_connections: int
    top_growth: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class PhaseResult:
    phase: str
    #: True or False when measured; None when it could not be (said in ``note``).
    holds: bool | None
    note: str
    details: dict[str, Any] = field(default_factory=dict)


def csv_rows(records: list[RunRecord]) -> tuple[list[str], list[list[object]]]:
    """The per-run time series as a header and rows (lists joined with '; ')."""
    header = list(RunRecord.__dataclass_fields__)
    rows = [["; ".join(v) if isinstance(v, list) else ("" if v is None else v)
             for v in (getattr(r, name) for name in header)] for r in records]
    return header, rows
