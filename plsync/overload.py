"""An overload run: offer the HTTP API ``factor`` times its capacity for a while, then drop back, and measure
what it did (goodput, latency of what it admitted, what it shed and how fast, its memory, its recovery),
with the ledger and the invariant checker judging the writes as in any swarm.

The capacity is given, or calibrated: a short closed-model HTTP swarm (its users each wait for their reply, so
it runs the API flat out without overloading its queue) and its admitted replies per second, once before the
overload (the rates are sized from it) and once after it (the goodput is judged against their mean). The
schedule is one open-model swarm (plsync/swarm.py) in three phases: half the capacity (``before``), factor x
capacity (``overload``), half the capacity again (``after``), as inline rate stages. Its Locust process
counts every second and phase (loadtests/intervals.py) while a thread here samples the API's resident memory
every half second; plsync/overload_figures.py turns both into the figures. Both swarms run with the generator
on a core of its own and the system on the others (plsync/cpu_split.py) unless ``split_cores`` is off.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from fixtures.provision import Environment
from loadtests.arrivals import ArrivalPlan
from loadtests.intervals import Phases, merge
from loadtests.stages import Stage, inline
from plsync.cpu_split import Pinning, split_cores
from plsync.overload_figures import OverloadFigures, api_cores, compute, per_core_ratio
from plsync.records.files import OVERLOAD
from plsync.records.overload import OverloadRecord
from plsync.rundir import RunDirectory, to_jsonable
from plsync.swarm import INTERVALS_FILE, SwarmOptions, SwarmResult, run_swarm
from plsync.swarm_sampling import RssSampler
from system.config import SystemConfig
from system.errors import ConfigurationError

#: Below this many seconds a phase is too short for its timing figures to be judged (smoke sizes).
MIN_TIMED_PHASE_S = 10
RSS_EVERY_S = 0.5


@dataclass(frozen=True, kw_only=True)
class OverloadOptions:
    strategy: str = "coupled"
    workload: str = "hotspot"
    factor: float = 3.0
    overload_s: int = 60
    phase_s: int = 20
    #: None: calibrated by a closed-model swarm of ``calibration_users`` for ``calibration_s``.
    capacity_per_s: float | None = None
    calibration_s: int = 10
    #: Enough to keep the API's pool (5 connections) busy, few enough that the queue behind it stays short of
    #: the standing-queue wait (0.1 s): with 64 the API shed a quarter of the calibration's requests and the
    #: capacity read 272/s, against 360-384/s with 16-32 users on the same core.
    calibration_users: int = 24
    #: The open model's pool: enough to keep factor x capacity in flight while the API makes some wait (with
    #: 400 the pool, not the API, refused most of a 3x overload: every user was waiting on a reply).
    max_users: int = 1000
    #: A slot that cannot find a free user within this is dropped (counted), not queued: a longer wait would
    #: be the generator's own backlog, lived through by the requests behind it and drained after the overload.
    late_limit_s: float = 1.0
    arrivals: str = "poisson"
    students: int = 1000
    #: Run the generator on a core of its own and the system on the others (plsync/cpu_split.py); off: they
    #: share every core, and only the goodput per API core compares the system with itself.
    split_cores: bool = True

    def __post_init__(self) -> None:
        if not 1 < self.factor <= 10:
            raise ConfigurationError(f"the overload factor must be above 1 and at most 10, not {self.factor:g}")
        if self.overload_s < 1 or self.phase_s < 1 or self.calibration_s < 1:
            raise ConfigurationError("the overload, phase and calibration times must be at least 1 s")
        if self.capacity_per_s is not None and self.capacity_per_s <= 0:
            raise ConfigurationError("the capacity must be positive")
        self.swarm(self.capacity_per_s or 10.0)  # the swarm it will run is valid before anything starts

    @property
    def run_time_s(self) -> int:
        return 2 * self.phase_s + self.overload_s

    @property
    def sizing(self) -> str:
        return "full" if min(self.phase_s, self.overload_s) >= MIN_TIMED_PHASE_S else "short phases"

    def stages(self) -> str:
        """Half the capacity, factor x capacity, half the capacity: fractions of the overload rate."""
        total, low = self.run_time_s, 0.5 / self.factor
        return inline((Stage(self.phase_s / total, low), Stage((self.phase_s + self.overload_s) / total, 1.0),
                       Stage(1.0, low)))

    def swarm(self, capacity_per_s: float) -> SwarmOptions:
        plan = ArrivalPlan(self.factor * capacity_per_s, self.arrivals, self.max_users, self.late_limit_s,
                           stages=self.stages())
        return SwarmOptions(strategy=self.strategy, workload=self.workload, users=self.max_users,
                            spawn_rate=self.max_users, run_time_s=self.run_time_s, transport="http",
                            students=self.students, open_model=plan,
                            phases=Phases(self.phase_s, self.phase_s + self.overload_s))

    def calibration(self) -> SwarmOptions:
        return SwarmOptions(strategy=self.strategy, workload=self.workload, users=self.calibration_users,
                            spawn_rate=self.calibration_users, run_time_s=self.calibration_s, transport="http",
                            students=self.students)


def admitted_per_s(result: SwarmResult) -> float:
    """A closed-model swarm's replies that did what they were asked, per second: Locust's requests per second
    over its steady window (from the second sample with every user running: the first still counts spawning
    and connecting) times the share of the ledger's entries that were ok; over the whole run when the
    timeline is too short for a window."""
    ok_share = _ok_share(result)
    full = [p for p in result.timeline if p.users >= result.users][1:]
    if len(full) >= 2 and full[-1].t_s > full[0].t_s:
        rate = (full[-1].total_requests - full[0].total_requests) / (full[-1].t_s - full[0].t_s)
        return rate * ok_share
    return result.ledger.get("ok", 0) / result.run_time_s


@dataclass(frozen=True)
class Calibration:
    capacity_per_s: float
    #: Cores each process group kept busy meanwhile (on a shared machine the API's share of the CPU during
    #: the calibration and during the overload may differ: the per-core ratio reads with both).
    cores: dict[str, float]
    #: The share of its requests that were not ok: the API shed them, so the calibration overloaded it.
    shed_share: float


def calibrate(env: Environment, config: SystemConfig, options: OverloadOptions, run: RunDirectory,
              pinning: Pinning | None = None) -> Calibration:
    result = run_swarm(env, config, options.calibration(), run, pinning=pinning)
    capacity = admitted_per_s(result)
    if capacity <= 0:
        raise ConfigurationError(f"the calibration swarm admitted nothing; see {run.path}")
    return Calibration(capacity, _cores(result), 1 - _ok_share(result))


def _ok_share(result: SwarmResult) -> float:
    entries = sum(result.ledger.values())
    return result.ledger.get("ok", 0) / entries if entries else 0.0


def _cores(result: SwarmResult) -> dict[str, float]:
    return {g.group: round(g.cores_busy, 2) for g in result.cpu.groups} if result.cpu else {}


def run_overload(env: Environment, config: SystemConfig, options: OverloadOptions, run: RunDirectory, *,
                 say: Callable[[str], None] = print) -> OverloadRecord:
    split = split_cores() if options.split_cores else None
    with Pinning(split) if split else nullcontext() as pinning:
        if split:
            say(f"overload: the generator on core {_cores_text(split.generator)}, the API and its servers on "
                f"{_cores_text(split.system)}")
        return _run_overload(env, config, options, run, say, pinning)


def _cores_text(cpus: tuple[int, ...]) -> str:
    return ", ".join(map(str, cpus))


def _run_overload(env: Environment, config: SystemConfig, options: OverloadOptions, run: RunDirectory,
                  say: Callable[[str], None], pinning: Pinning | None) -> OverloadRecord:
    capacity = options.capacity_per_s
    calibrations: list[Calibration] = []
    if capacity is None:
        say(f"overload: calibrating: closed model, {options.calibration_users} HTTP users for "
            f"{options.calibration_s}s")
        calibrations.append(calibrate(env, config, options, RunDirectory(run.path / "calibration"), pinning))
        capacity = calibrations[0].capacity_per_s
    plan = options.swarm(capacity)
    how = "calibrated" if calibrations else "given"
    say(f"overload: capacity {capacity:.1f}/s ({how}); offering {capacity / 2:.1f}/s for "
        f"{options.phase_s}s, {options.factor:g}x = {options.factor * capacity:.1f}/s for {options.overload_s}s, "
        f"{capacity / 2:.1f}/s for {options.phase_s}s (open model, {options.arrivals}, at most "
        f"{options.max_users} users)")
    samplers: list[RssSampler] = []

    def watch(pid: int) -> RssSampler:
        samplers.append(RssSampler(pid, RSS_EVERY_S))
        return samplers[-1]

    swarm_dir = RunDirectory(run.path / "swarm")
    load = [os.getloadavg()[0]]
    result = run_swarm(env, config, plan, swarm_dir, api_watch=watch, pinning=pinning)
    load.append(os.getloadavg()[0])
    if calibrations:
        say(f"overload: calibrating again after it ({calibrations[0].capacity_per_s:.1f}/s before): the machine's "
            "speed drifts, the goodput is judged against both")
        calibrations.append(calibrate(env, config, options, RunDirectory(run.path / "calibration-after"), pinning))
    judged = judged_capacity(calibrations) if calibrations else capacity
    record = build_record(options, plan, judged, _source(options, calibrations), result, swarm_dir,
                          samplers[0].samples if samplers else [])
    cores = _overload_cores(swarm_dir, samplers[0].cpu if samplers else [], options)
    calibration_cores = _mean_cores(calibrations)
    per_core = per_core_ratio(record.goodput_per_s, judged, cores, calibration_cores.get("api"))
    isolated = pinning is not None and not pinning.refused and "api" in pinning.pinned
    findings = [*record.findings, *_calibration_findings(calibrations)]
    record = record.model_copy(update={
        "calibrations_per_s": [c.capacity_per_s for c in calibrations],
        "load_average": load, "calibration_cpu_cores": calibration_cores, "api_cores_overload": cores,
        "goodput_per_core_ratio": per_core, "goodput_basis": "plain" if isolated else "per API core",
        "goodput_judged_ratio": record.goodput_ratio if isolated else per_core,
        "calibration_shed_share": max(c.shed_share for c in calibrations) if calibrations else None,
        "cpu_split": _split_record(pinning), "pinned": pinning.pinned if pinning else {},
        "not_pinned": pinning.refused if pinning else {}, "findings": findings,
        "run_dir": str(swarm_dir.path.relative_to(run.path))})
    run.write_record(OVERLOAD, record)
    return record


def judged_capacity(calibrations: list[Calibration]) -> float:
    """What the goodput is judged against: the mean of the calibrations before and after the overload.

    This machine's speed drifts by tens of percent within a minute (a fixed CPU loop on an idle core ran at
    2,288 to 4,443 iterations a second within 30 s; eight back-to-back 10 s calibrations read 336 to 490/s
    with the API and PostgreSQL as busy in each): a capacity measured only before the overload compares the
    overload's minute with another moment. Bracketing it, as a benchmark alternates its arms, halves a
    linear drift's effect and averages two moments' noise."""
    return sum(c.capacity_per_s for c in calibrations) / len(calibrations)


def _source(options: OverloadOptions, calibrations: list[Calibration]) -> str:
    if not calibrations:
        return "given"
    readings = " and ".join(f"{c.capacity_per_s:.1f}/s" for c in calibrations)
    when = "before the overload and again after it" if len(calibrations) > 1 else "before the overload"
    return (f"calibrated: closed model, {options.calibration_users} HTTP users for {options.calibration_s} s "
            f"{when}, ok replies per second over each steady window: {readings}; the rates were sized from the "
            f"first{', the goodput is judged against their mean' if len(calibrations) > 1 else ''}")


def _mean_cores(calibrations: list[Calibration]) -> dict[str, float]:
    """Each group's cores averaged over the calibrations that measured it (a short one may have no steady
    window to measure in: counting it as 0 would halve the mean and double the per-core ratio)."""
    groups = {group for c in calibrations for group in c.cores}
    return {group: round(sum(values) / len(values), 2) for group in sorted(groups)
            for values in [[c.cores[group] for c in calibrations if group in c.cores]]}


#: Above this share of its requests shed, the calibration overloaded the API itself: the capacity reads low.
CALIBRATION_SHED_MAX = 0.01


def _calibration_findings(calibrations: list[Calibration]) -> list[str]:
    return [f"calibration {which}: the API shed {c.shed_share:.1%} of its requests: the closed model overloaded "
            "it, so the capacity reads low (fewer calibration users would measure it)"
            for which, c in zip(("before", "after"), calibrations, strict=False) if c.shed_share > CALIBRATION_SHED_MAX]


def _split_record(pinning: Pinning | None) -> dict[str, list[int]]:
    if pinning is None:
        return {}
    return {"generator": list(pinning.split.generator), "system": list(pinning.split.system)}


def _overload_cores(swarm_dir: RunDirectory, cpu: list[tuple[float, float]], options: OverloadOptions
                    ) -> float | None:
    intervals_file = swarm_dir.path / INTERVALS_FILE
    if not intervals_file.exists():
        return None
    epoch = merge(json.loads(intervals_file.read_text())["processes"]).epoch
    return api_cores(cpu, epoch, options.phase_s, options.phase_s + options.overload_s)


def build_record(options: OverloadOptions, plan: SwarmOptions, capacity: float, source: str, result: SwarmResult,
                 swarm_dir: RunDirectory, rss: list[tuple[float, int]]) -> OverloadRecord:
    intervals_file = swarm_dir.path / INTERVALS_FILE
    note, figures = "", None
    if intervals_file.exists():
        document = json.loads(intervals_file.read_text())
        figures = compute(merge(document["processes"]), capacity, float(options.run_time_s), rss)
    else:
        note = f"the Locust process wrote no {INTERVALS_FILE}: nothing per second was measured"
    latency = result.latency
    dispatch = latency.dispatch_lag.get("p99") if latency and latency.dispatch_lag else None
    assert plan.open_model is not None
    # The swarm's latency and failure-ratio thresholds are a steady swarm's: under overload the 503s are the
    # point. What else it found (invariants, missing histograms) stays.
    expected = {*result.threshold_failures, *result.closed_latency_findings}
    findings = [f"swarm: {f}" for f in result.failures_of_gates if f not in expected]
    body = {
        "model": "open", "strategy": options.strategy, "workload": options.workload, "transport": "http",
        "arrivals": options.arrivals, "capacity_per_s": capacity, "capacity_source": source,
        "factor": options.factor, "phase_s": options.phase_s, "overload_s": options.overload_s,
        "before_rate_per_s": plan.open_model.rate_per_s / options.factor / 2,
        "overload_rate_per_s": plan.open_model.rate_per_s,
        "max_users": options.max_users, "late_limit_s": options.late_limit_s, "sizing": options.sizing,
        **_figures(figures, options),
        "dispatch_lag_p99_ms": dispatch, "generator_limited": bool(latency and latency.generator_limited),
        "cpu_cores": _cores(result),
        "lost_xp": result.lost_xp, "unacknowledged_xp": result.unacknowledged_xp,
        "desynced_pairs": result.desynced_pairs, "invariant_violations": result.invariant_violations,
        "ledger": result.ledger, "note": note, "findings": findings}
    return OverloadRecord.model_validate(to_jsonable(body))


def _figures(figures: OverloadFigures | None, options: OverloadOptions) -> dict[str, object]:
    if figures is None:
        empty: dict[str, object] = dict.fromkeys((
            "pre_overload_p99_ms", "overload_p99_ms", "refusal_p50_ms", "refusal_p99_ms", "recovery_s",
            "recovery_bound_s", "rss_before_mb", "rss_peak_mb", "rss_end_mb", "rss_growth_mb"))
        return empty | {"goodput_per_s": 0.0, "goodput_ratio": 0.0, "shed_share": 0.0, "errors": 0, "phases": [],
                        "seconds": [], "rss": []}
    values = dataclasses.asdict(figures)
    values.pop("capacity_per_s")
    values["overload_shed"] = next(p.shed for p in figures.phases if p.phase == "overload")
    bound = figures.recovery_s
    if bound is None and figures.pre_overload_p99_ms is not None:
        bound = float(options.phase_s)  # not back within the after phase: at least that long
    return values | {"recovery_bound_s": bound}
