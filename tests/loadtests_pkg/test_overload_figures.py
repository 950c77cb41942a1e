"""The overload run's figures from per-second counts and memory samples, against exact numbers."""

from __future__ import annotations

import pytest

from loadtests.arrivals import ArrivalPlan
from loadtests.intervals import Intervals, Phases, exact_percentile, merge, outcome_of
from loadtests.stages import parse_stages
from plsync.overload import OverloadOptions
from plsync.overload_figures import WARMUP_S, OverloadFigures, PhaseFigures, api_cores, compute, per_core_ratio
from system.errors import ConfigurationError

MB = 1024 * 1024


def recorded() -> Intervals:
    """Six seconds: before [0, 2), overload [2, 4), after [4, 6)."""
    iv = Intervals(Phases(2, 4))
    iv.epoch = 1000.0
    replies = [  # intended, began, ended, status, error
        (0.0, 0.0, 0.1, 200, None), (1.0, 1.0, 1.2, 200, None),
        (2.0, 2.0, 2.9, 200, None), (2.1, 2.1, 2.11, 503, "OverloadedError"), (2.2, 2.3, 3.5, 201, None),
        (3.0, 3.0, 3.02, 503, "OverloadedError"), (3.1, 3.1, 3.8, 200, None), (3.2, 3.2, 3.3, 0, None),
        (4.0, 4.0, 4.5, 200, None), (5.0, 5.0, 5.15, 200, None), (5.5, 5.5, 5.52, 409, None),
    ]
    for intended, began, ended, status, error in replies:
        iv.offered(intended)
        iv.reply(intended, began, ended, status, error)
    iv.offered(3.9)
    iv.dropped(3.9)
    return iv


def test_outcomes_by_status() -> None:
    assert [outcome_of(s, e) for s, e in ((200, None), (204, None), (503, "OverloadedError"), (503, None),
                                          (500, None), (409, None), (401, None), (0, None))] == [
        "admitted", "admitted", "shed", "errors", "errors", "refused", "refused", "errors"]


def test_exact_percentile_is_nearest_rank() -> None:
    assert exact_percentile(list(range(1, 101)), 99.0) == 99
    assert exact_percentile([1.0, 2.0], 99.0) == 2.0
    assert exact_percentile([7.0], 50.0) == 7.0
    assert exact_percentile([], 99.0) is None


def test_phases_are_validated_and_round_trip() -> None:
    assert Phases.decode(Phases(20, 80).encode()) == Phases(20, 80)
    assert [Phases(2, 4).of(t) for t in (0, 1.99, 2, 3.99, 4, 9)] == ["before", "before", "overload", "overload",
                                                                      "after", "after"]
    with pytest.raises(ConfigurationError):
        Phases(4, 2)


def test_merging_two_processes_adds_them() -> None:
    one, two = recorded().snapshot(), recorded().snapshot()
    merged = merge([one, two])
    assert merged.series["offered"] == [2, 2, 6, 8, 2, 4]
    assert merged.series["admitted"] == [2, 2, 2, 4, 2, 2]
    assert merged.series["shed"] == [0, 0, 2, 2, 0, 0]
    assert merged.phase_counts["overload"] == {"offered": 14, "dropped_late": 2, "admitted": 6, "shed": 4,
                                               "refused": 0, "errors": 2}
    assert merged.admitted_ms[2] == [900.0, 900.0, 1300.0, 1300.0]
    assert merged.histograms["overload"]["shed_service"].count == 4


def test_figures() -> None:
    rss = [(999.5, 100 * MB), (1001.9, 101 * MB), (1002.5, 130 * MB), (1005.0, 120 * MB)]
    figures = compute(merge([recorded().snapshot()]), 2.0, 6.0, rss)
    # Admitted by completion second over the overload's seconds 2 and 3: 1 and 2.
    assert figures.goodput_per_s == 1.5
    assert figures.goodput_ratio == 0.75
    # Of the 7 requests intended in the overload (one of them dropped late), 2 were shed.
    assert figures.shed_share == 2 / 7
    assert figures.errors == 1
    by_phase = {p.phase: p for p in figures.phases}
    assert (by_phase["overload"].offered, by_phase["overload"].dropped_late, by_phase["after"].refused) == (7, 1, 1)
    assert by_phase["overload"].offered_per_s == 3.5
    # The before phase without its first second (half of it, at most WARMUP_S): second 1's 200 ms, exact.
    assert figures.warmup_s == 1 and figures.pre_overload_p99_ms == 200.0
    # HdrHistogram figures: exact to 3 significant digits.
    assert figures.overload_p99_ms == pytest.approx(1300, rel=1e-3)
    assert figures.refusal_p50_ms == pytest.approx(10, rel=1e-3)
    assert figures.refusal_p99_ms == pytest.approx(20, rel=1e-3)
    # Second 4's admitted request took 500 ms (> 200), second 5's 150 ms: back 1 s after the overload ended.
    assert [s.admitted_p99_ms for s in figures.seconds] == [100.0, 200.0, 1300.0, 700.0, 500.0, 150.0]
    assert figures.recovery_s == 1.0
    assert (figures.rss_before_mb, figures.rss_peak_mb, figures.rss_end_mb, figures.rss_growth_mb) == (
        101.0, 130.0, 120.0, 29.0)
    assert [p.second for p in figures.rss] == [-0.5, 1.9, 2.5, 5.0]


