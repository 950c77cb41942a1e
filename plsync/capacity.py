"""Run the capacity search (loadtests/capacity.py) with real open-model swarms, one Locust run per step.

Every step is a whole ``run_swarm``: a fresh population, the arrival schedule at the step's rate, the
ledgers and the invariant checker, so each step's verdict includes what it lost. The first seconds of
each step's schedule are its warm-up (sent, left out of the figures).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fixtures.provision import Environment
from loadtests.arrivals import ArrivalPlan
from loadtests.capacity import SearchPlan, Slo, StepResult, StrategyCapacity, judge, search
from plsync.records.capacity import CapacityRecord
from plsync.records.files import CAPACITY
from plsync.rundir import RunDirectory, to_jsonable
from plsync.swarm import SwarmOptions, SwarmResult, run_swarm
from system.config import SystemConfig
from system.errors import ConfigurationError


@dataclass(frozen=True)
class CapacityOptions:
    strategies: tuple[str, ...]
    slo: Slo
    workload: str = "hotspot"
    transport: str = "direct"
    max_users: int = 64
    step_s: int = 8
    warmup_s: float = 2.0
    late_limit_s: float = 1.0
    students: int = 1000
    arrivals: str = "poisson"
    search: SearchPlan = field(default_factory=SearchPlan)
    #: The strategy whose capacity decides (readiness); the others are findings.
    shipping: str = "coupled"

    def __post_init__(self) -> None:
        if not self.strategies:
            raise ConfigurationError("name at least one strategy")
        if self.warmup_s >= self.step_s:
            raise ConfigurationError("each step must last longer than its warm-up")
        for strategy in self.strategies:  # every step's swarm is valid before the first one starts
            self.swarm(strategy, self.search.start_per_s, 0)

    def swarm(self, strategy: str, rate: float, repeat: int) -> SwarmOptions:
        plan = ArrivalPlan(rate, self.arrivals, self.max_users, self.late_limit_s, seed=42 + repeat,
                           warmup_s=self.warmup_s)
        return SwarmOptions(strategy=strategy, workload=self.workload, users=self.max_users,
                            spawn_rate=self.max_users, run_time_s=self.step_s, transport=self.transport,
                            students=self.students, open_model=plan)


def step_result(options: CapacityOptions, strategy: str, rate: float, repeat: int, result: SwarmResult,
                run_dir: str) -> StepResult:
    latency = result.latency
    response = latency.response_time if latency else None
    dispatch = latency.dispatch_lag if latency else None
    lag = latency.schedule_lag if latency else None
    slots = latency.slots if latency else None
    label = options.slo.label
    slo_ms = response.get(label) if response else None
    dispatch_ms = dispatch.get(label) if dispatch else None
    dropped = slots.dropped_ratio if slots else 1.0
    failures = result.failures + (latency.failures if latency else 0)
    violations = result.invariant_violations
    verdict, reasons = judge(options.slo, slo_ms=slo_ms, dispatch_lag_slo_ms=dispatch_ms, dropped_ratio=dropped,
                             failures=failures, lost_xp=result.lost_xp, desynced_pairs=result.desynced_pairs,
                             gated=strategy != "legacy")
    if latency is None or not latency.complete:
        verdict, reasons = "invalid", [*reasons, "histograms missing from a Locust process"]
    locust = result.cpu.group("locust") if result.cpu else None
    return StepResult(
        rate, latency.achieved_rate_per_s or 0.0 if latency else 0.0, response.get("p50") if response else None,
        response.get("p99") if response else None, slo_ms,
        latency.service_time.get("p99") if latency else None, lag.get("p99") if lag else None, dispatch_ms,
        dropped, failures, result.lost_xp, result.desynced_pairs, violations,
        locust.cpu_us if locust else None, verdict, reasons, repeat, run_dir)


def run_capacity(env: Environment, config: SystemConfig, options: CapacityOptions, run: RunDirectory, *,
                 say: Callable[[str], None] = print) -> CapacityRecord:
    results: list[StrategyCapacity] = []
    for strategy in options.strategies:
        counter = [0]

        def one_step(rate: float, repeat: int, strategy: str = strategy, counter: list[int] = counter) -> StepResult:
            counter[0] += 1
            name = f"step-{counter[0]:02d}-{rate:g}per_s{f'-r{repeat}' if repeat else ''}"
            sub = RunDirectory(run.path / strategy / name)
            swarm = run_swarm(env, config, options.swarm(strategy, rate, repeat), sub)
            step = step_result(options, strategy, rate, repeat, swarm, str(sub.path.relative_to(run.path)))
            say(f"{strategy} {rate:g}/s{f' (repeat {repeat})' if repeat else ''}: {step.verdict}, "
                f"p50 {_ms(step.p50_ms)} p99 {_ms(step.p99_ms)} (open model, response time), achieved "
                f"{step.achieved_per_s:.1f}/s{'; ' + '; '.join(step.reasons) if step.reasons else ''}")
            return step

        results.append(search(strategy, options.slo, options.search, one_step))
    document = {"model": "open", "slo": str(options.slo), "slo_label": options.slo.label,
                "slo_limit_ms": options.slo.limit_ms, "workload": options.workload, "transport": options.transport,
                "max_users": options.max_users, "step_s": options.step_s, "warmup_s": options.warmup_s,
                "arrivals": options.arrivals, "shipping": options.shipping, "strategies": results}
    record = CAPACITY.record.model_validate(to_jsonable(document))
    run.write_record(CAPACITY, record)
    return record


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}ms"
