"""Run the capacity search (loadtests/capacity.py) with real open-model steps, all in one long-lived Locust
process (loadtests/step_driver.py; the HTTP transport: one per strategy, as the API serves one).

Each strategy first runs a short unjudged warm-up step (its code paths, the pool, the database's caches),
then the search's steps. Every step is judged by its ledger and the invariant checker against the XP read
just before it (plsync/capacity_steps.py); the first seconds of each step's schedule are its warm-up window
(sent, left out of the figures).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from fixtures import children
from fixtures.provision import Environment
from loadtests.arrivals import ArrivalPlan
from loadtests.capacity import SearchPlan, Slo, StepResult, StrategyCapacity, search
from plsync.capacity_steps import Population, StepDriverProcess, StepOrder, run_step, step_result, timed
from plsync.records.capacity import CapacityRecord
from plsync.records.files import CAPACITY
from plsync.rundir import RunDirectory, to_jsonable
from plsync.swarm import start_api
from system.config import SystemConfig
from system.db import Database
from system.errors import ConfigurationError
from system.strategies import strategy_class


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
    #: Each strategy's unjudged warm-up step, at the search's start rate (0: none).
    warmup_step_s: float = 3.0

    def __post_init__(self) -> None:
        if not self.strategies:
            raise ConfigurationError("name at least one strategy")
        if not 0 <= self.warmup_s < self.step_s:
            raise ConfigurationError("each step must last longer than its warm-up")
        if self.transport not in ("direct", "http"):
            raise ConfigurationError(f"unknown transport {self.transport!r} (direct or http)")
        if not 1 <= self.max_users <= 250:
            raise ConfigurationError("the pool of users must be 1 to 250 (the server's connections)")
        if self.students < 1 or self.warmup_step_s < 0:
            raise ConfigurationError("students must be positive and the warm-up step not negative")
        for strategy in self.strategies:
            strategy_class(strategy)
        self.plan(self.search.start_per_s, 0)  # every step's schedule is valid before the first one starts

    def plan(self, rate: float, repeat: int) -> ArrivalPlan:
        return ArrivalPlan(rate, self.arrivals, self.max_users, self.late_limit_s, seed=42 + repeat,
                           warmup_s=self.warmup_s)

    def order(self, step_id: int, directory: str, strategy: str, rate: float, repeat: int,
              run_time_s: float | None = None) -> StepOrder:
        plan = self.plan(rate, repeat)
        return StepOrder(step_id, directory, strategy, rate, run_time_s or self.step_s,
                         0.0 if run_time_s else plan.warmup_s, plan.arrivals, plan.late_limit_s, plan.seed)


def _driver_setup(env: Environment, options: CapacityOptions, host: str | None = None,
                  secret: str | None = None) -> dict[str, Any]:
    return {"transport": options.transport, "database_url": env.database_url, "max_users": options.max_users,
            "workload": options.workload, "redis_url": env.redis_url, "host": host, "api_secret": secret}


def run_capacity(env: Environment, config: SystemConfig, options: CapacityOptions, run: RunDirectory, *,
                 say: Callable[[str], None] = print) -> CapacityRecord:
    say = timed(say)
    results: list[StrategyCapacity] = []
    admin = Database.connect(config, application_name="plsync-harness", pre_ping=True)
    seen = [0]  # the population generation the current driver last read
    try:
        population = Population(admin, options.students)
        population.rebuild()
        with ExitStack() as shared:
            driver: StepDriverProcess | None = None
            for strategy in options.strategies:
                with ExitStack() as own:
                    if options.transport == "http":  # the API serves one strategy: an API and a driver each
                        api, host = start_api(env, strategy, run.path / f"api-{strategy}.log", config.api_secret)
                        own.callback(children.stop, api)
                        driver = own.enter_context(StepDriverProcess(
                            _driver_setup(env, options, host, config.api_secret),
                            run.path / f"generator-{strategy}.log"))
                        seen[0] = population.generation
                    elif driver is None:
                        driver = shared.enter_context(StepDriverProcess(_driver_setup(env, options),
                                                                        run.path / "generator.log"))
                        seen[0] = population.generation
                    results.append(_search(driver, population, seen, options, strategy, run, say))
    finally:
        admin.dispose()
    document = {"model": "open", "slo": str(options.slo), "slo_label": options.slo.label,
                "slo_limit_ms": options.slo.limit_ms, "workload": options.workload, "transport": options.transport,
                "max_users": options.max_users, "step_s": options.step_s, "warmup_s": options.warmup_s,
                "warmup_step_s": options.warmup_step_s, "min_per_s": options.search.min_per_s,
                "arrivals": options.arrivals, "shipping": options.shipping, "strategies": results}
    record = CAPACITY.record.model_validate(to_jsonable(document))
    run.write_record(CAPACITY, record)
    return record


def _search(driver: StepDriverProcess, population: Population, seen: list[int], options: CapacityOptions,
            strategy: str, run: RunDirectory, say: Callable[[str], None]) -> StrategyCapacity:
    counter = [0]
    if options.warmup_step_s:
        warm = run.path / strategy / "warmup"
        run_step(driver, population, options.order(0, str(warm), strategy, options.search.start_per_s, 0,
                                                   run_time_s=options.warmup_step_s), seen_generation=seen)
        say(f"{strategy}: warmed up ({options.warmup_step_s:g}s at {options.search.start_per_s:g}/s, not judged)")

    def one_step(rate: float, repeat: int) -> StepResult:
        counter[0] += 1
        name = f"step-{counter[0]:02d}-{rate:g}per_s{f'-r{repeat}' if repeat else ''}"
        directory = run.path / strategy / name
        done = run_step(driver, population, options.order(counter[0], str(directory), strategy, rate, repeat),
                        seen_generation=seen)
        step = step_result(options.slo, strategy, rate, repeat, done, str(directory.relative_to(run.path)))
        say(f"{strategy} {rate:g}/s{f' (repeat {repeat})' if repeat else ''}: {step.verdict}, "
            f"p50 {_ms(step.p50_ms)} p99 {_ms(step.p99_ms)} (open model, response time), achieved "
            f"{step.achieved_per_s:.1f}/s{'; ' + '; '.join(step.reasons) if step.reasons else ''}")
        return step

    return search(strategy, options.slo, options.search, one_step)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}ms"
