"""Comparing runs: the same run shows no change; a change is flagged where it is, and gates only on what may
gate it: a count, a ratio to a control timed in the same run, or a raw measurement over repeated runs (never on
the samples of one run each, which measure that run's noise, not the noise between runs)."""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path

import pytest

from plsync import exit_codes
from reports.compare import GONE, MIN_RUNS, NEW, SAME, WORSE, Row, Threshold, compare_runs, regressions
from reports.run_reader import RunReader
from system.errors import InvalidInputError
from tests.cli import plsync
from tests.reports_pkg.test_report import RECORDED, edit

LATENCY_MEDIAN = "strategies/level_up latency median/coupled"


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    base, cont = tmp_path / "a-readiness", tmp_path / "b-readiness"
    shutil.copytree(RECORDED, base)
    shutil.copytree(RECORDED, cont)
    return base, cont


def slower_coupled(path: Path, factor: float) -> None:
    """The injected change: coupled's level-ups ``factor`` times slower (every sample), its swarm at half speed."""
    def latency(rows: list[dict[str, object]]) -> None:
        row = next(r for r in rows if r["strategy"] == "coupled")
        row["samples_ms"] = [x * factor for x in row["samples_ms"]]
        row["median_ms"] = float(row["median_ms"]) * factor

    def swarms(rows: list[dict[str, object]]) -> None:
        row = next(r for r in rows if r["strategy"] == "coupled")
        row["rps"] = float(row["rps"]) / 2

    edit(path, "latency", latency)
    edit(path, "swarms", swarms)


def one_each(runs: tuple[Path, Path]) -> dict[str, Row]:
    return {r.key: r for r in compare_runs([RunReader(runs[0])], [RunReader(runs[1])])}


def test_the_same_run_shows_no_change(runs: tuple[Path, Path]) -> None:
    rows = compare_runs([RunReader(runs[0])], [RunReader(runs[1])])
    assert rows and {r.change for r in rows} == {SAME}
    assert regressions(rows, [Threshold.parse("1%")]) == []


def test_a_raw_measurement_of_one_run_each_is_shown_never_gated(runs: tuple[Path, Path]) -> None:
    """Two readiness runs of the same code an hour apart moved coupled's median by +46.7 %, and a rank test on
    their thousand samples each called it p=2.9e-293: the samples of one run say nothing of the noise between
    runs, so such a row is reported and never fails a CI."""
    slower_coupled(runs[1], 1.3)
    rows = one_each(runs)
    median = rows[LATENCY_MEDIAN]
    assert median.change == WORSE and math.isclose(median.diff_pct or 0, 30.0)
    assert median.p_value is None and median.significant is None
    assert median.basis.startswith("not gated: 1 vs 1 run(s)")
    assert rows["swarms/swarm throughput/coupled"].change == WORSE
    assert regressions(list(rows.values()), [Threshold.parse("*latency median*:10%"), Threshold.parse("10%")]) == []


def test_repeated_runs_gate_a_raw_measurement_between_runs(tmp_path: Path) -> None:
    rng = random.Random(5)
    sides = []
    for side, factor in (("a", 1.0), ("b", 1.3)):
        copies = []
        for i in range(MIN_RUNS):
            path = tmp_path / f"{side}{i}-readiness"
            shutil.copytree(RECORDED, path)
            slower_coupled(path, factor * rng.uniform(0.97, 1.03))  # each run's own noise, a few per cent
            copies.append(RunReader(path))
        sides.append(copies)
    rows = {r.key: r for r in compare_runs(sides[0], sides[1])}
    median = rows[LATENCY_MEDIAN]
    assert median.runs == (MIN_RUNS, MIN_RUNS) and median.significant is True
    assert median.p_value == pytest.approx(2 / 70)  # fully separated, 4 and 4: 2 of C(8, 4) orderings
    failures = regressions(list(rows.values()), [Threshold.parse("*latency median*:10%")])
    assert len(failures) == 1 and failures[0].startswith("level_up latency median (strategies/coupled): ")
    assert "4 vs 4 runs, Mann-Whitney U on the per-run values" in failures[0]
    # The same runs, no shift: no difference between runs, nothing gated.
    rows = {r.key: r for r in compare_runs(sides[0], sides[0][::-1])}
    assert rows[LATENCY_MEDIAN].significant is False
    assert regressions(list(rows.values()), [Threshold.parse("0%")]) == []


