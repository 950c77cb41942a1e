"""Comparing two runs: the same run shows no change; a regression injected on purpose is flagged,
significant where samples exist, and fails a --fail-on gate."""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path

import pytest

from plsync import exit_codes
from reports.compare import GONE, NEW, SAME, WORSE, Threshold, compare_runs, regressions
from reports.run_reader import RunReader
from system.errors import InvalidInputError
from tests.cli import plsync
from tests.reports_pkg.test_report import RECORDED, edit


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    base, cont = tmp_path / "a-readiness", tmp_path / "b-readiness"
    shutil.copytree(RECORDED, base)
    shutil.copytree(RECORDED, cont)
    return base, cont


def slower_coupled(path: Path, factor: float) -> None:
    """The injected regression: coupled's level-ups ``factor`` times slower, its swarm at half speed."""
    def latency(rows: list[dict[str, object]]) -> None:
        row = next(r for r in rows if r["strategy"] == "coupled")
        row["samples_ms"] = [x * factor for x in row["samples_ms"]]  # type: ignore[attr-defined]
        row["median_ms"] = float(row["median_ms"]) * factor  # type: ignore[arg-type]

    def swarms(rows: list[dict[str, object]]) -> None:
        row = next(r for r in rows if r["strategy"] == "coupled")
        row["rps"] = float(row["rps"]) / 2  # type: ignore[arg-type]

    edit(path, "latency", latency)
    edit(path, "swarms", swarms)


def test_the_same_run_shows_no_change(runs: tuple[Path, Path]) -> None:
    rows = compare_runs(RunReader(runs[0]), RunReader(runs[1]))
    assert rows and {r.change for r in rows} == {SAME}
    assert regressions(rows, [Threshold.parse("1%")]) == []


def test_an_injected_regression_is_flagged_with_its_significance(runs: tuple[Path, Path]) -> None:
    slower_coupled(runs[1], 1.3)
    rows = {r.key: r for r in compare_runs(RunReader(runs[0]), RunReader(runs[1]))}
    median = rows["strategies/level_up latency median/coupled"]
    assert median.change == WORSE and math.isclose(median.diff_pct or 0, 30.0)
    assert median.significant is True and (median.p_value or 1) < 1e-6
    assert rows["swarms/swarm throughput/coupled"].change == WORSE
    assert rows["swarms/swarm throughput/coupled"].significant is None  # no samples: threshold alone
    failures = regressions(list(rows.values()), [Threshold.parse("*latency median*:10%")])
    assert len(failures) == 1 and failures[0].startswith("level_up latency median (strategies/coupled): ")
    assert "(+30.0%, p = " in failures[0]
    assert regressions(list(rows.values()), [Threshold.parse("*latency median*:40%")]) == []


def test_noise_without_a_shift_is_not_significant(runs: tuple[Path, Path]) -> None:
    rng = random.Random(3)

    def reshuffle(rows: list[dict[str, object]]) -> None:
        row = next(r for r in rows if r["strategy"] == "coupled")
        samples = list(row["samples_ms"])  # type: ignore[call-overload]
        rng.shuffle(samples)
        row["samples_ms"] = [x * rng.uniform(0.97, 1.03) for x in samples]

    edit(runs[1], "latency", reshuffle)
    rows = {r.key: r for r in compare_runs(RunReader(runs[0]), RunReader(runs[1]))}
    assert rows["strategies/level_up latency median/coupled"].significant is False


def test_metrics_that_appear_or_vanish_and_zero_baselines(runs: tuple[Path, Path]) -> None:
    edit(runs[1], "concurrency", lambda rows: next(r for r in rows if r["strategy"] == "coupled").update(lost_xp=5))
    (runs[1] / "recovery_stress.json").unlink()
    rows = {r.key: r for r in compare_runs(RunReader(runs[0]), RunReader(runs[1]))}
    lost = rows["strategies/lost XP (concurrency)/coupled"]
    assert lost.change == WORSE and lost.diff_pct == math.inf
    assert any(r.change == GONE for r in rows.values()) and not any(r.change == NEW for r in rows.values())
    assert len(regressions(list(rows.values()), [Threshold.parse("lost XP*:0%")])) == 1


@pytest.mark.parametrize("raw", ["10", "ten%", "*:x%", ""])
def test_thresholds_are_validated(raw: str) -> None:
    with pytest.raises(InvalidInputError, match="malformed threshold"):
        Threshold.parse(raw)


def test_plsync_compare_is_a_ci_gate(runs: tuple[Path, Path], tmp_path: Path) -> None:
    same = plsync("compare", str(runs[0]), str(runs[1]), "--fail-on", "10%", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    slower_coupled(runs[1], 1.3)
    html = tmp_path / "cmp.html"
    worse = plsync("compare", str(runs[0]), str(runs[1]), "--fail-on", "*latency median*:10%", "--html", str(html),
                   "--changed", cwd=tmp_path)
    assert worse.returncode == exit_codes.RUN_FAILED and "level_up latency median (strategies/coupled)" in worse.stderr
    assert "level_up latency median [coupled]" in worse.stdout  # the table names each subject
    page = html.read_text()
    assert "1 regression past the thresholds" in page and "<script" not in page
    as_json = json.loads(plsync("compare", str(runs[0]), str(runs[1]), "--json", cwd=tmp_path).stdout)
    assert {r["change"] for r in as_json["rows"]} >= {"worse", "same"}
    assert sorted(p.name for p in (tmp_path / "runs").iterdir())[0].endswith("-compare")
