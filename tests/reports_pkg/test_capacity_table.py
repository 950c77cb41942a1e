"""The capacity steps table in a terminal: every figure whole, a long verdict wrapped, not the figures cut."""

from __future__ import annotations

import io

from rich.console import Console

from plsync.records.capacity import CapacityRecord, CapacityStepRecord, StrategyCapacityRecord
from reports.capacity import steps_table

REASONS = ["p99 2588.7ms > 50ms", "dropped 24.68% > 0.1%", "45 failed requests",
           *[f"level_up: gave up after 20 serialization failures on {n}/PLAYER (x9)" for n in range(3)]]


def _document(slo_label: str) -> CapacityRecord:
    steps = [CapacityStepRecord(
        offered_per_s=rate, achieved_per_s=rate * 0.99, p50_ms=1570.8, p99_ms=2617.3, slo_ms=2500.1,
        service_p99_ms=1620.0, schedule_lag_p99_ms=1000.4, dispatch_lag_slo_ms=None, dropped_ratio=0.5578,
        failures=89, lost_xp=0, desynced_pairs=0, invariant_violations=0, generator_cpu_us_per_request=19_088,
        verdict="fail", reasons=REASONS) for rate in (226.3, 1280.0)]
    entry = StrategyCapacityRecord(strategy="serializable", slo=f"{slo_label}<=50ms", capacity_per_s=None,
                                   first_fail_per_s=226.3, generator_limited=False, boundary_slo_ms=[], spread=None,
                                   unstable=False, boundary_passes=0, steps=steps)
    return CapacityRecord(model="open", slo=f"{slo_label}<=50ms", slo_label=slo_label, slo_limit_ms=50.0,
                          workload="hotspot", transport="direct", max_users=16, step_s=4, warmup_s=1.0,
                          arrivals="poisson", shipping="coupled", strategies=[entry])


def test_a_long_verdict_wraps_and_every_figure_stays_whole_at_140_columns() -> None:
    for label in ("p99", "p95"):
        document = _document(label)
        console = Console(width=140, record=True, file=io.StringIO())
        console.print(steps_table(document, document.strategies[0]))
        lines = console.export_text().splitlines()
        text = "\n".join(lines)
        assert "…" not in text
        assert all(len(line) <= 140 for line in lines)
        assert "2617.3" in text and "1280" in text and "19,088" in text and "55.78%" in text
        assert "1/PLAYER" in text  # the reasons, wrapped, not dropped
        # The SLO's own column only when it is not the p99 it would repeat.
        assert ("2500.1" in text) == (label != "p99")
