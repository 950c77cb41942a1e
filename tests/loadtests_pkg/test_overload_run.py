"""``plsync swarm --overload``: bad input refused before anything starts, and one short overload run for real
(calibrated, then 4x the calibrated capacity offered over HTTP): the API sheds, nothing is lost, the record
is written with its seconds and memory samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.provision import Environment
from plsync.overload import OverloadOptions, run_overload
from plsync.records.files import OVERLOAD
from plsync.rundir import RunDirectory
from system.config import SystemConfig
from system.db import Database
from tests.cli import plsync


@pytest.mark.parametrize("args", [("--overload-factor", "1"), ("--overload-time", "0"), ("--capacity", "0/s"),
                                  ("--capacity", "fast"), ("--strategy", "coupled", "--strategy", "redis"),
                                  ("--max-users", "2000"), ("--arrivals", "bursty"), ("--rate", "100/s"),
                                  ("--workers", "2")])
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], tmp_path: Path) -> None:
    result = plsync("swarm", "--overload", *args, "--runs-dir", str(tmp_path), timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_a_short_overload_run_sheds_and_loses_nothing(db: Database, config: SystemConfig, tmp_path: Path) -> None:
    env = Environment(db.engine.url.render_as_string(hide_password=False), "url", True, config.redis_url)
    options = OverloadOptions(factor=4, overload_s=8, phase_s=3, calibration_s=3, calibration_users=32,
                              max_users=300, students=100)
    record = run_overload(env, config, options, RunDirectory(tmp_path), say=lambda _line: None)
    assert record.capacity_source.startswith("calibrated") and record.capacity_per_s > 0
    # Calibrated before the overload (the rates' size) and again after it; judged against their mean.
    before, after = record.calibrations_per_s
    assert record.overload_rate_per_s == pytest.approx(4 * before)
    assert record.before_rate_per_s == pytest.approx(before / 2)
    assert record.capacity_per_s == pytest.approx((before + after) / 2)
    assert record.goodput_ratio == pytest.approx(record.goodput_per_s / record.capacity_per_s)
    assert all((tmp_path / name / "locust_stats.json").exists() for name in ("calibration", "calibration-after"))
    overload = next(p for p in record.phases if p.phase == "overload")
    assert overload.shed > 0 and record.shed_share > 0
    assert record.refusal_p99_ms is not None
    assert record.lost_xp == 0 and record.desynced_pairs == 0 and record.invariant_violations == 0
    assert record.ledger.get("ok", 0) > 0 and record.note == ""
    assert record.seconds and record.rss and record.rss_growth_mb is not None
    # The goodput gate's per-core ratio comes from the API's CPU sampled during the overload phase.
    assert record.api_cores_overload is not None and record.api_cores_overload > 0
    # (a 3 s calibration may have no steady window to measure the API's cores in: then the ratio is not measured)
    assert (record.goodput_per_core_ratio is None) == (not record.calibration_cpu_cores.get("api"))
    # The generator had a core of its own, the API the others; PostgreSQL, given by URL, could not be pinned,
    # so the gate reads the ratio per API core, and the record says why.
    assert set(record.pinned) == {"api", "locust"} and record.cpu_split["generator"] == record.pinned["locust"]
    assert "postgres" in record.not_pinned and record.goodput_basis == "per API core"
    assert record.goodput_judged_ratio == record.goodput_per_core_ratio
    assert record.calibration_shed_share is not None
    assert sum(s.offered for s in record.seconds) == sum(p.offered for p in record.phases)
    assert record.sizing == "short phases"
    written = RunDirectory(tmp_path).read_record(OVERLOAD)
    assert written == record
    assert (tmp_path / record.run_dir / "intervals.json").exists()


def test_the_split_is_the_default_and_shared_cores_turns_it_off() -> None:
    from plsync.cli_overload import overload_options

    common = {"strategy": "coupled", "workload": "hotspot", "factor": 3.0, "overload_s": 60, "phase_s": 20,
              "capacity": None, "calibration_s": 10, "max_users": None, "late_limit": 1.0, "students": 100,
              "arrivals": "poisson"}
    assert overload_options(**common).split_cores
    assert not overload_options(**common, shared_cores=True).split_cores


def test_a_calibration_the_api_shed_is_a_finding() -> None:
    from plsync.overload import Calibration, _calibration_findings

    (finding,) = _calibration_findings([Calibration(384.0, {}, 0.005), Calibration(272.0, {}, 0.25)])
    assert finding.startswith("calibration after:") and "shed 25.0%" in finding and "capacity reads low" in finding
    assert _calibration_findings([Calibration(384.0, {}, 0.005), Calibration(380.0, {}, 0.0)]) == []
    assert _calibration_findings([]) == []  # a capacity given: nothing calibrated, nothing to say


def test_the_goodput_is_judged_against_the_calibrations_before_and_after_it() -> None:
    from plsync.overload import Calibration, OverloadOptions, _mean_cores, _source, judged_capacity

    before = Calibration(400.0, {"api": 0.7, "postgres": 0.3}, 0.0)
    after = Calibration(300.0, {"api": 0.6, "postgres": 0.2, "locust": 0.3}, 0.0)
    assert judged_capacity([before, after]) == 350.0
    assert judged_capacity([before]) == 400.0
    # Averaged over the calibrations that measured each group: locust only in the one after.
    assert _mean_cores([before, after]) == {"api": 0.65, "locust": 0.3, "postgres": 0.25}
    text = _source(OverloadOptions(), [before, after])
    assert "400.0/s and 300.0/s" in text and "sized from the first" in text and "their mean" in text
    assert _source(OverloadOptions(), []) == "given"
