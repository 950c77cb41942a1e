"""An overload run's figures, computed from its per-second counts and memory samples (pure: tested on exact
numbers).

The rules, stated once (the README and the report repeat them):

- **goodput**: replies admitted (2xx) per second, by completion second, averaged over the whole seconds of
  the overload phase; its ratio is against the capacity (the mean of the calibrations before and after the
  overload, plsync/overload.py ``judged_capacity``, or the capacity given);
- **goodput per API core**: the same ratio, each side divided by the cores the API kept busy meanwhile (its
  CPU time sampled with its memory during the overload; the calibration's steady window). When the generator
  shares the API's cores it takes more of them to offer 3x than to calibrate, so the API serves the overload
  on less CPU than it was calibrated with (0.52 against 0.65-0.72 cores in runs here): this ratio is then the
  API's, the plain one also the machine's. With the generator on a core of its own (plsync/cpu_split.py) the
  plain ratio is the system's. A refusal's CPU is the API's own and lowers both;
- **shed share**: of the requests whose intended start fell in the overload phase, the share answered 503
  (load shed); refused (other 4xx), errors (other 5xx or no reply) and dropped late (never sent: the
  generator's pool was busy) are counted beside it;
- **refusal time**: the service time (send to reply) of the 503s of the overload phase;
- **admitted p99**: the response time from the intended start (open model) of the admitted requests, per
  phase, from HdrHistograms; the **pre-overload p99** is the ``before`` phase's without its first
  ``warmup_s`` seconds (exact, nearest rank): the swarm's API is a fresh process, and its first second (pool
  connections opened, statements prepared, 1,000 users connecting) read a p99 of 447-721 ms against 20-190 ms
  for the rest of the phase in every run measured, so it lifted the phase's p99 to 258-517 ms and the
  recovery was judged against the cold start;
- **recovery**: seconds from the end of the overload to the start of the first one-second window (by
  intended start) after it whose admitted requests' p99 (exact, nearest rank) is within the pre-overload
  p99; None when no window of the ``after`` phase is;
- **memory growth**: the API's highest resident memory from the overload's start on, minus its last sample
  before the overload began.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtests.intervals import PHASES, MergedIntervals, exact_percentile

MB = 1024 * 1024
#: Seconds at the before phase's start left out of the pre-overload p99 (at most half the phase).
WARMUP_S = 2


@dataclass(frozen=True)
class SecondRow:
    second: int
    phase: str
    offered: int
    admitted: int
    shed: int
    refused: int
    errors: int
    dropped_late: int
    #: Of the requests intended in this second that were admitted (response time from the intended start).
    admitted_p99_ms: float | None


@dataclass(frozen=True)
class PhaseFigures:
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

    @property
    def offered_per_s(self) -> float:
        return self.offered / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class RssPoint:
    #: Seconds from the schedule's start (negative: sampled before it began).
    second: float
    rss_mb: float


@dataclass(frozen=True)
class OverloadFigures:
    capacity_per_s: float
    goodput_per_s: float
    goodput_ratio: float
    shed_share: float
    pre_overload_p99_ms: float | None
    #: Seconds at the before phase's start the pre-overload p99 leaves out.
    warmup_s: int
    overload_p99_ms: float | None
    refusal_p50_ms: float | None
    refusal_p99_ms: float | None
    recovery_s: float | None
    rss_before_mb: float | None
    rss_peak_mb: float | None
    rss_end_mb: float | None
    rss_growth_mb: float | None
    errors: int
    phases: list[PhaseFigures]
    seconds: list[SecondRow]
    rss: list[RssPoint]


def _phase_of(second: int, merged: MergedIntervals) -> str:
    return merged.phases.of(second)


def second_rows(merged: MergedIntervals) -> list[SecondRow]:
    series = merged.series
    return [SecondRow(s, _phase_of(s, merged), series["offered"][s], series["admitted"][s], series["shed"][s],
                      series["refused"][s], series["errors"][s], series["dropped_late"][s],
                      exact_percentile(merged.admitted_ms[s], 99.0))
            for s in range(merged.seconds)]


def phase_figures(merged: MergedIntervals, schedule_s: float) -> list[PhaseFigures]:
    start, end = merged.phases.overload_start_s, merged.phases.overload_end_s
    spans = {"before": start, "overload": end - start, "after": max(0.0, schedule_s - end)}
    rows = []
    for phase in PHASES:
        counts, hist = merged.phase_counts[phase], merged.histograms[phase]
        shed = hist["shed_service"]
        rows.append(PhaseFigures(
            phase, spans[phase], counts["offered"], counts["admitted"], counts["shed"], counts["refused"],
            counts["errors"], counts["dropped_late"], hist["admitted_response"].percentile_ms(50.0),
            hist["admitted_response"].percentile_ms(99.0), hist["admitted_service"].percentile_ms(99.0),
            shed.percentile_ms(50.0), shed.percentile_ms(99.0),
            shed.hdr.get_max_value() / 1000 if shed.count else None))
    return rows


def goodput_per_s(merged: MergedIntervals) -> float:
    """Admitted replies per second over the whole seconds of the overload phase (by completion second)."""
    first, last = int(merged.phases.overload_start_s), int(merged.phases.overload_end_s)
    seconds = range(first, min(last, merged.seconds))
    return sum(merged.series["admitted"][s] for s in seconds) / len(seconds) if seconds else 0.0


def warmup_s(start_s: float) -> int:
    return min(WARMUP_S, int(start_s) // 2)


def pre_overload_p99_ms(merged: MergedIntervals, warmup: int) -> float | None:
    """The admitted requests' p99 (exact, nearest rank) over the before phase's seconds after ``warmup``."""
    start = min(int(merged.phases.overload_start_s), merged.seconds)
    return exact_percentile(sorted(v for s in range(warmup, start) for v in merged.admitted_ms[s]), 99.0)


def recovery_s(rows: list[SecondRow], end_s: float, pre_p99_ms: float | None) -> float | None:
    """Seconds from the overload's end to the first window after it back within the pre-overload p99."""
    if pre_p99_ms is None:
        return None
    for row in rows:
        if row.second >= end_s and row.admitted_p99_ms is not None and row.admitted_p99_ms <= pre_p99_ms:
            return row.second - end_s
    return None


