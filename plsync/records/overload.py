"""Record of an overload run (``plsync swarm --overload`` and the readiness ``overload`` stage): ``overload.json``,
what the API did with 2-3x its capacity offered for a while (plsync/overload_figures.py states every rule)."""

from __future__ import annotations

from pydantic import Field

from plsync.records.base import Record


class OverloadPhaseRecord(Record):
    """One phase (before, overload, after), by each request's intended start; latencies in ms."""

    phase: str
    seconds: float
    offered: int
    admitted: int
    shed: int
    refused: int
    errors: int
    dropped_late: int
    admitted_p50_ms: float | None
    admitted_p99_ms: float | None
    admitted_service_p99_ms: float | None
    shed_service_p50_ms: float | None
    shed_service_p99_ms: float | None
    shed_service_max_ms: float | None


class OverloadSecondRecord(Record):
    """One second of the schedule: offered and dropped late by intended second, replies by completion second,
    the admitted p99 by intended second (exact)."""

    second: int
    phase: str
    offered: int
    admitted: int
    shed: int
    refused: int
    errors: int
    dropped_late: int
    admitted_p99_ms: float | None


class RssPointRecord(Record):
    second: float
    rss_mb: float


class OverloadRecord(Record):
    """The overload run: how it was sized, its figures, and what the ledger and the invariant checker found."""

    model: str
    strategy: str
    workload: str
    transport: str
    arrivals: str
    #: What the goodput is judged against: the mean of the closed-model calibrations before and after the
    #: overload (``calibrations_per_s``; the rates were sized from the first), or the capacity given.
    capacity_per_s: float
    #: Each calibration's admitted rate, before the overload and after it (empty when the capacity was given).
    calibrations_per_s: list[float] = Field(default_factory=list)
    capacity_source: str
    factor: float
    phase_s: int
    overload_s: int
    before_rate_per_s: float
    overload_rate_per_s: float
    max_users: int
    late_limit_s: float
    #: ``full`` or ``short phases`` (a smoke profile's): the timing gates exempt the latter, they do not pass it.
    sizing: str
    goodput_per_s: float
    goodput_ratio: float
    #: Cores the API kept busy during the overload phase, and the goodput ratio per API core (see
    #: plsync/overload_figures.py): None when the capacity was given or the CPU was not sampled.
    api_cores_overload: float | None = None
    goodput_per_core_ratio: float | None = None
    #: The cores the generator and the system ran on (plsync/cpu_split.py), e.g. {"generator": [0], "system":
    #: [1]}; empty when they shared every core.
    cpu_split: dict[str, list[int]] = Field(default_factory=dict)
    #: The process groups pinned to those cores, and those that could not be (with why).
    pinned: dict[str, list[int]] = Field(default_factory=dict)
    not_pinned: dict[str, str] = Field(default_factory=dict)
    #: What the goodput gate reads (``goodput_basis``): ``plain``, ``goodput_ratio``, when the generator had a
    #: core of its own and every process of the system was pinned away from it; ``per API core`` otherwise.
    goodput_basis: str = "per API core"
    goodput_judged_ratio: float | None = None
    #: The calibration's requests that were not ok (shed, mostly): above 1 % the calibration overloaded the API
    #: itself and the capacity reads low (a finding). None when the capacity was given.
    calibration_shed_share: float | None = None
    shed_share: float
    #: 503s of shedding to requests intended during the overload: none means the overload never got past the
    #: API's queue (the generator's pool held it back), and the run measured no shedding at all.
    overload_shed: int = 0
    #: The before phase's admitted p99 without its first ``warmup_s`` seconds (the swarm's fresh API's cold
    #: start): what the recovery is judged against.
    pre_overload_p99_ms: float | None
    warmup_s: int = 0
    overload_p99_ms: float | None
    refusal_p50_ms: float | None
    refusal_p99_ms: float | None
    #: None: no window of the after phase came back within the pre-overload p99.
    recovery_s: float | None
    #: What the recovery gate reads: ``recovery_s``, or the after phase's length when it did not recover (it
    #: took at least that long); None only when there is no pre-overload p99 to come back to.
    recovery_bound_s: float | None
    rss_before_mb: float | None
    rss_peak_mb: float | None
    rss_end_mb: float | None
    rss_growth_mb: float | None
    #: Replies that were 5xx other than the 503 of shedding, or no reply at all.
    errors: int
    dispatch_lag_p99_ms: float | None
    generator_limited: bool
    #: Cores busy per process group over the swarm's steady window (locust: the generator, api, postgres,
    #: and the whole machine): on a shared box the generator competes with the API it overloads.
    cpu_cores: dict[str, float] = Field(default_factory=dict)
    #: The same during the calibrations, their mean (empty when the capacity was given).
    calibration_cpu_cores: dict[str, float] = Field(default_factory=dict)
    #: The machine's 1-minute load average when the swarm started and when it ended (other work included).
    load_average: list[float] = Field(default_factory=list)
    lost_xp: int
    unacknowledged_xp: int
    desynced_pairs: int
    invariant_violations: int
    ledger: dict[str, int]
    phases: list[OverloadPhaseRecord]
    seconds: list[OverloadSecondRecord]
    rss: list[RssPointRecord]
    #: The swarm's directory, relative to this file's (its swarm.json, histograms.json, intervals.json, logs).
    run_dir: str = ""
    #: Why a figure could not be measured, when one could not.
    note: str = ""
    findings: list[str] = Field(default_factory=list)
