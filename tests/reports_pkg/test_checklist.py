"""The checklist's evidence is gates that exist: a misspelt reference fails when the stage list is built,
naming it; in a run, an item whose gates have no outcome (renamed since, never judged) is *not measured*,
never a pass on zero gates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plsync.records.files import VERDICT
from plsync.stages import STAGES
from reports import checklist
from reports.checklist import CHECKLIST, ChecklistError, Evidence, Requirement, every_gate
from reports.run_reader import RunReader
from reports.scorecard import build_scorecard, checklist_lines, gate_lines
from tests.cli import plsync
from tests.reports_pkg.test_report import edit, run_dir  # noqa: F401 (a fixture)

LOSE_NOTHING = "concurrent updates lose nothing"


def test_every_checklist_item_names_gates_the_stages_declare() -> None:
    checklist.validate(STAGES)
    item = next(i for i in CHECKLIST if i.name == LOSE_NOTHING)
    assert checklist.resolve(item, STAGES) == [(stage, gate) for stage in ("strategies", "swarms")
                                               for gate in ("lost XP", "desynced pairs", "invariant violations")]


def test_a_misspelt_checklist_reference_fails_naming_it() -> None:
    misspelt = Requirement(LOSE_NOTHING, "001", (Evidence("strategies", ("lost XP", "desynced pair")),))
    with pytest.raises(ChecklistError, match="checklist item 'concurrent updates lose nothing': stage 'strategies' "
                                             "declares no gate 'desynced pair'"):
        checklist.validate(STAGES, [misspelt])
    with pytest.raises(ChecklistError, match="no stage 'swamrs'"):
        checklist.validate(STAGES, [Requirement("x", "y", every_gate("swamrs"))])
    with pytest.raises(ChecklistError, match="names no evidence"):
        Requirement("x", "y", ())


def test_the_stage_list_refuses_a_misspelt_checklist_at_import() -> None:
    probe = ("import reports.checklist as c; c.CHECKLIST += (c.Requirement('x', 'y', (c.Evidence('swarms', "
             "('lost XPP',)),)),); import plsync.stages")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "stage 'swarms' declares no gate 'lost XPP'" in done.stderr


def test_renamed_evidence_gates_leave_the_item_not_measured_never_passing(run_dir: Path) -> None:  # noqa: F811
    """The stage modules renamed the gates, then the stages ran: the verdict holds the new names only."""
    renamed = {"lost XP": "XP lost", "desynced pairs": "pairs desynced", "invariant violations": "violations"}
    edit(run_dir, "verdict", lambda v: [g.update(gate=renamed[g["gate"]]) for g in v["gates"]
                                        if g["stage"] in ("strategies", "swarms") and g["gate"] in renamed])
    card = build_scorecard(RunReader(run_dir))
    line = next(line for line in card.lines if line.name == LOSE_NOTHING)
    assert line.status == "not_measured"
    assert line.figure.startswith("no outcome in this run for: strategies: lost XP; strategies: desynced pairs")
    assert card.verdict != "ready"


def test_a_renamed_checklist_reference_on_an_earlier_run_is_not_measured(run_dir: Path) -> None:  # noqa: F811
    run = RunReader(run_dir)
    verdict = run.load(VERDICT)
    stages = {s.name: s.status for s in verdict.stages}
    renamed = Requirement(LOSE_NOTHING, "001", (Evidence("strategies", ("XP lost",)),))
    (line,) = checklist_lines(run, gate_lines(verdict), stages, [renamed])
    assert (line.status, line.figure) == ("not_measured", "no outcome in this run for: strategies: XP lost")
    # The same item with the gates the run has passes on them, and says on how many.
    (line,) = checklist_lines(run, gate_lines(verdict), stages, [next(i for i in CHECKLIST if i.name == LOSE_NOTHING)])
    assert line.status == "pass" and line.figure.startswith("6 gates over ")


def test_plsync_report_refuses_a_run_of_a_newer_schema_in_one_line(run_dir: Path) -> None:  # noqa: F811
    (run_dir / "migrate.json").write_text('{"schema": 99, "before": null, "revision": "x", "at_head": true}')
    refused = plsync("report", str(run_dir))
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "migrate.json has schema version 99; this plsync reads migrate up to version 1" \
        in lines[0], refused.stderr
