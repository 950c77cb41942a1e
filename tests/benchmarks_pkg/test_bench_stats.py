"""The benchmark suites' pure parts against exact numbers: percentiles, pyperf's instability rules, the
scale exponent, significance and thresholds, targets and aims, and the rows a report is built from."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks.compare import benchmark_side, comparison_record
from benchmarks.results import judge, row, rows_from_json, scale_fits
from benchmarks.stats import RoundsSummary, fit_exponent, instability, percentile
from benchmarks.targets import Aim, aim_for, target_for
from plsync.records.benchmarks import BenchmarkRecord
from reports.benchmarks import case_of, cells, text_table
from reports.compare import parse_thresholds
from system.errors import InvalidInputError


def test_percentiles_and_summary_in_milliseconds() -> None:
    seconds = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    summary = RoundsSummary.of(seconds)
    assert (summary.rounds, summary.median_ms, summary.min_ms, summary.max_ms) == (100, 50.5, 1.0, 100.0)
    assert summary.p99_ms == pytest.approx(99.01)
    assert summary.p95_ms == pytest.approx(95.05)
    assert percentile([7.0], 99) == 7.0


def test_pyperf_instability_rules() -> None:
    assert instability([1.0, 1.02, 0.98, 1.01]) == []
    assert instability([1.0, 2.0, 1.5]) == ["the standard deviation is 33% of the mean"]
    assert instability([1.0, 1.0, 1.0, 3.0]) == ["the standard deviation is 67% of the mean",
                                                 "the maximum is 100% greater than the mean"]
    # 10 % exactly is unstable (pyperf: >= 10 %)
    assert instability([0.9, 1.1]) == ["the standard deviation is 14% of the mean"]
    assert instability([0.5]) == ["a single round: its stability is unknown"]


def test_scale_exponent_is_the_log_log_slope() -> None:
    sizes = [1000, 10_000, 100_000, 1_000_000]
    linear = fit_exponent("detect", sizes, [2e-6 * n for n in sizes])
    assert linear.exponent == pytest.approx(1.0) and linear.r_squared == pytest.approx(1.0)
    assert linear.verdict == "linear"
    quadratic = fit_exponent("join", sizes[:2], [3e-9 * n * n for n in sizes[:2]])
    assert quadratic.exponent == pytest.approx(2.0) and quadratic.verdict == "super-linear"
    flat = fit_exponent("fixed", [1000, 10_000], [0.010, 0.020])
    assert flat.exponent == pytest.approx(math.log10(2)) and flat.verdict.startswith("sub-linear")
    with pytest.raises(ValueError, match="two different sizes"):
        fit_exponent("one", [1000, 1000], [1.0, 1.0])


def _saved(path: Path, service: list[float], raw: list[float]) -> Path:
    """A pytest-benchmark JSON file as the suite saves it: the rounds, and the ceiling in ``extra_info``."""
    extra = judge("level_up", {"strategy": "coupled", "case": "xp_only"}, service, raw)
    path.write_text(json.dumps({"benchmarks": [{"name": "test_level_up[coupled-xp_only]",
                                                "stats": {"data": service}, "extra_info": extra}]}))
    return path


def test_a_benchmark_gates_on_its_ratio_to_raw_sql_not_on_its_raw_median(tmp_path: Path) -> None:
    steady = [0.002 + i * 1e-6 for i in range(20)]
    raw = [x / 2 for x in steady]
    before = benchmark_side(_saved(tmp_path / "before.json", steady, raw))
    # The whole machine 30 % slower (the service and its ceiling alike): every round is slower, a rank test on
    # the rounds would call it significant, but nothing of the code changed: the ratio did not move.
    machine = benchmark_side(_saved(tmp_path / "busy.json", [x * 1.3 for x in steady], [x * 1.3 for x in raw]))
    rows, record = comparison_record("before", before, machine, ["median:10%"])
    median = next(r for r in rows if r.metric == "test_level_up[coupled-xp_only] median")
    assert median.change == "worse" and median.diff_pct == pytest.approx(30.0) and median.kind == "measured"
    assert median.p_value is None and median.basis.startswith("not gated: 1 vs 1 run(s)")
    ratio = next(r for r in rows if r.metric == "test_level_up[coupled-xp_only] median x raw SQL")
    assert ratio.change == "same" and ratio.basis == "ratio to its raw-SQL ceiling (the same rounds), timed in the " \
                                                     "same run"
    assert record["regressions"] == []
    # The service path alone 30 % slower: the ratio moves with it, and fails the threshold.
    code = benchmark_side(_saved(tmp_path / "slower.json", [x * 1.3 for x in steady], raw))
    _, record = comparison_record("before", before, code, ["median:10%"])
    assert record["regressions"] == [
        "test_level_up[coupled-xp_only] median x raw SQL (benchmarks): 2 -> 2.6 x (+30.0%, ratio to its raw-SQL "
        "ceiling (the same rounds), timed in the same run; allowed 10%)"]
    _, record = comparison_record("before", before, code, ["median:40%"])
    assert record["regressions"] == []


def test_bad_thresholds_name_themselves() -> None:
    with pytest.raises(InvalidInputError, match="malformed threshold 'median:ten'"):
        parse_thresholds(["median:ten"])


def test_targets_and_aims_cover_by_operation_and_size() -> None:
    assert target_for("find_desync_issues", {"users": 10_000}).max_ms == 5000  # type: ignore[union-attr]
    assert target_for("find_desync_issues", {"users": 1_000_000}) is None
    assert target_for("auto_sync_all", {"desyncs": 1000}) is None
    assert target_for("lock_hold", {"strategy": "coupled"}).metric == "p99_ms"  # type: ignore[union-attr]
    assert target_for("level_up") is None
    aim = aim_for("find_desync_issues", {"source": "live", "users": 10_000})
    assert aim is not None and aim.misses(40.0, 1.6) == ("find_desync_issues at 10k within 1.5x of raw SQL: "
                                                        "1.60x raw SQL > 1.5x")
    assert aim_for("find_desync_issues", {"source": "view", "users": 10_000}) is None
    with pytest.raises(ValueError, match="give a median bound"):
        Aim("nothing", "x", "here")


def test_judge_and_row_carry_the_ceiling_target_and_marks() -> None:
    seconds = [0.002, 0.002, 0.002, 0.060]  # one 60 ms round: p99 misses 50 ms, and it is unstable
    raw = [0.001] * 4
    extra = judge("sync_progress_to_license", {"strategy": "coupled", "case": "level_mismatch", "users": 10_000},
                  seconds, raw)
    assert extra["raw_sql_median_s"] == 0.001 and extra["ratio_to_raw"] == pytest.approx(2.0)
    assert extra["target_failure"].startswith("sync progress->license: p99_ms 58.")
    assert extra["target_failure"].endswith("exceeds 50 ms (002: < 50 ms)")
    assert extra["aim_missed"] == "sync within 3x of raw SQL, 50x under 50 ms: median 2 ms > 1 ms"
    r = row("test_sync_progress_to_license[coupled-level_mismatch]", seconds, extra)
    assert (r["median_ms"], r["raw_median_ms"], r["target_status"]) == (2.0, 1.0, "fail")
    assert r["unstable"] == ["the standard deviation is 176% of the mean", "the minimum is 88% smaller than the mean",
                             "the maximum is 264% greater than the mean"]
    record = BenchmarkRecord.model_validate(r)  # what the run directory holds, as the reports read it
    assert case_of(record) == "level_mismatch 10k users"
    assert cells(record)[3:] == ["2.000~", "58.3", "1.000", "2.00", "p99 <= 50 ms: MISSED", "missed"]
    assert text_table([record])[0].split() == ["operation", "strategy", "case", "median", "ms", "p99", "ms", "raw",
                                               "ms", "x", "raw", "target", "aim"]
    report = {"benchmarks": [{"name": r["name"], "stats": {"data": seconds}, "extra_info": extra}]}
    assert rows_from_json(report) == [r]


def test_scale_fits_come_from_the_rows_of_a_curve() -> None:
    rows = [{"curve": "seed", "size": n, "median_ms": n / 100} for n in (1000, 10_000)]
    rows.append({"curve": None, "size": None, "median_ms": 1.0})
    [fit] = scale_fits(rows)
    assert (fit.operation, fit.sizes) == ("seed", [1000, 10_000]) and fit.exponent == pytest.approx(1.0)


def test_profiles_size_the_benchmarks_and_refuse_impossible_sizes() -> None:
    from plsync.profiles import profile_named
    from system.errors import ConfigurationError

    smoke, standard, full = (profile_named(n) for n in ("smoke", "standard", "full"))
    assert (standard.bench_users, standard.bench_desyncs, standard.bench_slow) == (10_000, (100, 1000), False)
    assert full.bench_slow and max(full.bench_scale) == 1_000_000 and smoke.bench_rounds < standard.bench_rounds
    with pytest.raises(ConfigurationError, match="at most a tenth of bench_users"):
        smoke.with_overrides(bench_desyncs=(400,))
    with pytest.raises(ConfigurationError, match="multiple of 4"):
        smoke.with_overrides(bench_desyncs=(10,))
    with pytest.raises(ConfigurationError, match="two or more sizes"):
        smoke.with_overrides(bench_scale=(1000,))
