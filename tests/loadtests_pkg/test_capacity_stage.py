"""The capacity stage's gates: the shipping strategy decides, the others are findings; nothing measured is
never a pass."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from plsync.gates import FAIL, NOT_MEASURED, PASS, check_gates
from plsync.profiles import profile_named
from plsync.records.capacity import CapacityGateRecord, CapacityRecord, CapacityStepRecord, StrategyCapacityRecord
from plsync.stages.capacity import STAGE, chosen_strategies, gate_rows, profile_search


def _step(rate: float, p99: float | None = None, *, lost: int = 0) -> CapacityStepRecord:
    return CapacityStepRecord(
        offered_per_s=rate, achieved_per_s=rate, p50_ms=None if p99 is None else p99 / 4, p99_ms=p99, slo_ms=p99,
        service_p99_ms=None, schedule_lag_p99_ms=None, dispatch_lag_slo_ms=None, dropped_ratio=0.0, failures=0,
        lost_xp=lost, desynced_pairs=0, invariant_violations=0, generator_cpu_us_per_request=None, verdict="pass")


def _entry(strategy: str, capacity: float | None, *, lost: int = 0, limited: bool = False,
           steps: list[CapacityStepRecord] | None = None) -> StrategyCapacityRecord:
    return StrategyCapacityRecord(
        strategy=strategy, slo="p99<=50ms", capacity_per_s=capacity, first_fail_per_s=None,
        generator_limited=limited, boundary_slo_ms=[], spread=None, unstable=False, boundary_passes=0,
        steps=steps if steps is not None else [_step(20, lost=lost), _step(40, lost=lost)])


def _document(*entries: StrategyCapacityRecord) -> CapacityRecord:
    return CapacityRecord(model="open", slo="p99<=50ms", slo_label="p99", slo_limit_ms=50.0, workload="hotspot",
                          transport="direct", max_users=16, step_s=4, warmup_s=1.0, arrivals="poisson",
                          shipping="coupled", strategies=list(entries))


def _outcomes(rows: list[CapacityGateRecord]) -> list[tuple[str, str, str]]:
    outcomes = check_gates("capacity", STAGE.gates, lambda _name: rows, lambda _name: True)
    return [(o.gate, o.subject, o.status) for o in outcomes]


def test_the_shipping_strategy_is_gated_and_the_others_are_findings() -> None:
    profile = replace(profile_named("smoke"), capacity_required_per_s=30)
    document = _document(_entry("coupled", 160), _entry("redis", 25), _entry("legacy", 400, lost=75))
    rows, findings = gate_rows(document, profile)
    assert [r.strategy for r in rows] == ["coupled"]
    assert set(_outcomes(rows)) == {("capacity at SLO >= required rate", "coupled", PASS),
                                    ("lost XP over every capacity step", "coupled", PASS),
                                    ("desynced pairs over every capacity step", "coupled", PASS)}
    assert findings[0].startswith("would not be ready with redis: capacity 25/s at p99<=50ms (required 30/s)")
    assert findings[1].startswith("would not be ready with legacy") and "lost XP 150" in findings[1]


def test_gating_every_strategy_and_a_capacity_below_the_first_step() -> None:
    profile = replace(profile_named("smoke"), capacity_required_per_s=30, gate_all_strategies=True)
    document = _document(_entry("coupled", None), _entry("serializable", 200, lost=5),
                         _entry("advisory", None, limited=True))
    rows, _ = gate_rows(document, profile)
    _, findings = gate_rows(document, replace(profile, gate_all_strategies=False))
    assert findings[-1] == "advisory: capacity not measured (the generator fell behind before any step passed)"
    statuses = {(name, subject): status for name, subject, status in _outcomes(rows)}
    assert statuses[("capacity at SLO >= required rate", "coupled")] == FAIL
    assert statuses[("lost XP over every capacity step", "serializable")] == FAIL
    # The generator fell behind before any step passed: not measured, never a pass.
    assert statuses[("capacity at SLO >= required rate", "advisory")] == NOT_MEASURED


def test_the_profiles_size_the_search_and_refuse_a_floor_above_the_start_or_a_warmup_as_long_as_a_step() -> None:
    import pytest

    from system.errors import ConfigurationError

    standard = profile_named("standard")
    plan = profile_search(standard)
    assert (plan.start_per_s, plan.min_per_s, plan.bisections, plan.repeats) == (40, 5, 2, 2)
    assert standard.capacity_strategies == () and (standard.capacity_step_s, standard.capacity_warmup_s) == (5, 1)
    with pytest.raises(ConfigurationError, match="min <= start"):
        replace(standard, capacity_min_per_s=80)
    with pytest.raises(ConfigurationError, match="warm-up"):
        replace(standard, capacity_warmup_s=5)


def test_the_shipping_strategy_is_always_searched() -> None:
    smoke = profile_named("smoke")
    assert chosen_strategies(smoke, ["legacy", "coupled", "serializable", "redis"]) == ("coupled", "serializable")
    assert chosen_strategies(replace(smoke, shipping_strategy="redis"), ["coupled"]) == ("redis", "coupled")


def test_the_capacity_plot_draws_each_curve_the_slo_and_the_knee(tmp_path: Path) -> None:
    from plsync.records.files import CAPACITY
    from plsync.rundir import RunDirectory
    from reports.plots.capacity_plots import capacity_curves
    from reports.run_reader import RunReader

    assert capacity_curves(RunReader(tmp_path)) is None  # no capacity stage: not drawn
    RunDirectory(tmp_path).write_record(CAPACITY, _document(
        _entry("coupled", 80.0, steps=[_step(20, 10), _step(40, 20), _step(80, 40), _step(160, 300)]),
        _entry("serializable", None, steps=[_step(20, 90)])))
    plot = capacity_curves(RunReader(tmp_path))
    assert plot is not None and plot.source == "capacity.json"
    assert "80/s" in plot.svg and "SLO p99&lt;=50ms" in plot.svg and "serializable p99" in plot.svg


def test_the_capacity_section_puts_the_shipping_strategy_first_and_the_others_as_findings() -> None:
    from reports.capacity import capacity_markdown

    document = _document(_entry("serializable", None, steps=[_step(20, 90)]),
                         _entry("coupled", 80.0, steps=[_step(40, 20), _step(80, 40, lost=3)]))
    document = document.model_copy(update={"required_per_s": 30.0, "findings": ["would not be ready with x"]})
    lines = capacity_markdown(document)
    rows = [line for line in lines if line.startswith("| coupled") or line.startswith("| serializable")]
    assert rows[0].startswith("| coupled | 80/s |") and rows[0].endswith("| 3 | 0 | ships (gated) |")
    assert rows[1].startswith("| serializable | - |") and rows[1].endswith("| finding |")
    assert "gated against 30/s" in lines[0] and "- would not be ready with x" in lines
    # No step failed: the capacity is the search's maximum, said to be a lower bound.
    assert any(line.startswith("- coupled: capacity 80/s") and "a lower bound" in line for line in lines)
