"""The soak's pure parts against exact numbers: slope and its significance, growth, percentiles, gaps, the log
summary and its cross-check, the load syntax, the clock arithmetic."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from scenarios.soak.clock import RealClock, after, make_clock, soak_seconds
from scenarios.soak.load import LoadSize
from scenarios.soak.logs import cross_check, summarise
from scenarios.soak.stats import fit_slope, gaps, growth_pct, spread
from scenarios.soak.summary import STEP_BYTES, slope_tolerance
from system.errors import ConfigurationError, InvalidInputError


def test_slope_by_least_squares_with_a_one_sided_t_test() -> None:
    # x = 0..4, y = 1 3 2 5 4: slope 8/10, intercept 3 - 0.8 * 2, SSE 3.6 on 3 degrees of freedom.
    fit = fit_slope([1, 3, 2, 5, 4])
    assert (fit.samples, fit.slope, fit.intercept) == (5, pytest.approx(0.8), pytest.approx(1.4))
    assert fit.stderr == pytest.approx(math.sqrt(1.2 / 10))
    assert fit.p_value == pytest.approx(0.052044, abs=1e-6)  # t = 2.309 on 3 df
    assert not fit.significant  # at 1 %
    against_half = fit_slope([1, 3, 2, 5, 4], tolerance=0.5)
    assert against_half.p_value == pytest.approx(0.225092, abs=1e-6)  # t = 0.866: tested against the tolerance
    assert fit_slope([1, 3, 2, 5, 4], alpha=0.06).significant


def test_slope_edge_cases() -> None:
    exact = fit_slope([10, 12, 14, 16])  # a perfect line: no noise to weigh it against
    assert (exact.slope, exact.p_value, exact.significant) == (pytest.approx(2.0), 0.0, True)
    assert not fit_slope([10, 12, 14, 16], tolerance=2.0).significant
    flat = fit_slope([5, 5, 5, 5])
    assert (flat.slope, flat.stderr, flat.p_value) == (0.0, 0.0, 1.0)
    two = fit_slope([1, 4])
    assert (two.slope, two.p_value, two.significant) == (3.0, None, False)  # too few samples to test
    assert fit_slope([]).samples == 0


def test_a_short_window_tolerates_one_allocator_step_a_long_one_does_not_need_to() -> None:
    assert slope_tolerance(32768, 132) == 32768
    assert slope_tolerance(32768, 32) == STEP_BYTES / 32
    # One 1 MiB step in the middle of 32 flat samples is not a leak; 128 KiB every sample is.
    step = [100_000_000] * 16 + [100_000_000 + 2**20] * 16
    assert fit_slope(step).significant  # against zero, the allocator's step would read as a leak
    assert not fit_slope(step, tolerance=slope_tolerance(32768, len(step))).significant
    leak = [100_000_000 + 131072 * i + (4096 if i % 3 else 0) for i in range(32)]
    assert fit_slope(leak, tolerance=slope_tolerance(32768, len(leak))).significant


def test_growth_uses_medians_at_both_ends() -> None:
    assert growth_pct([100, 100, 100, 100, 100, 100, 100, 110, 110, 110, 110, 110]) == pytest.approx(10.0)
    # one wild sample at either end changes nothing: medians of 3 at each end (12 samples // 4)
    assert growth_pct([100, 900, 100, 100, 100, 100, 100, 100, 100, 1, 100, 100]) == 0.0
    assert growth_pct([5]) == 0.0


def test_spread_percentiles_interpolate_linearly() -> None:
    s = spread([1, 2, 3, 4, 10])
    assert (s.count, s.p50, s.p95, s.max, s.mean) == (5, 3.0, pytest.approx(8.8), 10.0, 4.0)
    assert spread([]).count == 0


def test_gaps_between_successes_longer_than_the_limit() -> None:
    t0 = datetime(2025, 10, 25, tzinfo=UTC)
    ends = [t0 + timedelta(minutes=m) for m in (10, 20, 30, 50, 60, 520)]
    found = gaps(list(reversed(ends)), limit_s=900)  # order does not matter
    assert [(g.after, g.seconds) for g in found] == [(ends[2].isoformat(), 1200.0), (ends[4].isoformat(), 27600.0)]


def _log(start: str, status: str = "success", duration: float = 0.02, issues: int = 3) -> dict[str, object]:
    began = datetime.fromisoformat(start)
    return {"status": status, "job_start": start, "job_end": (began + timedelta(seconds=1)).isoformat(),
            "duration_seconds": duration, "issues_found": issues if status == "success" else 0,
            "synced_count": issues if status == "success" else 0, "failed_count": 0,
            "error": None if status == "success" else "OperationalError: server closed the connection"}


def test_log_summary_and_its_cross_check() -> None:
    logs = [_log("2025-10-25T00:10:00+00:00"), _log("2025-10-25T00:20:00+00:00", "failed", 0.5),
            _log("2025-10-25T00:30:00+00:00", duration=0.04, issues=5)]
    summary = summarise(logs, gap_limit_s=900)
    assert (summary.files, summary.statuses, summary.issues_found, summary.synced) == (
        3, {"failed": 1, "success": 2}, 8, 8)
    assert summary.duration_s.max == 0.5 and summary.errors == ["OperationalError: server closed the connection"]
    assert [g.seconds for g in summary.gaps] == [1200.0]  # the failed run left 20 min between two successes
    assert all(c.agrees for c in cross_check(summary, summary))
    missing = summarise(logs[:2], gap_limit_s=900)  # a run the logs do not have
    disagree = {c.check for c in cross_check(missing, summary) if not c.agrees}
    assert {"runs", "statuses", "run starts", "issues found", "synced", "gaps longer than interval + grace"} \
        <= disagree


def test_load_syntax() -> None:
    default = LoadSize(16, 2, 20)
    assert LoadSize.parse("ops=40,faults=5", default) == LoadSize(40, 2, 5)
    assert LoadSize.parse("", default) == default
    for bad in ("ops=-1", "clients=3", "ops", "threads=0"):
        with pytest.raises(InvalidInputError):
            LoadSize.parse(bad, default)


def test_clock_arithmetic() -> None:
    real = RealClock(300)
    t0 = datetime(2025, 10, 25, tzinfo=UTC)
    assert soak_seconds(real, t0, t0 + timedelta(seconds=2)) == 600.0  # 2 real s = one 10-minute interval
    assert after(t0, 600, real) == t0 + timedelta(seconds=2)
    with pytest.raises(ConfigurationError, match="unknown clock 'sundial'"):
        make_clock("sundial", 300)
    with pytest.raises(ConfigurationError, match="positive"):
        RealClock(0)


def test_the_virtual_clock_jumps_forward_only_and_wakes_the_scheduler() -> None:
    clock = make_clock("virtual", 1)
    woken: list[datetime] = []
    with clock:
        start = clock.now()
        clock.wait_until(start + timedelta(hours=7), lambda: woken.append(clock.now()))
        assert timedelta(hours=7) <= woken[0] - start < timedelta(hours=7, seconds=5)
        clock.wait_until(start, lambda: woken.append(clock.now()))  # in the past: no jump back, still woken
        assert woken[1] >= woken[0]
        assert datetime.now(UTC) - start >= timedelta(hours=7)  # every reader of the wall clock agrees
    assert not start <= datetime.now(UTC) < start + timedelta(hours=8)  # real time again
