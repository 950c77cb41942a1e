"""Readiness profiles: sizes, never code paths (k6's words: smoke, load...). Every stage runs in every
profile; a profile decides how much of it."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from system.errors import ConfigurationError


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    #: Single-threaded level-ups per strategy (latency), and the concurrency check's threads x level-ups.
    latency_ops: int
    threads: int
    ops_per_thread: int
    #: Population of the data stages (seed, check, repair, recovery stress, orphans).
    users: int
    #: The hot-spot swarm per strategy: users, seconds, and the population they draw 10 hot students from.
    swarm_users: int
    swarm_seconds: int
    swarm_students: int
    #: The strategies swarmed (empty: every strategy of the run). A swarm's cost is mostly Locust's start-up.
    swarm_strategies: tuple[str, ...] = ()
    #: Scenarios with these tags are left out (``randomized``: N sessions x M iterations; ``boundary``: a pause
    #: probing the far side of a single limit; ``later_point``: a pause later in the operation than after its
    #: read, the same mechanisms again).
    skip_scenario_tags: tuple[str, ...] = ()
    #: The benchmark suites (benchmarks/): population (a tenth of it desynced), rounds of the quick
    #: operations and of the heavy ones (bulk repair, the job, seeding), the bulk-repair cases in desyncs,
    #: the sizes of the scale curves, and whether the long (``slow``) benchmarks run.
    bench_users: int = 10_000
    bench_rounds: int = 20
    bench_heavy_rounds: int = 6
    bench_desyncs: tuple[int, ...] = (100, 1000)
    bench_scale: tuple[int, ...] = (1000, 10_000, 100_000, 1_000_000)
    bench_slow: bool = False
    #: The scheduler soak: hours of schedule at one run every ``soak_interval_s``, on the ``soak_clock``
    #: (virtual, or real compressed by ``soak_speedup``), a population of its own, and between two runs
    #: ``soak_load_ops`` client operations from ``soak_load_threads`` clients plus ``soak_faults`` desyncs.
    soak_hours: float = 3.0
    soak_interval_s: int = 600
    soak_clock: str = "virtual"
    soak_speedup: int = 300
    soak_users: int = 500
    soak_load_ops: int = 12
    soak_load_threads: int = 2
    soak_faults: int = 10
    #: Runs left out of the memory regression while caches fill.
    soak_warmup_runs: int = 6
    #: Capacity at SLO (open model): the strategies searched (empty: every strategy of the run; the shipping
    #: one always), each step's run time and its warm-up window (left out of its figures), the geometric
    #: search's start, its floor when the start fails and its cap, the bisections, the runs at the boundary,
    #: and the pool of users.
    capacity_strategies: tuple[str, ...] = ()
    capacity_step_s: int = 5
    capacity_warmup_s: float = 1.0
    capacity_start_per_s: float = 40.0
    capacity_min_per_s: float = 5.0
    capacity_max_per_s: float = 1600.0
    capacity_bisections: int = 2
    capacity_repeats: int = 2
    capacity_users: int = 64
    #: What a user decides, not a size: the objective, the rate the shipping strategy must hold at it, the
    #: strategy that ships (its gates decide the verdict; the others are findings) unless every one is gated.
    capacity_slo: str = "p99<=50ms"
    capacity_required_per_s: float = 50.0
    shipping_strategy: str = "coupled"
    gate_all_strategies: bool = False
    #: The overload run (open model over HTTP, the shipping strategy): the overload's factor and length, the
    #: half-capacity phases around it, the closed-model calibration of the capacity, and the pool of users.
    #: Phases under 10 s are "short": their timing gates are exempt (reported, not judged).
    overload_factor: float = 3.0
    overload_s: int = 60
    overload_phase_s: int = 20
    overload_calibration_s: int = 10
    overload_users: int = 1000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and not isinstance(value, bool) and value < 1:
                raise ConfigurationError(f"profile {self.name}: {f.name} must be at least 1 (got {value})")
        if self.latency_ops < 2:
            raise ConfigurationError(f"profile {self.name}: latency_ops must be at least 2")
        if any(d % 4 or d > self.bench_users // 10 for d in self.bench_desyncs):
            raise ConfigurationError(f"profile {self.name}: each bench_desyncs case must be a multiple of 4 (one "
                                     f"kind in four) and at most a tenth of bench_users ({self.bench_users})")
        if len(set(self.bench_scale)) < 2 or min(self.bench_scale) < 100:
            raise ConfigurationError(f"profile {self.name}: bench_scale needs two or more sizes of 100 or more")
        if self.soak_hours <= 0 or self.soak_clock not in ("real", "virtual"):
            raise ConfigurationError(f"profile {self.name}: soak_hours must be positive and soak_clock real or "
                                     f"virtual (got {self.soak_hours}, {self.soak_clock!r})")
        if not (0 < self.capacity_min_per_s <= self.capacity_start_per_s <= self.capacity_max_per_s
                and self.capacity_required_per_s > 0):
            raise ConfigurationError(f"profile {self.name}: capacity rates must be positive, min <= start <= max")
        if not 0 <= self.capacity_warmup_s < self.capacity_step_s:
            raise ConfigurationError(f"profile {self.name}: each capacity step must last longer than its warm-up")
        if self.capacity_required_per_s > self.capacity_max_per_s:
            raise ConfigurationError(f"profile {self.name}: the required rate ({self.capacity_required_per_s:g}/s) "
                                     f"is above the capacity search's maximum ({self.capacity_max_per_s:g}/s)")
        if self.capacity_users > 250:
            raise ConfigurationError(f"profile {self.name}: more than 250 capacity users exceed the server's "
                                     "connections")
        if not 1 < self.overload_factor <= 10:
            raise ConfigurationError(f"profile {self.name}: overload_factor must be above 1 and at most 10")
        if self.swarm_users > 250:
            raise ConfigurationError(f"profile {self.name}: more than 250 swarm users exceed the server's "
                                     "connections")

    def with_overrides(self, **overrides: Any) -> Profile:
        """This profile with the command line's explicit sizes on top (None means 'not given')."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given) if given else self


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("smoke", "every stage at small scale, in about two minutes", latency_ops=100, threads=4, ops_per_thread=10,
            users=2000, swarm_users=16, swarm_seconds=1, swarm_students=100, swarm_strategies=("legacy", "coupled"),
            skip_scenario_tags=("randomized", "boundary", "later_point"),
            bench_users=500, bench_rounds=3, bench_heavy_rounds=2, bench_desyncs=(20, 48),
            bench_scale=(200, 500),
            soak_hours=3, soak_users=500, soak_load_ops=12, soak_faults=10, soak_warmup_runs=6,
            capacity_strategies=("coupled", "serializable"), capacity_step_s=4, capacity_start_per_s=20,
            capacity_min_per_s=10, capacity_max_per_s=40, capacity_bisections=1, capacity_repeats=1,
            capacity_users=16,
            # A smoke run proves the stage and its gates work end to end; its objective is sized for a busy CI box.
            capacity_required_per_s=20, capacity_slo="p99<=200ms",
            # Long enough to shed, too short to judge goodput and recovery: those gates are exempt here.
            overload_s=8, overload_phase_s=4, overload_calibration_s=4),
    Profile("standard", "the default: every stage at the sizes CI can afford", latency_ops=1000, threads=16,
            ops_per_thread=50, users=10_000, swarm_users=32, swarm_seconds=10, swarm_students=200,
            skip_scenario_tags=(), soak_hours=24, soak_users=2000, soak_load_ops=16, soak_faults=20,
            soak_warmup_runs=12),
    Profile("full", "the spec's headline scale: 10k users, 64-user hot-spot swarms for 60 s, every scenario, "
                    "the 24 h soak on a real clock compressed 300x",
            latency_ops=5000, threads=16, ops_per_thread=100, users=10_000, swarm_users=64, swarm_seconds=60,
            swarm_students=1000, skip_scenario_tags=(), bench_rounds=50, bench_heavy_rounds=10, bench_slow=True,
            soak_hours=24, soak_clock="real", soak_users=10_000, soak_load_ops=40, soak_load_threads=4,
            soak_faults=20, soak_warmup_runs=12, capacity_step_s=10, capacity_warmup_s=2, capacity_max_per_s=3200,
            capacity_bisections=3, capacity_repeats=3),
)}


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigurationError(f"unknown profile {name!r} (choose from {', '.join(PROFILES)})") from None
