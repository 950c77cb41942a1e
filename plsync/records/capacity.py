"""Records of the capacity search (``plsync capacity`` and the readiness ``capacity`` stage): ``capacity.json``
(each strategy's steps, capacity at the SLO and its spread) and ``capacity_gates.json`` (the rows the stage's
gates judge: the shipping strategy's, or every gated strategy's)."""

from __future__ import annotations

from pydantic import Field

from plsync.records.base import Record


class CapacityStepRecord(Record):
    """One open-model run at one offered rate. Latencies are response times (from the intended start) unless
    named service or lag; ``slo_ms`` is the SLO's percentile of it."""

    offered_per_s: float
    achieved_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    slo_ms: float | None
    service_p99_ms: float | None
    schedule_lag_p99_ms: float | None
    dispatch_lag_slo_ms: float | None
    dropped_ratio: float
    failures: int
    lost_xp: int
    desynced_pairs: int
    invariant_violations: int
    generator_cpu_us_per_request: float | None
    verdict: str  # pass | fail | invalid
    reasons: list[str] = Field(default_factory=list)
    repeat: int = 0
    #: The step's swarm directory, relative to the capacity directory (its histograms.json is there).
    run_dir: str = ""


class StrategyCapacityRecord(Record):
    strategy: str
    slo: str
    #: The highest offered rate whose step passed (None: even the start rate failed).
    capacity_per_s: float | None
    first_fail_per_s: float | None
    generator_limited: bool
    boundary_slo_ms: list[float]
    spread: float | None
    unstable: bool
    boundary_passes: int
    steps: list[CapacityStepRecord]


class CapacityRecord(Record):
    """A capacity search over strategies, in the open model."""

    model: str
    slo: str
    slo_label: str
    slo_limit_ms: float
    workload: str
    transport: str
    max_users: int
    step_s: int
    #: Each step's warm-up window (left out of its figures), and each strategy's unjudged warm-up step.
    warmup_s: float
    warmup_step_s: float = 0.0
    #: The floor of the search's step down (a start rate that fails steps down, never below it).
    min_per_s: float | None = None
    arrivals: str
    #: The strategy whose gates decide the readiness verdict; the others are findings.
    shipping: str
    strategies: list[StrategyCapacityRecord]
    #: Readiness only: the rate the shipping strategy must hold, and the lines about the other strategies.
    required_per_s: float | None = None
    findings: list[str] = Field(default_factory=list)
    #: Readiness only: the strategies whose rows were gates (the shipping one, or every one but legacy with
    #: --gate-all-strategies), and every strategy of the run (one not searched is a finding "not measured").
    gated: list[str] = Field(default_factory=list)
    run_strategies: list[str] = Field(default_factory=list)

    def strategy(self, name: str) -> StrategyCapacityRecord | None:
        return next((s for s in self.strategies if s.strategy == name), None)


class CapacityGateRecord(Record):
    """One gated strategy's capacity against the required rate, and what its steps lost."""

    strategy: str
    capacity_per_s: float | None
    required_per_s: float
    slo: str
    #: None: not measured (the generator fell behind before any step passed): the gate fails, never passes.
    meets_required: bool | None
    unstable: bool
    lost_xp: int
    desynced_pairs: int
    steps: int
    note: str = ""


class ProcessHistogramsRecord(Record):
    """One Locust process's share: its slot counts and its HdrHistograms, encoded (raw data, like the ledger)."""

    worker: int
    #: How many processes shared the schedule (open model).
    workers: int | None = None
    counts: dict[str, int]
    histograms: dict[str, str]
    failures: int = 0
    clamped: int = 0
    schedule_s: float | None = None
    warmup_s: float | None = None


class HistogramsRecord(Record):
    """``histograms.json``: every Locust process's encoded histograms (microseconds), from which any percentile
    can be recomputed exactly (3 significant digits)."""

    model: str
    unit: str
    plan: dict[str, float | int | str | None] | None
    expected_processes: int
    processes: list[ProcessHistogramsRecord]


class GeneratorStepRecord(Record):
    """``generator_step.json``, in each capacity step's directory: what the generator (the long-lived Locust
    process of loadtests/step_driver.py) did in the step, beside its ledger and histograms."""

    strategy: str
    transport: str
    offered_per_s: float
    run_time_s: float
    warmup_s: float
    #: Locust's count of the step's requests and failures, warm-up included, and its errors, one line each.
    requests: int
    failures: int
    errors: list[str] = Field(default_factory=list)
    #: The generator's own CPU over the steady window (after the warm-up), and per request completed in it.
    steady_requests: int
    cpu_s: float
    cpu_us_per_request: float | None
    #: Seconds to spawn the pool, to stop it (requests in flight finish), and the whole step.
    spawn_s: float
    stop_s: float
    wall_s: float
