"""Findings: the strategies that do not ship are shown beside the verdict (scorecard.json, report.md,
report.html), never deciding it; a strategy the capacity stage did not search is "not measured"; gating every
strategy makes them gates."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

from plsync.profiles import profile_named
from plsync.records.capacity import CapacityRecord, CapacityStepRecord, StrategyCapacityRecord
from plsync.records.files import CAPACITY
from plsync.rundir import RunDirectory
from plsync.stages.capacity import chosen_strategies, gate_rows
from reports.findings import NOT_MEASURED, WOULD_FAIL, WOULD_PASS, capacity_findings
from reports.publish import publish
from tests.reports_pkg.test_report import RECORDED

RUN_STRATEGIES = ["legacy", "coupled", "redis", "serializable", "advisory"]


def _entry(strategy: str, capacity: float | None, lost: int = 0) -> StrategyCapacityRecord:
    step = CapacityStepRecord(
        offered_per_s=20, achieved_per_s=20, p50_ms=5, p99_ms=20, slo_ms=20, service_p99_ms=None,
        schedule_lag_p99_ms=None, dispatch_lag_slo_ms=None, dropped_ratio=0.0, failures=0, lost_xp=lost,
        desynced_pairs=0, invariant_violations=0, generator_cpu_us_per_request=None, verdict="pass")
    return StrategyCapacityRecord(strategy=strategy, slo="p99<=50ms", capacity_per_s=capacity, first_fail_per_s=None,
                                  generator_limited=False, boundary_slo_ms=[], spread=None, unstable=False,
                                  boundary_passes=0, steps=[step])


def _document() -> CapacityRecord:
    return CapacityRecord(model="open", slo="p99<=50ms", slo_label="p99", slo_limit_ms=50.0, workload="hotspot",
                          transport="direct", max_users=16, step_s=4, warmup_s=1.0, arrivals="poisson",
                          shipping="coupled", strategies=[_entry("coupled", 80), _entry("redis", 25),
                                                          _entry("serializable", 40), _entry("legacy", 400, 12)])


def test_each_strategy_not_gated_is_a_finding_and_one_not_searched_is_not_measured() -> None:
    findings = {f.strategy: f for f in capacity_findings(_document(), 30, ["coupled"], RUN_STRATEGIES)}
    assert {s: f.status for s, f in findings.items()} == {
        "legacy": WOULD_FAIL, "redis": WOULD_FAIL, "serializable": WOULD_PASS, "advisory": NOT_MEASURED}
    assert findings["redis"].text.startswith("would not be ready with redis: capacity 25/s at p99<=50ms")
    assert "lost XP 12" in findings["legacy"].text
    assert findings["advisory"].text == "advisory: not measured (the capacity stage did not search it)"


def test_the_scorecard_and_reports_show_findings_without_changing_the_verdict(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(RECORDED, run)
    before = publish(run)
    profile = replace(profile_named("smoke"), capacity_required_per_s=30)
    _rows, texts = gate_rows(_document(), profile, RUN_STRATEGIES)
    RunDirectory(run).write_record(CAPACITY, _document().model_copy(update={
        "required_per_s": 30.0, "findings": texts, "gated": ["coupled"], "run_strategies": RUN_STRATEGIES}))
    card = publish(run)
    assert (card.verdict, card.counts["fail"]) == (before.verdict, before.counts["fail"])
    assert all(b.kind != "finding" for b in card.blockers)
    saved = json.loads((run / "scorecard.json").read_text())
    findings = {line["name"]: line for line in saved["lines"] if line["kind"] == "finding"}
    assert {name: line["status"] for name, line in findings.items()} == {
        "ready with legacy": WOULD_FAIL, "ready with redis": WOULD_FAIL, "ready with serializable": WOULD_PASS,
        "ready with advisory": NOT_MEASURED}
    assert saved["counts"]["findings_would_fail"] == 2 and saved["counts"]["findings_not_measured"] == 1
    assert saved["lines"][-4:] == list(findings.values())  # after every line that decides the verdict
    markdown, html = (run / "report.md").read_text(), (run / "report.html").read_text()
    for text in ("would not be ready with redis: capacity 25/s", "advisory: not measured"):
        assert text in markdown and text in html
    assert "| would fail | finding | ready with redis | capacity |" in markdown


def test_gating_every_strategy_searches_and_gates_all_but_legacy() -> None:
    profile = replace(profile_named("smoke"), capacity_required_per_s=30, gate_all_strategies=True)
    assert chosen_strategies(profile, RUN_STRATEGIES) == ("coupled", "redis", "serializable", "advisory")
    rows, texts = gate_rows(_document(), profile, RUN_STRATEGIES)
    assert [r.strategy for r in rows] == ["coupled", "redis", "serializable"]
    assert texts == [f.text for f in capacity_findings(_document(), 30, ["coupled", "redis", "serializable",
                                                                         "advisory"], RUN_STRATEGIES)]
    assert [t.split(":")[0] for t in texts] == ["would not be ready with legacy"]