def test_a_cold_start_does_not_lift_the_pre_overload_p99() -> None:
    """A fresh API's first seconds are slow; judged against them, any recovery would look quick."""
    iv = Intervals(Phases(10, 12))
    for second in range(10):
        for k in range(100):
            took = 0.7 if second == 0 else 0.02 + k / 10_000  # second 0: the cold start
            iv.reply(second + k / 100, second + k / 100, second + k / 100 + took, 200, None)
    iv.reply(12.0, 12.0, 12.4, 200, None)  # after the overload: 400 ms, not back
    iv.reply(13.0, 13.0, 13.025, 200, None)  # 25 ms: back
    figures = compute(merge([iv.snapshot()]), 100.0, 14.0, [])
    assert figures.warmup_s == WARMUP_S
    assert figures.pre_overload_p99_ms == pytest.approx(29.8)  # seconds 2-9 only; with second 0 it read 700
    assert by_phase(figures)["before"].admitted_p99_ms == pytest.approx(700, rel=1e-3)  # the phase's, whole
    assert figures.recovery_s == 1.0  # against the whole phase's 700 ms it would read 0


def by_phase(figures: OverloadFigures) -> dict[str, PhaseFigures]:
    return {p.phase: p for p in figures.phases}


def test_no_recovery_and_no_memory_are_none() -> None:
    iv = Intervals(Phases(1, 2))
    iv.reply(0.0, 0.0, 0.01, 200, None)
    iv.reply(2.0, 2.0, 2.5, 200, None)
    figures = compute(merge([iv.snapshot()]), 1.0, 3.0, [])
    assert figures.recovery_s is None
    assert figures.rss_growth_mb is None and figures.rss == []


def test_the_overload_schedule_is_half_then_factor_then_half_the_capacity() -> None:
    options = OverloadOptions(factor=3, overload_s=60, phase_s=20, capacity_per_s=90)
    plan = options.swarm(90).open_model
    assert plan is not None and plan.rate_per_s == 270
    assert [round(plan.rate_at(t, options.run_time_s), 6) for t in (0, 19.9, 20, 79.9, 80, 99.9)] == [
        45, 45, 270, 270, 45, 45]
    assert options.sizing == "full"
    assert OverloadOptions(overload_s=8, phase_s=4, capacity_per_s=10).sizing == "short phases"


def test_inline_stages_are_validated() -> None:
    assert [s.users for s in parse_stages("0.5:0.25,1:1")] == [0.25, 1.0]
    for bad in ("0.5:0.2", "1:0", "x:1", "0.7:1,0.5:1,1:1"):
        with pytest.raises(ConfigurationError):
            ArrivalPlan(10, stages=bad)


def test_the_apis_cores_come_from_its_cpu_samples_inside_the_overload() -> None:
    epoch = 1000.0
    # CPU seconds at wall-clock times: 0.2 cores before second 20, 0.5 from 20 to 80, nothing after.
    samples = [(epoch + t, 0.2 * min(t, 20) + 0.5 * max(0, min(t, 80) - 20)) for t in range(0, 100, 2)]
    assert api_cores(samples, epoch, 20, 80) == 0.5
    assert api_cores(samples, None, 20, 80) is None
    assert api_cores(samples[:1], epoch, 0, 100) is None


def test_goodput_per_core_is_against_the_calibrations_per_core_capacity() -> None:
    # 200/s on 0.5 cores against 300/s on 0.75 cores: 400/s a core each, the same efficiency.
    assert per_core_ratio(200.0, 300.0, 0.5, 0.75) == pytest.approx(1.0)
    assert per_core_ratio(100.0, 300.0, 0.5, 0.75) == pytest.approx(0.5)
    assert per_core_ratio(200.0, 300.0, None, 0.75) is None
    assert per_core_ratio(200.0, 300.0, 0.5, None) is None
