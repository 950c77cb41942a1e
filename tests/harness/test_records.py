"""The run directory's contract (plsync/records/): every file of a recorded run decodes through its record,
upgraded from the files written before the contract (schema version 0); what a version cannot read is refused
in one line; a producer cannot write a field its record does not declare; the contract imports no harness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from plsync.records import RUN_FILES, SchemaError
from plsync.records.files import LATENCY, MIGRATE, SWARMS
from plsync.records.run import MigrateRecord
from plsync.records.stability import instability, unstable_reasons
from plsync.rundir import RunDirectory

RECORDED = Path(__file__).parents[1] / "reports_pkg" / "recorded_run"


def test_every_file_of_the_recorded_run_decodes_and_round_trips_at_the_current_version() -> None:
    seen = []
    for path in sorted(RECORDED.glob("*.json")):
        file = RUN_FILES[path.stem]  # every file the recording holds has a record
        records = file.decode(json.loads(path.read_text()), str(path))
        encoded = file.encode(records)
        assert encoded["schema"] == file.version
        assert file.decode(json.loads(json.dumps(encoded))) == records, path.name
        seen.append(path.stem)
    assert {"verdict", "swarms", "soak", "benchmarks", "matrix", "concurrency", "latency"} <= set(seen)


def test_a_version_0_file_is_upgraded_with_what_the_producer_now_computes() -> None:
    item = {"strategy": "coupled", "operation": "level_up", "samples": 4, "median_ms": 1.0, "p95_ms": 1.0,
            "p99_ms": 3.0, "mean_ms": 1.5, "stdev_ms": 1.0, "min_ms": 1.0, "max_ms": 3.0, "samples_ms": []}
    (latency,) = LATENCY.decode([item])  # a bare list: written before the contract
    assert latency.unstable == ["the standard deviation is 67% of the mean",
                                "the maximum is 100% greater than the mean"]
    assert latency.unstable == unstable_reasons(count=4, mean=1.5, stdev=1.0, low=1.0, high=3.0)
    assert instability([1.0, 1.0, 1.0, 3.0])[0] == "the standard deviation is 67% of the mean"


def test_a_file_of_another_version_is_refused_in_one_line() -> None:
    with pytest.raises(SchemaError) as newer:
        MIGRATE.decode({"schema": 99, "before": None, "revision": "x", "at_head": True}, "run/migrate.json")
    assert str(newer.value) == ("run/migrate.json has schema version 99; this plsync reads migrate up to version "
                                f"{MIGRATE.version}: use a newer plsync")
    with pytest.raises(SchemaError, match="holds only 'schema' and 'records'"):
        SWARMS.decode({"schema": 1, "rows": []})
    with pytest.raises(SchemaError, match=r"migrate.json \(schema 1\) does not fit MigrateRecord: at_head: "):
        MIGRATE.decode({"schema": 1, "before": None, "revision": "x", "at_head": "perhaps"})


def test_a_producer_cannot_write_what_its_record_does_not_declare(tmp_path: Path) -> None:
    run = RunDirectory(tmp_path)
    with pytest.raises(SchemaError, match="does not fit MigrateRecord: head_revision: Extra inputs"):
        run.write_record(MIGRATE, {"before": None, "revision": "x", "at_head": True, "head_revision": "x"})
    with pytest.raises(TypeError, match="has a record in the run directory's contract"):
        run.write_json("migrate", {"at_head": True})
    written = run.write_record(MIGRATE, MigrateRecord(before=None, revision="x", at_head=True))
    assert json.loads(written.read_text()) == {"schema": MIGRATE.version, "before": None, "revision": "x",
                                               "at_head": True}
    assert run.read_record(MIGRATE).at_head is True


def test_the_contract_imports_nothing_of_the_harness() -> None:
    """loadtests/ and benchmarks/ may import it without pulling in the command line, the system or Locust."""
    probe = ("import sys, plsync.records, plsync.records.files; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'system', 'fixtures', 'scenarios', 'loadtests', "
             "'benchmarks', 'reports', 'sqlalchemy', 'locust', 'typer', 'rich'}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
