"""The scheduler soak on a virtual clock, small: the production job on its scheduler, its phases, its log
analysis; and the slope gate proven both ways, with a leak a test adds on purpose and without it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fixtures.suite_server import SuiteServer
from plsync.gates import FAIL, PASS
from plsync.records.files import SOAK
from plsync.rundir import to_jsonable
from plsync.stages.soak import GATES
from scenarios.soak import SoakOptions, SoakResult, run_soak
from scenarios.soak.load import LoadSize
from system.config import SystemConfig
from system.db import Database
from system.scheduler.job import BackgroundSyncJob, SyncJobRun

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SMALL = LoadSize(operations=4, threads=2, faults=6)
SLOPE_GATE = next(g for g in GATES if getattr(g, "field", "") == "rss.slope.significant")


def _config(engine: Engine) -> SystemConfig:
    return SystemConfig(database_url=engine.url.render_as_string(hide_password=False))


def test_a_virtual_day_of_the_real_job_with_its_phases(scratch_engine: Engine, pg_server: SuiteServer,
                                                       tmp_path: Path) -> None:
    options = SoakOptions(hours=4, users=200, load=SMALL, warmup_runs=6)
    result = run_soak(_config(scratch_engine), options, log_dir=tmp_path / "logs", postgres=pg_server.embedded,
                      truth=tmp_path / "faults.jsonl")
    steady = [r for r in result.runs if r.phase == "steady"]
    assert (result.runs_expected, result.runs_executed, result.overlapping_runs, result.missed_runs) == (24, 24, 0, 0)
    # Ten-minute steps exactly, as the scheduler set them; each run repaired exactly what was injected before it.
    scheduled = [r.scheduled for r in steady]
    assert all(b - a == timedelta(minutes=10) for a, b in zip(_times(scheduled), _times(scheduled)[1:], strict=False))
    assert all(r.issues_found == r.synced == r.injected == SMALL.faults and r.desyncs_left == 0 for r in steady)
    assert max(r.lateness_s for r in steady) < 5 and result.skipped_seconds > 11 * 3600  # 4 h + the 7 h outage
    assert len((tmp_path / "faults.jsonl").read_text().splitlines()) == len(result.runs)
    phases = {p.phase: p for p in result.phases}
    assert phases["overrun"].holds, phases["overrun"]
    assert phases["overrun"].details["skips_counted_by_job"] == 1
    assert phases["outage"].holds, phases["outage"]
    assert result.health_alert_fired and 7 * 3600 < result.health_alert_after_s <= 7 * 3600 + 300 + 5
    if pg_server.embedded is None:
        assert phases["restart"].holds is None and "not measured" in phases["restart"].note
    else:
        assert phases["restart"].holds, phases["restart"]
        assert "server closed the connection" in phases["restart"].details["failed_run_error"] or \
            "terminat" in phases["restart"].details["failed_run_error"]
    assert result.log_cross_check_agrees and result.log_analysis.files == len(result.runs)
    assert result.invariants_hold and result.max_desyncs_left_after_run == 0


def _times(isos: list[str]) -> list[object]:
    from datetime import datetime

    return [datetime.fromisoformat(t) for t in isos]


class LeakyJob(BackgroundSyncJob):
    """The production job plus a list that grows by 128 KiB each run: a leak, added here, not in system/."""

    def __init__(self, db: Database, config: SystemConfig) -> None:
        super().__init__(db, config)
        self.hoard: list[bytes] = []

    def run_now(self) -> SyncJobRun:
        self.hoard.append(b"leak" * (32 * 1024))
        return super().run_now()


def _slope_gate(result: SoakResult) -> str:
    (outcome,) = SLOPE_GATE.check("soak", SOAK.decode(SOAK.encode(to_jsonable(result))))
    return outcome.status


def test_the_slope_gate_catches_a_leak_and_passes_the_unchanged_job(scratch_engine: Engine, tmp_path: Path) -> None:
    # 8 virtual hours: 48 runs, 36 after the warm-up; no phases (the memory figures are the steady phase's).
    options = SoakOptions(hours=8, users=200, load=SMALL, warmup_runs=12)
    clean = run_soak(_config(scratch_engine), options, log_dir=tmp_path / "clean", with_phases=False)
    leaky = run_soak(_config(scratch_engine), options, log_dir=tmp_path / "leaky", with_phases=False,
                     job_factory=LeakyJob)
    assert clean.runs_executed == leaky.runs_executed == 48
    assert not clean.rss.slope.significant and _slope_gate(clean) == PASS, clean.rss
    assert leaky.rss.slope.significant and _slope_gate(leaky) == FAIL, leaky.rss
    assert leaky.rss.slope.slope > 100 * 1024 and leaky.rss.slope.p_value is not None \
        and leaky.rss.slope.p_value < 1e-6
    # tracemalloc names the line that keeps the memory
    assert any("test_soak.py" in line for r in leaky.runs for line in r.top_growth)


def test_traced_files_are_named_as_a_reader_finds_them() -> None:
    import sysconfig

    from scenarios.soak import probe

    assert probe.source_name(probe.__file__) == "scenarios/soak/probe.py"
    assert probe.source_name("/opt/env/lib/python3.11/site-packages/sqlalchemy/engine/default.py") == \
        "sqlalchemy/engine/default.py"
    assert probe.source_name(sysconfig.get_paths()["stdlib"] + "/pathlib.py") == "pathlib.py"
    assert probe.source_name("<frozen abc>") == "<frozen abc>"