def rss_points(samples: list[tuple[float, int]], epoch: float | None) -> list[RssPoint]:
    if epoch is None:
        return []
    return [RssPoint(round(at - epoch, 3), round(rss / MB, 2)) for at, rss in samples]


def rss_figures(points: list[RssPoint], start_s: float) -> tuple[float | None, float | None, float | None,
                                                                  float | None]:
    """(before, peak from the overload's start on, last, growth) in MB; None where no sample says."""
    before = [p.rss_mb for p in points if p.second < start_s]
    during = [p.rss_mb for p in points if p.second >= start_s]
    base = before[-1] if before else None
    peak = max(during) if during else None
    growth = None if base is None or peak is None else round(peak - base, 2)
    return base, peak, points[-1].rss_mb if points else None, growth


def api_cores(samples: list[tuple[float, float]], epoch: float | None, start_s: float, end_s: float
              ) -> float | None:
    """Cores the API kept busy between two schedule seconds, from its CPU time sampled at wall-clock times
    (``epoch``: the schedule's start); None without two samples in the span."""
    if epoch is None:
        return None
    inside = [(at - epoch, cpu) for at, cpu in samples if start_s <= at - epoch <= end_s]
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return None
    return round((inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]), 3)


def per_core_ratio(goodput_per_s: float, capacity_per_s: float, overload_cores: float | None,
                   calibration_cores: float | None) -> float | None:
    """Goodput per API core against the capacity per API core (None when either side's cores are unknown)."""
    if not overload_cores or not calibration_cores or capacity_per_s <= 0:
        return None
    return (goodput_per_s / overload_cores) / (capacity_per_s / calibration_cores)


def compute(merged: MergedIntervals, capacity_per_s: float, schedule_s: float,
            rss_samples: list[tuple[float, int]]) -> OverloadFigures:
    rows = second_rows(merged)
    phases = phase_figures(merged, schedule_s)
    by_name = {p.phase: p for p in phases}
    overload = by_name["overload"]
    goodput = goodput_per_s(merged)
    warmup = warmup_s(merged.phases.overload_start_s)
    pre_p99 = pre_overload_p99_ms(merged, warmup)
    points = rss_points(rss_samples, merged.epoch)
    before, peak, last, growth = rss_figures(points, merged.phases.overload_start_s)
    return OverloadFigures(
        capacity_per_s, goodput, goodput / capacity_per_s if capacity_per_s else 0.0,
        overload.shed / overload.offered if overload.offered else 0.0, pre_p99, warmup, overload.admitted_p99_ms,
        overload.shed_service_p50_ms, overload.shed_service_p99_ms,
        recovery_s(rows, merged.phases.overload_end_s, pre_p99), before, peak, last, growth,
        sum(merged.series["errors"]), phases, rows, points)
