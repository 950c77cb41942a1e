"""plsync compare recomputes latency percentiles from each run's histograms.json: exact, any percentile, capacity
steps matched by strategy and rate, and gated only over repeated runs (a raw measurement)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plsync import exit_codes
from reports.compare import MIN_RUNS, WORSE, Threshold, compare_runs, regressions
from reports.histogram_metrics import histogram_metrics, histogram_sets, parse_percentiles
from reports.run_reader import RunReader
from system.errors import ConfigurationError
from tests.cli import plsync
from tests.reports_pkg.histogram_runs import spread, write_capacity, write_histograms

P99 = "swarm/response p99 (open model, histograms)/"


def test_percentiles_parse_and_bad_ones_are_refused() -> None:
    assert parse_percentiles([]) == (50.0, 99.0, 99.9)
    assert parse_percentiles(["p50,p99.99", "90"]) == (50.0, 99.99, 90.0)
    for bad in ("p0", "p101", "median", "p-5"):
        with pytest.raises(ConfigurationError, match="--percentile"):
            parse_percentiles([bad])


def test_percentiles_come_from_every_process_merged_to_three_digits(tmp_path: Path) -> None:
    # Two processes: 1..1000 ms and 1001..2000 ms; merged, p50 is ~1000 ms and p99.9 ~1998 ms.
    write_histograms(tmp_path, [spread(1.0), {k: [v + 1000 for v in vs] for k, vs in spread(1.0).items()}])
    (found,) = histogram_sets(RunReader(tmp_path))
    assert (found.stage, found.model, found.processes, found.counts["completed"]) == ("swarm", "open", 2, 2000)
    metrics = {m.name: m.value for m in histogram_metrics(RunReader(tmp_path), (50.0, 99.9))}
    assert metrics["response p50 (open model, histograms)"] == pytest.approx(1000, rel=1e-3)
    assert metrics["response p99.9 (open model, histograms)"] == pytest.approx(1998, rel=1e-3)
    assert metrics["service p99.9 (open model, histograms)"] == pytest.approx(1499, rel=1e-3)


def test_capacity_steps_are_matched_by_strategy_and_rate(tmp_path: Path) -> None:
    base, cont = tmp_path / "a", tmp_path / "b"
    write_capacity(base, {"coupled": [(20, 1.0), (40, 2.0)]})
    write_capacity(cont, {"coupled": [(40, 2.4), (80, 5.0)]})  # another search: other steps, 40/s in both
    rows = {r.key: r for r in compare_runs([RunReader(base)], [RunReader(cont)], (99.0,))}
    step = rows["capacity/response p99 (open model, histograms)/coupled @ 40/s"]
    assert step.change == WORSE and step.diff_pct == pytest.approx(20, abs=0.5)
    assert rows["capacity/response p99 (open model, histograms)/coupled @ 20/s"].change == "gone"
    assert rows["capacity/response p99 (open model, histograms)/coupled @ 80/s"].change == "new"


def test_a_slower_run_is_shown_but_gated_only_over_repeated_runs(tmp_path: Path) -> None:
    def run(name: str, scale: float) -> RunReader:
        write_histograms(tmp_path / name, [spread(scale)])
        return RunReader(tmp_path / name)

    threshold = [Threshold.parse("*response p99 (*:10%")]
    base = [run(f"base{i}", 1.0 + i / 100) for i in range(MIN_RUNS)]
    cont = [run(f"cont{i}", 1.5 + i / 100) for i in range(MIN_RUNS)]
    rows = compare_runs(base[:1], cont[:1])
    one = {r.key: r for r in rows}[P99]
    assert one.change == WORSE and one.diff_pct == pytest.approx(50, abs=1) and one.p_value is None
    assert regressions(rows, threshold) == []  # one run each: shown, never gated
    rows = compare_runs(base, cont)
    assert [r.change for r in rows if r.metric.startswith("response p99 ")] == [WORSE]
    failures = regressions(rows, threshold)
    assert len(failures) == 1 and "4 vs 4 runs, Mann-Whitney U" in failures[0]


def test_plsync_compare_takes_percentiles_and_refuses_bad_ones(tmp_path: Path) -> None:
    write_histograms(tmp_path / "a", [spread(1.0)])
    write_histograms(tmp_path / "b", [spread(1.2)])
    result = plsync("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--percentile", "p90,p99.99", "--json",
                    "--html", str(tmp_path / "c.html"))
    assert result.returncode == 0, result.stderr
    metrics = {row["metric"] for row in json.loads(result.stdout)["rows"]}
    assert "response p99.99 (open model, histograms)" in metrics and "response p90 (open model, histograms)" in metrics
    assert not any(" p50 (" in m for m in metrics)
    bad = plsync("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--percentile", "p200")
    assert bad.returncode == exit_codes.CONFIGURATION and "--percentile" in bad.stderr
