"""The capacity search and its verdicts, against a modelled system (no Locust): exact steps, exact figures."""

from __future__ import annotations

import pytest

from loadtests.capacity import SearchPlan, Slo, StepResult, judge, search
from system.errors import ConfigurationError


@pytest.mark.parametrize(("text", "label", "limit"), [("p99<=50ms", "p99", 50.0), ("p50<=0.5s", "p50", 500.0),
                                                      ("p99.9 <= 200ms", "p99_9", 200.0), ("p95<800us", "p95", 0.8)])
def test_slos_parse(text: str, label: str, limit: float) -> None:
    slo = Slo.parse(text)
    assert (slo.label, slo.limit_ms) == (label, pytest.approx(limit))


@pytest.mark.parametrize("text", ["p98<=50ms", "p99>=50ms", "p99<=50", "p99<=0ms", "latency<=5ms", ""])
def test_bad_slos_are_configuration_errors(text: str) -> None:
    with pytest.raises(ConfigurationError):
        Slo.parse(text)


SLO = Slo("p99", 50.0)


def _judge(**kw: object) -> tuple[str, list[str]]:
    values: dict[str, object] = {"slo_ms": 10.0, "dispatch_lag_slo_ms": 1.0, "dropped_ratio": 0.0, "failures": 0,
                                 "lost_xp": 0, "desynced_pairs": 0, "gated": True}
    return judge(SLO, **{**values, **kw})  # type: ignore[arg-type]


def test_a_step_fails_on_the_slo_drops_errors_or_losses_and_legacy_losses_are_not_gated() -> None:
    assert _judge() == ("pass", [])
    assert _judge(slo_ms=51.0)[0] == "fail"
    assert _judge(dropped_ratio=0.002)[0] == "fail" and _judge(dropped_ratio=0.001)[0] == "pass"
    assert _judge(failures=1)[0] == "fail"
    assert _judge(lost_xp=30)[0] == "fail" and _judge(lost_xp=30, gated=False)[0] == "pass"
    assert _judge(slo_ms=None)[0] == "fail"


def test_a_failure_the_generator_explains_is_invalid_but_a_pass_stays_a_pass() -> None:
    assert _judge(slo_ms=80.0, dispatch_lag_slo_ms=30.0)[0] == "invalid"
    assert _judge(slo_ms=40.0, dispatch_lag_slo_ms=30.0)[0] == "pass"


def _modelled(knee: float, noise: dict[int, float] | None = None) -> tuple[list[float], object]:
    """A system whose p99 is 10 ms below ``knee`` req/s and 200 ms above it."""
    offered: list[float] = []

    def run_step(rate: float, repeat: int) -> StepResult:
        offered.append(rate)
        p99 = (10.0 if rate <= knee else 200.0) + (noise or {}).get(repeat, 0.0)
        verdict, reasons = judge(SLO, slo_ms=p99, dispatch_lag_slo_ms=1.0, dropped_ratio=0.0, failures=0,
                                 lost_xp=0, desynced_pairs=0, gated=True)
        return StepResult(rate, rate, p99 / 2, p99, p99, p99, 1.0, 1.0, 0.0, 0, 0, 0, 0, 500.0, verdict, reasons,
                          repeat)

    return offered, run_step


def test_geometric_steps_then_bisection_then_repeats_at_the_boundary() -> None:
    offered, run_step = _modelled(knee=300)
    result = search("coupled", SLO, SearchPlan(start_per_s=25, growth=2, max_per_s=3200, bisections=2, repeats=3),
                    run_step)  # type: ignore[arg-type]
    # 25, 50, 100, 200 pass; 400 fails; bisect sqrt(200*400)=282.8 passes, sqrt(282.8*400)=336.3 fails.
    assert offered == [25, 50, 100, 200, 400, 282.8, 336.3, 282.8, 282.8]
    assert result.capacity_per_s == 282.8 and result.first_fail_per_s == 336.3
    assert result.boundary_slo_ms == [10.0, 10.0, 10.0] and result.spread == 0.0 and not result.unstable
    assert result.boundary_passes == 3 and not result.generator_limited


def test_a_noisy_boundary_is_unstable_and_a_failing_first_step_has_no_capacity() -> None:
    _, noisy = _modelled(knee=300, noise={1: 30.0})
    result = search("s", SLO, SearchPlan(start_per_s=100, max_per_s=400, bisections=0, repeats=3), noisy)  # type: ignore[arg-type]
    assert result.capacity_per_s == 200 and result.spread is not None and result.spread > 0.1 and result.unstable
    _, slow = _modelled(knee=5)
    none = search("s", SLO, SearchPlan(start_per_s=10, min_per_s=10), slow)  # type: ignore[arg-type]
    assert none.capacity_per_s is None and none.first_fail_per_s == 10 and len(none.steps) == 1


def test_a_failing_start_steps_down_to_a_pass_then_bisects_and_stops_at_the_floor() -> None:
    offered, run_step = _modelled(knee=12)
    result = search("s", SLO, SearchPlan(start_per_s=40, growth=2, min_per_s=5, bisections=1, repeats=2),
                    run_step)  # type: ignore[arg-type]
    # 40 and 20 fail, 10 passes; bisect sqrt(10*20)=14.1 fails; the boundary (10/s) once more.
    assert offered == [40, 20, 10, 14.1, 10]
    assert result.capacity_per_s == 10 and result.first_fail_per_s == 14.1 and result.boundary_passes == 2
    offered, too_slow = _modelled(knee=3)
    floor = search("s", SLO, SearchPlan(start_per_s=40, growth=2, min_per_s=5), too_slow)  # type: ignore[arg-type]
    assert offered == [40, 20, 10, 5] and floor.capacity_per_s is None and floor.first_fail_per_s == 5
    with pytest.raises(ConfigurationError):
        SearchPlan(start_per_s=40, min_per_s=50)


def test_the_search_stops_at_the_maximum_rate() -> None:
    offered, run_step = _modelled(knee=10_000)
    result = search("s", SLO, SearchPlan(start_per_s=100, growth=2, max_per_s=400, repeats=1), run_step)  # type: ignore[arg-type]
    assert offered == [100, 200, 400] and result.capacity_per_s == 400 and result.first_fail_per_s is None
