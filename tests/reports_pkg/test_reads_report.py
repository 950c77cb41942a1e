"""What readers see, in the report: "not measured" for a run without the reads stage (the recording predates
it), and the table and its checklist item once a run has ``reads.json`` and the reads stage's gate outcomes."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest

from plsync.gates import check_gates
from plsync.records.files import READS, READS_SYSTEM
from plsync.records.reads import ReadsRecord
from plsync.rundir import RunDirectory
from plsync.stages.reads import STAGE
from reports.publish import publish
from tests.reports_pkg.test_report import RECORDED, edit

READERS = "readers never see a desync the writers did not make"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A copy of the recorded run, which has no reads stage."""
    target = tmp_path / "20260101T000000Z-readiness"
    shutil.copytree(RECORDED, target)
    return target


def _record(strategy: str, transport: str, mode: str, reads: int, torn: int, system: bool) -> ReadsRecord:
    return ReadsRecord(strategy=strategy, transport=transport, mode=mode, system_code=system, reads=reads, torn=torn,
                       between=0, visible=0, fractured=torn, rate_per_1000=1000 * torn / reads)


def _checklist_line(card: Any) -> Any:
    return next(line for line in card.lines if line.kind == "checklist" and line.name == READERS)


def test_a_run_without_the_reads_stage_shows_reads_not_measured(run_dir: Path) -> None:
    card = publish(run_dir)
    assert _checklist_line(card).status == "not_measured"
    assert "Not measured: the reads stage did not run." in (run_dir / "report.html").read_text()
    assert "## What readers see\n\nnot measured: the reads stage did not run" in (run_dir / "report.md").read_text()


def _with_reads(run_dir: Path, service_torn: int) -> Any:
    records = [_record("coupled", "direct", "two_statements", 400, 3, False),
               _record("coupled", "direct", "service", 380, service_torn, True),
               _record("coupled", "http", "api", 250, 0, True)]
    run = RunDirectory(run_dir)
    run.write_record(READS, records)
    run.write_record(READS_SYSTEM, [r for r in records if r.system_code])
    outcomes = check_gates("reads", STAGE.gates, run.read_record, run.has)

    def add(verdict: dict[str, Any]) -> None:
        verdict["stages"].append({"name": "reads", "status": "ran", "seconds": 1.0, "error": None})
        verdict["gates"] += [dataclasses.asdict(o) for o in outcomes]

    edit(run_dir, "verdict", add)
    return publish(run_dir)


def test_the_reads_table_and_its_checklist_item_from_the_stages_gates(run_dir: Path) -> None:
    card = _with_reads(run_dir, 0)
    line = _checklist_line(card)
    assert (line.status, line.figure) == ("pass", "1 gate over 2 measurements pass")
    html, md = (run_dir / "report.html").read_text(), (run_dir / "report.md").read_text()
    assert "service (system)" in html and "Not measured: the reads stage" not in html
    assert "| coupled | direct | two_statements | 400 | 3 | 0 | 0 | 7.50 |" in md
    assert "| coupled | direct | service (system) | 380 | 0 | 0 | 0 | 0.00 |" in md


def test_a_fractured_read_by_the_systems_reader_fails_the_item(run_dir: Path) -> None:
    line = _checklist_line(_with_reads(run_dir, 2))
    assert line.status == "fail" and "coupled/service" in line.figure