def test_a_ratio_to_a_control_in_the_same_run_and_a_count_gate_one_run_each(runs: tuple[Path, Path]) -> None:
    edit(runs[1], "recovery_stress", lambda rows: rows[0].update(detect_ratio=rows[0]["detect_ratio"] * 1.5))
    edit(runs[1], "concurrency", lambda rows: next(r for r in rows if r["strategy"] == "coupled").update(lost_xp=5))
    (runs[1] / "orphans.json").unlink()  # no metric: nothing appears or vanishes
    rows = one_each(runs)
    ratio = rows["recovery/find_desync_issues x raw SQL/10,000 users"]
    assert ratio.basis == "ratio to the same work as raw SQL, timed in the same run"
    lost = rows["strategies/lost XP (concurrency)/coupled"]
    assert lost.change == WORSE and lost.diff_pct == math.inf and lost.basis == "a count"
    failures = regressions(list(rows.values()), [Threshold.parse("x raw SQL:10%"), Threshold.parse("lost XP*:0%")])
    assert len(failures) == 2 and "(+50.0%, ratio to the same work as raw SQL" in failures[1]
    (runs[1] / "recovery_stress.json").unlink()
    rows = one_each(runs)
    assert any(r.change == GONE for r in rows.values()) and not any(r.change == NEW for r in rows.values())


@pytest.mark.parametrize("raw", ["10", "ten%", "*:x%", ""])
def test_thresholds_are_validated(raw: str) -> None:
    with pytest.raises(InvalidInputError, match="malformed threshold"):
        Threshold.parse(raw)


def test_one_threshold_grammar_for_runs_and_benchmarks() -> None:
    assert Threshold.parse("10%") == Threshold("*", 10.0)
    assert Threshold.parse("median:10%") == Threshold("*median*", 10.0)  # pytest-benchmark's words still read
    assert Threshold.parse("*latency median*:5.5%") == Threshold("*latency median*", 5.5)


def test_plsync_compare_is_a_ci_gate(runs: tuple[Path, Path], tmp_path: Path) -> None:
    same = plsync("compare", str(runs[0]), str(runs[1]), "--fail-on", "10%", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    slower_coupled(runs[1], 1.3)
    shown = plsync("compare", str(runs[0]), str(runs[1]), "--fail-on", "*latency median*:10%", "--changed",
                   cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr  # one run each: shown, not gated
    assert "level_up latency median" in shown.stdout and "[coupled]" in shown.stdout and "not gated" in shown.stdout
    edit(runs[1], "recovery_stress", lambda rows: rows[0].update(repair_ratio=rows[0]["repair_ratio"] * 2))
    html = tmp_path / "cmp.html"
    worse = plsync("compare", str(runs[0]), str(runs[1]), "--fail-on", "x raw SQL:10%", "--html", str(html),
                   "--changed", cwd=tmp_path)
    assert worse.returncode == exit_codes.RUN_FAILED and "auto_sync_all x raw SQL (recovery/10,000 users)" in \
        worse.stderr
    page = html.read_text()
    assert "1 regression past the thresholds" in page and "<script" not in page and "gated on" in page
    as_json = json.loads(plsync("compare", str(runs[0]), str(runs[1]), "--json", cwd=tmp_path).stdout)
    assert {r["change"] for r in as_json["rows"]} >= {"worse", "same"}
    assert sorted(p.name for p in (tmp_path / "runs").iterdir())[0].endswith("-compare")
