"""``plsync bench`` end to end, as a user runs it: the suite runs (a smoke of one benchmark), writes its
run directory, and ``--compare`` flags a regression injected on purpose (a sleep at a strategy checkpoint,
through the suite's own --plsync-slow-checkpoint hook; no production code changes) in the median over its
raw-SQL ceiling timed in the same rounds (what may gate between two runs), but not a second, identical run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from fixtures.suite_server import SuiteServer
from tests.cli import plsync

ONE = "test_level_up and coupled and xp_only"  # no documented target: nothing but the comparison can fail it
#: On this shared 2-core machine the median of two identical runs moved by up to 75 % (measured while
#: other suites ran), and its ratio to the raw-SQL ceiling, what the comparison gates on, by up to +133 %
#: (1.51x -> 3.50x, 15 rounds, other suites running): the ceiling is timed in the same set-up but not at the
#: same instant as each round. So the end-to-end check uses a threshold above that noise; the injected sleep
#: (100 ms on a level-up of a few ms: the ratio 20x or more) is far beyond it. The 10 % rule itself is tested
#: on exact rounds in test_bench_stats.py.
ABOVE_NOISE = "median:400%"


def _bench(tmp_path: Path, server: SuiteServer, *extra: str) -> subprocess.CompletedProcess[str]:
    url = server.admin_url.render_as_string(hide_password=False)
    return plsync("bench", "--profile", "smoke", "-k", ONE, "--strategy", "coupled", "--rounds", "15",
                  "--runs-dir", str(tmp_path / "runs"), "--database-url", url, "--json", *extra,
                  timeout=280, cwd=tmp_path)


def test_bench_runs_into_a_run_directory_and_flags_only_an_injected_regression(pg_server: SuiteServer,
                                                                               tmp_path: Path) -> None:
    base = _bench(tmp_path, pg_server)
    assert base.returncode == 0, base.stderr[-3000:]
    first = json.loads(base.stdout)
    run = Path(first["run"])
    [measured] = first["rows"]
    assert (measured["operation"], measured["strategy"], measured["case"], measured["rounds"]) == (
        "level_up", "coupled", "xp_only", 15)
    assert measured["raw_median_ms"] > 0 and measured["ratio_to_raw"] > 0  # the ceiling, measured in the same run
    saved = json.loads((run / "pytest-benchmark.json").read_text())
    assert saved["benchmarks"][0]["extra_info"]["raw_sql_median_s"] > 0
    assert len(saved["benchmarks"][0]["stats"]["data"]) == 15

    same = _bench(tmp_path, pg_server, "--compare", str(run), "--fail-on", ABOVE_NOISE)
    assert same.returncode == 0, same.stderr[-3000:]
    comparison = json.loads(same.stdout)["comparison"]
    name = "test_level_up[coupled-xp_only]"
    assert {r["metric"] for r in comparison["rows"]} == {f"{name} median", f"{name} median x raw SQL"}
    assert comparison["regressions"] == []

    slowed = _bench(tmp_path, pg_server, "--compare", str(run), "--fail-on", ABOVE_NOISE,
                    "--", "--plsync-slow-checkpoint", "after_progress_read:0.1")
    assert slowed.returncode == 1, slowed.stderr[-3000:]
    comparison = json.loads(slowed.stdout)["comparison"]
    rows = {r["metric"]: r for r in comparison["rows"]}
    ratio, median = rows[f"{name} median x raw SQL"], rows[f"{name} median"]
    assert ratio["kind"] == "ratio" and ratio["change"] == "worse" and ratio["diff_pct"] > 500
    assert median["kind"] == "measured" and median["change"] == "worse" and median["p_value"] is None  # shown
    assert len(comparison["regressions"]) == 1 and f"regression: {name} median x raw SQL" in slowed.stderr


def test_fail_on_without_compare_is_a_usage_error(tmp_path: Path) -> None:
    result = plsync("bench", "--fail-on", "median:10%", "--runs-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "--fail-on needs --compare" in result.stderr
    result = plsync("bench", "--compare", str(tmp_path / "nowhere.json"), "--runs-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 4 and "no pytest-benchmark report" in result.stderr
