"""The open model's pieces without Locust: the arrival schedule, the histograms, the slot accounting."""

from __future__ import annotations

import random
import statistics
import time
from itertools import islice, pairwise

import pytest
from hdrh.histogram import HdrHistogram

from loadtests.arrivals import ArrivalPlan, parse_rate
from loadtests.histograms import HIGHEST_US, LatencyHistogram
from loadtests.open_model import summarize
from system.errors import ConfigurationError


@pytest.mark.parametrize(("text", "per_s"), [("800/s", 800.0), ("800", 800.0), ("48000/m", 800.0), (" 2.5 /s", 2.5),
                                             ("7200/h", 2.0), (120, 120.0)])
def test_rates_parse(text: str | int, per_s: float) -> None:
    assert parse_rate(text) == pytest.approx(per_s)


@pytest.mark.parametrize("text", ["0", "0/s", "-5/s", "fast", "800/d", "", "nan", "1e3"])
def test_bad_rates_are_configuration_errors(text: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_rate(text)


def test_a_constant_schedule_split_across_workers_is_the_whole_schedule() -> None:
    plan = ArrivalPlan(100, "constant")
    alone = list(islice(plan.offsets(10), 300))
    assert alone[:3] == pytest.approx([0.0, 0.01, 0.02]) and alone[-1] == pytest.approx(2.99)
    shares = [list(islice(plan.offsets(10, worker=w, workers=3), 100)) for w in range(3)]
    assert sorted(t for share in shares for t in share) == pytest.approx(alone)


def test_a_poisson_schedule_is_seeded_and_at_its_rate() -> None:
    plan = ArrivalPlan(200, "poisson", seed=7)
    first = list(islice(plan.offsets(100), 4000))
    assert first == list(islice(ArrivalPlan(200, "poisson", seed=7).offsets(100), 4000))
    assert first != list(islice(ArrivalPlan(200, "poisson", seed=8).offsets(100), 4000))
    gaps = [b - a for a, b in pairwise(first)]
    assert statistics.fmean(gaps) == pytest.approx(1 / 200, rel=0.05)
    assert statistics.stdev(gaps) == pytest.approx(1 / 200, rel=0.1)  # exponential: stdev = mean
    # Two workers' independent shares together offer the full rate.
    two = sorted(t for w in range(2) for t in islice(ArrivalPlan(200, "poisson").offsets(100, worker=w, workers=2),
                                                      2000))
    assert len([t for t in two if t < 8]) == pytest.approx(1600, rel=0.1)


def test_rate_stages_ramp_the_rate() -> None:
    plan = ArrivalPlan(400, "constant", stages="ramp")
    offsets = list(islice(plan.offsets(8), 2000))
    per_quarter = [sum(1 for t in offsets if q * 2 <= t < (q + 1) * 2) for q in range(4)]
    assert per_quarter == [pytest.approx(n, abs=2) for n in (200, 400, 600, 800)]


@pytest.mark.parametrize("bad", [{"arrivals": "bursty"}, {"max_users": 0}, {"late_limit_s": 0}, {"stages": "x"},
                                 {"rate_per_s": 0}])
def test_bad_plans_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        ArrivalPlan(**{"rate_per_s": 100, **bad})  # type: ignore[arg-type]


def test_the_fast_record_writes_exactly_what_hdrh_writes() -> None:
    ours, theirs = LatencyHistogram(), HdrHistogram(1, HIGHEST_US, 3)
    rng = random.Random(3)
    values = [int(rng.lognormvariate(8, 2.5)) for _ in range(20_000)] + [0, 1, 2047, 2048, 4095, HIGHEST_US]
    for value in values:
        ours.record(min(value, HIGHEST_US))
        theirs.record_value(min(value, HIGHEST_US))
    assert ours.encode() == bytes(theirs.encode()).decode()
    assert ours.count == theirs.get_total_count() == len(values)
    ours.record(HIGHEST_US * 2)
    assert ours.clamped == 1


def test_histograms_merge_exactly_and_keep_three_digits() -> None:
    a, b = LatencyHistogram(), LatencyHistogram()
    for ms in range(1, 1001):
        (a if ms % 2 else b).record(ms * 1000)
    merged = LatencyHistogram.decoded([a.encode(), b.encode()])
    assert merged.count == 1000
    assert merged.percentile_ms(99) == pytest.approx(990, rel=1e-3)
    assert merged.percentile_ms(50) == pytest.approx(500, rel=1e-3)
    assert merged.count_above_ms(900) == 100
    figures = merged.figures()
    assert figures.percentiles_ms["p99_9"] == pytest.approx(999, rel=1e-3) and figures.max_ms == pytest.approx(1000,
                                                                                                               rel=1e-3)


def test_recording_costs_a_few_microseconds() -> None:
    histogram = LatencyHistogram()
    values = [int(v) for v in range(100, 200_100, 2)]
    began = time.perf_counter()
    for value in values:
        histogram.record(value)
    per_record_us = (time.perf_counter() - began) / len(values) * 1e6
    assert per_record_us < 5, per_record_us  # the budget of the issue, on a shared machine


def _share(worker: int, response: list[int], counts: dict[str, int]) -> dict[str, object]:
    hists = {name: LatencyHistogram() for name in ("response", "service", "lag", "dispatch")}
    for value in response:
        hists["response"].record(value)
        hists["service"].record(value // 2)
        hists["lag"].record(value - value // 2)
        hists["dispatch"].record(100)
    return {"worker": worker, "schedule_s": 2.0, "failures": 1, "clamped": 0, "counts": counts,
            "histograms": {k: h.encode() for k, h in hists.items()}}


def test_a_summary_merges_every_process_and_accounts_for_every_slot() -> None:
    counts = {"scheduled": 100, "completed": 97, "dropped_late": 2, "unstarted_at_end": 1, "in_flight_at_end": 0}
    document = {"model": "open", "expected_processes": 2,
                "plan": {"rate_per_s": 100.0, "arrivals": "constant", "max_users": 8, "late_limit_s": 1.0},
                "processes": [_share(0, [1000] * 97, counts), _share(1, [1_000_000] * 3, counts)]}
    summary = summarize(document)
    assert summary.model == "open" and summary.complete and summary.failures == 2
    assert summary.response_time is not None and summary.response_time.count == 100
    assert summary.response_time.percentiles_ms["p99"] == pytest.approx(1000, rel=1e-3)
    assert summary.response_time.percentiles_ms["p50"] == pytest.approx(1, rel=1e-3)
    assert summary.slots is not None and summary.slots.scheduled == 200 and summary.slots.dropped_late == 4
    assert summary.slots.dropped_ratio == pytest.approx(0.02)
    assert summary.achieved_rate_per_s == pytest.approx(97)
    assert not summary.generator_limited
    incomplete = summarize({**document, "expected_processes": 3})
    assert not incomplete.complete
