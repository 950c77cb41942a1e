"""The desync recovery stress in a small size: every figure is produced and every repair lands."""

from __future__ import annotations

from sqlalchemy import Engine

from fixtures.faults import FaultMix
from scenarios.desync_recovery import run_desync_recovery


def test_recovery_stress_small(scratch_engine: Engine) -> None:
    result, manifest = run_desync_recovery(scratch_engine, users=2000, mix=FaultMix.parse(
        "license_behind=50,license_ahead=50,progress_without_license=40,license_without_progress=60"), seed=5)
    assert result.faults == len(manifest.faults) == 200 == result.issues_found == result.planned
    assert result.detection_perfect and result.dry_run_unchanged
    assert (result.synced, result.failed, result.success_rate) == (200, 0, 1.0)
    assert result.remaining_issues == 0 and result.second_run_changes == 0
    assert result.raw_detect_ms > 0 and result.detect_ms > 0 and result.repair_ms > 0
    assert result.peak_rss_mb >= result.rss_growth_mb >= 0
