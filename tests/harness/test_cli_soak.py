"""``plsync soak`` as a user runs it: its run directory, its table, its gates, its refusals."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from plsync import exit_codes
from tests.cli import plsync

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_short_virtual_soak_on_an_existing_database(scratch_engine: Engine, tmp_path: Path) -> None:
    url = scratch_engine.url.render_as_string(hide_password=False)
    result = plsync("soak", "--hours", "1", "--interval", "10m", "--users", "100", "--load", "ops=4,faults=4",
                    "--warmup-runs", "2", "--database-url", url, "--disposable", "--runs-dir", str(tmp_path),
                    timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "runs expected / executed (steady)" in result.stdout and "soak: PASS" in result.stdout
    (run,) = tmp_path.glob("*-soak")
    soak = json.loads((run / "soak.json").read_text())
    assert (soak["runs_expected"], soak["runs_executed"], soak["clock"]) == (6, 6, "virtual")
    # Not the harness's server: the restart is said to be not measured, and that is not a failure.
    restart = next(p for p in soak["phases"] if p["phase"] == "restart")
    assert restart["holds"] is None and "not measured" in restart["note"]
    gates = json.loads((run / "soak_gates.json").read_text())
    assert {g["status"] for g in gates} == {"pass", "not_measured"}
    with (run / "soak_runs.csv").open() as series:
        rows = list(csv.DictReader(series))
    assert len(rows) == len(soak["runs"]) and {"scheduled", "lateness_s", "rss_bytes", "desyncs_left"} <= rows[0].keys()
    assert len(list((run / "soak" / "sync_jobs").glob("*_sync.json"))) == len(rows)


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--clock", "sundial"], exit_codes.CONFIGURATION, "unknown clock 'sundial'"),
    (["--load", "ops=x"], exit_codes.INVALID_INPUT, "malformed load 'ops=x'"),
    (["--interval", "10x"], exit_codes.INVALID_INPUT, "malformed duration '10x'"),
    (["--hours", "0.01"], exit_codes.CONFIGURATION, "is not one run"),
])
def test_bad_soak_options_fail_before_anything_starts(args: list[str], code: int, message: str) -> None:
    result = plsync("soak", *args, "--database-url", "postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == code and message in result.stderr, result.stderr
