"""Second by second, and phase by phase: what an open-model run offered and how every request ended.

An overload run offers a rate in three phases (before, overload, after: ``Phases``); its figures need
more than one histogram over the whole run: goodput is a rate per second, recovery is the first second
whose latency is back to what it was before. So every Locust process running the open model with
``--plsync-intervals-out`` keeps, keyed by seconds from the schedule's start:

- per intended second: requests offered (queued by the schedule) and dropped late (never sent: the
  generator's own pool was busy), and the response time (from the intended start) of each admitted one,
  kept exactly (a second holds at most a few hundred values; its p99 is computed from them);
- per completion second: replies admitted (2xx), shed (503 ``OverloadedError``), refused (any other 4xx)
  and errors (other 5xx, or no reply at all);
- per phase (of the intended start): the same outcome counts, and HdrHistograms of the admitted requests'
  response and service times and of the shed requests' service time (how fast a refusal comes back).

Pure: no Locust or gevent import, so the harness merges and tests it as plain data.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from loadtests.histograms import LatencyHistogram
from system.errors import ConfigurationError

PHASES = ("before", "overload", "after")
OUTCOMES = ("admitted", "shed", "refused", "errors")
#: Per-second counters: the first two by intended second, the outcomes by completion second.
SERIES = ("offered", "dropped_late", *OUTCOMES)
PHASE_HISTOGRAMS = ("admitted_response", "admitted_service", "shed_service")
#: The ``error`` of the API's 503 when it sheds load (system.api.admission.OverloadedError).
SHED_ERROR = "OverloadedError"


@dataclass(frozen=True)
class Phases:
    """Where the overload begins and ends, in seconds from the schedule's start."""

    overload_start_s: float
    overload_end_s: float

    def __post_init__(self) -> None:
        if not 0 < self.overload_start_s < self.overload_end_s:
            raise ConfigurationError(f"the overload must start after the schedule and end after it starts: "
                                     f"{self.overload_start_s:g} s to {self.overload_end_s:g} s")

    def of(self, offset_s: float) -> str:
        if offset_s < self.overload_start_s:
            return "before"
        return "overload" if offset_s < self.overload_end_s else "after"

    def encode(self) -> str:
        return f"{self.overload_start_s!r},{self.overload_end_s!r}"

    @classmethod
    def decode(cls, text: str) -> Phases:
        start, end = (float(v) for v in text.split(","))
        return cls(start, end)


def outcome_of(status: int, error: str | None) -> str:
    """Which counter a reply goes to: a 503 is shed only when the API says it shed it (an overloaded
    database's 503 is an error like any other 5xx); status 0 is no reply."""
    if 200 <= status < 300:
        return "admitted"
    if status == 503 and error == SHED_ERROR:
        return "shed"
    if 400 <= status < 500:
        return "refused"
    return "errors"


class Intervals:
    """One process's counters and histograms (``snapshot()`` is what it writes; ``merge`` adds several)."""

    def __init__(self, phases: Phases) -> None:
        self.phases = phases
        self.series: dict[str, defaultdict[int, int]] = {name: defaultdict(int) for name in SERIES}
        self.admitted_ms: defaultdict[int, list[float]] = defaultdict(list)
        self.phase_counts = {p: dict.fromkeys(("offered", "dropped_late", *OUTCOMES), 0) for p in PHASES}
        self.histograms = {p: {h: LatencyHistogram() for h in PHASE_HISTOGRAMS} for p in PHASES}
        #: The schedule's start, wall clock (set when it starts): what other samples (memory) align to.
        self.epoch: float | None = None

    def offered(self, intended_s: float) -> None:
        self.series["offered"][int(intended_s)] += 1
        self.phase_counts[self.phases.of(intended_s)]["offered"] += 1

    def dropped(self, intended_s: float) -> None:
        self.series["dropped_late"][int(intended_s)] += 1
        self.phase_counts[self.phases.of(intended_s)]["dropped_late"] += 1

    def reply(self, intended_s: float, began_s: float, ended_s: float, status: int, error: str | None) -> None:
        """A request's end: its times in seconds from the schedule's start, its status (0: no reply)."""
        outcome = outcome_of(status, error)
        phase = self.phases.of(intended_s)
        self.series[outcome][int(ended_s)] += 1
        self.phase_counts[phase][outcome] += 1
        histograms = self.histograms[phase]
        if outcome == "admitted":
            self.admitted_ms[int(intended_s)].append(round((ended_s - intended_s) * 1000, 2))
            histograms["admitted_response"].record_seconds(ended_s - intended_s)
            histograms["admitted_service"].record_seconds(ended_s - began_s)
        elif outcome == "shed":
            histograms["shed_service"].record_seconds(ended_s - began_s)

    def snapshot(self) -> dict[str, Any]:
        return {"phases": [self.phases.overload_start_s, self.phases.overload_end_s], "epoch": self.epoch,
                "series": {name: {str(k): v for k, v in sorted(counts.items())}
                           for name, counts in self.series.items()},
                "admitted_ms": {str(k): v for k, v in sorted(self.admitted_ms.items())},
                "phase_counts": self.phase_counts,
                "histograms": {p: {h: hist.encode() for h, hist in hs.items()} for p, hs in self.histograms.items()}}


@dataclass(frozen=True)
class MergedIntervals:
    """Every process's share added up: dense per-second series from second 0 to the last one seen."""

    phases: Phases
    #: The schedule's start, wall clock (the earliest process's).
    epoch: float | None
    #: ``series[name][second]``.
    series: dict[str, list[int]]
    admitted_ms: list[list[float]]
    phase_counts: dict[str, dict[str, int]]
    histograms: dict[str, dict[str, LatencyHistogram]]

    @property
    def seconds(self) -> int:
        return len(self.admitted_ms)


def merge(snapshots: Iterable[dict[str, Any]]) -> MergedIntervals:
    shares = list(snapshots)
    if not shares:
        raise ValueError("no share of the intervals to merge")
    phases = Phases(*shares[0]["phases"])
    last = max((int(k) for s in shares for counts in (*s["series"].values(), s["admitted_ms"]) for k in counts),
               default=-1)
    series = {name: [0] * (last + 1) for name in SERIES}
    admitted: list[list[float]] = [[] for _ in range(last + 1)]
    counts = {p: dict.fromkeys(("offered", "dropped_late", *OUTCOMES), 0) for p in PHASES}
    histograms = {p: {h: LatencyHistogram() for h in PHASE_HISTOGRAMS} for p in PHASES}
    for share in shares:
        for name, by_second in share["series"].items():
            for second, value in by_second.items():
                series[name][int(second)] += value
        for second, values in share["admitted_ms"].items():
            admitted[int(second)].extend(values)
        for phase, phase_counts in share["phase_counts"].items():
            for key, value in phase_counts.items():
                counts[phase][key] += value
        for phase, encoded in share["histograms"].items():
            for name, blob in encoded.items():
                histograms[phase][name].add_encoded(blob)
    epochs = [float(s["epoch"]) for s in shares if s.get("epoch") is not None]
    return MergedIntervals(phases, min(epochs) if epochs else None, series, [sorted(v) for v in admitted], counts,
                           histograms)


def exact_percentile(sorted_values: list[float], percentile: float) -> float | None:
    """The nearest-rank percentile (the value at rank ceil(p/100 x n)), as HdrHistogram reports it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(percentile / 100 * len(sorted_values)))
    return sorted_values[rank - 1]
